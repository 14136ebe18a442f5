use clap::{ArgAction, Parser, Subcommand};

mod cmd;

/// Turn thousands of free-text French testimonies into themes mapped onto policy categories.
#[derive(Parser)]
#[command(
    name = "verbatim",
    version,
    about,
    after_help = "Examples:\n  verbatim model fetch\n  verbatim run --input temoignages.csv --out out\n  verbatim evaluate --predictions out/assignments.parquet --gold etiquetage.csv\n\nLogs go to stderr (RUST_LOG is honoured); tables and reports to files; stdout stays free."
)]
struct Cli {
    /// Worker threads, at least 1 (default: all cores, or RAYON_NUM_THREADS). Results do not
    /// depend on it.
    #[arg(long, global = true, value_parser = cmd::at_least(1), allow_hyphen_values = true)]
    threads: Option<usize>,
    /// Errors only: no stage lines, no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// More detail: timings per stage, what was detected (-vv: everything).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    /// No progress bars or spinners (they are only drawn on a terminal anyway).
    #[arg(long, global = true)]
    no_progress: bool,
    #[command(subcommand)]
    command: Command,
}

/// The analyst's commands. The benchmarks are the lab's, not the product's: `cargo run --release
/// -p xtask -- bench …` (xtask/).
#[derive(Subcommand)]
enum Command {
    /// Find the themes of a file of testimonies and map them onto the categories.
    Run(Box<cmd::run::RunArgs>),
    /// Agreement of a run's categories and themes with a manual tagging.
    Evaluate(cmd::evaluate::EvaluateArgs),
    /// Pick the testimonies to tag by hand and write them as a tagging sheet (xlsx or CSV).
    Sample(cmd::sample::SampleArgs),
    /// Turn the decisions typed into a run's workbooks into the edits file `run --edits` replays.
    Edits(cmd::edits::EditsArgs),
    /// Rebuild the reports (HTML, Markdown, Word, OpenDocument) from a run's tables.
    Report(cmd::report::ReportArgs),
    /// Write a run as a REFI-QDA project or codebook (NVivo, ATLAS.ti, MAXQDA, QualCoder).
    Export(cmd::export::ExportArgs),
    /// Install, inspect or export the sentence encoder.
    #[command(subcommand)]
    Model(cmd::model::ModelCommand),
    /// Embed the texts of a file into a Parquet table of vectors.
    Embed(cmd::embed::EmbedArgs),
    /// See or empty the embedding cache.
    #[command(subcommand)]
    Cache(cmd::cache::CacheCommand),
}

fn main() {
    let cli = Cli::parse();
    cmd::logging::init(cli.quiet, cli.verbose);
    verbatim::progress::set_enabled(!cli.no_progress && !cli.quiet);
    // SAFETY: first thing in main after parsing and logging set-up: no other thread exists yet.
    unsafe { verbatim::stages::embed::embedder::init_threads(cli.threads) };
    let result = match cli.command {
        Command::Run(a) => cmd::run::run(*a),
        Command::Evaluate(a) => cmd::evaluate::run(a),
        Command::Sample(a) => cmd::sample::run(a),
        Command::Edits(a) => cmd::edits::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Model(c) => cmd::model::run(c),
        Command::Embed(a) => cmd::embed::run(a),
        Command::Cache(c) => cmd::cache::run(c),
    };
    if let Err(err) = result {
        log::error!("{err:#}");
        std::process::exit(1);
    }
}
