//! `composeguard verify` on a real Docker engine. Skipped (with a message) when no engine or
//! Compose v2 is reachable; under `CI=true` that is a failure instead.
//!
//! The images are a busybox-static rootfs imported under names of this test run only, and
//! removed afterwards. No traffic goes from the host to a container: health is checked inside.

mod common;

use std::path::Path;
use std::process::Command;

use common::engine::{Image, docker, engine_ready};
use common::{bin, stderr, stdout};

/// Runs `composeguard verify FILE --output-format json` in `dir`.
fn verify(dir: &Path, file: &str) -> (std::process::Output, serde_json::Value) {
    let out = bin()
        .current_dir(dir)
        .args([
            "verify",
            file,
            "--output-format",
            "json",
            "--timeout",
            "60s",
        ])
        .output()
        .unwrap();
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(&out), stderr(&out)));
    (out, report)
}

/// Nothing of verify's is left for a project folder: containers, volumes, networks.
fn assert_clean(dir: &Path, volume: &str) {
    let dir = std::fs::canonicalize(dir).unwrap();
    let filter = format!(
        "label=com.docker.compose.project.working_dir={}",
        dir.display()
    );
    let left = docker(&["ps", "-a", "-q", "--filter", &filter]);
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "",
        "containers left"
    );
    let volumes = docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        "label=com.composeguard.verify=1",
    ]);
    let volumes = String::from_utf8_lossy(&volumes.stdout).into_owned();
    assert!(
        !volumes.lines().any(|v| v.ends_with(volume)),
        "volumes left: {volumes}"
    );
}

#[test]
fn a_service_that_still_starts_exits_0() {
    if !engine_ready() {
        return;
    }
    let image = format!("cg-verify-test-{}/busybox:1", std::process::id());
    let _image = Image::build(std::slice::from_ref(&image), &[]);
    let dir = tempfile::tempdir().unwrap();
    // A published port and a named volume: verify binds no host port, and makes the volume
    // fresh and removes it.
    let file = format!(
        r#"services:
  app:
    image: {image}
    command: ["sleep 3600"]
    ports: ["127.0.0.1:47391:80"]
    volumes: [keepdata:/data]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
volumes:
  keepdata: {{}}
"#
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    let started = std::time::Instant::now();
    let (out, report) = verify(dir.path(), "compose.yaml");
    eprintln!("verify took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(report["ok"], true);
    let app = &report["services"][0];
    assert_eq!(app["service"], "app");
    assert_eq!(app["before"]["started"], true, "{report:#}");
    assert_eq!(app["after"]["started"], true, "{report:#}");
    assert_eq!(app["before"]["state"], "healthy");
    assert_eq!(app["after"]["state"], "healthy");
    assert_eq!(app["broke"], false);
    assert!(
        app["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "cap_drop"),
        "{report:#}"
    );
    assert_clean(dir.path(), "_keepdata");
}

#[test]
fn a_service_broken_by_read_only_exits_1_and_names_the_cause() {
    if !engine_ready() {
        return;
    }
    // `redis` is an image composeguard knows (read-only root with /tmp): under that name the
    // busybox image gets `read_only: true`, and its start-up write to /var/lib fails.
    let image = format!("redis:cg-verify-test-{}", std::process::id());
    let _image = Image::build(std::slice::from_ref(&image), &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        r#"services:
  cache:
    image: {image}
    entrypoint: ["/bin/sh", "-c"]
    command: ["mkdir -p /var/lib/thing && touch /var/lib/thing/x && sleep 3600"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
"#
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    let fixed = bin()
        .current_dir(dir.path())
        .args(["fix", "--unsafe-fixes", "--stdout", "compose.yaml"])
        .output()
        .unwrap();
    let fixed = stdout(&fixed);
    assert!(fixed.contains("read_only: true"), "{fixed}");
    assert!(fixed.contains("/tmp:"), "{fixed}");
    let started = std::time::Instant::now();
    let (out, report) = verify(dir.path(), "compose.yaml");
    eprintln!("verify took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert_eq!(report["ok"], false);
    let cache = &report["services"][0];
    assert_eq!(cache["before"]["started"], true, "{report:#}");
    assert_eq!(cache["after"]["started"], false, "{report:#}");
    assert_eq!(cache["after"]["state"], "exited");
    assert_eq!(cache["after"]["exit_code"], 1);
    assert_eq!(cache["broke"], true);
    assert_eq!(cache["likely_cause"]["fix"], "read_only", "{report:#}");
    let line = cache["likely_cause"]["line"].as_str().unwrap();
    assert!(line.contains("Read-only file system"), "{line}");
    assert!(
        cache["after"]["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str() == Some(line)),
        "{report:#}"
    );
    assert_clean(dir.path(), "-none-");
}

#[test]
fn no_engine_exits_2_and_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  app:\n    image: busybox:1\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["verify", "compose.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no Docker engine is reachable") && err.contains("dockerd")
            || err.contains("`docker` command was not found"),
        "{err}"
    );
}

#[test]
fn a_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["verify", "nothing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_stop_signal_takes_everything_down() {
    if !engine_ready() {
        return;
    }
    let image = format!("cg-verify-test-{}/slow:1", std::process::id());
    let _image = Image::build(std::slice::from_ref(&image), &[]);
    let dir = tempfile::tempdir().unwrap();
    // Never healthy: verify waits until it is stopped.
    let file = format!(
        r#"services:
  slow:
    image: {image}
    command: ["sleep 3600"]
    volumes: [slowdata:/data]
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 10000
volumes:
  slowdata: {{}}
"#
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    let child = bin()
        .current_dir(dir.path())
        .args(["verify", "compose.yaml", "--timeout", "100s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    let filter = format!(
        "label=com.docker.compose.project.working_dir={}",
        canonical.display()
    );
    let began = std::time::Instant::now();
    loop {
        let up = docker(&["ps", "-q", "--filter", &filter]);
        if !String::from_utf8_lossy(&up.stdout).trim().is_empty() {
            break;
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(60),
            "no container started"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let stopped = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    eprintln!("stopped and cleaned up in {:?}", stopped.elapsed());
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_clean(dir.path(), "_slowdata");
}
