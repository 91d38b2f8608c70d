//! Finding, reading and atomically writing compose files.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use composeguard::Error;

/// The file names Compose looks for, in its order.
pub const DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Why a file could not be processed.
#[derive(Debug)]
pub enum Failure {
    /// Reading failed.
    Io(io::Error),
    /// The library rejected the text.
    Lib(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Lib(e)
    }
}

/// One file to process (or standard input).
#[derive(Debug)]
pub struct Input {
    /// Where to read and write; empty for standard input.
    pub path: PathBuf,
    /// How reports name it.
    pub display: String,
}

impl Input {
    /// True for `-`.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// Reads the text (UTF-8 checked by the library, with the position of a bad byte).
    pub fn read(&self) -> Result<String, Failure> {
        let bytes = if self.is_stdin() {
            super::read_stdin().map_err(Failure::Io)?
        } else {
            fs::read(&self.path).map_err(Failure::Io)?
        };
        let text = composeguard::decode(&bytes)?;
        Ok(text.to_owned())
    }
}

/// Turns the command line's paths into inputs: files as given, folders searched for the
/// default compose file names, nothing given = the current folder.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs: Vec<Input> = Vec::new();
    let given: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    for path in &given {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                path: path.clone(),
                display: "-".into(),
            });
        } else if path.is_dir() {
            let found: Vec<PathBuf> = if paths.is_empty() {
                DEFAULT_NAMES
                    .iter()
                    .map(|n| path.join(n))
                    .filter(|p| p.is_file())
                    .collect()
            } else {
                search(path)
            };
            if found.is_empty() {
                let looked = if paths.is_empty() {
                    DEFAULT_NAMES.join(", ")
                } else {
                    "compose*.y*ml and docker-compose*.y*ml, recursively".to_owned()
                };
                return Err(format!(
                    "no compose file in {} (looked for {looked})",
                    path.display()
                ));
            }
            for file in found {
                let display = if paths.is_empty() {
                    file.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                } else {
                    let shown = file.display().to_string();
                    shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown)
                };
                inputs.push(Input {
                    path: file,
                    display,
                });
            }
        } else if path.exists() {
            inputs.push(Input {
                path: path.clone(),
                display: path.display().to_string(),
            });
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    // The same file named twice (or through a symlink) is processed once.
    let mut seen = Vec::new();
    inputs.retain(|i| {
        let key = fs::canonicalize(&i.path).unwrap_or_else(|_| i.path.clone());
        if seen.contains(&key) && !i.is_stdin() {
            false
        } else {
            seen.push(key);
            true
        }
    });
    Ok(inputs)
}

/// True for compose*.yaml, compose*.yml, docker-compose*.yaml, docker-compose*.yml.
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("compose") || lower.starts_with("docker-compose"))
        && (lower.ends_with(".yaml") || lower.ends_with(".yml"))
}

/// Compose files under a folder, recursively, honouring .gitignore (also outside a git
/// repository) and skipping hidden folders; sorted for a stable order.
fn search(folder: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(folder)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| is_compose_name(&e.file_name().to_string_lossy()))
        .map(ignore::DirEntry::into_path)
        .collect();
    found.sort();
    found
}

/// Replaces a file's content atomically: a temporary file in the same folder is written,
/// flushed to disk, given the original's permissions, then renamed over it. A symlink is
/// written through to its target (the link itself stays).
pub fn write_atomic(path: &Path, content: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let folder = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".composeguard-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    temp.write_all(content.as_bytes())?;
    temp.as_file().sync_all()?;
    fs::set_permissions(temp.path(), permissions)?;
    temp.persist(&target).map_err(|e| e.error)?;
    // Make the rename itself durable where the platform allows opening a folder.
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}
