//! Writing an evaluation: evaluation.json, evaluation.md and the two CSV tables.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::files::*;
use super::{Classification, Interval, MultiLabel};
use crate::stages::write::csv::CsvStyle;
use crate::stages::write::record::write_json;
use crate::stages::write::table::write_atomically;

/// evaluation.json, evaluation.md and the two CSV tables.
pub(super) fn write_files(
    evaluation: &Evaluation,
    cls: &Classification,
    out: &Path,
    style: CsvStyle,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json(&out.join(EVALUATION), evaluation)?;
    let fmt = |v: f64| style.number(v, 4);
    crate::stages::write::csv::write_records(
        &out.join("evaluation_per_category.csv"),
        style,
        |w| {
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
        },
    )?;
    crate::stages::write::csv::write_records(&out.join("evaluation_confusion.csv"), style, |w| {
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
pub(super) fn multi_label_markdown(m: &MultiLabel) -> String {
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
pub(super) fn taggers_markdown(t: &Taggers) -> String {
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

pub(super) fn markdown(e: &Evaluation) -> String {
    let mut md = headline_markdown(e);
    if let Some(t) = &e.theme_categories {
        md.push_str(&theme_categories_markdown(t));
    }
    if let Some(m) = &e.multi_label {
        md.push_str(&multi_label_markdown(m));
    }
    if let Some(t) = &e.taggers {
        md.push_str(&taggers_markdown(t));
    }
    md.push_str(&per_category_markdown(e));
    md.push_str(&confusion_markdown(&e.confusion));
    if let Some(curve) = &e.accuracy_coverage_curve {
        md.push_str(&curve_markdown(curve));
    }
    md
}

/// The title, what was evaluated, and the headline figures with their intervals.
fn headline_markdown(e: &Evaluation) -> String {
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
    md
}

/// How far each theme's category holds for the gold labels (or why no theme is scored).
fn theme_categories_markdown(t: &ThemeCategories) -> String {
    let mut md = format!(
        "\nGold label = the category of the row's theme: {:.3} of the rows",
        t.rows
    );
    let _ = match (t.median_theme, t.lowest_theme) {
        (Some(median), Some(lowest)) => writeln!(
            md,
            "; per theme (the {} outside `none` with at least 5 tagged rows) median {median:.3}, lowest {lowest:.3}.",
            t.themes
        ),
        _ => writeln!(
            md,
            "; no theme has 5 tagged rows, so none is scored on its own."
        ),
    };
    md
}

fn per_category_markdown(e: &Evaluation) -> String {
    let mut md = String::from(
        "\n## Per category\n\n| category | precision | recall | F1 | support |\n|---|---|---|---|---|\n",
    );
    for c in &e.per_category {
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {} |",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    md
}

fn curve_markdown(curve: &Curve) -> String {
    let mut md = format!(
        "\n## Accuracy as fewer rows are kept (most confident first)\n\n| coverage | accuracy | threshold ({}) |\n|---|---|---|\n",
        curve.confidence
    );
    for p in &curve.points {
        let _ = writeln!(
            md,
            "| {:.0}% | {:.3} | {:.3} |",
            p.coverage * 100.0,
            p.accuracy,
            p.threshold
        );
    }
    md
}

pub(super) fn confusion_markdown(c: &Confusion) -> String {
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
