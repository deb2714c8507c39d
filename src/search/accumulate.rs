//! Summing retrieval scores per pair, and keeping the best.
//!
//! At a million pairs a question's terms list up to hundreds of thousands of postings. Summing
//! them straight into one array indexed by pair id (8 MB of scores at a million pairs) makes
//! every posting a read-modify-write at a random place in memory larger than the core's cache:
//! a profile found 90% of the summing time on that one instruction. Instead, postings are first
//! appended to one bucket per block of [`BLOCK`] ids (sequential writes, a few streams), then each
//! block is summed in a small array that stays in the core's cache and read in id order for the
//! best. Within a block the postings keep the order they were added in, so every pair's score is
//! the same sum in the same order as adding them directly: the result is bit for bit the same.
//!
//! The buffers are kept between questions (per thread), so no question pays for allocating or
//! faulting in memory its predecessor already had.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// log2 of the number of ids summed at a time: 65,536 scores of 8 bytes (512 KiB) and their
/// bitmap fit in the core's L2 cache.
const BLOCK_BITS: u32 = 16;
/// Ids summed at a time.
const BLOCK: usize = 1 << BLOCK_BITS;
/// Postings buffered beyond which the buffers are released after a question, so one huge
/// question does not keep its memory for the thread's lifetime (32 MiB of entries).
const KEEP_ENTRIES: usize = 4 << 20;

/// A term of the question, as registered with [`Accumulator::term`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term(u32);

/// Scores summed per pair id, from postings given as (term, pair id, impact byte).
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    /// Per term, the score of each impact byte: `values[term * 256 + impact]`.
    values: Vec<f64>,
    /// Per block of ids, its postings in the order added: term << 24 | impact << 16 | low id bits.
    buckets: Vec<Vec<u64>>,
    /// One block's scores, and which of them were touched (a touched score may still be 0).
    block: Vec<f64>,
    seen: Vec<u64>,
}

impl Accumulator {
    /// Register a term whose posting with impact byte `i` scores `value(i)`.
    pub(crate) fn term(&mut self, value: impl Fn(u8) -> f64) -> Term {
        let term = Term((self.values.len() / 256) as u32);
        self.values.extend((0..=255u8).map(value));
        term
    }

    /// Add the posting of `term` for pair `id` with impact byte `impact`.
    #[inline]
    pub(crate) fn add(&mut self, term: Term, id: u32, impact: u8) {
        let block = (id >> BLOCK_BITS) as usize;
        if block >= self.buckets.len() {
            self.buckets.resize_with(block + 1, Vec::new);
        }
        let low = u64::from(id) & (BLOCK as u64 - 1);
        self.buckets[block].push((u64::from(term.0) << 24) | (u64::from(impact) << 16) | low);
    }

    /// The `k` best `(id, score)`, best first; equal scores go by ascending id. Empties the
    /// buckets.
    pub(crate) fn top(&mut self, k: usize) -> Vec<(i64, f64)> {
        if self.block.is_empty() {
            self.block = vec![0.0; BLOCK];
            self.seen = vec![0; BLOCK / 64];
        }
        let mut best = Best::new(k);
        for (number, bucket) in self.buckets.iter_mut().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            for &entry in bucket.iter() {
                let low = (entry & 0xFFFF) as usize;
                self.block[low] += self.values[(entry >> 16) as usize];
                self.seen[low / 64] |= 1 << (low % 64);
            }
            bucket.clear();
            let base = (number << BLOCK_BITS) as u32;
            drain_block(&mut self.block, &mut self.seen, |low, score| best.offer(base + low, score));
        }
        best.into_sorted()
    }

    /// Forget every posting and term; release the buffers if a question made them very large.
    fn clear(&mut self) {
        let kept: usize = self.buckets.iter().map(Vec::capacity).sum();
        if kept > KEEP_ENTRIES {
            self.buckets = Vec::new();
        }
        self.buckets.iter_mut().for_each(Vec::clear);
        self.values.clear();
    }
}

