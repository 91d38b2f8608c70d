//! The fix loop: passes of non-overlapping fixes, each re-parsed as a guard (and its comments
//! compared with the input's), services that `extends` another waiting for their base, and
//! every pass's edits composed into the changes made to the input.

mod conflicts;
mod pass;
mod pieces;
mod splice;

pub(crate) use splice::splice;

use crate::compose::Compose;
use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::edit::{Edit, Fix, NewFile, NewFileKind};
use crate::engine::{Options, run_rules};
use crate::error::Error;
use pieces::Pieces;

/// Most fix passes before giving up with [`Error::NotConverged`].
pub const MAX_PASSES: usize = 16;

/// The result of [`fix()`].
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The fixed text (equal to the input when nothing was applied).
    pub output: String,
    /// Findings of the input, in source order (positions refer to the input).
    pub diagnostics: Vec<Diagnostic>,
    /// How many findings were fixed, over all passes.
    pub fixed: usize,
    /// Findings left in the output (positions refer to the output).
    pub remaining: Vec<Diagnostic>,
    /// How many passes ran.
    pub passes: usize,
    /// Files the applied fixes need (secret files, env-file lines), for the caller to write.
    pub files: Vec<NewFile>,
    /// Sensitive values found in the input: mask them in anything printed.
    pub secrets: Vec<String>,
    /// What changed, relative to the input: every pass's edits composed (sorted, disjoint).
    pub changes: Vec<Edit>,
}

impl FixOutcome {
    /// True when the output differs from the input.
    pub fn changed(&self, input: &str) -> bool {
        self.output != input
    }

    /// A unified diff of the output against `input` (see [`crate::diff::unified_diff`]).
    pub fn diff(&self, input: &str, path: &str) -> String {
        crate::diff::unified_diff(input, &self.changes, path)
    }
}

/// Applies every fix the options allow, pass after pass, until nothing changes.
///
/// Each pass applies the non-overlapping fixes of one check, then re-parses the text as a
/// guard; the next pass sees the new text. Comments are counted before and after: a fix that
/// would lose one is a bug, reported as [`Error::FixBroke`] instead of output.
pub fn fix(source: &str, options: &Options) -> Result<FixOutcome, Error> {
    let first = Document::parse_with_limits(source, &options.limits)?;
    let diagnostics = run_rules(&first, options)?;
    let threshold = options.threshold();
    let comments_in: Vec<String> = comment_texts(&first)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut text = source.to_owned();
    let mut pieces = Pieces::new(source.len());
    let mut current = diagnostics.clone();
    let mut fixed = 0;
    let mut passes = 0;
    let mut files: Vec<NewFile> = Vec::new();
    let mut secrets: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d.secret.clone())
        .collect();
    crate::sort::sort_by(&mut secrets, |a, b| a.cmp(b));
    secrets.dedup();
    let mut doc = first;
    loop {
        let applicable = |d: &&Diagnostic| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability() >= threshold && !f.edits().is_empty())
        };
        let waiting = waiting_services(&doc, current.iter().filter(applicable));
        let fixes: Vec<&Fix> = current
            .iter()
            .filter(applicable)
            .filter(|d| {
                d.service
                    .as_ref()
                    .is_none_or(|s| !waiting.iter().any(|w| w == s))
            })
            .filter_map(|d| d.fix.as_ref())
            .collect();
        if fixes.is_empty() {
            break;
        }
        if passes == MAX_PASSES {
            return Err(Error::NotConverged { passes });
        }
        passes += 1;
        // One fix per finding: a finding is fixed when its fix, or an identical one, applied.
        let pass = pass::apply(&text, &fixes);
        pieces = pieces.after_edits(&pass.edits);
        for fix in &pass.applied {
            for file in fix.files() {
                add_file(&mut files, file)?;
            }
        }
        fixed += pass.fixed;
        let next = pass.text;
        doc = Document::parse_with_limits(&next, &options.limits).map_err(|e| Error::FixBroke {
            detail: format!("the result does not parse: {e}"),
        })?;
        let comments_out = comment_texts(&doc);
        if comments_out != comments_in {
            return Err(Error::FixBroke {
                detail: "a comment was lost or changed".into(),
            });
        }
        current = run_rules(&doc, options).map_err(|e| Error::FixBroke {
            detail: format!("the result is not a compose file: {e}"),
        })?;
        text = next;
    }
    let changes = pieces.changes(source, &text);
    Ok(FixOutcome {
        output: text,
        diagnostics,
        fixed,
        remaining: current,
        passes,
        files,
        secrets,
        changes,
    })
}

/// The services whose fixes wait for a later pass: a service that `extends` another service of
/// the file inherits what the base's fixes add (Compose appends lists such as `security_opt`
/// across `extends`, so the same item in both would be a duplicate the loader rejects). It is
/// fixed once no service it extends, directly or not, has a fix left to apply, and then
/// gets only what it needs beyond what it inherits.
fn waiting_services<'d>(
    doc: &Document,
    with_fixes: impl Iterator<Item = &'d Diagnostic>,
) -> Vec<String> {
    let busy: Vec<&str> = with_fixes.filter_map(|d| d.service.as_deref()).collect();
    let Ok(compose) = Compose::new(doc) else {
        return Vec::new();
    };
    let services = compose.services();
    services
        .iter()
        .filter(|s| {
            compose
                .bases(&services, s)
                .any(|base| busy.contains(&base.name.as_str()))
        })
        .map(|s| s.name.clone())
        .collect()
}

/// Adds a file to the list: env lines for one path are joined; one secret path must always
/// get the same content.
fn add_file(files: &mut Vec<NewFile>, file: &NewFile) -> Result<(), Error> {
    match files.iter_mut().find(|f| f.path == file.path) {
        None => files.push(file.clone()),
        Some(existing)
            if existing.kind == NewFileKind::EnvLines && file.kind == NewFileKind::EnvLines =>
        {
            existing.content.push_str(&file.content);
        }
        Some(existing) if existing.content == file.content => {}
        Some(_) => {
            return Err(Error::FixBroke {
                detail: format!("two fixes want different content in {}", file.path),
            });
        }
    }
    Ok(())
}

fn comment_texts(doc: &Document) -> Vec<&str> {
    doc.comments()
        .iter()
        .map(|c| doc.source()[c.span.clone()].trim_end())
        .collect()
}
