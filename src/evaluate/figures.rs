//! Every figure of an evaluation, from the matched rows: single- and multi-label agreement,
//! intervals, coverage curve, themes against the gold, several taggers.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;

use super::files::*;
use super::matching::*;
use super::read::*;
use super::{
    Classification, MultiLabel, Partition, accuracy_coverage, bootstrap, classification,
    multi_label, partition,
};
use crate::labels::LabelMatcher;

/// Every figure of the evaluation (the run id, gold column and tagged count are filled by the
/// caller).
pub(super) fn figures(
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
pub(super) fn evaluated_rows(matched: &Matched, single: usize, excluded: bool) -> EvaluatedRows {
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
pub(super) fn curve(
    predictions: &Predictions,
    ids: &[&str],
    single: &[(usize, &str)],
) -> Option<Curve> {
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
pub(super) fn multi(
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
                cell.split(crate::stages::write::table::LABEL_JOIN)
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
pub(super) fn single_labels(
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
pub(super) fn taggers(
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
        let categories: Vec<(String, String)> =
            ids.iter().map(|i| (i.to_string(), i.to_string())).collect();
        let (ids, cells, _) = read_gold(&one, Some(&categories), None, None)?;
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
    let row_of = crate::stages::read::ingest::positions(&predictions.ids);
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
pub(super) fn kappa_of(
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
pub(super) fn theme_categories(
    predictions: &Predictions,
    matched: &Matched,
    themes: &[crate::stages::write::table::ThemeRow],
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
pub(super) fn theme_agreement(
    predictions: &Predictions,
    single: &[(usize, &str)],
) -> Option<Partition> {
    let t = predictions.column("theme_id")?;
    let rows: Vec<(&str, &str)> = single
        .iter()
        .filter_map(|&(r, g)| t[r].as_deref().map(|th| (th, g)))
        .collect();
    let clusters: Vec<&str> = rows.iter().map(|p| p.0).collect();
    let gold: Vec<&str> = rows.iter().map(|p| p.1).collect();
    Some(partition(&clusters, &gold))
}
