use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::evaluate::files::{self, EvaluateConfig};

#[derive(Args)]
pub struct EvaluateArgs {
    /// The run's assignments (assignments.parquet or assignments.csv).
    #[arg(long)]
    predictions: PathBuf,
    /// Manual tagging: an id column and a label column (CSV, Parquet or JSON Lines); several labels
    /// in one cell are separated by "|".
    #[arg(long)]
    gold: PathBuf,
    /// Column of the gold file holding the labels (default: label, pilier, categorie… or the only one).
    #[arg(long)]
    gold_column: Option<String>,
    /// Column of the gold file holding the ids (default: "id").
    #[arg(long)]
    id_column: Option<String>,
    /// CSV mapping gold labels to category ids (two columns), for labels that match no id or name.
    #[arg(long)]
    label_map: Option<PathBuf>,
    /// Leave out (and report) unknown labels and ids missing from the predictions instead of failing.
    #[arg(long)]
    exclude_unknown: bool,
    /// Where to write evaluation.json, evaluation.md and the CSV tables (default: beside the predictions).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
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
        gold: args.gold,
        gold_column: args.gold_column,
        id_column: args.id_column,
        label_map: args.label_map,
        exclude_unknown: args.exclude_unknown,
        out: out.clone(),
        seed: args.seed,
    };
    let json = files::evaluate(&config)?;
    let ci = &json["confidence_intervals_95"];
    eprintln!(
        "accuracy {:.3} [{:.3}, {:.3}], macro-F1 {:.3} [{:.3}, {:.3}], kappa {:.3}, coverage {:.3} on {} rows → {}/evaluation.md",
        json["accuracy"].as_f64().unwrap_or(0.0),
        ci["accuracy"]["low"].as_f64().unwrap_or(0.0),
        ci["accuracy"]["high"].as_f64().unwrap_or(0.0),
        json["macro_f1"].as_f64().unwrap_or(0.0),
        ci["macro_f1"]["low"].as_f64().unwrap_or(0.0),
        ci["macro_f1"]["high"].as_f64().unwrap_or(0.0),
        json["cohen_kappa"].as_f64().unwrap_or(0.0),
        json["coverage"].as_f64().unwrap_or(0.0),
        json["rows"]["evaluated"],
        out.display()
    );
    Ok(())
}
