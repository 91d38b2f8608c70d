//! Unified diffs of what a fix changed.

use similar::algorithms::{Capture, Replace, myers};
use similar::{ChangeTag, group_diff_ops};

/// A unified diff (`--- a/path`, `+++ b/path`, three lines of context) between two texts, or
/// an empty string when they are equal. Same output as `similar::TextDiff`'s unified diff,
/// built on its Myers algorithm alone (the other algorithms would triple the wasm module).
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = if path.starts_with('/') || path == "-" {
        (path.to_owned(), path.to_owned())
    } else {
        (format!("a/{path}"), format!("b/{path}"))
    };
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut hook = Replace::new(Capture::new());
    let Ok(()) = myers::diff(
        &mut hook,
        &old_lines,
        0..old_lines.len(),
        &new_lines,
        0..new_lines.len(),
    );
    let groups = group_diff_ops(hook.into_inner().into_ops(), 3);
    let mut out = format!("--- {a}\n+++ {b}\n");
    for group in groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = range(first.old_range().start, last.old_range().end);
        let new_range = range(first.new_range().start, last.new_range().end);
        out.push_str(&format!("@@ -{old_range} +{new_range} @@\n"));
        for op in &group {
            for change in op.iter_changes(&old_lines, &new_lines) {
                out.push(match change.tag() {
                    ChangeTag::Equal => ' ',
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                });
                let value = change.value();
                out.push_str(value);
                if !value.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// A hunk range as unified diffs write it: `start,len`, `start` alone for one line, and the
/// line before for an empty range.
fn range(start: usize, end: usize) -> String {
    let len = end.saturating_sub(start);
    match len {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

/// Replaces every occurrence of each secret in `text` by `****` (longest secrets first, so a
/// secret that contains another is masked whole). Secrets shorter than 3 bytes are left alone:
/// masking them would hide unrelated text and reveal nothing useful.
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 3).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in sorted {
        out = out.replace(secret.as_str(), "****");
    }
    out
}
