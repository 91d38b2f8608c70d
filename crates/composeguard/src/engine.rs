//! Running rules and applying their fixes.

use crate::compose::Compose;
use crate::diagnostic::Diagnostic;
use crate::document::{Document, Limits};
use crate::edit::{Applicability, Edit, Fix, NewFile, NewFileKind};
use crate::error::Error;
use crate::rules::{self, Context, Rule};
use crate::settings::{Preset, Settings, Target};
use crate::style::Style;

/// Most fix passes before giving up with [`Error::NotConverged`].
pub const MAX_PASSES: usize = 16;

/// What to check and which fixes to apply.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Apply unsafe fixes too (safe ones are always applied by [`fix`]).
    pub unsafe_fixes: bool,
    /// Only these rules (codes, code prefixes or names); empty means the preset's.
    pub select: Vec<String>,
    /// The rule set used when `select` is empty.
    pub preset: Preset,
    /// Where the file is deployed (decides which forms a fix may use).
    pub target: Target,
    /// Never these rules (codes or names).
    pub ignore: Vec<String>,
    /// Values the fixes write.
    pub settings: Settings,
    /// Input limits.
    pub limits: Limits,
    /// Rules (codes, prefixes or names) ignored for some services, by service name.
    pub per_service_ignore: std::collections::HashMap<String, Vec<String>>,
}

impl Options {
    /// The rules these options enable, in code order.
    pub fn rules(&self) -> Vec<&'static dyn Rule> {
        let matches =
            |r: &dyn Rule, list: &[String]| list.iter().any(|s| rules::matches(r.meta(), s));
        rules::all()
            .iter()
            .copied()
            .filter(|r| {
                if self.select.is_empty() {
                    self.preset.includes(r.meta().code)
                } else {
                    matches(*r, &self.select)
                }
            })
            .filter(|r| !matches(*r, &self.ignore))
            .collect()
    }

    /// The least applicability a fix needs to be applied.
    pub fn threshold(&self) -> Applicability {
        if self.unsafe_fixes {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        }
    }
}

/// Decodes input bytes as UTF-8, or says where the first bad byte is.
pub fn decode(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        Error::NotUtf8 { line, column }
    })
}

/// Checks `source` and returns every finding, in source order.
pub fn check(source: &str, options: &Options) -> Result<Vec<Diagnostic>, Error> {
    let doc = Document::parse_with_limits(source, &options.limits)?;
    run_rules(&doc, options)
}

fn run_rules(doc: &Document, options: &Options) -> Result<Vec<Diagnostic>, Error> {
    let compose = Compose::new(doc)?;
    let services = compose.services();
    if services.len() > options.limits.max_services {
        return Err(Error::TooManyServices {
            count: services.len(),
            limit: options.limits.max_services,
        });
    }
    let style = Style::detect(doc);
    let rules = options.rules();
    let mut cx = Context {
        doc,
        compose,
        style: &style,
        settings: &options.settings,
        target: options.target,
        enabled: rules.iter().map(|r| r.meta().code).collect(),
        diagnostics: Vec::new(),
        services: std::sync::OnceLock::from(services),
        shared_fixes: Default::default(),
    };
    for rule in rules {
        rule.check(&mut cx);
    }
    let service_lines = cx
        .services()
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                doc.lines()
                    .position(doc.source(), doc.node(s.key).start)
                    .line,
            )
        })
        .collect();
    let mut diagnostics = crate::suppressions::apply(
        doc,
        cx.diagnostics,
        &service_lines,
        &options.per_service_ignore,
        &cx.enabled,
    );
    diagnostics.sort_by(|a, b| (a.range.start, a.rule.code).cmp(&(b.range.start, b.rule.code)));
    Ok(diagnostics)
}

/// The result of [`fix`].
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
}

