//! Element-wise kernels of the encoder that candle computes through scalar libm calls: GELU (erf)
//! and the attention softmax (exp) took a third of the embedding time. These are branch-free
//! polynomial versions that the compiler vectorises, compiled for AVX-512 and AVX2 and chosen at
//! run time. No fused multiply-adds, so every instruction set gives the same bits.

/// Bumped whenever a change to the encoder's arithmetic changes the bits of a vector, so that
/// cached vectors from an older build are not mixed with fresh ones.
const ENGINE_REVISION: u32 = 5;

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

/// The widest vector code the encoder's own kernels run (attention, GELU, layer norms): the
/// CPU's, or narrower when `VERBATIM_INT8_KERNEL` asks for the AVX2 or the plain 4-bit × 8-bit
/// kernel, so that `VERBATIM_INT8_KERNEL=avx2` runs all but candle's embedding lookup as an
/// AVX2-only CPU would (to time it, or test it, on a CPU that has more). Ordered fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Avx512,
    Avx2,
    Plain,
}

/// This process's [`Simd`], decided once.
pub fn simd() -> Simd {
    static SIMD: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *SIMD.get_or_init(|| {
        let cap = match super::quant::Kernel::asked() {
            super::quant::Kernel::Plain => Simd::Plain,
            super::quant::Kernel::Avx2 => Simd::Avx2,
            super::quant::Kernel::Avx512Vnni => Simd::Avx512,
        };
        #[cfg(target_arch = "x86_64")]
        let has = if is_x86_feature_detected!("avx512f") {
            Simd::Avx512
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            Simd::Avx2
        } else {
            Simd::Plain
        };
        #[cfg(not(target_arch = "x86_64"))]
        let has = Simd::Plain;
        cap.max(has)
    })
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
    let shifted = clamped * std::f32::consts::LOG2_E + 12_582_912.0;
    let n = shifted - 12_582_912.0;
    let r = clamped - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    // The fitted 5.000_000_1e-1 is 0.5 in f32.
    p = p * r + 0.5;
    let y = p * (r * r) + r + 1.0;
    // 2ⁿ from the bits of `shifted` (1.5·2²³ + n: n sits in its low mantissa bits), not `n as
    // i32`: Rust's saturating float-to-int conversion has no vector instruction on x86, and the
    // compiler converted the 16 lanes one by one, with two compares each (a fifth of the
    // attention's profile on long passages). Same bits: n is an integer in [-126, 127].
    let scale = f32::from_bits((shifted.to_bits().wrapping_sub(0x4B40_0000) + 127) << 23);
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
        .for_each(|&x| acc[0] = if x > acc[0] { x } else { acc[0] });
    max_of_lanes(acc)
}

/// The largest of 16 lanes by halves (8, 4, 2, 1): four vector steps where a fold is sixteen
/// scalar compares. The max of numbers is the same whatever the order (the sign of a zero may
/// differ, which no caller can see: `x − max` and `exp` give the same bits either way).
#[inline(always)]
fn max_of_lanes(mut acc: [f32; LANES]) -> f32 {
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            let other = acc[i + width];
            acc[i] = if other > acc[i] { other } else { acc[i] };
        }
        width /= 2;
    }
    acc[0]
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

/// Softmax of `scale · x` over the first `len` values of a row whose length is a multiple of 16,
/// in place; what follows `len` is scratch (left 0). Every pass runs whole vectors: with a scalar
/// tail, a row of 180 scores spent as long on its last 4 exponentials as on the other 176.
#[inline(always)]
pub(super) fn softmax_padded(r: &mut [f32], len: usize, scale: f32) {
    let inv = 1.0 / exp_shifted(r, len, scale);
    r.iter_mut().for_each(|x| *x *= inv);
}

/// The softmax's numerators in place: `exp(scale · (x − max))` over the first `len` values of a
/// row whose length is a multiple of 16, 0 after them. Returns their sum (the denominator).
#[inline(always)]
pub(super) fn exp_shifted(r: &mut [f32], len: usize, scale: f32) -> f32 {
    assert!(r.len().is_multiple_of(LANES) && len <= r.len());
    let max = max_of(&r[..len]);
    r.iter_mut().for_each(|x| *x = exp((*x - max) * scale));
    r[len..].fill(0.0);
    sum_of(&r[..len])
}