/// Offer every touched score of a block to `offer` in ascending id order, zeroing it as read.
fn drain_block(block: &mut [f64], seen: &mut [u64], mut offer: impl FnMut(u32, f64)) {
    for (word, bits) in seen.iter_mut().enumerate() {
        let mut bits = std::mem::take(bits);
        while bits != 0 {
            let low = word * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            offer(low as u32, std::mem::take(&mut block[low]));
        }
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

/// The `k` best entries offered so far: higher score, then lower id (ids unique).
struct Best {
    heap: BinaryHeap<Worst>,
    k: usize,
}

impl Best {
    fn new(k: usize) -> Best {
        Best { heap: BinaryHeap::with_capacity(k + 1), k }
    }

    #[inline]
    fn offer(&mut self, id: u32, score: f64) {
        let entry = Worst(score, id);
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry < *worst) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    /// Best first.
    fn into_sorted(self) -> Vec<(i64, f64)> {
        // Ascending in `Worst` order is best first.
        self.heap.into_sorted_vec().into_iter().map(|Worst(s, id)| (i64::from(id), s)).collect()
    }
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

    /// The score of impact byte `i` under term `t`: many ties, some zeros, values whose sums
    /// depend on the order of adding.
    fn value(t: usize, i: u8) -> f64 {
        f64::from(i % 7) * 0.37 * (1.0 + t as f64 / 3.0)
    }

    /// Pseudo-random (term, id, impact) postings over ids spanning several blocks.
    fn postings(n: usize, terms: usize, seed: u64) -> Vec<(usize, u32, u8)> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let id = ((state >> 33) % 300_000) as u32 + 1;
                ((state >> 8) as usize % terms, id, (state >> 20) as u8)
            })
            .collect()
    }

    fn accumulate(postings: &[(usize, u32, u8)], terms: usize, k: usize) -> Vec<(i64, f64)> {
        with_accumulator(|acc| {
            let handles: Vec<Term> = (0..terms).map(|t| acc.term(|i| value(t, i))).collect();
            for &(t, id, impact) in postings {
                acc.add(handles[t], id, impact);
            }
            acc.top(k)
        })
    }

    #[test]
    fn the_accumulator_ranks_as_a_map_and_a_sort_do() {
        for seed in 1..6 {
            let postings = postings(50_000, 5, seed);
            let entries: Vec<(u32, f64)> = postings.iter().map(|&(t, id, i)| (id, value(t, i))).collect();
            for k in [1, 40, 10_000] {
                assert_eq!(accumulate(&postings, 5, k), by_sorting(&entries, k), "seed {seed}, k {k}");
            }
        }
    }

    #[test]
    fn each_question_starts_from_nothing() {
        with_accumulator(|acc| {
            let t = acc.term(f64::from);
            acc.add(t, 70, 1);
            acc.add(t, 3, 0);
            acc.add(t, 200_000, 2);
        });
        with_accumulator(|acc| {
            let t = acc.term(|_| 0.5);
            acc.add(t, 3, 9);
            assert_eq!(acc.top(5), vec![(3, 0.5)]);
        });
    }

    #[test]
    fn a_pair_touched_with_zero_is_still_a_candidate() {
        with_accumulator(|acc| {
            let t = acc.term(|_| 0.0);
            acc.add(t, 9, 0);
            assert_eq!(acc.top(3), vec![(9, 0.0)]);
        });
    }

    #[test]
    fn ids_at_block_edges_are_kept_apart() {
        let edges = [0, BLOCK as u32 - 1, BLOCK as u32, 3 * BLOCK as u32 + 1, u32::MAX];
        let got = with_accumulator(|acc| {
            let t = acc.term(f64::from);
            for (n, &id) in edges.iter().enumerate() {
                acc.add(t, id, n as u8 + 1);
            }
            acc.top(10)
        });
        let want: Vec<(i64, f64)> =
            edges.iter().enumerate().rev().map(|(n, &id)| (i64::from(id), n as f64 + 1.0)).collect();
        assert_eq!(got, want);
    }
}
