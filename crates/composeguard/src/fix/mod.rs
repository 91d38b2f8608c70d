//! The fix loop: passes of non-overlapping fixes (the first of overlapping ones, identical ones
//! once, edits in splice order), each re-parsed as a guard (and its comments compared with the
//! input's), services that `extends` another waiting for their base, and every pass's edits
//! composed into the changes made to the input.

mod carry;
mod conflicts;
mod pieces;
mod splice;

pub(crate) use splice::splice;

use crate::compose::{Compose, Layout};
use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::edit::{Edit, Fix, NewFile, NewFileKind};
use crate::engine::{Options, run_rules};
use crate::error::Error;
use crate::masking::{SecretSpans, secret_spans};
use conflicts::Taken;
use pieces::Pieces;

/// Whether the fix loop carries findings over a complete pass (see [`carry`]). Not in the
/// browser module, whose budget it would exceed (1.8 KB gzipped): there the rules run again
/// after every pass, which gives the same outcome (the tests check both ways).
const CARRY: bool = !cfg!(target_arch = "wasm32");

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
    /// Where the secret-looking values of the input and the output lie, for masking what is
    /// printed of either. `None` for a project's files (find them with
    /// [`crate::masking::secret_spans_of`]).
    pub secret_spans: Option<SecretSpans>,
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

    /// `diff`, this outcome's [`diff`](Self::diff) of `input` (headers added or not), with
    /// every secret of either side masked as [`crate::masking::masked_diff`] masks it, without
    /// parsing either text again. `None` when the outcome does not know its spans (a
    /// project's files).
    pub fn mask_diff(&self, diff: &str, input: &str) -> Option<String> {
        let spans = self.secret_spans.as_ref()?;
        // The output's own spans and the input's carried through the changes.
        let mut new = crate::masking::spans_after(&spans.input, &self.changes);
        new.extend_from_slice(&spans.output);
        let new = crate::masking::normalize(new);
        Some(crate::masking::mask_diff(
            diff,
            input,
            &spans.input,
            &self.output,
            &new,
        ))
    }
}

/// Applies every fix the options allow, pass after pass, until nothing changes.
///
/// Each pass applies the non-overlapping fixes of one check, then re-parses the text as a
/// guard; the next pass sees the new text. Comments are counted before and after: a fix that
/// would lose one is a bug, reported as [`Error::FixBroke`] instead of output.
pub fn fix(source: &str, options: &Options) -> Result<FixOutcome, Error> {
    fix_with_layout(source, options, None)
}

/// [`fix()`] of a document already parsed with `options.limits` (a caller that parsed the
/// file to read something else first need not parse it twice).
pub fn fix_document(document: Document, options: &Options) -> Result<FixOutcome, Error> {
    fix_passes::<CARRY>(document, options, None)
}

/// [`fix()`] over a project's text (see [`crate::compose::Layout`]); the YAML documents of
/// every pass's text are the input's, so the layout holds throughout.
pub(crate) fn fix_with_layout(
    source: &str,
    options: &Options,
    layout: Option<&Layout>,
) -> Result<FixOutcome, Error> {
    let first = Document::parse_with_limits(source, &options.limits)?;
    fix_passes::<CARRY>(first, options, layout)
}

