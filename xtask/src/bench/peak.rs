//! The CPU's peak arithmetic rate, measured rather than taken from a datasheet: every core runs
//! a loop of independent multiply-adds (f32 FMA, then int8 VNNI dot products) for a few tens of
//! milliseconds. The bench divides each embedder's rate by the peak of the arithmetic it uses.

/// (f32 GFLOP/s, int8 GOP/s) over `cores` threads; `None` on CPUs without AVX-512 VNNI, where the
/// bench falls back to the nominal f32 figure.
pub fn measure(cores: usize) -> Option<(f64, f64)> {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vnni") {
        let f32_ops = rate(cores, |iterations| {
            // SAFETY: the features were just detected.
            unsafe { x86::fma_loop(iterations) }
        });
        let int8_ops = rate(cores, |iterations| {
            // SAFETY: as above.
            unsafe { x86::vnni_loop(iterations) }
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
}
