use anyhow::{Context, Result};
use clap::Subcommand;
use verbatim::stages::embed::cache::{cache_dir, cache_files};

#[derive(Subcommand)]
pub enum CacheCommand {
    /// Where the embedding cache is, its files (one per model, prefix and engine) and their size.
    #[command(after_help = "Example:\n  verbatim cache info")]
    Info,
    /// Remove every file of the embedding cache (the next runs embed again).
    #[command(after_help = "Example:\n  verbatim cache clear")]
    Clear,
}

pub fn run(command: CacheCommand) -> Result<()> {
    let dir = cache_dir();
    let files = cache_files(&dir)?;
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    match command {
        CacheCommand::Info => {
            println!("embedding cache: {}", dir.display());
            for f in &files {
                println!("{:>12} bytes  {}", f.bytes, f.path.display());
            }
            println!(
                "{} files, {:.3} GB (limit: --cache-max-gb, default {} GB)",
                files.len(),
                total as f64 / 1e9,
                verbatim::stages::embed::cache::DEFAULT_CACHE_MAX_GB
            );
        }
        CacheCommand::Clear => {
            for f in &files {
                std::fs::remove_file(&f.path)
                    .with_context(|| format!("cannot remove {}", f.path.display()))?;
            }
            log::info!(
                "removed {} cache files ({:.3} GB) from {}",
                files.len(),
                total as f64 / 1e9,
                dir.display()
            );
        }
    }
    Ok(())
}
