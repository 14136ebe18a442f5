//! `verbatim evaluate`: the configuration, the typed `Evaluation` (evaluation.json) and the flow:
//! read the predictions and the tagging (`read`), match them (`matching`), compute every figure
//! (`figures`), write the files (`write`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use serde::{Deserialize, Serialize};

use super::figures::*;
use super::matching::*;
use super::read::*;
use super::write::*;
use super::{CoveragePoint, Interval, MultiLabel, Partition, PerCategory};
use crate::labels::LabelMatcher;
use crate::stages::write::csv::CsvStyle;
use crate::stages::write::record::{RUN_RECORD, RunRecord, read_json};
use crate::text::fold;

#[derive(Debug, Clone)]
pub struct EvaluateConfig {
    /// `assignments.parquet` or `assignments.csv` of a run.
    pub predictions: PathBuf,
    /// Manual tagging: an id column and a label column (CSV, Parquet or JSON Lines).
    pub gold: PathBuf,
    pub gold_column: Option<String>,
    pub id_column: Option<String>,
    /// Two columns: gold label, category id (for labels that match no id or name).
    pub label_map: Option<PathBuf>,
    /// Report and leave out unknown labels and ids missing from the predictions instead of failing.
    pub exclude_unknown: bool,
    pub out: PathBuf,
    pub seed: u64,
    /// How the two CSV tables are written (`--excel`: `;`, BOM, decimal comma).
    pub csv: CsvStyle,
    /// What the gold tags: input rows (documents), or passages (`id` and `passage` columns).
    pub gold_unit: GoldUnit,
    /// The predictions' label column (`pillar` for a run's tables).
    pub pred_column: String,
    /// Other people's taggings of (some of) the same rows: their agreement with each other and
    /// with the tool is reported beside the evaluation against `gold`.
    pub other_gold: Vec<PathBuf>,
}

/// How far the taggers agree with each other, and the tool with each of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Taggers {
    /// The tagging files, `gold` first.
    pub files: Vec<String>,
    /// Rows tagged (with one category) by at least two of them.
    pub units: usize,
    /// Krippendorff's alpha (nominal) over those rows, with its 95% bootstrap interval.
    pub alpha: f64,
    pub alpha_interval: Interval,
    /// Cohen's kappa of each pair of taggers, then of the tool with each tagger.
    pub pairs: Vec<PairAgreement>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    pub rows: usize,
    pub kappa: f64,
    pub interval: Interval,
}

/// The unit a manual tagging is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GoldUnit {
    /// One tag per input row (document); several categories in a cell as `p1|p3`.
    #[default]
    Document,
    /// One tag per passage: columns `id` (the document's) and `passage` (its rank), scored against
    /// `passages.*` of a passage-mode run.
    Passage,
}

/// evaluation.json: every figure of an evaluation, read back by the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// The run whose assignments were evaluated (from its run.json), when there is one.
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(with = "crate::paths::lossy")]
    pub predictions: PathBuf,
    #[serde(with = "crate::paths::lossy")]
    pub gold: PathBuf,
    pub gold_column: String,
    pub rows: EvaluatedRows,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub weighted_f1: f64,
    pub cohen_kappa: f64,
    pub confidence_intervals_95: Intervals,
    /// Share of evaluated rows given a category (not `none`).
    pub coverage: f64,
    pub accuracy_on_covered: f64,
    pub accuracy_coverage_curve: Option<Curve>,
    pub ari: Option<f64>,
    pub nmi: Option<f64>,
    pub v_measure: Option<f64>,
    pub themes: Option<Partition>,
    /// How far each theme's category holds for its testimonies' gold labels.
    #[serde(default)]
    pub theme_categories: Option<ThemeCategories>,
    /// With several taggings (`--gold a --gold b`): agreement between the people and the tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taggers: Option<Taggers>,
    pub multi_label: Option<MultiLabel>,
    pub per_category: Vec<PerCategory>,
    pub confusion: Confusion,
}

/// Gold labels against the category of each testimony's theme (themes.parquet beside the
/// predictions): what a reader of a theme under a category is told.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThemeCategories {
    /// Share of the tagged rows whose gold label is their theme's category.
    pub rows: f64,
    /// Across themes with at least 5 tagged rows, outside `none`: the median and the lowest share.
    /// `None` when no theme has 5 tagged rows (a small tagging).
    pub median_theme: Option<f64>,
    pub lowest_theme: Option<f64>,
    pub themes: usize,
}

/// File name of the evaluation inside the output directory.
pub const EVALUATION: &str = "evaluation.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvaluatedRows {
    pub tagged: usize,
    pub evaluated: usize,
    pub single_label: usize,
    pub multi_label: usize,
    pub untagged_cells: usize,
    pub excluded_unknown_labels: Vec<String>,
    pub excluded_missing_ids: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intervals {
    pub method: String,
    pub seed: u64,
    pub accuracy: Interval,
    pub macro_f1: Interval,
    pub cohen_kappa: Interval,
}

