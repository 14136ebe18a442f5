//! Linear layers computed on the model file's own 4-bit weights with 8-bit activations, on the
//! AVX512-VNNI integer dot-product instruction (64 multiply-adds per instruction where f32 FMA does
//! 16, and a quarter of the weight bytes to stream), or on AVX2's byte and word multiply-adds where
//! VNNI is missing, or in plain Rust ([`Kernel`]).
//!
//! The weights stay exactly the file's (GGML Q4_0: per block of 32, a 4-bit code q and an f16 scale
//! d, weight = (q − 8)·d). Each row of activations is quantized per block of 32 to int8 with its own
//! scale (GGML's Q8_0), so a block's dot product is an exact integer sum, scaled once:
//!
//! ```text
//! y[r, c] = Σ_blocks (Σ_k q_w·q_a − 8·Σ_k q_a) · (d_w · d_a) + b[c]
//! ```
//!
//! The integer sums are exact and the scaling is one f32 multiply then one fused multiply-add per
//! block, in block order, so [`QuantLinear::forward_reference`] (plain Rust, any CPU) and the VNNI
//! and AVX2 kernels give the same bits; the unit tests hold them to it.

use anyhow::{Result, bail};

use super::e5bin::{Q4_BLOCK, Q4_BLOCK_BYTES};

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod vnni;

/// Output columns per packed panel: two 16-lane registers.
const PANEL: usize = 32;
/// Inputs per dot-product group of the VNNI instruction (4 bytes per 32-bit lane).
const GROUP: usize = 4;
/// Bytes of one (panel, block) of packed weights: 8 groups × 32 columns × 4 codes.
const PANEL_BLOCK_BYTES: usize = PANEL * Q4_BLOCK;
/// Rows of activations processed together by the kernel (6 × 2 accumulators of each kind).
const ROWS: usize = 6;

/// Proof that this CPU runs the VNNI kernel (AVX-512 with the VNNI and byte/word extensions).
/// Zero-sized, and only [`Vnni::detect`] makes one: code that holds it may call the kernel, where
/// a `bool` could be `true` by mistake.
#[derive(Debug, Clone, Copy)]
pub struct Vnni(());

impl Vnni {
    /// The token, when the CPU has the features (detected once, cached by the standard library).
    pub fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            let has = is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vnni");
            has.then_some(Vnni(()))
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            None
        }
    }
}

/// Proof that this CPU runs the AVX2 kernel (AVX2 and FMA: every x86-64 CPU since 2013–2015).
#[derive(Debug, Clone, Copy)]
pub struct Avx2(());

impl Avx2 {
    pub fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            let has = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            has.then_some(Avx2(()))
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            None
        }
    }
}

/// Which code computes the 4-bit × 8-bit integer sums: all three give the same bits. Ordered
/// fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kernel {
    /// `vpdpbusd` on 512-bit registers.
    Avx512Vnni,
    /// `vpmaddubsw` + `vpmaddwd` on 256-bit registers (4-bit codes times int8 never saturate
    /// the 16-bit pair sums: 2 × 15 × 128 < 2¹⁵).
    Avx2,
    /// Plain Rust, any CPU (ARM included).
    Plain,
}

impl Kernel {
    /// The fastest kernel this CPU runs; `VERBATIM_INT8_KERNEL=avx2|plain` asks for a slower one
    /// (to measure or test it on a CPU that has more; never a faster one than the CPU has).
    pub fn detect() -> Kernel {
        static KERNEL: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *KERNEL.get_or_init(|| {
            let cap = Kernel::asked();
            [Kernel::Avx512Vnni, Kernel::Avx2, Kernel::Plain]
                .into_iter()
                .find(|&k| k >= cap && k.runs_here())
                .unwrap_or(Kernel::Plain)
        })
    }

    /// The fastest kernel `VERBATIM_INT8_KERNEL=avx2|plain` allows (the fastest of all when it is
    /// unset): the one place that reads the variable, for these kernels and
    /// [`crate::model::kernels::simd`].
    pub fn asked() -> Kernel {
        match std::env::var("VERBATIM_INT8_KERNEL").as_deref() {
            Ok("plain") => Kernel::Plain,
            Ok("avx2") => Kernel::Avx2,
            _ => Kernel::Avx512Vnni,
        }
    }