/// The fix loop. With `CARRY`, a complete pass's leftover findings are carried into
/// its output (see [`carry`]); without, the rules run again after every pass (the tests
/// check that both give the same outcome).
fn fix_passes<const CARRY: bool>(
    first: Document,
    options: &Options,
    layout: Option<&Layout>,
) -> Result<FixOutcome, Error> {
    let diagnostics = run_rules(&first, options, layout)?;
    let threshold = options.threshold();
    let comments_in: Vec<String> = comment_texts(&first)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let source = first.source().to_owned();
    let mut text = source.clone();
    let mut pieces = Pieces::new(source.len());
    // The findings of the current text: None while that is the input (its findings are
    // `diagnostics`, not copied: a large file's are thousands, each with its fix).
    let mut current: Option<Vec<Diagnostic>> = None;
    let mut fixed = 0;
    let mut passes = 0;
    let mut files: Vec<NewFile> = Vec::new();
    let mut secrets: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d.secret.clone())
        .collect();
    crate::sort::sort_by(&mut secrets, |a, b| a.cmp(b));
    secrets.dedup();
    // Secret spans only for a lone file: a project's text is split into files later.
    let input_spans = layout
        .is_none()
        .then(|| secret_spans(&first, &options.settings));
    let mut output_spans = None;
    let mut doc = first;
    loop {
        let applicable = |d: &&Diagnostic| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability() >= threshold && !f.edits().is_empty())
        };
        let now: &[Diagnostic] = current.as_deref().unwrap_or(&diagnostics);
        let waiting = waiting_services(&doc, layout, now.iter().filter(applicable));
        let read_only = read_only_spans(&doc, layout);
        // The findings whose fixes this pass applies.
        let chosen = |d: &&Diagnostic| {
            applicable(d)
                && d.fix.as_ref().is_none_or(|f| {
                    !f.edits().iter().any(|e| {
                        let r = e.range();
                        read_only
                            .iter()
                            .any(|s| r.start <= s.end && r.end >= s.start)
                    })
                })
                && d.service
                    .as_ref()
                    .is_none_or(|s| !waiting.iter().any(|w| **w == **s))
        };
        let fixes: Vec<&Fix> = now
            .iter()
            .filter(chosen)
            .filter_map(|d| d.fix.as_ref())
            .collect();
        if fixes.is_empty() {
            if input_spans.is_some() {
                output_spans = Some(secret_spans(&doc, &options.settings));
            }
            break;
        }
        if passes == MAX_PASSES {
            return Err(Error::NotConverged { passes });
        }
        passes += 1;
        // One fix per finding: a finding is fixed when its fix, or an identical one, applied.
        let pass = apply_pass(&text, &fixes);
        // The text before the pass is not read again (the pass's output replaces it).
        drop(std::mem::take(&mut text));
        pieces = pieces.after_edits(&pass.edits);
        for fix in &pass.applied {
            for file in fix.files() {
                add_file(&mut files, file)?;
            }
        }
        fixed += pass.fixed;
        let next = pass.text;
        let shared = CARRY && carry::edits_shared(&doc, &pass.edits);
        // The text before the pass is no longer read: its nodes go before the new text's come.
        drop(doc);
        doc = parse_output(&next, options)?;
        if layout.is_some_and(|l| l.documents.len() != doc.documents().len()) {
            return Err(Error::FixBroke {
                detail: "the files' YAML documents changed".into(),
            });
        }
        let comments_out = comment_texts(&doc);
        if comments_out != comments_in {
            return Err(Error::FixBroke {
                detail: "a comment was lost or changed".into(),
            });
        }
        // A pass that applied every fix it was given, none waiting for another, and only fixes
        // that leave nothing behind for any rule (see `carry::FINAL_FIXES`), leaves the
        // findings it did not fix as they were: carried into the new text, they are what the
        // rules would find there, so the rules need not run again.
        // (A project's text, several files and some only read, runs the rules again.)
        let complete = || {
            pass.fixed == fixes.len()
                && waiting.is_empty()
                && !shared
                && now
                    .iter()
                    .filter(chosen)
                    .all(|d| carry::FINAL_FIXES.contains(&d.rule.code))
        };
        if CARRY && layout.is_none() && complete() {
            let mut codes: Vec<&'static str> =
                now.iter().filter(chosen).map(|d| d.rule.code).collect();
            crate::sort::sort_by(&mut codes, |a, b| a.cmp(b));
            codes.dedup();
            // The rules of the fixes applied run again, and must find exactly what is carried
            // of theirs: each fix did what it meant to (an insertion a block scalar swallowed
            // would be found again, with its fix), and the result is still a compose file
            // (removing `version:` from a file of nothing else leaves none). Otherwise every
            // rule runs again, as after any other pass.
            let recheck = Options {
                select: codes.iter().map(|c| (*c).to_owned()).collect(),
                ..options.clone()
            };
            let found = run_rules(&doc, &recheck, layout).map_err(|e| Error::FixBroke {
                detail: format!("the result is not a compose file: {e}"),
            })?;
            // A carry that holds ends the loop without reading the new text's document again:
            // its nodes go before the carried findings come (together they were the peak of a
            // large file's memory). Parsed again in the rare case the carry does not hold.
            let lines = doc.lines().clone();
            let spans = secret_spans(&doc, &options.settings);
            drop(doc);
            let shift = carry::Shift::new(&pass.edits);
            // What the pass left of the findings, copied: the input's findings stay the outcome's.
            let left: Vec<&Diagnostic> = now.iter().filter(|d| !chosen(d)).collect();
            if let Some(left) = carry::carry(left.into_iter().cloned(), &shift, &next, &lines)
                && found
                    .iter()
                    .eq(left.iter().filter(|d| codes.contains(&d.rule.code)))
            {
                #[cfg(test)]
                carried::CARRIED.with(|c| c.set(c.get() + 1));
                current = Some(left);
                output_spans = Some(spans);
                text = next;
                break;
            }
            doc = parse_output(&next, options)?;
        }
        current = Some(
            run_rules(&doc, options, layout).map_err(|e| Error::FixBroke {
                detail: format!("the result is not a compose file: {e}"),
            })?,
        );
        text = next;
    }
    let changes = pieces.changes(&source, &text);
    let remaining = current.unwrap_or_else(|| diagnostics.clone());
    Ok(FixOutcome {
        output: text,
        diagnostics,
        fixed,
        remaining,
        passes,
        files,
        secrets,
        changes,
        secret_spans: match (input_spans, output_spans) {
            (Some(input), Some(output)) => Some(SecretSpans { input, output }),
            _ => None,
        },
    })
}

