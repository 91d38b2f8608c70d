//! Projects as `docker compose` finds them: `-f` files (or `COMPOSE_FILE`) in order, else a
//! folder's default file with its `compose.override.yaml`, plus every file they `include` or
//! `extends` from. A folder scan groups the files it finds into projects; a file another file
//! of the scan includes or extends from is part of that project, not one of its own.

use std::path::{Path, PathBuf};

use composeguard::project::{self, ProjectFile, ReferenceKind, Role};

use crate::files::{self, DEFAULT_NAMES, Failure, Identity, Input};

/// The override file names Compose looks for after a default file, in its order (any of
/// them goes with any default name).
fn override_names(_default: &str) -> [String; 4] {
    [
        "compose.override.yaml",
        "compose.override.yml",
        "docker-compose.override.yaml",
        "docker-compose.override.yml",
    ]
    .map(str::to_owned)
}

/// One file of a project: where it is, and what it is to the project.
#[derive(Debug)]
pub struct Member {
    /// The file.
    pub input: Input,
    /// Merged, included or read for `extends`.
    pub role: Role,
}

/// The files of one project, the merged ones first, in Compose's order.
#[derive(Debug)]
pub struct Project {
    /// Its files as found so far (included and extended files are added by [`load`]).
    pub members: Vec<Member>,
    /// Where `.env` is read from (`--project-directory`, else the first file's folder).
    pub directory: Option<PathBuf>,
}

impl Project {
    /// The project's folder, where its `.env` and lock file are: `--project-directory`, else
    /// the first file's folder; None for standard input.
    pub fn folder(&self) -> Option<PathBuf> {
        self.directory
            .clone()
            .or_else(|| self.members[0].input.folder())
    }
}

/// A project's files as read.
pub struct LoadedProject {
    /// The files, in the project's order.
    pub members: Vec<Member>,
    /// Each member's text.
    pub texts: Vec<String>,
    /// Each member's identity on disk when read.
    pub identities: Vec<Option<Identity>>,
    /// The first member's text as parsed to find what it names, for a single file's fix to
    /// take instead of parsing it again (taken by the first fix).
    pub parsed: std::sync::Mutex<Option<composeguard::Document>>,
}

impl LoadedProject {
    /// The files as the library takes them.
    pub fn files(&self) -> Vec<ProjectFile> {
        self.members
            .iter()
            .zip(&self.texts)
            .map(|(m, t)| ProjectFile {
                path: library_path(&m.input.path),
                text: t.clone(),
                role: m.role,
            })
            .collect()
    }

    /// True when the project is one file that names no other: it is checked as a file.
    pub fn is_single(&self) -> bool {
        self.members.len() == 1
    }
}

/// A path as the library compares it (text, `.` and `..` resolved).
fn library_path(path: &Path) -> String {
    project::normalize(&path.to_string_lossy())
}

fn input(path: PathBuf, display: String) -> Member {
    Member {
        input: Input { path, display },
        role: Role::Compose,
    }
}

fn shown(path: &Path) -> String {
    let shown = path.display().to_string();
    shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown)
}

/// The `COMPOSE_FILE` list, split as Compose splits it.
fn compose_file_variable() -> Option<Vec<PathBuf>> {
    let value = std::env::var("COMPOSE_FILE")
        .ok()
        .filter(|v| !v.is_empty())?;
    let separator = std::env::var("COMPOSE_PATH_SEPARATOR")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ":".to_owned());
    Some(
        value
            .split(separator.as_str())
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect(),
    )
}

/// The default file of a folder and its override, as `docker compose` picks them (the first
/// default name present, then its override).
fn default_project(folder: &Path, display_relative: bool) -> Option<Vec<Member>> {
    let name = DEFAULT_NAMES.iter().find(|n| folder.join(n).is_file())?;
    let mut members = Vec::new();
    let mut add = |name: &str| {
        let path = folder.join(name);
        let display = if display_relative {
            shown(&path)
        } else {
            name.to_owned()
        };
        members.push(input(path, display));
    };
    add(name);
    if let Some(o) = override_names(name)
        .iter()
        .find(|o| folder.join(o.as_str()).is_file())
    {
        add(o);
    }
    Some(members)
}

