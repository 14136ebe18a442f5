//! Self-attention with 16-bit integer products: the attention of the 4-bit × int8 path.
//!
//! On 510-token windows the f32 attention's fused multiply-adds were two thirds of the attention
//! and the attention 44% of the embedding (perf, 389 parliamentary questions). Here queries and
//! keys are rounded to 13-bit integers (one scale per token and head), values to 15 bits (one
//! scale per column and head) and probabilities to 15 bits, and both products are sums of
//! 16-bit pairs into 32-bit integers: `vpdpwssd` (AVX-512 VNNI) or `vpmaddwd` (AVX2) do twice the
//! products of an f32 fused multiply-add per instruction. The sums are exact (the bounds below
//! rule out overflow), so every instruction set and every order gives the same bits, and the
//! plain Rust below is the reference the tests hold the vector code to. The softmax stays f32.
//!
//! Measured against the f32 attention (perf samples in the attention, AMD EPYC AVX-512, 2 cores,
//! the same int8 linear layers): 389 whole questions (510-token windows) −24%, 1,000 passages of
//! long contributions −10%, 1,500 short answers level; vectors within cos 0.99995 of the f32
//! attention's on the first two.

use super::attention::{Shape, empty_context};
use super::kernels::{Simd, exp_shifted, simd};

/// Keys scored together, and value columns accumulated together: 16 lanes of 32-bit sums.
const LANES: usize = 16;
/// Query rows computed together (at most).
const ROWS: usize = 4;
/// A probability of 1 after rounding: 15 bits, so that a pair of products fits an i32.
const PROB_ONE: f32 = 32_767.0;
/// The largest rounded value: 15 bits.
const VALUE_MAX: f32 = 32_767.0;

/// The largest rounded query or key component for `head_dim` components: `head_dim · m²` must
/// fit an i32 (8,191 for 32).
fn key_max(head_dim: usize) -> f32 {
    ((i32::MAX as f64 / head_dim.max(2) as f64).sqrt().floor()).min(32_767.0) as f32
}

/// `x` rounded to the nearest integer (ties to even), for |x| < 2²²: the bits of 1.5·2²³ + x hold
/// it. Rust's `as` would saturate, which x86 has no vector instruction for (see `kernels::exp`).
#[inline(always)]
fn round(x: f32) -> i16 {
    ((x + 12_582_912.0).to_bits().wrapping_sub(0x4B40_0000)) as i16
}

/// Sums of 16-bit pairs into 16 lanes of i32, the operation the vector code replaces:
/// `acc[l] += a0·b[2l] + a1·b[2l + 1]`, where `pair` packs a0 (low half) and a1.
trait Pairs {
    /// # Safety
    /// The CPU must have the instruction set of the implementation (none for [`Plain`]).
    unsafe fn dot(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]);
}

/// The reference, in plain Rust.
struct Plain;

impl Pairs for Plain {
    #[inline(always)]
    unsafe fn dot(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]) {
        let (a0, a1) = (pair as u16 as i16 as i32, (pair >> 16) as u16 as i16 as i32);
        for (l, s) in acc.iter_mut().enumerate() {
            *s = s.wrapping_add(a0 * b[2 * l] as i32 + a1 * b[2 * l + 1] as i32);
        }
    }
}

/// Two 16-bit values side by side, the first in the low half (as they lie in memory).
#[inline(always)]
fn pack(a0: i16, a1: i16) -> u32 {
    a0 as u16 as u32 | (a1 as u16 as u32) << 16
}

