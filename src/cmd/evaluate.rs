use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::evaluate::files::{self, EvaluateConfig};

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim evaluate --predictions out/assignments.parquet --gold etiquetage.csv
  verbatim evaluate --predictions out/assignments.csv --gold tags.csv --gold-column pilier --label-map labels.csv
  verbatim evaluate --predictions out/assignments.parquet --gold tags.csv --exclude-unknown --excel")]
pub struct EvaluateArgs {
    /// The run's assignments (assignments.parquet or assignments.csv).
    #[arg(long)]
    predictions: PathBuf,
    /// Manual tagging: an id column and a label column (CSV, Parquet or JSON Lines); several labels
    /// in one cell are separated by "|". Give it several times (two analysts' taggings of
    /// overlapping rows) for the agreement between the people and the tool's with each; the
    /// evaluation itself is against the first.
    #[arg(long, required = true)]
    gold: Vec<PathBuf>,
    /// Column of the gold file holding the labels (default: label, pilier, categorie… or the only one).
    #[arg(long)]
    gold_column: Option<String>,
    /// Column of the gold file holding the ids (default: "id").
    #[arg(long)]
    id_column: Option<String>,
    /// CSV mapping gold labels to category ids (two columns), for labels that match no id or name
    /// (`--code-map`: the same for a REFI-QDA project's code names).
    #[arg(long, alias = "code-map")]
    label_map: Option<PathBuf>,
    /// Leave out (and report) unknown labels and ids missing from the predictions instead of failing.
    #[arg(long)]
    exclude_unknown: bool,
    /// Where to write evaluation.json, evaluation.md and the CSV tables (default: beside the predictions).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the CSV tables for a French Excel: `;`, a UTF-8 BOM and decimal commas.
    #[arg(long)]
    excel: bool,
    /// What the gold tags: documents (input rows; several categories in a cell as p1|p3, scored
    /// against the `pillars` list in passage mode) or passages (columns id and passage, scored
    /// against passages.*).
    #[arg(long, value_enum, default_value_t = files::GoldUnit::default())]
    gold_unit: files::GoldUnit,
    /// Column of the predictions holding the predicted label: a run's `pillar`, or any other
    /// table's (only `id` and this column are needed).
    #[arg(long, default_value = "pillar")]
    pred_column: String,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = verbatim::stages::themes::cluster::ClusterOptions::default().seed)]
    seed: u64,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| {
        args.predictions
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    let config = EvaluateConfig {
        predictions: args.predictions,
        gold: args.gold[0].clone(),
        gold_column: args.gold_column,
        id_column: args.id_column,
        label_map: args.label_map,
        exclude_unknown: args.exclude_unknown,
        out: out.clone(),
        seed: args.seed,
        gold_unit: args.gold_unit,
        other_gold: args.gold[1..].to_vec(),
        pred_column: args.pred_column,
        csv: if args.excel {
            verbatim::stages::write::csv::CsvStyle::excel()
        } else {
            verbatim::stages::write::csv::CsvStyle::plain()
        },
    };
    let _lock = verbatim::stages::write::record::OutputLock::acquire(&out)?;
    let spinner = verbatim::progress::spinner("evaluating (1,000 bootstrap resamples)");
    let e = files::evaluate(&config)?;
    spinner.finish_and_clear();
    let ci = &e.confidence_intervals_95;
    log::info!(
        "accuracy {:.3} [{:.3}, {:.3}], macro-F1 {:.3} [{:.3}, {:.3}], kappa {:.3}, coverage {:.3} on {} rows → {}/evaluation.md",
        e.accuracy,
        ci.accuracy.low,
        ci.accuracy.high,
        e.macro_f1,
        ci.macro_f1.low,
        ci.macro_f1.high,
        e.cohen_kappa,
        e.coverage,
        e.rows.evaluated,
        out.display()
    );
    Ok(())
}
