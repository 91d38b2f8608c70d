//! Unified diffs of what a fix changed, built from the changes themselves.
//!
//! The engine knows exactly which bytes it replaced (the [`Edit`]s made to the input, composed over every pass),
//! so the diff needs no longest-common-subsequence search: each change is widened to whole
//! lines, lines it left equal at its edges are trimmed, and nearby changes share a hunk with
//! three lines of context. This is linear in the size of the file, shows exactly what the tool
//! did (never a "cleverer" alignment of identical lines) and keeps a diff library out of the
//! WebAssembly module.

use std::ops::Range;

use crate::edit::Edit;

/// Lines of context around each change, as `diff -u` and `git diff` print.
const CONTEXT: usize = 3;

/// The text `changes` (sorted, non-overlapping, as [`crate::FixOutcome::changes`]) make of
/// `source`. Ranges outside the text or off UTF-8 boundaries are ignored.
pub fn apply_changes(source: &str, changes: &[Edit]) -> String {
    let valid: Vec<&Edit> = valid(source, changes).collect();
    crate::fix::splice(source, &valid)
}

/// The changes that can be applied in order: inside the text, on character boundaries, not
/// before the previous one's end, and not a no-op.
fn valid<'c>(source: &'c str, changes: &'c [Edit]) -> impl Iterator<Item = &'c Edit> {
    let mut last = 0;
    changes.iter().filter(move |c| {
        let range = c.range();
        let ok = range.start >= last
            && range.start <= range.end
            && range.end <= source.len()
            && source.is_char_boundary(range.start)
            && source.is_char_boundary(range.end)
            && source[range.clone()] != *c.content();
        if ok {
            last = range.end;
        }
        ok
    })
}

/// A unified diff (`--- a/path`, `+++ b/path`, three lines of context) of `changes` applied to
/// `source`, or an empty string when they change nothing. A path that is absolute or `-`
/// (standard input) gets no `a/`/`b/` prefix.
pub fn unified_diff(source: &str, changes: &[Edit], path: &str) -> String {
    let output = apply_changes(source, changes);
    let old = Lines::new(source);
    let new = Lines::new(&output);
    let regions = regions(source, &output, &old, &new, changes);
    if regions.is_empty() {
        return String::new();
    }
    let mut out = if path.starts_with('/') || path == "-" {
        format!("--- {path}\n+++ {path}\n")
    } else {
        format!("--- a/{path}\n+++ b/{path}\n")
    };
    let mut first = 0;
    while first < regions.len() {
        // Regions whose unchanged gap is at most two contexts share a hunk.
        let mut last = first;
        while last + 1 < regions.len()
            && regions[last + 1].old.start - regions[last].old.end <= 2 * CONTEXT
        {
            last += 1;
        }
        let head = &regions[first];
        let tail = &regions[last];
        let before = head.old.start.min(CONTEXT);
        let after = (old.count() - tail.old.end).min(CONTEXT);
        let old_range = head.old.start - before..tail.old.end + after;
        let new_range = head.new.start - before..tail.new.end + after;
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            hunk_range(&old_range),
            hunk_range(&new_range)
        ));
        let mut at = old_range.start;
        for region in &regions[first..=last] {
            for i in at..region.old.start {
                push_line(&mut out, ' ', old.line(i));
            }
            for i in region.old.clone() {
                push_line(&mut out, '-', old.line(i));
            }
            for i in region.new.clone() {
                push_line(&mut out, '+', new.line(i));
            }
            at = region.old.end;
        }
        for i in at..old_range.end {
            push_line(&mut out, ' ', old.line(i));
        }
        first = last + 1;
    }
    out
}

/// Lines `old` of the input replaced by lines `new` of the output.
struct Region {
    old: Range<usize>,
    new: Range<usize>,
}

