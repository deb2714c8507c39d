//! Postings gathered in memory before they are written as one index segment.
//!
//! A load's memory is bounded by how much of this it holds, and each segment costs one lookup per
//! distinct term when it is written: so the builder is laid out to hold as many terms per byte as
//! it can. Most terms of a batch occur once (Zipf), so a term's first entry lives in its table
//! slot; further entries are delta-encoded (as stored, see [`push_entry`]) into chains of small
//! blocks carved from large chunks, instead of one growing allocation per term (whose allocator
//! overhead and slack cost more than the entries themselves).

use anyhow::Result;
use rustc_hash::FxHashMap;

use crate::search::postings::{
    decode, entry_bytes, push_entry, word_id, Interner, LocalTerms, PairText, TermCounts, TermKey,
};

/// Bytes in a block: [`BLOCK_DATA`] of entries, then the index of the next block.
const BLOCK: usize = 16;
/// Entry bytes in a block.
const BLOCK_DATA: usize = BLOCK - 4;
/// Blocks carved from one allocation (64 KiB: small files' builders stay small).
const CHUNK_BLOCKS: usize = 1 << 12;
/// Marks a list whose only entry is held by its [`Head`].
const INLINE: u32 = u32::MAX;

/// Postings for a batch of pairs, encoded as they are added (pair ids must ascend). It is also the
/// batch's interner for non-Chinese terms (see [`TermKey`]).
#[derive(Default)]
pub struct SegmentBuilder {
    words: LocalTerms,
    /// Memory of the interned words (strings, twice, and their table slot).
    word_bytes: usize,
    lists: FxHashMap<TermKey, Head>,
    blocks: Blocks,
    entries: usize,
}

/// One term's list.
#[derive(Clone, Copy)]
struct Head {
    /// The last pair id added: the next entry is encoded as the difference.
    last: u32,
    /// Entries in the list.
    count: u32,
    /// With one entry, its impact; otherwise the first block.
    first: u32,
    /// With one entry, [`INLINE`]; otherwise the block being filled, shifted left by 4, and the
    /// bytes used in it.
    tail: u32,
}

impl Interner for SegmentBuilder {
    fn id(&mut self, term: &str) -> u32 {
        let before = self.words.terms.len();
        let id = self.words.id(term);
        if self.words.terms.len() > before {
            // Two boxed copies (table key and list) and a table slot.
            self.word_bytes += 2 * term.len().next_multiple_of(16) + 48;
        }
        id
    }
}

impl SegmentBuilder {
    /// Add a pair's terms (keys from this builder, with impact bytes). Ids must be added in
    /// ascending order.
    pub fn add(&mut self, pair_id: i64, terms: &[(TermKey, u8)]) -> Result<()> {
        let Ok(id) = u32::try_from(pair_id) else {
            anyhow::bail!("pair id {pair_id} is outside what the index can hold (1 to {}); renumber it", u32::MAX);
        };
        for &(term, impact) in terms {
            self.push(term, id, impact);
        }
        Ok(())
    }

    fn push(&mut self, term: TermKey, id: u32, impact: u8) {
        use std::collections::hash_map::Entry;
        self.entries += 1;
        let head = match self.lists.entry(term) {
            Entry::Vacant(slot) => {
                slot.insert(Head { last: id, count: 1, first: u32::from(impact), tail: INLINE });
                return;
            }
            Entry::Occupied(slot) => slot.into_mut(),
        };
        if head.tail == INLINE {
            // The second entry: the first moves out of the slot into a block of its own.
            let block = self.blocks.allocate();
            let (first, last) = (head.first as u8, head.last);
            *head = Head { last, count: 1, first: block, tail: block << 4 };
            self.blocks.append(head, 0, last, first);
        }
        let last = head.last;
        self.blocks.append(head, last, id, impact);
        head.last = id;
        head.count += 1;
    }

