//! The report as Markdown, for a word processor or a wiki.

use std::fmt::Write as _;

use super::{evaluation_rows, Report};
use crate::evaluate::files::Evaluation;

pub fn render(r: &Report) -> String {
    let w = r.words;
    let mut m = String::new();
    let _ = writeln!(m, "# {}\n\n## {}\n", w.title, w.glance);
    for (value, label) in &r.glance {
        let _ = writeln!(m, "- {value} {label}");
    }
    let _ = writeln!(
        m,
        "\n### {}\n\n| | | |\n|---|---|---|",
        w.share_per_category
    );
    for c in &r.categories {
        let _ = writeln!(
            m,
            "| {} | {} | {} ({}) |",
            c.id,
            c.name,
            c.rows,
            w.pct(c.share)
        );
    }
    let _ = writeln!(m, "\n## {}\n", w.by_category);
    for c in &r.categories {
        let _ = writeln!(m, "### {} — {}\n", c.id, c.name);
        if let Some(raised) = c.raised {
            let _ = writeln!(m, "{} {raised} {}.\n", w.raised_by, w.documents);
        }
        if c.themes.is_empty() {
            let _ = writeln!(m, "{}\n", w.no_theme);
        }
        for th in &c.themes {
            let _ = writeln!(
                m,
                "#### {} ({} {}, {})\n\n{} : {}\n",
                th.title,
                th.size,
                r.unit_words(th),
                w.pct(th.share),
                w.keywords,
                th.keywords.join(", ")
            );
            for (q, qid) in th.quotes.iter().zip(&th.quote_ids) {
                let _ = writeln!(m, "> « {} » [{}]\n", q.replace('\n', " "), r.origin(qid));
            }
        }
    }
    let _ = writeln!(m, "## {}\n\n| | {} |\n|---|---|", w.sizes, w.testimonies);
    for (label, size, _) in &r.sizes {
        let _ = writeln!(m, "| {label} | {size} |");
    }
    if let Some(e) = &r.evaluation {
        let _ = writeln!(m, "\n## {}\n\n{}", w.evaluation, evaluation(r, e));
    }
    let _ = writeln!(m, "\n## {}\n", w.methods);
    for (k, v) in &r.methods {
        let _ = writeln!(m, "- **{k}**: {v}");
    }
    let _ = writeln!(m);
    m
}

fn evaluation(r: &Report, e: &Evaluation) -> String {
    let w = r.words;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| {} | {} | {} |\n|---|---|---|",
        w.figure, w.value, w.interval
    );
    for (a, b, c) in evaluation_rows(e, w) {
        let _ = writeln!(s, "| {a} | {b} | {c} |");
    }
    let labels = &e.confusion.labels;
    let _ = writeln!(
        s,
        "\n### {}\n\n{}\n\n| | {} |\n|---|{}",
        w.confusion,
        w.confusion_note,
        labels.join(" | "),
        "---|".repeat(labels.len())
    );
    for (l, row) in labels.iter().zip(&e.confusion.rows_gold_columns_predicted) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(s, "| **{l}** | {} |", cells.join(" | "));
    }
    s
}
