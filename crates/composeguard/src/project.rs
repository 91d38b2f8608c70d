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

use crate::compose::{Compose, Layout, Part, Place};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, MapTarget, NodeId, NodeKind, QuoteStyle};
use crate::edit::{Edit, Fix, NewFile};
use crate::engine::Options;
use crate::error::Error;
use crate::fix::{FixOutcome, fix_with_layout};
use crate::lines::LineIndex;
use crate::style::Style;
use crate::writer::{NewValue, insert_entries};

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
    pub error: ProjectFault,
}

/// What is wrong with a project: an error in one of its files, or something Compose refuses
/// about the files together (each with the line and column of the definition concerned).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectFault {
    /// An error in one file (as [`crate::check()`] reports it).
    #[error(transparent)]
    File(#[from] Error),
    /// An included file defines a service that another file of the project defines too.
    #[error(
        "service `{service}` is defined here and in {other}; Compose refuses a project where an included file defines a service of the project: rename one of them"
    )]
    ServiceConflict {
        /// The service.
        service: String,
        /// The other file that defines it.
        other: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A service's `extends` chain comes back to it.
    #[error(
        "service `{service}` extends itself through its `extends` chain; Compose refuses the project: make the chain end at a service that extends nothing"
    )]
    ExtendsCycle {
        /// The service.
        service: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// No file of the project gives a service an image or a build.
    #[error(
        "service `{service}` has no `image` or `build` in any file of the project; Compose refuses it: name its image (or the file that does, with -f), or remove the service"
    )]
    NoImage {
        /// The service.
        service: String,
        /// 1-based line of its first definition.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// `fix --into` met a change an override file cannot express.
    #[error(
        "--into cannot express the change of `{what}` in an override file ({why}); fix that file itself, or harden without --into (nothing was changed)"
    )]
    Inexpressible {
        /// The key, e.g. `services.web.logging`.
        what: String,
        /// Why not.
        why: String,
    },
}

impl ProjectFault {
    /// The 1-based (line, column) in its file this points at, if any.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ProjectFault::File(e) => e.position(),
            ProjectFault::ServiceConflict { line, column, .. }
            | ProjectFault::ExtendsCycle { line, column, .. }
            | ProjectFault::NoImage { line, column, .. } => Some((*line, *column)),
            ProjectFault::Inexpressible { .. } => None,
        }
    }
}

impl ProjectError {
    fn in_file(file: usize, error: impl Into<ProjectFault>) -> ProjectError {
        ProjectError {
            file: Some(file),
            error: error.into(),
        }
    }

