//! The CPU's peak arithmetic rate, measured rather than taken from a datasheet: every core runs
//! a loop of independent multiply-adds (f32 FMA, then the int8 kernel's dot products) for a few
//! tens of milliseconds. The bench divides each embedder's rate by the peak of the arithmetic it uses.

/// (f32 GFLOP/s, int8 GOP/s) over `cores` threads; `None` on CPUs without AVX2 and FMA, where
/// the bench falls back to the nominal f32 figure. The f32 peak is the widest FMA the CPU has
/// (gemm's f32 products use it); the int8 one is the instructions the int8 kernel runs:
/// `vpdpbusd` with AVX-512 VNNI, else AVX2's `vpmaddubsw` + `vpmaddwd` + `vpaddd` (also when
/// `VERBATIM_INT8_KERNEL=avx2` asks for that kernel).
pub fn measure(cores: usize) -> Option<(f64, f64)> {
    use verbatim::model::quant::Kernel;
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let wide = is_x86_feature_detected!("avx512f");
        let f32_ops = rate(cores, |iterations| {
            // SAFETY: the features were just detected.
            unsafe {
                if wide {
                    x86::fma_loop(iterations)
                } else {
                    x86::fma_loop_avx2(iterations)
                }
            }
        });
        let vnni = Kernel::detect() == Kernel::Avx512Vnni;
        let int8_ops = rate(cores, |iterations| {
            // SAFETY: as above (the VNNI kernel is detected only where the CPU has it).
            unsafe {
                if vnni {
                    x86::vnni_loop(iterations)
                } else {
                    x86::int8_loop_avx2(iterations)
                }
            }
        });
        return Some((f32_ops / 1e9, int8_ops / 1e9));
    }
    let _ = cores;
    None
}

/// Operations per second of `kernel` (which returns how many it did) run on `cores` threads at
/// once; the best of three tries, since other work on the machine can only slow it down.
#[cfg(target_arch = "x86_64")]
fn rate(cores: usize, kernel: impl Fn(u64) -> f64 + Sync) -> f64 {
    const ITERATIONS: u64 = 4_000_000;
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let ops: f64 = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..cores)
                    .map(|_| scope.spawn(|| kernel(ITERATIONS)))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
            });
            ops / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Twelve independent accumulators: enough to hide the latency on two FMA units.
    const CHAINS: usize = 12;

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma_loop(iterations: u64) -> f64 {
        let x = _mm512_set1_ps(std::hint::black_box(0.999_999));
        let y = _mm512_set1_ps(std::hint::black_box(1e-7));
        let mut acc = [_mm512_setzero_ps(); CHAINS];
        for _ in 0..iterations {
            for a in acc.iter_mut() {
                *a = _mm512_fmadd_ps(*a, x, y);
            }
        }
        std::hint::black_box(acc);
        // 16 lanes × 2 FLOP per fused multiply-add.
        (iterations as usize * CHAINS * 16 * 2) as f64
    }

    /// # Safety
    /// The CPU must have AVX-512F and AVX-512 VNNI.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub unsafe fn vnni_loop(iterations: u64) -> f64 {
        let x = _mm512_set1_epi32(std::hint::black_box(0x0102_0304));
        let y = _mm512_set1_epi32(std::hint::black_box(0x0101_0101));
        let mut acc = [_mm512_setzero_si512(); CHAINS];
        for _ in 0..iterations {
            for a in acc.iter_mut() {
                *a = _mm512_dpbusd_epi32(*a, x, y);
            }
        }
        std::hint::black_box(acc);
        // 16 lanes × 4 byte products × 2 operations (multiply, add).
        (iterations as usize * CHAINS * 16 * 4 * 2) as f64
    }

    /// [`fma_loop`] on 256-bit registers.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma_loop_avx2(iterations: u64) -> f64 {
        let x = _mm256_set1_ps(std::hint::black_box(0.999_999));
        let y = _mm256_set1_ps(std::hint::black_box(1e-7));
        let mut acc = [_mm256_setzero_ps(); CHAINS];
        for _ in 0..iterations {
            for a in acc.iter_mut() {
                *a = _mm256_fmadd_ps(*a, x, y);
            }
        }
        std::hint::black_box(acc);
        // 8 lanes × 2 FLOP per fused multiply-add.
        (iterations as usize * CHAINS * 8 * 2) as f64
    }

    /// The AVX2 kernel's three instructions per 32 byte products: `vpmaddubsw` (pairs of byte
    /// products into 16 bits), `vpmaddwd` by ones (into 32 bits), `vpaddd`. The accumulator is
    /// fed back as the unsigned operand so that the compiler cannot hoist the products out.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn int8_loop_avx2(iterations: u64) -> f64 {
        let y = _mm256_set1_epi32(std::hint::black_box(0x0101_0101));
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_si256(); CHAINS];
        for _ in 0..iterations {
            for a in acc.iter_mut() {
                let pairs = _mm256_maddubs_epi16(*a, y);
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(pairs, ones));
            }
        }
        std::hint::black_box(acc);
        // 32 byte products × 2 operations (multiply, add).
        (iterations as usize * CHAINS * 32 * 2) as f64
    }
}
