//! The one splice: edits written into a text. The fix loop splices each pass's edits; the diff
//! splices the changes made to the input.

use crate::edit::Edit;

/// `source` with each edit's range replaced by its content. The edits are sorted, disjoint,
/// inside `source` and on character boundaries (callers check).
pub(crate) fn splice(source: &str, edits: &[&Edit]) -> String {
    // The exact length: a guess grew (and copied) the text of a file whose fixes more than
    // half its size again, as a large file's do.
    let len = edits
        .iter()
        .fold(source.len(), |n, e| n + e.content().len() - e.range().len());
    let mut out = String::with_capacity(len);
    let mut last = 0;
    for edit in edits {
        let range = edit.range();
        out.push_str(&source[last..range.start]);
        out.push_str(edit.content());
        last = range.end;
    }
    out.push_str(&source[last..]);
    out
}
