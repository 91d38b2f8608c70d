//! Which edits of a pass can be applied together: the set of accepted edits, and whether a
//! new one overlaps them.

use crate::edit::{Edit, Fix};

/// The edits accepted so far in a pass. Every candidate edit is sorted by start once; a
/// Fenwick tree counts the accepted ones by rank, which answers "the last accepted start at or
/// before x" and "an accepted start inside (a, b)" in O(log n) (and keeps ordered-map code out
/// of the WebAssembly module).
pub(crate) struct Taken<'e> {
    /// Every candidate edit, by start.
    sorted: Vec<&'e Edit>,
    accepted: Vec<bool>,
    /// Fenwick tree (1-based) of accepted counts by rank.
    tree: Vec<u32>,
}

impl<'e> Taken<'e> {
    pub(crate) fn new(fixes: &[&'e Fix]) -> Taken<'e> {
        let mut sorted: Vec<&Edit> = fixes.iter().flat_map(|f| f.edits().iter()).collect();
        crate::sort::sort_by(&mut sorted, |a, b| a.range().start.cmp(&b.range().start));
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
    pub(crate) fn conflicts(&self, e: &Edit) -> bool {
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

    /// Accepts `e` (one of the candidates).
    pub(crate) fn insert(&mut self, e: &'e Edit) {
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