    fn whole(error: impl Into<ProjectFault>) -> ProjectError {
        ProjectError {
            file: None,
            error: error.into(),
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
    references_in(path, &doc, options)
}

/// [`references`] of a document already parsed (it can then be fixed with
/// [`crate::fix_document`] without a second parse).
pub fn references_in(
    path: &str,
    doc: &Document,
    options: &Options,
) -> Result<Vec<Reference>, Error> {
    let compose = match Compose::new(doc) {
        // A file of comments only names nothing.
        Err(Error::Empty) => return Ok(Vec::new()),
        other => other?,
    };
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
            let pos = doc.lines().position(doc.source(), doc.node(node).start);
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
    /// `text`, parsed (once: the conflict checks and the rules read it).
    doc: Document,
    /// Where each file is in `text`.
    spans: Spans,
    layout: Layout,
}

/// Per file: its byte range in a joined text, and the length of the BOM left out of it.
struct Spans(Vec<(Range<usize>, usize)>);

impl Spans {
    /// The file a byte offset of the joined text is in (an offset at a file's end is in it).
    fn file_at(&self, offset: usize) -> usize {
        self.0
            .iter()
            .position(|(r, _)| offset <= r.end)
            .unwrap_or(self.0.len().saturating_sub(1))
    }

    /// An offset of the joined text as an offset of file `file`.
    fn local(&self, file: usize, offset: usize) -> usize {
        let (range, bom) = &self.0[file];
        offset.clamp(range.start, range.end) - range.start + bom
    }
}

/// Joins the files into one YAML stream and says which file and group each of its YAML
/// documents is of. Each file is parsed alone first, so that its errors point into it.
fn join_files(files: &[ProjectFile], options: &Options) -> Result<Joined, ProjectError> {
    let mut text = String::new();
    let mut spans = Vec::new();
    // Each `extends: {file: ...}` resolved to the file of the project it names.
    let paths: Vec<String> = files.iter().map(|f| normalize(&f.path)).collect();
    let mut extends = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let doc = Document::parse_with_limits(&file.text, &options.limits)
            .map_err(|e| ProjectError::in_file(i, e))?;
        let view = Compose::view(&doc);
        for service in view.services() {
            for part in &service.parts {
                let written = part
                    .body
                    .and_then(|b| view.get(b, "extends"))
                    .filter(|e| doc.as_mapping(e.resolved).is_some())
                    .and_then(|e| view.get(e.resolved, "file"))
                    .and_then(|f| doc.scalar(f.resolved));
                if let Some(written) = written
                    && let Some(to) = paths.iter().position(|p| *p == join(&file.path, written))
                {
                    extends.push((i, written.to_owned(), to));
                }
            }
        }
        if !matches!(file.role, Role::Extended) {
            match Compose::new(&doc) {
                // A file after the first with only comments adds nothing, as for Compose.
                Err(Error::Empty) if i > 0 => {}
                Err(e) => return Err(ProjectError::in_file(i, e)),
                Ok(_) => {}
            }
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
        Document::parse_with_limits(&text, &options.limits).map_err(ProjectError::whole)?;
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
        extends,
    };
    Ok(Joined {
        text,
        doc: joined_doc,
        spans: Spans(spans),
        layout,
    })
}

/// Refuses what Compose refuses in a project: a service whose `extends` chain comes back to
/// it, and an included file that defines a service the project (or another included file)
/// defines too.
fn check_conflicts(joined: &Joined, files: &[ProjectFile]) -> Result<(), ProjectError> {
    let doc = &joined.doc;
    let compose = Compose::with_layout(doc, Some(&joined.layout)).map_err(ProjectError::whole)?;
    let services = compose.services();
    // The file a definition's key is in, and its line and column there.
    let place = |part: &Part| {
        let at = doc.node(part.key).start;
        let file = joined.spans.file_at(at);
        let text = &files[file].text;
        (
            file,
            LineIndex::new(text).position(text, joined.spans.local(file, at)),
        )
    };
    for service in &services {
        if let Some(part) = service.parts.iter().find(|p| compose.extends_cycle(p)) {
            let (file, pos) = place(part);
            let service = service.name.clone();
            let (line, column) = (pos.line, pos.column);
            let fault = ProjectFault::ExtendsCycle {
                service,
                line,
                column,
            };
            return Err(ProjectError::in_file(file, fault));
        }
        // A service only an override defines (no `image` and no `build` in any file, nor
        // through `extends`): Compose refuses the project.
        let defines = |key| compose.service_get(service, key).found().is_some();
        if !defines("image") && !defines("build") && !defines("extends") {
            let (file, pos) = place(&service.parts[0]);
            let service = service.name.clone();
            let (line, column) = (pos.line, pos.column);
            let fault = ProjectFault::NoImage {
                service,
                line,
                column,
            };
            return Err(ProjectError::in_file(file, fault));
        }
    }
    for (i, a) in services.iter().enumerate() {
        let group = compose.place(a.parts[0].document).group;
        if let Some(b) = services[..i]
            .iter()
            .find(|b| b.name == a.name && compose.place(b.parts[0].document).group != group)
        {
            let (file, pos) = place(&a.parts[0]);
            let (other, _) = place(&b.parts[0]);
            let fault = ProjectFault::ServiceConflict {
                service: a.name.clone(),
                other: files[other].path.clone(),
                line: pos.line,
                column: pos.column,
            };
            return Err(ProjectError::in_file(file, fault));
        }
    }
    Ok(())
}

/// Moves a finding of the joined text into file `file`'s text.
fn localize(spans: &Spans, file: usize, text: &str, lines: &LineIndex, d: &mut Diagnostic) {
    let start = spans.local(file, d.range.start);
    let end = spans.local(file, d.range.end).max(start);
    d.range = start..end;
    d.start = lines.position(text, start);
    d.end = lines.position(text, end);
    if let Some(fix) = &d.fix {
        d.fix = Some(fix.map_edits(|e| {
            let r = e.range();
            Edit::replacement(
                spans.local(file, r.start)..spans.local(file, r.end),
                e.content(),
            )
        }));
    }
}

/// Splits findings of the joined text per file (a finding goes to the file its range starts
/// in), with positions in that file.
fn split_diagnostics(
    spans: &Spans,
    texts: &[&str],
    diagnostics: Vec<Diagnostic>,
) -> Vec<Vec<Diagnostic>> {
    let lines: Vec<LineIndex> = texts.iter().map(|t| LineIndex::new(t)).collect();
    let mut out: Vec<Vec<Diagnostic>> = vec![Vec::new(); texts.len()];
    for mut d in diagnostics {
        let file = spans.file_at(d.range.start);
        localize(spans, file, texts[file], &lines[file], &mut d);
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
    check_conflicts(&joined, files)?;
    let diagnostics = crate::engine::run_rules(&joined.doc, options, Some(&joined.layout))
        .map_err(ProjectError::whole)?;
    let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    Ok(split_diagnostics(&joined.spans, &texts, diagnostics))
}

/// Each service of a project with the image it runs, as Compose reads it (merged over the
/// files, `extends` followed, variables interpolated), in service order; a service whose image
/// is unset or cannot be resolved is left out. What `composeguard images lock` and `learn`
/// gather facts about.
pub fn service_images(
    files: &[ProjectFile],
    options: &Options,
) -> Result<Vec<(String, String)>, ProjectError> {
    let joined = join_files(files, options)?;
    let compose = crate::compose::Compose::with_layout(&joined.doc, Some(&joined.layout))
        .map_err(ProjectError::whole)?;
    let services = compose.services();
    let style = crate::style::Style::detect(&joined.doc);
    let cx =
        crate::context::Context::new(&joined.doc, compose, &services, &style, options, Vec::new());
    Ok(services
        .iter()
        .filter_map(|s| Some((s.name.clone(), cx.resolved_image(s)?)))
        .collect())
}

/// Fixes a project: the fixes of every file, placed so that the merged project gets each
/// control once; each file's new text and changes (a file read only for `extends` never
/// changes). All or nothing: an error in any file fixes none.
pub fn fix_project(
    files: &[ProjectFile],
    options: &Options,
) -> Result<ProjectOutcome, ProjectError> {
    let joined = join_files(files, options)?;
    check_conflicts(&joined, files)?;
    let outcome = fix_with_layout(&joined.text, options, Some(&joined.layout))
        .map_err(ProjectError::whole)?;
    // The changes, per file, in each file's offsets.
    let mut changes: Vec<Vec<Edit>> = vec![Vec::new(); files.len()];
    for change in &outcome.changes {
        let range = change.range();
        let file = joined.spans.file_at(range.start);
        let span = &joined.spans.0[file].0;
        if range.end > span.end || range.start < span.start {
            return Err(ProjectError {
                file: Some(file),
                error: Error::FixBroke {
                    detail: "a fix crossed the end of a file".into(),
                }
                .into(),
            });
        }
        if matches!(files[file].role, Role::Extended) {
            return Err(ProjectError {
                file: Some(file),
                error: Error::FixBroke {
                    detail: "a fix changed a file read only for `extends`".into(),
                }
                .into(),
            });
        }
        changes[file].push(Edit::replacement(
            joined.spans.local(file, range.start)..joined.spans.local(file, range.end),
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
    for (i, (range, bom)) in joined.spans.0.iter().enumerate() {
        let grown = outputs[i].len() as isize - files[i].text.len() as isize;
        let start = (range.start as isize + shift) as usize;
        output_spans.push((start..(range.end as isize + shift + grown) as usize, *bom));
        shift += grown;
    }
    let output_spans = Spans(output_spans);
    let inputs: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    let output_texts: Vec<&str> = outputs.iter().map(String::as_str).collect();
    let diagnostics = split_diagnostics(&joined.spans, &inputs, outcome.diagnostics);
    let remaining = split_diagnostics(&output_spans, &output_texts, outcome.remaining);
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
            secret_spans: None,
        });
    }
    // A secret defined in an included file of another folder is read from that folder
    // (Compose resolves an included file's paths against its own folder).
    let mut new_files = outcome.files;
    let folder = |path: &str| {
        path.rfind('/')
            .map_or(String::new(), |i| path[..i].to_owned())
    };
    let base = folder(&normalize(&files[0].path));
    for (file, out) in files.iter().zip(&per_file) {
        let dir = folder(&normalize(&file.path));
        if !matches!(file.role, Role::Included(_)) || dir == base {
            continue;
        }
        let relative = match dir.strip_prefix(&base) {
            Some(rest) if base.is_empty() => rest.to_owned(),
            Some(rest) if rest.starts_with('/') => rest[1..].to_owned(),
            _ => continue,
        };
        for new in &mut new_files {
            let written = format!("./{}", new.path);
            if new.kind == crate::edit::NewFileKind::Secret
                && out.changes.iter().any(|c| c.content().contains(&written))
            {
                new.path = format!("{relative}/{}", new.path);
            }
        }
    }
    Ok(ProjectOutcome {
        files: per_file,
        fixed: outcome.fixed,
        passes: outcome.passes,
        new_files,
    })
}

impl Fix {
    /// The same fix with each edit mapped (to move it into another text's offsets).
    pub(crate) fn map_edits(&self, f: impl Fn(&Edit) -> Edit) -> Fix {
        let edits: Vec<Edit> = self.edits().iter().map(f).collect();
        Fix::rebuilt(self, edits)
    }
}

/// A value the override file must set for the project to be hardened as [`fix_project`] would
/// harden its files.
struct Override {
    /// The service (None: a top-level key such as `secrets`).
    service: Option<String>,
    /// The key (for a top-level key: its entry, e.g. the secret's name, under `top`).
    key: String,
    /// For a top-level key, which one (`secrets`, `volumes`, ...).
    top: Option<String>,
    /// The value to write (None: `!reset null`, the key was removed).
    value: Option<NewValue>,
}

/// Why a change cannot be written as an override.
fn inexpressible(what: &str, why: &str) -> ProjectFault {
    ProjectFault::Inexpressible {
        what: what.to_owned(),
        why: why.to_owned(),
    }
}

/// A node as a value for the override file, in flow style, with aliases and `<<` merges
/// expanded (the override cannot reach another file's anchors); a tagged node is refused.
fn to_value(doc: &Document, id: NodeId, what: &str) -> Result<NewValue, ProjectFault> {
    let id = doc.resolve(id);
    let node = doc.node(id);
    if node.tag.is_some() {
        return Err(inexpressible(what, "it carries a tag"));
    }
    match &node.kind {
        NodeKind::Alias(_) => Err(inexpressible(what, "it holds an alias")),
        NodeKind::Scalar { value, style, .. } => match style {
            QuoteStyle::Block => Err(inexpressible(what, "it holds a block scalar")),
            QuoteStyle::Single | QuoteStyle::Double => Ok(NewValue::Raw(doc.text(id).to_owned())),
            QuoteStyle::Plain if value.contains([',', '[', ']', '{', '}']) => {
                Ok(NewValue::Scalar(value.to_string()))
            }
            QuoteStyle::Plain => Ok(NewValue::Raw(value.to_string())),
        },
        NodeKind::Sequence(items) => items
            .iter()
            .map(|i| to_value(doc, *i, what))
            .collect::<Result<Vec<_>, _>>()
            .map(NewValue::Seq),
        NodeKind::Mapping(_) => own_entries(doc, Some(id))
            .into_iter()
            .map(|(k, v)| Ok((k.to_owned(), to_value(doc, v, what)?)))
            .collect::<Result<Vec<_>, ProjectFault>>()
            .map(NewValue::Map),
    }
}

/// The effective entries of a mapping node (its own keys, then those it merges with `<<`), as
/// (key, value with aliases followed).
fn own_entries(doc: &Document, map: Option<NodeId>) -> Vec<(&str, NodeId)> {
    let Some(map) = map else { return Vec::new() };
    let map = doc.resolve(map);
    if doc.as_mapping(map).is_none() {
        return Vec::new();
    }
    let view = Compose::view(doc);
    let keys = view.keys(map);
    let mut out = Vec::new();
    for key in keys {
        if let Some(found) = view.get(map, &key) {
            let name = doc.scalar_key(found.key).unwrap_or_default();
            out.push((name, found.resolved));
        }
    }
    out
}

/// The changed entries of a mapping as a mapping Compose merges over the old one: added and
/// changed entries (a changed mapping recursively, anything else whole), removed ones as
/// `!reset null`.
fn mapping_diff(
    old: &Document,
    old_map: Option<NodeId>,
    new: &Document,
    new_map: NodeId,
    what: &str,
) -> Result<Vec<(String, NewValue)>, ProjectFault> {
    let old_entries = own_entries(old, old_map.map(|m| old.resolve(m)));
    let new_entries = own_entries(new, Some(new.resolve(new_map)));
    let mut out = Vec::new();
    for (name, value) in &new_entries {
        let before = old_entries.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        if before.is_some_and(|v| same_text(old, v, new, *value)) {
            continue;
        }
        let what = format!("{what}.{name}");
        let both_maps = before.is_some_and(|v| old.as_mapping(old.resolve(v)).is_some())
            && new.as_mapping(new.resolve(*value)).is_some();
        let value = if both_maps {
            NewValue::Map(mapping_diff(old, before, new, *value, &what)?)
        } else {
            let v = to_value(new, *value, &what)?;
            if before.is_some() && matches!(v, NewValue::Seq(_)) {
                NewValue::Raw(format!("!override {}", flow(new, &v)))
            } else {
                v
            }
        };
        out.push(((*name).to_owned(), value));
    }
    for (name, _) in &old_entries {
        if !new_entries.iter().any(|(n, _)| n == name) {
            out.push(((*name).to_owned(), NewValue::Raw("!reset null".to_owned())));
        }
    }
    Ok(out)
}

/// True when both `logging` values name a driver and the drivers differ.
fn other_driver(base: &NewValue, over: &NewValue) -> bool {
    let driver = |v: &NewValue| match v {
        NewValue::Map(entries) => entries
            .iter()
            .find(|(k, _)| k == "driver")
            .map(|(_, v)| v.clone()),
        _ => None,
    };
    matches!((driver(base), driver(over)), (Some(a), Some(b)) if a != b)
}

/// `over` merged into `base` as Compose merges mappings: entry by entry, recursively; any other
/// value of `over` replaces.
fn deep_merge(base: NewValue, over: NewValue) -> NewValue {
    match (base, over) {
        (NewValue::Map(mut entries), NewValue::Map(more)) => {
            for (k, v) in more {
                match entries.iter().position(|(n, _)| *n == k) {
                    Some(i) => {
                        let old =
                            std::mem::replace(&mut entries[i].1, NewValue::Raw(String::new()));
                        entries[i].1 = deep_merge(old, v);
                    }
                    None => entries.push((k, v)),
                }
            }
            NewValue::Map(entries)
        }
        (_, over) => over,
    }
}

fn same_text(old: &Document, a: NodeId, new: &Document, b: NodeId) -> bool {
    let (x, y) = (old.node(a), new.node(b));
    x.tag == y.tag && x.anchor == y.anchor && old.text(a) == new.text(b)
}

fn flow(doc: &Document, value: &NewValue) -> String {
    Style::detect(doc).flow(value)
}

/// A service's name and the own entries of its definitions in one file.
type ServiceEntries<'d> = (String, Vec<(&'d str, NodeId)>);

/// What an override file, loaded after `files`, must set so that the project means what it
/// means with each file's fixed text (`fixed[i]`): for each service key that changed in some
/// file, a scalar's new value (the last file's wins), a list's whole merged value with
/// `!override` when a file set it before (Compose appends lists otherwise), a mapping's changed
/// entries (Compose merges mappings; removed entries `!reset null`), a removed key
/// `!reset null`; and every entry added to or changed in a top-level `secrets:`, `configs:`,
/// `volumes:` or `networks:`. A change to another top-level key (an `x-` block that services
/// merge) cannot be expressed.
fn overrides_for(
    files: &[ProjectFile],
    fixed: &[String],
    own: Option<usize>,
    options: &Options,
) -> Result<Vec<Override>, ProjectError> {
    let mut docs: Vec<(Document, Document)> = Vec::new();
    for (i, (file, out)) in files.iter().zip(fixed).enumerate() {
        let parse = |t: &str| Document::parse_with_limits(t, &options.limits);
        let pair = parse(&file.text)
            .and_then(|old| Ok((old, parse(out)?)))
            .map_err(|e| ProjectError::in_file(i, e))?;
        docs.push(pair);
    }
    // Per file: each service's own entries (every part), before and after.
    let mut per_file: Vec<(Vec<ServiceEntries<'_>>, Vec<ServiceEntries<'_>>)> = Vec::new();
    for (i, (old, new)) in docs.iter().enumerate() {
        fn entries(doc: &Document) -> Result<Vec<ServiceEntries<'_>>, Error> {
            // The files were checked when they were joined.
            let c = Compose::view(doc);
            Ok(c.services()
                .into_iter()
                .map(|s| {
                    let mut keys = Vec::new();
                    for part in &s.parts {
                        keys.extend(own_entries(doc, part.body));
                    }
                    (s.name, keys)
                })
                .collect())
        }
        let pair = entries(old)
            .and_then(|o| Ok((o, entries(new)?)))
            .map_err(|e| ProjectError::in_file(i, e))?;
        per_file.push(pair);
    }
    let mut names: Vec<&str> = Vec::new();
    for (_, new) in &per_file {
        for (name, _) in new {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let find = |list: &Vec<ServiceEntries<'_>>, service: &str, key: &str| {
        list.iter()
            .find(|(n, _)| n == service)
            .and_then(|(_, keys)| keys.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v))
    };
    let mut out = Vec::new();
    for service in names {
        let mut keys: Vec<&str> = Vec::new();
        for (old, new) in &per_file {
            for list in [old, new] {
                for (name, entries) in list {
                    if name == service {
                        for (k, _) in entries {
                            if !keys.contains(k) {
                                keys.push(k);
                            }
                        }
                    }
                }
            }
        }
        for key in keys {
            let what = format!("services.{service}.{key}");
            // The override's own changes are in its text already; its values still count.
            let changed: Vec<usize> = (0..files.len())
                .filter(|i| Some(*i) != own)
                .filter(|i| {
                    let (old, new) = &docs[*i];
                    let (o, n) = (
                        find(&per_file[*i].0, service, key),
                        find(&per_file[*i].1, service, key),
                    );
                    match (o, n) {
                        (None, None) => false,
                        (Some(a), Some(b)) => !same_text(old, a, new, b),
                        _ => true,
                    }
                })
                .collect();
            if changed.is_empty() {
                continue;
            }
            let in_error = |i: usize, e: ProjectFault| ProjectError::in_file(i, e);
            if key == "<<" {
                return Err(in_error(
                    changed[0],
                    inexpressible(&what, "it merges with `<<`"),
                ));
            }
            let existed = (0..files.len()).any(|i| find(&per_file[i].0, service, key).is_some());
            let now: Vec<(usize, NodeId)> = (0..files.len())
                .filter_map(|i| find(&per_file[i].1, service, key).map(|v| (i, v)))
                .collect();
            let value = match now.last() {
                None => NewValue::Raw("!reset null".to_owned()),
                Some(&(last, node)) => {
                    let doc = &docs[last].1;
                    match &doc.node(doc.resolve(node)).kind {
                        NodeKind::Sequence(_) => {
                            // The whole merged list: every file's items, in order.
                            let mut items = Vec::new();
                            for (i, node) in &now {
                                match to_value(&docs[*i].1, *node, &what)
                                    .map_err(|e| in_error(*i, e))?
                                {
                                    NewValue::Seq(list) => items.extend(list),
                                    _ => {
                                        return Err(in_error(
                                            *i,
                                            inexpressible(
                                                &what,
                                                "the files give it different forms",
                                            ),
                                        ));
                                    }
                                }
                            }
                            let list = NewValue::Seq(items);
                            if existed {
                                NewValue::Raw(format!("!override {}", flow(doc, &list)))
                            } else {
                                list
                            }
                        }
                        NodeKind::Mapping(_) => {
                            // The whole merged mapping (rules read a key's value in the last
                            // file that sets it, so the override holds all of it); with
                            // `!override` when an entry was removed, as Compose resets no
                            // single entry of a merged mapping.
                            let mut whole = NewValue::Map(Vec::new());
                            for (i, node) in &now {
                                let value = to_value(&docs[*i].1, *node, &what)
                                    .map_err(|e| in_error(*i, e))?;
                                if !matches!(value, NewValue::Map(_)) {
                                    return Err(in_error(
                                        *i,
                                        inexpressible(&what, "the files give it different forms"),
                                    ));
                                }
                                whole = if key == "logging" && other_driver(&whole, &value) {
                                    // Compose keeps the options only for the same driver.
                                    value
                                } else {
                                    deep_merge(whole, value)
                                };
                            }
                            let mut removed = false;
                            for &i in &changed {
                                let (old, new) = &docs[i];
                                let before = find(&per_file[i].0, service, key);
                                let after = find(&per_file[i].1, service, key);
                                if let (Some(b), Some(a)) = (before, after) {
                                    removed |= mapping_diff(old, Some(b), new, a, &what)
                                        .map_err(|e| in_error(i, e))?
                                        .iter()
                                        .any(|(_, v)| matches!(v, NewValue::Raw(r) if r == "!reset null"));
                                }
                            }
                            if removed {
                                NewValue::Raw(format!("!override {}", flow(doc, &whole)))
                            } else {
                                whole
                            }
                        }
                        _ => {
                            let value =
                                to_value(doc, node, &what).map_err(|e| in_error(last, e))?;
                            // A key Compose appends across files (`tmpfs: /run` is a list of one):
                            // replace what the files set, as a list.
                            if existed
                                && matches!(
                                    key,
                                    "tmpfs"
                                        | "dns"
                                        | "dns_search"
                                        | "dns_opt"
                                        | "env_file"
                                        | "expose"
                                        | "cap_add"
                                        | "cap_drop"
                                        | "security_opt"
                                )
                            {
                                NewValue::Raw(format!(
                                    "!override {}",
                                    flow(doc, &NewValue::Seq(vec![value]))
                                ))
                            } else {
                                value
                            }
                        }
                    }
                }
            };
            out.push(Override {
                service: Some(service.to_owned()),
                key: key.to_owned(),
                top: None,
                value: Some(value),
            });
        }
    }
    // Top-level keys other than `services`.
    for (i, (old, new)) in docs.iter().enumerate() {
        let in_error = |e: ProjectFault| ProjectError::in_file(i, e);
        let (old_c, new_c) = (Compose::view(old), Compose::view(new));
        let old_roots: Vec<NodeId> = old_c.roots().map(|(_, r)| r).collect();
        for (d, (_, root)) in new_c.roots().enumerate() {
            let old_root = old_roots.get(d).copied();
            for (key, value) in own_entries(new, Some(root)) {
                if key == "services" {
                    continue;
                }
                let was = own_entries(old, old_root)
                    .into_iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v);
                if was.is_some_and(|v| same_text(old, v, new, value)) {
                    continue;
                }
                if key.starts_with("x-") {
                    // Extension blocks are read through the services that merge them, whose
                    // effective values the override sets.
                    continue;
                }
                if !matches!(key, "secrets" | "configs" | "volumes" | "networks") {
                    return Err(in_error(inexpressible(
                        key,
                        "it is not a service or a resource",
                    )));
                }
                for (name, entry) in mapping_diff(old, was, new, value, key).map_err(in_error)? {
                    out.push(Override {
                        service: None,
                        key: name,
                        top: Some(key.to_owned()),
                        value: Some(entry),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The override file's text with `overrides` written into it (its last YAML document; a new
/// `services:` or top-level key where it has none).
fn write_overrides(
    text: &str,
    overrides: &[Override],
    options: &Options,
) -> Result<String, ProjectFault> {
    let value = |o: &Override| {
        o.value
            .clone()
            .unwrap_or_else(|| NewValue::Raw("!reset null".to_owned()))
    };
    let blank = text.trim().is_empty()
        || Document::parse_with_limits(text, &options.limits)
            .is_ok_and(|d| d.documents().iter().all(|r| r.root.is_none()));
    if blank {
        // A new file (or one of comments only, which stay first), written whole.
        let mut services: Vec<(String, NewValue)> = Vec::new();
        let mut tops: Vec<(String, NewValue)> = Vec::new();
        for o in overrides {
            let (list, name) = match (&o.service, &o.top) {
                (Some(s), _) => (&mut services, s.clone()),
                (None, Some(t)) => (&mut tops, t.clone()),
                (None, None) => continue,
            };
            let entry = (o.key.clone(), value(o));
            match list.iter_mut().find(|(n, _)| *n == name) {
                Some((_, NewValue::Map(entries))) => entries.push(entry),
                _ => list.push((name, NewValue::Map(vec![entry]))),
            }
        }
        let style = Style::detect(&Document::parse("services: {}\n")?);
        let mut out = if text.trim().is_empty() {
            String::from(
                "# Hardening of this project, written by composeguard (`fix --into`). Load it after\n# the project's files: COMPOSE_FILE=compose.yaml:<this file>, or -f ... -f <this file>.\n",
            )
        } else if text.ends_with('\n') {
            text.to_owned()
        } else {
            format!("{text}\n")
        };
        let mut all = vec![("services".to_owned(), NewValue::Map(services))];
        all.extend(tops);
        for (key, v) in &all {
            out.push_str(
                style
                    .block_entry(key, v, 0)
                    .trim_start_matches(['\r', '\n']),
            );
            out.push('\n');
        }
        return Ok(out);
    }
    let doc = Document::parse_with_limits(text, &options.limits)?;
    let compose = Compose::new(&doc)?;
    let style = Style::detect(&doc);
    let root = compose.roots().last().map(|(_, r)| r).ok_or(Error::Empty)?;
    let services_node = doc.own_entry(root, "services");
    let mut edits: Vec<Edit> = Vec::new();
    // Keys of services the file defines, per service; new services in one edit.
    let mut new_services: Vec<(String, NewValue)> = Vec::new();
    let mut per_target: Vec<(MapTarget, Vec<(String, NewValue)>)> = Vec::new();
    let mut new_tops: Vec<(String, NewValue)> = Vec::new();
    let mut push_target = |target: MapTarget, entry: (String, NewValue)| match per_target
        .iter_mut()
        .find(|(t, _)| *t == target)
    {
        Some((_, entries)) => entries.push(entry),
        None => per_target.push((target, vec![entry])),
    };
    let services = compose.services();
    for o in overrides {
        let entry = (o.key.clone(), value(o));
        match (&o.service, &o.top) {
            (Some(name), _) => match services.iter().find(|s| s.name == *name) {
                // The override sets the key already: its value is replaced.
                Some(s)
                    if let Some((key, value)) = s.body.and_then(|b| doc.own_entry(b, &o.key)) =>
                {
                    let span = doc.node(key).end..doc.node(value).end;
                    if doc
                        .comments()
                        .iter()
                        .any(|c| c.span.start < span.end && c.span.end > span.start)
                    {
                        return Err(inexpressible(
                            &format!("services.{name}.{}", o.key),
                            "a comment sits in its value in the override file",
                        ));
                    }
                    let text = format!(": {}", style.flow(&entry.1));
                    edits.push(Edit::replacement(span, text));
                }
                Some(s) => match compose.service_target(s) {
                    Some(target) => push_target(target, entry),
                    None => {
                        return Err(inexpressible(
                            name,
                            "its definition in the override is not a mapping",
                        ));
                    }
                },
                None => match new_services.iter_mut().find(|(n, _)| n == name) {
                    Some((_, NewValue::Map(entries))) => entries.push(entry),
                    _ => new_services.push((name.clone(), NewValue::Map(vec![entry]))),
                },
            },
            (None, Some(top)) => match doc.own_entry(root, top) {
                Some((key, value)) => {
                    let lookup = crate::compose::Lookup {
                        key,
                        value,
                        resolved: doc.resolve(value),
                        owner: root,
                        inherited: false,
                    };
                    match compose.value_target(&lookup) {
                        Some(target) => push_target(target, entry),
                        None => {
                            return Err(inexpressible(top, "it is not a mapping in the override"));
                        }
                    }
                }
                None => match new_tops.iter_mut().find(|(n, _)| n == top) {
                    Some((_, NewValue::Map(entries))) => entries.push(entry),
                    _ => new_tops.push((top.clone(), NewValue::Map(vec![entry]))),
                },
            },
            (None, None) => {}
        }
    }
    if !new_services.is_empty() {
        match services_node {
            Some((key, value)) => {
                let lookup = crate::compose::Lookup {
                    key,
                    value,
                    resolved: doc.resolve(value),
                    owner: root,
                    inherited: false,
                };
                let target = compose.value_target(&lookup).ok_or_else(|| {
                    inexpressible("services", "it is not a mapping in the override")
                })?;
                for entry in new_services {
                    push_target(target, entry);
                }
            }
            None => new_tops.insert(0, ("services".to_owned(), NewValue::Map(new_services))),
        }
    }
    for entry in new_tops {
        push_target(MapTarget::Mapping(root), entry);
    }
    for (target, entries) in &per_target {
        let entries: Vec<(&str, NewValue)> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        edits.extend(insert_entries(&doc, &style, *target, &entries));
    }
    let edits: Vec<&Edit> = {
        let mut sorted: Vec<&Edit> = edits.iter().collect();
        crate::sort::sort_by(&mut sorted, |a, b| a.range().start.cmp(&b.range().start));
        sorted
    };
    Ok(crate::fix::splice(text, &edits))
}

/// Hardening as an override: fixes the project as [`fix_project`] does, then writes every
/// change into `into` (the override file, created when its text is empty, else updated in
/// place), so that the other files stay byte-identical and the project loaded with `into` last
/// means what the fixed files would. A change an override cannot express (a shared `x-` block,
/// a value with anchors) is an error, and nothing changes. The outcome's last entry is the
/// override's.
pub fn fix_into(
    files: &[ProjectFile],
    into: &ProjectFile,
    options: &Options,
) -> Result<ProjectOutcome, ProjectError> {
    let last = files.len();
    let mut all = files.to_vec();
    // An empty override is read as `services: {}`, so that it takes part in the project.
    let mut seed = into.clone();
    if seed.text.trim().is_empty() {
        seed.text = String::new();
    }
    let scratch = ProjectFile {
        text: if seed.text.is_empty() {
            "services: {}\n".to_owned()
        } else {
            seed.text.clone()
        },
        ..seed.clone()
    };
    all.push(scratch.clone());
    let fixed = fix_project(&all, options)?;
    for (i, file) in files.iter().enumerate() {
        if !fixed.files[i].changes.is_empty() && matches!(file.role, Role::Included(_)) {
            return Err(ProjectError::in_file(
                i,
                inexpressible(
                    &file.path,
                    "an override cannot change an included project's services",
                ),
            ));
        }
    }
    // The merged files (and the override, whose own changes are in its text already).
    let mut merged: Vec<ProjectFile> = files
        .iter()
        .filter(|f| f.role == Role::Compose)
        .cloned()
        .collect();
    let mut outputs: Vec<String> = files
        .iter()
        .zip(&fixed.files)
        .filter(|(f, _)| f.role == Role::Compose)
        .map(|(_, o)| o.output.clone())
        .collect();
    let own = (!seed.text.is_empty()).then(|| {
        merged.push(seed.clone());
        outputs.push(fixed.files[last].output.clone());
        merged.len() - 1
    });
    let mut overrides = overrides_for(&merged, &outputs, own, options)?;
    let into_fixed = if seed.text.is_empty() {
        // Everything the scratch `services: {}` got goes into the new file too.
        let scratch_file = [ProjectFile {
            text: "services: {}\n".to_owned(),
            ..seed.clone()
        }];
        let more = overrides_for(
            &scratch_file,
            &[fixed.files[last].output.clone()],
            None,
            options,
        )
        .map_err(|e| ProjectError {
            file: Some(last),
            error: e.error,
        })?;
        overrides.extend(more);
        if overrides.is_empty() {
            // Nothing to write: no file is created.
            String::new()
        } else {
            write_overrides("", &overrides, options).map_err(|e| ProjectError::in_file(last, e))?
        }
    } else {
        write_overrides(&fixed.files[last].output, &overrides, options)
            .map_err(|e| ProjectError::in_file(last, e))?
    };
    // The guard: the project with the override is a fixed point.
    let mut with = files.to_vec();
    with.push(ProjectFile {
        text: into_fixed.clone(),
        ..seed.clone()
    });
    let again = if into_fixed.is_empty() {
        let mut again = fix_project(files, options)?;
        let empty = FixOutcome {
            output: String::new(),
            diagnostics: Vec::new(),
            fixed: 0,
            remaining: Vec::new(),
            passes: again.passes,
            files: Vec::new(),
            secrets: Vec::new(),
            changes: Vec::new(),
            secret_spans: None,
        };
        again.files.push(empty);
        again
    } else {
        fix_project(&with, options)?
    };
    if let Some(i) = again.files.iter().position(|f| !f.changes.is_empty()) {
        let threshold = options.threshold();
        let mut codes: Vec<String> = again
            .files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .filter(|d| d.applicability().is_some_and(|a| a >= threshold))
            .map(|d| format!("{} on `{}`", d.code(), d.service.as_deref().unwrap_or("")))
            .collect();
        codes.dedup();
        return Err(ProjectError {
            file: Some(i),
            error: inexpressible(
                &codes.join(", "),
                "loaded after the files, the override would not hold these fixes; a service that extends another of its own file is one such case, as Compose resolves `extends` in each file before the override",
            ),
        });
    }
    let mut per_file: Vec<FixOutcome> = Vec::new();
    for (i, file) in with.iter().enumerate() {
        let first = &fixed.files[i];
        let now = &again.files[i];
        let changes = if i == last && file.text != into.text {
            vec![middle_change(&into.text, &file.text)]
        } else {
            Vec::new()
        };
        per_file.push(FixOutcome {
            output: if i == last {
                file.text.clone()
            } else {
                files[i].text.clone()
            },
            diagnostics: if i == last {
                now.diagnostics.clone()
            } else {
                first.diagnostics.clone()
            },
            fixed: first.fixed,
            remaining: now.diagnostics.clone(),
            passes: fixed.passes,
            files: Vec::new(),
            secrets: fixed.files[i].secrets.clone(),
            changes,
            secret_spans: None,
        });
    }
    Ok(ProjectOutcome {
        files: per_file,
        fixed: fixed.fixed,
        passes: fixed.passes,
        new_files: fixed.new_files,
    })
}

/// The one edit that turns `old` into `new`: what lies between their common start and end.
fn middle_change(old: &str, new: &str) -> Edit {
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = old[start..]
        .bytes()
        .rev()
        .zip(new[start..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - end) || !new.is_char_boundary(new.len() - end) {
        end -= 1;
    }
    Edit::replacement(start..old.len() - end, &new[start..new.len() - end])
}
