//! `verbatim evaluate`: reads the assignments of a run and a manual tagging, matches ids and label
//! names, computes every figure, and writes evaluation.json, evaluation.md and two CSV tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::{accuracy_coverage, bootstrap, classification, multi_label, partition};
use crate::ingest::{self, fold, ReadOptions, TextColumn};
use crate::table::write_atomically;

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

/// Words that mean "outside the taxonomy" in a tagging file.
const NONE_WORDS: [&str; 5] = ["none", "aucun", "autre", "hors sujet", "hors taxonomie"];

/// The category ids and names a run used: from `run.json` beside the predictions when it is there,
/// else from the `score_<id>` columns.
fn categories(predictions: &Path, score_columns: &[String]) -> Vec<(String, String)> {
    let run_json = predictions.parent().map(|d| d.join("run.json"));
    if let Some(Ok(text)) = run_json.as_ref().map(std::fs::read_to_string) {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(list) = json["taxonomy"].as_array() {
                return list
                    .iter()
                    .filter_map(|c| {
                        Some((
                            c["id"].as_str()?.to_string(),
                            c["name"].as_str()?.to_string(),
                        ))
                    })
                    .collect();
            }
        }
    }
    score_columns
        .iter()
        .map(|c| (c.clone(), c.clone()))
        .collect()
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

fn read_predictions(path: &Path) -> Result<Predictions> {
    let corpus = ingest::read(
        path,
        &ReadOptions {
            text_column: Some("pillar".into()),
            id_column: Some("id".into()),
        },
    )
    .with_context(|| format!("{} is not the assignments table of a run", path.display()))?;
    Ok(Predictions {
        ids: corpus.ids,
        pillar: corpus.texts,
        columns: corpus.passthrough,
    })
}

fn read_gold(config: &EvaluateConfig) -> Result<(Vec<String>, Vec<String>, String)> {
    let table = ingest::read_table(&config.gold)?;
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
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
    let corpus = ingest::read(
        &config.gold,
        &ReadOptions {
            text_column: Some(label_column.clone()),
            id_column: Some(id_column),
        },
    )?;
    Ok((corpus.ids, corpus.texts, label_column))
}

/// Gold label → category id (or "none"); `None` for an unknown label.
struct LabelMatcher {
    by_fold: HashMap<String, String>,
}

impl LabelMatcher {
    fn new(categories: &[(String, String)], label_map: Option<&Path>) -> Result<Self> {
        let mut by_fold = HashMap::new();
        for (id, name) in categories {
            by_fold.insert(fold(id), id.clone());
            by_fold.insert(fold(name), id.clone());
        }
        for w in NONE_WORDS {
            by_fold.insert(fold(w), "none".to_string());
        }
        if let Some(path) = label_map {
            let table = ingest::read_table(path)?;
            if table.columns.len() < 2 {
                bail!(
                    "{}: a label map needs two columns (gold label, category id)",
                    path.display()
                );
            }
            let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
            for (row, (from, to)) in table.columns[0]
                .values
                .iter()
                .zip(&table.columns[1].values)
                .enumerate()
            {
                let (Some(from), Some(to)) = (from, to) else {
                    continue;
                };
                if !ids.contains(&to.as_str()) && fold(to) != "none" {
                    bail!(
                        "{}: row {}: {to:?} is not a category id ({})",
                        path.display(),
                        row + 1,
                        ids.join(", ")
                    );
                }
                by_fold.insert(
                    fold(from),
                    if fold(to) == "none" {
                        "none".into()
                    } else {
                        to.clone()
                    },
                );
            }
        }
        Ok(Self { by_fold })
    }

    /// Every label of a cell ("p1|p3" holds two).
    fn labels(&self, cell: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for part in cell.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            match self.by_fold.get(&fold(part)) {
                Some(id) if !out.contains(id) => out.push(id.clone()),
                Some(_) => {}
                None => return Err(part.to_string()),
            }
        }
        Ok(out)
    }
}

