use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::evaluate::files::EvaluateConfig;
use verbatim::pipeline::{self, OutputOptions, RunConfig, VectorOptions};
use verbatim::stages::categories::mapping::MapOptions;
use verbatim::stages::categories::none::NoneThreshold;
use verbatim::stages::curate::previous::PreviousChoice;
use verbatim::stages::curate::stage::CurateOptions;
use verbatim::stages::describe::keywords::DescribeOptions;
use verbatim::stages::themes::cluster::ClusterOptions;
use verbatim::stages::themes::near_duplicates::NearDuplicateOptions;
use verbatim::stages::write::csv::CsvStyle;

use super::{CacheArgs, ColumnArgs, ModelArgs, at_least, between};

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim run --input temoignages.csv --out out
  verbatim run --input export.xlsx --out out --excel --gold etiquetage.csv
  verbatim run --input reponses.parquet --text-column reponse --taxonomy piliers.toml --out out
  verbatim run --input temoignages.csv --out out --edits edits.toml
  verbatim run --input temoignages.csv --out out --by profil --by region
  verbatim run --input questions.csv --out out --by-file meta.csv --by groupe")]
pub struct RunArgs {
    /// Testimonies: a table (CSV with any of , ; tab, Excel or OpenDocument sheet, Parquet, JSON
    /// Lines), or a folder or quoted glob of documents (.txt .md .html .docx .odt .pdf .xlsx .ods),
    /// one contribution each.
    #[arg(long)]
    input: PathBuf,
    /// Unit of analysis: whole texts, passages of about 40–120 words cut at sentence ends, or auto
    /// (passages when the median text exceeds 120 words or the input is a folder of documents).
    #[arg(long, value_enum, default_value_t = pipeline::UnitChoice::default())]
    unit: pipeline::UnitChoice,
    /// Output directory (created; existing outputs are replaced atomically).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    columns: ColumnArgs,
    /// Categories as TOML (default: the four Ségur pillars).
    #[arg(long)]
    taxonomy: Option<PathBuf>,
    /// Number of themes (default: chosen by silhouette).
    #[arg(long, value_parser = at_least(1), allow_hyphen_values = true)]
    themes: Option<usize>,
    /// Smallest theme kept (default: 1% of the testimonies, between 3 and 50).
    #[arg(long, value_parser = at_least(1), allow_hyphen_values = true)]
    min_theme_size: Option<usize>,
    /// Seed of the clustering; same input and seed give the same output.
    #[arg(long, default_value_t = ClusterOptions::default().seed, value_parser = super::seed, allow_hyphen_values = true)]
    seed: u64,
    /// Quotes per theme.
    #[arg(long, default_value_t = DescribeOptions::default().quotes, value_parser = at_least(1), allow_hyphen_values = true)]
    quotes: usize,
    /// Keywords per theme.
    #[arg(long, default_value_t = DescribeOptions::default().keywords, value_parser = at_least(1), allow_hyphen_values = true)]
    keywords: usize,
    /// Longest quote, in characters, before it is cut at a sentence end.
    #[arg(long, default_value_t = DescribeOptions::default().quote_chars, value_parser = at_least(40), allow_hyphen_values = true)]
    quote_chars: usize,
    /// Diversity of the quotes of a theme, from 0 (the most central testimonies) to 1 (each as
    /// different as possible from those already picked).
    #[arg(long, default_value_t = DescribeOptions::default().quote_diversity, value_parser = between(0.0, 1.0))]
    quote_diversity: f64,
    /// Up to this many distinct texts, near-duplicates are searched across the whole corpus;
    /// above, within each theme of a first clustering (faster, may miss a campaign split in two).
    #[arg(long, default_value_t = NearDuplicateOptions::default().whole_corpus_up_to)]
    near_duplicate_search: usize,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    cache: CacheArgs,
    /// Write CSV for a French Excel: `;` separator and a UTF-8 BOM.
    #[arg(long)]
    excel: bool,
    /// Manually tagged testimonies (columns id and category id or name) for few-shot mapping.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Folds of the cross-validated agreement with the tags of --labels.
    #[arg(long, default_value_t = MapOptions::default().folds, value_parser = at_least(2), allow_hyphen_values = true)]
    folds: usize,
    /// When a testimony goes to `none`, outside the taxonomy: `auto` (its relevance, column
    /// taxonomy_relevance, is an outlier below the corpus's own: under the median by 2 robust
    /// standard deviations, and among the lowest 3%), or a fixed relevance from -1 (none off: a
    /// cosine is never below it) to 1.
    #[arg(long, default_value = "auto", allow_hyphen_values = true, value_parser = none_threshold)]
    none_threshold: NoneThreshold,
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
    /// Form themes across the whole corpus rather than within each category (where every
    /// testimony of a theme has the theme's category); a theme then goes under the category most
    /// of its testimonies have.
    #[arg(long)]
    themes_across_categories: bool,
    /// Map with the peers' baseline (raw cosine to the descriptions) instead of the label-free method.
    #[arg(long)]
    zero_shot: bool,
    /// Use vectors computed elsewhere instead of embedding here: Parquet files with columns id and
    /// embedding (`verbatim embed`'s output, the parts of `embed --shard`, or another tool's), as
    /// paths or quoted globs. The model still embeds the taxonomy, so it must be the same model.
    #[arg(long, num_args = 1..)]
    embeddings: Vec<String>,
    /// The analyst's decisions (rename, merge, split, move, drop, pin, hide, category), replayed
    /// after the automatic stages in file order: see README, "Curate the draft".
    #[arg(long)]
    edits: Option<PathBuf>,
    /// An edit that no longer applies (its theme or ids vanished) is an error, not a warning.
    #[arg(long, requires = "edits")]
    strict_edits: bool,
    /// The run whose theme keys this one continues and compares itself with (changes.*);
    /// default: the run already in --out, read before it is replaced.
    #[arg(long, conflicts_with = "no_previous")]
    previous: Option<PathBuf>,
    /// Continue no earlier run: every theme gets a new key.
    #[arg(long)]
    no_previous: bool,
    #[command(flatten)]
    by: super::ByArgs,
    /// Write report.html and report.md only, not report.docx and report.odt.
    #[arg(long)]
    no_office: bool,
    /// Exact and near copies of one text from this many documents are a campaign
    /// (campaigns.{parquet,csv,xlsx}; --count distinct counts each once).
    #[arg(long, default_value_t = verbatim::who::campaigns::DEFAULT_MIN, value_parser = at_least(2), allow_hyphen_values = true)]
    campaign_min: usize,
}

