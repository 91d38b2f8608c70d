//! Projects: the files Compose merges into one model (`compose.yaml` and
//! `compose.override.yaml`, `-f a.yaml -f b.yaml`, the files `include:` names, the files a
//! service `extends`), checked and fixed together.
//!
//! The rules see each service as Compose builds it from every file, and each fix lands in one
//! file: the one that already sets the key for that service, else the one that sets its image,
//! else the first that defines it. So the merged project gets a control once (two files that
//! each added `security_opt: [no-new-privileges:true]` would give Compose a duplicate it
//! rejects), and a fix that depends on the image knows the image even when another file names
//! it.
//!
//! How: the files are joined into one YAML stream (each file's documents after the previous
//! file's, separated by `---`), which the engine checks and fixes as it does a single file,
//! with a [`Layout`] saying which file and group each YAML document is of; the changes are then
//! split back per file. No edit crosses a file (edits stay inside the nodes of one document),
//! and every byte outside the edits of each file is kept.
//!
//! The library reads no file: the caller reads them (and the files [`references`] names) and
//! passes their text in.

use std::ops::Range;

use crate::compose::{Compose, Layout, Place};
use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::edit::{Edit, Fix, NewFile};
use crate::engine::Options;
use crate::error::Error;
use crate::fix::{FixOutcome, fix_with_layout};
use crate::lines::LineIndex;

/// One file of a project, as the caller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Its path as the caller names it (relative paths in the files are resolved against it,
    /// as text: `sub/../a.yaml` is `a.yaml`; see [`join`]).
    pub path: String,
    /// Its text.
    pub text: String,
    /// What the file is to the project.
    pub role: Role,
}

/// What a file is to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// One of the files Compose merges (`-f`, `COMPOSE_FILE`, the default file and its
    /// override), in merge order.
    Compose,
    /// A file an `include:` entry names; the number tells the entries apart (the files of one
    /// entry's `path: [a, b]` merge with each other, not with the including project).
    Included(usize),
    /// A file read only because a service `extends` one of its services: its services are
    /// not the project's and it is never changed.
    Extended,
}

/// What a file names that is part of its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// An `include:` entry's path (`number` groups the paths of one entry).
    Include {
        /// The entry's position among the file's `include:` entries.
        entry: usize,
    },
    /// An `extends: {file: ...}`.
    Extends,
}

/// A file named by a project file (see [`references`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The path, resolved against the naming file's path (see [`join`]).
    pub path: String,
    /// What names it.
    pub kind: ReferenceKind,
    /// 1-based line of the name in the naming file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// The outcome of [`fix_project`]: one [`FixOutcome`] per file, in the order given (positions
/// in each refer to that file's text), and what the project's fixes need written.
#[derive(Debug, Clone)]
pub struct ProjectOutcome {
    /// Each file's outcome. `files` of each is empty: see [`ProjectOutcome::new_files`].
    pub files: Vec<FixOutcome>,
    /// How many findings were fixed, over all passes and files.
    pub fixed: usize,
    /// How many passes ran.
    pub passes: usize,
    /// Files the applied fixes need (secret files, env-file lines), relative to the project's
    /// folder (the first file's).
    pub new_files: Vec<NewFile>,
}

/// Why a project could not be checked or fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct ProjectError {
    /// The file the error is in (an index into the files given), when it is in one; the
    /// error's line and column refer to that file.
    pub file: Option<usize>,
    /// What went wrong.
    pub error: Error,
}

impl ProjectError {
    fn in_file(file: usize, error: Error) -> ProjectError {
        ProjectError {
            file: Some(file),
            error,
        }
    }
}

/// Joins a relative path to the folder of `file`, as text (`..` and `.` resolved, `//`
/// collapsed); an absolute path stays as it is, normalised. Callers name files the same way,
/// so a path written in a file and the caller's path of that file compare equal.
pub fn join(file: &str, relative: &str) -> String {
    let joined = if relative.starts_with('/') {
        relative.to_owned()
    } else {
        match file.rfind('/') {
            Some(i) => format!("{}/{relative}", &file[..i]),
            None => relative.to_owned(),
        }
    };
    normalize(&joined)
}

/// A path with `.` and `..` resolved as text and repeated `/` collapsed.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(last) if *last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (absolute, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