/// Runs the evaluation, writes its files into `config.out`, and returns evaluation.json's value.
pub fn evaluate(config: &EvaluateConfig) -> Result<serde_json::Value> {
    let predictions = read_predictions(&config.predictions)?;
    let score_columns: Vec<String> = predictions
        .columns
        .iter()
        .filter_map(|c| c.name.strip_prefix("score_").map(str::to_string))
        .collect();
    let categories = categories(&config.predictions, &score_columns);
    let matcher = LabelMatcher::new(&categories, config.label_map.as_deref())?;
    let (gold_ids, gold_cells, label_column) = read_gold(config)?;

    let row_of: HashMap<&str, usize> = predictions
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let (mut unknown, mut missing) = (Vec::<String>::new(), Vec::<String>::new());
    let mut pairs: Vec<(usize, Vec<String>)> = Vec::new();
    let mut untagged = 0;
    for (id, cell) in gold_ids.iter().zip(&gold_cells) {
        let labels = match matcher.labels(cell) {
            Ok(l) => l,
            Err(label) => {
                if !unknown.contains(&label) {
                    unknown.push(label);
                }
                continue;
            }
        };
        if labels.is_empty() {
            untagged += 1;
            continue;
        }
        match row_of.get(id.as_str()) {
            Some(&r) => pairs.push((r, labels)),
            None => missing.push(id.clone()),
        }
    }
    let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
    if !unknown.is_empty() && !config.exclude_unknown {
        bail!(
            "{}: labels {:?} in column {label_column} match no category id or name ({}); map them with --label-map, or leave them out with --exclude-unknown",
            config.gold.display(),
            unknown,
            ids.join(", ")
        );
    }
    if !missing.is_empty() && !config.exclude_unknown {
        bail!(
            "{}: {} tagged ids are not in {}, e.g. {:?}; leave them out with --exclude-unknown",
            config.gold.display(),
            missing.len(),
            config.predictions.display(),
            &missing[..missing.len().min(10)]
        );
    }
    if pairs.is_empty() {
        bail!(
            "no tagged id of {} is in {}: nothing to compare (check the id columns)",
            config.gold.display(),
            config.predictions.display()
        );
    }

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
    let coverage = covered.len() as f64 / pred.len().max(1) as f64;
    let accuracy_covered = covered.iter().filter(|&&i| pred[i] == gold[i]).count() as f64
        / covered.len().max(1) as f64;

    // The curve uses each row's best category before the none decision (argmax of the scores) and
    // its fit (or score) as the confidence.
    let score_values: Vec<(&str, &Vec<Option<String>>)> = ids
        .iter()
        .filter_map(|id| predictions.column(&format!("score_{id}")).map(|v| (*id, v)))
        .collect();
    let confidence_column = ["pillar_fit", "pillar_score"]
        .into_iter()
        .find(|c| predictions.column(c).is_some());
    let curve = match (score_values.is_empty(), confidence_column) {
        (false, Some(conf)) => {
            let conf_values = predictions.column(conf).unwrap();
            let parse = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<f64>().ok());
            let mut correct = Vec::new();
            let mut confidence = Vec::new();
            for &(r, g) in &single {
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
            serde_json::json!({"confidence": conf, "points": accuracy_coverage(&correct, &confidence)})
        }
        _ => serde_json::Value::Null,
    };

    // Multi-label: predicted set = category plus secondary category.
    let multi = if pairs.iter().any(|(_, l)| l.len() > 1) {
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
        serde_json::to_value(multi_label(&gold_sets, &predicted_sets, &labels))?
    } else {
        serde_json::Value::Null
    };

    // Themes against the single gold labels.
    let themes = predictions.column("theme_id").map(|t| {
        let rows: Vec<(&str, &str)> = single
            .iter()
            .filter_map(|&(r, g)| t[r].as_deref().map(|th| (th, g)))
            .collect();
        let clusters: Vec<&str> = rows.iter().map(|p| p.0).collect();
        let gold: Vec<&str> = rows.iter().map(|p| p.1).collect();
        partition(&clusters, &gold)
    });

    let json = serde_json::json!({
        "predictions": config.predictions,
        "gold": config.gold,
        "gold_column": label_column,
        "rows": {
            "tagged": gold_ids.len(),
            "evaluated": pairs.len(),
            "single_label": single.len(),
            "multi_label": pairs.len() - single.len(),
            "untagged_cells": untagged,
            "excluded_unknown_labels": if config.exclude_unknown { unknown.clone() } else { Vec::new() },
            "excluded_missing_ids": if config.exclude_unknown { missing.len() } else { 0 },
        },
        "accuracy": cls.accuracy,
        "macro_f1": cls.macro_f1,
        "micro_f1": cls.micro_f1,
        "weighted_f1": cls.weighted_f1,
        "cohen_kappa": cls.cohen_kappa,
        "confidence_intervals_95": {
            "method": "percentile bootstrap, 1000 resamples",
            "seed": config.seed,
            "accuracy": ci[0],
            "macro_f1": ci[1],
            "cohen_kappa": ci[2],
        },
        "coverage": coverage,
        "accuracy_on_covered": accuracy_covered,
        "accuracy_coverage_curve": curve,
        "ari": themes.as_ref().map(|t| t.ari),
        "nmi": themes.as_ref().map(|t| t.nmi),
        "v_measure": themes.as_ref().map(|t| t.v_measure),
        "themes": themes,
        "multi_label": multi,
        "per_category": cls.per_category,
        "confusion": {"labels": cls.labels, "rows_gold_columns_predicted": cls.confusion},
    });
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("cannot create {}", config.out.display()))?;
    write_atomically(&config.out.join("evaluation.json"), |f| {
        use std::io::Write;
        f.write_all(serde_json::to_string_pretty(&json)?.as_bytes())?;
        Ok(())
    })?;
    write_csv(&config.out.join("evaluation_per_category.csv"), |w| {
        w.write_record([
            "category",
            "precision",
            "recall",
            "f1",
            "support",
            "predicted",
        ])?;
        for c in &cls.per_category {
            w.write_record([
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
    write_csv(&config.out.join("evaluation_confusion.csv"), |w| {
        let mut header = vec!["gold \\ predicted".to_string()];
        header.extend(cls.labels.iter().cloned());
        w.write_record(&header)?;
        for (label, row) in cls.labels.iter().zip(&cls.confusion) {
            let mut rec = vec![label.clone()];
            rec.extend(row.iter().map(|v| v.to_string()));
            w.write_record(&rec)?;
        }
        Ok(())
    })?;
    let md = markdown(&json, &cls);
    write_atomically(&config.out.join("evaluation.md"), |f| {
        use std::io::Write;
        f.write_all(md.as_bytes())?;
        Ok(())
    })?;
    Ok(json)
}

fn fmt(v: f64) -> String {
    format!("{v:.4}")
}

fn write_csv(
    path: &Path,
    fill: impl FnOnce(&mut csv::Writer<&mut std::fs::File>) -> Result<()>,
) -> Result<()> {
    write_atomically(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        fill(&mut w)?;
        w.flush()?;
        Ok(())
    })
}

/// The readable summary: headline figures with intervals, per-category table, confusion matrix.
fn markdown(json: &serde_json::Value, cls: &super::Classification) -> String {
    let mut md = String::new();
    let num = |k: &str| json[k].as_f64().unwrap_or(f64::NAN);
    let ci = |k: &str| {
        let c = &json["confidence_intervals_95"][k];
        format!(
            "[{:.3}, {:.3}]",
            c["low"].as_f64().unwrap_or(f64::NAN),
            c["high"].as_f64().unwrap_or(f64::NAN)
        )
    };
    let _ = writeln!(md, "# Agreement with the manual tagging\n");
    let _ = writeln!(
        md,
        "{} tagged rows evaluated ({} with one label) from `{}` against `{}`.\n",
        json["rows"]["evaluated"],
        json["rows"]["single_label"],
        json["gold"].as_str().unwrap_or(""),
        json["predictions"].as_str().unwrap_or("")
    );
    let _ = writeln!(md, "| figure | value | 95% interval |\n|---|---|---|");
    let _ = writeln!(
        md,
        "| accuracy | {:.3} | {} |",
        num("accuracy"),
        ci("accuracy")
    );
    let _ = writeln!(
        md,
        "| macro-F1 | {:.3} | {} |",
        num("macro_f1"),
        ci("macro_f1")
    );
    let _ = writeln!(
        md,
        "| Cohen's kappa | {:.3} | {} |",
        num("cohen_kappa"),
        ci("cohen_kappa")
    );
    let _ = writeln!(md, "| micro-F1 | {:.3} | |", num("micro_f1"));
    let _ = writeln!(md, "| weighted F1 | {:.3} | |", num("weighted_f1"));
    let _ = writeln!(md, "| coverage (not `none`) | {:.3} | |", num("coverage"));
    let _ = writeln!(
        md,
        "| accuracy on covered rows | {:.3} | |",
        num("accuracy_on_covered")
    );
    if let Some(ari) = json["ari"].as_f64() {
        let _ = writeln!(
            md,
            "| themes: ARI / NMI / V-measure | {:.3} / {:.3} / {:.3} | |",
            ari,
            num("nmi"),
            num("v_measure")
        );
    }
    let _ = writeln!(md, "\n## Per category\n\n| category | precision | recall | F1 | support |\n|---|---|---|---|---|");
    for c in &cls.per_category {
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {} |",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    let _ = writeln!(
        md,
        "\n## Confusion matrix (rows: manual tag, columns: verbatim)\n"
    );
    let _ = writeln!(md, "| | {} |", cls.labels.join(" | "));
    let _ = writeln!(md, "|---|{}", "---|".repeat(cls.labels.len()));
    for (label, row) in cls.labels.iter().zip(&cls.confusion) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(md, "| **{label}** | {} |", cells.join(" | "));
    }
    if let Some(points) = json["accuracy_coverage_curve"]["points"].as_array() {
        let _ = writeln!(md, "\n## Accuracy as fewer rows are kept (most confident first)\n\n| coverage | accuracy | threshold ({}) |\n|---|---|---|", json["accuracy_coverage_curve"]["confidence"].as_str().unwrap_or(""));
        for p in points {
            let _ = writeln!(
                md,
                "| {:.0}% | {:.3} | {:.3} |",
                p["coverage"].as_f64().unwrap_or(0.0) * 100.0,
                p["accuracy"].as_f64().unwrap_or(0.0),
                p["threshold"].as_f64().unwrap_or(0.0)
            );
        }
    }
    md
}
