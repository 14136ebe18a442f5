//! The AVX2 kernel, for x86-64 CPUs without AVX-512 VNNI: `vpmaddubsw` + `vpmaddwd` on 256-bit
//! registers, the same integer sums as `vpdpbusd`, so the same bits.

use std::mem::MaybeUninit;

use super::{GROUP, PANEL, PANEL_BLOCK_BYTES, QuantLinear, QuantRows, tiles};
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
