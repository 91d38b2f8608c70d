//! Output and input details: SARIF URIs, `--stdout` with several files, configuration values,
//! env and `.gitignore` lines in the file's own line ending, the `secrets/` folder.

mod common;
use common::*;

use std::fs;
use std::os::unix::fs::PermissionsExt;

const PLAIN: &str = "services:\n  app:\n    image: example/app:1 # keep me\n";
const CORE: &str = "--select=CG101,CG102,CG501";
const SECRET: &str = "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: s3cr3t-pw\n";

#[test]
fn sarif_uris_are_percent_encoded_references() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("my dir #1 100% ü");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("compose.yaml"), PLAIN).unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            CORE,
            "--output-format",
            "sarif",
            "my dir #1 100% ü/compose.yaml",
        ],
    );
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(uri, "my%20dir%20%231%20100%25%20%C3%BC/compose.yaml");
    let absolute = fs::canonicalize(folder.join("compose.yaml")).unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            CORE,
            "--output-format",
            "sarif",
            absolute.to_str().unwrap(),
        ],
    );
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(
        uri.ends_with("/my%20dir%20%231%20100%25%20%C3%BC/compose.yaml"),
        "{uri}"
    );
}

#[test]
fn stdout_with_several_files_is_refused() {
    let dir = temp_with("a.yaml", PLAIN);
    fs::write(dir.path().join("b.yaml"), PLAIN).unwrap();
    let out = run(dir.path(), &["fix", CORE, "--stdout", "a.yaml", "b.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("--stdout prints one fixed file, and 2 were given (a.yaml, b.yaml)"),
        "{}",
        stderr(&out)
    );
    let out = run(dir.path(), &["fix", CORE, "--stdout", "a.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn bad_configuration_values_stop_at_load_with_their_position() {
    for (toml, position, says) in [
        (
            "[options]\ntmpfs-size = \"\"\n",
            "2:14",
            "`options.tmpfs-size` is `\"\"`, not a size",
        ),
        (
            "[options.limits.large]\nmemory = \"lots\"\n",
            "2:10",
            "`options.limits.large.memory` is `\"lots\"`, not a size; write a number of bytes, or a number with a unit",
        ),
        (
            "[options.limits.small]\ncpus = \"fast\"\n",
            "2:8",
            "not a CPU count",
        ),
        ("[options.limits.medium]\npids = 0\n", "2:8", "is 0"),
        (
            "[options]\nlog-max-size = \"10 parsecs\"\n",
            "2:16",
            "not a size",
        ),
    ] {
        let dir = temp_with("compose.yaml", PLAIN);
        fs::write(dir.path().join("composeguard.toml"), toml).unwrap();
        for command in ["check", "fix"] {
            let out = run(dir.path(), &[command, "compose.yaml"]);
            assert_eq!(out.status.code(), Some(2), "{toml}: {}", stderr(&out));
            let err = stderr(&out);
            assert!(
                err.contains(&format!("composeguard.toml:{position}: `")) && err.contains(says),
                "{toml}: {err}"
            );
            assert_eq!(
                fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
                PLAIN
            );
        }
    }
}

fn fix_secrets(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["fix", "--unsafe-fixes", "--select", "CG601"];
    args.extend_from_slice(extra);
    args.push("compose.yaml");
    run(dir, &args)
}

#[test]
fn env_and_gitignore_lines_follow_the_file_s_line_ending() {
    let app = "services:\n  app:\n    image: example/app:1\n    environment:\n      API_TOKEN: tok-123456\n";
    let dir = temp_with("compose.yaml", app);
    fs::write(dir.path().join(".env"), "OTHER=1\r\nLAST=2").unwrap();
    let out = fix_secrets(dir.path(), &["--secrets-env-file", ".env"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join(".env")).unwrap(),
        "OTHER=1\r\nLAST=2\r\nAPI_TOKEN=tok-123456\r\n"
    );

    let dir = temp_with("compose.yaml", SECRET);
    fs::write(dir.path().join(".gitignore"), "target/\r\nnode_modules/").unwrap();
    let out = fix_secrets(dir.path(), &["--gitignore-secrets"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\r\nnode_modules/\r\nsecrets/\r\n"
    );
}

#[test]
fn a_secrets_folder_out_of_the_project_or_open_to_others_is_refused() {
    // A symlink out of the project.
    let outside = tempfile::tempdir().unwrap();
    fs::set_permissions(outside.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let dir = temp_with("compose.yaml", SECRET);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("secrets")).unwrap();
    let out = fix_secrets(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symlink out of the project"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        SECRET
    );
    // A folder others may enter.
    let dir = temp_with("compose.yaml", SECRET);
    fs::create_dir(dir.path().join("secrets")).unwrap();
    fs::set_permissions(
        dir.path().join("secrets"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out = fix_secrets(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("others may use it (mode 0755)")
            && stderr(&out).contains("chmod 700"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(dir.path().join("secrets")).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        SECRET
    );
}

#[test]
fn secret_and_env_files_others_may_read_are_reported() {
    let dir = temp_with("compose.yaml", SECRET);
    fs::create_dir(dir.path().join("secrets")).unwrap();
    fs::set_permissions(
        dir.path().join("secrets"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let secret = dir.path().join("secrets/postgres_password.txt");
    fs::write(&secret, "s3cr3t-pw").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    let out = fix_secrets(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning: ./secrets/postgres_password.txt holds secrets and others may read it (mode 0644); run `chmod 600 ./secrets/postgres_password.txt`"
        ),
        "{}",
        stderr(&out)
    );

    let app = "services:\n  app:\n    image: example/app:1\n    environment:\n      API_TOKEN: tok-123456\n";
    let dir = temp_with("compose.yaml", app);
    fs::write(dir.path().join(".env"), "OTHER=1\n").unwrap();
    fs::set_permissions(dir.path().join(".env"), fs::Permissions::from_mode(0o644)).unwrap();
    let out = fix_secrets(dir.path(), &["--secrets-env-file", ".env"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run `chmod 600 ./.env`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_env_file_that_is_a_fifo_is_refused_without_blocking() {
    let app = "services:\n  app:\n    image: example/app:1\n    environment:\n      API_TOKEN: tok-123456\n";
    let dir = temp_with("compose.yaml", app);
    let fifo = dir.path().join(".env");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = bin()
        .current_dir(dir.path())
        .args([
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--secrets-env-file",
            ".env",
            "compose.yaml",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("blocked on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("exists and is not a regular file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        app
    );
}

#[test]
fn a_configuration_that_is_not_a_regular_file_is_refused_without_reading_it() {
    let dir = temp_with("compose.yaml", PLAIN);
    let mut child = bin()
        .current_dir(dir.path())
        .args(["check", "--config", "/dev/zero", "compose.yaml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("read /dev/zero");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/dev/zero: not a regular file"),
        "{}",
        stderr(&out)
    );
}

/// `image: ${DB_IMAGE:-postgres:16}` is read with the variables Compose would use: the `.env`
/// beside the file, `--env-file` instead of it, the shell's variables over both; nothing
/// interpolated is written.
#[test]
fn image_variables_are_read_from_env_files_and_the_shell() {
    let file = "services:\n  db:\n    image: ${DB_IMAGE:-postgres:16}\n";
    let dir = temp_with("compose.yaml", file);
    let check = |extra: &[&str], shell: Option<&str>| {
        let mut command = bin();
        command
            .current_dir(dir.path())
            .env_remove("DB_IMAGE")
            .args(["check", "--select", "CG101"])
            .args(extra)
            .arg("compose.yaml");
        if let Some(value) = shell {
            command.env("DB_IMAGE", value);
        }
        let out = command.output().unwrap();
        (stdout(&out), stderr(&out), out.status.code())
    };
    assert!(check(&[], None).0.contains("postgres needs"), "the default");
    fs::write(
        dir.path().join(".env"),
        "# beside the file\nDB_IMAGE=redis:7\n",
    )
    .unwrap();
    assert!(check(&[], None).0.contains("redis needs"), ".env");
    fs::write(
        dir.path().join("other.env"),
        "export DB_IMAGE='mysql:8.4'\n",
    )
    .unwrap();
    assert!(
        check(&["--env-file", "other.env"], None)
            .0
            .contains("mysql needs"),
        "--env-file replaces .env"
    );
    assert!(
        check(&[], Some("mongo:8")).0.contains("mongo needs"),
        "the shell wins"
    );
    fs::write(dir.path().join("bad.env"), "DB_IMAGE=\"unclosed\n").unwrap();
    let (_, err, code) = check(&["--env-file", "bad.env"], None);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("bad.env:1: Compose cannot read this line"),
        "{err}"
    );
    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--stdout", "compose.yaml"],
    );
    assert!(stdout(&out).contains("image: ${DB_IMAGE:-postgres:16}\n"));
}
