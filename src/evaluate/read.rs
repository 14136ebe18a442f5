//! Reading an evaluation's inputs: the predictions (a run's assignments or passages, or any
//! `id,label` table) and the manual tagging, with their columns found by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::files::*;
use crate::labels::NONE_WORDS;
use crate::stages::read::ingest::{self, ReadOptions, TextColumn};
use crate::stages::write::record::RunRecord;
use crate::text::fold;

/// Label column names a tagging file usually has, compared without case or accents.
pub(super) const LABEL_NAMES: [&str; 12] = [
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
pub(super) fn categories(
    run: Option<&RunRecord>,
    score_columns: &[String],
) -> Vec<(String, String)> {
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

pub(super) struct Predictions {
    pub(super) ids: Vec<String>,
    pub(super) pillar: Vec<String>,
    pub(super) columns: Vec<TextColumn>,
}

impl Predictions {
    pub(super) fn column(&self, name: &str) -> Option<&Vec<Option<String>>> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.values)
    }
}

/// A passage-mode run's `passages.*` beside its `assignments.*` (same extension).
pub(super) fn passages_beside(predictions: &Path) -> PathBuf {
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
/// Each predicted passage's document and characters (its `start` and `end` columns), for a
/// REFI-QDA project's selections.
pub(super) fn passage_spans(predictions: &Predictions) -> Vec<crate::refi::import::PassageSpan> {
    let column = |name: &str| predictions.columns.iter().find(|c| c.name == name);
    let (Some(starts), Some(ends)) = (column("start"), column("end")) else {
        return Vec::new();
    };
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.parse().ok());
    (predictions.ids.iter().enumerate())
        .filter_map(|(i, key)| {
            let (document, _) = crate::stages::passages::cut::split_key(key)?;
            Some(crate::refi::import::PassageSpan {
                document: document.to_string(),
                key: key.clone(),
                start: number(&starts.values[i])?,
                end: number(&ends.values[i])?,
            })
        })
        .collect()
}

/// A tagging by passage: each row's key (`document#rank`) and label cell.
fn passage_gold(
    columns: &[TextColumn],
    id_column: &str,
    passage: &str,
    label_column: String,
) -> (Vec<String>, Vec<String>, String) {
    let column = |name: &str| {
        let c = columns
            .iter()
            .find(|c| c.name == name)
            .expect("found above");
        (c.values.iter())
            .map(|v| v.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let (ids, ranks) = (column(id_column), column(passage));
    let keys = (ids.iter().zip(&ranks))
        .map(|(i, r)| crate::stages::passages::cut::key(i, r))
        .collect();
    (keys, column(&label_column), label_column)
}

/// How a REFI-QDA source is matched to a predicted row: id, file name, text.
pub(super) fn resolver(predictions: &Predictions) -> crate::refi::import::Resolver {
    let column = |name: &str| {
        (predictions.columns.iter().find(|c| c.name == name)).map(|c| c.values.as_slice())
    };
    crate::refi::import::Resolver::new(&predictions.ids, column("file_name"), column("text"))
}

pub(super) fn read_passage_predictions(path: &Path) -> Result<Predictions> {
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
            .map(|(i, r)| crate::stages::passages::cut::key(i, r))
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
pub(super) fn labels_found(predicted: &[String], gold: &[String]) -> Vec<(String, String)> {
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

pub(super) fn read_predictions(path: &Path, column: &str) -> Result<Predictions> {
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

/// [`read_gold`] of a REFI-QDA project: its codings mapped onto the run's categories, per
/// source, or per passage with `--gold-unit passage`.
fn read_project_gold(
    config: &EvaluateConfig,
    categories: Option<&[(String, String)]>,
    passages: Option<&[crate::refi::import::PassageSpan]>,
    resolver: Option<&crate::refi::import::Resolver>,
) -> Result<(Vec<String>, Vec<String>, String)> {
    let gold = config.gold.display();
    let categories = categories.with_context(|| {
        format!("{gold}: a REFI-QDA project is read against the run's categories: evaluate a run's assignments (its run.json beside them)")
    })?;
    let matcher = crate::labels::LabelMatcher::new(categories, config.label_map.as_deref())?;
    let passages = match config.gold_unit {
        GoldUnit::Document => None,
        GoldUnit::Passage => Some(passages.with_context(|| {
            format!("{gold}: a project's selections are mapped onto the run's passages: evaluate a passage-mode run")
        })?),
    };
    let tagging = crate::refi::import::tagging(&config.gold, &matcher, passages, resolver)?;
    Ok((tagging.ids, tagging.labels, "codes".into()))
}

/// The manual tagging's ids and label cells, and the label column's name. A REFI-QDA project
/// (`.qdpx`) is read through its code tree, mapped onto `categories` (the run's).
pub(super) fn read_gold(
    config: &EvaluateConfig,
    categories: Option<&[(String, String)]>,
    passages: Option<&[crate::refi::import::PassageSpan]>,
    resolver: Option<&crate::refi::import::Resolver>,
) -> Result<(Vec<String>, Vec<String>, String)> {
    if crate::refi::is_project(&config.gold) {
        return read_project_gold(config, categories, passages, resolver);
    }
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
        return Ok(passage_gold(
            &table.columns,
            &id_column,
            &passage,
            label_column,
        ));
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
