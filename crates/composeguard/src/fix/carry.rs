//! The findings a pass leaves, carried into its output: after a pass that applied every fix it
//! was given, the rules need not run again. A finding that was not fixed is the same finding
//! in the new text, its range and its fix's edits moved past the text the pass inserted or
//! removed before them. A finding the pass's edits reach into (or whose fix inserts where the
//! pass inserted, so that its text could depend on what it now follows) cannot be carried
//! that way; the fix loop then runs the rules again, as it does after an incomplete pass.

use std::ops::Range;

/// The rules whose fixes are final: applied, they leave no finding behind (theirs or another
/// rule's), and what they write changes no other rule's findings, so no new fix appears. A
/// pass that applied any other fix runs the rules again, because those fixes interact:
/// CG101's blind drop leaves "drops some capabilities but not ALL" behind, and the
/// capabilities it adds are CG105's to judge; CG103's `user:` changes the capabilities CG101
/// adds back; CG202's size on a shared anchor's tmpfs lets CG201 make the root read-only in a
/// next pass; CG107's removal of `security_opt` lets CG102 add `no-new-privileges`; CG601's
/// moves to an env file go one variable name per pass, and its secrets are read by CG201.
/// The tests check every rule here against running the rules again (`fix::carried`).
/// - CG102 adds `no-new-privileges:true` to `security_opt`. CG107, the other reader, finds
///   the same entries after it, but whether it can fix them depends on the list's other items
///   (see [`NEVER_CARRIED`]).
/// - CG201 writes `read_only` and tmpfs entries, each with its size, which CG202 then accepts.
/// - CG301–CG303 write the memory, CPU and process limits, CG304 `ulimits`, CG306
///   `healthcheck`, CG501 `logging`: keys only their own check reads.
/// - CG401 binds a port to loopback; the other port findings of that port are on the node it
///   rewrites, and a finding the pass's edits reach into is never carried.
/// - CG703 removes the top-level `version`, which no rule reads.
pub(super) const FINAL_FIXES: &[&str] = &[
    "CG102", "CG201", "CG301", "CG302", "CG303", "CG304", "CG306", "CG401", "CG501", "CG703",
];

/// The rules whose findings are never carried: a pass that leaves one of them runs the rules
/// again. CG107's fix depends on the other items of its list, which CG102 adds to: the last
/// item of a file's last line goes only with its key, but with a new item beside it, it goes
/// alone (a property test found `security_opt: [seccomp=unconfined]` fixed twice over when
/// its finding was carried).
const NEVER_CARRIED: &[&str] = &["CG107"];

use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::edit::{Edit, Fix};
use crate::lines::LineIndex;

/// What [`Shift`] keeps of one of the pass's edits.
struct Placed {
    range: Range<usize>,
    nesting: usize,
    self_delimiting: bool,
}

impl Placed {
    fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    fn nesting(&self) -> usize {
        self.nesting
    }

    fn is_self_delimiting(&self) -> bool {
        self.self_delimiting
    }
}

/// How a pass's edits move offsets of the text they were made in.
pub(super) struct Shift {
    /// The pass's edits: sorted, disjoint, in the old text.
    edits: Vec<Placed>,
    /// `growth[i]`: how many bytes the first `i` edits added (negative when they removed).
    growth: Vec<isize>,
}

impl Shift {
    pub(super) fn new(edits: &[&Edit]) -> Shift {
        let mut growth = Vec::with_capacity(edits.len() + 1);
        let mut total = 0isize;
        growth.push(0);
        for e in edits {
            total += e.content().len() as isize - e.range().len() as isize;
            growth.push(total);
        }
        let edits = edits
            .iter()
            .map(|e| Placed {
                range: e.range(),
                nesting: e.nesting(),
                self_delimiting: e.is_self_delimiting(),
            })
            .collect();
        Shift { edits, growth }
    }

    /// Where `at` is in the new text: text the pass inserted at `at` comes before it when
    /// `past` says so of that insertion.
    fn offset_past(&self, at: usize, past: impl Fn(&Placed) -> bool) -> usize {
        let mut before = self.edits.partition_point(|e| e.range().start < at);
        while self
            .edits
            .get(before)
            .is_some_and(|e| e.range() == (at..at) && past(e))
        {
            before += 1;
        }
        (at as isize + self.growth[before]) as usize
    }

    /// Where `at` is in the new text. Text inserted at `at` itself comes before it when
    /// `after_insertions` (the start of a node), after it otherwise (the end of one).
    fn offset(&self, at: usize, after_insertions: bool) -> usize {
        self.offset_past(at, |_| after_insertions)
    }

    /// The range in the new text (see [`Shift::offset`]).
    fn range(&self, range: &Range<usize>) -> Range<usize> {
        self.offset(range.start, true)..self.offset(range.end, range.is_empty())
    }

    /// Where a fix's edit goes in the new text. An insertion where the pass inserted goes
    /// after the pass's text that is as deep as it or deeper (that text ends the same block,
    /// or one inside the block the edit ends) and before shallower text (which comes after the
    /// block the edit ends): the order the pass itself gives insertions at one place.
    fn edit(&self, edit: &Edit) -> Edit {
        let range = edit.range();
        if range.is_empty() {
            let nesting = edit.nesting();
            let at = self.offset_past(range.start, |e| e.nesting() >= nesting);
            return edit.moved(at..at);
        }
        edit.moved(self.range(&range))
    }

    /// The pass's edits that touch `range` or its ends.
    fn near(&self, range: &Range<usize>) -> impl Iterator<Item = &Placed> {
        let first = self.edits.partition_point(|e| e.range().end < range.start);
        let end = range.end;
        self.edits[first..]
            .iter()
            .take_while(move |e| e.range().start <= end)
    }

