//! `verbatim evaluate`: reads the assignments of a run and a manual tagging, matches ids and label
//! names, computes every figure, and writes evaluation.json, evaluation.md and two CSV tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use serde::{Deserialize, Serialize};

use super::{
    accuracy_coverage, bootstrap, classification, multi_label, partition, Classification,
    CoveragePoint, Interval, MultiLabel, Partition, PerCategory,
};
use crate::ingest::{self, ReadOptions, TextColumn};
use crate::labels::{LabelMatcher, NONE_WORDS};
use crate::record::{read_json, write_json, RunRecord, RUN_RECORD};
use crate::table::{write_atomically, CsvStyle};
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

/// Label column names a tagging file usually has, compared without case or accents.
const LABEL_NAMES: [&str; 12] = [
    "label",
    "labels",
    "pilier",
    "piliers",
    "pillar",
    "categorie",
    "category",
    "tag",
    "tags",
    "gold",
    "etiquette",
    "code",
];

/// The category ids and names a run used: from `run.json` beside the predictions when it is there,
/// else from the `score_<id>` columns.
fn categories(run: Option<&RunRecord>, score_columns: &[String]) -> Vec<(String, String)> {
    match run {
        Some(r) => r
            .taxonomy
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        None => score_columns
            .iter()
            .map(|c| (c.clone(), c.clone()))
            .collect(),
    }
}

struct Predictions {
    ids: Vec<String>,
    pillar: Vec<String>,
    columns: Vec<TextColumn>,
}

impl Predictions {
    fn column(&self, name: &str) -> Option<&Vec<Option<String>>> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.values)
    }
}

/// A passage-mode run's `passages.*` beside its `assignments.*` (same extension).
fn passages_beside(predictions: &Path) -> PathBuf {
    let name = predictions
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_prefix("assignments") {
        Some(rest) => predictions.with_file_name(format!("passages{rest}")),
        None => predictions.to_path_buf(),
    }
}

/// The passages table, each row keyed `id#passage`.
fn read_passage_predictions(path: &Path) -> Result<Predictions> {
    let table = ingest::read_table(path)?;
    let take = |name: &str| -> Result<Vec<String>> {
        let column = table
            .columns
            .iter()
            .find(|c| c.name == name)
            .with_context(|| {
                format!(
                    "{} has no column {name}: is it the passages table of a passage-mode run?",
                    path.display()
                )
            })?;
        Ok(column
            .values
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect())
    };
    let (ids, ranks, pillar) = (take("id")?, take("passage")?, take("pillar")?);
    Ok(Predictions {
        ids: ids
            .iter()
            .zip(&ranks)
            .map(|(i, r)| crate::passages::key(i, r))
            .collect(),
        pillar,
        columns: table
            .columns
            .into_iter()
            .filter(|c| !["id", "passage", "pillar"].contains(&c.name.as_str()))
            .collect(),
    })
}

/// Every label of the predictions and of the gold cells (`a|b` split), `none` words left out,
/// one per spelling without case or accents (the first seen), sorted.
fn labels_found(predicted: &[String], gold: &[String]) -> Vec<(String, String)> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let cells = predicted.iter().chain(gold);
    for label in cells.flat_map(|c| c.split('|')).map(str::trim) {
        let key = fold(label);
        if !label.is_empty() && !NONE_WORDS.contains(&key.as_str()) {
            seen.entry(key).or_insert_with(|| label.to_string());
        }
    }
    let mut labels: Vec<(String, String)> = seen.into_values().map(|l| (l.clone(), l)).collect();
    labels.sort();
    labels
}

fn read_predictions(path: &Path, column: &str) -> Result<Predictions> {
    let corpus = ingest::read(
        path,
        &ReadOptions {
            text_column: Some(column.into()),
            id_column: Some("id".into()),
            ..ReadOptions::default()
        },
    )
    .with_context(|| {
        format!(
            "{}: expected columns id and {column} (a run's assignments, or any table of predictions: name its label column with --pred-column)",
            path.display()
        )
    })?;
    Ok(Predictions {
        ids: corpus.ids,
        pillar: corpus.texts,
        columns: corpus.passthrough,
    })
}

