//! Element-wise kernels of the encoder that candle computes through scalar libm calls: GELU (erf)
//! and the attention softmax (exp) took a third of the embedding time. These are branch-free
//! polynomial versions that the compiler vectorises, compiled for AVX-512 and AVX2 and chosen at
//! run time. No fused multiply-adds, so every instruction set gives the same bits.

use candle_core::{CpuStorage, InplaceOp1, Layout};

/// Bumped whenever a change to the encoder's arithmetic changes the bits of a vector, so that
/// cached vectors from an older build are not mixed with fresh ones.
const ENGINE_REVISION: u32 = 3;

/// The arithmetic a vector came from: this build's revision and the instruction set chosen at run
/// time (AVX-512, AVX2 and plain code round differently in the matmuls).
pub fn engine_id() -> String {
    #[cfg(target_arch = "x86_64")]
    let isa = if is_x86_feature_detected!("avx512f") {
        "avx512"
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        "avx2"
    } else {
        "generic"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let isa = std::env::consts::ARCH;
    format!("verbatim-encoder-{ENGINE_REVISION}-{isa}")
}

/// erf(x) to a few ulp: Eigen's rational approximation on [-3.83, 3.83] (erf is ±1 in f32 outside).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-3.832_507, 3.832_507);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_600_1e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_4e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

/// e^x to about 2 ulp (Cephes' polynomial after reduction by powers of two); exactly 0 far below.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let clamped = x.clamp(-87.0, 88.0);
    // Round to nearest with the 1.5·2²³ trick: no call to a rounding function, so it vectorises.
    let n = (clamped * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = clamped - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    // The fitted 5.000_000_1e-1 is 0.5 in f32.
    p = p * r + 0.5;
    let y = p * (r * r) + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    if x < -87.0 { 0.0 } else { y * scale }
}

#[inline(always)]
fn gelu_generic(values: &mut [f32]) {
    for v in values {
        let x = *v;
        *v = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Lanes of the reductions below: a fixed order of additions, whatever the instruction set.
const LANES: usize = 16;

#[inline(always)]
fn max_of(row: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = if x > *a { x } else { *a };
        }
    }
    rest.iter()
        .chain(&acc)
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m })
}

#[inline(always)]
fn sum_of(row: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().chain(rest).sum()
}

#[inline(always)]
fn softmax_generic(values: &mut [f32], row: usize, scale: f32) {
    for r in values.chunks_exact_mut(row) {
        let max = max_of(r);
        for x in r.iter_mut() {
            *x = exp((*x - max) * scale);
        }
        let inv = 1.0 / sum_of(r);
        r.iter_mut().for_each(|x| *x *= inv);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f")]
    pub fn gelu_avx512(v: &mut [f32]) {
        super::gelu_generic(v)
    }
    #[target_feature(enable = "avx2")]
    pub fn gelu_avx2(v: &mut [f32]) {
        super::gelu_generic(v)
    }
    #[target_feature(enable = "avx512f")]
    pub fn softmax_avx512(v: &mut [f32], row: usize, scale: f32) {
        super::softmax_generic(v, row, scale)
    }
    #[target_feature(enable = "avx2")]
    pub fn softmax_avx2(v: &mut [f32], row: usize, scale: f32) {
        super::softmax_generic(v, row, scale)
    }
}

/// GELU (erf form) of every value, in place.
pub fn gelu_in_place(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function was compiled for.
            return unsafe { x86::gelu_avx512(values) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { x86::gelu_avx2(values) };
        }
    }
    gelu_generic(values)
}

/// Softmax of `scale · x` over each run of `row` values, in place. The max is subtracted first, so
/// a masked score (a large negative number) gets exactly 0.
pub fn softmax_in_place(values: &mut [f32], row: usize, scale: f32) {
    assert!(row > 0 && values.len().is_multiple_of(row));
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function was compiled for.
            return unsafe { x86::softmax_avx512(values, row, scale) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { x86::softmax_avx2(values, row, scale) };
        }
    }
    softmax_generic(values, row, scale)
}