/// `softmax(q·kᵀ · scale + bias)·v` for every sequence and head of a batch, as
/// [`super::attention::attention`] (same arguments, same layout), in 16-bit integer products.
pub fn attention(qkv: &[f32], shape: Shape, scale: f32, key_bias: Option<&[f32]>) -> Vec<f32> {
    let mut context = empty_context(qkv, shape, key_bias);
    let c = &mut context;
    match simd() {
        // SAFETY: `simd` names only instruction sets this CPU has, and `vnni` checks the rest.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 if x86::vnni() => unsafe { x86::avx512(qkv, c, shape, scale, key_bias) },
        // SAFETY: `simd` says AVX2 at least (every CPU with AVX-512 has AVX2).
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 | Simd::Avx2 => unsafe { x86::avx2(qkv, c, shape, scale, key_bias) },
        _ => attention_generic::<Plain>(qkv, c, shape, scale, key_bias),
    }
    context
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{LANES, Pairs, Shape};
    use std::arch::x86_64::*;

    pub fn vnni() -> bool {
        is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vnni")
    }
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub fn avx512(q: &[f32], c: &mut [f32], s: Shape, sc: f32, b: Option<&[f32]>) {
        super::attention_generic::<Vnni>(q, c, s, sc, b)
    }
    #[target_feature(enable = "avx2,fma")]
    pub fn avx2(q: &[f32], c: &mut [f32], s: Shape, sc: f32, b: Option<&[f32]>) {
        super::attention_generic::<Avx2>(q, c, s, sc, b)
    }

    /// `vpdpwssd`: 16 lanes of pair sums added in one instruction.
    struct Vnni;

    impl Pairs for Vnni {
        #[inline(always)]
        unsafe fn dot(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]) {
            // SAFETY: the caller guarantees AVX-512 VNNI (this trait's contract).
            unsafe { dot_vnni(acc, pair, b) }
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn dot_vnni(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]) {
        // SAFETY: `acc` and `b` are 64 bytes each, read and written unaligned.
        unsafe {
            let sum = _mm512_dpwssd_epi32(
                _mm512_loadu_si512(acc.as_ptr().cast()),
                _mm512_set1_epi32(pair as i32),
                _mm512_loadu_si512(b.as_ptr().cast()),
            );
            _mm512_storeu_si512(acc.as_mut_ptr().cast(), sum);
        }
    }

    /// `vpmaddwd` then `vpaddd`, on two halves of 8 lanes.
    struct Avx2;

    impl Pairs for Avx2 {
        #[inline(always)]
        unsafe fn dot(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]) {
            // SAFETY: the caller guarantees AVX2 (this trait's contract).
            unsafe { dot_avx2(acc, pair, b) }
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn dot_avx2(acc: &mut [i32; LANES], pair: u32, b: &[i16; 2 * LANES]) {
        let a = _mm256_set1_epi32(pair as i32);
        for half in 0..2 {
            // SAFETY: halves of 32 bytes of `acc` (64) and `b` (64), read and written unaligned.
            unsafe {
                let at = acc.as_mut_ptr().add(8 * half).cast::<__m256i>();
                let products =
                    _mm256_madd_epi16(a, _mm256_loadu_si256(b.as_ptr().add(16 * half).cast()));
                _mm256_storeu_si256(at, _mm256_add_epi32(_mm256_loadu_si256(at), products));
            }
        }
    }
}

/// One sequence's queries, keys and values, rounded, every head: filled by passes that read the
/// `qkv` rows in order. (Read head by head, a token's slice lies 4.6 KB after the previous
/// token's, and the cache misses took a quarter of the attention's time.)
struct Rounded {
    /// `[heads][len][pairs]`: components `2p, 2p + 1` of each query packed.
    queries: Vec<u32>,
    /// `[heads][len]`.
    query_scale: Vec<f32>,
    /// `[heads][blocks][pairs]`: per block of 16 keys and pair of components, the 16 keys'
    /// components `2p, 2p + 1` side by side (zero past `len`).
    keys: Vec<[i16; 2 * LANES]>,
    /// `[heads][padded]` (zero past `len`).
    key_scale: Vec<f32>,
    /// `[heads][column blocks][token_pairs]`: per block of 16 columns and pair of tokens, the 16
    /// columns' values of tokens `2m, 2m + 1` side by side (zero past `head_dim`).
    values: Vec<[i16; 2 * LANES]>,
    /// `[heads][column blocks · 16]`, divided by [`PROB_ONE`] too (zero past `head_dim`).
    value_scale: Vec<f32>,
    shape: Shape,
    padded: usize,
    pairs: usize,
    token_pairs: usize,
    key_max: f32,
}

/// One head of a [`Rounded`] sequence.
struct Head<'a> {
    queries: &'a [u32],
    query_scale: &'a [f32],
    keys: &'a [[i16; 2 * LANES]],
    key_scale: &'a [f32],
    values: &'a [[i16; 2 * LANES]],
    value_scale: &'a [f32],
    padded: usize,
    pairs: usize,
    token_pairs: usize,
}

