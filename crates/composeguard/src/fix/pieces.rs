//! A piece table of the current text in terms of the input: each pass's edits are folded into
//! it, so the changes made to the input (what the diff shows) come out exact, whatever the
//! passes did in between.

use crate::edit::Edit;

/// A run of the current text: copied from the input at `from`, or new text (`None`).
#[derive(Debug, Clone, Copy)]
struct Piece {
    len: usize,
    from: Option<usize>,
}

/// The current text as runs copied from the input or written new.
pub(crate) struct Pieces(Vec<Piece>);

impl Pieces {
    /// The pieces of an input of `len` bytes, unchanged.
    pub(crate) fn new(len: usize) -> Pieces {
        Pieces(vec![Piece { len, from: Some(0) }])
    }

    /// The pieces of the text after a pass's `edits` (sorted, disjoint, in the text these
    /// pieces describe).
    pub(crate) fn after_edits(&self, edits: &[&Edit]) -> Pieces {
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
        let pieces = &self.0;
        let mut cursor = Cursor {
            pieces,
            index: 0,
            used: 0,
            at: 0,
            out: Vec::with_capacity(pieces.len() + 2 * edits.len()),
        };
        for edit in edits {
            let range = edit.range();
            cursor.advance(range.start, true);
            cursor.advance(range.end, false);
            cursor.push(Piece {
                len: edit.content().len(),
                from: None,
            });
        }
        cursor.advance(usize::MAX, true);
        Pieces(cursor.out)
    }

    /// The input's byte ranges that these pieces (which make `output`) do not copy, with their
    /// replacements: the changes made to `source` (sorted, disjoint).
    pub(crate) fn changes(&self, source: &str, output: &str) -> Vec<Edit> {
        let mut changes = Vec::new();
        // Input bytes before `copied_to` are accounted for; new output text starts at `new_from`.
        let (mut copied_to, mut new_from, mut at) = (0, 0, 0);
        let mut push = |upto: usize, new_to: usize, copied_to: usize, new_from: usize| {
            let text = &output[new_from..new_to];
            if source[copied_to..upto] != *text {
                changes.push(Edit::replacement(copied_to..upto, text));
            }
        };
        for piece in &self.0 {
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
}
