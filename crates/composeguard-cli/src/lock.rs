//! The image lock file, `composeguard.lock` beside a project's compose file: the facts about
//! its images that the fixes used, so that CI and teammates get the same fixes offline.
//!
//! `composeguard images lock` writes each image's own config (from the local engine, else a
//! registry); `composeguard learn` adds what it saw the image do while it ran. `check`, `fix`
//! and `verify` read it (unless `--no-lock`) and pass its facts to the library, which puts
//! them before its own table. It is TOML, sorted by reference, meant to be reviewed and
//! committed like code.

use std::path::{Path, PathBuf};

use composeguard::images::ImageFacts;
use serde::{Deserialize, Serialize};

use crate::image_config::{ImageConfig, Origin};

/// The file's name, in the project's folder.
pub const FILE_NAME: &str = "composeguard.lock";

/// The version this build writes and reads.
pub const VERSION: u32 = 1;

const HEADER: &str = "\
# composeguard image lock: facts about this project's images that its fixes use.
# Written by `composeguard images lock` (each image's own config) and `composeguard learn`
# (what each image did while it ran). Review changes to it like code; commit it so that CI and
# teammates get the same fixes without an engine or a registry.
";

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// The format's version.
    pub version: u32,
    /// One entry per image reference.
    #[serde(default, rename = "image", skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Locked>,
}

/// The facts about one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locked {
    /// The reference, as the services name it once interpolated.
    pub reference: String,
    /// Where the config came from.
    pub from: Origin,
    /// The image's own config.
    pub config: ImageConfig,
    /// What `learn` saw it do, if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<Learned>,
}

/// What `composeguard learn` saw an image's services do while they ran (the original stack,
/// as written, fresh volumes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learned {
    /// The services observed.
    pub services: Vec<String>,
    /// How long each was watched, in seconds.
    pub seconds: u64,
    /// The users its processes ran as (`docker top`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// The capabilities it needed under `cap_drop: [ALL]` (found by starting it with fewer);
    /// absent when not learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<Vec<String>>,
    /// The folders it wrote outside its volumes (`docker diff`): a tmpfs each under
    /// `read_only: true`.
    #[serde(default)]
    pub writes: Vec<String>,
    /// Paths it changed in place where a tmpfs cannot go (a file of `/etc`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writes_in_place: Vec<String>,
    /// The ports it listened on (`5432/tcp`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listens: Vec<String>,
    /// The most memory it used, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_peak: Option<u64>,
    /// The most processes and threads it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids_peak: Option<u64>,
    /// The most CPU it used, in percent of one CPU: recorded, not used for a limit (a short
    /// run at rest says nothing of the CPU a service needs under load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_peak: Option<f64>,
}

/// Why a lock file cannot be used (printed after its path, and its line and column).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// It cannot be read.
    #[error("cannot read the lock file: {0}")]
    Read(#[source] std::io::Error),
    /// It is not a lock file this build reads.
    #[error(
        "{message}; correct the lock file, or delete it and run `composeguard images lock` again"
    )]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer composeguard.
    #[error(
        "lock file version {found}, this composeguard reads version {VERSION}; upgrade composeguard or run `composeguard images lock` again"
    )]
    Version {
        /// The version it says.
        found: u32,
    },
}