fn read_gold(config: &EvaluateConfig) -> Result<(Vec<String>, Vec<String>, String)> {
    let table = ingest::read_table(&config.gold)?;
    let mut names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let passage_column = match config.gold_unit {
        GoldUnit::Document => None,
        GoldUnit::Passage => Some(ingest::find_column(
            &config.gold,
            &names,
            "passage",
            "passage",
        )?),
    };
    names.retain(|n| Some(*n) != passage_column.as_deref());
    let id_column = match &config.id_column {
        Some(c) => ingest::find_column(&config.gold, &names, c, "id")?,
        None => names
            .iter()
            .find(|n| fold(n) == "id")
            .map(|n| n.to_string())
            .with_context(|| {
                format!(
                    "{}: no id column; name it with --id-column (columns: {})",
                    config.gold.display(),
                    names.join(", ")
                )
            })?,
    };
    let label_column = match &config.gold_column {
        Some(c) => ingest::find_column(&config.gold, &names, c, "gold labels")?,
        None => {
            let others: Vec<&&str> = names.iter().filter(|n| **n != id_column).collect();
            match others
                .iter()
                .find(|n| LABEL_NAMES.contains(&fold(n).as_str()))
            {
                Some(n) => n.to_string(),
                None if others.len() == 1 => others[0].to_string(),
                None => bail!(
                    "{}: which column holds the labels? Name it with --gold-column (columns: {})",
                    config.gold.display(),
                    names.join(", ")
                ),
            }
        }
    };
    if let Some(passage) = passage_column {
        let column = |name: &str| {
            let c = table
                .columns
                .iter()
                .find(|c| c.name == name)
                .expect("found above");
            c.values
                .iter()
                .map(|v| v.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let (ids, ranks) = (column(&id_column), column(&passage));
        let keys = ids
            .iter()
            .zip(&ranks)
            .map(|(i, r)| crate::passages::key(i, r))
            .collect();
        return Ok((keys, column(&label_column), label_column));
    }
    let corpus = ingest::read(
        &config.gold,
        &ReadOptions {
            text_column: Some(label_column.clone()),
            id_column: Some(id_column),
            ..ReadOptions::default()
        },
    )?;
    Ok((corpus.ids, corpus.texts, label_column))
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

/// The gold labels matched to the predictions' rows.
struct Matched {
    /// (prediction row, gold categories) of every evaluated row.
    pairs: Vec<(usize, Vec<String>)>,
    unknown: Vec<String>,
    missing: Vec<String>,
    untagged: usize,
}

fn match_gold(
    predictions: &Predictions,
    gold_ids: &[String],
    gold_cells: &[String],
    matcher: &LabelMatcher,
) -> Matched {
    let row_of = crate::ingest::positions(&predictions.ids);
    let mut m = Matched {
        pairs: Vec::new(),
        unknown: Vec::new(),
        missing: Vec::new(),
        untagged: 0,
    };
    for (id, cell) in gold_ids.iter().zip(gold_cells) {
        let labels = match matcher.labels(cell) {
            Ok(l) => l,
            Err(label) => {
                if !m.unknown.contains(&label) {
                    m.unknown.push(label);
                }
                continue;
            }
        };
        if labels.is_empty() {
            m.untagged += 1;
            continue;
        }
        match row_of.get(id.as_str()) {
            Some(&r) => m.pairs.push((r, labels)),
            None => m.missing.push(id.clone()),
        }
    }
    m
}

/// Unknown labels and missing ids are errors unless `--exclude-unknown`; no pair at all always is.
fn check_matched(
    m: &Matched,
    config: &EvaluateConfig,
    label_column: &str,
    ids: &[&str],
) -> Result<()> {
    if !m.unknown.is_empty() && !config.exclude_unknown {
        bail!(
            "{}: labels {} in column {label_column} match no category id or name ({}); map them with --label-map, or leave them out with --exclude-unknown",
            config.gold.display(),
            crate::labels::shown_list(&m.unknown),
            ids.join(", ")
        );
    }
    if !m.missing.is_empty() && !config.exclude_unknown {
        bail!(
            "{}: {} tagged ids are not in {}, e.g. {:?}; leave them out with --exclude-unknown",
            config.gold.display(),
            m.missing.len(),
            config.predictions.display(),
            &m.missing[..m.missing.len().min(10)]
        );
    }
    if m.pairs.is_empty() {
        bail!(
            "no tagged id of {} is in {}: nothing to compare (check the id columns)",
            config.gold.display(),
            config.predictions.display()
        );
    }
    Ok(())
}

/// Checks a manual tagging before a run does any work: its id and label columns are found and every
/// label names a category of the taxonomy (or `none`), so that `run --gold` never fails after the
/// tables are written.
pub fn check_gold(config: &EvaluateConfig, categories: &[(String, String)]) -> Result<Vec<String>> {
    let matcher = LabelMatcher::new(categories, config.label_map.as_deref())?;
    let (ids, cells, label_column) = read_gold(config)?;
    let mut unknown: Vec<String> = Vec::new();
    for cell in &cells {
        if let Err(label) = matcher.labels(cell) {
            if !unknown.contains(&label) {
                unknown.push(label);
            }
        }
    }
    if !unknown.is_empty() && !config.exclude_unknown {
        let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
        bail!(
            "{}: labels {} in column {label_column} match no category id or name ({}); fix the tagging or the taxonomy before the run",
            config.gold.display(),
            crate::labels::shown_list(&unknown),
            ids.join(", ")
        );
    }
    Ok(ids)
}

/// Checks, once the input is read and before any work, that every id of the manual tagging is an
/// id of the input: a tagging of another file must not fail the run after the tables are written.
pub fn check_gold_ids(gold: &Path, gold_ids: &[String], input_ids: &[String]) -> Result<()> {
    let input = crate::ingest::positions(input_ids);
    let missing: Vec<&String> = gold_ids
        .iter()
        .filter(|id| !input.contains_key(id.as_str()))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: {} of its {} tagged ids are not ids of the input, e.g. {:?}: is it the tagging of this file? (checked before any work; `verbatim evaluate --exclude-unknown` scores the ids both have)",
            gold.display(),
            missing.len(),
            gold_ids.len(),
            &missing[..missing.len().min(5)]
        );
    }
    Ok(())
}

/// Runs the evaluation and writes its files into `config.out`.
pub fn evaluate(config: &EvaluateConfig) -> Result<Evaluation> {
    let (dir, run, mut predictions) = read_sealed_predictions(config)?;
    let (gold_ids, gold_cells, label_column) = read_gold(config)?;
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
) -> Result<Option<Vec<crate::table::ThemeRow>>> {
    let path = dir.join("themes.parquet");
    match (run, path.exists()) {
        (Some(run), true) => {
            run.check_output(dir, "themes.parquet")?;
            Ok(Some(crate::table::read_themes(&path)?))
        }
        _ => Ok(None),
    }
}

/// Every figure of the evaluation (the run id, gold column and tagged count are filled by the
/// caller).
fn figures(
    predictions: &Predictions,
    matched: &Matched,
    ids: &[&str],
    config: &EvaluateConfig,
) -> (Evaluation, Classification) {
    let pairs = &matched.pairs;
    // Single-label rows: every classification figure.
    let single: Vec<(usize, &str)> = pairs
        .iter()
        .filter(|(_, l)| l.len() == 1)
        .map(|(r, l)| (*r, l[0].as_str()))
        .collect();
    let mut labels: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let gold: Vec<&str> = single.iter().map(|&(_, g)| g).collect();
    let pred: Vec<&str> = single
        .iter()
        .map(|&(r, _)| predictions.pillar[r].as_str())
        .collect();
    if gold.iter().chain(&pred).any(|l| *l == "none") {
        labels.push("none".into());
    }
    let cls = classification(&gold, &pred, &labels);
    let ci = bootstrap(&gold, &pred, &labels, 1000, config.seed);
    let covered: Vec<usize> = (0..pred.len())
        .filter(|&i| pred[i] != "none" && !pred[i].is_empty())
        .collect();
    let themes = theme_agreement(predictions, &single);
    let evaluation = Evaluation {
        run_id: None,
        predictions: config.predictions.clone(),
        gold: config.gold.clone(),
        gold_column: String::new(),
        rows: evaluated_rows(matched, single.len(), config.exclude_unknown),
        accuracy: cls.accuracy,
        macro_f1: cls.macro_f1,
        micro_f1: cls.micro_f1,
        weighted_f1: cls.weighted_f1,
        cohen_kappa: cls.cohen_kappa,
        confidence_intervals_95: Intervals {
            method: "percentile bootstrap, 1000 resamples".into(),
            seed: config.seed,
            accuracy: ci[0],
            macro_f1: ci[1],
            cohen_kappa: ci[2],
        },
        coverage: covered.len() as f64 / pred.len().max(1) as f64,
        accuracy_on_covered: covered.iter().filter(|&&i| pred[i] == gold[i]).count() as f64
            / covered.len().max(1) as f64,
        accuracy_coverage_curve: curve(predictions, ids, &single),
        ari: themes.as_ref().map(|t| t.ari),
        nmi: themes.as_ref().map(|t| t.nmi),
        v_measure: themes.as_ref().map(|t| t.v_measure),
        themes,
        theme_categories: None,
        taggers: None,
        multi_label: multi(predictions, pairs, &labels),
        per_category: cls.per_category.clone(),
        confusion: Confusion {
            labels: cls.labels.clone(),
            rows_gold_columns_predicted: cls.confusion.clone(),
        },
    };
    (evaluation, cls)
}

/// How many rows were evaluated and left out (the tagged count is filled by the caller).
fn evaluated_rows(matched: &Matched, single: usize, excluded: bool) -> EvaluatedRows {
    let pairs = matched.pairs.len();
    EvaluatedRows {
        tagged: 0,
        evaluated: pairs,
        single_label: single,
        multi_label: pairs - single,
        untagged_cells: matched.untagged,
        excluded_unknown_labels: if excluded {
            matched.unknown.clone()
        } else {
            Vec::new()
        },
        excluded_missing_ids: if excluded { matched.missing.len() } else { 0 },
    }
}

/// The curve uses each row's best category before the none decision (argmax of the scores) and
/// its fit (or score) as the confidence.
fn curve(predictions: &Predictions, ids: &[&str], single: &[(usize, &str)]) -> Option<Curve> {
    let score_values: Vec<(&str, &Vec<Option<String>>)> = ids
        .iter()
        .filter_map(|id| predictions.column(&format!("score_{id}")).map(|v| (*id, v)))
        .collect();
    let confidence_column = ["pillar_fit", "pillar_score"]
        .into_iter()
        .find(|c| predictions.column(c).is_some())?;
    if score_values.is_empty() {
        return None;
    }
    let conf_values = predictions.column(confidence_column)?;
    let parse = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<f64>().ok());
    let mut correct = Vec::new();
    let mut confidence = Vec::new();
    for &(r, g) in single {
        let best = score_values
            .iter()
            .filter_map(|(id, v)| parse(&v[r]).map(|s| (*id, s)))
            .fold(None::<(&str, f64)>, |b, (id, s)| match b {
                Some((_, bs)) if bs >= s => b,
                _ => Some((id, s)),
            });
        if let (Some((best, _)), Some(c)) = (best, parse(&conf_values[r])) {
            correct.push(best == g);
            confidence.push(c);
        }
    }
    Some(Curve {
        confidence: confidence_column.to_string(),
        points: accuracy_coverage(&correct, &confidence),
    })
}