/// A pass's output parsed: the guard after every pass (a fix whose result does not parse is a
/// bug, reported instead of output).
fn parse_output(text: &str, options: &Options) -> Result<Document, Error> {
    Document::parse_with_limits(text, &options.limits).map_err(|e| Error::FixBroke {
        detail: format!("the result does not parse: {e}"),
    })
}

/// The services whose fixes wait for a later pass: a service that `extends` another service of
/// the file inherits what the base's fixes add (Compose appends lists such as `security_opt`
/// across `extends`, so the same item in both would be a duplicate the loader rejects). It is
/// fixed once no service it extends, directly or not, has a fix left to apply, and then
/// gets only what it needs beyond what it inherits.
fn waiting_services<'d>(
    doc: &Document,
    layout: Option<&Layout>,
    with_fixes: impl Iterator<Item = &'d Diagnostic>,
) -> Vec<String> {
    // Only `extends` makes a service another's base.
    if !doc.says_extends() {
        return Vec::new();
    }
    let busy: Vec<&str> = with_fixes.filter_map(|d| d.service.as_deref()).collect();
    let Ok(compose) = Compose::with_layout(doc, layout) else {
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

/// The spans of the YAML documents of files read only for `extends` (a project's): no fix
/// may edit them, so a finding whose value lives there stays a finding.
fn read_only_spans(doc: &Document, layout: Option<&Layout>) -> Vec<std::ops::Range<usize>> {
    let Some(layout) = layout else {
        return Vec::new();
    };
    doc.documents()
        .iter()
        .zip(&layout.documents)
        // An empty document has no root; every other document without services is a file
        // read for `extends`.
        .filter(|(_, place)| !place.services)
        .filter_map(|(d, _)| d.root.map(|r| doc.node(r).start..doc.node(r).end))
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

/// What one pass of [`apply_pass`] did.
struct Pass<'f> {
    /// The new text.
    text: String,
    /// The fixes applied (one of each set of identical fixes).
    applied: Vec<&'f Fix>,
    /// How many of the given fixes were applied, themselves or as an identical one.
    fixed: usize,
    /// The edits spliced, in order (sorted, disjoint, in the old text).
    edits: Vec<&'f Edit>,
}

/// For each fix, the index of the first identical fix in `order` (itself when it is the first):
/// several findings share one fix, which is applied once.
fn first_of_identical(fixes: &[&Fix], order: &[usize]) -> Vec<usize> {
    let mut by_digest: Vec<usize> = order.to_vec();
    let mut rank = vec![0; fixes.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    crate::sort::sort_by(&mut by_digest, |&a, &b| {
        (fixes[a].digest(), rank[a]).cmp(&(fixes[b].digest(), rank[b]))
    });
    let mut first: Vec<usize> = (0..fixes.len()).collect();
    for run in by_digest.chunk_by(|&a, &b| fixes[a].digest() == fixes[b].digest()) {
        for (i, &a) in run.iter().enumerate() {
            if let Some(&b) = run[..i]
                .iter()
                .find(|&&b| first[b] == b && fixes[b] == fixes[a])
            {
                first[a] = b;
            }
        }
    }
    first
}

/// Applies the fixes that do not overlap an earlier one (identical fixes count once).
/// Insertions at the same offset are ordered deepest first, so each stays inside its own block.
fn apply_pass<'f>(source: &str, fixes: &[&'f Fix]) -> Pass<'f> {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        fixes[a].min_start().cmp(&fixes[b].min_start())
    });
    let first = first_of_identical(fixes, &order);
    order.retain(|&i| first[i] == i);
    let unique: Vec<&Fix> = order.iter().map(|&i| fixes[i]).collect();
    let mut accepted = vec![false; fixes.len()];
    let mut applied: Vec<&Fix> = Vec::new();
    let mut taken = Taken::new(&unique);
    for (&index, fix) in order.iter().zip(unique.iter().copied()) {
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
        accepted[index] = true;
        applied.push(fix);
    }
    let mut edits: Vec<(usize, &Edit)> = applied
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.edits().iter().map(move |e| (i, e)))
        .collect();
    crate::sort::sort_by(&mut edits, |(ia, a), (ib, b)| {
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
    // An edit that two fixes share (an item added to a list several services inherit) is
    // spliced once.
    let mut kept: Vec<&'f Edit> = Vec::with_capacity(edits.len());
    for (_, edit) in edits {
        let same_range = kept
            .iter()
            .rev()
            .take_while(|k| k.range().start == edit.range().start);
        if !same_range.clone().any(|k| *k == edit) {
            kept.push(edit);
        }
    }
    let text = splice(source, &kept);
    Pass {
        text,
        applied,
        fixed: first.iter().filter(|&&f| accepted[f]).count(),
        edits: kept,
    }
}

#[cfg(test)]
#[path = "../../../../examples/generated.rs"]
mod generated;

#[cfg(test)]
mod carried {
    //! The outcome with findings carried over a complete pass is the outcome with the rules
    //! run again after it, on every compose file of the repository and on generated ones.

    use super::fix_passes;
    use crate::engine::Options;
    use crate::settings::{Preset, Target};

    use super::generated;

    thread_local! {
        /// How many fixes of this thread carried their findings over a pass.
        pub(super) static CARRIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn compose_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                compose_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    fn option_sets() -> Vec<(&'static str, Options)> {
        let mut env_file = Options {
            unsafe_fixes: true,
            ..Options::default()
        };
        env_file.settings.secrets_env_file = Some(".env.secrets".into());
        env_file.settings.nofile = Some(4096);
        vec![
            ("safe", Options::default()),
            (
                "unsafe",
                Options {
                    unsafe_fixes: true,
                    ..Options::default()
                },
            ),
            (
                "strict",
                Options {
                    unsafe_fixes: true,
                    preset: Preset::Strict,
                    ..Options::default()
                },
            ),
            (
                "swarm",
                Options {
                    unsafe_fixes: true,
                    target: Target::Swarm,
                    ..Options::default()
                },
            ),
            ("env-file", env_file),
        ]
    }

    fn same_outcome(name: &str, source: &str, options: &Options) -> Result<(), String> {
        let parse = || crate::Document::parse_with_limits(source, &options.limits);
        // A file that does not parse is refused before any pass, either way.
        let (Ok(a), Ok(b)) = (parse(), parse()) else {
            return Ok(());
        };
        let carried = fix_passes::<true>(a, options, None);
        let rerun = fix_passes::<false>(b, options, None);
        match (carried, rerun) {
            (Err(a), Err(b)) if a.to_string() == b.to_string() => Ok(()),
            (Ok(a), Ok(b)) => {
                let fix_messages = |o: &super::FixOutcome| -> Vec<String> {
                    o.remaining
                        .iter()
                        .map(|d| d.fix.as_ref().map_or("", |f| f.message()).to_owned())
                        .collect()
                };
                // The spans are those a parse of either text finds, either way.
                let parsed = crate::masking::SecretSpans {
                    input: crate::masking::secret_spans_of(
                        source,
                        &options.settings,
                        &options.limits,
                    )
                    .map_err(|e| format!("{name}: the input does not parse again: {e}"))?,
                    output: crate::masking::secret_spans_of(
                        &a.output,
                        &options.settings,
                        &options.limits,
                    )
                    .map_err(|e| format!("{name}: the output does not parse: {e}"))?,
                };
                for (way, outcome) in [("carried", &a), ("run again", &b)] {
                    if outcome.secret_spans.as_ref() != Some(&parsed) {
                        return Err(format!(
                            "{name} ({way}): the secret spans {:?} are not those parsed, {parsed:?}",
                            outcome.secret_spans
                        ));
                    }
                    let diff = outcome.diff(source, "compose.yaml");
                    let masked = crate::masking::masked_diff(
                        source,
                        &outcome.changes,
                        "compose.yaml",
                        &options.settings,
                        &options.limits,
                    )
                    .map_err(|e| format!("{name}: {e}"))?;
                    if outcome.mask_diff(&diff, source).as_ref() != Some(&masked) {
                        return Err(format!("{name} ({way}): the masked diffs differ"));
                    }
                }
                if a.output != b.output
                    || a.fixed != b.fixed
                    || a.passes != b.passes
                    || a.files != b.files
                    || a.secrets != b.secrets
                    || a.changes != b.changes
                    || (a.remaining == b.remaining && fix_messages(&a) != fix_messages(&b))
                {
                    return Err(format!(
                        "{name}: the outcomes differ: output {} fixed {}/{} passes {}/{} files {} secrets {} changes {} fix messages {}",
                        a.output == b.output,
                        a.fixed,
                        b.fixed,
                        a.passes,
                        b.passes,
                        a.files == b.files,
                        a.secrets == b.secrets,
                        a.changes == b.changes,
                        fix_messages(&a) == fix_messages(&b)
                    ));
                }
                if a.remaining != b.remaining {
                    let first = a
                        .remaining
                        .iter()
                        .zip(&b.remaining)
                        .find(|(x, y)| x != y)
                        .map(|(x, y)| {
                            format!(
                                "carried {} {} {:?} {:?}\nrun again {} {} {:?} {:?}",
                                x.code(),
                                x.message,
                                x.range,
                                x.fix.as_ref().map(|f| (f.applicability(), f.edits())),
                                y.code(),
                                y.message,
                                y.range,
                                y.fix.as_ref().map(|f| (f.applicability(), f.edits()))
                            )
                        })
                        .unwrap_or_else(|| {
                            format!(
                                "{} carried, {} found again",
                                a.remaining.len(),
                                b.remaining.len()
                            )
                        });
                    return Err(format!("{name}: the remaining findings differ:\n{first}"));
                }
                Ok(())
            }
            (a, b) => Err(format!(
                "{name}: one failed: carried {:?}, run again {:?}",
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            )),
        }
    }

    #[test]
    fn carrying_findings_changes_no_outcome() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["tests", "crates/composeguard/tests/fixtures", "examples"] {
            compose_files(&root.join(dir), &mut files);
        }
        files.sort();
        assert!(
            files.len() > 100,
            "found only {} compose files",
            files.len()
        );
        let mut inputs: Vec<(String, String)> = files
            .iter()
            .filter_map(|f| Some((f.display().to_string(), std::fs::read_to_string(f).ok()?)))
            .collect();
        for n in [1, 7, 60] {
            inputs.push((format!("generated {n}"), generated::compose(n)));
        }
        // The fuzzer's finds: a file of `version:` only is empty once CG703 removed it; a
        // `|+` block scalar swallows what CG501 inserts after it.
        inputs.push(("version only".into(), "version:\r\n".into()));
        inputs.push((
            "block scalar keeping its trailing lines".into(),
            "services:\n  base:\n    ima: eaxmp/base:0\n    logging:\n      d.ivmmand: |+\n    drharNd  KEEP: |\n        lie two\n".into(),
        ));
        let mut failures = Vec::new();
        let before = CARRIED.with(|c| c.get());
        for (name, options) in option_sets() {
            for (file, source) in &inputs {
                if let Err(e) = same_outcome(&format!("{file} ({name})"), source, &options) {
                    failures.push(e);
                }
            }
        }
        // Most of the files are fixed with findings carried at least once (the safe fixes).
        let carried = CARRIED.with(|c| c.get()) - before;
        assert!(
            carried > 100,
            "only {carried} outcomes carried their findings"
        );
        assert!(
            failures.is_empty(),
            "{} differences, the first:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::apply_pass;
    use crate::edit::{Edit, Fix};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The acceptance rule written the plain way (an ordered map of accepted edits by start):
    /// the reference the Fenwick-tree version must agree with.
    fn reference<'f>(source: &str, fixes: &[&'f Fix]) -> Vec<&'f Fix> {
        let mut order: Vec<&Fix> = fixes.to_vec();
        order.sort_by_key(|f| f.min_start());
        let mut taken: BTreeMap<usize, Vec<&Edit>> = BTreeMap::new();
        let mut applied: Vec<&Fix> = Vec::new();
        for fix in order {
            if applied.contains(&fix) {
                continue;
            }
            let conflicts = |e: &Edit| {
                let r = e.range();
                if let Some((&start, edits)) = taken.range(..=r.start).next_back() {
                    for a in edits {
                        let y = a.range();
                        if *a == e {
                            continue; // one edit two fixes share is applied once
                        }
                        if start == r.start {
                            if r.is_empty()
                                && y.is_empty()
                                && !(e.is_self_delimiting() && a.is_self_delimiting())
                            {
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
                !r.is_empty() && taken.range(r.start + 1..r.end).next().is_some()
            };
            let bad = fix.edits().iter().any(|e| e.range().end > source.len());
            if bad || fix.edits().iter().any(conflicts) {
                continue;
            }
            for e in fix.edits() {
                taken.entry(e.range().start).or_default().push(e);
            }
            applied.push(fix);
        }
        applied
    }

    fn edit() -> impl Strategy<Value = Edit> {
        (
            0usize..40,
            0usize..4,
            prop_oneof!["x", "\n  y: 1", ", z", ""],
        )
            .prop_map(|(at, len, text)| {
                if len == 0 {
                    Edit::insertion(at, text)
                } else {
                    Edit::replacement(at..at + len, text)
                }
            })
    }

    proptest! {
        #[test]
        fn accepts_the_same_fixes_as_the_plain_rule(
            fixes in proptest::collection::vec(proptest::collection::vec(edit(), 1..4), 0..12),
            repeat in 0usize..3,
        ) {
            let source = "a".repeat(40);
            // A fix's own edits never overlap (rules build them so); fixes may overlap freely.
            let mut fixes: Vec<Fix> = fixes
                .into_iter()
                .map(|mut edits| {
                    edits.sort_by_key(|e| (e.range().start, e.range().end));
                    let mut end = 0;
                    edits.retain(|e| {
                        let keep = e.range().start >= end;
                        if keep {
                            end = e.range().end;
                        }
                        keep
                    });
                    Fix::safe("f", edits)
                })
                .collect();
            // Several findings sharing one fix.
            for i in 0..repeat.min(fixes.len()) {
                fixes.push(fixes[i].clone());
            }
            let refs: Vec<&Fix> = fixes.iter().collect();
            let applied = apply_pass(&source, &refs).applied;
            let expected = reference(&source, &refs);
            prop_assert_eq!(applied.len(), expected.len());
            for (a, b) in applied.iter().zip(&expected) {
                prop_assert!(std::ptr::eq(*a, *b) || *a == *b);
            }
        }
    }
}