    /// Whether this CPU has the kernel's instructions.
    pub fn runs_here(self) -> bool {
        match self {
            Kernel::Avx512Vnni => Vnni::detect().is_some(),
            Kernel::Avx2 => Avx2::detect().is_some(),
            Kernel::Plain => true,
        }
    }

    /// Why this kernel runs here (for `verbatim model info` and run.json).
    pub fn why(self) -> &'static str {
        let asked = std::env::var_os("VERBATIM_INT8_KERNEL").is_some();
        match self {
            Kernel::Avx512Vnni => "this CPU has AVX-512 VNNI",
            _ if asked => "VERBATIM_INT8_KERNEL asks for it",
            Kernel::Avx2 => "this CPU has AVX2 and FMA, not AVX-512 VNNI",
            Kernel::Plain => "this CPU has no AVX2 (portable code, slow)",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512Vnni => "avx512-vnni",
            Kernel::Avx2 => "avx2",
            Kernel::Plain => "plain",
        }
    }
}

/// Whether a `[out, inp]` layer fits the kernel's panels and blocks (e5-small's all do; another
/// model's odd widths fall back to f32).
pub fn supports(out: usize, inp: usize) -> bool {
    out.is_multiple_of(PANEL) && inp.is_multiple_of(Q4_BLOCK)
}

/// `y = x·Wᵀ + b` with `W` kept as the file's 4-bit codes, repacked for the kernel.
pub struct QuantLinear {
    out: usize,
    inp: usize,
    /// Codes 0..=15 as bytes, laid out `[panel][block][group][column][4]`.
    codes: Vec<u8>,
    /// Block scales `d_w` as f32, laid out `[panel][block][column]`.
    scales: Vec<f32>,
    bias: Vec<f32>,
}

/// Rows of activations quantized per block of 32: codes, and per block its scale and `−8·Σ codes`.
struct QuantRows {
    codes: Vec<i8>,
    scales: Vec<f32>,
    offsets: Vec<i32>,
    blocks: usize,
}

impl QuantLinear {
    /// From `[out, inp]` weights as Q4_0 blocks (each output row is `inp / 32` blocks of 18 bytes,
    /// the layout of the E5S1 file) and an `[out]` bias.
    pub fn from_q4(raw: &[u8], out: usize, inp: usize, bias: Vec<f32>) -> Result<QuantLinear> {
        if !supports(out, inp) {
            bail!(
                "a 4-bit linear layer needs inputs in multiples of {Q4_BLOCK} and outputs in multiples of {PANEL}, got [{out}, {inp}]"
            );
        }
        let blocks = inp / Q4_BLOCK;
        if raw.len() != out * blocks * Q4_BLOCK_BYTES || bias.len() != out {
            bail!(
                "4-bit linear layer [{out}, {inp}]: {} weight bytes and {} biases, expected {} and {out}",
                raw.len(),
                bias.len(),
                out * blocks * Q4_BLOCK_BYTES
            );
        }
        let mut codes = vec![0u8; out * inp];
        let mut scales = vec![0f32; out * blocks];
        for c in 0..out {
            let (panel, col) = (c / PANEL, c % PANEL);
            for b in 0..blocks {
                let block = &raw[(c * blocks + b) * Q4_BLOCK_BYTES..][..Q4_BLOCK_BYTES];
                scales[(panel * blocks + b) * PANEL + col] =
                    half::f16::from_le_bytes([block[0], block[1]]).to_f32();
                let base = (panel * blocks + b) * PANEL_BLOCK_BYTES;
                for (j, &byte) in block[2..].iter().enumerate() {
                    // Byte j holds weight j (low nibble) and weight j + 16 (high nibble).
                    for (k, code) in [(j, byte & 0x0f), (j + 16, byte >> 4)] {
                        let at = base + (k / GROUP) * PANEL * GROUP + col * GROUP + k % GROUP;
                        codes[at] = code;
                    }
                }
            }
        }
        Ok(QuantLinear {
            out,
            inp,
            codes,
            scales,
            bias,
        })
    }

