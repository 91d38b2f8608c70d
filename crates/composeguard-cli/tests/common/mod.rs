//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code)]

pub mod engine;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The binary, with colour variables cleared.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_composeguard"));
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PATH_SEPARATOR")
        .env_remove("COMPOSE_PROFILES");
    c
}

/// Runs the binary in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

/// Runs the binary in `dir` with `input` on standard input.
pub fn run_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A temporary folder holding one file.
pub fn temp_with(name: &str, content: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    dir
}
