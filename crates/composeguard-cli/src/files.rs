//! Finding, reading and writing compose files.
//!
//! Reading takes regular files only (a FIFO, a device or a socket is refused before it is
//! opened: opening a FIFO blocks, a device never ends) and at most the size limit plus one byte,
//! so an 8 GiB file or `/dev/zero` on standard input costs 32 MiB, not all the memory.
//!
//! Writing is one transaction over every file of a run: [`prepare`] checks each target and
//! writes its new content to a temporary file beside it (same mode, owner and group, flushed to
//! disk); only when every file is prepared does [`commit`] rename them over their targets, each
//! after checking that the target still holds what was read. If a step fails, the files already
//! renamed get their old content back, and the caller is told exactly which files changed.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use composeguard::Error;

/// The file names Compose looks for, in its order.
pub const DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Reading failed.
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    /// The library rejected the text.
    #[error(transparent)]
    Lib(#[from] Error),
    /// A FIFO, device, socket or folder.
    #[error(
        "not a regular file ({kind}); composeguard reads regular files only: pass the compose file itself, or `-` with the content on standard input"
    )]
    NotRegular {
        /// What it is instead.
        kind: &'static str,
    },
    /// A file that `include:` or `extends:` names does not exist.
    #[error(
        "the {what} file {path} does not exist; Compose refuses the project without it: create it or correct the path"
    )]
    Referenced {
        /// "included" or "extended".
        what: &'static str,
        /// The path, resolved against the naming file.
        path: String,
    },
    /// The project's lock file cannot be used (the failure's file is the lock file).
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// The env file Compose would interpolate the file with cannot be read.
    #[error("{path}:{line}: {message}")]
    EnvFile {
        /// The env file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// Over the size limit (found without reading the rest).
    #[error("{size} over the limit of {limit} bytes; split it into several files")]
    TooLarge {
        /// "the file is N bytes" or "the input is".
        size: String,
        /// The limit in force.
        limit: usize,
    },
}

/// What identifies the content that was read: if any of these changed, so did the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

impl Identity {
    fn of(m: &Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
        }
    }
}

/// A file's text as read, with what identifies it on disk (None for standard input).
#[derive(Debug)]
pub struct Loaded {
    /// The text (valid UTF-8).
    pub text: String,
    /// The file's identity when it was read.
    pub identity: Option<Identity>,
}

/// One file to process (or standard input).
#[derive(Debug, Clone)]
pub struct Input {
    /// Where to read and write; `-` for standard input.
    pub path: PathBuf,
    /// How reports name it.
    pub display: String,
}

/// What a non-regular file is, for messages.
fn kind_of(t: fs::FileType) -> &'static str {
    if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Reads at most `limit + 1` bytes: one more than the limit says the input is too large.
/// `expected` is the size the input says it has (a file's length; 0 for a stream), for
/// reading it in one call instead of growing a buffer from a few bytes.
fn read_limited(reader: impl Read, limit: usize, expected: usize) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::with_capacity(expected.min(limit) + 1);
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(Failure::Io)?;
    if bytes.len() > limit {
        return Err(Failure::TooLarge {
            size: "the input is".into(),
            limit,
        });
    }
    Ok(bytes)
}

fn decode(bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| {
        let error = composeguard::decode(e.as_bytes())
            .err()
            .unwrap_or(Error::NotUtf8 { line: 1, column: 1 });
        Failure::Lib(error)
    })
}

impl Input {
    /// True for `-`.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The folder the file is in (`.` for a bare name); None for standard input.
    pub fn folder(&self) -> Option<PathBuf> {
        (!self.is_stdin()).then(|| {
            self.path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        })
    }

    /// Reads the text, at most `limit` bytes (UTF-8 checked, with the position of a bad byte).
    pub fn read(&self, limit: usize) -> Result<Loaded, Failure> {
        if self.is_stdin() {
            let bytes = read_limited(io::stdin().lock(), limit, 0)?;
            return Ok(Loaded {
                text: decode(bytes)?,
                identity: None,
            });
        }
        // Before opening: opening a FIFO blocks until someone writes to it.
        let meta = fs::metadata(&self.path)?;
        if !meta.is_file() {
            return Err(Failure::NotRegular {
                kind: kind_of(meta.file_type()),
            });
        }
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(Failure::NotRegular {
                kind: kind_of(meta.file_type()),
            });
        }
        if meta.len() > limit as u64 {
            return Err(Failure::TooLarge {
                size: format!("the file is {} bytes,", meta.len()),
                limit,
            });
        }
        let bytes = read_limited(&file, limit, meta.len() as usize)?;
        Ok(Loaded {
            text: decode(bytes)?,
            identity: Some(Identity::of(&meta)),
        })
    }
}

/// Why the command line's paths give no inputs.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A folder without compose files.
    #[error("no compose file in {} (looked for {looked})", .folder.display())]
    NoComposeFile {
        /// The folder.
        folder: PathBuf,
        /// The names looked for.
        looked: String,
    },
    /// A path that names nothing.
    #[error("{}: no such file or folder", .0.display())]
    Missing(PathBuf),
}

