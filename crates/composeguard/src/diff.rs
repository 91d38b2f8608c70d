//! Unified diffs of what a fix changed.

use similar::TextDiff;

/// A unified diff (`--- a/path`, `+++ b/path`, three lines of context) between two texts, or
/// an empty string when they are equal.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = if path.starts_with('/') || path == "-" {
        (path.to_owned(), path.to_owned())
    } else {
        (format!("a/{path}"), format!("b/{path}"))
    };
    let diff = TextDiff::from_lines(old, new);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