impl Rounded {
    fn new(shape: Shape) -> Self {
        let (heads, len, d) = (shape.heads, shape.len, shape.head_dim);
        let padded = len.div_ceil(LANES) * LANES;
        let pairs = d.div_ceil(2);
        let token_pairs = len.div_ceil(2);
        Rounded {
            queries: vec![0; heads * len * pairs],
            query_scale: vec![0.0; heads * len],
            keys: vec![[0; 2 * LANES]; heads * padded / LANES * pairs],
            key_scale: vec![0.0; heads * padded],
            values: vec![[0; 2 * LANES]; heads * d.div_ceil(LANES) * token_pairs],
            value_scale: vec![0.0; heads * d.div_ceil(LANES) * LANES],
            shape,
            padded,
            pairs,
            token_pairs,
            key_max: key_max(d),
        }
    }

    fn head(&self, head: usize) -> Head<'_> {
        let (len, d, pairs, padded) =
            (self.shape.len, self.shape.head_dim, self.pairs, self.padded);
        let (blocks, col_blocks) = (padded / LANES, d.div_ceil(LANES));
        Head {
            queries: &self.queries[head * len * pairs..][..len * pairs],
            query_scale: &self.query_scale[head * len..][..len],
            keys: &self.keys[head * blocks * pairs..][..blocks * pairs],
            key_scale: &self.key_scale[head * padded..][..padded],
            values: &self.values[head * col_blocks * self.token_pairs..]
                [..col_blocks * self.token_pairs],
            value_scale: &self.value_scale[head * col_blocks * LANES..][..col_blocks * LANES],
            padded,
            pairs,
            token_pairs: self.token_pairs,
        }
    }

    /// Rounds one sequence's `qkv` rows.
    #[inline(always)]
    fn fill(&mut self, seq: &[f32]) {
        self.fill_queries_and_keys(seq);
        self.fill_values(seq);
    }

    /// Queries and keys: one scale per token and head, token by token.
    #[inline(always)]
    fn fill_queries_and_keys(&mut self, seq: &[f32]) {
        let Shape {
            heads,
            len,
            head_dim: d,
            ..
        } = self.shape;
        let (h, pairs, blocks) = (self.shape.hidden(), self.pairs, self.padded / LANES);
        let mut rounded = vec![0u32; pairs];
        for (j, row) in seq.chunks_exact(3 * h).take(len).enumerate() {
            let (block, lane) = (j / LANES, j % LANES);
            for head in 0..heads {
                let at = head * len + j;
                let queries = &mut self.queries[at * pairs..][..pairs];
                self.query_scale[at] = round_row(&row[head * d..][..d], self.key_max, queries);
                let key = &row[h + head * d..][..d];
                self.key_scale[head * self.padded + j] = round_row(key, self.key_max, &mut rounded);
                let keys = &mut self.keys[(head * blocks + block) * pairs..][..pairs];
                for (k, &pair) in keys.iter_mut().zip(&rounded) {
                    k[2 * lane] = pair as u16 as i16;
                    k[2 * lane + 1] = (pair >> 16) as u16 as i16;
                }
            }
        }
    }

    /// Values: one scale per column over the sequence, then tokens in pairs.
    #[inline(always)]
    fn fill_values(&mut self, seq: &[f32]) {
        let Shape {
            heads,
            len,
            head_dim: d,
            ..
        } = self.shape;
        let h = self.shape.hidden();
        let value = |j: usize| &seq[j * 3 * h + 2 * h..][..h];
        let mut largest = vec![0f32; h];
        for j in 0..len {
            for (m, &v) in largest.iter_mut().zip(value(j)) {
                *m = if v.abs() > *m { v.abs() } else { *m };
            }
        }
        let inv: Vec<f32> = largest
            .iter()
            .map(|&m| if m > 0.0 { VALUE_MAX / m } else { 0.0 })
            .collect();
        let col_blocks = d.div_ceil(LANES);
        for (head, m) in largest.chunks_exact(d).enumerate() {
            let scales = &mut self.value_scale[head * col_blocks * LANES..][..d];
            for (s, &m) in scales.iter_mut().zip(m) {
                *s = m / VALUE_MAX / PROB_ONE;
            }
        }
        let zeros = vec![0f32; h];
        for m in 0..self.token_pairs {
            let first = value(2 * m);
            let second = if 2 * m + 1 < len {
                value(2 * m + 1)
            } else {
                &zeros
            };
            for head in 0..heads {
                let cols = head * d..(head + 1) * d;
                let (a, b, inv) = (&first[cols.clone()], &second[cols.clone()], &inv[cols]);
                for (c, ((&a, &b), &inv)) in a.iter().zip(b).zip(inv).enumerate() {
                    let block = (head * col_blocks + c / LANES) * self.token_pairs + m;
                    let lane = c % LANES;
                    self.values[block][2 * lane] = round(a * inv);
                    self.values[block][2 * lane + 1] = round(b * inv);
                }
            }
        }
    }
}