/// The f32 values of a contiguous CPU tensor, or an error naming the operation.
fn contiguous_f32<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
    op: &str,
) -> candle_core::Result<&'a mut [f32]> {
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg(format!("{op} needs a contiguous tensor")))?;
    match storage {
        CpuStorage::F32(v) => Ok(&mut v[start..end]),
        _ => Err(candle_core::Error::Msg(format!("{op} needs f32 values"))),
    }
}

/// GELU as a candle in-place operation.
pub struct Gelu;

impl InplaceOp1 for Gelu {
    fn name(&self) -> &'static str {
        "verbatim-gelu"
    }
    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        gelu_in_place(contiguous_f32(storage, layout, self.name())?);
        Ok(())
    }
}

/// Softmax of `scale · x` over the last dimension as a candle in-place operation.
pub struct ScaledSoftmax {
    pub scale: f32,
}

impl InplaceOp1 for ScaledSoftmax {
    fn name(&self) -> &'static str {
        "verbatim-softmax"
    }
    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let row = *layout.dims().last().unwrap_or(&1);
        softmax_in_place(
            contiguous_f32(storage, layout, self.name())?,
            row,
            self.scale,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 as the reference: its Taylor series near 0, the asymptotic erfc series beyond 3.
    fn erf_reference(x: f64) -> f64 {
        if x.abs() > 3.0 {
            let (a, x2) = (x.abs(), x * x);
            let series =
                1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2) - 15.0 / (8.0 * x2 * x2 * x2);
            let erfc = (-x2).exp() / (a * std::f64::consts::PI.sqrt()) * series;
            return x.signum() * (1.0 - erfc);
        }
        let mut term = x;
        let mut sum = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_and_exp_are_accurate() {
        for i in -600..=600 {
            let x = i as f32 / 100.0;
            let e = (erf(x) as f64 - erf_reference(x as f64)).abs();
            assert!(e < 1e-6, "erf({x}) off by {e}");
        }
        for i in -870..=880 {
            let x = i as f32 / 10.0;
            let rel = ((exp(x) as f64) / (x as f64).exp() - 1.0).abs();
            assert!(rel < 1e-6, "exp({x}) off by {rel}");
        }
        assert_eq!(exp(-1e30), 0.0);
    }

    #[test]
    fn kernels_match_the_scalar_definitions() {
        let xs: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) / 37.0).collect();
        let mut gelu = xs.clone();
        gelu_in_place(&mut gelu);
        for (x, g) in xs.iter().zip(&gelu) {
            let want = 0.5 * *x as f64 * (1.0 + erf_reference(*x as f64 / 2f64.sqrt()));
            assert!(
                (*g as f64 - want).abs() < 1e-5,
                "gelu({x}) = {g}, want {want}"
            );
        }
        // The dispatched (vectorised) and the plain code give the same bits.
        let mut plain = xs.clone();
        gelu_generic(&mut plain);
        assert_eq!(plain, gelu);

        // Rows of 40 use the 16-lane reductions: dispatched and plain code give the same bits.
        let (mut wide, mut plain_wide) = (xs.clone(), xs.clone());
        softmax_in_place(&mut wide, 40, 0.5);
        softmax_generic(&mut plain_wide, 40, 0.5);
        assert_eq!(plain_wide, wide);
        let mut soft = xs.clone();
        soft[7] = -1e30; // a masked key
        softmax_in_place(&mut soft, 10, 0.5);
        for (chunk, probs) in xs.chunks(10).zip(soft.chunks(10)) {
            let sum: f32 = probs.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5);
            if chunk.as_ptr() == xs.as_ptr() {
                assert_eq!(probs[7], 0.0);
                continue;
            }
            let max = chunk.iter().fold(f64::MIN, |m, &x| m.max(x as f64));
            let total: f64 = chunk.iter().map(|&x| ((x as f64 - max) * 0.5).exp()).sum();
            for (x, p) in chunk.iter().zip(probs) {
                let want = ((*x as f64 - max) * 0.5).exp() / total;
                assert!((*p as f64 - want).abs() < 1e-6);
            }
        }
    }
}