/// Multi-label scores when some row has several gold labels: predicted set = the `pillars` list
/// of a passage-mode run (every category a document raises), else category plus secondary
/// category.
fn multi(
    predictions: &Predictions,
    pairs: &[(usize, Vec<String>)],
    labels: &[String],
) -> Option<MultiLabel> {
    if !pairs.iter().any(|(_, l)| l.len() > 1) {
        return None;
    }
    if let Some(pillars) = predictions.column("pillars") {
        let predicted_sets: Vec<Vec<String>> = pairs
            .iter()
            .map(|(r, _)| {
                let cell = pillars[*r].as_deref().unwrap_or("");
                cell.split(crate::table::LABEL_JOIN)
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != "none")
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        let gold_sets: Vec<Vec<String>> = pairs.iter().map(|(_, l)| l.clone()).collect();
        return Some(multi_label(&gold_sets, &predicted_sets, labels));
    }
    let secondary = predictions.column("pillars_secondary");
    let predicted_sets: Vec<Vec<String>> = pairs
        .iter()
        .map(|(r, _)| {
            let mut set = Vec::new();
            if predictions.pillar[*r] != "none" && !predictions.pillar[*r].is_empty() {
                set.push(predictions.pillar[*r].clone());
            }
            if let Some(Some(s)) = secondary.map(|c| &c[*r]) {
                set.push(s.clone());
            }
            set
        })
        .collect();
    let gold_sets: Vec<Vec<String>> = pairs.iter().map(|(_, l)| l.clone()).collect();
    Some(multi_label(&gold_sets, &predicted_sets, labels))
}

/// A tagging's single-category rows: id → category id.
fn single_labels(
    ids: &[String],
    cells: &[String],
    matcher: &LabelMatcher,
) -> HashMap<String, String> {
    ids.iter()
        .zip(cells)
        .filter_map(|(id, cell)| match matcher.labels(cell) {
            Ok(labels) if labels.len() == 1 => Some((id.clone(), labels[0].clone())),
            _ => None,
        })
        .collect()
}

/// Krippendorff's alpha between the taggers, Cohen's kappa of each pair and of the tool with each.
fn taggers(
    config: &EvaluateConfig,
    first: (&[String], &[String]),
    matcher: &LabelMatcher,
    predictions: &Predictions,
    ids: &[&str],
) -> Result<Taggers> {
    let files: Vec<&PathBuf> = std::iter::once(&config.gold)
        .chain(&config.other_gold)
        .collect();
    let mut tagged = vec![single_labels(first.0, first.1, matcher)];
    for path in &config.other_gold {
        let one = EvaluateConfig {
            gold: path.clone(),
            ..config.clone()
        };
        let (ids, cells, _) = read_gold(&one)?;
        tagged.push(single_labels(&ids, &cells, matcher));
    }
    let mut all: Vec<&String> = tagged.iter().flat_map(|t| t.keys()).collect();
    all.sort();
    all.dedup();
    let units: Vec<Vec<Option<&str>>> = all
        .iter()
        .map(|id| {
            tagged
                .iter()
                .map(|t| t.get(*id).map(String::as_str))
                .collect()
        })
        .filter(|u: &Vec<Option<&str>>| u.iter().flatten().count() >= 2)
        .collect();
    let name = |f: &PathBuf| {
        f.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    };
    let mut labels: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    labels.push("none".into());
    let row_of = crate::ingest::positions(&predictions.ids);
    let tool: HashMap<String, String> = row_of
        .iter()
        .map(|(id, &r)| (id.to_string(), predictions.pillar[r].clone()))
        .collect();
    let mut pairs = Vec::new();
    for i in 0..files.len() {
        for j in i + 1..files.len() {
            pairs.push(kappa_of(
                name(files[i]),
                name(files[j]),
                &tagged[i],
                &tagged[j],
                &labels,
                config.seed,
            ));
        }
    }
    for (i, f) in files.iter().enumerate() {
        pairs.push(kappa_of(
            "verbatim".into(),
            name(f),
            &tool,
            &tagged[i],
            &labels,
            config.seed,
        ));
    }
    Ok(Taggers {
        files: files.iter().map(|f| name(f)).collect(),
        units: units.len(),
        alpha: super::agreement::krippendorff_alpha_nominal(&units),
        alpha_interval: super::agreement::alpha_interval(&units, 1000, config.seed),
        pairs,
    })
}

/// Cohen's kappa of two labellings over the ids both have, with its bootstrap interval.
fn kappa_of(
    a: String,
    b: String,
    left: &HashMap<String, String>,
    right: &HashMap<String, String>,
    labels: &[String],
    seed: u64,
) -> PairAgreement {
    let mut common: Vec<&String> = left.keys().filter(|id| right.contains_key(*id)).collect();
    common.sort();
    let x: Vec<&str> = common.iter().map(|id| left[*id].as_str()).collect();
    let y: Vec<&str> = common.iter().map(|id| right[*id].as_str()).collect();
    let kappa = classification(&x, &y, labels).cohen_kappa;
    let interval = bootstrap(&x, &y, labels, 1000, seed)[2];
    PairAgreement {
        a,
        b,
        rows: common.len(),
        kappa,
        interval,
    }
}

/// Single gold labels against the category of the row's theme.
fn theme_categories(
    predictions: &Predictions,
    matched: &Matched,
    themes: &[crate::table::ThemeRow],
) -> Option<ThemeCategories> {
    let column = predictions.column("theme_id")?;
    let pillar: HashMap<String, &str> = themes
        .iter()
        .map(|t| (t.theme_id.to_string(), t.pillar.as_str()))
        .collect();
    let mut per_theme: HashMap<&str, (usize, usize)> = HashMap::new();
    for (r, gold) in &matched.pairs {
        let Some(theme) = column[*r].as_deref() else {
            continue;
        };
        let (Some(p), [g]) = (pillar.get(theme), gold.as_slice()) else {
            continue;
        };
        let e = per_theme.entry(theme).or_default();
        e.0 += usize::from(*p == g);
        e.1 += 1;
    }
    let (agree, total) = per_theme
        .values()
        .fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    // Themes outside the taxonomy (`none`) disagree with any gold category by definition: they
    // count in the rows' share, not in the per-theme figures.
    let mut shares: Vec<f64> = per_theme
        .iter()
        .filter(|(theme, v)| v.1 >= 5 && pillar.get(**theme) != Some(&"none"))
        .map(|(_, v)| v)
        .map(|v| v.0 as f64 / v.1 as f64)
        .collect();
    shares.sort_by(f64::total_cmp);
    (total > 0).then(|| ThemeCategories {
        rows: agree as f64 / total as f64,
        median_theme: shares.get(shares.len() / 2).copied(),
        lowest_theme: shares.first().copied(),
        themes: shares.len(),
    })
}

/// Themes against the single gold labels.
fn theme_agreement(predictions: &Predictions, single: &[(usize, &str)]) -> Option<Partition> {
    let t = predictions.column("theme_id")?;
    let rows: Vec<(&str, &str)> = single
        .iter()
        .filter_map(|&(r, g)| t[r].as_deref().map(|th| (th, g)))
        .collect();
    let clusters: Vec<&str> = rows.iter().map(|p| p.0).collect();
    let gold: Vec<&str> = rows.iter().map(|p| p.1).collect();
    Some(partition(&clusters, &gold))
}

/// evaluation.json, evaluation.md and the two CSV tables.
fn write_files(
    evaluation: &Evaluation,
    cls: &Classification,
    out: &Path,
    style: CsvStyle,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json(&out.join(EVALUATION), evaluation)?;
    let fmt = |v: f64| style.number(v, 4);
    crate::table::write_records(&out.join("evaluation_per_category.csv"), style, |w| {
        w.record([
            "category",
            "precision",
            "recall",
            "f1",
            "support",
            "predicted",
        ])?;
        for c in &cls.per_category {
            w.record([
                c.label.clone(),
                fmt(c.precision),
                fmt(c.recall),
                fmt(c.f1),
                c.support.to_string(),
                c.predicted.to_string(),
            ])?;
        }
        Ok(())
    })?;
    crate::table::write_records(&out.join("evaluation_confusion.csv"), style, |w| {
        let mut header = vec!["gold \\ predicted".to_string()];
        header.extend(cls.labels.iter().cloned());
        w.record(&header)?;
        for (label, row) in cls.labels.iter().zip(&cls.confusion) {
            let mut rec = vec![label.clone()];
            rec.extend(row.iter().map(|v| v.to_string()));
            w.record(&rec)?;
        }
        Ok(())
    })?;
    let md = markdown(evaluation);
    write_atomically(&out.join("evaluation.md"), |f| {
        use std::io::Write;
        f.write_all(md.as_bytes())?;
        Ok(())
    })
}

/// The readable summary: headline figures with intervals, per-category table, confusion matrix.
/// The rows tagged with several categories, scored as sets (the `pillars` list in passage mode).
fn multi_label_markdown(m: &MultiLabel) -> String {
    let mut md = format!(
        "\n## Rows tagged with several categories ({} rows), scored as sets\n\n| figure | value |\n|---|---|\n",
        m.rows
    );
    for (name, value) in [
        ("micro-F1", m.micro_f1),
        ("macro-F1", m.macro_f1),
        ("exact-set accuracy", m.exact_set),
        ("Hamming loss", m.hamming_loss),
        ("mean Jaccard", m.jaccard),
    ] {
        let _ = writeln!(md, "| {name} | {value:.3} |");
    }
    for (label, f1) in &m.per_label_f1 {
        let _ = writeln!(md, "| F1 of {label} | {f1:.3} |");
    }
    md
}

/// People against people, and the tool against each of them.
fn taggers_markdown(t: &Taggers) -> String {
    let mut md = format!(
        "\n## Agreement between the taggers ({})\n\nKrippendorff's alpha (nominal) over the {} rows tagged by at least two: {:.3} [{:.3}, {:.3}].\n\n| | | rows | Cohen's kappa | 95% interval |\n|---|---|---|---|---|\n",
        t.files.join(", "),
        t.units,
        t.alpha,
        t.alpha_interval.low,
        t.alpha_interval.high
    );
    for p in &t.pairs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.3} | [{:.3}, {:.3}] |",
            p.a, p.b, p.rows, p.kappa, p.interval.low, p.interval.high
        );
    }
    md
}

