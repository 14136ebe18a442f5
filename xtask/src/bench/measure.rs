//! One timed embedder: verbatim here, a peer in `peers`; and the table that compares them.

use std::time::Instant;

use anyhow::Result;
use verbatim::model::LoadedModel;
use verbatim::model::bert::Arithmetic;
use verbatim::stages::embed::embedder::{EmbedOptions, Embedder, Embeddings};
use verbatim::stages::write::record::peak_rss_mib;

use super::machine::Machine;

/// One embedder's timing on the benchmark texts.
pub struct Measurement {
    pub name: String,
    pub seconds: f64,
    pub tokens: u64,
    pub load_s: f64,
    pub peak_mib: Option<f64>,
    /// Smallest cosine between this embedder's vectors and verbatim f32's, text by text.
    pub min_cosine: Option<f64>,
    /// The arithmetic of its matrix products, for the share-of-peak column.
    pub arithmetic: Arithmetic,
}

pub struct Timed {
    pub measurement: Measurement,
    pub embeddings: Embeddings,
}

pub fn time_verbatim(
    loaded: &LoadedModel,
    texts: &[&str],
    options: EmbedOptions,
    load_s: f64,
) -> Result<Timed> {
    let mut embedder = Embedder::new(loaded, None, options);
    let start = Instant::now();
    let embeddings = embedder.embed(texts)?;
    let seconds = start.elapsed().as_secs_f64();
    let arithmetic = loaded.encoder.arithmetic();
    Ok(Timed {
        measurement: Measurement {
            name: match arithmetic {
                Arithmetic::F32 => "verbatim f32".into(),
                Arithmetic::Q4xQ8 => format!(
                    "verbatim 4-bit × int8 ({})",
                    verbatim::model::quant::Kernel::detect().name()
                ),
            },
            seconds,
            tokens: embeddings.tokens.iter().map(|&t| t as u64).sum(),
            load_s,
            peak_mib: peak_rss_mib(),
            min_cosine: None,
            arithmetic,
        },
        embeddings,
    })
}

/// Smallest cosine, row by row, between `ours` (unit vectors) and `other` (any length).
pub fn min_cosine(ours: &Embeddings, other: &[f32]) -> f64 {
    other
        .chunks_exact(ours.dim)
        .zip(ours.vectors.chunks_exact(ours.dim))
        .map(|(a, b)| {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
            dot as f64 / na.max(1e-12) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Starts the kernel's peak-memory count afresh (`VmHWM`), so that each row's peak is its own.
pub fn reset_peak_rss() {
    // Linux only; elsewhere the later rows' peaks include the earlier ones'.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Prints one line per embedder: speed, share of the machine's peak, ratio to the first row.
pub fn print_table(rows: &[Measurement], n: usize, machine: &Machine) {
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>10}",
        "embedder",
        "texts/s",
        "tokens/s",
        "GFLOP/s",
        "of peak",
        "load s",
        "peak MiB",
        "ratio",
        "min cos"
    );
    let fastest_ours = n as f64 / rows[0].seconds;
    for m in rows {
        let texts_per_s = n as f64 / m.seconds;
        // e5-small: about 2 × 21M weights of multiply-adds per token (attention scores aside).
        let gflops = m.tokens as f64 * 42e6 / m.seconds / 1e9;
        let peak = match m.arithmetic {
            Arithmetic::F32 => machine.f32_gflops,
            Arithmetic::Q4xQ8 => machine.int8_gops,
        };
        println!(
            "{:<26} {:>9.1} {:>9.0} {:>9.1} {:>8.0}% {:>8.2} {:>9} {:>7.2}× {:>10}",
            m.name,
            texts_per_s,
            m.tokens as f64 / m.seconds,
            gflops,
            100.0 * gflops / peak,
            m.load_s,
            m.peak_mib.map_or("-".into(), |v| format!("{v:.0}")),
            fastest_ours / texts_per_s,
            m.min_cosine.map_or("-".into(), |c| format!("{c:.5}")),
        );
    }
    println!(
        "(ratio: verbatim's texts/s over the row's; min cos: lowest cosine, text by text, to verbatim f32;"
    );
    println!(" of peak: over the f32 peak, or the int8 peak for rows on 8-bit integer products)");
}
