//! Writing the files that secret fixes need: secret files with mode 0600 in a 0700 folder,
//! env-file lines, and (when asked) a `.gitignore` entry. Everything is checked before
//! anything is written: an existing file with other content stops the run.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use composeguard::{NewFile, NewFileKind};

use crate::files::Input;

/// What will be written for one compose file.
pub struct Plan {
    /// (path, content, kind) to write.
    writes: Vec<(PathBuf, String, NewFileKind)>,
    /// The compose file's folder.
    folder: PathBuf,
    /// Lines to show the user.
    pub report: Vec<String>,
}

fn folder_of(input: &Input) -> PathBuf {
    input
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// How a file is named in messages (next to the compose file).
pub fn shown(input: &Input, file: &NewFile) -> String {
    if input.is_stdin() {
        file.path.clone()
    } else {
        folder_of(input).join(&file.path).display().to_string()
    }
}

/// Parses `KEY=value` lines of an env file into (key, raw value).
fn env_entries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().trim_start_matches("export ").trim().to_owned(),
                v.to_owned(),
            )
        })
        .collect()
}

/// Checks what the fixes of one file need and plans the writes.
pub fn plan(input: &Input, files: &[NewFile]) -> Result<Plan, String> {
    let folder = folder_of(input);
    let mut plan = Plan {
        writes: Vec::new(),
        folder: folder.clone(),
        report: Vec::new(),
    };
    for file in files {
        let path = folder.join(&file.path);
        match file.kind {
            NewFileKind::Secret => match fs::read(&path) {
                Ok(existing) if existing == file.content.as_bytes() => {
                    plan.report
                        .push(format!("Kept {} (same content).", path.display()));
                }
                Ok(_) => {
                    return Err(format!(
                        "{} already exists with other content; move it away or remove the secret from the compose file first",
                        path.display()
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    plan.report
                        .push(format!("Wrote {} (mode 0600).", path.display()));
                    plan.writes.push((path, file.content.clone(), file.kind));
                }
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            },
            NewFileKind::EnvLines => {
                let existing = fs::read_to_string(&path).unwrap_or_default();
                let current = env_entries(&existing);
                let mut add = String::new();
                for (key, value) in env_entries(&file.content) {
                    match current.iter().find(|(k, _)| *k == key) {
                        Some((_, v)) if *v == value => {}
                        Some(_) => {
                            return Err(format!(
                                "{} already sets {key} to another value; remove it there or resolve the conflict first",
                                path.display()
                            ));
                        }
                        None => add.push_str(&format!("{key}={value}\n")),
                    }
                }
                if !add.is_empty() {
                    plan.report.push(format!(
                        "Added {} variable(s) to {}.",
                        add.lines().count(),
                        path.display()
                    ));
                    plan.writes.push((path, add, file.kind));
                }
            }
        }
    }
    if plan
        .writes
        .iter()
        .any(|(_, _, k)| *k == NewFileKind::Secret)
    {
        plan.report.push(format!(
            "Keep {} out of version control (add `secrets/` to .gitignore, or run with --gitignore-secrets).",
            folder.join("secrets").display()
        ));
    }
    Ok(plan)
}

/// Writes a plan: secret files created new with mode 0600 (their folder 0700), env lines
/// appended (the file created 0600 if missing).
pub fn write(plan: &Plan, gitignore: bool) -> Result<(), String> {
    for (path, content, kind) in &plan.writes {
        let folder = path.parent().unwrap_or(Path::new("."));
        if !folder.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        }
        let result = match kind {
            NewFileKind::Secret => fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut f| f.write_all(content.as_bytes()).and_then(|()| f.sync_all())),
            NewFileKind::EnvLines => {
                let needs_newline = fs::read(path)
                    .map(|b| !b.is_empty() && !b.ends_with(b"\n"))
                    .unwrap_or(false);
                fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o600)
                    .open(path)
                    .and_then(|mut f| {
                        if needs_newline {
                            f.write_all(b"\n")?;
                        }
                        f.write_all(content.as_bytes())?;
                        f.sync_all()
                    })
            }
        };
        result.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        if *kind == NewFileKind::Secret {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))?;
        }
    }
    if gitignore
        && plan
            .writes
            .iter()
            .any(|(_, _, k)| *k == NewFileKind::Secret)
    {
        let ignore = plan.folder.join(".gitignore");
        if let Ok(text) = fs::read_to_string(&ignore) {
            let listed = text
                .lines()
                .any(|l| matches!(l.trim(), "secrets/" | "secrets" | "/secrets/" | "/secrets"));
            if !listed {
                let sep = if text.is_empty() || text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                fs::OpenOptions::new()
                    .append(true)
                    .open(&ignore)
                    .and_then(|mut f| f.write_all(format!("{sep}secrets/\n").as_bytes()))
                    .map_err(|e| format!("cannot update {}: {e}", ignore.display()))?;
            }
        }
    }
    Ok(())
}
