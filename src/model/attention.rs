//! Self-attention of one batch in a single pass per head, read in place from the stacked
//! query-key-value rows and written straight into the context's columns.
//!
//! Through candle it took five steps: a permuted copy of the query-key-value rows, `q·kᵀ` and
//! `p·v` through gemm (made for large matrices, not 47 × 47 × 32), a broadcast add of the padding
//! mask, the softmax, and a transposed copy of the context; 16% of a profile of the dev set
//! (softmax 7.1%, gemm 6.3%, copies 2.6%) against 57% for all the linear layers. Here each head's
//! keys are gathered once, transposed, and the scores, softmax and weighted values follow row by
//! row while they are in cache.
//!
//! Plain Rust the compiler vectorises, compiled for AVX-512 and AVX2 + FMA and chosen at run time.
//! Every product is summed with a fused multiply-add (`mul_add`: one rounding, the same on every
//! CPU: an instruction where there is one, libm's exact `fmaf` elsewhere) in a fixed order, across
//! keys or columns and never inside a vector, so every instruction set gives the same bits (tested).

use super::kernels::{Simd, simd, softmax_padded};

/// Keys scored together (one 16-lane register of scores per query row).
const KEYS: usize = 16;
/// Value columns accumulated together.
const COLUMNS: usize = 16;
/// Query rows computed together (at most): independent sums, so the multiply-adds do not wait on
/// each other.
const ROWS: usize = 4;

/// The shape of a batch: `batch` sequences of `len` tokens, `heads` heads of `head_dim` values.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub batch: usize,
    pub len: usize,
    pub heads: usize,
    pub head_dim: usize,
}

impl Shape {
    pub(super) fn hidden(&self) -> usize {
        self.heads * self.head_dim
    }
}

/// `softmax(q·kᵀ · scale + bias)·v` for every sequence and head of a batch.
///
/// `qkv` is `[batch·len, 3·hidden]`: per token, the queries of every head, then the keys, then
/// the values. `key_bias` holds, per token of the batch, what is added to the scores of that key
/// (0, or a large negative number for padding; `None`: no padding). Returns the context
/// `[batch·len, hidden]`, each head's values in its own columns.
pub fn attention(qkv: &[f32], shape: Shape, scale: f32, key_bias: Option<&[f32]>) -> Vec<f32> {
    let mut context = empty_context(qkv, shape, key_bias);
    let c = &mut context;
    match simd() {
        // SAFETY: `simd` names only instruction sets this CPU has.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { x86::attention_avx512(qkv, c, shape, scale, key_bias) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { x86::attention_avx2(qkv, c, shape, scale, key_bias) },
        _ => attention_generic(qkv, c, shape, scale, key_bias),
    }
    context
}

/// The zeroed context of a batch, once the inputs are checked against `shape`.
pub(super) fn empty_context(qkv: &[f32], shape: Shape, key_bias: Option<&[f32]>) -> Vec<f32> {
    let tokens = shape.batch * shape.len;
    assert_eq!(
        qkv.len(),
        tokens * 3 * shape.hidden(),
        "qkv does not match the shape"
    );
    if let Some(bias) = key_bias {
        assert_eq!(bias.len(), tokens, "one key bias per token");
    }
    vec![0f32; tokens * shape.hidden()]
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Shape;

    #[target_feature(enable = "avx512f")]
    pub fn attention_avx512(q: &[f32], c: &mut [f32], s: Shape, sc: f32, b: Option<&[f32]>) {
        super::attention_generic(q, c, s, sc, b)
    }
    #[target_feature(enable = "avx2,fma")]
    pub fn attention_avx2(q: &[f32], c: &mut [f32], s: Shape, sc: f32, b: Option<&[f32]>) {
        super::attention_generic(q, c, s, sc, b)
    }
}

/// One head's keys, transposed (`[head_dim][padded]`, zero past `len`), and values (`[len][head_dim]`).
struct HeadCache {
    keys_t: Vec<f32>,
    values: Vec<f32>,
    padded: usize,
}

impl HeadCache {
    fn new(shape: Shape) -> Self {
        let padded = shape.len.div_ceil(KEYS) * KEYS;
        HeadCache {
            keys_t: vec![0.0; shape.head_dim * padded],
            values: vec![0.0; shape.len * shape.head_dim],
            padded,
        }
    }

    /// Copies head `head`'s keys and values out of one sequence's `qkv` rows.
    #[inline(always)]
    fn gather(&mut self, seq: &[f32], shape: Shape, head: usize) {
        let (h, d, len) = (shape.hidden(), shape.head_dim, shape.len);
        let key = |j: usize| &seq[j * 3 * h + h + head * d..][..d];
        let whole = len / KEYS * KEYS;
        // 16 keys at a time, each transposed row written whole rather than one scalar store per
        // key and column: 27.9 s against 28.6 s on 1,000 contribution passages (medians of 10
        // paired runs, 8 of 10 faster; AMD EPYC AVX-512, 2 cores), vectors bit-identical.
        for first in (0..whole).step_by(KEYS) {
            let keys: [&[f32]; KEYS] = std::array::from_fn(|k| key(first + k));
            for c in 0..d {
                let out: &mut [f32; KEYS] = (&mut self.keys_t[c * self.padded + first..][..KEYS])
                    .try_into()
                    .unwrap();
                for (o, k) in out.iter_mut().zip(&keys) {
                    *o = k[c];
                }
            }
        }
        for j in whole..len {
            for (c, &k) in key(j).iter().enumerate() {
                self.keys_t[c * self.padded + j] = k;
            }
        }
        for j in 0..len {
            let values = &seq[j * 3 * h + 2 * h + head * d..][..d];
            self.values[j * d..][..d].copy_from_slice(values);
        }
    }
}