/// The files `text` (the file at `path`) names that belong to its project: each `include:`
/// path and each service's `extends: {file: ...}`, resolved against `path`, in source order.
/// Paths with a variable (`${DIR}/x.yaml`) are interpolated with `options.environment`; one
/// that cannot be is left out (Compose would refuse the project; `check` says so).
pub fn references(path: &str, text: &str, options: &Options) -> Result<Vec<Reference>, Error> {
    let doc = Document::parse_with_limits(text, &options.limits)?;
    let compose = Compose::new(&doc)?;
    let value = |name: &str| {
        let found = options.environment.iter().rev().find(|(n, _)| n == name);
        found.map(|(_, v)| v.clone())
    };
    let resolve = |raw: &str| -> Option<String> {
        if raw.contains('$') {
            crate::interpolation::interpolate(raw, &value)
        } else {
            Some(raw.to_owned())
        }
    };
    let mut out = Vec::new();
    let push = |node, kind, out: &mut Vec<Reference>| {
        if let Some(raw) = doc.scalar(node)
            && let Some(resolved) = resolve(raw)
            && !resolved.is_empty()
        {
            let pos = doc.lines().position(text, doc.node(node).start);
            out.push(Reference {
                path: join(path, &resolved),
                kind,
                line: pos.line,
                column: pos.column,
            });
        }
    };
    let mut entry = 0;
    for (_, root) in compose.roots() {
        if let Some((_, include)) = doc.own_entry(root, "include")
            && let Some(items) = doc.as_sequence(doc.resolve(include))
        {
            for item in items {
                let kind = ReferenceKind::Include { entry };
                entry += 1;
                let item = doc.resolve(*item);
                if doc.scalar(item).is_some() {
                    push(item, kind, &mut out);
                    continue;
                }
                let Some((_, paths)) = doc.own_entry(item, "path") else {
                    continue;
                };
                let paths = doc.resolve(paths);
                match doc.as_sequence(paths) {
                    Some(list) => {
                        for p in list {
                            push(doc.resolve(*p), kind, &mut out);
                        }
                    }
                    None => push(paths, kind, &mut out),
                }
            }
        }
    }
    for service in compose.services() {
        for part in &service.parts {
            if let Some(body) = part.body
                && let Some(extends) = compose.get(body, "extends")
                && doc.as_mapping(extends.resolved).is_some()
                && let Some(file) = compose.get(extends.resolved, "file")
            {
                push(file.resolved, ReferenceKind::Extends, &mut out);
            }
        }
    }
    Ok(out)
}

/// Where each file sits in the joined text.
struct Joined {
    text: String,
    /// Per file: its byte range in `text`, and the length of the BOM left out of it.
    spans: Vec<(Range<usize>, usize)>,
    layout: Layout,
}

impl Joined {
    /// The file a byte offset of the joined text is in (an offset at a file's end is in it).
    fn file_at(&self, offset: usize) -> usize {
        self.spans
            .iter()
            .position(|(r, _)| offset <= r.end)
            .unwrap_or(self.spans.len().saturating_sub(1))
    }

    /// An offset of the joined text as an offset of file `file`.
    fn local(&self, file: usize, offset: usize) -> usize {
        let (range, bom) = &self.spans[file];
        offset.clamp(range.start, range.end) - range.start + bom
    }
}