    /// Analyse a pair (with the notes it carries) and add it.
    pub fn add_text(&mut self, pair_id: i64, text: &PairText) -> Result<()> {
        let impacts = TermCounts::of(text, self).impacts();
        self.add(pair_id, &impacts)
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Entries (pair and term) added.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// The memory it holds, in bytes: the table of lists (allocated capacity), the blocks, the
    /// interned words.
    pub fn memory(&self) -> usize {
        let slot = std::mem::size_of::<(TermKey, Head)>() + 1;
        self.lists.capacity() * slot + self.blocks.memory() + self.word_bytes
    }

    /// Append the postings of another builder, whose pair ids all come after this one's.
    pub fn absorb(&mut self, other: SegmentBuilder) {
        let mut data = Vec::new();
        for (&key, head) in &other.lists {
            let key = match word_id(key) {
                Some(id) => self.key(&other.words.terms[id as usize]),
                None => key,
            };
            data.clear();
            other.blocks.read(head, &mut data);
            decode(&data, |id, impact| self.push(key, id, impact));
        }
    }

    /// The terms' keys, in the order of the terms they stand for (see [`key_order`]).
    pub fn sorted_keys(&self) -> Vec<TermKey> {
        let mut keys: Vec<TermKey> = self.lists.keys().copied().collect();
        keys.sort_unstable_by(|a, b| key_order(*a, *b, &self.words.terms));
        keys
    }

    /// The interned words that keys of non-Chinese terms point to.
    pub fn words(&self) -> &[Box<str>] {
        &self.words.terms
    }

    /// A term's list as stored (written into `data`, replacing what it held) and its number of
    /// entries; 0 for a key that was never added.
    pub fn list(&self, key: TermKey, data: &mut Vec<u8>) -> u32 {
        data.clear();
        match self.lists.get(&key) {
            Some(head) => {
                self.blocks.read(head, data);
                head.count
            }
            None => 0,
        }
    }
}

/// The order of two keys' terms. Two packed Chinese keys compare as numbers: the first
/// character sits above the second, an absent second character is 0, and character order is the
/// terms' string order; only keys of interned words need spelling out.
pub fn key_order(a: TermKey, b: TermKey, words: &[Box<str>]) -> std::cmp::Ordering {
    use crate::search::postings::key_chars;
    if word_id(a).is_none() && word_id(b).is_none() {
        return a.cmp(&b);
    }
    key_chars(a, words).cmp(key_chars(b, words))
}

/// Fixed-size blocks in large chunks; a block is named by its index.
#[derive(Default)]
struct Blocks {
    chunks: Vec<Box<[u8]>>,
    /// Blocks handed out.
    used: u32,
}

impl Blocks {
    fn allocate(&mut self) -> u32 {
        let index = self.used;
        if index as usize == self.chunks.len() * CHUNK_BLOCKS {
            self.chunks.push(vec![0; CHUNK_BLOCKS * BLOCK].into_boxed_slice());
        }
        // The tail packs the index above 4 bits of offset.
        assert!(index < 1 << 28, "a segment builder outgrew 4 GiB of blocks");
        self.used += 1;
        index
    }

    fn block(&self, index: u32) -> &[u8] {
        let (chunk, at) = (index as usize / CHUNK_BLOCKS, index as usize % CHUNK_BLOCKS * BLOCK);
        &self.chunks[chunk][at..at + BLOCK]
    }

    fn block_mut(&mut self, index: u32) -> &mut [u8] {
        let (chunk, at) = (index as usize / CHUNK_BLOCKS, index as usize % CHUNK_BLOCKS * BLOCK);
        &mut self.chunks[chunk][at..at + BLOCK]
    }

    /// Encode an entry at the end of a list held in blocks, chaining a new block when one fills.
    fn append(&mut self, head: &mut Head, last: u32, id: u32, impact: u8) {
        let (bytes, len) = entry_bytes(last, id, impact);
        let (mut block, mut used) = (head.tail >> 4, (head.tail & 0xF) as usize);
        for &byte in &bytes[..len] {
            if used == BLOCK_DATA {
                let next = self.allocate();
                self.block_mut(block)[BLOCK_DATA..].copy_from_slice(&next.to_le_bytes());
                (block, used) = (next, 0);
            }
            self.block_mut(block)[used] = byte;
            used += 1;
        }
        head.tail = block << 4 | used as u32;
    }

    /// Append a list's bytes to `data`.
    fn read(&self, head: &Head, data: &mut Vec<u8>) {
        if head.tail == INLINE {
            push_entry(data, 0, head.last, head.first as u8);
            return;
        }
        let (tail, used) = (head.tail >> 4, (head.tail & 0xF) as usize);
        let mut block = head.first;
        while block != tail {
            let bytes = self.block(block);
            data.extend_from_slice(&bytes[..BLOCK_DATA]);
            block = u32::from_le_bytes(bytes[BLOCK_DATA..].try_into().expect("four bytes"));
        }
        data.extend_from_slice(&self.block(tail)[..used]);
    }