/// Accuracy of the most confident rows, by the confidence column named.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Curve {
    pub confidence: String,
    pub points: Vec<CoveragePoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    pub rows_gold_columns_predicted: Vec<Vec<usize>>,
}

impl Evaluation {
    /// Reads `evaluation.json` from a run's output directory, when it is there.
    pub fn read_if_any(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(EVALUATION);
        path.exists().then(|| read_json(&path, dir)).transpose()
    }
}

pub use super::matching::{check_gold, check_gold_ids};

/// Runs the evaluation and writes its files into `config.out`.
pub fn evaluate(config: &EvaluateConfig) -> Result<Evaluation> {
    let (dir, run, mut predictions) = read_sealed_predictions(config)?;
    let taxonomy: Option<Vec<(String, String)>> = (run.as_ref()).map(|r| {
        r.taxonomy
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect()
    });
    let spans = passage_spans(&predictions);
    let names = resolver(&predictions);
    let (gold_ids, gold_cells, label_column) =
        read_gold(config, taxonomy.as_deref(), Some(&spans), Some(&names))?;
    let categories = categories_named(run.as_ref(), &mut predictions, &gold_cells);
    let matcher = LabelMatcher::new(&categories, config.label_map.as_deref())?;
    let matched = match_gold(&predictions, &gold_ids, &gold_cells, &matcher);
    let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
    check_matched(&matched, config, &label_column, &ids)?;
    let (evaluation, cls) = figures(&predictions, &matched, &ids, config);
    let theme_pillars = sealed_themes(dir, run.as_ref())?;
    let taggers = match config.other_gold.is_empty() {
        true => None,
        false => Some(taggers(
            config,
            (&gold_ids, &gold_cells),
            &matcher,
            &predictions,
            &ids,
        )?),
    };
    let evaluation = Evaluation {
        taggers,
        theme_categories: theme_pillars.and_then(|t| theme_categories(&predictions, &matched, &t)),
        run_id: run.map(|r| r.run_id),
        gold_column: label_column,
        rows: EvaluatedRows {
            tagged: gold_ids.len(),
            ..evaluation.rows
        },
        ..evaluation
    };
    write_files(&evaluation, &cls, &config.out, config.csv)?;
    Ok(evaluation)
}

/// The predictions, and the run beside them (a run of this version), read once: its taxonomy
/// names the categories, and the predictions must be the table it sealed, not one of another run.
fn read_sealed_predictions(
    config: &EvaluateConfig,
) -> Result<(&Path, Option<RunRecord>, Predictions)> {
    let dir = config.predictions.parent().unwrap_or(Path::new("."));
    // A run.json beside the predictions must be readable: its check that the predictions are the
    // table it sealed is never dropped without a word.
    let run = match dir.join(RUN_RECORD).exists() {
        true => Some(RunRecord::read(dir).with_context(|| {
            format!(
                "{} is beside the predictions but cannot be read: rerun `verbatim run`, or move it away to evaluate predictions of another source",
                dir.join(RUN_RECORD).display()
            )
        })?),
        false => None,
    };
    let path = match config.gold_unit {
        GoldUnit::Document => config.predictions.clone(),
        GoldUnit::Passage => passages_beside(&config.predictions),
    };
    if let (Some(run), Some(name)) = (&run, path.file_name()) {
        run.check_output(dir, &name.to_string_lossy())?;
    }
    let predictions = match config.gold_unit {
        GoldUnit::Document => read_predictions(&path, &config.pred_column)?,
        GoldUnit::Passage => read_passage_predictions(&path)?,
    };
    Ok((dir, run, predictions))
}

/// The categories (id, name): the run's, else those of the score columns, else — predictions
/// from any source, only `id` and a label column — the labels found on either side, each
/// prediction then rewritten as its category's id.
fn categories_named(
    run: Option<&RunRecord>,
    predictions: &mut Predictions,
    gold_cells: &[String],
) -> Vec<(String, String)> {
    let score_columns: Vec<String> = predictions
        .columns
        .iter()
        .filter_map(|c| {
            let share = c.name.strip_prefix("share_").filter(|id| *id != "none");
            c.name.strip_prefix("score_").or(share).map(str::to_string)
        })
        .collect();
    let found = categories(run, &score_columns);
    if !found.is_empty() {
        return found;
    }
    let found = labels_found(&predictions.pillar, gold_cells);
    let id_of: HashMap<String, &String> = found.iter().map(|(id, _)| (fold(id), id)).collect();
    for label in predictions.pillar.iter_mut() {
        if let Some(id) = id_of.get(&fold(label.trim())) {
            *label = id.to_string();
        }
    }
    found
}

/// The themes table of the same run, when it is there.
fn sealed_themes(
    dir: &Path,
    run: Option<&RunRecord>,
) -> Result<Option<Vec<crate::stages::write::table::ThemeRow>>> {
    let path = dir.join("themes.parquet");
    match (run, path.exists()) {
        (Some(run), true) => {
            run.check_output(dir, "themes.parquet")?;
            Ok(Some(crate::stages::write::table::read_themes(&path)?))
        }
        _ => Ok(None),
    }
}
