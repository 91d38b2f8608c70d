//! The files every oracle runs over, and the options they are hardened with.

use std::path::{Path, PathBuf};

use composeguard::Options;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every input file: (path, text): the fixtures (tests/fixtures, the rule fixtures of
/// crates/composeguard/tests/fixtures), the examples and the corpus (tests/corpus); not the
/// multi-file projects of tests/fixtures/projects and examples/vendor.
pub fn inputs() -> Vec<(PathBuf, String)> {
    let mut dirs = vec![
        workspace().join("tests/fixtures"),
        workspace().join("examples"),
        workspace().join("crates/composeguard/tests/fixtures"),
    ];
    dirs.push(workspace().join("tests/corpus/awesome-compose"));
    dirs.push(workspace().join("tests/corpus/real-stacks"));
    let mut files = Vec::new();
    let mut stack = dirs;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("tests/fixtures/projects") || path.ends_with("examples/vendor") {
                // Multi-file projects: tests/tests/projects.rs checks them as projects.
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
                files.push((path, text));
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 39 + 20,
        "expected the corpus and the fixtures, found {} files",
        files.len()
    );
    files
}

pub fn all_fixes() -> Options {
    Options {
        unsafe_fixes: true,
        preset: composeguard::Preset::Strict,
        ..Options::default()
    }
}

/// The project of a folder as the CLI finds it: compose.yaml, its compose.override.yaml, and
/// every file they include or extend from (paths relative to the folder).
pub fn project(folder: &Path, options: &Options) -> Vec<composeguard::project::ProjectFile> {
    use composeguard::project::{ProjectFile, ReferenceKind, Role, references};
    let mut files: Vec<ProjectFile> = ["compose.yaml", "compose.override.yaml"]
        .iter()
        .filter(|n| folder.join(n).is_file())
        .map(|n| ProjectFile {
            path: (*n).to_owned(),
            text: std::fs::read_to_string(folder.join(n)).unwrap(),
            role: Role::Compose,
        })
        .collect();
    let mut i = 0;
    let mut entries = 0;
    while i < files.len() {
        let base = entries;
        for r in references(&files[i].path, &files[i].text, options).unwrap() {
            if files.iter().any(|f| f.path == r.path) {
                continue;
            }
            let role = match r.kind {
                ReferenceKind::Include { entry } => {
                    entries = entries.max(base + entry + 1);
                    Role::Included(base + entry)
                }
                ReferenceKind::Extends => Role::Extended,
            };
            files.push(ProjectFile {
                text: std::fs::read_to_string(folder.join(&r.path)).unwrap(),
                path: r.path,
                role,
            });
        }
        i += 1;
    }
    files
}
