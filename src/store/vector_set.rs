//! A model's vectors held in memory for brute-force search, quantised to 8 bits.
//!
//! The database keeps every vector as f32 (readable by anything); in memory each is held as 8-bit
//! codes and one f32 scale (`value ≈ scale × code`, the scale chosen so the largest component maps
//! to ±127): 388 bytes a pair at 384 dimensions instead of 1,536, so 100k pairs take 39 MB beside
//! the model instead of 154 MB. The rounding error of a code is at most half a step (scale / 2),
//! which moves a cosine similarity by about 0.001 — far less than separates an answer from its
//! runner-up; `tests` in this module and `examples/dense_bench.rs` measure the effect on top-k.
//!
//! A search scores every vector with the question quantised too (an exact integer dot product:
//! AVX2 where the CPU has it, detected at run time, otherwise a loop the compiler vectorises for
//! any x86_64; large sets are split over the cores), keeps a shortlist several times longer than
//! asked for, and rescores it with the question in f32. Every similarity returned, by
//! [`VectorSet::top_k`] or [`VectorSet::similarity`], is that second score: the f32 question
//! against the held codes.

/// How many candidates the integer pass keeps for rescoring, for `k` results: enough that the
/// question's own rounding cannot push a true top-k vector out of it.
fn shortlist_len(k: usize) -> usize {
    (k * 4).max(k + 32)
}

/// Vectors of one model, by pair id (ascending), quantised to 8 bits (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct VectorSet {
    dim: usize,
    ids: Vec<i64>,
    codes: Vec<i8>,
    scales: Vec<f32>,
}

impl VectorSet {
    /// An empty set of `dim`-long vectors with room for `capacity` of them (reserving the room
    /// up front means a large set is never copied while it grows).
    pub fn with_capacity(dim: usize, capacity: usize) -> VectorSet {
        VectorSet {
            dim,
            ids: Vec::with_capacity(capacity),
            codes: Vec::with_capacity(capacity * dim),
            scales: Vec::with_capacity(capacity),
        }
    }

    /// A set from f32 vectors, `data` holding `ids.len()` vectors of `dim` one after another.
    /// Panics when the lengths disagree or ids do not ascend.
    pub fn from_f32(dim: usize, ids: &[i64], data: &[f32]) -> VectorSet {
        assert_eq!(ids.len() * dim, data.len(), "{} ids of {dim} dimensions", ids.len());
        let mut set = VectorSet::with_capacity(dim, ids.len());
        for (&id, vector) in ids.iter().zip(data.chunks_exact(dim.max(1))) {
            set.push(id, vector);
        }
        set
    }