/// Turns the command line's paths into inputs: files as given, folders searched for the
/// default compose file names, nothing given = the current folder.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Input>, CollectError> {
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
                return Err(CollectError::NoComposeFile {
                    folder: path.clone(),
                    looked,
                });
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
            return Err(CollectError::Missing(path.clone()));
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

/// Creates a new file (never replacing one): the override `fix --into` writes, mode 0644 less
/// the umask, flushed to disk.
pub fn create(path: &Path, content: &str) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

/// Why a file could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A FIFO, device, socket or folder.
    #[error("not a regular file ({kind}); composeguard rewrites regular files only")]
    NotRegular {
        /// What it is instead.
        kind: &'static str,
    },
    /// Nobody may write the file.
    #[error(
        "the file is read-only (mode {mode:04o}); make it writable (`chmod u+w`) to fix it in place, or use --diff or --stdout"
    )]
    ReadOnly {
        /// Its permission bits.
        mode: u32,
    },
    /// This user may not write the file.
    #[error(
        "you may not write the file ({source}); run as a user who may, or use --diff or --stdout"
    )]
    NoPermission {
        /// What opening it for writing said.
        source: io::Error,
    },
    /// A rename would split the hard links.
    #[error(
        "the file has {links} hard links, and replacing it would leave the other names with the old content; fix one name and copy the result (`composeguard fix --stdout FILE > FILE.new && cat FILE.new > FILE`), or break the link first (`cp FILE FILE.new && mv FILE.new FILE`)"
    )]
    HardLinked {
        /// How many names the file has.
        links: u64,
    },
    /// The file is not what was read any more.
    #[error(
        "the file changed while composeguard ran, so the fixed content would overwrite that change; run composeguard again"
    )]
    Changed,
    /// The new file cannot get the old one's owner.
    #[error(
        "cannot give the new file the owner {uid}:{gid} of the old one ({source}); run composeguard as that user or as root"
    )]
    Owner {
        /// The owner's user id.
        uid: u32,
        /// The owner's group id.
        gid: u32,
        /// What `fchown` said.
        source: io::Error,
    },
    /// Any other I/O failure.
    #[error("cannot {what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// What the system said.
        source: io::Error,
    },
}

fn io_error(what: &'static str) -> impl FnOnce(io::Error) -> WriteError {
    move |source| WriteError::Io { what, source }
}

/// A new content written beside its target, ready to be renamed over it.
pub struct Prepared {
    /// How reports name the file.
    pub display: String,
    /// The real file (symlinks resolved: they are written through).
    target: PathBuf,
    temp: tempfile::TempPath,
    /// The content that was read, to check against and to restore.
    original: String,
    identity: Option<Identity>,
    metadata: Metadata,
}

/// A temporary file in `folder` holding `content`, with the mode, owner and group of `like`,
/// flushed to disk.
fn temp_like(
    folder: &Path,
    content: &[u8],
    like: &Metadata,
) -> Result<tempfile::TempPath, WriteError> {
    let mut temp = tempfile::Builder::new()
        .prefix(".composeguard-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(io_error("create a temporary file beside it"))?;
    temp.write_all(content)
        .map_err(io_error("write the temporary file"))?;
    let file = temp.as_file();
    let own = file
        .metadata()
        .map_err(io_error("read the temporary file's owner"))?;
    if (own.uid(), own.gid()) != (like.uid(), like.gid()) {
        std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid())).map_err(|source| {
            WriteError::Owner {
                uid: like.uid(),
                gid: like.gid(),
                source,
            }
        })?;
    }
    // After chown, which clears set-id bits.
    file.set_permissions(fs::Permissions::from_mode(like.mode() & 0o7777))
        .map_err(io_error("set the temporary file's mode"))?;
    file.sync_all()
        .map_err(io_error("flush the temporary file to disk"))?;
    Ok(temp.into_temp_path())
}

/// Checks that `path` can be rewritten and writes `content` beside it. `original` and
/// `identity` are what was read: the target must still hold them when it is replaced.
pub fn prepare(
    path: &Path,
    display: &str,
    original: &str,
    identity: Option<Identity>,
    content: &str,
) -> Result<Prepared, WriteError> {
    let target = fs::canonicalize(path).map_err(io_error("resolve the path"))?;
    let metadata = fs::metadata(&target).map_err(io_error("read the file's metadata"))?;
    if !metadata.is_file() {
        return Err(WriteError::NotRegular {
            kind: kind_of(metadata.file_type()),
        });
    }
    if metadata.nlink() > 1 {
        return Err(WriteError::HardLinked {
            links: metadata.nlink(),
        });
    }
    let mode = metadata.mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Err(WriteError::ReadOnly { mode });
    }
    // The kernel's own verdict (groups, ACLs, immutable files); opening changes nothing.
    if let Err(source) = fs::OpenOptions::new().write(true).open(&target) {
        return Err(if source.kind() == io::ErrorKind::PermissionDenied {
            WriteError::NoPermission { source }
        } else {
            WriteError::Io {
                what: "open the file for writing",
                source,
            }
        });
    }
    if identity.is_some_and(|i| i != Identity::of(&metadata)) {
        return Err(WriteError::Changed);
    }
    let folder = target.parent().unwrap_or(Path::new("."));
    let temp = temp_like(folder, content.as_bytes(), &metadata)?;
    Ok(Prepared {
        display: display.to_owned(),
        target,
        temp,
        original: original.to_owned(),
        identity,
        metadata,
    })
}

