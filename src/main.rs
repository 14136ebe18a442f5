use clap::{Parser, Subcommand};

mod cmd;

/// Turn thousands of free-text French testimonies into themes mapped onto policy categories.
#[derive(Parser)]
#[command(name = "verbatim", version, about)]
struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install, inspect or export the sentence encoder.
    #[command(subcommand)]
    Model(cmd::model::ModelCommand),
    /// Find the themes of a file of testimonies and map them onto the categories.
    Run(cmd::run::RunArgs),
    /// Agreement of a run's categories and themes with a manual tagging.
    Evaluate(cmd::evaluate::EvaluateArgs),
    /// Rebuild report.html and report.md from a run's tables, without recomputing.
    Report(cmd::report::ReportArgs),
    /// Embed the texts of a file into a Parquet table of vectors.
    Embed(cmd::embed::EmbedArgs),
    /// Measure embedding throughput on a file of texts.
    Bench(cmd::bench::BenchArgs),
}

fn main() {
    let cli = Cli::parse();
    let threads = cli
        .threads
        .or_else(|| std::env::var("RAYON_NUM_THREADS").ok()?.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // The embedder runs one batch per thread, so candle itself must stay single-threaded: it reads
    // these variables (before any of its threads exist). rayon's own pool gets the real count.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    let result = match cli.command {
        Command::Model(c) => cmd::model::run(c),
        Command::Run(a) => cmd::run::run(a),
        Command::Evaluate(a) => cmd::evaluate::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Embed(a) => cmd::embed::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