/// Each change widened to whole lines of both texts (overlapping ones merged), then trimmed of
/// the lines it leaves equal at its start and end.
fn regions(source: &str, output: &str, old: &Lines, new: &Lines, changes: &[Edit]) -> Vec<Region> {
    // Byte ranges first: (old bytes, new bytes), both starting and ending on line boundaries.
    let mut spans: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut delta: isize = 0;
    for c in valid(source, changes) {
        let range = c.range();
        let start = old.start_of_line_at(range.start);
        let new_start = start.wrapping_add_signed(delta);
        delta += c.content().len() as isize - range.len() as isize;
        let new_after = range.end.wrapping_add_signed(delta);
        let on_boundary =
            |text: &str, at: usize| at == 0 || at == text.len() || text.as_bytes()[at - 1] == b'\n';
        let end = if on_boundary(source, range.end) && on_boundary(output, new_after) {
            range.end
        } else {
            old.end_of_line_at(range.end)
        };
        match spans.last_mut() {
            Some((o, _)) if start < o.end => o.end = o.end.max(end),
            _ => spans.push((start..end, new_start..0)),
        }
        // The new end follows the old end: past the last change the bytes are equal.
        if let Some((o, n)) = spans.last_mut() {
            n.end = o.end.wrapping_add_signed(delta);
        }
    }
    let mut regions: Vec<Region> = Vec::with_capacity(spans.len());
    for (o, n) in spans {
        let mut old_lines = old.index(o.start)..old.index(o.end);
        let mut new_lines = new.index(n.start)..new.index(n.end);
        while !old_lines.is_empty()
            && !new_lines.is_empty()
            && old.line(old_lines.start) == new.line(new_lines.start)
        {
            old_lines.start += 1;
            new_lines.start += 1;
        }
        while !old_lines.is_empty()
            && !new_lines.is_empty()
            && old.line(old_lines.end - 1) == new.line(new_lines.end - 1)
        {
            old_lines.end -= 1;
            new_lines.end -= 1;
        }
        if old_lines.is_empty() && new_lines.is_empty() {
            continue;
        }
        // Changed lines that touch print as one block: every `-` line, then every `+` line.
        match regions.last_mut() {
            Some(last) if last.old.end == old_lines.start && last.new.end == new_lines.start => {
                last.old.end = old_lines.end;
                last.new.end = new_lines.end;
            }
            _ => regions.push(Region {
                old: old_lines,
                new: new_lines,
            }),
        }
    }
    regions
}

/// The lines of a text (each with its `\n`, the last one possibly without). Not
/// [`crate::lines::LineIndex`]: that one also ends lines at a lone `\r`, as editors count lines,
/// while a unified diff (and `git apply`) splits at `\n` only.
struct Lines<'t> {
    text: &'t str,
    /// Byte offset of each line's start, then the text's length.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < text.len()),
        );
        if text.is_empty() {
            starts.clear();
        }
        starts.push(text.len());
        Lines { text, starts }
    }

    fn count(&self) -> usize {
        self.starts.len() - 1
    }

    fn line(&self, i: usize) -> &'t str {
        &self.text[self.starts[i]..self.starts[i + 1]]
    }

    /// The index of the line that starts at `at`, a line boundary (the line count at the end).
    fn index(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s < at)
    }

    fn start_of_line_at(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    fn end_of_line_at(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i + 1)
    }
}

