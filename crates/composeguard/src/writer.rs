//! New YAML text in the file's own [`Style`], and the edits that put it in place.
//!
//! New text is the only text composeguard writes, so it must look as if the file's author
//! wrote it: same line endings, indentation step, sequence indentation, block or flow
//! sequences, and quote character. Every scalar written here reads as the same string under
//! YAML 1.1 (Compose's go-yaml heritage) and YAML 1.2.

use crate::document::{Document, MapTarget, NodeId, NodeKind, QuoteStyle};
use crate::edit::Edit;
use crate::style::{Style, dash_offset};

impl Style {
    /// Renders a string quoted in the file's quote style, whatever its content.
    pub fn quoted(&self, value: &str) -> String {
        let mut out = String::new();
        write_quoted(&mut out, value, self.quote);
        out
    }

    /// Renders a scalar in the given quote style (used to match a sibling's quotes).
    pub fn scalar_like(&self, value: &str, like: QuoteStyle) -> String {
        let mut out = String::new();
        match like {
            QuoteStyle::Single => write_quoted(&mut out, value, '\''),
            QuoteStyle::Double => write_quoted(&mut out, value, '"'),
            _ => self.write_scalar(&mut out, value),
        }
        out
    }

    /// Renders a value in flow style (`[a, b]`, `{k: v}`).
    pub fn flow(&self, value: &NewValue) -> String {
        let mut out = String::new();
        self.write_flow(&mut out, value);
        out
    }

    /// Renders `key: value` as block lines at `column`, each line preceded by a newline (so the
    /// text can be inserted at the end of an existing line).
    pub fn block_entry(&self, key: &str, value: &NewValue, column: usize) -> String {
        let mut out = String::new();
        self.write_block_entry(&mut out, key, value, column);
        out
    }

    // The writers behind the renderers: new text is written into one buffer per edit, not
    // assembled from a string per scalar (a large file's fixes write tens of thousands).

    /// A scalar: plain when that is unambiguous, otherwise quoted in the file's style.
    fn write_scalar(&self, out: &mut String, value: &str) {
        if plain_is_safe(value) {
            out.push_str(value);
        } else {
            write_quoted(out, value, self.quote);
        }
    }

    fn write_flow(&self, out: &mut String, value: &NewValue) {
        match value {
            NewValue::Scalar(s) => self.write_scalar(out, s),
            NewValue::Raw(s) => out.push_str(s),
            NewValue::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_flow(out, item);
                }
                out.push(']');
            }
            NewValue::Map(entries) => {
                out.push('{');
                self.write_flow_entries(out, entries.iter().map(|(k, v)| (k.as_str(), v)));
                out.push('}');
            }
        }
    }

    /// `k: v, k: v` (without braces).
    fn write_flow_entries<'v>(
        &self,
        out: &mut String,
        entries: impl Iterator<Item = (&'v str, &'v NewValue)>,
    ) {
        for (i, (k, v)) in entries.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_scalar(out, k);
            out.push_str(": ");
            self.write_flow(out, v);
        }
    }

    fn write_line_start(&self, out: &mut String, column: usize) {
        out.push_str(self.newline);
        out.extend(std::iter::repeat_n(' ', column));
    }

    fn write_block_entry(&self, out: &mut String, key: &str, value: &NewValue, column: usize) {
        self.write_line_start(out, column);
        self.write_scalar(out, key);
        out.push(':');
        match value {
            NewValue::Seq(items)
                if !items.is_empty()
                    && !self.flow_sequences
                    && items.iter().all(NewValue::is_scalar) =>
            {
                for item in items {
                    self.write_line_start(out, column + self.sequence_offset);
                    out.push_str("- ");
                    self.write_flow(out, item);
                }
            }
            NewValue::Map(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    self.write_block_entry(out, k, v, column + self.indent);
                }
            }
            other => {
                out.push(' ');
                self.write_flow(out, other);
            }
        }
    }
}

/// A value that a fix writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    /// A string, quoted as needed.
    Scalar(String),
    /// Text written as is (already valid YAML, e.g. a number or `true`).
    Raw(String),
    /// A sequence.
    Seq(Vec<NewValue>),
    /// A mapping, entries in order.
    Map(Vec<(String, NewValue)>),
}

impl NewValue {
    /// A string scalar.
    pub fn str(s: impl Into<String>) -> NewValue {
        NewValue::Scalar(s.into())
    }

    /// A sequence of string scalars.
    pub fn strs(items: &[&str]) -> NewValue {
        NewValue::Seq(items.iter().map(|s| NewValue::str(*s)).collect())
    }