fn markdown(e: &Evaluation) -> String {
    let mut md = String::new();
    let ci = |c: &Interval| format!("[{:.3}, {:.3}]", c.low, c.high);
    let intervals = &e.confidence_intervals_95;
    let _ = writeln!(md, "# Agreement with the manual tagging\n");
    let _ = writeln!(
        md,
        "{} tagged rows evaluated ({} with one label) from `{}` against `{}`.\n",
        e.rows.evaluated,
        e.rows.single_label,
        e.gold.display(),
        e.predictions.display()
    );
    let _ = writeln!(md, "| figure | value | 95% interval |\n|---|---|---|");
    for (name, value, interval) in [
        ("accuracy", e.accuracy, Some(&intervals.accuracy)),
        ("macro-F1", e.macro_f1, Some(&intervals.macro_f1)),
        ("Cohen's kappa", e.cohen_kappa, Some(&intervals.cohen_kappa)),
        ("micro-F1", e.micro_f1, None),
        ("weighted F1", e.weighted_f1, None),
        ("coverage (not `none`)", e.coverage, None),
        ("accuracy on covered rows", e.accuracy_on_covered, None),
    ] {
        let interval = interval.map_or(String::new(), |c| ci(c) + " ");
        let _ = writeln!(md, "| {name} | {value:.3} | {interval}|");
    }
    if let (Some(ari), Some(nmi), Some(v)) = (e.ari, e.nmi, e.v_measure) {
        let _ = writeln!(
            md,
            "| themes: ARI / NMI / V-measure | {ari:.3} / {nmi:.3} / {v:.3} | |"
        );
    }
    if let Some(t) = &e.theme_categories {
        let _ = write!(
            md,
            "\nGold label = the category of the row's theme: {:.3} of the rows",
            t.rows
        );
        let _ = match (t.median_theme, t.lowest_theme) {
            (Some(median), Some(lowest)) => writeln!(
                md,
                "; per theme (the {} outside `none` with at least 5 tagged rows) median {median:.3}, lowest {lowest:.3}.",
                t.themes
            ),
            _ => writeln!(md, "; no theme has 5 tagged rows, so none is scored on its own."),
        };
    }
    if let Some(m) = &e.multi_label {
        md.push_str(&multi_label_markdown(m));
    }
    if let Some(t) = &e.taggers {
        md.push_str(&taggers_markdown(t));
    }
    let _ = writeln!(md, "\n## Per category\n\n| category | precision | recall | F1 | support |\n|---|---|---|---|---|");
    for c in &e.per_category {
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {} |",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    md.push_str(&confusion_markdown(&e.confusion));
    if let Some(curve) = &e.accuracy_coverage_curve {
        let _ = writeln!(md, "\n## Accuracy as fewer rows are kept (most confident first)\n\n| coverage | accuracy | threshold ({}) |\n|---|---|---|", curve.confidence);
        for p in &curve.points {
            let _ = writeln!(
                md,
                "| {:.0}% | {:.3} | {:.3} |",
                p.coverage * 100.0,
                p.accuracy,
                p.threshold
            );
        }
    }
    md
}

fn confusion_markdown(c: &Confusion) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Confusion matrix (rows: manual tag, columns: verbatim)\n"
    );
    let _ = writeln!(md, "| | {} |", c.labels.join(" | "));
    let _ = writeln!(md, "|---|{}", "---|".repeat(c.labels.len()));
    for (label, row) in c.labels.iter().zip(&c.rows_gold_columns_predicted) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(md, "| **{label}** | {} |", cells.join(" | "));
    }
    md
}
