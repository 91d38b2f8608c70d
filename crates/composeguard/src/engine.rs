//! Running rules and applying their fixes.

use crate::compose::Compose;
use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::diff::Change;
use crate::document::{Document, Limits};
use crate::edit::{Applicability, Edit, Fix, NewFile, NewFileKind};
use crate::error::Error;
use crate::rule::{Check, Rule, RuleMeta};
use crate::rules;
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
                    self.preset.includes(r.meta())
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
    let enabled: Vec<&'static str> = options.rules().iter().map(|r| r.meta().code).collect();
    let mut cx = Context::new(
        doc,
        compose,
        &services,
        &style,
        &options.settings,
        options.target,
        enabled.clone(),
    );
    // A check runs when one of its rules is enabled; it reports under the first of them
    // (a check with several rules says which one each finding is for).
    let checks: Vec<(&dyn Check, &'static RuleMeta)> = rules::checks()
        .iter()
        .filter_map(|(check, rules)| {
            let first = rules.iter().find(|r| enabled.contains(&r.meta().code))?;
            Some((*check, first.meta()))
        })
        .collect();
    for (check, rule) in &checks {
        cx.run(rule, None);
        check.check_file(&mut cx);
    }
    for service in &services {
        for (check, rule) in &checks {
            cx.run(rule, Some(service));
            check.check_service(&mut cx, service);
        }
    }
    let (diagnostics, enabled) = cx.finish();
    let service_lines = services
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
        diagnostics,
        &service_lines,
        &options.per_service_ignore,
        &enabled,
    );
    crate::small::sort_by(&mut diagnostics, |a, b| {
        (a.range.start, a.rule.code).cmp(&(b.range.start, b.rule.code))
    });
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
    /// What changed, relative to the input: every pass's edits composed (sorted, disjoint).
    pub changes: Vec<Change>,
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
    let mut pieces = vec![Piece {
        len: source.len(),
        from: Some(0),
    }];
    let mut current = diagnostics.clone();
    let mut fixed = 0;
    let mut passes = 0;
    let mut files: Vec<NewFile> = Vec::new();
    let mut secrets: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d.secret.clone())
        .collect();
    crate::small::sort_by(&mut secrets, |a, b| a.cmp(b));
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
        let pass = splice_fixes(&text, &fixes);
        pieces = compose(&pieces, &pass.edits);
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
    let changes = changes(source, &text, &pieces);
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

/// A run of the current text: copied from the input at `from`, or new text (`None`).
#[derive(Debug, Clone, Copy)]
struct Piece {
    len: usize,
    from: Option<usize>,
}

/// The pieces of the text after a pass's edits (sorted `(range, new length)` in the text that
/// `pieces` describe).
fn compose(pieces: &[Piece], edits: &[(std::ops::Range<usize>, usize)]) -> Vec<Piece> {
    struct Cursor<'p> {
        pieces: &'p [Piece],
        index: usize,
        used: usize,
        at: usize,
        out: Vec<Piece>,
    }
    impl Cursor<'_> {
        fn push(&mut self, piece: Piece) {
            if piece.len == 0 {
                return;
            }
            if let Some(last) = self.out.last_mut() {
                let joins = match (last.from, piece.from) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a + last.len == b,
                    _ => false,
                };
                if joins {
                    last.len += piece.len;
                    return;
                }
            }
            self.out.push(piece);
        }

        /// Moves to `to`, keeping (or dropping) the text passed over.
        fn advance(&mut self, to: usize, keep: bool) {
            while self.at < to && self.index < self.pieces.len() {
                let piece = self.pieces[self.index];
                let take = (piece.len - self.used).min(to - self.at);
                if keep {
                    self.push(Piece {
                        len: take,
                        from: piece.from.map(|f| f + self.used),
                    });
                }
                self.used += take;
                self.at += take;
                if self.used == piece.len {
                    self.index += 1;
                    self.used = 0;
                }
            }
        }
    }
    let mut cursor = Cursor {
        pieces,
        index: 0,
        used: 0,
        at: 0,
        out: Vec::with_capacity(pieces.len() + 2 * edits.len()),
    };
    for (range, len) in edits {
        cursor.advance(range.start, true);
        cursor.advance(range.end, false);
        cursor.push(Piece {
            len: *len,
            from: None,
        });
    }
    cursor.advance(usize::MAX, true);
    cursor.out
}

/// The input's byte ranges that `pieces` (which make `output`) do not copy, with their
/// replacements.
fn changes(source: &str, output: &str, pieces: &[Piece]) -> Vec<Change> {
    let mut changes = Vec::new();
    // Input bytes before `copied_to` are accounted for; new output text starts at `new_from`.
    let (mut copied_to, mut new_from, mut at) = (0, 0, 0);
    let mut push = |upto: usize, new_to: usize, copied_to: usize, new_from: usize| {
        let text = &output[new_from..new_to];
        if source[copied_to..upto] != *text {
            changes.push(Change {
                range: copied_to..upto,
                text: text.to_owned(),
            });
        }
    };
    for piece in pieces {
        if let Some(from) = piece.from {
            push(from, at, copied_to, new_from);
            copied_to = from + piece.len;
            new_from = at + piece.len;
        }
        at += piece.len;
    }
    push(source.len(), at, copied_to, new_from);
    changes
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

/// The edits accepted so far in a pass. Every candidate edit is sorted by start once; a
/// Fenwick tree counts the accepted ones by rank, which answers "the last accepted start at or
/// before x" and "an accepted start inside (a, b)" in O(log n) (and keeps ordered-map code out
/// of the WebAssembly module).
struct Taken<'e> {
    /// Every candidate edit, by start.
    sorted: Vec<&'e Edit>,
    accepted: Vec<bool>,
    /// Fenwick tree (1-based) of accepted counts by rank.
    tree: Vec<u32>,
}