/// A failed [`commit`]: which file failed, and what became of those already replaced.
#[derive(Debug)]
pub struct CommitFailure {
    /// The file whose step failed (nothing of it was written).
    pub file: String,
    /// Why.
    pub error: WriteError,
    /// Files that were replaced and then given their old content back.
    pub restored: Vec<String>,
    /// Files that were replaced and could not be restored: they hold the fixed content.
    pub unrestored: Vec<(String, WriteError)>,
}

/// Test-only fault injection (debug builds): `COMPOSEGUARD_TEST_FAULT=rename:NAME` makes the
/// rename over the file named NAME fail, `restore:NAME` makes putting its old content back
/// fail, `edit:NAME` appends a line to it just before it is checked, as an editor saving
/// during the run would. Several are separated by commas.
#[cfg(debug_assertions)]
fn fault(kind: &str, target: &Path) -> bool {
    std::env::var("COMPOSEGUARD_TEST_FAULT").is_ok_and(|v| {
        v.split(',').any(|f| {
            f.split_once(':')
                .is_some_and(|(k, name)| k == kind && target.file_name().is_some_and(|n| n == name))
        })
    })
}

#[cfg(not(debug_assertions))]
fn fault(_: &str, _: &Path) -> bool {
    false
}

/// True when the target still holds exactly what was read.
fn unchanged(p: &Prepared) -> Result<bool, WriteError> {
    if fault("edit", &p.target) {
        let _ = fs::OpenOptions::new()
            .append(true)
            .open(&p.target)
            .and_then(|mut f| f.write_all(b"# edited during the run\n"));
    }
    let Ok(meta) = fs::metadata(&p.target) else {
        return Ok(false);
    };
    if p.identity.is_some_and(|i| i != Identity::of(&meta)) {
        return Ok(false);
    }
    let limit = p.original.len() + 1;
    let mut now = Vec::new();
    File::open(&p.target)
        .and_then(|f| f.take(limit as u64).read_to_end(&mut now))
        .map_err(io_error("read the file again before replacing it"))?;
    Ok(now == p.original.as_bytes())
}

fn sync_folder(target: &Path) {
    // Make a rename durable where the platform allows opening a folder.
    if let Some(folder) = target.parent()
        && let Ok(dir) = File::open(folder)
    {
        let _ = dir.sync_all();
    }
}

fn replace(p: &Prepared) -> Result<(), WriteError> {
    if !unchanged(p)? {
        return Err(WriteError::Changed);
    }
    let renamed = if fault("rename", &p.target) {
        Err(io::Error::other(
            "injected failure (COMPOSEGUARD_TEST_FAULT)",
        ))
    } else {
        fs::rename(&p.temp, &p.target)
    };
    renamed.map_err(io_error("replace the file"))?;
    sync_folder(&p.target);
    Ok(())
}

/// Puts the content that was read back in place of a replaced file.
fn restore(p: &Prepared) -> Result<(), WriteError> {
    if fault("restore", &p.target) {
        return Err(WriteError::Io {
            what: "put the old content back",
            source: io::Error::other("injected failure (COMPOSEGUARD_TEST_FAULT)"),
        });
    }
    let folder = p.target.parent().unwrap_or(Path::new("."));
    let temp = temp_like(folder, p.original.as_bytes(), &p.metadata)?;
    temp.persist(&p.target)
        .map_err(|e| io_error("put the old content back")(e.error))?;
    sync_folder(&p.target);
    Ok(())
}

/// Replaces every target by its prepared content, in order, or none of them: on a failure,
/// the files already replaced get their old content back. Returns the names of the files
/// replaced.
pub fn commit(prepared: Vec<Prepared>) -> Result<Vec<String>, CommitFailure> {
    let mut done: Vec<Prepared> = Vec::new();
    for p in prepared {
        match replace(&p) {
            Ok(()) => done.push(p),
            Err(error) => {
                let mut restored = Vec::new();
                let mut unrestored = Vec::new();
                for p in done.iter().rev() {
                    match restore(p) {
                        Ok(()) => restored.push(p.display.clone()),
                        Err(e) => unrestored.push((p.display.clone(), e)),
                    }
                }
                for p in done {
                    // The renamed temporary path is the target now: keep it.
                    let _ = p.temp.keep();
                }
                return Err(CommitFailure {
                    file: p.display.clone(),
                    error,
                    restored,
                    unrestored,
                });
            }
        }
    }
    Ok(done
        .into_iter()
        .map(|p| {
            let _ = p.temp.keep();
            p.display
        })
        .collect())
}
