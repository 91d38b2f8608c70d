//! A Docker engine for the tests that start stacks: whether one is there, and busybox images
//! imported under names of the test run only, removed afterwards.

use std::path::Path;
use std::process::Command;

pub fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

pub fn compose_found() -> bool {
    let works = |program: &std::ffi::OsStr, prefix: &[&str]| {
        Command::new(program)
            .args(prefix)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match std::env::var_os("COMPOSEGUARD_DOCKER_COMPOSE") {
        Some(p) => works(&p, &[]),
        None => works("docker".as_ref(), &["compose"]) || works("docker-compose".as_ref(), &[]),
    }
}

/// True when the tests can run; false (after a message) when they are skipped.
pub fn engine_ready() -> bool {
    let engine = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    let busybox = Path::new("/bin/busybox").is_file();
    let missing = match (engine, compose_found(), busybox) {
        (false, _, _) => "no Docker engine is reachable (`docker info` fails)",
        (_, false, _) => "Docker Compose v2 was not found (set COMPOSEGUARD_DOCKER_COMPOSE)",
        (_, _, false) => "/bin/busybox is missing (Debian: apt-get install busybox-static)",
        _ => return true,
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "verify tests need a Docker engine under CI: {missing}; scripts/test.sh starts one"
    );
    eprintln!("SKIPPED: {missing}");
    false
}

/// A busybox image under some tags, removed when dropped.
pub struct Image {
    tags: Vec<String>,
}

impl Image {
    /// Imports a busybox root file system under `tags`, with `ENTRYPOINT ["/bin/sh","-c"]`
    /// and the given `docker import --change` lines (`USER 1000`, `VOLUME /data`).
    pub fn build(tags: &[String], changes: &[&str]) -> Image {
        let root = tempfile::tempdir().unwrap();
        let bin_dir = root.path().join("bin");
        std::fs::create_dir_all(&bin_dir).unwrap();
        std::fs::copy("/bin/busybox", bin_dir.join("busybox")).unwrap();
        for folder in ["tmp", "var/cache", "etc"] {
            std::fs::create_dir_all(root.path().join(folder)).unwrap();
        }
        for applet in [
            "sh", "true", "false", "sleep", "mkdir", "touch", "echo", "cat", "chown",
        ] {
            std::os::unix::fs::symlink("busybox", bin_dir.join(applet)).unwrap();
        }
        let tar = Command::new("tar")
            .arg("-C")
            .arg(root.path())
            .args(["-c", "."])
            .output()
            .unwrap();
        assert!(tar.status.success());
        let image = Image {
            tags: tags.to_vec(),
        };
        let mut args = vec!["import", "--change", r#"ENTRYPOINT ["/bin/sh","-c"]"#];
        for change in changes {
            args.extend(["--change", change]);
        }
        args.extend(["-", &tags[0]]);
        let mut import = Command::new("docker")
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut import.stdin.take().unwrap(), &tar.stdout).unwrap();
        assert!(import.wait().unwrap().success(), "docker import");
        for tag in &tags[1..] {
            assert!(docker(&["tag", &tags[0], tag]).status.success());
        }
        image
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        for tag in &self.tags {
            let _ = docker(&["rmi", tag]);
        }
    }
}