/// Joins the files into one YAML stream and says which file and group each of its YAML
/// documents is of. Each file is parsed alone first, so that its errors point into it.
fn join_files(files: &[ProjectFile], options: &Options) -> Result<Joined, ProjectError> {
    let mut text = String::new();
    let mut spans = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let doc = Document::parse_with_limits(&file.text, &options.limits)
            .map_err(|e| ProjectError::in_file(i, e))?;
        if !matches!(file.role, Role::Extended) {
            Compose::new(&doc).map_err(|e| ProjectError::in_file(i, e))?;
        }
        let body = file.text.strip_prefix('\u{feff}').unwrap_or(&file.text);
        if i > 0 && body.trim_start().starts_with('%') {
            // A directive may only follow a document end marker; such files are rare.
            return Err(ProjectError::in_file(
                i,
                Error::Syntax {
                    line: 1,
                    column: 1,
                    message: "a YAML directive (`%YAML`, `%TAG`) in a file merged after another is not supported; remove it (Compose files need none)".into(),
                },
            ));
        }
        let start = text.len();
        text.push_str(body);
        spans.push((start..text.len(), file.text.len() - body.len()));
        if !text.ends_with('\n') && !text.ends_with('\r') {
            text.push('\n');
        }
        text.push_str("---\n");
    }
    let joined_doc =
        Document::parse_with_limits(&text, &options.limits).map_err(|e| ProjectError {
            file: None,
            error: e,
        })?;
    // Each YAML document of the joined text is of the file its root starts in; an empty one
    // (the separator before a file that starts with `---`) defines nothing.
    let places = joined_doc
        .documents()
        .iter()
        .map(|d| match d.root {
            Some(root) => {
                let at = joined_doc.node(root).start;
                let file = spans
                    .iter()
                    .position(|(r, _)| at < r.end)
                    .unwrap_or(files.len().saturating_sub(1));
                Place {
                    file,
                    group: match files[file].role {
                        Role::Compose | Role::Extended => 0,
                        Role::Included(entry) => entry + 1,
                    },
                    services: !matches!(files[file].role, Role::Extended),
                }
            }
            None => Place {
                file: 0,
                group: usize::MAX,
                services: false,
            },
        })
        .collect();
    let layout = Layout {
        documents: places,
        paths: files.iter().map(|f| normalize(&f.path)).collect(),
    };
    Ok(Joined {
        text,
        spans,
        layout,
    })
}

/// Refuses a project where an included file defines a service the project (or another
/// included file) defines too: Compose refuses it.
fn check_conflicts(
    joined: &Joined,
    files: &[ProjectFile],
    options: &Options,
) -> Result<(), ProjectError> {
    let doc =
        Document::parse_with_limits(&joined.text, &options.limits).map_err(|e| ProjectError {
            file: None,
            error: e,
        })?;
    let compose = Compose::with_layout(&doc, Some(&joined.layout)).map_err(|e| ProjectError {
        file: None,
        error: e,
    })?;
    let services = compose.services();
    for (i, a) in services.iter().enumerate() {
        let group = compose.place(a.parts[0].document).group;
        if let Some(b) = services[..i]
            .iter()
            .find(|b| b.name == a.name && compose.place(b.parts[0].document).group != group)
        {
            let file = joined.file_at(doc.node(a.parts[0].key).start);
            let other = joined.file_at(doc.node(b.parts[0].key).start);
            let local = joined.local(file, doc.node(a.parts[0].key).start);
            let pos = LineIndex::new(&files[file].text).position(&files[file].text, local);
            return Err(ProjectError::in_file(
                file,
                Error::ServiceConflict {
                    service: a.name.clone(),
                    other: files[other].path.clone(),
                    line: pos.line,
                    column: pos.column,
                },
            ));
        }
    }
    Ok(())
}

/// Moves a finding of the joined text into file `file`'s text.
fn localize(joined: &Joined, file: usize, text: &str, lines: &LineIndex, d: &mut Diagnostic) {
    let start = joined.local(file, d.range.start);
    let end = joined.local(file, d.range.end).max(start);
    d.range = start..end;
    d.start = lines.position(text, start);
    d.end = lines.position(text, end);
    if let Some(fix) = &d.fix {
        d.fix = Some(fix.map_edits(|e| {
            let r = e.range();
            Edit::replacement(
                joined.local(file, r.start)..joined.local(file, r.end),
                e.content(),
            )
        }));
    }
}

/// Splits findings of the joined text per file (a finding goes to the file its range starts
/// in), with positions in that file.
fn split_diagnostics(
    joined: &Joined,
    texts: &[&str],
    diagnostics: Vec<Diagnostic>,
) -> Vec<Vec<Diagnostic>> {
    let lines: Vec<LineIndex> = texts.iter().map(|t| LineIndex::new(t)).collect();
    let mut out: Vec<Vec<Diagnostic>> = vec![Vec::new(); texts.len()];
    for mut d in diagnostics {
        let file = joined.file_at(d.range.start);
        localize(joined, file, texts[file], &lines[file], &mut d);
        out[file].push(d);
    }
    out
}