    /// Several layers reading the same input, their outputs side by side (query, key and value).
    pub fn stacked(parts: &[QuantLinear]) -> Result<QuantLinear> {
        let Some(first) = parts.first() else {
            bail!("no layers to stack");
        };
        if parts.iter().any(|p| p.inp != first.inp) {
            bail!("stacked layers must read inputs of the same width");
        }
        // Panels are whole columns, so stacking is concatenation in panel order.
        Ok(QuantLinear {
            out: parts.iter().map(|p| p.out).sum(),
            inp: first.inp,
            codes: parts.iter().flat_map(|p| p.codes.iter().copied()).collect(),
            scales: parts
                .iter()
                .flat_map(|p| p.scales.iter().copied())
                .collect(),
            bias: parts.iter().flat_map(|p| p.bias.iter().copied()).collect(),
        })
    }

    fn blocks(&self) -> usize {
        self.inp / Q4_BLOCK
    }

    /// Quantizes `rows` rows of `inp` activations, block by block (scale = max |x| / 127), with
    /// the vector code of the kernel that will read them (AVX-512 with the VNNI kernel's token,
    /// AVX2 with the AVX2 one's, else plain): the same bits.
    fn quantize(
        &self,
        x: &[f32],
        rows: usize,
        vnni: Option<Vnni>,
        avx2: Option<Avx2>,
    ) -> QuantRows {
        let blocks = self.blocks();
        // Filled block by block rather than zeroed first: these buffers are megabytes per call.
        let mut q = QuantRows {
            codes: Vec::with_capacity(rows * self.inp),
            scales: Vec::with_capacity(rows * blocks),
            offsets: Vec::with_capacity(rows * blocks),
            blocks,
        };
        // A vector version is chosen only with the token that proves its CPU features.
        let block: unsafe fn(&[f32], &mut [i8]) -> (f32, i32) = match (vnni, avx2) {
            #[cfg(target_arch = "x86_64")]
            (Some(Vnni(())), _) => vnni::quantize_block_avx512,
            #[cfg(target_arch = "x86_64")]
            (None, Some(Avx2(()))) => avx2::quantize_block_avx2,
            _ => quantize_block,
        };
        for src in x.chunks_exact(Q4_BLOCK) {
            let mut codes = [0i8; Q4_BLOCK];
            // SAFETY: `block` is a vector version only when its token proved the CPU features
            // (above); `src` and `codes` are 32 long, as each version requires.
            let (scale, offset) = unsafe { block(src, &mut codes) };
            q.codes.extend_from_slice(&codes);
            q.scales.push(scale);
            q.offsets.push(offset);
        }
        q
    }

    /// `y = x·Wᵀ + b` for `rows` rows of `x` (row-major `[rows, inp]`), into `[rows, out]`.
    pub fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        self.forward_with(x, rows, Kernel::detect())
    }

    /// The same arithmetic in plain Rust, for any CPU and as the kernels' reference.
    pub fn forward_reference(&self, x: &[f32], rows: usize) -> Vec<f32> {
        self.forward_with(x, rows, Kernel::Plain)
    }

    /// With `kernel` when this CPU runs it, else plain Rust.
    pub fn forward_with(&self, x: &[f32], rows: usize, kernel: Kernel) -> Vec<f32> {
        match kernel {
            Kernel::Avx512Vnni => self.forward_on(x, rows, Vnni::detect(), None),
            Kernel::Avx2 => self.forward_on(x, rows, None, Avx2::detect()),
            Kernel::Plain => self.forward_on(x, rows, None, None),
        }
    }

    /// With the VNNI kernel when given its token, else the AVX2 one when given its, else plain.
    fn forward_on(
        &self,
        x: &[f32],
        rows: usize,
        vnni: Option<Vnni>,
        avx2: Option<Avx2>,
    ) -> Vec<f32> {
        assert_eq!(
            x.len(),
            rows * self.inp,
            "activations do not match the layer"
        );
        let q = self.quantize(x, rows, vnni, avx2.filter(|_| vnni.is_none()));
        #[cfg(target_arch = "x86_64")]
        if let Some(Avx2(())) = avx2.filter(|_| vnni.is_none()) {
            let mut y = Vec::with_capacity(rows * self.out);
            // SAFETY: the token proves AVX2 and FMA; the kernel writes every one of the
            // rows × out values before the length is set, as the VNNI one does.
            unsafe {
                self.forward_avx2(&q, rows, y.spare_capacity_mut());
                y.set_len(rows * self.out);
            }
            return y;
        }
        let _ = avx2;
        #[cfg(target_arch = "x86_64")]
        if let Some(Vnni(())) = vnni {
            let mut y = Vec::with_capacity(rows * self.out);
            // SAFETY: the token proves the CPU has the features the kernel is compiled for, and the
            // kernel writes every one of the rows × out values (all rows, all panels) before the
            // length is set; not zeroing them first saves a pass over megabytes.
            unsafe {
                self.forward_vnni(&q, rows, y.spare_capacity_mut());
                y.set_len(rows * self.out);
            }
            return y;
        }
        let _ = vnni;
        let mut y = vec![0f32; rows * self.out];
        self.forward_plain(&q, rows, &mut y);
        y
    }

    fn forward_plain(&self, q: &QuantRows, rows: usize, y: &mut [f32]) {
        let blocks = q.blocks;
        for r in 0..rows {
            for c in 0..self.out {
                let (panel, col) = (c / PANEL, c % PANEL);
                let mut acc = 0f32;
                for b in 0..blocks {
                    let codes = &self.codes[(panel * blocks + b) * PANEL_BLOCK_BYTES..];
                    let mut dot = q.offsets[r * blocks + b];
                    for k in 0..Q4_BLOCK {
                        let w = codes[(k / GROUP) * PANEL * GROUP + col * GROUP + k % GROUP];
                        dot += w as i32 * q.codes[r * self.inp + b * Q4_BLOCK + k] as i32;
                    }
                    let scale =
                        self.scales[(panel * blocks + b) * PANEL + col] * q.scales[r * blocks + b];
                    acc = (dot as f32).mul_add(scale, acc);
                }
                y[r * self.out + c] = acc + self.bias[c];
            }
        }
    }
}