/// Turns the command line into projects: `-f` files (one project), else the paths (each file
/// a project; each folder searched and its files grouped), else `COMPOSE_FILE`, else the
/// current folder's default file and its override.
pub fn collect(
    paths: &[PathBuf],
    files_flag: &[PathBuf],
    directory: Option<&Path>,
) -> Result<Vec<Project>, files::CollectError> {
    let directory = directory.map(Path::to_path_buf);
    let listed = if !files_flag.is_empty() {
        Some(files_flag.to_vec())
    } else if paths.is_empty() {
        compose_file_variable()
    } else {
        None
    };
    if let Some(list) = listed {
        let mut members = Vec::new();
        for path in list {
            let path = match &directory {
                Some(d) if path.is_relative() && path.as_os_str() != "-" => d.join(path),
                _ => path,
            };
            if path.as_os_str() != "-" && !path.is_file() {
                return Err(files::CollectError::Missing(path));
            }
            let display = if path.as_os_str() == "-" {
                "-".to_owned()
            } else {
                shown(&path)
            };
            if !members.iter().any(|m: &Member| m.input.path == path) {
                members.push(input(path, display));
            }
        }
        return Ok(vec![Project { members, directory }]);
    }
    if paths.is_empty() {
        let folder = directory.clone().unwrap_or_else(|| PathBuf::from("."));
        let members = default_project(&folder, directory.is_some()).ok_or(
            files::CollectError::NoComposeFile {
                folder: folder.clone(),
                looked: DEFAULT_NAMES.join(", "),
            },
        )?;
        return Ok(vec![Project { members, directory }]);
    }
    let mut projects = Vec::new();
    for found in files::collect(paths)? {
        projects.push(Project {
            members: vec![Member {
                input: found,
                role: Role::Compose,
            }],
            directory: directory.clone(),
        });
    }
    // A folder's default file and its override are one project, as Compose loads them: the
    // override joins its default file's project (whatever order the scan found them in).
    let name_of = |p: &Project| {
        p.members[0]
            .input
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let folder_of = |p: &Project| {
        p.members[0]
            .input
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let mut grouped: Vec<Project> = Vec::new();
    let mut overrides: Vec<Project> = Vec::new();
    for p in projects {
        let name = name_of(&p);
        if DEFAULT_NAMES
            .iter()
            .any(|d| override_names(d).contains(&name))
        {
            overrides.push(p);
        } else {
            grouped.push(p);
        }
    }
    for o in overrides {
        let (folder, name) = (folder_of(&o), name_of(&o));
        let base = grouped.iter_mut().find(|g| {
            folder_of(g) == folder
                && DEFAULT_NAMES.contains(&name_of(g).as_str())
                && override_names(&name_of(g)).contains(&name)
                && g.members.len() == 1
        });
        match base {
            Some(g) => g.members.extend(o.members),
            None => grouped.push(o),
        }
    }
    Ok(grouped)
}

/// Why a project could not be read.
pub struct LoadFailure {
    /// The file it is about (as shown).
    pub display: String,
    /// What went wrong.
    pub failure: Failure,
}

impl LoadFailure {
    /// Where (`file:line:column` when the error has a position) and what.
    pub fn located(&self) -> (String, String) {
        crate::commands::located(&self.display, &self.failure)
    }
}

/// Reads a project's files and, recursively, every file they `include` or `extends` from
/// (resolved against the file that names it; a file already in the project is not read
/// again). `environment` interpolates paths with variables.
pub fn load(
    project: &Project,
    limit: usize,
    options: &composeguard::Options,
) -> Result<LoadedProject, LoadFailure> {
    let mut members: Vec<Member> = project
        .members
        .iter()
        .map(|m| Member {
            input: m.input.clone(),
            role: m.role,
        })
        .collect();
    let mut texts: Vec<String> = Vec::new();
    let mut identities = Vec::new();
    let mut parsed = None;
    let mut include_entries = 0;
    let mut i = 0;
    while i < members.len() {
        let failure = |display: &str, failure| LoadFailure {
            display: display.to_owned(),
            failure,
        };
        let loaded = members[i]
            .input
            .read(limit)
            .map_err(|e| failure(&members[i].input.display, e))?;
        let references = if members[i].input.is_stdin() {
            Vec::new()
        } else {
            let lib = |e| failure(&members[i].input.display, Failure::Lib(e));
            let doc = composeguard::Document::parse_with_limits(&loaded.text, &options.limits)
                .map_err(lib)?;
            let found =
                project::references_in(&library_path(&members[i].input.path), &doc, options)
                    .map_err(lib)?;
            if i == 0 {
                parsed = Some(doc);
            }
            found
        };
        let base_entries = include_entries;
        for r in references {
            let path = PathBuf::from(&r.path);
            if members
                .iter()
                .any(|m| library_path(&m.input.path) == r.path)
            {
                continue;
            }
            if !path.is_file() {
                let what = match r.kind {
                    ReferenceKind::Include { .. } => "included",
                    ReferenceKind::Extends => "extended",
                };
                return Err(failure(
                    &format!("{}:{}:{}", members[i].input.display, r.line, r.column),
                    Failure::Referenced {
                        what,
                        path: r.path.clone(),
                    },
                ));
            }
            let role = match r.kind {
                ReferenceKind::Include { entry } => {
                    include_entries = include_entries.max(base_entries + entry + 1);
                    Role::Included(base_entries + entry)
                }
                ReferenceKind::Extends => Role::Extended,
            };
            members.push(Member {
                input: Input {
                    display: shown(&path),
                    path,
                },
                role,
            });
        }
        texts.push(loaded.text);
        identities.push(loaded.identity);
        i += 1;
    }
    Ok(LoadedProject {
        members,
        texts,
        identities,
        parsed: std::sync::Mutex::new(parsed),
    })
}

/// True when `project` is one file that another of `all` includes or extends from: it is
/// checked and fixed there, with the file that names it.
pub fn part_of_another(project: &LoadedProject, all: &[&LoadedProject]) -> bool {
    let own: Vec<&Member> = project
        .members
        .iter()
        .filter(|m| m.role == Role::Compose)
        .collect();
    own.len() == 1
        && all.iter().any(|other| {
            other
                .members
                .iter()
                .filter(|m| m.role != Role::Compose)
                .any(|m| canonical(&m.input.path) == canonical(&own[0].input.path))
        })
}

/// Drops the projects of a folder scan that are a file another project includes or extends
/// from (it is checked and fixed there, with the file that names it).
pub fn without_members_of_others<T>(
    loaded: Vec<(T, Result<LoadedProject, LoadFailure>)>,
) -> Vec<(T, Result<LoadedProject, LoadFailure>)> {
    let all: Vec<&LoadedProject> = loaded.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
    let drop: Vec<bool> = loaded
        .iter()
        .map(|(_, r)| r.as_ref().is_ok_and(|p| part_of_another(p, &all)))
        .collect();
    loaded
        .into_iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(l, _)| l)
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