/// Checks a project: every finding, per file (in the order given), positions in that file.
pub fn check_project(
    files: &[ProjectFile],
    options: &Options,
) -> Result<Vec<Vec<Diagnostic>>, ProjectError> {
    let joined = join_files(files, options)?;
    check_conflicts(&joined, files, options)?;
    let doc =
        Document::parse_with_limits(&joined.text, &options.limits).map_err(|e| ProjectError {
            file: None,
            error: e,
        })?;
    let diagnostics =
        crate::engine::run_rules(&doc, options, Some(&joined.layout)).map_err(|e| {
            ProjectError {
                file: None,
                error: e,
            }
        })?;
    let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    Ok(split_diagnostics(&joined, &texts, diagnostics))
}

/// Fixes a project: the fixes of every file, placed so that the merged project gets each
/// control once; each file's new text and changes (a file read only for `extends` never
/// changes). All or nothing: an error in any file fixes none.
pub fn fix_project(
    files: &[ProjectFile],
    options: &Options,
) -> Result<ProjectOutcome, ProjectError> {
    let joined = join_files(files, options)?;
    check_conflicts(&joined, files, options)?;
    let outcome =
        fix_with_layout(&joined.text, options, Some(&joined.layout)).map_err(|e| ProjectError {
            file: None,
            error: e,
        })?;
    // The changes, per file, in each file's offsets.
    let mut changes: Vec<Vec<Edit>> = vec![Vec::new(); files.len()];
    for change in &outcome.changes {
        let range = change.range();
        let file = joined.file_at(range.start);
        let span = &joined.spans[file].0;
        if range.end > span.end || range.start < span.start {
            return Err(ProjectError {
                file: Some(file),
                error: Error::FixBroke {
                    detail: "a fix crossed the end of a file".into(),
                },
            });
        }
        if matches!(files[file].role, Role::Extended) {
            return Err(ProjectError {
                file: Some(file),
                error: Error::FixBroke {
                    detail: "a fix changed a file read only for `extends`".into(),
                },
            });
        }
        changes[file].push(Edit::replacement(
            joined.local(file, range.start)..joined.local(file, range.end),
            change.content(),
        ));
    }
    // Where each file starts in the joined output: its input start moved by the changes of
    // the files before it.
    let mut outputs: Vec<String> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        outputs.push(crate::diff::apply_changes(&file.text, &changes[i]));
    }
    let mut output_spans: Vec<(Range<usize>, usize)> = Vec::new();
    let mut shift: isize = 0;
    for (i, (range, bom)) in joined.spans.iter().enumerate() {
        let grown = outputs[i].len() as isize - files[i].text.len() as isize;
        let start = (range.start as isize + shift) as usize;
        output_spans.push((start..(range.end as isize + shift + grown) as usize, *bom));
        shift += grown;
    }
    let out_joined = Joined {
        text: outcome.output.clone(),
        spans: output_spans,
        layout: joined.layout.clone(),
    };
    let inputs: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    let output_texts: Vec<&str> = outputs.iter().map(String::as_str).collect();
    let diagnostics = split_diagnostics(&joined, &inputs, outcome.diagnostics);
    let remaining = split_diagnostics(&out_joined, &output_texts, outcome.remaining);
    let mut per_file = Vec::new();
    for ((output, changes), (diagnostics, remaining)) in outputs
        .iter()
        .zip(changes)
        .zip(diagnostics.into_iter().zip(remaining))
    {
        per_file.push(FixOutcome {
            output: output.clone(),
            fixed: diagnostics.len().saturating_sub(remaining.len()),
            diagnostics,
            remaining,
            passes: outcome.passes,
            files: Vec::new(),
            secrets: outcome.secrets.clone(),
            changes,
        });
    }
    Ok(ProjectOutcome {
        files: per_file,
        fixed: outcome.fixed,
        passes: outcome.passes,
        new_files: outcome.files,
    })
}

impl Fix {
    /// The same fix with each edit mapped (to move it into another text's offsets).
    pub(crate) fn map_edits(&self, f: impl Fn(&Edit) -> Edit) -> Fix {
        let edits: Vec<Edit> = self.edits().iter().map(f).collect();
        Fix::rebuilt(self, edits)
    }
}