/// Rounds `row` to integers of at most `max` in magnitude, packed in pairs into `out` (zero past
/// `row`); returns the scale that brings them back.
#[inline(always)]
fn round_row(row: &[f32], max: f32, out: &mut [u32]) -> f32 {
    let largest = abs_max(row);
    let inv = if largest > 0.0 { max / largest } else { 0.0 };
    let (twos, odd) = row.as_chunks::<2>();
    for (o, two) in out.iter_mut().zip(twos) {
        *o = pack(round(two[0] * inv), round(two[1] * inv));
    }
    if let (Some(&last), Some(o)) = (odd.first(), out.get_mut(twos.len())) {
        *o = pack(round(last * inv), 0);
    }
    largest / max
}

/// The largest magnitude in `row`, 16 lanes at a time (`if … else`, not `f32::max`, whose NaN
/// rule kept the compiler from vectorising it).
#[inline(always)]
fn abs_max(row: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let (chunks, rest) = row.as_chunks::<LANES>();
    for chunk in chunks {
        for (m, &x) in lanes.iter_mut().zip(chunk) {
            *m = if x.abs() > *m { x.abs() } else { *m };
        }
    }
    rest.iter()
        .chain(&lanes)
        .fold(0f32, |m, &x| if x.abs() > m { x.abs() } else { m })
}

/// `out[l] = sums[l] · (by · scales[l])`: 16 integer sums back to f32.
#[inline(always)]
fn scale_lanes(out: &mut [f32; LANES], sums: &[i32; LANES], scales: &[f32; LANES], by: f32) {
    // Built in a local array, then stored whole: written straight into `out`, the compiler
    // converted and stored the 16 lanes one by one.
    *out = std::array::from_fn(|l| sums[l] as f32 * (by * scales[l]));
}

#[inline(always)]
fn attention_generic<P: Pairs>(
    qkv: &[f32],
    context: &mut [f32],
    shape: Shape,
    scale: f32,
    key_bias: Option<&[f32]>,
) {
    let (len, h) = (shape.len, shape.hidden());
    let mut rounded = Rounded::new(shape);
    let mut scratch = Scratch::new(&rounded);
    for b in 0..shape.batch {
        let seq = &qkv[b * len * 3 * h..][..len * 3 * h];
        let bias = key_bias.map(|k| &k[b * len..][..len]);
        let out = &mut context[b * len * h..][..len * h];
        rounded.fill(seq);
        for head in 0..shape.heads {
            let cache = rounded.head(head);
            let mut first = 0;
            while first < len {
                let tile = Tile {
                    first,
                    head,
                    shape,
                    scale,
                    bias,
                };
                first += match len - first {
                    4.. => tile.run::<P, 4>(&cache, &mut scratch, out),
                    2.. => tile.run::<P, 2>(&cache, &mut scratch, out),
                    _ => tile.run::<P, 1>(&cache, &mut scratch, out),
                };
            }
        }
    }
}

