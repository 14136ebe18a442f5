use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::pipeline::{self, RunConfig};
use verbatim::table::CsvStyle;

use super::{ColumnArgs, ModelArgs};

#[derive(Args)]
pub struct RunArgs {
    /// Testimonies: CSV (any of , ; tab), Parquet or JSON Lines.
    #[arg(long)]
    input: PathBuf,
    /// Output directory (created; existing outputs are replaced atomically).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    columns: ColumnArgs,
    /// Categories as TOML (default: the four Ségur pillars).
    #[arg(long)]
    taxonomy: Option<PathBuf>,
    /// Number of themes (default: chosen by silhouette).
    #[arg(long)]
    themes: Option<usize>,
    /// Smallest theme kept (default: 1% of the testimonies, between 3 and 50).
    #[arg(long)]
    min_theme_size: Option<usize>,
    /// Seed of the clustering; same input and seed give the same output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Quotes per theme.
    #[arg(long, default_value_t = 5)]
    quotes: usize,
    /// Keywords per theme.
    #[arg(long, default_value_t = 10)]
    keywords: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// Do not read or write the embedding cache.
    #[arg(long)]
    no_cache: bool,
    /// Write CSV for a French Excel: `;` separator and a UTF-8 BOM.
    #[arg(long)]
    excel: bool,
    /// Manually tagged testimonies (columns id and category id or name) for few-shot mapping.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Testimonies whose relevance to the taxonomy (centred cosine to the nearest category
    /// description, column taxonomy_relevance) is below this go to `none`, outside the taxonomy.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    none_threshold: f32,
    /// Manual tagging to evaluate the run against (as `verbatim evaluate --gold`); the evaluation
    /// files land in the output directory.
    #[arg(long)]
    gold: Option<PathBuf>,
    /// Language of report.html and report.md.
    #[arg(long, value_enum, default_value_t = verbatim::report::Lang::Fr)]
    lang: verbatim::report::Lang,
    /// Keep personal data (e-mails, phones, NIR, IBAN, addresses, names after a title) in quotes
    /// and keywords; by default they become placeholders such as [NOM].
    #[arg(long)]
    no_pseudonymise: bool,
    /// Map with the peers' baseline (raw cosine to the descriptions) instead of the label-free method.
    #[arg(long)]
    zero_shot: bool,
    /// Use vectors computed elsewhere instead of embedding here: Parquet files with columns id and
    /// embedding (`verbatim embed`'s output, the parts of `embed --shard`, or another tool's), as
    /// paths or quoted globs. The model still embeds the taxonomy, so it must be the same model.
    #[arg(long, num_args = 1..)]
    embeddings: Vec<String>,
}

pub fn run(args: RunArgs) -> Result<()> {
    let mut config = RunConfig::new(args.input, args.out);
    config.read = args.columns.read_options();
    config.taxonomy = args.taxonomy;
    config.themes = args.themes;
    config.min_theme_size = args.min_theme_size;
    config.seed = args.seed;
    config.quotes = args.quotes;
    config.keywords = args.keywords;
    config.model = args.model.request();
    config.use_cache = !args.no_cache;
    config.zero_shot = args.zero_shot;
    config.embeddings = super::expand_globs(&args.embeddings)?;
    config.labels = args.labels;
    config.none_threshold = args.none_threshold;
    config.pseudonymise = !args.no_pseudonymise;
    config.csv = if args.excel {
        CsvStyle::excel()
    } else {
        CsvStyle::plain()
    };
    let summary = pipeline::run(&config)?;
    eprintln!(
        "{} rows → {} themes; wrote {}/themes.{{parquet,csv}}, assignments.{{parquet,csv}}, run.json",
        summary.rows,
        summary.themes,
        summary.out.display()
    );
    if let Some(gold) = args.gold {
        let evaluation =
            verbatim::evaluate::files::evaluate(&verbatim::evaluate::files::EvaluateConfig {
                predictions: summary.out.join("assignments.parquet"),
                gold,
                gold_column: None,
                id_column: None,
                label_map: None,
                exclude_unknown: false,
                out: summary.out.clone(),
                seed: config.seed,
            })?;
        eprintln!(
            "agreement with the manual tagging: accuracy {:.3}, macro-F1 {:.3}, kappa {:.3} → {}/evaluation.md",
            evaluation["accuracy"].as_f64().unwrap_or(0.0),
            evaluation["macro_f1"].as_f64().unwrap_or(0.0),
            evaluation["cohen_kappa"].as_f64().unwrap_or(0.0),
            summary.out.display()
        );
    }
    verbatim::report::write_report(&summary.out, args.lang)?;
    eprintln!(
        "report: {}/report.html and report.md",
        summary.out.display()
    );
    Ok(())
}
