use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::embed::{EmbedOptions, Embedder};
use verbatim::{ingest, model};

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
    let tokens: u64 = emb.tokens.iter().map(|&t| t as u64).sum();
    let threads = rayon::current_num_threads();
    // e5-small: about 2 × 21M weights of multiply-adds per token (attention scores aside).
    let gflops = tokens as f64 * 42e6 / seconds / 1e9;
    println!(
        "model          {} ({})",
        loaded.info.name,
        &loaded.info.sha256[..12]
    );
    println!("texts          {n} ({} distinct)", emb.computed);
    println!("threads        {threads}");
    println!("load           {load_s:.2} s");
    println!("embed          {seconds:.2} s");
    println!("texts/s        {:.1}", emb.computed as f64 / seconds);
    println!("tokens/s       {:.0}", tokens as f64 / seconds);
    println!("GFLOP/s        {gflops:.1}");
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory    {mib:.0} MiB");
    }
    Ok(())
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
