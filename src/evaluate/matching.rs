//! Matching a manual tagging to the predictions: ids to rows, cells to category ids through the
//! one label vocabulary ([`crate::labels`]), and the checks a tagging must pass (before a run too).

use std::path::Path;

use anyhow::{Result, bail};

use super::files::*;
use super::read::*;
use crate::labels::LabelMatcher;

/// The gold labels matched to the predictions' rows.
pub(super) struct Matched {
    /// (prediction row, gold categories) of every evaluated row.
    pub(super) pairs: Vec<(usize, Vec<String>)>,
    pub(super) unknown: Vec<String>,
    pub(super) missing: Vec<String>,
    pub(super) untagged: usize,
}

pub(super) fn match_gold(
    predictions: &Predictions,
    gold_ids: &[String],
    gold_cells: &[String],
    matcher: &LabelMatcher,
) -> Matched {
    let row_of = crate::stages::read::ingest::positions(&predictions.ids);
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
pub(super) fn check_matched(
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
    let (ids, cells, label_column) = read_gold(config, Some(categories), None, None)?;
    let mut unknown: Vec<String> = Vec::new();
    for cell in &cells {
        if let Err(label) = matcher.labels(cell)
            && !unknown.contains(&label)
        {
            unknown.push(label);
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
    let input = crate::stages::read::ingest::positions(input_ids);
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