    /// Vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Pair ids, ascending.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// Bytes held (codes, scales and ids), for reports.
    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() + self.scales.capacity() * 4 + self.ids.capacity() * 8
    }

    /// Add pair `id`'s vector. Ids must ascend (lookups use binary search); panics otherwise, or
    /// when the vector's length is not [`VectorSet::dim`].
    pub fn push(&mut self, id: i64, vector: &[f32]) {
        assert_eq!(vector.len(), self.dim, "pair {id}: vector length");
        assert!(self.ids.last().is_none_or(|&last| last < id), "pair {id} after a larger id");
        self.ids.push(id);
        self.scales.push(quantize(vector, &mut self.codes));
    }

    /// [`VectorSet::push`] from the BLOB form (`dim` little-endian f32), decoded into `scratch`
    /// (one buffer reused for every row of a load, not a vector per row).
    pub fn push_le_bytes(&mut self, id: i64, blob: &[u8], scratch: &mut Vec<f32>) {
        assert_eq!(blob.len(), self.dim * 4, "pair {id}: vector bytes");
        scratch.clear();
        scratch.extend(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        self.push(id, scratch);
    }

    /// The `i`-th vector as held (dequantised), for inspection and tests.
    pub fn vector(&self, i: usize) -> Vec<f32> {
        let scale = self.scales[i];
        self.codes(i).iter().map(|&c| f32::from(c) * scale).collect()
    }

    fn codes(&self, i: usize) -> &[i8] {
        &self.codes[i * self.dim..(i + 1) * self.dim]
    }

    /// Dot product of `query` with the `i`-th held vector.
    fn score(&self, i: usize, query: &[f32]) -> f32 {
        let mut sums = [0f32; 8];
        let (codes, query) = (self.codes(i).chunks_exact(8), query.chunks_exact(8));
        let tail: f32 = codes.remainder().iter().zip(query.remainder()).map(|(&c, q)| f32::from(c) * q).sum();
        for (c, q) in codes.zip(query) {
            for j in 0..8 {
                sums[j] += f32::from(c[j]) * q[j];
            }
        }
        (sums.iter().sum::<f32>() + tail) * self.scales[i]
    }

    /// Similarity of `query` (a vector of [`VectorSet::dim`]) to pair `id`'s vector, if the set
    /// holds one: the dot product, the cosine similarity for unit vectors.
    pub fn similarity(&self, id: i64, query: &[f32]) -> Option<f32> {
        if query.len() != self.dim {
            return None;
        }
        self.ids.binary_search(&id).ok().map(|i| self.score(i, query))
    }

    /// The `k` pairs whose vectors have the largest dot product with `query` (cosine similarity
    /// for unit vectors), best first, ties by ascending id.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(i64, f32)> {
        if k == 0 || self.dim == 0 || query.len() != self.dim {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> =
            self.shortlist(query, shortlist_len(k)).into_iter().map(|i| (self.ids[i], self.score(i, query))).collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }

    /// Indices of the `m` vectors (all, if fewer) that score best against `query` quantised,
    /// ties by ascending index, in no order. Large sets are split over the cores (see
    /// [`scan_threads`]); the result is the same however the set is split.
    fn shortlist(&self, query: &[f32], m: usize) -> Vec<usize> {
        self.shortlist_in(query, m, scan_threads(self.len()))
    }

    /// [`VectorSet::shortlist`] with the scan split into `parts` ranges, one thread each.
    fn shortlist_in(&self, query: &[f32], m: usize, parts: usize) -> Vec<usize> {
        let mut q = Vec::with_capacity(self.dim);
        quantize(query, &mut q);
        let n = self.len();
        let per_part = n.div_ceil(parts.max(1)).max(1);
        let mut best = if parts <= 1 || n <= per_part {
            self.scan(&q, 0..n, m)
        } else {
            std::thread::scope(|scope| {
                let q = &q;
                // The first range is scanned on this thread, the others on their own.
                let others: Vec<_> = (per_part..n)
                    .step_by(per_part)
                    .map(|start| scope.spawn(move || self.scan(q, start..(start + per_part).min(n), m)))
                    .collect();
                let mut best = self.scan(q, 0..per_part, m);
                for other in others {
                    best.extend(other.join().expect("a scan thread panicked"));
                }
                best
            })
        };
        keep_best(&mut best, m);
        best.into_iter().map(|(_, i)| i).collect()
    }

    /// The best `m` (at least; ties kept) of the vectors in `range` by integer dot product with
    /// `q`, as (quantised score, index). One pass; the candidates are kept in a buffer of up to
    /// `2m`, cut back to the best `m` whenever it fills, so the pass never sorts all the scores.
    fn scan(&self, q: &[i8], range: std::ops::Range<usize>, m: usize) -> Vec<(f32, usize)> {
        let dim = self.dim;
        let codes = &self.codes[range.start * dim..range.end * dim];
        let scales = &self.scales[range.clone()];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { scan_avx2(codes, scales, q, range.start, m) };
        }
        scan_codes(codes, scales, q, range.start, m, dot_i8_portable)
    }
}

/// How many threads scan a set of `n` vectors: one per core (at most 4) for large sets, one for
/// small ones, where starting a thread (tens of microseconds) costs more than it saves.
fn scan_threads(n: usize) -> usize {
    /// Below this many vectors one thread scans (about 1 ms of work at 384 dimensions).
    const PARALLEL_MIN: usize = 20_000;
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if n < PARALLEL_MIN {
        return 1;
    }
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |c| c.get()).min(4))
}

/// Cut `scored` to its best `m` by score, ties by ascending index: one answer however the scan
/// was split.
fn keep_best(scored: &mut Vec<(f32, usize)>, m: usize) {
    let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if m == 0 {
        scored.clear();
    } else if scored.len() > m {
        scored.select_nth_unstable_by(m - 1, order);
        scored.truncate(m);
    }
}

