//! `fix --diff` output applies with the real `git apply` and `patch -p1`, whatever the path.

mod common;
use common::*;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

const PLAIN: &str = "services:\n  app:\n    image: example/app:1 # keep me\n";
const CORE: &str = "--select=CG101,CG102,CG501";

fn tool(program: &str, args: &[&str], dir: &Path, patch: &str) -> (bool, String) {
    let file = dir.join(".patch");
    fs::write(&file, patch).unwrap();
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(fs::File::open(&file).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let _ = fs::remove_file(&file);
    match out {
        Ok(out) => (
            out.status.success(),
            format!("{}{}", stdout(&out), stderr(&out)),
        ),
        Err(e) => (false, format!("{program}: {e}")),
    }
}

/// Both tools accept the patch, applied from `root`.
fn applies(root: &Path, patch: &str) {
    let (ok, said) = tool("git", &["apply", "--check", "-"], root, patch);
    assert!(ok, "git apply --check refused\n{patch}\n{said}");
    let (ok, said) = tool("patch", &["-p1", "--dry-run", "--batch"], root, patch);
    assert!(ok, "patch -p1 --dry-run refused\n{patch}\n{said}");
    assert!(!said.contains("can't find file"), "{said}");
}

fn diff_of(cwd: &Path, path: &str) -> String {
    let out = run(cwd, &["fix", CORE, "--diff", path]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn paths_with_spaces_quotes_and_unicode_apply() {
    let dir = tempfile::tempdir().unwrap();
    for folder in [
        "my dir",
        "quo\"te",
        "back\\slash",
        "ünï",
        "tab\there",
        "new\nline",
    ] {
        fs::create_dir(dir.path().join(folder)).unwrap();
        let path = format!("{folder}/compose.yaml");
        fs::write(dir.path().join(&path), PLAIN).unwrap();
        let patch = diff_of(dir.path(), &path);
        applies(dir.path(), &patch);
    }
    let patch = diff_of(dir.path(), "my dir/compose.yaml");
    assert!(
        patch.starts_with("--- a/my dir/compose.yaml\t\n+++ b/my dir/compose.yaml\t\n"),
        "{patch}"
    );
    let patch = diff_of(dir.path(), "quo\"te/compose.yaml");
    assert!(
        patch.starts_with("--- \"a/quo\\\"te/compose.yaml\"\n"),
        "{patch}"
    );
}

#[test]
fn absolute_paths_apply() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), PLAIN).unwrap();
    let absolute = fs::canonicalize(dir.path().join("compose.yaml")).unwrap();
    let absolute = absolute.to_str().unwrap();
    // Inside the current folder: relative to it.
    let patch = diff_of(dir.path(), absolute);
    assert!(
        patch.starts_with("--- a/compose.yaml\n+++ b/compose.yaml\n"),
        "{patch}"
    );
    applies(dir.path(), &patch);
    // Elsewhere: the path from the root, applied there.
    let elsewhere = tempfile::tempdir().unwrap();
    let patch = diff_of(elsewhere.path(), absolute);
    assert!(
        patch.starts_with(&format!("--- a{absolute}\n+++ b{absolute}\n")),
        "{patch}"
    );
    applies(Path::new("/"), &patch);
    // `..` is resolved.
    fs::create_dir(dir.path().join("sub")).unwrap();
    let patch = diff_of(&dir.path().join("sub"), "../compose.yaml");
    assert!(!patch.contains(".."), "{patch}");
}