impl RunArgs {
    /// The one high-level configuration the pipeline's stages are built from.
    fn config(&self) -> Result<RunConfig> {
        Ok(RunConfig {
            read: self.columns.read_options(),
            unit: self.unit,
            taxonomy: self.taxonomy.clone(),
            model: self.model.request(),
            vectors: VectorOptions {
                use_cache: !self.cache.no_cache,
                cache_max_bytes: verbatim::stages::embed::cache::gigabytes(self.cache.cache_max_gb),
                embeddings: super::expand_globs(&self.embeddings)?,
                ..VectorOptions::default()
            },
            near_duplicates: NearDuplicateOptions {
                whole_corpus_up_to: self.near_duplicate_search,
                ..NearDuplicateOptions::default()
            },
            cluster: ClusterOptions {
                seed: self.seed,
                themes: self.themes,
                min_size: self.min_theme_size,
                ..ClusterOptions::default()
            },
            map: MapOptions {
                zero_shot: self.zero_shot,
                none_threshold: self.none_threshold,
                folds: self.folds,
                ..MapOptions::default()
            },
            theme_scope: if self.themes_across_categories {
                pipeline::ThemeScope::AcrossCategories
            } else {
                pipeline::ThemeScope::WithinCategories
            },
            labels: self.labels.clone(),
            describe: DescribeOptions {
                quotes: self.quotes,
                keywords: self.keywords,
                quote_chars: self.quote_chars,
                quote_diversity: self.quote_diversity,
            },
            output: OutputOptions {
                csv: if self.excel {
                    CsvStyle::excel()
                } else {
                    CsvStyle::plain()
                },
                pseudonymise: !self.no_pseudonymise,
            },
            curate: CurateOptions {
                edits: self.edits.clone(),
                strict: self.strict_edits,
                previous: match (&self.previous, self.no_previous) {
                    (Some(dir), _) => PreviousChoice::Dir(dir.clone()),
                    (None, true) => PreviousChoice::None,
                    (None, false) => PreviousChoice::InOutput,
                },
            },
            who: self.by.options(self.campaign_min),
            ..RunConfig::new(self.input.clone(), self.out.clone())
        })
    }
}