impl crate::commands::Located for LockError {
    fn position(&self) -> Option<(usize, usize)> {
        match self {
            LockError::Parse { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

/// The lock file of a project whose folder is `folder`.
pub fn path_in(folder: &Path) -> PathBuf {
    folder.join(FILE_NAME)
}

impl LockFile {
    /// Parses a lock file's text.
    pub fn parse(text: &str) -> Result<LockFile, LockError> {
        let lock: LockFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                (line, column)
            });
            LockError::Parse {
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        if lock.version != VERSION {
            return Err(LockError::Version {
                found: lock.version,
            });
        }
        Ok(lock)
    }

    /// Reads the lock file at `path`; None when there is none.
    pub fn read(path: &Path) -> Result<Option<LockFile>, LockError> {
        match std::fs::read_to_string(path) {
            Ok(text) => LockFile::parse(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LockError::Read(e)),
        }
    }

    /// The text to write: the header, then the entries sorted by reference.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.images.sort_by(|a, b| a.reference.cmp(&b.reference));
        let body = toml::to_string(&sorted).expect("a lock file serializes");
        format!("{HEADER}\n{body}")
    }

    /// The entry of a reference.
    pub fn get(&self, reference: &str) -> Option<&Locked> {
        self.images.iter().find(|l| l.reference == reference)
    }

    /// The entry of a reference with this config (what `learn` recorded is kept), made when
    /// missing.
    pub fn set(&mut self, reference: &str, from: Origin, config: ImageConfig) -> &mut Locked {
        match self.images.iter().position(|l| l.reference == reference) {
            Some(i) => {
                let entry = &mut self.images[i];
                entry.from = from;
                entry.config = config;
                entry
            }
            None => {
                self.images.push(Locked {
                    reference: reference.to_owned(),
                    from,
                    config,
                    learned: None,
                });
                self.images.last_mut().expect("just pushed")
            }
        }
    }

    /// The facts the library takes.
    pub fn facts(&self) -> Vec<ImageFacts> {
        self.images.iter().map(Locked::facts).collect()
    }
}

impl Locked {
    /// This entry's facts, as the library takes them.
    pub fn facts(&self) -> ImageFacts {
        let learned = self.learned.as_ref();
        ImageFacts {
            reference: self.reference.clone(),
            user: self.config.user.clone(),
            volumes: self.config.volumes.clone(),
            caps: learned.and_then(|l| l.caps.clone()),
            writes: learned.map(|l| l.writes.clone()),
            writes_in_place: learned
                .map(|l| l.writes_in_place.clone())
                .unwrap_or_default(),
            memory_peak: learned.and_then(|l| l.memory_peak),
            pids_peak: learned.and_then(|l| l.pids_peak),
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file in the same folder, then a rename).
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(folder)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LockFile {
        let mut lock = LockFile {
            version: VERSION,
            images: Vec::new(),
        };
        lock.set(
            "redis:7",
            Origin::Engine,
            ImageConfig {
                digest: Some("sha256:1".into()),
                volumes: vec!["/data".into()],
                exposed_ports: vec!["6379/tcp".into()],
                ..ImageConfig::default()
            },
        );
        let api = lock.set(
            "ghcr.io/acme/api:1.4",
            Origin::Registry,
            ImageConfig {
                user: Some("1000".into()),
                ..ImageConfig::default()
            },
        );
        api.learned = Some(Learned {
            services: vec!["api".into()],
            seconds: 20,
            users: vec!["1000".into()],
            caps: Some(Vec::new()),
            writes: vec!["/var/cache/api".into()],
            memory_peak: Some(12_345_678),
            pids_peak: Some(7),
            ..Learned::default()
        });
        lock
    }

    #[test]
    fn round_trips_sorted_with_its_header() {
        let lock = sample();
        let text = lock.to_text();
        assert!(text.starts_with("# composeguard image lock"));
        let back = LockFile::parse(&text).unwrap();
        assert_eq!(back.images.len(), 2);
        assert_eq!(back.images[0].reference, "ghcr.io/acme/api:1.4");
        assert_eq!(back.get("redis:7"), lock.get("redis:7"));
        assert_eq!(
            back.get("ghcr.io/acme/api:1.4"),
            lock.get("ghcr.io/acme/api:1.4")
        );
        assert_eq!(back.to_text(), text, "a second write changes nothing");
        let facts = back.facts();
        assert_eq!(facts[0].caps.as_deref(), Some(&[][..]));
        assert_eq!(
            facts[0].writes.as_deref(),
            Some(&["/var/cache/api".to_owned()][..])
        );
        assert_eq!(facts[1].writes, None, "redis was not learned");
        assert_eq!(facts[1].volumes, ["/data"]);
    }

    #[test]
    fn bad_files_say_where_and_what_to_do() {
        let e = LockFile::parse("version = 1\n[[image]]\nreference = 3\n").unwrap_err();
        let (at, text) = crate::commands::located("x.lock", &e);
        assert!(at.starts_with("x.lock:3:"), "{at}");
        assert!(text.contains("composeguard images lock"), "{text}");
        let e = LockFile::parse("version = 1\nextra = true\n").unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
        let e = LockFile::parse("version = 9\n").unwrap_err();
        assert!(matches!(e, LockError::Version { found: 9, .. }), "{e}");
    }
}