impl<'e> Taken<'e> {
    fn new(fixes: &[&'e Fix]) -> Taken<'e> {
        let mut sorted: Vec<&Edit> = fixes.iter().flat_map(|f| f.edits().iter()).collect();
        crate::small::sort_by(&mut sorted, |a, b| a.range().start.cmp(&b.range().start));
        Taken {
            accepted: vec![false; sorted.len()],
            tree: vec![0; sorted.len() + 1],
            sorted,
        }
    }

    /// How many edits of rank below `end` are accepted.
    fn count(&self, end: usize) -> u32 {
        let (mut i, mut sum) = (end, 0);
        while i > 0 {
            sum += self.tree[i];
            i &= i - 1;
        }
        sum
    }

    /// The rank of the `k`-th accepted edit (`k` from 1).
    fn kth(&self, mut k: u32) -> usize {
        let n = self.sorted.len();
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            if pos + step <= n && self.tree[pos + step] < k {
                pos += step;
                k -= self.tree[pos];
            }
            step >>= 1;
        }
        pos
    }

    /// Ranks of the candidate edits that start before `offset` (or at it, with `inclusive`).
    fn rank_after(&self, offset: usize, inclusive: bool) -> usize {
        self.sorted.partition_point(|x| {
            let start = x.range().start;
            start < offset || (inclusive && start == offset)
        })
    }

    /// True when `e` cannot be applied together with the accepted edits. Two insertions at one
    /// offset compose only when each delimits itself; an insertion may touch either end of a
    /// replaced range, never its inside.
    fn conflicts(&self, e: &Edit) -> bool {
        let r = e.range();
        // Accepted edits that start at or before `r.start`: only the last start matters, as
        // accepted non-empty ranges never overlap one another.
        let upto = self.rank_after(r.start, true);
        let before = self.count(upto);
        if before > 0 {
            let start = self.sorted[self.kth(before)].range().start;
            for rank in self.rank_after(start, false)..upto {
                if !self.accepted[rank] {
                    continue;
                }
                let y = self.sorted[rank].range();
                let a = self.sorted[rank];
                if a == e {
                    continue; // the same edit, wanted by two fixes: it is applied once
                }
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
        !r.is_empty() && self.count(self.rank_after(r.end, false)) > before
    }

    fn insert(&mut self, e: &'e Edit) {
        let from = self.rank_after(e.range().start, false);
        let Some(rank) = (from..self.sorted.len())
            .find(|&i| std::ptr::eq(self.sorted[i], e) && !self.accepted[i])
        else {
            return;
        };
        self.accepted[rank] = true;
        let mut i = rank + 1;
        while i < self.tree.len() {
            self.tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
}

/// Applies the fixes that do not overlap an earlier one (identical fixes count once) and
/// returns the new text and the fixes applied. Insertions at the same offset are ordered
/// deepest first, so each stays inside its own block.
pub fn apply_fixes<'f>(source: &str, fixes: &[&'f Fix]) -> (String, Vec<&'f Fix>) {
    let pass = splice_fixes(source, fixes);
    (pass.text, pass.applied)
}

/// What one pass of [`splice_fixes`] did.
struct Pass<'f> {
    text: String,
    /// The fixes applied (one of each set of identical fixes).
    applied: Vec<&'f Fix>,
    /// How many of the given fixes were applied, themselves or as an identical one.
    fixed: usize,
    /// Each spliced edit as (range in the old text, length of its text), in order.
    edits: Vec<(std::ops::Range<usize>, usize)>,
}

/// For each fix, the index of the first identical fix in `order` (itself when it is the first):
/// several findings share one fix, which is applied once.
fn first_of_identical(fixes: &[&Fix], order: &[usize]) -> Vec<usize> {
    let mut by_digest: Vec<usize> = order.to_vec();
    let mut rank = vec![0; fixes.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    crate::small::sort_by(&mut by_digest, |&a, &b| {
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

/// Applies the fixes that do not overlap an earlier one (see [`apply_fixes`]).
fn splice_fixes<'f>(source: &str, fixes: &[&'f Fix]) -> Pass<'f> {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    crate::small::sort_by(&mut order, |&a, &b| {
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
    crate::small::sort_by(&mut edits, |(ia, a), (ib, b)| {
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
    let mut kept: Vec<&Edit> = Vec::with_capacity(edits.len());
    for (_, edit) in edits {
        let same_range = kept
            .iter()
            .rev()
            .take_while(|k| k.range().start == edit.range().start);
        if !same_range.clone().any(|k| *k == edit) {
            kept.push(edit);
        }
    }
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    let mut last = 0;
    let mut spliced = Vec::with_capacity(kept.len());
    for edit in kept {
        let range = edit.range();
        out.push_str(&source[last..range.start]);
        out.push_str(edit.content());
        last = range.end;
        spliced.push((range, edit.content().len()));
    }
    out.push_str(&source[last..]);
    Pass {
        text: out,
        applied,
        fixed: first.iter().filter(|&&f| accepted[f]).count(),
        edits: spliced,
    }
}

#[cfg(test)]
mod tests {
    use super::apply_fixes;
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
            let (_, applied) = apply_fixes(&source, &refs);
            let expected = reference(&source, &refs);
            prop_assert_eq!(applied.len(), expected.len());
            for (a, b) in applied.iter().zip(&expected) {
                prop_assert!(std::ptr::eq(*a, *b) || *a == *b);
            }
        }
    }
}