/// `x ← γ · normalised(x + residual) + β` over each row of `γ.len()` values: the residual sum and
/// the layer norm in one pass (two sums in 16 lanes, then one write).
#[inline(always)]
fn add_layer_norm_generic(x: &mut [f32], residual: &[f32], norm: &Norm) {
    let n = norm.gamma.len();
    for (row, res) in x.chunks_exact_mut(n).zip(residual.chunks_exact(n)) {
        row.iter_mut().zip(res).for_each(|(a, b)| *a += b);
        let mean = sum_of(row) / n as f32;
        row.iter_mut().for_each(|a| *a -= mean);
        let mut squares = [0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let rest: f32 = chunks.remainder().iter().map(|a| a * a).sum();
        for c in chunks {
            for (s, &a) in squares.iter_mut().zip(c) {
                *s += a * a;
            }
        }
        let variance = (squares.iter().sum::<f32>() + rest) / n as f32;
        let inv = 1.0 / (variance + norm.eps).sqrt();
        for ((a, g), b) in row.iter_mut().zip(&norm.gamma).zip(&norm.beta) {
            *a = *a * inv * g + b;
        }
    }
}

/// A layer norm's parameters, read once from candle's.
pub struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl Norm {
    pub fn from_candle(norm: &candle_nn::LayerNorm) -> candle_core::Result<Norm> {
        let gamma = norm.weight().to_vec1::<f32>()?;
        let beta = match norm.bias() {
            Some(b) => b.to_vec1::<f32>()?,
            None => vec![0.0; gamma.len()],
        };
        Ok(Norm {
            gamma,
            beta,
            eps: norm.eps() as f32,
        })
    }

    /// `x ← norm(x + residual)`, row by row (`[rows, hidden]` both).
    pub fn add_in_place(&self, x: &mut [f32], residual: &[f32]) {
        assert_eq!(x.len(), residual.len());
        assert!(x.len().is_multiple_of(self.gamma.len()));
        match simd() {
            // SAFETY: `simd` names only instruction sets this CPU has.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { x86::add_layer_norm_avx512(x, residual, self) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { x86::add_layer_norm_avx2(x, residual, self) },
            _ => add_layer_norm_generic(x, residual, self),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Norm;

    #[target_feature(enable = "avx512f")]
    pub fn gelu_avx512(v: &mut [f32]) {
        super::gelu_generic(v)
    }
    #[target_feature(enable = "avx2")]
    pub fn gelu_avx2(v: &mut [f32]) {
        super::gelu_generic(v)
    }
    #[target_feature(enable = "avx512f")]
    pub fn add_layer_norm_avx512(x: &mut [f32], residual: &[f32], norm: &Norm) {
        super::add_layer_norm_generic(x, residual, norm)
    }
    #[target_feature(enable = "avx2")]
    pub fn add_layer_norm_avx2(x: &mut [f32], residual: &[f32], norm: &Norm) {
        super::add_layer_norm_generic(x, residual, norm)
    }
}

/// GELU (erf form) of every value, in place.
pub fn gelu_in_place(values: &mut [f32]) {
    match simd() {
        // SAFETY: `simd` names only instruction sets this CPU has.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { x86::gelu_avx512(values) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { x86::gelu_avx2(values) },
        _ => gelu_generic(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The softmax of one row of any length through the padded kernel. The max is subtracted
    /// first, so a masked score (a large negative number) gets exactly 0.
    fn softmax_row(r: &mut [f32], scale: f32) {
        let len = r.len();
        let mut padded = r.to_vec();
        padded.resize(len.div_ceil(LANES) * LANES, 0.0);
        softmax_padded(&mut padded, len, scale);
        r.copy_from_slice(&padded[..len]);
    }

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
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            let mut avx2 = xs.clone();
            // SAFETY: the CPU has the feature the function was compiled for.
            unsafe { x86::gelu_avx2(&mut avx2) };
            assert_eq!(avx2, plain);
        }

        // The softmax's vectorised bits are tested through the attention (attention.rs).
        let mut soft = xs.clone();
        soft[7] = -1e30; // a masked key
        soft.chunks_mut(10).for_each(|row| softmax_row(row, 0.5));
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

    #[test]
    fn add_layer_norm_matches_candle_and_every_instruction_set_the_plain_bits() {
        use candle_core::{Device, Module, Tensor};
        let (rows, hidden) = (5, 40);
        let wave = |n: usize, k: f32| -> Vec<f32> {
            (0..n).map(|i| ((i as f32) * k).sin() * 3.0).collect()
        };
        let (x, residual) = (wave(rows * hidden, 0.37), wave(rows * hidden, 0.11));
        let (gamma, beta) = (wave(hidden, 0.5), wave(hidden, 0.9));
        let dev = Device::Cpu;
        let candle = candle_nn::LayerNorm::new(
            Tensor::from_slice(&gamma, hidden, &dev).unwrap(),
            Tensor::from_slice(&beta, hidden, &dev).unwrap(),
            1e-12,
        );
        let sum: Vec<f32> = x.iter().zip(&residual).map(|(a, b)| a + b).collect();
        let want = candle
            .forward(&Tensor::from_slice(&sum, (rows, hidden), &dev).unwrap())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let norm = Norm::from_candle(&candle).unwrap();
        let mut got = x.clone();
        norm.add_in_place(&mut got, &residual);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} against candle's {w}");
        }
        let mut plain = x.clone();
        add_layer_norm_generic(&mut plain, &residual, &norm);
        assert_eq!(plain, got);
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            let mut avx2 = x.clone();
            // SAFETY: the CPU has the feature the function was compiled for.
            unsafe { x86::add_layer_norm_avx2(&mut avx2, &residual, &norm) };
            assert_eq!(avx2, plain);
        }
    }
}
