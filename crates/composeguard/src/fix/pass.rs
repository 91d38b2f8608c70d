//! One pass: which fixes apply together (the first of overlapping ones, identical ones once),
//! and their edits in splice order.

use super::conflicts::Taken;
use super::splice::splice;
use crate::edit::{Edit, Fix};

/// What one pass of [`apply`] did.
pub(crate) struct Pass<'f> {
    /// The new text.
    pub(crate) text: String,
    /// The fixes applied (one of each set of identical fixes).
    pub(crate) applied: Vec<&'f Fix>,
    /// How many of the given fixes were applied, themselves or as an identical one.
    pub(crate) fixed: usize,
    /// The edits spliced, in order (sorted, disjoint, in the old text).
    pub(crate) edits: Vec<&'f Edit>,
}

/// For each fix, the index of the first identical fix in `order` (itself when it is the first):
/// several findings share one fix, which is applied once.
fn first_of_identical(fixes: &[&Fix], order: &[usize]) -> Vec<usize> {
    let mut by_digest: Vec<usize> = order.to_vec();
    let mut rank = vec![0; fixes.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    crate::sort::sort_by(&mut by_digest, |&a, &b| {
        (fixes[a].digest(), rank[a]).cmp(&(fixes[b].digest(), rank[b]))
    });
    let mut first: Vec<usize> = (0..fixes.len()).collect();
    for run in by_digest.chunk_by(|&a, &b| fixes[a].digest() == fixes[b].digest()) {
        for (i, &a) in run.iter().enumerate() {
            if let Some(&b) = run[..i]
                .iter()
                .find(|&&b| first[b] == b && fixes[b] == fixes[a])
            {
                first[a] = b;
            }
        }
    }
    first
}

/// Applies the fixes that do not overlap an earlier one (identical fixes count once).
/// Insertions at the same offset are ordered deepest first, so each stays inside its own block.
pub(crate) fn apply<'f>(source: &str, fixes: &[&'f Fix]) -> Pass<'f> {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        fixes[a].min_start().cmp(&fixes[b].min_start())
    });
    let first = first_of_identical(fixes, &order);
    order.retain(|&i| first[i] == i);
    let unique: Vec<&Fix> = order.iter().map(|&i| fixes[i]).collect();
    let mut accepted = vec![false; fixes.len()];
    let mut applied: Vec<&Fix> = Vec::new();
    let mut taken = Taken::new(&unique);
    for (&index, fix) in order.iter().zip(unique.iter().copied()) {
        let bad_boundary = fix.edits().iter().any(|e| {
            e.range().end > source.len()
                || !source.is_char_boundary(e.range().start)
                || !source.is_char_boundary(e.range().end)
        });
        if bad_boundary || fix.edits().iter().any(|e| taken.conflicts(e)) {
            continue;
        }
        for e in fix.edits() {
            taken.insert(e);
        }
        accepted[index] = true;
        applied.push(fix);
    }
    let mut edits: Vec<(usize, &Edit)> = applied
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.edits().iter().map(move |e| (i, e)))
        .collect();
    crate::sort::sort_by(&mut edits, |(ia, a), (ib, b)| {
        (
            a.range().start,
            a.range().end,
            usize::MAX - a.nesting(),
            *ia,
        )
            .cmp(&(
                b.range().start,
                b.range().end,
                usize::MAX - b.nesting(),
                *ib,
            ))
    });
    // An edit that two fixes share (an item added to a list several services inherit) is
    // spliced once.
    let mut kept: Vec<&'f Edit> = Vec::with_capacity(edits.len());
    for (_, edit) in edits {
        let same_range = kept
            .iter()
            .rev()
            .take_while(|k| k.range().start == edit.range().start);
        if !same_range.clone().any(|k| *k == edit) {
            kept.push(edit);
        }
    }
    let text = splice(source, &kept);
    Pass {
        text,
        applied,
        fixed: first.iter().filter(|&&f| accepted[f]).count(),
        edits: kept,
    }
}

#[cfg(test)]
mod tests {
    use super::apply;
    use crate::edit::{Edit, Fix};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The acceptance rule written the plain way (an ordered map of accepted edits by start):
    /// the reference the Fenwick-tree version must agree with.
    fn reference<'f>(source: &str, fixes: &[&'f Fix]) -> Vec<&'f Fix> {
        let mut order: Vec<&Fix> = fixes.to_vec();
        order.sort_by_key(|f| f.min_start());
        let mut taken: BTreeMap<usize, Vec<&Edit>> = BTreeMap::new();
        let mut applied: Vec<&Fix> = Vec::new();
        for fix in order {
            if applied.contains(&fix) {
                continue;
            }
            let conflicts = |e: &Edit| {
                let r = e.range();
                if let Some((&start, edits)) = taken.range(..=r.start).next_back() {
                    for a in edits {
                        let y = a.range();
                        if *a == e {
                            continue; // one edit two fixes share is applied once
                        }
                        if start == r.start {
                            if r.is_empty()
                                && y.is_empty()
                                && !(e.is_self_delimiting() && a.is_self_delimiting())
                            {
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
                !r.is_empty() && taken.range(r.start + 1..r.end).next().is_some()
            };
            let bad = fix.edits().iter().any(|e| e.range().end > source.len());
            if bad || fix.edits().iter().any(conflicts) {
                continue;
            }
            for e in fix.edits() {
                taken.entry(e.range().start).or_default().push(e);
            }
            applied.push(fix);
        }
        applied
    }

    fn edit() -> impl Strategy<Value = Edit> {
        (
            0usize..40,
            0usize..4,
            prop_oneof!["x", "\n  y: 1", ", z", ""],
        )
            .prop_map(|(at, len, text)| {
                if len == 0 {
                    Edit::insertion(at, text)
                } else {
                    Edit::replacement(at..at + len, text)
                }
            })
    }

    proptest! {
        #[test]
        fn accepts_the_same_fixes_as_the_plain_rule(
            fixes in proptest::collection::vec(proptest::collection::vec(edit(), 1..4), 0..12),
            repeat in 0usize..3,
        ) {
            let source = "a".repeat(40);
            // A fix's own edits never overlap (rules build them so); fixes may overlap freely.
            let mut fixes: Vec<Fix> = fixes
                .into_iter()
                .map(|mut edits| {
                    edits.sort_by_key(|e| (e.range().start, e.range().end));
                    let mut end = 0;
                    edits.retain(|e| {
                        let keep = e.range().start >= end;
                        if keep {
                            end = e.range().end;
                        }
                        keep
                    });
                    Fix::safe("f", edits)
                })
                .collect();
            // Several findings sharing one fix.
            for i in 0..repeat.min(fixes.len()) {
                fixes.push(fixes[i].clone());
            }
            let refs: Vec<&Fix> = fixes.iter().collect();
            let applied = apply(&source, &refs).applied;
            let expected = reference(&source, &refs);
            prop_assert_eq!(applied.len(), expected.len());
            for (a, b) in applied.iter().zip(&expected) {
                prop_assert!(std::ptr::eq(*a, *b) || *a == *b);
            }
        }
    }
}
