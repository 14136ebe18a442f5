//! The AVX-512 VNNI kernel: `vpdpbusd` on 512-bit registers, tiles of 6 rows × 32 columns; and
//! the activations' quantization on AVX-512.

use std::mem::MaybeUninit;

use super::{GROUP, PANEL, PANEL_BLOCK_BYTES, QuantLinear, QuantRows, ROUNDING, ROWS, tiles};
use crate::model::e5bin::Q4_BLOCK;

impl QuantLinear {
    /// Tile by tile in [`tiles`]' order.
    ///
    /// Relies on the panel invariant [`supports`] guarantees at construction: `out` is a multiple
    /// of `PANEL` (so `out / PANEL` panels cover every column) and `inp` of `Q4_BLOCK`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI ([`available`]). `q` must hold
    /// `rows` quantized rows of `inp` values and `y` at least `rows × out` slots.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn forward_vnni(
        &self,
        q: &QuantRows,
        rows: usize,
        y: &mut [MaybeUninit<f32>],
    ) {
        // SAFETY: the body relies on exactly what this function's `# Safety` section requires of
        // its caller (the CPU features it is compiled for, and the lengths stated there).
        unsafe {
            for (r, n, panel) in tiles(rows, self.out / PANEL, ROWS) {
                match n {
                    6 => self.tile::<6>(q, r, panel, y),
                    5 => self.tile::<5>(q, r, panel, y),
                    4 => self.tile::<4>(q, r, panel, y),
                    3 => self.tile::<3>(q, r, panel, y),
                    2 => self.tile::<2>(q, r, panel, y),
                    _ => self.tile::<1>(q, r, panel, y),
                }
            }
        }
    }

    /// `R` rows × 32 columns: per block, integer dot products in 2·R registers, then scaled into
    /// 2·R f32 accumulators.
    ///
    /// # Safety
    /// As [`Self::forward_vnni`], and `row + R ≤ rows`, `panel < out / PANEL`: the slices taken
    /// at the top are then in bounds (they are checked), and the raw reads inside stay in them.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn tile<const R: usize>(
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
            let mut acc = [[_mm512_setzero_ps(); 2]; R];
            for b in 0..blocks {
                let mut dot = [[_mm512_setzero_si512(); 2]; R];
                for (i, d) in dot.iter_mut().enumerate() {
                    let start = _mm512_set1_epi32(*t.act_offsets.get_unchecked(i * blocks + b));
                    *d = [start, start];
                }
                let codes = t.codes[b * PANEL_BLOCK_BYTES..][..PANEL_BLOCK_BYTES].as_ptr();
                for g in 0..Q4_BLOCK / GROUP {
                    let w0 = _mm512_loadu_si512(codes.add(g * PANEL * GROUP).cast());
                    let w1 = _mm512_loadu_si512(codes.add(g * PANEL * GROUP + 64).cast());
                    for (d, &row) in dot.iter_mut().zip(t.rows_at.iter()) {
                        let a = row
                            .add(b * Q4_BLOCK + g * GROUP)
                            .cast::<i32>()
                            .read_unaligned();
                        let a = _mm512_set1_epi32(a);
                        d[0] = _mm512_dpbusd_epi32(d[0], w0, a);
                        d[1] = _mm512_dpbusd_epi32(d[1], w1, a);
                    }
                }
                let s = t.scales[b * PANEL..][..PANEL].as_ptr();
                let s0 = _mm512_loadu_ps(s);
                let s1 = _mm512_loadu_ps(s.add(16));
                for (i, (a, d)) in acc.iter_mut().zip(dot.iter()).enumerate() {
                    let da = _mm512_set1_ps(*t.act_scales.get_unchecked(i * blocks + b));
                    a[0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d[0]), _mm512_mul_ps(s0, da), a[0]);
                    a[1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d[1]), _mm512_mul_ps(s1, da), a[1]);
                }
            }
            let bias = t.bias;
            let b0 = _mm512_loadu_ps(bias.as_ptr());
            let b1 = _mm512_loadu_ps(bias[16..].as_ptr());
            for (i, a) in acc.iter().enumerate() {
                let dst = &mut y[(row + i) * self.out + panel * PANEL..][..PANEL];
                _mm512_storeu_ps(dst.as_mut_ptr().cast(), _mm512_add_ps(a[0], b0));
                _mm512_storeu_ps(dst[16..].as_mut_ptr().cast(), _mm512_add_ps(a[1], b1));
            }
        }
    }
}

/// [`quantize_block`] in two 16-lane registers, same bits.
///
/// # Safety
/// The CPU must have AVX-512F and AVX-512BW. `src` and `dst` must hold at least 32 values (a
/// shorter slice panics at the checked re-slicing below; it is never read out of bounds).
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn quantize_block_avx512(src: &[f32], dst: &mut [i8]) -> (f32, i32) {
    // SAFETY: the body relies on exactly what this function's `# Safety` section requires of
    // its caller (the CPU features it is compiled for, and the lengths stated there).
    unsafe {
        use std::arch::x86_64::*;
        let (src, dst) = (&src[..Q4_BLOCK], &mut dst[..Q4_BLOCK]);
        let x0 = _mm512_loadu_ps(src.as_ptr());
        let x1 = _mm512_loadu_ps(src[16..].as_ptr());
        let amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
        let scale = amax / 127.0;
        let inv = _mm512_set1_ps(if scale > 0.0 { 1.0 / scale } else { 0.0 });
        let magic = _mm512_set1_ps(ROUNDING);
        let round = |x| {
            _mm512_cvtps_epi32(_mm512_sub_ps(
                _mm512_add_ps(_mm512_mul_ps(x, inv), magic),
                magic,
            ))
        };
        let (c0, c1) = (round(x0), round(x1));
        _mm_storeu_si128(dst.as_mut_ptr().cast(), _mm512_cvtepi32_epi8(c0));
        _mm_storeu_si128(dst[16..].as_mut_ptr().cast(), _mm512_cvtepi32_epi8(c1));
        (
            scale,
            -8 * _mm512_reduce_add_epi32(_mm512_add_epi32(c0, c1)),
        )
    }
}