/// A tile's working rows: scores `[R][padded]` (then probabilities), rounded probabilities
/// `[R][token_pairs]` (in pairs).
struct Scratch {
    scores: Vec<f32>,
    probs: Vec<u32>,
}

impl Scratch {
    fn new(rounded: &Rounded) -> Self {
        Scratch {
            scores: vec![0.0; ROWS * rounded.padded],
            probs: vec![0; ROWS * rounded.token_pairs],
        }
    }
}

/// Query rows `first ..` of one head.
struct Tile<'a> {
    first: usize,
    head: usize,
    shape: Shape,
    scale: f32,
    bias: Option<&'a [f32]>,
}

impl Tile<'_> {
    /// `R` query rows from `first`; returns `R`.
    #[inline(always)]
    fn run<P: Pairs, const R: usize>(
        &self,
        cache: &Head,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) -> usize {
        let len = self.shape.len;
        self.scores::<P, R>(cache, scratch);
        let rows = scratch.scores.chunks_exact_mut(cache.padded);
        let rounded = scratch.probs.chunks_exact_mut(cache.token_pairs);
        for (row, rounded) in rows.zip(rounded).take(R) {
            if let Some(bias) = self.bias {
                row.iter_mut().zip(bias).for_each(|(s, b)| *s += b);
            }
            // Rounded straight from the numerators: the division is folded into the rounding's
            // scale. Past `len` they are 0, so an odd token's partner rounds to 0.
            let to_int = PROB_ONE / exp_shifted(row, len, self.scale);
            for (p, pair) in rounded.iter_mut().zip(row.as_chunks::<2>().0) {
                *p = pack(round(pair[0] * to_int), round(pair[1] * to_int));
            }
        }
        self.weighted_values::<P, R>(cache, scratch, out);
        R
    }

    /// `scores[r][j] = (Σ_c q_r[c] · k_j[c]) · scale_r · scale_j`, 16 keys at a time.
    #[inline(always)]
    fn scores<P: Pairs, const R: usize>(&self, cache: &Head, scratch: &mut Scratch) {
        let (padded, pairs) = (cache.padded, cache.pairs);
        // Each row sliced to its length here, so that the loop below carries no bounds checks.
        let queries: [&[u32]; R] =
            std::array::from_fn(|r| &cache.queries[(self.first + r) * pairs..][..pairs]);
        let blocks = cache.keys.chunks_exact(pairs);
        for (first_key, block) in (0..padded).step_by(LANES).zip(blocks) {
            let mut acc = [[0i32; LANES]; R];
            for (p, keys) in block.iter().enumerate() {
                for (a, q) in acc.iter_mut().zip(&queries) {
                    // SAFETY: `P` is the instruction set this function was compiled for.
                    unsafe { P::dot(a, q[p], keys) };
                }
            }
            let key_scale: &[f32; LANES] =
                cache.key_scale[first_key..][..LANES].try_into().unwrap();
            for (r, a) in acc.iter().enumerate() {
                let row: &mut [f32; LANES] = (&mut scratch.scores[r * padded + first_key..]
                    [..LANES])
                    .try_into()
                    .unwrap();
                scale_lanes(row, a, key_scale, cache.query_scale[self.first + r]);
            }
        }
    }

    /// `out[r][c] = (Σ_j p_r[j] · v_j[c]) · scale_c`, 16 columns at a time (the last block
    /// padded with zero columns for a head width that is not a multiple of 16).
    #[inline(always)]
    fn weighted_values<P: Pairs, const R: usize>(
        &self,
        cache: &Head,
        s: &Scratch,
        out: &mut [f32],
    ) {
        let pairs = cache.token_pairs;
        for (block, values) in cache.values.chunks_exact(pairs).enumerate() {
            self.columns::<P, R>(block * LANES, values, cache, s, out);
        }
    }

    /// Columns `first_col ..` (16, or to the end of the head) of `R` rows of the context, from
    /// their block of values.
    #[inline(always)]
    fn columns<P: Pairs, const R: usize>(
        &self,
        first_col: usize,
        values: &[[i16; 2 * LANES]],
        cache: &Head,
        s: &Scratch,
        out: &mut [f32],
    ) {
        let (h, d, pairs) = (self.shape.hidden(), self.shape.head_dim, cache.token_pairs);
        // Each row sliced to the block's length, so that the loop carries no bounds checks.
        let probs: [&[u32]; R] = std::array::from_fn(|r| &s.probs[r * pairs..][..values.len()]);
        let mut acc = [[0i32; LANES]; R];
        for (m, v) in values.iter().enumerate() {
            for (a, p) in acc.iter_mut().zip(&probs) {
                // SAFETY: as in `scores`.
                unsafe { P::dot(a, p[m], v) };
            }
        }
        let scale: &[f32; LANES] = cache.value_scale[first_col..][..LANES].try_into().unwrap();
        let width = LANES.min(d - first_col);
        for (r, a) in acc.iter().enumerate() {
            let mut row = [0f32; LANES];
            scale_lanes(&mut row, a, scale, 1.0);
            let at = (self.first + r) * h + self.head * d + first_col;
            out[at..][..width].copy_from_slice(&row[..width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attention::tests::{noise, reference};

    #[test]
    fn rounding_is_to_nearest_and_the_bounds_hold() {
        for (x, want) in [
            (0.4f32, 0),
            (0.6, 1),
            (-0.6, -1),
            (2.5, 2),
            (3.5, 4),
            (-32_767.0, -32_767),
        ] {
            assert_eq!(round(x), want, "round({x})");
        }
        // Every sum of products stays inside an i32, whatever the signs.
        for d in [2usize, 24, 32, 64, 128] {
            let m = key_max(d) as i64;
            assert!(d as i64 * m * m <= i32::MAX as i64, "head_dim {d}");
        }
        assert!(2 * 32_767i64 * 32_767 <= i32::MAX as i64);
        assert!((PROB_ONE as i64 + 256) * VALUE_MAX as i64 <= i32::MAX as i64);
    }

    #[test]
    fn attention_matches_its_definition_padding_included() {
        for (len, head_dim) in [(21, 24), (37, 32), (1, 32)] {
            let s = Shape {
                batch: 2,
                len,
                heads: 3,
                head_dim,
            };
            let qkv = noise(1, s.batch * s.len * 3 * s.hidden());
            let bias: Vec<f32> = (0..s.batch * s.len)
                .map(|t| {
                    if len > 15 && t >= s.len + 15 {
                        -1e30
                    } else {
                        0.0
                    }
                })
                .collect();
            let scale = 1.0 / (s.head_dim as f32).sqrt();
            let got = attention(&qkv, s, scale, Some(&bias));
            let want = reference(&qkv, s, scale, Some(&bias));
            let worst = got
                .iter()
                .zip(&want)
                .map(|(g, w)| (*g as f64 - w).abs())
                .fold(0.0, f64::max);
            // Values up to 2: 13-bit scores and 15-bit probabilities and values keep every
            // output within 2e-3 of the definition in f64.
            assert!(
                worst < 2e-3,
                "len {len}, head_dim {head_dim}: off by {worst}"
            );
        }
    }

    #[test]
    fn every_instruction_set_gives_the_plain_bits() {
        for (len, head_dim) in [(37, 32), (21, 24), (16, 32)] {
            let s = Shape {
                batch: 3,
                len,
                heads: 2,
                head_dim,
            };
            let qkv = noise(2, s.batch * s.len * 3 * s.hidden());
            let mut plain = vec![0f32; s.batch * s.len * s.hidden()];
            attention_generic::<Plain>(&qkv, &mut plain, s, 0.17, None);
            assert_eq!(attention(&qkv, s, 0.17, None), plain);
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                let mut avx2 = vec![0f32; plain.len()];
                // SAFETY: the CPU has the features the function was compiled for.
                unsafe { x86::avx2(&qkv, &mut avx2, s, 0.17, None) };
                assert_eq!(avx2, plain);
            }
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx512f") && x86::vnni() {
                let mut wide = vec![0f32; plain.len()];
                // SAFETY: as above.
                unsafe { x86::avx512(&qkv, &mut wide, s, 0.17, None) };
                assert_eq!(wide, plain);
            }
        }
    }
}
