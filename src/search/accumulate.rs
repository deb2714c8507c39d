//! Summing retrieval scores per pair, and keeping the best.
//!
//! At a million pairs a question's terms list up to hundreds of thousands of postings. A hash map
//! from pair to score costs a hash and a probe for each; a flat array indexed by pair id costs
//! one add. The array is kept between questions (per thread) and only the entries a question
//! touched are cleared, so no question pays for zeroing or faulting in megabytes it does not use.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Scores summed per pair id, remembering which ids were touched and in what order.
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    scores: Vec<f64>,
    /// One bit per id: touched by this question (a touched score may still be 0).
    seen: Vec<u64>,
    touched: Vec<u32>,
}

impl Accumulator {
    /// Add `value` to the score of `id` (starting from 0 the first time).
    #[inline]
    pub(crate) fn add(&mut self, id: u32, value: f64) {
        let i = id as usize;
        if i >= self.scores.len() {
            self.grow(i);
        }
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            self.touched.push(id);
        }
        self.scores[i] += value;
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        // Room for a corpus somewhat larger than the largest id seen, so growing is rare.
        let len = (i + 1).next_power_of_two().max(1024);
        self.scores.resize(len, 0.0);
        self.seen.resize(len.div_ceil(64), 0);
    }

    /// Number of pairs touched.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.touched.len()
    }

    /// The score of a touched id.
    #[cfg(test)]
    fn get(&self, id: u32) -> Option<f64> {
        let i = id as usize;
        (i < self.scores.len() && self.seen[i / 64] & (1 << (i % 64)) != 0).then(|| self.scores[i])
    }

    /// The `k` best `(id, score)`, best first; equal scores go by ascending id.
    pub(crate) fn top(&self, k: usize) -> Vec<(i64, f64)> {
        top_k(self.touched.iter().map(|&id| (id, self.scores[id as usize])), k)
    }

    /// Forget every score (only the touched entries are written).
    fn clear(&mut self) {
        for &id in &self.touched {
            let i = id as usize;
            self.scores[i] = 0.0;
            self.seen[i / 64] = 0;
        }
        self.touched.clear();
    }
}

/// Run `f` with this thread's accumulator, empty; it is cleared again afterwards.
pub(crate) fn with_accumulator<T>(f: impl FnOnce(&mut Accumulator) -> T) -> T {
    thread_local! {
        static ACCUMULATOR: RefCell<Accumulator> = RefCell::new(Accumulator::default());
    }
    ACCUMULATOR.with(|cell| match cell.try_borrow_mut() {
        Ok(mut acc) => {
            acc.clear();
            let out = f(&mut acc);
            acc.clear();
            out
        }
        // Re-entered on this thread (not done today): a fresh one.
        Err(_) => f(&mut Accumulator::default()),
    })
}

/// An entry ordered so that the heap's greatest is the worst kept: lower score, then higher id.
#[derive(PartialEq)]
struct Worst(f64, u32);

impl Eq for Worst {}

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `k` best of `scores`, best first: higher score, then lower id (ids unique).
pub(crate) fn top_k(scores: impl Iterator<Item = (u32, f64)>, k: usize) -> Vec<(i64, f64)> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Worst> = BinaryHeap::with_capacity(k + 1);
    for (id, score) in scores {
        let entry = Worst(score, id);
        if heap.len() < k {
            heap.push(entry);
        } else if heap.peek().is_some_and(|worst| entry < *worst) {
            heap.pop();
            heap.push(entry);
        }
    }
    // Ascending in `Worst` order is best first.
    heap.into_sorted_vec().into_iter().map(|Worst(s, id)| (i64::from(id), s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward way: a map, a full sort.
    fn by_sorting(entries: &[(u32, f64)], k: usize) -> Vec<(i64, f64)> {
        let mut map: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
        for &(id, v) in entries {
            *map.entry(id).or_default() += v;
        }
        let mut all: Vec<(i64, f64)> = map.into_iter().map(|(id, s)| (i64::from(id), s)).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    /// Pseudo-random entries with many ties and zeros.
    fn entries(n: usize, seed: u64) -> Vec<(u32, f64)> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let id = ((state >> 33) % 5000) as u32 + 1;
                let value = f64::from(((state >> 20) % 7) as u32) * 0.37;
                (id, value)
            })
            .collect()
    }

    #[test]
    fn the_accumulator_ranks_as_a_map_and_a_sort_do() {
        for seed in 1..6 {
            let entries = entries(20_000, seed);
            for k in [1, 40, 10_000] {
                let got = with_accumulator(|acc| {
                    for &(id, v) in &entries {
                        acc.add(id, v);
                    }
                    acc.top(k)
                });
                assert_eq!(got, by_sorting(&entries, k), "seed {seed}, k {k}");
            }
        }
    }

    #[test]
    fn each_question_starts_from_nothing() {
        with_accumulator(|acc| {
            acc.add(70, 1.0);
            acc.add(3, 0.0);
            assert_eq!(acc.len(), 2);
        });
        with_accumulator(|acc| {
            assert_eq!(acc.len(), 0);
            assert_eq!(acc.get(70), None);
            acc.add(3, 0.5);
            assert_eq!(acc.top(5), vec![(3, 0.5)]);
        });
    }

    #[test]
    fn a_pair_touched_with_zero_is_still_a_candidate() {
        with_accumulator(|acc| {
            acc.add(9, 0.0);
            assert_eq!(acc.get(9), Some(0.0));
            assert_eq!(acc.top(3), vec![(9, 0.0)]);
        });
    }
}