fn push_line(out: &mut String, tag: char, line: &str) {
    out.push(tag);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// A hunk range as unified diffs write it: `start,len`, `start` alone for one line, and the
/// line before for an empty range.
fn hunk_range(lines: &Range<usize>) -> String {
    match lines.len() {
        1 => format!("{}", lines.start + 1),
        0 => format!("{},0", lines.start),
        len => format!("{},{len}", lines.start + 1),
    }
}

/// Replaces every occurrence of each secret in `text` by `****` (longest secrets first, so a
/// secret that contains another is masked whole). Secrets shorter than 3 bytes are left alone:
/// masking them would hide unrelated text and reveal nothing useful.
///
/// This hides every occurrence of the text, also where it is no secret (`POSTGRES_PASSWORD:
/// postgres` would mask `image: postgres:16`), and only what rules reported: prefer
/// [`crate::masking::masked_diff`], which hides the values' own spans, whatever rules ran.
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 3).collect();
    crate::sort::sort_by(&mut sorted, |a, b| b.len().cmp(&a.len()));
    let mut out = text.to_owned();
    for secret in sorted {
        out = out.replace(secret.as_str(), "****");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{apply_changes, unified_diff};
    use crate::edit::Edit;
    use proptest::prelude::*;

    fn change(range: std::ops::Range<usize>, text: &str) -> Edit {
        Edit::replacement(range, text)
    }

    /// Applies a unified diff as `patch` would, checking every context and removed line.
    fn patch(old: &str, diff: &str) -> Result<String, String> {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut at = 0;
        let mut lines = diff.split_inclusive('\n').skip(2).peekable();
        while let Some(header) = lines.next() {
            let rest = header
                .strip_prefix("@@ -")
                .ok_or(format!("bad header {header:?}"))?;
            let start: usize = rest.split([',', ' ']).next().unwrap().parse().unwrap();
            let len_given = rest.split(' ').next().unwrap().contains(',');
            let first = if len_given && rest.split(' ').next().unwrap().ends_with(",0") {
                start
            } else {
                start - 1
            };
            if first < at {
                return Err(format!("hunks out of order at {header:?}"));
            }
            out.extend(old_lines[at..first].iter().copied());
            at = first;
            while let Some(line) = lines.peek().copied() {
                if line.starts_with("@@") {
                    break;
                }
                lines.next();
                let mut body = line[1..].to_owned();
                if lines.peek().is_some_and(|l| l.starts_with('\\')) {
                    lines.next();
                    body.pop();
                }
                match &line[..1] {
                    " " | "-" => {
                        if old_lines.get(at).copied() != Some(body.as_str()) {
                            return Err(format!(
                                "line {} is {:?}, diff says {body:?}",
                                at + 1,
                                old_lines.get(at)
                            ));
                        }
                        if line.starts_with(' ') {
                            out.push_str(&body);
                        }
                        at += 1;
                    }
                    "+" => out.push_str(&body),
                    other => return Err(format!("bad line tag {other:?}")),
                }
            }
        }
        out.extend(old_lines[at..].iter().copied());
        Ok(out)
    }

    fn check(old: &str, changes: &[Edit]) -> String {
        let new = apply_changes(old, changes);
        let diff = unified_diff(old, changes, "f");
        assert_eq!(diff.is_empty(), new == old, "{diff}");
        if !diff.is_empty() {
            assert_eq!(patch(old, &diff).as_deref(), Ok(new.as_str()), "{diff}");
        }
        diff
    }

    #[test]
    fn whole_lines_in_line_changes_and_missing_final_newlines() {
        let cases = [
            // Whole lines inserted: only `+` lines.
            (
                "a\nb\nc\n",
                2..2,
                "x\ny\n",
                "@@ -1,3 +1,5 @@\n a\n+x\n+y\n b\n c\n",
            ),
            // A change inside a line shows the whole line, before and after.
            (
                "k: [a]\nz: 1\n",
                5..5,
                ", b",
                "@@ -1,2 +1,2 @@\n-k: [a]\n+k: [a, b]\n z: 1\n",
            ),
            // A last line without a newline is marked, as `diff -u` does.
            (
                "a\nb",
                3..3,
                "\nc",
                "@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n",
            ),
        ];
        for (old, range, text, hunks) in cases {
            let diff = check(old, &[change(range, text)]);
            assert_eq!(diff, format!("--- a/f\n+++ b/f\n{hunks}"));
        }
    }

    #[test]
    fn distant_changes_get_their_own_hunks_and_near_ones_share() {
        let old: String = (0..30).map(|i| format!("l{i}\n")).collect();
        let at = |line: usize| old.match_indices('\n').nth(line - 1).unwrap().0 + 1;
        let diff = check(
            &old,
            &[change(at(2)..at(2), "x\n"), change(at(20)..at(20), "y\n")],
        );
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        let diff = check(
            &old,
            &[change(at(2)..at(2), "x\n"), change(at(8)..at(8), "y\n")],
        );
        assert_eq!(diff.matches("@@ -").count(), 1, "{diff}");
        let diff = check(
            &old,
            &[change(at(2)..at(2), "x\n"), change(at(9)..at(9), "y\n")],
        );
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
    }

    #[test]
    fn crlf_deletions_edges_and_no_ops() {
        check("a\r\nb\r\n", &[change(3..3, "x\r\n")]);
        check("a\nb\nc\n", &[change(2..4, "")]);
        check("a\nb\n", &[change(0..0, "top\n"), change(4..4, "end\n")]);
        check("", &[change(0..0, "new\n")]);
        check("abc", &[change(0..3, "")]);
        assert_eq!(check("a\nb\n", &[change(0..1, "a")]), "");
        assert_eq!(check("a\nb\n", &[]), "");
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof!["a", "b", "\n", "\r\n", "é", " "], 0..40)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn any_changes_make_a_diff_that_patches(
            old in text(),
            edits in proptest::collection::vec((0usize..60, 0usize..4, text()), 0..6),
        ) {
            let mut cuts: Vec<(usize, usize, String)> = edits
                .into_iter()
                .map(|(at, len, t)| {
                    let mut start = at.min(old.len());
                    while !old.is_char_boundary(start) { start -= 1; }
                    let mut end = (start + len).min(old.len());
                    while !old.is_char_boundary(end) { end += 1; }
                    (start, end, t)
                })
                .collect();
            cuts.sort_by_key(|c| (c.0, c.1));
            let mut changes = Vec::new();
            let mut last = 0;
            for (start, end, t) in cuts {
                if start >= last {
                    changes.push(change(start..end, &t));
                    last = end;
                }
            }
            check(&old, &changes);
        }
    }
}