    fn is_scalar(&self) -> bool {
        matches!(self, NewValue::Scalar(_) | NewValue::Raw(_))
    }
}

/// True when `value` written as a plain scalar reads back as the same string under YAML 1.1
/// and 1.2, in block and flow context.
pub fn plain_is_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || first == '/' || first == '_') {
        return false;
    }
    let bytes = value.as_bytes();
    for (i, c) in value.char_indices() {
        let ok = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | '=' | '+' | '@');
        let colon_ok = c == ':' && i + 1 < bytes.len() && bytes[i + 1] != b' ';
        if !(ok || colon_ok) {
            return false;
        }
    }
    const RESERVED: [&str; 10] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(value)) {
        return false;
    }
    // Anything that starts like a number and only has number-ish letters after it could be read
    // as an int, float, octal, hex, binary or base-60 number by one of the two YAML versions.
    if first.is_ascii_digit() {
        let numberish = value.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(c, '.' | '_' | ':' | '+' | '-' | 'x' | 'X' | 'o' | 'O')
        });
        if numberish {
            return false;
        }
    }
    true
}

fn write_quoted(out: &mut String, value: &str, q: char) {
    if q == '\'' && !value.chars().any(|c| c.is_control()) {
        out.push('\'');
        for c in value.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
    } else {
        out.push('"');
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

/// Byte offset of the end of the line that contains `offset` (before its line break).
pub fn line_end(source: &str, offset: usize) -> usize {
    source[offset..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| offset + i)
}

/// Moves an insertion point at the end of a block past the comment-only lines that follow it
/// and are indented deeper than `column` (the block's keys): they belong to the block's last
/// entry (a commented-out list item, `# - "443:443"`), so new keys go after them.
fn after_trailing_comments(doc: &Document, mut at: usize, column: usize) -> usize {
    let source = doc.source();
    loop {
        let rest = &source[at..];
        let Some(next) = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .or_else(|| rest.strip_prefix('\r'))
        else {
            return at;
        };
        let line_start = source.len() - next.len();
        let text = &source[line_start..line_end(source, line_start)];
        let indent = text.len() - text.trim_start_matches(' ').len();
        if !text.trim_start_matches(' ').starts_with('#') || indent <= column {
            return at;
        }
        at = line_end(source, line_start);
    }
}

/// The edits that add `key: value` entries to a mapping, in the file's style.
pub fn insert_entries(
    doc: &Document,
    style: &Style,
    target: MapTarget,
    new: &[(&str, NewValue)],
) -> Vec<Edit> {
    let source = doc.source();
    let flow_text = || {
        let mut out = String::new();
        style.write_flow_entries(&mut out, new.iter().map(|(k, v)| (*k, v)));
        out
    };
    let block_text_with = |style: &Style, column: usize| {
        let mut out = String::new();
        for (k, v) in new {
            style.write_block_entry(&mut out, k, v, column);
        }
        out
    };
    let block_text = |column: usize| block_text_with(style, column);
    match target {
        MapTarget::Mapping(map) => {
            let node = doc.node(map);
            let entries = doc.entries(map);
            if node.flow {
                match entries.last() {
                    Some((k, v)) => {
                        let end = doc.node(*v).end.max(doc.node(*k).end);
                        vec![Edit::insertion(end, format!(", {}", flow_text()))]
                    }
                    // As for an empty flow sequence: replace `{}` whole (see `append_values`).
                    None => vec![Edit::replacement(
                        node.start..node.end,
                        format!("{{{}{}", flow_text(), &source[node.start + 1..node.end]),
                    )],
                }
            } else {
                let column = entries
                    .first()
                    .map_or(0, |(k, _)| doc.column_of(doc.key_start(*k)));
                // A sibling block sequence in the same mapping sets the sequence indentation.
                let sibling = entries.iter().find_map(|(k, v)| {
                    let v = doc.node(*v);
                    match &v.kind {
                        NodeKind::Sequence(items) if !v.flow && !items.is_empty() => {
                            let dash = doc.column_of(dash_offset(doc, items[0])?);
                            dash.checked_sub(doc.column_of(doc.key_start(*k)))
                        }
                        _ => None,
                    }
                });
                let at = after_trailing_comments(doc, line_end(source, node.end), column);
                match sibling {
                    Some(offset) if offset != style.sequence_offset => {
                        let local = Style {
                            sequence_offset: offset,
                            ..style.clone()
                        };
                        vec![Edit::insertion(at, block_text_with(&local, column))]
                    }
                    _ => vec![Edit::insertion(at, block_text(column))],
                }
            }
        }
        MapTarget::Null {
            key: k,
            value: v,
            in_flow,
        } => {
            let value_node = doc.node(v);
            let implicit = value_node.start == value_node.end;
            if in_flow {
                let text = format!("{{{}}}", flow_text());
                if implicit {
                    vec![Edit::insertion(value_node.end, format!(" {text}"))]
                } else {
                    vec![Edit::replacement(value_node.start..value_node.end, text)]
                }
            } else {
                let column = doc.column_of(doc.node(k).start) + style.indent;
                let mut edits = Vec::new();
                if !implicit {
                    // `svc: ~` -> `svc:` followed by the new block.
                    let colon = source[doc.node(k).end..value_node.start]
                        .find(':')
                        .map_or(value_node.start, |i| doc.node(k).end + i + 1);
                    edits.push(Edit::deletion(colon..value_node.end));
                }
                let at = line_end(source, value_node.end.max(doc.node(k).end));
                edits.push(Edit::insertion(at, block_text(column)));
                edits
            }
        }
    }
}

/// The edit that appends a scalar `item` to a sequence, copying the quotes of its last item.
pub fn append_item(doc: &Document, style: &Style, seq: NodeId, item: &str) -> Edit {
    append_values(doc, style, seq, &[NewValue::str(item)])
}

/// The one edit that appends `values` to a sequence, in order: scalars copy the quotes of the
/// last item, mappings are written in flow style. Several items always go into one edit, so
/// they get their separators (an empty flow list `[]` becomes `[a, b]`, never `[ab]`).
pub fn append_values(doc: &Document, style: &Style, seq: NodeId, values: &[NewValue]) -> Edit {
    let source = doc.source();
    let node = doc.node(seq);
    let items = doc.items(seq);
    let like = items
        .last()
        .and_then(|i| match &doc.node(*i).kind {
            NodeKind::Scalar { style, .. } => Some(*style),
            _ => None,
        })
        .unwrap_or(QuoteStyle::Plain);
    let texts: Vec<String> = values
        .iter()
        .map(|v| match v {
            NewValue::Scalar(s) => style.scalar_like(s, like),
            other => style.flow(other),
        })
        .collect();
    if node.flow {
        match items.last() {
            Some(last) => Edit::insertion(
                doc.node(*last).end,
                texts.iter().map(|t| format!(", {t}")).collect::<String>(),
            ),
            // The whole empty collection is replaced (`[ ]` too): another fix that also fills
            // it then overlaps this one and waits for the next pass, where the list has items.
            // (What the brackets held, blanks, stays after the new items.)
            None => Edit::replacement(
                node.start..node.end,
                format!("[{}{}", texts.join(", "), &source[node.start + 1..node.end]),
            ),
        }
    } else {
        let dash = items
            .first()
            .and_then(|i| dash_offset(doc, *i))
            .map_or(0, |d| doc.column_of(d));
        let at = line_end(source, node.end);
        let indent = " ".repeat(dash);
        Edit::insertion(
            at,
            texts
                .iter()
                .map(|t| format!("{}{indent}- {t}", style.newline))
                .collect::<String>(),
        )
    }
}

/// The edits that remove the items at `remove` (indexes) from a sequence, as one change: a flow
/// list is rewritten whole (`[a, b, c]` -> `[a, c]`), so that an insertion into it by another
/// fix overlaps and waits for the next pass; in a block list each removed item's line goes.
/// None when that would lose a comment (a comment inside the flow list, or on a removed
/// item's line), when an item does not sit on a line of its own, or when every item goes:
/// the caller then removes the whole entry (an empty `key:` is a null, which Compose refuses).
pub fn remove_items(doc: &Document, seq: NodeId, remove: &[usize]) -> Option<Vec<Edit>> {
    let source = doc.source();
    let node = doc.node(seq);
    let items = doc.items(seq);
    if remove.is_empty() || remove.len() >= items.len() {
        return None;
    }
    let has_comment = |range: std::ops::Range<usize>| {
        doc.comments()
            .iter()
            .any(|c| c.span.start >= range.start && c.span.start < range.end)
    };
    if node.flow {
        let removed_anchor = remove.iter().any(|&i| {
            items.get(i).is_some_and(|item| {
                removes_used_anchor(doc, doc.key_start(*item)..doc.node(*item).end)
            })
        });
        if has_comment(node.start..node.end) || removed_anchor {
            return None;
        }
        let kept: Vec<&str> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| !remove.contains(i))
            .map(|(_, item)| doc.text(*item))
            .collect();
        return Some(vec![Edit::replacement(
            node.start..node.end,
            format!("[{}]", kept.join(", ")),
        )]);
    }
    let mut edits = Vec::new();
    for &index in remove {
        let item = *items.get(index)?;
        let dash = dash_offset(doc, item)?;
        let line_start = doc.lines().line_start(dash);
        if source[line_start..dash].trim() != "" {
            return None; // `- - x` or `key: - x`: not a line of its own
        }
        let end = line_end(source, doc.node(item).end);
        if has_comment(line_start..end) {
            return None;
        }
        let next = match source[end..]
            .strip_prefix("\r\n")
            .or_else(|| source[end..].strip_prefix('\n'))
        {
            Some(rest) => source.len() - rest.len(),
            None => {
                // The last line of the file: remove the line break before it instead.
                let before = source[..line_start]
                    .trim_end_matches('\n')
                    .trim_end_matches('\r');
                edits.push(Edit::deletion(before.len()..end));
                continue;
            }
        };
        if removes_used_anchor(doc, line_start..next) {
            return None;
        }
        edits.push(Edit::deletion(line_start..next));
    }
    Some(edits)
}

/// The edit that removes a whole `key: value` entry of a block mapping, when it sits on lines
/// of its own and carries no comment. None otherwise (the caller reports without a fix).
pub fn remove_entry(doc: &Document, key: NodeId, value: NodeId) -> Option<Edit> {
    let source = doc.source();
    let start = doc.key_start(key);
    let line_start = doc.lines().line_start(start);
    if source[line_start..start].trim() != "" {
        return None;
    }
    let value_end = doc.node(value).end.max(doc.node(key).end);
    let end = line_end(source, value_end);
    let has_comment = doc
        .comments()
        .iter()
        .any(|c| c.span.start >= start && c.span.start <= end);
    if has_comment {
        return None;
    }
    let next = match source[end..]
        .strip_prefix("\r\n")
        .or_else(|| source[end..].strip_prefix('\n'))
    {
        Some(rest) => source.len() - rest.len(),
        None => return None,
    };
    if removes_used_anchor(doc, line_start..next) {
        return None;
    }
    Some(Edit::deletion(line_start..next))
}

/// True when deleting `range` would remove an anchor that an alias outside it still uses.
pub fn removes_used_anchor(doc: &Document, range: std::ops::Range<usize>) -> bool {
    let inside = |id: NodeId| {
        let n = doc.node(id);
        n.start >= range.start && n.end <= range.end
    };
    doc.nodes()
        .iter()
        .enumerate()
        .any(|(id, node)| match node.kind {
            NodeKind::Alias(target) => !inside(id) && inside(target),
            _ => false,
        })
}

/// The edit that replaces a scalar by another string, keeping its quote style when it had one.
pub fn replace_scalar(doc: &Document, style: &Style, node: NodeId, value: &str) -> Edit {
    let n = doc.node(node);
    let like = match &n.kind {
        NodeKind::Scalar { style, .. } => *style,
        _ => QuoteStyle::Plain,
    };
    Edit::replacement(n.start..n.end, style.scalar_like(value, like))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_that_change_meaning_are_quoted() {
        for s in [
            "3", "0.50", "22:22", "0755", "yes", "No", "on", "~", "1e3", "0x1F", "", "-x", "a b",
            "a: b", "#x",
        ] {
            assert!(!plain_is_safe(s), "{s:?} must be quoted");
        }
        for s in [
            "ALL",
            "10m",
            "512M",
            "json-file",
            "no-new-privileges:true",
            "/tmp",
            "max-size",
            "NET_BIND_SERVICE",
        ] {
            assert!(plain_is_safe(s), "{s:?} can be plain");
        }
    }

    #[test]
    fn quoting_follows_the_file() {
        let style = Style {
            quote: '\'',
            ..Style::default()
        };
        assert_eq!(style.scalar_like("3", QuoteStyle::Plain), "'3'");
        assert_eq!(
            Style::default().scalar_like("it's \"x\"", QuoteStyle::Plain),
            "\"it's \\\"x\\\"\""
        );
        // Names and values inside new block entries are quoted the same way.
        assert_eq!(
            style.block_entry("on", &NewValue::strs(&["y", "a"]), 2),
            "\n  'on':\n    - 'y'\n    - a"
        );
    }
}
