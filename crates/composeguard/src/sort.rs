//! Sorting with one copy of the standard library's sort in the binary: a stable sort and a
//! sorted grouping.
//!
//! Each instantiation of `slice::sort_by` costs about 4 KB of WebAssembly, so every sort in
//! the library goes through [`sort_by`], which sorts indices with one shared instantiation.

use std::cmp::Ordering;

/// Sorts `items` stably by `cmp` (same result as `items.sort_by(cmp)`).
pub(crate) fn sort_by<T>(items: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_indices(&mut order, &mut |a, b| cmp(&items[a], &items[b]));
    // Put `items[order[i]]` at `i`, one cycle of the permutation at a time.
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut i = start;
        while !placed[i] {
            placed[i] = true;
            let next = order[i];
            if next == start {
                break;
            }
            items.swap(i, next);
            i = next;
        }
    }
}

/// Groups `(key, value)` pairs by key: keys ascending, each key's values in their first order,
/// without repeats (what a `BTreeMap<usize, Vec<String>>` filled with `contains` checks gives).
pub(crate) fn group_unique(mut pairs: Vec<(usize, String)>) -> Vec<(usize, Vec<String>)> {
    sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    for (key, value) in pairs {
        match groups.last_mut() {
            Some((last, values)) if *last == key => {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            _ => groups.push((key, vec![value])),
        }
    }
    groups
}

#[inline(never)]
fn sort_indices(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a, b));
}

#[cfg(test)]
mod tests {
    use super::{group_unique, sort_by};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_order_as_the_standard_stable_sort(keys in proptest::collection::vec(0u8..8, 0..200)) {
            let mut items: Vec<(u8, usize)> = keys.iter().enumerate().map(|(i, &k)| (k, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(k, _)| k);
            sort_by(&mut items, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(items, expected);
        }
    }

    #[test]
    fn groups_keep_first_order_without_repeats() {
        let pairs = [(2, "b"), (1, "x"), (2, "a"), (2, "b"), (1, "y")]
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        let groups = group_unique(pairs);
        assert_eq!(
            groups,
            vec![
                (1, vec!["x".to_owned(), "y".to_owned()]),
                (2, vec!["b".to_owned(), "a".to_owned()])
            ]
        );
    }

    #[test]
    fn sorts_stably_like_std() {
        let mut items: Vec<(u8, usize)> = [3u8, 1, 3, 0, 1, 3, 2]
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i))
            .collect();
        let mut expected = items.clone();
        expected.sort_by_key(|&(k, _)| k);
        sort_by(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(items, expected);
        let mut empty: Vec<u8> = Vec::new();
        sort_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
    }
}
