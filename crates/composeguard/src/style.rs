//! The file's own style, detected once: line endings, indentation step, sequence
//! indentation, block or flow sequences, and quote character. Reading only; [`crate::writer`]
//! writes new text in it.

use crate::document::{Document, NodeId, NodeKind, QuoteStyle};

/// The formatting conventions of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// `"\n"` or `"\r\n"`.
    pub newline: &'static str,
    /// Spaces per nesting level of block mappings.
    pub indent: usize,
    /// Spaces between a key's column and the `-` of its block sequence (0 = `- x` under the key).
    pub sequence_offset: usize,
    /// Write new sequences of scalars in flow style (`[a, b]`).
    pub flow_sequences: bool,
    /// The quote character for strings that need quotes.
    pub quote: char,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            newline: "\n",
            indent: 2,
            sequence_offset: 2,
            flow_sequences: false,
            quote: '"',
        }
    }
}

impl Style {
    /// Detects the style of `doc`.
    pub fn detect(doc: &Document) -> Style {
        let source = doc.source();
        // The first line break decides: CRLF, LF, or a lone CR (old Mac files).
        let newline = match source.find(['\n', '\r']) {
            Some(i) if source[i..].starts_with("\r\n") => "\r\n",
            Some(i) if source.as_bytes()[i] == b'\r' => "\r",
            _ => "\n",
        };
        let mut indents = [0usize; 9];
        let mut offsets = [0usize; 9];
        let (mut flow_seqs, mut block_seqs) = (0usize, 0usize);
        let (mut single, mut double) = (0usize, 0usize);
        for node in doc.nodes() {
            match &node.kind {
                NodeKind::Scalar { style, .. } => match style {
                    QuoteStyle::Single => single += 1,
                    QuoteStyle::Double => double += 1,
                    _ => {}
                },
                NodeKind::Mapping(entries) if !node.flow => {
                    let parent_col = match entries.first() {
                        Some((k, _)) => doc.column_of(doc.node(*k).start),
                        None => continue,
                    };
                    for (_, v) in entries {
                        let child = doc.node(*v);
                        if child.flow || child.start == child.end {
                            continue;
                        }
                        match &child.kind {
                            NodeKind::Mapping(c) if !c.is_empty() => {
                                let col = doc.column_of(doc.node(c[0].0).start);
                                if col > parent_col && col - parent_col < indents.len() {
                                    indents[col - parent_col] += 1;
                                }
                            }
                            NodeKind::Sequence(items) if !items.is_empty() => {
                                if let Some(dash) = dash_offset(doc, items[0]) {
                                    let col = doc.column_of(dash);
                                    if col >= parent_col && col - parent_col < offsets.len() {
                                        offsets[col - parent_col] += 1;
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                NodeKind::Sequence(items) => {
                    let scalars = items
                        .iter()
                        .all(|i| matches!(doc.node(*i).kind, NodeKind::Scalar { .. }));
                    if scalars && !items.is_empty() {
                        if node.flow {
                            flow_seqs += 1;
                        } else {
                            block_seqs += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        let indent = most_common(&indents[1..], 1).map_or(2, |i| i + 1);
        let sequence_offset = most_common(&offsets, indent).unwrap_or(indent);
        Style {
            newline,
            indent,
            sequence_offset,
            flow_sequences: flow_seqs > block_seqs,
            quote: if single > double { '\'' } else { '"' },
        }
    }
}

/// The index with the highest count; `preferred` wins a tie.
fn most_common(counts: &[usize], preferred: usize) -> Option<usize> {
    let (i, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, *i == preferred, usize::MAX - i))?;
    (*n > 0).then_some(i)
}

/// Byte offset of the `-` that introduces a block sequence item, if there is one.
pub(crate) fn dash_offset(doc: &Document, item: NodeId) -> Option<usize> {
    let source = doc.source();
    let start = doc.node(item).start;
    let line_start = doc.lines().line_start(start);
    let before = &source[line_start..start];
    let bytes = before.as_bytes();
    (0..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b'-' && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t'))
        .map(|i| line_start + i)
}
