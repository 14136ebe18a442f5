//! The AVX2 kernel, for x86-64 CPUs without AVX-512 VNNI: `vpmaddubsw` + `vpmaddwd` on 256-bit
//! registers, the same integer sums as `vpdpbusd`, so the same bits.

use std::mem::MaybeUninit;

use super::{GROUP, PANEL, PANEL_BLOCK_BYTES, QuantLinear, QuantRows, ROUNDING, tiles};
use crate::model::e5bin::Q4_BLOCK;

/// Rows of activations per AVX2 tile: 2 rows × 4 integer sums + 4 weight registers + the
/// broadcast and the ones fit the 16 ymm registers; the f32 sums are touched once per block.
const AVX2_ROWS: usize = 2;

impl QuantLinear {
    /// [`Self::forward_vnni`] on 256-bit registers, tiles of [`AVX2_ROWS`] rows × 32 columns.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA. `q` must hold `rows` quantized rows of `inp` values and `y`
    /// at least `rows × out` slots.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward_avx2(
        &self,
        q: &QuantRows,
        rows: usize,
        y: &mut [MaybeUninit<f32>],
    ) {
        // SAFETY: the body relies on exactly what this function's `# Safety` section requires of
        // its caller (the CPU features it is compiled for, and the lengths stated there).
        unsafe {
            for (r, n, panel) in tiles(rows, self.out / PANEL, AVX2_ROWS) {
                match n {
                    2 => self.tile_avx2::<2>(q, r, panel, y),
                    _ => self.tile_avx2::<1>(q, r, panel, y),
                }
            }
        }
    }

    /// `R` rows × 32 columns in four 8-lane registers per row: per group of 4 inputs,
    /// `vpmaddubsw` (codes × activations, pairs summed in 16 bits, exact) then `vpmaddwd` by ones
    /// (pairs of pairs in 32 bits): the lane sums `vpdpbusd` gives, so the same bits follow.
    ///
    /// # Safety
    /// As [`Self::forward_avx2`], and `row + R ≤ rows`, `panel < out / PANEL` (the slices taken
    /// at the top are checked; the raw reads inside stay in them).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile_avx2<const R: usize>(
        &self,
        q: &QuantRows,
        row: usize,
        panel: usize,
        y: &mut [MaybeUninit<f32>],
    ) {
        // SAFETY: the body relies on exactly what this function's `# Safety` section requires of
        // its caller (the CPU features it is compiled for, and the lengths stated there).
        unsafe {
            use std::arch::x86_64::*;
            let t = self.tile_inputs::<R>(q, row, panel);
            let blocks = t.blocks;
            let ones = _mm256_set1_epi16(1);
            let mut acc = [[_mm256_setzero_ps(); 4]; R];
            for b in 0..blocks {
                let mut dot = [[_mm256_setzero_si256(); 4]; R];
                for (i, d) in dot.iter_mut().enumerate() {
                    *d = [_mm256_set1_epi32(*t.act_offsets.get_unchecked(i * blocks + b)); 4];
                }
                let codes = t.codes[b * PANEL_BLOCK_BYTES..][..PANEL_BLOCK_BYTES].as_ptr();
                for g in 0..Q4_BLOCK / GROUP {
                    let at = codes.add(g * PANEL * GROUP);
                    let w: [__m256i; 4] =
                        std::array::from_fn(|j| _mm256_loadu_si256(at.add(32 * j).cast()));
                    for (d, &row) in dot.iter_mut().zip(t.rows_at.iter()) {
                        let a = row
                            .add(b * Q4_BLOCK + g * GROUP)
                            .cast::<i32>()
                            .read_unaligned();
                        let a = _mm256_set1_epi32(a);
                        for (dj, &wj) in d.iter_mut().zip(w.iter()) {
                            let pairs = _mm256_maddubs_epi16(wj, a);
                            *dj = _mm256_add_epi32(*dj, _mm256_madd_epi16(pairs, ones));
                        }
                    }
                }
                let s = t.scales[b * PANEL..][..PANEL].as_ptr();
                for (i, (a, d)) in acc.iter_mut().zip(dot.iter()).enumerate() {
                    let da = _mm256_set1_ps(*t.act_scales.get_unchecked(i * blocks + b));
                    for j in 0..4 {
                        let scale = _mm256_mul_ps(_mm256_loadu_ps(s.add(8 * j)), da);
                        a[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d[j]), scale, a[j]);
                    }
                }
            }
            let bias = t.bias;
            for (i, a) in acc.iter().enumerate() {
                let dst = &mut y[(row + i) * self.out + panel * PANEL..][..PANEL];
                for j in 0..4 {
                    let b = _mm256_loadu_ps(bias[8 * j..].as_ptr());
                    _mm256_storeu_ps(dst[8 * j..].as_mut_ptr().cast(), _mm256_add_ps(a[j], b));
                }
            }
        }
    }
}

/// [`super::quantize_block`] in four 8-lane registers, same bits: the maximum is exact in any
/// order, the products and the rounding additions are the plain code's, one lane each (the
/// plain code compiled for AVX2 was left scalar by the compiler: 14% of the embedding time).
///
/// # Safety
/// The CPU must have AVX2 and FMA. `src` and `dst` must hold at least 32 values (a shorter slice
/// panics at the checked re-slicing below; it is never read out of bounds).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quantize_block_avx2(src: &[f32], dst: &mut [i8]) -> (f32, i32) {
    // SAFETY: the body relies on exactly what this function's `# Safety` section requires of
    // its caller (the CPU features it is compiled for, and the lengths stated there).
    unsafe {
        use std::arch::x86_64::*;
        let (src, dst) = (&src[..Q4_BLOCK], &mut dst[..Q4_BLOCK]);
        let x: [__m256; 4] = [0, 8, 16, 24].map(|i| _mm256_loadu_ps(src[i..].as_ptr()));
        let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
        let a = x.map(|v| _mm256_and_ps(v, abs));
        let m = _mm256_max_ps(_mm256_max_ps(a[0], a[1]), _mm256_max_ps(a[2], a[3]));
        let m = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        let amax = _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps::<1>(m, m)));
        let scale = amax / 127.0;
        let inv = _mm256_set1_ps(if scale > 0.0 { 1.0 / scale } else { 0.0 });
        let magic = _mm256_set1_ps(ROUNDING);
        let c = x.map(|v| {
            _mm256_cvtps_epi32(_mm256_sub_ps(
                _mm256_add_ps(_mm256_mul_ps(v, inv), magic),
                magic,
            ))
        });
        // Saturating packs (codes are within ±127) interleave the 128-bit halves; the permutation
        // puts the 32 bytes back in order.
        let packed = _mm256_packs_epi16(
            _mm256_packs_epi32(c[0], c[1]),
            _mm256_packs_epi32(c[2], c[3]),
        );
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        let bytes = _mm256_permutevar8x32_epi32(packed, order);
        _mm256_storeu_si256(dst.as_mut_ptr().cast(), bytes);
        let sum = _mm256_add_epi32(_mm256_add_epi32(c[0], c[1]), _mm256_add_epi32(c[2], c[3]));
        let sum = _mm_add_epi32(
            _mm256_castsi256_si128(sum),
            _mm256_extracti128_si256::<1>(sum),
        );
        let sum = _mm_add_epi32(sum, _mm_unpackhi_epi64(sum, sum));
        let sum = _mm_add_epi32(sum, _mm_shuffle_epi32::<1>(sum));
        (scale, -8 * _mm_cvtsi128_si32(sum))
    }
}