/// What one tile of `R` rows × one panel reads, sliced (and bounds-checked) once so that the
/// kernels' hot loops may read through raw pointers: the panel's codes, scales and biases, each
/// row's quantized activations and, per block, their scales and offsets.
struct Tile<'a, const R: usize> {
    blocks: usize,
    codes: &'a [u8],
    scales: &'a [f32],
    bias: &'a [f32],
    /// Each row's first activation code: every read the kernels make from it (block b < blocks,
    /// group g < 8) stays inside that row, and indexing would re-check it at each load.
    rows_at: [*const i8; R],
    act_scales: &'a [f32],
    act_offsets: &'a [i32],
}

impl QuantLinear {
    /// The inputs of the tile of `R` rows from `row`, panel `panel` (panics when out of bounds).
    #[inline]
    fn tile_inputs<'a, const R: usize>(
        &'a self,
        q: &'a QuantRows,
        row: usize,
        panel: usize,
    ) -> Tile<'a, R> {
        let blocks = q.blocks;
        let act = &q.codes[row * self.inp..][..R * self.inp];
        Tile {
            blocks,
            codes: &self.codes[panel * blocks * PANEL_BLOCK_BYTES..][..blocks * PANEL_BLOCK_BYTES],
            scales: &self.scales[panel * blocks * PANEL..][..blocks * PANEL],
            bias: &self.bias[panel * PANEL..][..PANEL],
            rows_at: std::array::from_fn(|i| act[i * self.inp..].as_ptr()),
            act_scales: &q.scales[row * blocks..][..R * blocks],
            act_offsets: &q.offsets[row * blocks..][..R * blocks],
        }
    }
}

/// The kernels' tiles as (first row, rows, panel), at most `max` rows each: rows in chunks of 192
/// so that their quantized activations stay in cache, and within a chunk panels outermost so that
/// one panel's codes (12 or 48 KiB) stay in cache while the chunk's rows stream past them.
fn tiles(rows: usize, panels: usize, max: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    const ROW_CHUNK: usize = 192;
    (0..rows).step_by(ROW_CHUNK).flat_map(move |chunk| {
        let end = (chunk + ROW_CHUNK).min(rows);
        (0..panels).flat_map(move |panel| {
            (chunk..end)
                .step_by(max)
                .map(move |r| (r, (end - r).min(max), panel))
        })
    })
}

/// Adding then subtracting 1.5·2²³ rounds an f32 of magnitude < 2²² to the nearest integer (ties to
/// even) with two plain additions, which the vector code repeats exactly.
const ROUNDING: f32 = 12_582_912.0;

