//! Writing the files that secret fixes need: secret files with mode 0600 in a 0700 folder,
//! env-file lines, and (when asked) a `.gitignore` entry. Everything is checked before
//! anything is written: an existing file with other content, a `secrets/` folder that is a
//! symlink out of the project or that others may enter, stops the run. Everything written is
//! recorded in an [`Undo`], so that a failure later in the run can take it back.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use composeguard::{NewFile, NewFileKind};

use crate::files::Input;

/// Why the files a secret fix needs cannot be written. Every message names the file and what
/// to do.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A secret file exists with another value.
    #[error(
        "{0} already exists with other content; move it away or remove the secret from the compose file first"
    )]
    OtherContent(String),
    /// `secrets/` leads out of the project.
    #[error(
        "{path} is a symlink out of the project (to {target}), so secret files would be written outside it; replace it with a folder (`rm {path}` and rerun)"
    )]
    FolderOutside {
        /// The folder.
        path: String,
        /// Where it leads.
        target: String,
    },
    /// `secrets/` is a dangling or looping symlink.
    #[error(
        "{path} is a symlink that cannot be followed ({source}); remove it or make it a folder"
    )]
    BrokenLink {
        /// The folder.
        path: String,
        /// What resolving it said.
        source: std::io::Error,
    },
    /// `secrets/` is a file.
    #[error("{0} exists and is not a folder; move it away so secret files can be written there")]
    NotAFolder(String),
    /// `secrets/` is open to others.
    #[error(
        "{path} exists and others may use it (mode {mode:04o}), so secret files there would not be private; run `chmod 700 {path}` and rerun"
    )]
    LooseFolder {
        /// The folder.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// A secret or env file is a FIFO, device, folder...
    #[error(
        "{0} exists and is not a regular file; move it away, or name another env file with --secrets-env-file"
    )]
    NotRegular(String),
    /// The env file sets the variable to another value.
    #[error(
        "{path} already sets {key} to another value; remove it there or resolve the conflict first"
    )]
    Conflict {
        /// The env file.
        path: String,
        /// The variable.
        key: String,
    },
    /// Any other I/O failure.
    #[error("cannot {what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SecretsError {
    let path = path.display().to_string();
    move |source| SecretsError::Io { what, path, source }
}

/// What will be written for one compose file.
pub struct Plan {
    /// (path, content, kind) to write.
    writes: Vec<(PathBuf, String, NewFileKind)>,
    /// The compose file's folder.
    folder: PathBuf,
    /// Lines to show the user once the plan is written.
    pub report: Vec<String>,
    /// Warnings to show whether or not anything is written (loose modes of existing files).
    pub warnings: Vec<String>,
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

/// The line ending a text already uses (its first line's), `\n` for a text without one.
fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// `lines` (each ending in `\n`) to append to a file that holds `existing`: in the file's own
/// line ending, after a line break if its last line has none.
fn appended(existing: &str, lines: &str) -> String {
    let eol = line_ending(existing);
    let mut out = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        out.push_str(eol);
    }
    for line in lines.lines() {
        out.push_str(line);
        out.push_str(eol);
    }
    out
}

