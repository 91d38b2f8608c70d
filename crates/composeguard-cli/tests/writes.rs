//! Reading and writing files safely: only regular files, never more than the size limit, every
//! file of a run or none, owner, mode and hard links kept or refused, concurrent edits kept.

mod common;
use common::*;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PLAIN: &str = "services:\n  app:\n    image: redis:7.4 # keep me\n";
const CORE: &str = "--select=CG101,CG102,CG501";

/// Runs a command, killing it (and failing) when it takes longer than 20 seconds.
fn bounded(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not return within 20 seconds");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn in_dir(dir: &Path, args: &[&str]) -> Command {
    let mut c = bin();
    c.current_dir(dir).args(args).stdin(Stdio::null());
    c
}

#[test]
fn a_fifo_or_device_is_refused_before_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("compose.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for args in [
        &["check", "compose.yaml"][..],
        &["fix", "--unsafe-fixes", "compose.yaml"][..],
    ] {
        let out = bounded(in_dir(dir.path(), args));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file (a named pipe (FIFO))"),
            "{}",
            stderr(&out)
        );
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }
    let out = bounded(in_dir(dir.path(), &["check", "/dev/zero"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a character device"),
        "{}",
        stderr(&out)
    );
}

use std::os::unix::fs::FileTypeExt;

#[test]
fn the_size_limit_is_checked_before_reading_everything() {
    // A sparse 8 GiB file: refused from its size, without reading it.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("compose.yaml");
    fs::File::create(&big).unwrap().set_len(8 << 30).unwrap();
    let out = bounded(in_dir(dir.path(), &["check", "compose.yaml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the file is 8589934592 bytes, over the limit of 33554432 bytes"),
        "{}",
        stderr(&out)
    );
    // An endless standard input: at most the limit and one byte are read.
    let mut c = bin();
    c.current_dir(dir.path())
        .args(["check", "-"])
        .stdin(fs::File::open("/dev/zero").unwrap());
    let start = Instant::now();
    let out = bounded(c);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the input is over the limit of 33554432 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_read_only_file_is_refused() {
    let dir = temp_with("compose.yaml", PLAIN);
    let path = dir.path().join("compose.yaml");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let out = run(dir.path(), &["fix", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the file is read-only (mode 0444)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), PLAIN);
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o444);
    // --diff and --stdout still work.
    let out = run(dir.path(), &["fix", CORE, "--diff", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn owner_and_group_are_kept() {
    let dir = temp_with("compose.yaml", PLAIN);
    let path = dir.path().join("compose.yaml");
    if fs::metadata(&path).unwrap().uid() != 0 {
        eprintln!("skipped: changing a file's owner needs root");
        return;
    }
    std::os::unix::fs::chown(&path, Some(1234), Some(5678)).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = run(dir.path(), &["fix", CORE, "--unsafe-fixes", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = fs::metadata(&path).unwrap();
    assert_ne!(fs::read_to_string(&path).unwrap(), PLAIN);
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1234, 5678, 0o640)
    );
}

#[test]
fn a_hard_linked_file_is_refused_and_both_names_stay_equal() {
    let dir = temp_with("compose.yaml", PLAIN);
    let path = dir.path().join("compose.yaml");
    let other = dir.path().join("other.yaml");
    fs::hard_link(&path, &other).unwrap();
    let out = run(dir.path(), &["fix", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the file has 2 hard links"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), PLAIN);
    assert_eq!(fs::metadata(&path).unwrap().nlink(), 2);
    assert_eq!(
        fs::metadata(&path).unwrap().ino(),
        fs::metadata(&other).unwrap().ino()
    );
}

/// Two folders with a compose file each, processed in this order.
fn two_projects() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        fs::create_dir(dir.path().join(name)).unwrap();
        fs::write(
            dir.path().join(name).join(format!("compose-{name}.yaml")),
            PLAIN,
        )
        .unwrap();
    }
    dir
}

#[test]
fn a_failed_write_puts_back_the_files_already_written() {
    let dir = two_projects();
    let mut c = in_dir(
        dir.path(),
        &["fix", CORE, "a/compose-a.yaml", "b/compose-b.yaml"],
    );
    c.env("COMPOSEGUARD_TEST_FAULT", "rename:compose-b.yaml");
    let out = bounded(c);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "b/compose-b.yaml: error: cannot write the fixed file: cannot replace the file"
        ),
        "{err}"
    );
    assert!(
        err.contains("Put back the content of a/compose-a.yaml"),
        "{err}"
    );
    assert!(err.contains("No compose file was changed."), "{err}");
    for f in ["a/compose-a.yaml", "b/compose-b.yaml"] {
        assert_eq!(
            fs::read_to_string(dir.path().join(f)).unwrap(),
            PLAIN,
            "{f}"
        );
    }
    // No temporary file is left behind.
    for d in ["a", "b"] {
        let names: Vec<_> = fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}

#[test]
fn a_file_edited_during_the_run_is_not_overwritten() {
    let dir = two_projects();
    let mut c = in_dir(
        dir.path(),
        &["fix", CORE, "a/compose-a.yaml", "b/compose-b.yaml"],
    );
    c.env("COMPOSEGUARD_TEST_FAULT", "edit:compose-b.yaml");
    let out = bounded(c);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the file changed while composeguard ran"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("a/compose-a.yaml")).unwrap(),
        PLAIN
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("b/compose-b.yaml")).unwrap(),
        format!("{PLAIN}# edited during the run\n")
    );
}

#[test]
fn a_failed_write_takes_back_the_secret_files_too() {
    let secret = "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: s3cr3t-pw\n";
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), secret).unwrap();
    fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
    let mut c = in_dir(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select=CG601",
            "--gitignore-secrets",
            "compose.yaml",
        ],
    );
    c.env("COMPOSEGUARD_TEST_FAULT", "rename:compose.yaml");
    let out = bounded(c);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Removed the secret and env-file changes"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("secrets").exists());
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        secret
    );
}

#[test]
fn a_file_that_cannot_be_restored_is_named() {
    let dir = two_projects();
    let mut c = in_dir(
        dir.path(),
        &["fix", CORE, "a/compose-a.yaml", "b/compose-b.yaml"],
    );
    c.env(
        "COMPOSEGUARD_TEST_FAULT",
        "rename:compose-b.yaml,restore:compose-a.yaml",
    );
    let out = bounded(c);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("a/compose-a.yaml: error: could not put the old content back")
            && err.contains("this file holds the fixed content"),
        "{err}"
    );
    assert!(
        err.contains("Changed: a/compose-a.yaml; every other compose file is unchanged."),
        "{err}"
    );
    assert_ne!(
        fs::read_to_string(dir.path().join("a/compose-a.yaml")).unwrap(),
        PLAIN
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("b/compose-b.yaml")).unwrap(),
        PLAIN
    );
}