    fn memory(&self) -> usize {
        self.chunks.len() * CHUNK_BLOCKS * BLOCK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::postings::{decode_all, encode};

    /// Every list reads back as the plain encoding of its entries, whether it has one entry, fills
    /// blocks exactly, or spans many.
    #[test]
    fn lists_read_back_as_encoded() {
        let mut builder = SegmentBuilder::default();
        let mut expected: FxHashMap<TermKey, Vec<(u32, u8)>> = FxHashMap::default();
        for id in 1..=3000u32 {
            for term in 0..40u64 {
                // Term t occurs in every (t+1)-th pair; ids grow in steps of many bytes too.
                if (id as u64).is_multiple_of(term + 1) {
                    let (pair, impact) = (id * (1 + term as u32 * 997), (id % 251) as u8);
                    builder.add(pair as i64, &[(term, impact)]).unwrap();
                    expected.entry(term).or_default().push((pair, impact));
                }
            }
        }
        let mut data = Vec::new();
        for (term, entries) in &expected {
            assert_eq!(builder.list(*term, &mut data), entries.len() as u32);
            assert_eq!(data, encode(entries), "term {term}");
            assert_eq!(decode_all(&data), *entries);
        }
        assert_eq!(builder.entries(), expected.values().map(Vec::len).sum::<usize>());
        assert_eq!(builder.list(999, &mut data), 0);
        assert!(data.is_empty());
    }

    /// Absorbing a later builder gives the lists one builder would have made, words re-interned.
    #[test]
    fn absorb_appends_lists() {
        let mut one = SegmentBuilder::default();
        let (mut first, mut second) = (SegmentBuilder::default(), SegmentBuilder::default());
        for id in 1..200i64 {
            let builder = if id < 120 { &mut first } else { &mut second };
            let terms = [builder.key("模型"), builder.key(if id % 3 == 0 { "gpu" } else { "cloud" })];
            builder.add(id, &[(terms[0], 1), (terms[1], id as u8)]).unwrap();
            let terms = [one.key("模型"), one.key(if id % 3 == 0 { "gpu" } else { "cloud" })];
            one.add(id, &[(terms[0], 1), (terms[1], id as u8)]).unwrap();
        }
        first.absorb(second);
        let spelt = |b: &SegmentBuilder| -> Vec<(String, Vec<u8>)> {
            let mut data = Vec::new();
            b.sorted_keys()
                .into_iter()
                .map(|k| {
                    b.list(k, &mut data);
                    (crate::search::postings::key_term(k, b.words()), data.clone())
                })
                .collect()
        };
        assert_eq!(spelt(&first), spelt(&one));
        assert_eq!(first.entries(), one.entries());
    }

    /// Memory is what is allocated: it grows with the blocks and the table, not per entry.
    #[test]
    fn memory_counts_allocations() {
        let mut builder = SegmentBuilder::default();
        assert_eq!(builder.memory(), 0);
        builder.add(1, &[(7, 1)]).unwrap();
        let one = builder.memory();
        assert!(one > 0 && one < 1024, "{one}");
        builder.add(2, &[(7, 1)]).unwrap();
        assert_eq!(builder.memory(), one + CHUNK_BLOCKS * BLOCK);
    }

    /// Sorting by [`key_order`] puts terms in string order, Chinese and other terms mixed.
    #[test]
    fn key_order_is_term_order() {
        use crate::search::postings::key_term;
        let mut local = LocalTerms::default();
        let terms = ["算力", "算", "钱", "gpt6", "@12", "a", "\u{4e00}", "\u{4e00}\u{4e01}", "\u{4e00}\u{9fa5}", "z算"];
        let mut keys: Vec<TermKey> = terms.iter().map(|t| local.key(t)).collect();
        keys.sort_unstable_by(|a, b| key_order(*a, *b, &local.terms));
        let by_key: Vec<String> = keys.iter().map(|&k| key_term(k, &local.terms)).collect();
        let mut by_string: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
        by_string.sort_unstable();
        assert_eq!(by_key, by_string);
    }
}