pub fn run(args: RunArgs) -> Result<()> {
    let config = args.config()?;
    // The folder is this run's from the first read to the report: a second run into it stops.
    let _lock = verbatim::stages::write::record::OutputLock::acquire(&config.out)?;
    let evaluation = args.gold.as_ref().map(|gold| EvaluateConfig {
        predictions: config.out.join("assignments.parquet"),
        gold: gold.clone(),
        gold_column: None,
        id_column: None,
        label_map: None,
        exclude_unknown: false,
        out: config.out.clone(),
        seed: config.cluster.seed,
        csv: config.output.csv,
        gold_unit: Default::default(),
        pred_column: "pillar".into(),
        other_gold: Vec::new(),
    });
    let mut config = config;
    if let Some(e) = &evaluation {
        let taxonomy = verbatim::taxonomy::Taxonomy::load(config.taxonomy.as_ref())?;
        let categories: Vec<(String, String)> = taxonomy
            .categories
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let ids = verbatim::evaluate::files::check_gold(e, &categories)?;
        config.gold_ids = Some((e.gold.clone(), ids));
    }
    let summary = pipeline::run(&config)?;
    match summary.passages {
        None => log::info!(
            "{} rows → {} themes; wrote {}/themes.{{parquet,csv,xlsx}}, assignments.{{parquet,csv,xlsx}}, run.json",
            summary.rows,
            summary.themes,
            summary.out.display()
        ),
        Some(passages) => log::info!(
            "{} documents, {passages} passages → {} themes; wrote {}/themes.{{parquet,csv,xlsx}}, passages.{{…}}, assignments.{{…}} (one row per document), run.json",
            summary.rows,
            summary.themes,
            summary.out.display()
        ),
    }
    if let Some(e) = &evaluation {
        let evaluation = verbatim::evaluate::files::evaluate(e)?;
        log::info!(
            "agreement with the manual tagging: accuracy {:.3}, macro-F1 {:.3}, kappa {:.3} → {}/evaluation.md",
            evaluation.accuracy,
            evaluation.macro_f1,
            evaluation.cohen_kappa,
            summary.out.display()
        );
    }
    verbatim::report::write_report(&summary.out, args.lang, !args.no_office)?;
    match args.no_office {
        false => log::info!(
            "report: {}/report.html, report.md, report.docx and report.odt",
            summary.out.display()
        ),
        true => log::info!(
            "report: {}/report.html and report.md",
            summary.out.display()
        ),
    }
    Ok(())
}

/// `auto` or a relevance from -1 to 1.
fn none_threshold(s: &str) -> Result<NoneThreshold, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(NoneThreshold::Auto);
    }
    between(-1.0, 1.0)(s)
        .map(|v| NoneThreshold::Fixed(v as f32))
        .map_err(|e| format!("{e} (or auto)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_threshold_is_auto_or_a_relevance() {
        assert_eq!(none_threshold("auto"), Ok(NoneThreshold::Auto));
        assert_eq!(none_threshold(" AUTO "), Ok(NoneThreshold::Auto));
        assert_eq!(none_threshold("-0.05"), Ok(NoneThreshold::Fixed(-0.05)));
        assert!(none_threshold("nan").unwrap_err().contains("or auto"));
        assert!(none_threshold("2").unwrap_err().contains("outside -1 to 1"));
    }
}