impl FixOutcome {
    /// True when the output differs from the input.
    pub fn changed(&self, input: &str) -> bool {
        self.output != input
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
    let comments_in = comment_texts(&first);
    let mut text = source.to_owned();
    let mut current = diagnostics.clone();
    let mut fixed = 0;
    let mut passes = 0;
    let mut files: Vec<NewFile> = Vec::new();
    let mut secrets: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d.secret.clone())
        .collect();
    secrets.sort();
    secrets.dedup();
    loop {
        let fixes: Vec<&Fix> = current
            .iter()
            .filter_map(|d| d.fix.as_ref())
            .filter(|f| f.applicability() >= threshold && !f.edits().is_empty())
            .collect();
        if fixes.is_empty() {
            break;
        }
        if passes == MAX_PASSES {
            return Err(Error::NotConverged { passes });
        }
        passes += 1;
        let (next, applied) = apply_fixes(&text, &fixes);
        let applied_set: std::collections::HashSet<&Fix> = applied.iter().copied().collect();
        for fix in &applied {
            for file in fix.files() {
                add_file(&mut files, file)?;
            }
        }
        fixed += current
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| applied_set.contains(f)))
            .count();
        let doc =
            Document::parse_with_limits(&next, &options.limits).map_err(|e| Error::FixBroke {
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
    Ok(FixOutcome {
        output: text,
        diagnostics,
        fixed,
        remaining: current,
        passes,
        files,
        secrets,
    })
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

/// The ranges taken by the edits accepted so far in a pass, by start offset.
#[derive(Default)]
struct Taken<'e> {
    by_start: std::collections::BTreeMap<usize, Vec<&'e Edit>>,
}

impl<'e> Taken<'e> {
    /// True when `e` cannot be applied together with the accepted edits. Two insertions at one
    /// offset compose only when each delimits itself; an insertion may touch either end of a
    /// replaced range, never its inside.
    fn conflicts(&self, e: &Edit) -> bool {
        let r = e.range();
        // Accepted edits that start at or before `r.start`: only the last start matters, as
        // accepted non-empty ranges never overlap one another.
        if let Some((&start, edits)) = self.by_start.range(..=r.start).next_back() {
            for a in edits {
                let y = a.range();
                if start == r.start {
                    let both_insert = r.is_empty() && y.is_empty();
                    if both_insert && !(e.is_self_delimiting() && a.is_self_delimiting()) {
                        return true;
                    }
                    if !r.is_empty() && !y.is_empty() {
                        return true;
                    }
                } else if y.end > r.start {
                    return true;
                }
            }
        }
        // Accepted edits that start inside `r`.
        if !r.is_empty() && self.by_start.range(r.start + 1..r.end).next().is_some() {
            return true;
        }
        false
    }

    fn insert(&mut self, e: &'e Edit) {
        self.by_start.entry(e.range().start).or_default().push(e);
    }
}

/// Applies the fixes that do not overlap an earlier one (identical fixes count once) and
/// returns the new text and the fixes applied. Insertions at the same offset are ordered
/// deepest first, so each stays inside its own block.
pub fn apply_fixes<'f>(source: &str, fixes: &[&'f Fix]) -> (String, Vec<&'f Fix>) {
    let mut order: Vec<&Fix> = fixes.to_vec();
    order.sort_by_key(|f| f.min_start());
    let mut seen: std::collections::HashSet<&Fix> = std::collections::HashSet::new();
    let mut applied: Vec<&Fix> = Vec::new();
    let mut taken = Taken::default();
    for fix in order {
        if !seen.insert(fix) {
            continue;
        }
        let bad_boundary = fix.edits().iter().any(|e| {
            e.range().end > source.len()
                || !source.is_char_boundary(e.range().start)
                || !source.is_char_boundary(e.range().end)
        });
        if bad_boundary || fix.edits().iter().any(|e| taken.conflicts(e)) {
            continue;
        }
        for e in fix.edits() {
            taken.insert(e);
        }
        applied.push(fix);
    }
    let mut edits: Vec<(usize, &Edit)> = applied
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.edits().iter().map(move |e| (i, e)))
        .collect();
    edits.sort_by(|(ia, a), (ib, b)| {
        (
            a.range().start,
            a.range().end,
            usize::MAX - a.nesting(),
            *ia,
        )
            .cmp(&(
                b.range().start,
                b.range().end,
                usize::MAX - b.nesting(),
                *ib,
            ))
    });
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    let mut last = 0;
    for (_, edit) in edits {
        let range = edit.range();
        out.push_str(&source[last..range.start]);
        out.push_str(edit.content());
        last = range.end;
    }
    out.push_str(&source[last..]);
    (out, applied)
}
