use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::stages::embed::embedder::{EmbedOptions, Embedder};
use verbatim::stages::embed::vectors as embed;
use verbatim::stages::read::ingest;
use verbatim::stages::write::table;
use verbatim::{model, text};

use super::{CacheArgs, ColumnArgs, ModelArgs};

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim embed --input temoignages.csv --out vectors.parquet
  verbatim embed --input temoignages.csv --out parts/part-0.parquet --shard 0/4")]
pub struct EmbedArgs {
    /// Testimonies: CSV (any of , ; tab), Parquet or JSON Lines.
    #[arg(long)]
    input: PathBuf,
    /// Parquet file to write (id, embedding, windows, tokens).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    columns: ColumnArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    cache: CacheArgs,
    /// Padded tokens per forward pass.
    #[arg(long, default_value_t = EmbedOptions::default().max_batch_tokens)]
    batch_tokens: usize,
    /// Embed only shard K of N (K from 0), chosen by a hash of each row's id: N machines running
    /// shards 0/N … N-1/N write parts that together hold every row once (`run --embeddings`
    /// reads them all).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected K/N, e.g. 0/4"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: K is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || k >= n {
        return Err(format!("{s:?}: K must be between 0 and N-1"));
    }
    Ok((k, n))
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let corpus = ingest::read(&args.input, &args.columns.read_options())?;
    ingest::log_notes(&args.input, &corpus.notes);
    let loaded = model::load(&args.model.request())?;
    let cache = args.cache.open(&loaded)?;
    let options = EmbedOptions {
        max_batch_tokens: args.batch_tokens,
        ..EmbedOptions::default()
    };
    let mut embedder = Embedder::new(&loaded, cache, options);
    let rows: Vec<usize> = match args.shard {
        Some((k, n)) => (0..corpus.len())
            .filter(|&i| embed::shard_of(&corpus.ids[i], n) == k)
            .collect(),
        None => (0..corpus.len()).collect(),
    };
    // What `run` embeds: the text with markup removed.
    let cleaned: Vec<std::borrow::Cow<str>> = rows
        .iter()
        .map(|&i| text::analysis_text(&corpus.texts[i]))
        .collect();
    let texts: Vec<&str> = cleaned.iter().map(|t| t.as_ref()).collect();
    let ids: Vec<String> = rows.iter().map(|&i| corpus.ids[i].clone()).collect();
    let start = Instant::now();
    let emb = embedder.embed(&texts)?;
    let seconds = start.elapsed().as_secs_f64();
    table::write_embeddings(&args.out, &ids, &emb, &loaded.info.sha256)?;
    let long = emb.windows.iter().filter(|&&w| w > 1).count();
    log::info!(
        "embedded {} rows{} ({} from the cache, {} computed, {long} long texts split into windows) in {seconds:.1}s → {}",
        emb.len(),
        args.shard
            .map_or(String::new(), |(k, n)| format!(" of shard {k}/{n}")),
        emb.cache_hits,
        emb.computed,
        args.out.display()
    );
    Ok(())
}
