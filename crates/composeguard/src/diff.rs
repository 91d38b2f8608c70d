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