#[inline(always)]
fn attention_generic(
    qkv: &[f32],
    context: &mut [f32],
    shape: Shape,
    scale: f32,
    key_bias: Option<&[f32]>,
) {
    let (len, h) = (shape.len, shape.hidden());
    let mut cache = HeadCache::new(shape);
    let mut scratch = Scratch {
        scores: vec![0f32; ROWS * cache.padded],
    };
    for b in 0..shape.batch {
        let seq = &qkv[b * len * 3 * h..][..len * 3 * h];
        let bias = key_bias.map(|k| &k[b * len..][..len]);
        let out = &mut context[b * len * h..][..len * h];
        for head in 0..shape.heads {
            cache.gather(seq, shape, head);
            let mut first = 0;
            while first < len {
                let tile = Tile {
                    first,
                    head,
                    shape,
                    scale,
                    bias,
                };
                let rows = match len - first {
                    4.. => tile.run::<4>(seq, &cache, &mut scratch, out),
                    2.. => tile.run::<2>(seq, &cache, &mut scratch, out),
                    _ => tile.run::<1>(seq, &cache, &mut scratch, out),
                };
                first += rows;
            }
        }
    }
}

/// A tile's working rows: scores `[R][padded]` (then probabilities). The queries are read in place
/// from the qkv rows: transposing them first cost 128 scalar stores a tile (about a tenth of the
/// attention's profile on 1,000 contribution passages) for no gain in the products; without it,
/// 28.3 s against 29.0 s (medians of 6, paired, bit-identical vectors; within this machine's noise).
struct Scratch {
    scores: Vec<f32>,
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
    fn run<const R: usize>(
        &self,
        seq: &[f32],
        cache: &HeadCache,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) -> usize {
        let (h, d, len) = (self.shape.hidden(), self.shape.head_dim, self.shape.len);
        let padded = cache.padded;
        let queries: [&[f32]; R] =
            std::array::from_fn(|r| &seq[(self.first + r) * 3 * h + self.head * d..][..d]);
        self.scores::<R>(&queries, cache, &mut scratch.scores);
        for row in scratch.scores.chunks_exact_mut(padded).take(R) {
            if let Some(bias) = self.bias {
                row.iter_mut().zip(bias).for_each(|(s, b)| *s += b);
            }
            softmax_padded(row, len, self.scale);
        }
        let probs: [&[f32]; R] = std::array::from_fn(|r| &scratch.scores[r * padded..][..len]);
        self.weighted_values::<R>(&probs, cache, out);
        R
    }

    /// `scores[r][j] = Σ_c q_r[c] · k_j[c]`, fused multiply-adds over `c` in order, 16 keys at a
    /// time.
    #[inline(always)]
    fn scores<const R: usize>(&self, queries: &[&[f32]; R], cache: &HeadCache, scores: &mut [f32]) {
        let (padded, d) = (cache.padded, self.shape.head_dim);
        let queries: [&[f32]; R] = queries.map(|q| &q[..d]);
        for first_key in (0..padded).step_by(KEYS) {
            let mut acc = [[0f32; KEYS]; R];
            for (c, keys) in cache.keys_t.chunks_exact(padded).take(d).enumerate() {
                let keys: &[f32; KEYS] = keys[first_key..][..KEYS].try_into().unwrap();
                for (a, q) in acc.iter_mut().zip(&queries) {
                    let qc = q[c];
                    for (s, &k) in a.iter_mut().zip(keys) {
                        *s = qc.mul_add(k, *s);
                    }
                }
            }
            for (r, a) in acc.iter().enumerate() {
                scores[r * padded + first_key..][..KEYS].copy_from_slice(a);
            }
        }
    }

    /// `out[r][c] = Σ_j p_r[j] · v_j[c]`, fused multiply-adds over `j` in order, 16 columns at a
    /// time (then one at a time for a head width that is not a multiple of 16).
    #[inline(always)]
    fn weighted_values<const R: usize>(
        &self,
        probs: &[&[f32]; R],
        cache: &HeadCache,
        out: &mut [f32],
    ) {
        let d = self.shape.head_dim;
        let wide = d / COLUMNS * COLUMNS;
        for first_col in (0..wide).step_by(COLUMNS) {
            self.columns::<R, COLUMNS>(first_col, probs, cache, out);
        }
        for col in wide..d {
            self.columns::<R, 1>(col, probs, cache, out);
        }
    }