    /// True when an edit of the pass replaces text inside `range` or inserts strictly inside
    /// it (at its boundaries it only moves it); for an empty range, any edit at it.
    fn reaches(&self, range: &Range<usize>) -> bool {
        self.near(range).any(|e| {
            let r = e.range();
            if range.is_empty() {
                return r.start <= range.start && range.start <= r.end;
            }
            if r.is_empty() {
                range.start < r.start && r.start < range.end
            } else {
                r.start < range.end && range.start < r.end
            }
        })
    }

    /// True when a fix's edit and an edit of the pass meet: overlapping, or inserting at the
    /// same place unless both start their own line or flow entry (then the fix's text, which
    /// goes after the pass's as it would in the new text, does not depend on it).
    fn meets(&self, edit: &Edit) -> bool {
        let range = edit.range();
        self.near(&range).any(|e| {
            let r = e.range();
            let overlaps = if r.is_empty() {
                range.start < r.start && r.start < range.end
            } else if range.is_empty() {
                r.start < range.start && range.start < r.end
            } else {
                r.start < range.end && range.start < r.end
            };
            // At the ends of a replaced range, the pass's text only moves it; at an
            // insertion point, which text comes first is the question.
            let same_place = range.is_empty() && (r.start == range.start || r.end == range.start);
            overlaps || (same_place && !(e.is_self_delimiting() && edit.is_self_delimiting()))
        })
    }
}

/// True when one of the pass's edits is inside an anchored node of `doc` (the old text) or
/// at its end: every alias of it, and every mapping that merges it, sees the change, so
/// another service's findings may have changed.
pub(super) fn edits_shared(doc: &Document, edits: &[&Edit]) -> bool {
    doc.nodes().iter().filter(|n| n.anchor.is_some()).any(|n| {
        let first = edits.partition_point(|e| e.range().end < n.start);
        edits.get(first).is_some_and(|e| e.range().start <= n.end)
    })
}

/// The findings of the old text that the pass did not fix, in the new text `doc`; None when
/// one of them cannot be carried (see the module's documentation).
pub(super) fn carry(
    left: impl ExactSizeIterator<Item = Diagnostic>,
    shift: &Shift,
    source: &str,
    lines: &LineIndex,
) -> Option<Vec<Diagnostic>> {
    // Exactly as many as were left: grown by doubling, a 5,000-service file's findings left
    // freed copies of the list behind them, megabytes of the peak.
    let mut out = Vec::with_capacity(left.len());
    // Sorted by the fix's clone key (a binary search each); the old fix is held so that its
    // address stays its own.
    let mut moved_shared: Vec<((usize, u64), Fix, Fix)> = Vec::new();
    for mut d in left {
        if shift.reaches(&d.range) || NEVER_CARRIED.contains(&d.rule.code) {
            return None;
        }
        d.range = shift.range(&d.range);
        d.start = lines.position(source, d.range.start);
        d.end = lines.position(source, d.range.end);
        if let Some(fix) = d.fix.take() {
            // A fix several findings share (CG601's one fix for the file) is moved once and
            // shared again: moved for each finding, 2,000 findings each held a copy of its
            // thousands of edits.
            if fix.is_shared()
                && let Ok(i) = moved_shared.binary_search_by(|(k, ..)| k.cmp(&fix.clone_key()))
            {
                d.fix = Some(moved_shared[i].2.clone());
                out.push(d);
                continue;
            }
            if fix.edits().iter().any(|e| shift.meets(e)) {
                return None;
            }
            let edits = fix.edits().iter().map(|e| shift.edit(e)).collect();
            let moved = Fix::rebuilt(&fix, edits);
            if fix.is_shared() {
                let key = fix.clone_key();
                if let Err(i) = moved_shared.binary_search_by(|(k, ..)| k.cmp(&key)) {
                    moved_shared.insert(i, (key, fix, moved.clone()));
                }
            }
            d.fix = Some(moved);
        }
        out.push(d);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::Shift;
    use crate::edit::Edit;

    #[test]
    fn offsets_move_past_what_was_inserted_before_them() {
        let a = Edit::insertion(5, "abc");
        let b = Edit::replacement(10..12, "x");
        let edits = [&a, &b];
        let shift = Shift::new(&edits);
        assert_eq!(shift.offset(4, true), 4);
        assert_eq!(shift.offset(5, true), 8);
        assert_eq!(shift.offset(5, false), 5);
        assert_eq!(shift.offset(12, true), 14);
        assert_eq!(shift.offset(20, false), 22);
        assert_eq!(shift.range(&(5..10)), 8..13);
        assert!(!shift.reaches(&(5..10)));
        assert!(shift.reaches(&(4..6)));
        assert!(shift.reaches(&(11..15)));
        assert!(shift.meets(&Edit::insertion(5, "y")));
        assert!(!shift.meets(&Edit::insertion(6, "y")));
    }

    #[test]
    fn an_insertion_where_the_pass_inserted_goes_where_its_block_now_ends() {
        let key = Edit::insertion(5, "\n    a: 1");
        let edits = [&key];
        let shift = Shift::new(&edits);
        let at = |content: &str| shift.edit(&Edit::insertion(5, content)).range().start;
        // An item of a list inside the service ends that list, before the service's new key.
        assert_eq!(at("\n      - x"), 5);
        // Another key of the service, or a key of the file, comes after it.
        assert_eq!(at("\n    c: 3"), 5 + key.content().len());
        assert_eq!(at("\nb: 2"), 5 + key.content().len());
        assert!(!shift.meets(&Edit::insertion(5, "\n    c: 3")));
    }
}
