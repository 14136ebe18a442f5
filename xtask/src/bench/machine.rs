//! The machine the bench runs on, and its measured peaks.

use super::peak;

/// What the CPU can do at most, for the share-of-peak column: both peaks are measured by a
/// loop of independent multiply-adds on every core, not taken from a datasheet.
pub struct Machine {
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
        let ghz = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("cpu MHz"))
                    .and_then(|l| l.split(':').nth(1))
                    .and_then(|v| v.trim().parse::<f64>().ok())
            })
            .map_or(2.0, |mhz| mhz / 1000.0);
        // Datasheet-style figure for f32: two fused multiply-add units per core, 2 FLOP per lane.
        let nominal = cores as f64 * ghz * lanes as f64 * 2.0 * 2.0;
        let (f32_gflops, int8_gops) = peak::measure(cores).unwrap_or((nominal, nominal));
        Machine {
            cores,
            lanes,
            ghz,
            f32_gflops,
            int8_gops,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} cores × {:.2} GHz × {} f32 lanes; measured peak {:.0} GFLOP/s f32 (FMA), {:.0} GOP/s int8 (VNNI)",
            self.cores, self.ghz, self.lanes, self.f32_gflops, self.int8_gops
        )
    }
}
