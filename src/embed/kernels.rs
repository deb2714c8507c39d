//! The arithmetic of [`super::encoder`]: a matrix times a Linear layer's weights, and GELU.
//!
//! The weights are laid out once, at load ([`Panels::new`]), in the order the product reads them:
//! panels of [`LANES`] outputs, each panel holding, input by input, the weights of its outputs
//! side by side. A product then reads every weight once, sequentially, and needs no packing at
//! call time (candle's CPU matmul, through the gemm crate, packed the weights at every call: a
//! third of the CPU time of embedding a question). Outputs are computed in blocks of [`ROWS`]
//! input rows by one panel: `ROWS × LANES` sums held in registers, each input value broadcast
//! and multiplied with a panel row.
//!
//! The weights are held as the model file stores them: f32, or fp16 converted to f32 as each panel
//! row is read (exact: every fp16 value is an f32). fp16 halves the bytes a question reads (the
//! layers of multilingual-e5-small are 84 MB in f32) and the memory they occupy; the sums are
//! the same as with the same values in f32.
//!
//! Two implementations give the same results within float rounding: AVX2+FMA+F16C, chosen at run
//! time when the processor has it, and a portable one.

use std::ops::Range;

use half::f16;

use super::weights::Values;

/// Input rows (tokens) per block: 6 rows × 2 vectors of 8 lanes = 12 accumulators, of the 16
/// AVX2 registers.
const ROWS: usize = 6;
/// Outputs per panel.
pub const LANES: usize = 16;

/// Which implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust, any processor.
    Portable,
    /// AVX2, FMA and F16C (x86-64 only; check [`Kernel::available`] before choosing it).
    Avx2,
    /// AVX-512 (F) for the products, one 16-lane register per row of a block, same sums as
    /// [`Kernel::Avx2`]; otherwise as [`Kernel::Avx2`], whose features it needs too.
    Avx512,
}

impl Kernel {
    /// The fastest implementation this processor runs.
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("f16c") {
            if is_x86_feature_detected!("avx512f") {
                return Kernel::Avx512;
            }
            return Kernel::Avx2;
        }
        Kernel::Portable
    }

    /// Every implementation this processor runs, slowest first.
    pub fn available() -> Vec<Kernel> {
        let all = [Kernel::Portable, Kernel::Avx2, Kernel::Avx512];
        let best = all.iter().position(|&k| k == Kernel::best()).unwrap_or(0);
        all[..=best].to_vec()
    }
}