/// A warning when others than the owner may read an existing file that holds secrets.
fn loose_file(path: &Path) -> Option<String> {
    let mode = fs::metadata(path).ok()?.mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: {} holds secrets and others may read it (mode {mode:04o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// Checks that the `secrets/` folder (if it exists) is a private folder of the project.
fn check_secret_folder(folder: &Path, secrets: &Path) -> Result<(), SecretsError> {
    let Ok(link) = fs::symlink_metadata(secrets) else {
        return Ok(()); // created 0700 when written
    };
    let shown = secrets.display().to_string();
    if link.file_type().is_symlink() {
        let project = fs::canonicalize(folder).map_err(io("resolve", folder))?;
        let points = fs::canonicalize(secrets).map_err(|source| SecretsError::BrokenLink {
            path: shown.clone(),
            source,
        })?;
        if !points.starts_with(&project) {
            return Err(SecretsError::FolderOutside {
                path: shown,
                target: points.display().to_string(),
            });
        }
    }
    let meta = fs::metadata(secrets).map_err(io("read", secrets))?;
    if !meta.is_dir() {
        return Err(SecretsError::NotAFolder(shown));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::LooseFolder { path: shown, mode });
    }
    Ok(())
}

/// Checks what the fixes of one file need and plans the writes.
pub fn plan(input: &Input, files: &[NewFile]) -> Result<Plan, SecretsError> {
    let folder = folder_of(input);
    let mut plan = Plan {
        writes: Vec::new(),
        folder: folder.clone(),
        report: Vec::new(),
        warnings: Vec::new(),
    };
    let mut checked_folders: Vec<PathBuf> = Vec::new();
    for file in files {
        let path = folder.join(&file.path);
        match file.kind {
            NewFileKind::Secret => {
                let parent = path.parent().unwrap_or(&folder).to_path_buf();
                if !checked_folders.contains(&parent) {
                    check_secret_folder(&folder, &parent)?;
                    checked_folders.push(parent);
                }
                match fs::symlink_metadata(&path) {
                    Ok(m) if !m.is_file() => {
                        return Err(SecretsError::NotRegular(path.display().to_string()));
                    }
                    _ => {}
                }
                match fs::read(&path) {
                    Ok(existing) if existing == file.content.as_bytes() => {
                        plan.report
                            .push(format!("Kept {} (same content).", path.display()));
                        plan.warnings.extend(loose_file(&path));
                    }
                    Ok(_) => {
                        return Err(SecretsError::OtherContent(path.display().to_string()));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        plan.report
                            .push(format!("Wrote {} (mode 0600).", path.display()));
                        plan.writes.push((path, file.content.clone(), file.kind));
                    }
                    Err(e) => return Err(io("read", &path)(e)),
                }
            }
            NewFileKind::EnvLines => {
                // Checked before reading: reading a FIFO blocks.
                let existing = match fs::metadata(&path) {
                    Ok(m) if m.is_file() => fs::read_to_string(&path).map_err(io("read", &path))?,
                    Ok(_) => return Err(SecretsError::NotRegular(path.display().to_string())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => return Err(io("read", &path)(e)),
                };
                let current = env_entries(&existing);
                let mut add = String::new();
                for (key, value) in env_entries(&file.content) {
                    match current.iter().find(|(k, _)| *k == key) {
                        Some((_, v)) if *v == value => {}
                        Some(_) => {
                            return Err(SecretsError::Conflict {
                                path: path.display().to_string(),
                                key,
                            });
                        }
                        None => add.push_str(&format!("{key}={value}\n")),
                    }
                }
                plan.warnings.extend(loose_file(&path));
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

/// What a run wrote outside the compose files, to take back if a later step fails.
#[derive(Debug, Default)]
pub struct Undo {
    /// Files created (removed on undo).
    created: Vec<PathBuf>,
    /// Folders created (removed on undo when empty), innermost last.
    folders: Vec<PathBuf>,
    /// Files appended to, with their length before (truncated back on undo).
    appended: Vec<(PathBuf, u64)>,
}

impl Undo {
    /// Takes back everything recorded, newest first. Returns what could not be taken back.
    pub fn undo(self) -> Vec<String> {
        let mut failures = Vec::new();
        for (path, len) in self.appended.iter().rev() {
            if let Err(e) = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(*len))
            {
                failures.push(format!("{} (lines were appended): {e}", path.display()));
            }
        }
        for path in self.created.iter().rev() {
            if let Err(e) = fs::remove_file(path) {
                failures.push(format!("{} (created): {e}", path.display()));
            }
        }
        for folder in self.folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
        failures
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.appended.is_empty() && self.folders.is_empty()
    }
}

/// Appends `text` to the existing file `path`, recording its old length.
fn append(path: &Path, text: &str, undo: &mut Undo) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().append(true).open(path)?;
    let len = f.metadata()?.len();
    undo.appended.push((path.to_path_buf(), len));
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Writes a plan: secret files created new with mode 0600 (their folder 0700), env lines
/// appended in the env file's own line ending (the file created 0600 if missing). What is
/// written is recorded in `undo`.
pub fn write(plan: &Plan, gitignore: bool, undo: &mut Undo) -> Result<(), SecretsError> {
    for (path, content, kind) in &plan.writes {
        let folder = path.parent().unwrap_or(Path::new("."));
        if !folder.exists() {
            let missing: Vec<PathBuf> = folder
                .ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
                .map(Path::to_path_buf)
                .collect();
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(io("create", folder))?;
            undo.folders.extend(missing.into_iter().rev());
        }
        let result = match kind {
            NewFileKind::Secret => fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut f| {
                    undo.created.push(path.clone());
                    f.write_all(content.as_bytes())?;
                    f.sync_all()
                }),
            NewFileKind::EnvLines => match fs::read(path) {
                Ok(bytes) => {
                    let existing = String::from_utf8_lossy(&bytes);
                    append(path, &appended(&existing, content), undo)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .and_then(|mut f| {
                        undo.created.push(path.clone());
                        f.write_all(content.as_bytes())?;
                        f.sync_all()
                    }),
                Err(e) => Err(e),
            },
        };
        result.map_err(io("write", path))?;
        if *kind == NewFileKind::Secret {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                .map_err(io("set the mode of", path))?;
        }
    }
    if gitignore
        && plan
            .writes
            .iter()
            .any(|(_, _, k)| *k == NewFileKind::Secret)
    {
        let ignore = plan.folder.join(".gitignore");
        // Only a regular file is read (a FIFO would block) and appended to.
        let text = fs::metadata(&ignore)
            .ok()
            .filter(fs::Metadata::is_file)
            .and_then(|_| fs::read_to_string(&ignore).ok());
        if let Some(text) = text {
            let listed = text
                .lines()
                .any(|l| matches!(l.trim(), "secrets/" | "secrets" | "/secrets/" | "/secrets"));
            if !listed {
                append(&ignore, &appended(&text, "secrets/\n"), undo)
                    .map_err(io("update", &ignore))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::appended;

    #[test]
    fn appended_lines_follow_the_file() {
        assert_eq!(appended("", "A=1\n"), "A=1\n");
        assert_eq!(appended("X=1\n", "A=1\nB=2\n"), "A=1\nB=2\n");
        assert_eq!(appended("X=1", "A=1\n"), "\nA=1\n");
        assert_eq!(appended("X=1\r\n", "A=1\nB=2\n"), "A=1\r\nB=2\r\n");
        assert_eq!(appended("X=1\r\nY=2", "A=1\n"), "\r\nA=1\r\n");
    }
}