/// One block of 32 activations to int8 codes; returns its scale and `−8·Σ codes`.
fn quantize_block(src: &[f32], dst: &mut [i8]) -> (f32, i32) {
    let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
    let scale = amax / 127.0;
    let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
    let mut sum = 0i32;
    for (s, t) in src.iter().zip(dst.iter_mut()) {
        let code = ((s * inv + ROUNDING) - ROUNDING) as i32;
        *t = code as i8;
        sum += code;
    }
    (scale, -8 * sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers in [-1, 1) (no dependency on a generator crate).
    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Random Q4_0 rows with varied scales, and the f32 weights they decode to.
    fn random_q4(out: usize, inp: usize, seed: u64) -> (Vec<u8>, Vec<f32>) {
        let blocks = inp / Q4_BLOCK;
        let bytes = noise(seed, out * blocks * Q4_BLOCK_BYTES);
        let mut raw = Vec::with_capacity(bytes.len());
        for (i, v) in bytes.iter().enumerate() {
            if i % Q4_BLOCK_BYTES < 2 {
                continue;
            }
            raw.push(((v + 1.0) * 128.0) as u8);
        }
        let mut with_scales = Vec::new();
        for (b, block) in raw.chunks_exact(16).enumerate() {
            let d = half::f16::from_f32(0.01 + 0.02 * ((b * 7919) % 13) as f32);
            with_scales.extend_from_slice(&d.to_le_bytes());
            with_scales.extend_from_slice(block);
        }
        let mut weights = vec![0f32; out * inp];
        super::super::e5bin::dequantize_q4(&with_scales, &mut weights);
        (with_scales, weights)
    }

    #[test]
    fn matches_the_f32_product_within_activation_rounding() {
        let (out, inp, rows) = (64, 96, 7);
        let (raw, w) = random_q4(out, inp, 1);
        let bias = noise(2, out);
        let layer = QuantLinear::from_q4(&raw, out, inp, bias.clone()).unwrap();
        let mut x = noise(3, rows * inp);
        x[5] = 9.0; // an outlier only widens its own block's step
        let y = layer.forward_reference(&x, rows);
        for r in 0..rows {
            for c in 0..out {
                let exact: f64 = (0..inp)
                    .map(|k| x[r * inp + k] as f64 * w[c * inp + k] as f64)
                    .sum::<f64>()
                    + bias[c] as f64;
                // Each activation moves by at most half a step (max |x| / 254 in its block).
                let bound: f64 = (0..inp)
                    .map(|k| {
                        let b = (r * inp + k) / Q4_BLOCK * Q4_BLOCK;
                        let amax = x[b..b + Q4_BLOCK].iter().fold(0f32, |m, v| m.max(v.abs()));
                        amax as f64 / 254.0 * w[c * inp + k].abs() as f64
                    })
                    .sum::<f64>()
                    + 1e-4;
                let got = y[r * out + c] as f64;
                assert!(
                    (got - exact).abs() <= bound,
                    "[{r}, {c}]: {got} vs {exact} (bound {bound})"
                );
            }
        }
    }

    #[test]
    fn vnni_kernel_gives_the_reference_bits_for_every_row_count() {
        if !Kernel::Avx512Vnni.runs_here() {
            eprintln!("no AVX512-VNNI on this CPU: the plain path is the one in use");
            return;
        }
        let (out, inp) = (96, 128);
        let (raw, _) = random_q4(out, inp, 4);
        let layer = QuantLinear::from_q4(&raw, out, inp, noise(5, out)).unwrap();
        for rows in [1, 2, 5, 6, 7, 13, 200] {
            let x = noise(6 + rows as u64, rows * inp);
            let fast = layer.forward(&x, rows);
            let plain = layer.forward_reference(&x, rows);
            assert!(
                fast.iter()
                    .zip(&plain)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{rows} rows: kernel and reference differ"
            );
        }
    }

    #[test]
    fn avx2_kernel_gives_the_reference_bits_for_every_row_count() {
        if !Kernel::Avx2.runs_here() {
            eprintln!("no AVX2 on this CPU: the plain path is the one in use");
            return;
        }
        let (out, inp) = (96, 128);
        let (raw, _) = random_q4(out, inp, 4);
        let layer = QuantLinear::from_q4(&raw, out, inp, noise(5, out)).unwrap();
        for rows in [1, 2, 3, 5, 6, 7, 13, 200] {
            let mut x = noise(6 + rows as u64, rows * inp);
            // Codes at both ends of int8: the 16-bit pair sums must not saturate.
            x[0] = 1e3;
            x[1] = -1e3;
            let fast = layer.forward_with(&x, rows, Kernel::Avx2);
            let plain = layer.forward_reference(&x, rows);
            assert!(
                fast.iter()
                    .zip(&plain)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{rows} rows: AVX2 kernel and reference differ"
            );
        }
    }

    #[test]
    fn the_best_kernel_this_cpu_runs_is_chosen() {
        let k = Kernel::detect();
        assert!(k.runs_here(), "{}", k.name());
        assert!(Kernel::Plain.runs_here());
        assert!(Kernel::Avx512Vnni < Kernel::Avx2 && Kernel::Avx2 < Kernel::Plain);
        if std::env::var_os("VERBATIM_INT8_KERNEL").is_none() {
            let best = [Kernel::Avx512Vnni, Kernel::Avx2, Kernel::Plain]
                .into_iter()
                .find(|k| k.runs_here());
            assert_eq!(Some(k), best);
        }
    }

    #[test]
    fn vector_quantization_gives_the_plain_bits() {
        if !Kernel::Avx512Vnni.runs_here() {
            eprintln!(
                "no AVX512-VNNI on this CPU: the vector quantisation is not in use, untested"
            );
            return;
        }
        let mut x = noise(40, 32 * 50);
        x[..32].fill(0.0); // an all-zero block: scale 0, codes 0
        x[32] = 127.0; // a block whose codes are exact integers, ties included below
        x[33] = 0.5;
        x[34] = -2.5;
        for src in x.chunks_exact(32) {
            let (mut plain, mut fast) = ([0i8; 32], [0i8; 32]);
            let expected = quantize_block(src, &mut plain);
            // SAFETY: AVX-512 was detected above.
            let got = unsafe { vnni::quantize_block_avx512(src, &mut fast) };
            assert_eq!(
                (plain, expected.0.to_bits(), expected.1),
                (fast, got.0.to_bits(), got.1)
            );
        }
        assert_eq!(quantize_block(&x[32..64], &mut [0; 32]).0, 1.0);
    }

    #[test]
    fn avx2_quantization_gives_the_plain_bits() {
        let Some(token) = Avx2::detect() else {
            eprintln!("no AVX2 on this CPU: its quantisation is not in use, untested");
            return;
        };
        let mut x = noise(41, 32 * 50);
        x[..32].fill(0.0);
        x[40] = -3.5; // a tie
        let layer = QuantLinear::from_q4(&random_q4(32, 32, 1).0, 32, 32, vec![0.0; 32]).unwrap();
        let plain = layer.quantize(&x, 50, None, None);
        let fast = layer.quantize(&x, 50, None, Some(token));
        assert_eq!((plain.codes, plain.offsets), (fast.codes, fast.offsets));
        let bits = |v: &[f32]| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&plain.scales), bits(&fast.scales));
    }

    #[test]
    fn stacking_equals_the_layers_side_by_side() {
        let inp = 64;
        let parts: Vec<_> = (0..3)
            .map(|i| {
                let (raw, _) = random_q4(32, inp, 10 + i);
                QuantLinear::from_q4(&raw, 32, inp, noise(20 + i, 32)).unwrap()
            })
            .collect();
        let x = noise(30, 3 * inp);
        let separate: Vec<Vec<f32>> = parts.iter().map(|p| p.forward(&x, 3)).collect();
        let stacked = QuantLinear::stacked(&parts).unwrap().forward(&x, 3);
        for r in 0..3 {
            for (i, s) in separate.iter().enumerate() {
                assert_eq!(&stacked[r * 96 + i * 32..][..32], &s[r * 32..][..32]);
            }
        }
    }

    #[test]
    fn tiles_cover_every_row_of_every_panel_once() {
        for (rows, max) in [(1, 6), (7, 6), (200, 6), (385, 2), (13, 1)] {
            let mut seen = vec![0u8; rows * 3];
            for (r, n, panel) in tiles(rows, 3, max) {
                assert!((1..=max).contains(&n));
                for row in r..r + n {
                    seen[row * 3 + panel] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{rows} rows by {max}");
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(QuantLinear::from_q4(&[0; 18], 32, 33, vec![0.0; 32]).is_err());
        assert!(QuantLinear::from_q4(&[0; 18], 32, 32, vec![0.0; 32]).is_err());
    }
}
