use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use verbatim::embed::{EmbedOptions, Embedder, EmbeddingCache};
use verbatim::{ingest, model, table};

use super::{ColumnArgs, ModelArgs};

#[derive(Args)]
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
    /// Do not read or write the embedding cache.
    #[arg(long)]
    no_cache: bool,
    /// Padded tokens per forward pass.
    #[arg(long, default_value_t = EmbedOptions::default().max_batch_tokens)]
    batch_tokens: usize,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let corpus = ingest::read(&args.input, &args.columns.read_options())?;
    for note in &corpus.notes {
        eprintln!("{}: {note}", args.input.display());
    }
    let loaded = model::load(&args.model.request())?;
    let cache = if args.no_cache {
        None
    } else {
        Some(EmbeddingCache::for_model(&loaded)?)
    };
    let options = EmbedOptions {
        max_batch_tokens: args.batch_tokens,
        ..EmbedOptions::default()
    };
    let mut embedder = Embedder::new(&loaded, cache, options);
    let texts: Vec<&str> = corpus.texts.iter().map(String::as_str).collect();
    let start = Instant::now();
    let emb = embedder.embed(&texts)?;
    let seconds = start.elapsed().as_secs_f64();
    table::write_embeddings(&args.out, &corpus.ids, &emb)?;
    let long = emb.windows.iter().filter(|&&w| w > 1).count();
    eprintln!(
        "embedded {} rows ({} from the cache, {} computed, {long} long texts split into windows) in {seconds:.1}s → {}",
        emb.len(),
        emb.cache_hits,
        emb.computed,
        args.out.display()
    );
    Ok(())
}