/// The scan of [`VectorSet::scan`] over `codes` (consecutive vectors of `q.len()`) with `scales`,
/// indices counted from `first`, the dot product given (inlined: each caller gets its own copy
/// of the loop, compiled for its instruction set).
#[inline(always)]
fn scan_codes(
    codes: &[i8],
    scales: &[f32],
    q: &[i8],
    first: usize,
    m: usize,
    dot: impl Fn(&[i8], &[i8]) -> i32,
) -> Vec<(f32, usize)> {
    let mut buffer: Vec<(f32, usize)> = Vec::with_capacity(2 * m);
    let mut floor = f32::NEG_INFINITY;
    for (i, (codes, &scale)) in codes.chunks_exact(q.len().max(1)).zip(scales).enumerate() {
        let s = dot(codes, q) as f32 * scale;
        if s >= floor {
            buffer.push((s, first + i));
            if buffer.len() == 2 * m {
                keep_best(&mut buffer, m);
                floor = buffer[m - 1].0;
            }
        }
    }
    buffer
}

/// [`scan_codes`] compiled for AVX2, with [`dot_i8_avx2`] inlined into the loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2(codes: &[i8], scales: &[f32], q: &[i8], first: usize, m: usize) -> Vec<(f32, usize)> {
    scan_codes(codes, scales, q, first, m, |a, b| dot_i8_avx2(a, b))
}

/// Append the 8-bit codes of `vector` to `out`; returns the scale. A vector of zeros, or one
/// with an infinite value, gets scale 0 (codes 0): it is similar to nothing. A NaN value counts
/// as 0.
fn quantize(vector: &[f32], out: &mut Vec<i8>) -> f32 {
    // `f32::max` ignores NaN.
    let max = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    let start = out.len();
    out.resize(start + vector.len(), 0);
    if max == 0.0 || !max.is_finite() {
        return 0.0;
    }
    let inverse = 127.0 / max;
    for (code, &x) in out[start..].iter_mut().zip(vector) {
        // Rounds half away from zero: `as` truncates, after half a step towards the value's sign
        // (a conversion the compiler vectorises, unlike `round`, a library call without SSE4.1:
        // quantising 100k vectors took over twice as long with it). In range by construction;
        // `as` saturates in any case, and turns NaN into 0.
        let y = x * inverse;
        *code = (y + 0.5f32.copysign(y)) as i8;
    }
    max / 127.0
}

/// Integer dot product of two code vectors of equal length: the fastest form this CPU runs
/// (exact either way).
#[cfg(test)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dot_i8_avx2(a, b) };
    }
    dot_i8_portable(a, b)
}

/// Integer dot product of two code vectors, for any x86_64 or other CPU (written so the
/// compiler vectorises it with what every such CPU has: products of two i8 fit in i16, sums of
/// 16 of them in i32).
fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    let mut sums = [0i32; 16];
    let (ac, bc) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = ac.remainder().iter().zip(bc.remainder()).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
    for (x, y) in ac.zip(bc) {
        for j in 0..16 {
            sums[j] += i32::from(i16::from(x[j]) * i16::from(y[j]));
        }
    }
    sums.iter().sum::<i32>() + tail
}

/// Integer dot product of two code vectors with AVX2: 16 codes at a time widened to i16
/// (`vpmovsxbw`), multiplied and summed in pairs into i32 (`vpmaddwd`: two products of i8 never
/// overflow it, -128 × -128 included), two accumulators; the tail plainly. Exact.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi8_epi16, _mm256_extracti128_si256,
        _mm256_madd_epi16, _mm256_setzero_si256, _mm_add_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_shuffle_epi32,
    };
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let products = |i: usize| -> __m256i {
        // SAFETY: callers pass i + 16 <= len; unaligned loads.
        unsafe {
            let x = _mm256_cvtepi8_epi16(_mm_loadu_si128(a.as_ptr().add(i).cast::<__m128i>()));
            let y = _mm256_cvtepi8_epi16(_mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>()));
            _mm256_madd_epi16(x, y)
        }
    };
    let (mut acc0, mut acc1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    let mut i = 0;
    while i + 32 <= len {
        acc0 = _mm256_add_epi32(acc0, products(i));
        acc1 = _mm256_add_epi32(acc1, products(i + 16));
        i += 32;
    }
    if i + 16 <= len {
        acc0 = _mm256_add_epi32(acc0, products(i));
        i += 16;
    }
    let acc = _mm256_add_epi32(acc0, acc1);
    let half = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256::<1>(acc));
    let quarter = _mm_add_epi32(half, _mm_shuffle_epi32::<0b01_00_11_10>(half));
    let one = _mm_add_epi32(quarter, _mm_shuffle_epi32::<0b10_11_00_01>(quarter));
    let tail: i32 = a[i..].iter().zip(&b[i..]).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
    _mm_cvtsi128_si32(one) + tail
}

