//! Byte offsets to human positions (1-based line, 1-based column in characters).

/// A 1-based line and column. Columns count Unicode scalar values, as editors and rustc do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The byte offset where every line starts (LF, CRLF and lone CR all end a line).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `source`.
    pub fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' => {
                    i += 1;
                    if bytes.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i);
                }
                b'\n' => {
                    i += 1;
                    starts.push(i);
                }
                _ => i += 1,
            }
        }
        LineIndex { starts }
    }

    /// The 0-based line that contains `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// The byte offset where the line containing `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line_of(offset)]
    }

    /// The byte offset where the 0-based `line` starts.
    pub fn line_start_of(&self, line: usize) -> usize {
        self.starts[line]
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True for an empty index (never: an empty text has one line).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The human position of a byte offset. A BOM at the start of the file is not counted.
    pub fn position(&self, source: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.line_of(offset);
        let start = self.starts[line];
        let prefix = &source[start..offset];
        let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
        Position {
            line: line + 1,
            column: prefix.chars().count() + 1,
        }
    }
}

/// The largest char boundary at or below `offset`.
pub(crate) fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while offset > 0 && !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