    /// Columns `first_col .. first_col + W` of `R` rows of the context: `R × W` sums held in
    /// registers (a width known at compile time keeps them there).
    #[inline(always)]
    fn columns<const R: usize, const W: usize>(
        &self,
        first_col: usize,
        probs: &[&[f32]; R],
        cache: &HeadCache,
        out: &mut [f32],
    ) {
        let (h, d, len) = (self.shape.hidden(), self.shape.head_dim, self.shape.len);
        // Sliced again here so that the compiler sees `j < len` for every row: without it, a
        // bounds check per row and key sat in the loop and pushed a pointer out of registers.
        let probs: [&[f32]; R] = probs.map(|p| &p[..len]);
        let mut acc = [[0f32; W]; R];
        for (j, value) in cache.values.chunks_exact(d).take(len).enumerate() {
            let v: &[f32; W] = value[first_col..][..W].try_into().unwrap();
            for (a, p) in acc.iter_mut().zip(probs) {
                let pr = p[j];
                for (s, &x) in a.iter_mut().zip(v) {
                    *s = pr.mul_add(x, *s);
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            out[(self.first + r) * h + self.head * d + first_col..][..W].copy_from_slice(a);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::model) fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut rng = crate::rng::Rng::new(seed);
        (0..n)
            .map(|_| (rng.next_f64() as f32 - 0.5) * 4.0)
            .collect()
    }

    /// The definition in f64, head by head, token by token.
    pub(in crate::model) fn reference(
        qkv: &[f32],
        s: Shape,
        scale: f32,
        bias: Option<&[f32]>,
    ) -> Vec<f64> {
        let (h, d) = (s.hidden(), s.head_dim);
        let at = |b: usize, t: usize, part: usize, head: usize, c: usize| {
            qkv[(b * s.len + t) * 3 * h + part * h + head * d + c] as f64
        };
        let mut out = vec![0f64; s.batch * s.len * h];
        for b in 0..s.batch {
            for head in 0..s.heads {
                for i in 0..s.len {
                    let scores: Vec<f64> = (0..s.len)
                        .map(|j| {
                            let dot: f64 = (0..d)
                                .map(|c| at(b, i, 0, head, c) * at(b, j, 1, head, c))
                                .sum();
                            let pad = bias.map_or(0.0, |k| k[b * s.len + j] as f64);
                            (dot + pad) * scale as f64
                        })
                        .collect();
                    let max = scores.iter().cloned().fold(f64::MIN, f64::max);
                    let e: Vec<f64> = scores.iter().map(|x| (x - max).exp()).collect();
                    let total: f64 = e.iter().sum();
                    for c in 0..d {
                        let v: f64 = (0..s.len)
                            .map(|j| e[j] / total * at(b, j, 2, head, c))
                            .sum();
                        out[(b * s.len + i) * h + head * d + c] = v;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn attention_matches_its_definition_padding_included() {
        // 2 sequences of 21 tokens (a partial tile of rows and of keys), 3 heads of 24 values
        // (a partial block of columns), the second sequence padded after 15 tokens.
        let s = Shape {
            batch: 2,
            len: 21,
            heads: 3,
            head_dim: 24,
        };
        let qkv = noise(1, s.batch * s.len * 3 * s.hidden());
        let bias: Vec<f32> = (0..s.batch * s.len)
            .map(|t| if t >= s.len + 15 { -1e30 } else { 0.0 })
            .collect();
        let scale = 1.0 / (s.head_dim as f32).sqrt();
        let got = attention(&qkv, s, scale, Some(&bias));
        let want = reference(&qkv, s, scale, Some(&bias));
        for (g, w) in got.iter().zip(&want) {
            assert!((*g as f64 - w).abs() < 1e-5, "{g} against {w}");
        }
        // Padded keys weigh nothing: the second sequence's first 15 tokens see only each other.
        let short = Shape {
            batch: 1,
            len: 15,
            ..s
        };
        let mut alone = Vec::new();
        for t in 0..15 {
            alone.extend_from_slice(&qkv[(s.len + t) * 3 * s.hidden()..][..3 * s.hidden()]);
        }
        let alone = attention(&alone, short, scale, None);
        assert_eq!(alone[..], got[s.len * s.hidden()..][..15 * s.hidden()]);
    }

    #[test]
    fn every_instruction_set_gives_the_plain_bits() {
        let s = Shape {
            batch: 3,
            len: 37,
            heads: 2,
            head_dim: 32,
        };
        let qkv = noise(2, s.batch * s.len * 3 * s.hidden());
        let mut plain = vec![0f32; s.batch * s.len * s.hidden()];
        attention_generic(&qkv, &mut plain, s, 0.17, None);
        assert_eq!(attention(&qkv, s, 0.17, None), plain);
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            let mut avx2 = vec![0f32; plain.len()];
            // SAFETY: the CPU has the feature the function was compiled for.
            unsafe { x86::attention_avx2(&qkv, &mut avx2, s, 0.17, None) };
            assert_eq!(avx2, plain);
        }
    }
}
