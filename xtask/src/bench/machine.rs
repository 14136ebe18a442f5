//! The machine the bench runs on, and its measured peaks.

use super::peak;

/// What the CPU can do at most, for the share-of-peak column: both peaks are measured by a
/// loop of independent multiply-adds on every core, not taken from a datasheet.
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo`), and the vector features the kernels look for.
    cpu: String,
    features: Vec<&'static str>,
    cores: usize,
    lanes: usize,
    ghz: f64,
    pub f32_gflops: f64,
    pub int8_gops: f64,
}

impl Machine {
    pub fn detect(cores: usize) -> Machine {
        #[cfg(target_arch = "x86_64")]
        let lanes = if is_x86_feature_detected!("avx512f") {
            16
        } else if is_x86_feature_detected!("avx2") {
            8
        } else {
            4
        };
        #[cfg(not(target_arch = "x86_64"))]
        let lanes = 4;
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            info.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        };
        let ghz = field("cpu MHz")
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(2.0, |mhz| mhz / 1000.0);
        let cpu = field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string());
        // Datasheet-style figure for f32: two fused multiply-add units per core, 2 FLOP per lane.
        let nominal = cores as f64 * ghz * lanes as f64 * 2.0 * 2.0;
        let (f32_gflops, int8_gops) = peak::measure(cores).unwrap_or((nominal, nominal));
        Machine {
            cpu,
            features: features(),
            cores,
            lanes,
            ghz,
            f32_gflops,
            int8_gops,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} cores × {:.2} GHz × {} f32 lanes; measured peak {:.0} GFLOP/s f32 (FMA), {:.0} GOP/s int8 ({})",
            self.cores,
            self.ghz,
            self.lanes,
            self.f32_gflops,
            self.int8_gops,
            verbatim::model::quant::Kernel::detect().name()
        )
    }

    /// The CPU and the features that decide which kernels run (lscpu's names).
    pub fn cpu(&self) -> String {
        format!("{} ({})", self.cpu, self.features.join(" "))
    }
}

/// The vector features the encoder's kernels and gemm choose between, as lscpu names them.
fn features() -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let all = [
            ("avx2", is_x86_feature_detected!("avx2")),
            ("fma", is_x86_feature_detected!("fma")),
            ("avx_vnni", is_x86_feature_detected!("avxvnni")),
            ("avx512f", is_x86_feature_detected!("avx512f")),
            ("avx512bw", is_x86_feature_detected!("avx512bw")),
            ("avx512_vnni", is_x86_feature_detected!("avx512vnni")),
            ("avx512_bf16", is_x86_feature_detected!("avx512bf16")),
        ];
        let has: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        if has.is_empty() { vec!["no AVX2"] } else { has }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        vec![]
    }
}