/// Dot product of two f32 vectors (written so the compiler vectorises it).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers in [-0.5, 0.5) (xorshift), so tests need no crate.
    fn noise(seed: u64) -> impl FnMut() -> f32 {
        let mut state = seed.max(1);
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        }
    }

    fn unit(v: &mut [f32]) {
        let norm = dot(v, v).sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
    }

    /// `n` unit vectors sharing a common direction plus noise (as sentence embeddings do: all
    /// similarities fall in a narrow band, which is what makes rounding matter).
    fn clustered(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut next = noise(seed);
        let common: Vec<f32> = (0..dim).map(|_| next()).collect();
        let mut data = Vec::with_capacity(n * dim);
        for _ in 0..n {
            let mut v: Vec<f32> = common.iter().map(|c| c + 0.6 * next()).collect();
            unit(&mut v);
            data.extend(v);
        }
        data
    }

    fn exact_top(data: &[f32], dim: usize, query: &[f32], k: usize) -> Vec<(i64, f32)> {
        let mut all: Vec<(i64, f32)> =
            data.chunks_exact(dim).enumerate().map(|(i, v)| (i as i64 + 1, dot(v, query))).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn quantised_top_k_matches_f32_on_random_data() {
        let (n, dim, k) = (5000, 384, 10);
        for (data, seed) in [(clustered(n, dim, 7), 11), (clustered(n, dim, 8), 12)] {
            let ids: Vec<i64> = (1..=n as i64).collect();
            let set = VectorSet::from_f32(dim, &ids, &data);
            let mut next = noise(seed);
            let (mut overlap, mut queries) = (0, 0);
            for q in 0..50 {
                // Queries near a stored vector (as a paraphrase is) and anywhere.
                let mut query: Vec<f32> = if q % 2 == 0 {
                    data[q * dim..(q + 1) * dim].iter().map(|x| x + 0.05 * next()).collect()
                } else {
                    (0..dim).map(|_| next()).collect()
                };
                unit(&mut query);
                let exact = exact_top(&data, dim, &query, k);
                let got = set.top_k(&query, k);
                assert_eq!(got.len(), k);
                // Scores within rounding of the f32 ones; order may differ only between
                // vectors whose f32 scores are within that rounding of each other.
                for (id, score) in &got {
                    let f32_score = dot(&data[(*id as usize - 1) * dim..*id as usize * dim], &query);
                    assert!((score - f32_score).abs() < 0.004, "pair {id}: {score} vs {f32_score}");
                }
                let kth = exact[k - 1].1;
                for (id, score) in &exact {
                    if *score > kth + 0.008 {
                        assert!(got.iter().any(|(g, _)| g == id), "pair {id} ({score}) missing from {got:?}");
                    }
                }
                assert_eq!(got[0].0, exact[0].0, "the best match is the same");
                overlap += got.iter().filter(|(g, _)| exact.iter().any(|(e, _)| e == g)).count();
                queries += 1;
            }
            // Over all queries, nearly every f32 top-10 vector is found.
            assert!(overlap as f64 / (queries * k) as f64 >= 0.95, "overlap {overlap} of {}", queries * k);
        }
    }

    #[test]
    fn similarity_is_the_score_top_k_reports() {
        let dim = 16;
        let data = clustered(40, dim, 3);
        let ids: Vec<i64> = (0..40).map(|i| i * 3 + 1).collect();
        let set = VectorSet::from_f32(dim, &ids, &data);
        let query = data[5 * dim..6 * dim].to_vec();
        let top = set.top_k(&query, 40);
        assert_eq!(top.len(), 40);
        assert_eq!(top[0].0, ids[5]);
        for (id, score) in top {
            assert_eq!(set.similarity(id, &query), Some(score));
        }
        assert_eq!(set.similarity(2, &query), None, "no such pair");
        assert_eq!(set.similarity(1, &query[1..]), None, "wrong length");
    }

    #[test]
    fn held_vectors_are_within_half_a_step() {
        let dim = 384;
        let data = clustered(20, dim, 5);
        let ids: Vec<i64> = (1..=20).collect();
        let set = VectorSet::from_f32(dim, &ids, &data);
        let mut blob_set = VectorSet::with_capacity(dim, 20);
        let mut scratch = Vec::new();
        for (i, v) in data.chunks_exact(dim).enumerate() {
            let blob: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            blob_set.push_le_bytes(i as i64 + 1, &blob, &mut scratch);
            let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            let held = set.vector(i);
            assert!(v.iter().zip(&held).all(|(a, b)| (a - b).abs() <= max / 127.0 / 2.0 + 1e-7));
            assert_eq!(blob_set.vector(i), held, "the BLOB form quantises the same");
        }
        assert_eq!(set.heap_bytes(), 20 * (dim + 4 + 8));
    }

    #[test]
    fn degenerate_vectors_and_queries_are_similar_to_nothing() {
        let mut set = VectorSet::with_capacity(4, 4);
        set.push(1, &[0.0; 4]);
        set.push(2, &[f32::INFINITY, 1.0, 0.0, 0.0]);
        set.push(3, &[0.5, 0.5, 0.5, 0.5]);
        set.push(4, &[f32::NAN, 0.0, 0.0, 1.0]);
        let top = set.top_k(&[1.0, 0.0, 0.0, 0.0], 4);
        assert_eq!(top[0].0, 3);
        assert!((top[0].1 - 0.5).abs() < 1e-6);
        assert_eq!(&top[1..], &[(1, 0.0), (2, 0.0), (4, 0.0)]);
        // A NaN value counts as 0: the rest of the vector still matches.
        assert!((set.similarity(4, &[0.0, 0.0, 0.0, 1.0]).unwrap() - 1.0).abs() < 1e-6);
        assert!(set.top_k(&[0.0; 4], 2).iter().all(|(_, s)| *s == 0.0));
        assert!(set.top_k(&[1.0; 3], 2).is_empty(), "wrong length");
        assert!(set.top_k(&[1.0; 4], 0).is_empty());
    }

    #[test]
    #[should_panic(expected = "after a larger id")]
    fn ids_must_ascend() {
        let mut set = VectorSet::with_capacity(2, 2);
        set.push(5, &[1.0, 0.0]);
        set.push(4, &[1.0, 0.0]);
    }

    #[test]
    fn integer_dot_matches_a_plain_sum() {
        let mut next = noise(9);
        let mut code = || (next() * 256.0).floor().clamp(-128.0, 127.0) as i8;
        let mut cases: Vec<(Vec<i8>, Vec<i8>)> = Vec::new();
        for len in (0..=70).chain([383, 384, 385, 400]) {
            cases.push(((0..len).map(|_| code()).collect(), (0..len).map(|_| code()).collect()));
        }
        // The extremes: the largest products, every sign.
        for (x, y) in [(-128, -128), (-128, 127), (127, 127), (-128, 0)] {
            cases.push((vec![x; 384], vec![y; 384]));
        }
        for (a, b) in &cases {
            let plain: i32 = a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
            assert_eq!(dot_i8_portable(a, b), plain, "portable, length {}", a.len());
            assert_eq!(dot_i8(a, b), plain, "as dispatched, length {}", a.len());
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert_eq!(unsafe { dot_i8_avx2(a, b) }, plain, "AVX2, length {}", a.len());
            }
        }
    }

    #[test]
    fn the_shortlist_is_the_same_however_the_scan_is_split() {
        let (n, dim) = (3001, 384);
        let data = clustered(n, dim, 21);
        let ids: Vec<i64> = (1..=n as i64).collect();
        let mut set = VectorSet::from_f32(dim, &ids, &data);
        // Exact duplicates tie: the tie-break by index must hold across the split.
        for i in 0..40 {
            set.push(n as i64 + 1 + i, &data[..dim]);
        }
        let mut next = noise(22);
        for q in 0..6 {
            let mut query: Vec<f32> = if q % 2 == 0 {
                data[..dim].iter().map(|x| x + 0.01 * next()).collect()
            } else {
                (0..dim).map(|_| next()).collect()
            };
            unit(&mut query);
            for m in [1, 10, 33, 80] {
                let mut one = set.shortlist_in(&query, m, 1);
                one.sort_unstable();
                assert_eq!(one.len(), m);
                for parts in [2, 3, 4, 7] {
                    let mut split = set.shortlist_in(&query, m, parts);
                    split.sort_unstable();
                    assert_eq!(split, one, "m {m}, {parts} parts");
                }
            }
        }
        assert_eq!(set.shortlist_in(&data[..dim], 5000, 3).len(), set.len(), "all, when fewer than asked");
    }
}