/// A Linear layer's weights and bias, laid out in panels (see the module docs).
pub struct Panels {
    /// `[panel][input][lane]`; the last panel is padded with zeros.
    values: Values,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Panels {
    /// Lay out `weight` (row-major `[outputs][inputs]`, as PyTorch stores a Linear's weight),
    /// keeping its element type.
    pub fn new(weight: &Values, bias: Vec<f32>, inputs: usize, outputs: usize) -> Panels {
        assert_eq!(weight.len(), inputs * outputs);
        assert_eq!(bias.len(), outputs);
        let values = match weight {
            Values::F32(w) => Values::F32(lay_out(w, inputs, outputs)),
            Values::F16(w) => Values::F16(lay_out(w, inputs, outputs)),
        };
        Panels { values, bias, inputs, outputs }
    }

    /// Whether the weights are held in fp16.
    pub fn is_f16(&self) -> bool {
        matches!(self.values, Values::F16(_))
    }

    /// How many panels (outputs / [`LANES`], rounded up).
    pub fn count(&self) -> usize {
        self.outputs.div_ceil(LANES)
    }

    /// The length of an input row.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The outputs that `panels` computes.
    pub fn columns(&self, panels: &Range<usize>) -> Range<usize> {
        panels.start * LANES..(panels.end * LANES).min(self.outputs)
    }
}

/// `weight` (`[outputs][inputs]`) as panels: `[panel][input][lane]`, the last panel padded with zeros.
fn lay_out<T: Copy + Default>(weight: &[T], inputs: usize, outputs: usize) -> Vec<T> {
    let count = outputs.div_ceil(LANES);
    let mut values = vec![T::default(); count * inputs * LANES];
    for (o, row) in weight.chunks_exact(inputs).enumerate() {
        let panel = &mut values[(o / LANES) * inputs * LANES..(o / LANES + 1) * inputs * LANES];
        for (i, &w) in row.iter().enumerate() {
            panel[i * LANES + o % LANES] = w;
        }
    }
    values
}

/// Panels in one block: the AVX-512 kernel holds one register per row and panel, so two panels
/// at once give it 12 independent sums (one panel's 6 wait on the multiply-add latency).
fn group(kernel: Kernel) -> usize {
    if kernel == Kernel::Avx512 {
        2
    } else {
        1
    }
}

/// Sums of a block: `[row][panel][lane]`.
type Sums<const R: usize, const P: usize> = [[[f32; LANES]; P]; R];

/// A weight element type the kernels read.
trait Weight: Copy {
    /// `R` (at most [`ROWS`]) input rows times `P` consecutive panels of this type
    /// (`sums[r][p][lane] = x[r] · weight[first + p·LANES + lane]`).
    fn block<const R: usize, const P: usize>(kernel: Kernel, xs: [&[f32]; R], panels: &[Self]) -> Sums<R, P>;
}

impl Weight for f32 {
    fn block<const R: usize, const P: usize>(kernel: Kernel, xs: [&[f32]; R], panels: &[f32]) -> Sums<R, P> {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is chosen only after detecting AVX2, FMA and F16C
            // (`Kernel::best`); the lengths are checked inside.
            Kernel::Avx2 => per_panel(xs, panels, |xs, panel| unsafe { avx2::block(xs, panel) }),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx512` is chosen only after detecting AVX-512F too.
            Kernel::Avx512 => unsafe { avx512::block(xs, panels) },
            _ => per_panel(xs, panels, |xs, panel| portable_block(xs, panel, |w| w)),
        }
    }
}

impl Weight for f16 {
    fn block<const R: usize, const P: usize>(kernel: Kernel, xs: [&[f32]; R], panels: &[f16]) -> Sums<R, P> {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as for f32.
            Kernel::Avx2 => per_panel(xs, panels, |xs, panel| unsafe { avx2::block_f16(xs, panel) }),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as for f32.
            Kernel::Avx512 => unsafe { avx512::block_f16(xs, panels) },
            _ => per_panel(xs, panels, |xs, panel| portable_block(xs, panel, f16::to_f32)),
        }
    }
}

/// `P` panels one after the other with a one-panel kernel.
fn per_panel<T, const R: usize, const P: usize>(
    xs: [&[f32]; R],
    panels: &[T],
    one: impl Fn([&[f32]; R], &[T]) -> [[f32; LANES]; R],
) -> Sums<R, P> {
    let mut sums = [[[0f32; LANES]; P]; R];
    for (p, panel) in panels.chunks_exact(panels.len() / P).enumerate() {
        for (row, s) in sums.iter_mut().zip(one(xs, panel)) {
            row[p] = s;
        }
    }
    sums
}

/// `out[r][c - first] = bias[c] + x[r] · weight[c]` for every row `r` of `x` (`rows × inputs`)
/// and every output `c` of `panels` (`first` its first); `out` is `rows × columns(panels).len()`.
pub fn linear(kernel: Kernel, x: &[f32], rows: usize, w: &Panels, panels: Range<usize>, out: &mut [f32]) {
    let columns = w.columns(&panels);
    assert_eq!(x.len(), rows * w.inputs);
    assert_eq!(out.len(), rows * columns.len());
    match &w.values {
        Values::F32(values) => Product { kernel, x, rows, w, values, columns }.run(panels, out),
        Values::F16(values) => Product { kernel, x, rows, w, values, columns }.run(panels, out),
    }
}

/// One call of [`linear`] with the panels' values of type `T`.
struct Product<'a, T> {
    kernel: Kernel,
    x: &'a [f32],
    rows: usize,
    w: &'a Panels,
    values: &'a [T],
    /// The outputs computed.
    columns: Range<usize>,
}

impl<T: Weight> Product<'_, T> {
    fn run(&self, panels: Range<usize>, out: &mut [f32]) {
        let mut p = panels.start;
        while p < panels.end {
            if group(self.kernel) == 2 && p + 2 <= panels.end {
                self.panels::<2>(p, out);
                p += 2;
            } else {
                self.panels::<1>(p, out);
                p += 1;
            }
        }
    }

    /// Every row times panels `p..p + P`, in blocks of [`ROWS`] rows.
    fn panels<const P: usize>(&self, p: usize, out: &mut [f32]) {
        let (inputs, rows, kernel) = (self.w.inputs, self.rows, self.kernel);
        let size = inputs * LANES;
        let panels = &self.values[p * size..(p + P) * size];
        for r0 in (0..rows).step_by(ROWS) {
            let xs: [&[f32]; ROWS] = std::array::from_fn(|i| {
                // Rows past the last are never computed (a narrower block is); any row will do.
                let r = (r0 + i).min(rows - 1);
                &self.x[r * inputs..(r + 1) * inputs]
            });
            // The last rows in a block of their own height: a question of 15 tokens computes
            // 6 + 6 + 3 rows, not 18 (the rows are independent, so the sums are the same).
            let sums = match rows - r0 {
                1 => narrow::<T, 1, P>(kernel, &xs, panels),
                2 => narrow::<T, 2, P>(kernel, &xs, panels),
                3 => narrow::<T, 3, P>(kernel, &xs, panels),
                4 => narrow::<T, 4, P>(kernel, &xs, panels),
                5 => narrow::<T, 5, P>(kernel, &xs, panels),
                _ => T::block::<ROWS, P>(kernel, xs, panels),
            };
            for (i, sum) in sums.iter().enumerate().take(rows - r0) {
                self.store(r0 + i, p, sum, out);
            }
        }
    }

    /// Row `r`'s sums for panels `p…` plus the bias, into `out`.
    fn store(&self, r: usize, p: usize, sums: &[[f32; LANES]], out: &mut [f32]) {
        let width = self.columns.len();
        for (q, sum) in sums.iter().enumerate() {
            let first = (p + q) * LANES;
            let lanes = (self.w.outputs - first).min(LANES);
            let row = &mut out[r * width + first - self.columns.start..][..lanes];
            for ((o, s), b) in row.iter_mut().zip(sum).zip(&self.w.bias[first..first + lanes]) {
                *o = s + b;
            }
        }
    }
}

/// The first `R` rows of `xs` times `P` panels, in the first `R` rows of the result (the others
/// zero).
fn narrow<T: Weight, const R: usize, const P: usize>(
    kernel: Kernel,
    xs: &[&[f32]; ROWS],
    panels: &[T],
) -> Sums<ROWS, P> {
    let mut sums = [[[0f32; LANES]; P]; ROWS];
    sums[..R].copy_from_slice(&T::block::<R, P>(kernel, std::array::from_fn(|i| xs[i]), panels));
    sums
}

/// `R` input rows times one panel in plain Rust (the compiler vectorises the lanes):
/// `sums[r][lane] = x[r] · weight[first + lane]`, each weight converted by `to_f32`.
fn portable_block<T: Copy, const R: usize>(
    xs: [&[f32]; R],
    panel: &[T],
    to_f32: impl Fn(T) -> f32,
) -> [[f32; LANES]; R] {
    let mut sums = [[0f32; LANES]; R];
    for (k, row) in panel.chunks_exact(LANES).enumerate() {
        let weights: [f32; LANES] = std::array::from_fn(|l| to_f32(row[l]));
        for (sum, x) in sums.iter_mut().zip(&xs) {
            let v = x[k];
            for (s, w) in sum.iter_mut().zip(&weights) {
                *s += v * w;
            }
        }
    }
    sums
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::LANES;
    use std::arch::x86_64::*;

    use half::f16;

    /// The body of a block of `R` rows: `R × 2` accumulators of 8 lanes; `$load` is the panel row `$k`
    /// as two vectors of 8 f32 (one body for both element types, so they sum in the same order).
    macro_rules! block_body {
        ($xs:ident, $panel:ident, $k:ident => $load:expr) => {{
            let n = $xs[0].len();
            assert!($xs.iter().all(|x| x.len() == n) && $panel.len() == n * LANES);
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            for $k in 0..n {
                let (w0, w1) = $load;
                for i in 0..R {
                    // SAFETY: k < n, the length of every row.
                    let v = _mm256_set1_ps(unsafe { *$xs[i].get_unchecked($k) });
                    acc[i][0] = _mm256_fmadd_ps(v, w0, acc[i][0]);
                    acc[i][1] = _mm256_fmadd_ps(v, w1, acc[i][1]);
                }
            }
            let mut sums = [[0f32; LANES]; R];
            for i in 0..R {
                // SAFETY: each row of `sums` holds 16 floats.
                unsafe {
                    _mm256_storeu_ps(sums[i].as_mut_ptr(), acc[i][0]);
                    _mm256_storeu_ps(sums[i].as_mut_ptr().add(8), acc[i][1]);
                }
            }
            sums
        }};
    }

    /// A block of f32 panels with AVX2 and FMA.
    ///
    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn block<const R: usize>(xs: [&[f32]; R], panel: &[f32]) -> [[f32; LANES]; R] {
        let w = panel.as_ptr();
        // SAFETY (in the load): k < n, so the panel row k (16 floats) is in bounds.
        block_body!(xs, panel, k => unsafe { (_mm256_loadu_ps(w.add(k * LANES)), _mm256_loadu_ps(w.add(k * LANES + 8))) })
    }

    /// A block of fp16 panels with AVX2, FMA and F16C: each row of 16 weights is loaded as
    /// 32 bytes and converted to f32 (exactly) in registers.
    ///
    /// # Safety
    /// The processor must support AVX2, FMA and F16C.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn block_f16<const R: usize>(xs: [&[f32]; R], panel: &[f16]) -> [[f32; LANES]; R] {
        let w = panel.as_ptr().cast::<__m128i>();
        // SAFETY (in the load): k < n, so the panel row k (16 halves, two 16-byte halves) is in
        // bounds; unaligned loads.
        block_body!(xs, panel, k => unsafe {
            (_mm256_cvtph_ps(_mm_loadu_si128(w.add(2 * k))), _mm256_cvtph_ps(_mm_loadu_si128(w.add(2 * k + 1))))
        })
    }

    /// [`super::gelu_erf`] on 8 lanes at once (the same rational approximation).
    #[target_feature(enable = "avx2,fma")]
    pub fn gelu8(x: __m256) -> __m256 {
        let z = _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
        let z = _mm256_max_ps(_mm256_min_ps(z, _mm256_set1_ps(super::ERF_CLAMP)), _mm256_set1_ps(-super::ERF_CLAMP));
        let z2 = _mm256_mul_ps(z, z);
        let mut p = _mm256_set1_ps(super::ERF_ALPHA[0]);
        for &a in &super::ERF_ALPHA[1..] {
            p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(a));
        }
        let mut q = _mm256_set1_ps(super::ERF_BETA[0]);
        for &b in &super::ERF_BETA[1..] {
            q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(b));
        }
        let erf = _mm256_div_ps(_mm256_mul_ps(z, p), q);
        let half_x = _mm256_mul_ps(x, _mm256_set1_ps(0.5));
        _mm256_fmadd_ps(half_x, erf, half_x)
    }

    /// [`super::gelu_in_place`] with AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub fn gelu_in_place(xs: &mut [f32]) {
        let mut chunks = xs.chunks_exact_mut(8);
        for chunk in &mut chunks {
            // SAFETY: the chunk holds exactly 8 floats.
            unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), gelu8(_mm256_loadu_ps(chunk.as_ptr()))) };
        }
        for x in chunks.into_remainder() {
            *x = super::gelu_erf(*x);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Sums, LANES};
    use half::f16;
    use std::arch::x86_64::*;

    /// The body of a block of `R` rows by `P` panels: one accumulator of 16 lanes per row and
    /// panel, each lane summed in the same order as by the AVX2 kernel (same results); `$load`
    /// is row `$k` of panel `$q`.
    macro_rules! block_body {
        ($xs:ident, $panels:ident, $k:ident, $q:ident => $load:expr) => {{
            let n = $xs[0].len();
            assert!($xs.iter().all(|x| x.len() == n) && $panels.len() == P * n * LANES);
            let mut acc = [[_mm512_setzero_ps(); P]; R];
            for $k in 0..n {
                let mut w = [_mm512_setzero_ps(); P];
                for $q in 0..P {
                    w[$q] = $load;
                }
                for i in 0..R {
                    // SAFETY: k < n, the length of every row.
                    let v = _mm512_set1_ps(unsafe { *$xs[i].get_unchecked($k) });
                    for q in 0..P {
                        acc[i][q] = _mm512_fmadd_ps(v, w[q], acc[i][q]);
                    }
                }
            }
            let mut sums = [[[0f32; LANES]; P]; R];
            for i in 0..R {
                for q in 0..P {
                    // SAFETY: each panel row of `sums` holds 16 floats.
                    unsafe { _mm512_storeu_ps(sums[i][q].as_mut_ptr(), acc[i][q]) };
                }
            }
            sums
        }};
    }

    /// A block of f32 panels with AVX-512F.
    ///
    /// # Safety
    /// The processor must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn block<const R: usize, const P: usize>(xs: [&[f32]; R], panels: &[f32]) -> Sums<R, P> {
        let (w, n) = (panels.as_ptr(), xs[0].len());
        // SAFETY (in the load): k < n and q < P, so row k of panel q (16 floats) is in bounds.
        block_body!(xs, panels, k, q => unsafe { _mm512_loadu_ps(w.add((q * n + k) * LANES)) })
    }

    /// A block of fp16 panels with AVX-512F: each row of 16 weights is loaded as 32 bytes and
    /// converted to f32 (exactly) in a register.
    ///
    /// # Safety
    /// The processor must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn block_f16<const R: usize, const P: usize>(xs: [&[f32]; R], panels: &[f16]) -> Sums<R, P> {
        let (w, n) = (panels.as_ptr().cast::<__m256i>(), xs[0].len());
        // SAFETY (in the load): k < n and q < P, so row k of panel q (16 halves, 32 bytes) is in
        // bounds.
        block_body!(xs, panels, k, q => unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(w.add(q * n + k))) })
    }
}

/// Beyond ±4, erf is ±1 in f32.
const ERF_CLAMP: f32 = 4.0;
/// Numerator of erf(z) ≈ z·P(z²)/Q(z²) on [-4, 4], highest power first (the approximation used
/// by Eigen and XLA for f32; error about 1e-7, checked in the tests against a series).
const ERF_ALPHA: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_600_2e-3,
    -1.609_603_3e-2,
];
/// Denominator of the same approximation, highest power first.
const ERF_BETA: [f32; 5] = [-1.456_607_2e-5, -2.133_740_6e-4, -1.682_827e-3, -7.373_329_2e-3, -1.426_474e-2];

/// erf(z) by the rational approximation above (the scalar twin of the AVX2 version).
pub fn erf(z: f32) -> f32 {
    let z = z.clamp(-ERF_CLAMP, ERF_CLAMP);
    let z2 = z * z;
    let p = ERF_ALPHA[1..].iter().fold(ERF_ALPHA[0], |acc, &a| acc * z2 + a);
    let q = ERF_BETA[1..].iter().fold(ERF_BETA[0], |acc, &b| acc * z2 + b);
    z * p / q
}

/// The exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)) (BERT's `gelu`).
pub fn gelu_erf(x: f32) -> f32 {
    let half_x = 0.5 * x;
    half_x + half_x * erf(x * std::f32::consts::FRAC_1_SQRT_2)
}

/// GELU ([`gelu_erf`]) of every element.
pub fn gelu_in_place(kernel: Kernel, xs: &mut [f32]) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` and `Kernel::Avx512` are chosen only after detecting AVX2 and FMA.
        Kernel::Avx2 | Kernel::Avx512 => unsafe { avx2::gelu_in_place(xs) },
        _ => xs.iter_mut().for_each(|x| *x = gelu_erf(*x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series in f64 (terms stay below 1e6 for |x| ≤ 4, so the sum keeps about
    /// ten correct digits), ±1 beyond 4 (1 - erf(4) = 1.5e-8).
    fn erf_series(x: f64) -> f64 {
        if x.abs() > 4.0 {
            return x.signum();
        }
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_matches_a_series_and_known_values() {
        assert!((erf_series(1.0) - 0.842_700_792_949_714_9).abs() < 1e-12);
        assert!((erf_series(0.5) - 0.520_499_877_813_046_5).abs() < 1e-12);
        let mut worst = 0f64;
        for i in -8000..=8000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((erf(x) as f64 - erf_series(x as f64)).abs());
        }
        assert!(worst < 1e-6, "largest error {worst}");
    }

    #[test]
    fn the_kernels_agree() {
        let xs: Vec<f32> = (0..517).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
        let mut portable = xs.clone();
        let mut best = xs.clone();
        gelu_in_place(Kernel::Portable, &mut portable);
        gelu_in_place(Kernel::best(), &mut best);
        for ((x, a), b) in xs.iter().zip(&portable).zip(&best) {
            assert!((a - b).abs() <= 1e-6 * (1.0 + x.abs()), "gelu({x}): {a} vs {b}");
        }
        // Shapes with edges in both directions (every number of rows past the last full block, a
        // partly filled panel).
        let shapes = [(1, 8, 1), (5, 19, 7), (18, 384, 40), (13, 40, 33), (8, 16, 17), (9, 33, 16), (10, 24, 50)];
        for (rows, inputs, outputs) in shapes {
            let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            let weight: Vec<f32> = (0..outputs * inputs).map(|i| ((i * 7 % 23) as f32 - 11.0) / 5.0).collect();
            let bias: Vec<f32> = (0..outputs).map(|i| i as f32 - 2.0).collect();
            let w = Panels::new(&Values::F32(weight.clone()), bias.clone(), inputs, outputs);
            for panels in [0..w.count(), w.count() / 2..w.count()] {
                let cols = w.columns(&panels);
                let mut results = Vec::new();
                for kernel in Kernel::available() {
                    let mut out = vec![0f32; rows * cols.len()];
                    linear(kernel, &x, rows, &w, panels.clone(), &mut out);
                    for r in 0..rows {
                        for c in cols.clone() {
                            let exact: f64 = (0..inputs)
                                .map(|i| x[r * inputs + i] as f64 * weight[c * inputs + i] as f64)
                                .sum::<f64>()
                                + bias[c] as f64;
                            let got = out[r * cols.len() + c - cols.start] as f64;
                            let tolerance = 1e-5 * (1.0 + exact.abs());
                            assert!((got - exact).abs() < tolerance, "{kernel:?} {rows}x{inputs}x{outputs}");
                        }
                    }
                    results.push((kernel, out));
                }
                // The vector kernels sum every lane in the same order: the same bits.
                let vector: Vec<_> = results.iter().filter(|(k, _)| *k != Kernel::Portable).collect();
                assert!(vector.windows(2).all(|p| p[0].1 == p[1].1), "{rows}x{inputs}x{outputs}");
            }
        }
    }

    /// Panels of fp16 weights give exactly the sums of the same values in f32, with either kernel
    /// and with outputs split into ranges of panels.
    #[test]
    fn fp16_panels_sum_like_f32_panels_of_the_same_values() {
        for (rows, inputs, outputs) in [(1, 8, 1), (7, 19, 23), (13, 384, 48), (20, 64, 40), (3, 16, 16), (11, 9, 5)] {
            let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0).collect();
            // Values of every magnitude fp16 holds, subnormals and zeros included.
            let halves: Vec<f16> =
                (0..outputs * inputs).map(|i| f16::from_bits((i as u16).wrapping_mul(40_503) & 0xfbff)).collect();
            let floats: Vec<f32> = halves.iter().map(|h| h.to_f32()).collect();
            let bias: Vec<f32> = (0..outputs).map(|i| i as f32 / 3.0).collect();
            let h = Panels::new(&Values::F16(halves), bias.clone(), inputs, outputs);
            let f = Panels::new(&Values::F32(floats), bias, inputs, outputs);
            assert!(h.is_f16() && !f.is_f16());
            for kernel in Kernel::available() {
                for panels in [0..h.count(), h.count() / 2..h.count()] {
                    let mut a = vec![0f32; rows * h.columns(&panels).len()];
                    let mut b = a.clone();
                    linear(kernel, &x, rows, &h, panels.clone(), &mut a);
                    linear(kernel, &x, rows, &f, panels, &mut b);
                    let same = a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits());
                    assert!(same, "{kernel:?} {rows}x{inputs}x{outputs}");
                }
            }
        }
    }
}
