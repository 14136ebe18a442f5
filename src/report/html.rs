//! The report as one self-contained HTML page.

use std::fmt::Write as _;

use super::charts::{bar_chart, scatter, CSS};
use super::{escape, evaluation_rows, CategorySection, Report};
use crate::evaluate::files::Evaluation;

pub fn render(r: &Report) -> String {
    let w = r.words;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><h1>{}</h1>",
        r.lang.code(),
        w.title,
        w.title
    );
    glance(&mut h, r);
    let _ = write!(h, "<h2>{}</h2>", w.by_category);
    for section in &r.categories {
        category(&mut h, r, section);
    }
    if let Some(map) = &r.map {
        let sampled = if map.step > 1 {
            format!(" ({} 1/{})", w.map_sampled, map.step)
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<h2>{}</h2><p class=\"small\">{}{sampled}</p>{}",
            w.map,
            w.map_note,
            scatter(&map.points, &map.legend)
        );
    }
    let _ = write!(
        h,
        "<h2>{}</h2>{}",
        w.sizes,
        bar_chart(&r.sizes, |v| format!("{v:.0}"))
    );
    if let Some(e) = &r.evaluation {
        let _ = write!(h, "<h2>{}</h2>{}", w.evaluation, evaluation(r, e));
    }
    let _ = write!(h, "<h2>{}</h2>", w.methods);
    for (k, v) in &r.methods {
        let _ = write!(h, "<p class=\"small\"><b>{k}</b> : {}</p>", escape(v));
    }
    h.push_str("</body></html>\n");
    h
}

/// Headline figures, reasons for rejection, and the share of each category.
fn glance(h: &mut String, r: &Report) {
    let w = r.words;
    let _ = write!(h, "<h2>{}</h2><div class=\"figures\">", w.glance);
    for (value, label) in &r.glance {
        let _ = write!(
            h,
            "<div><div class=\"figure\">{value}</div><div class=\"small\">{label}</div></div>"
        );
    }
    h.push_str("</div>");
    if !r.rejected.is_empty() {
        let list: Vec<String> = r
            .rejected
            .iter()
            .map(|(k, v)| format!("{k} : {v}"))
            .collect();
        let _ = write!(
            h,
            "<p class=\"small\">{} — {}</p>",
            w.rejected,
            escape(&list.join(", "))
        );
    }
    let bars: Vec<(String, f64, &str)> = r
        .categories
        .iter()
        .map(|c| (format!("{} · {}", c.id, c.name), c.share, c.colour))
        .collect();
    let _ = write!(
        h,
        "<h3>{}</h3>{}",
        w.share_per_category,
        bar_chart(&bars, |v| w.pct(v))
    );
}

/// One category: its themes with keywords and quotes.
fn category(h: &mut String, r: &Report, c: &CategorySection) {
    let w = r.words;
    let counted = match c.raised {
        Some(raised) => format!(
            "{} {} ; {} {raised} {}",
            c.rows, w.documents, w.raised_by, w.documents
        ),
        None => format!("{} {}", c.rows, w.testimonies),
    };
    let _ = write!(
        h,
        "<h3><span class=\"chip\" style=\"background:{}\"></span>{} — {} <span class=\"small\">({})</span></h3>",
        c.colour,
        escape(&c.id),
        escape(&c.name),
        counted
    );
    if c.themes.is_empty() {
        let _ = write!(h, "<p class=\"small\">{}</p>", w.no_theme);
    }
    for th in &c.themes {
        let _ = write!(
            h,
            "<div class=\"theme\"><h4>{} <span class=\"small\">— {} {}, {} ; {} {}</span></h4><p><b>{}</b> : {}</p>",
            escape(&th.title),
            th.size,
            r.unit_words(th),
            w.pct(th.share),
            w.purity,
            w.pct(th.pillar_purity as f64),
            w.keywords,
            escape(&th.keywords.join(", "))
        );
        for (q, qid) in th.quotes.iter().zip(&th.quote_ids) {
            let _ = write!(
                h,
                "<blockquote>« {} » <span class=\"id\">[{}]</span></blockquote>",
                escape(q),
                escape(&r.origin(qid))
            );
        }
        h.push_str("</div>");
    }
}

fn evaluation(r: &Report, e: &Evaluation) -> String {
    let w = r.words;
    let mut s = String::new();
    let _ = write!(
        s,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        w.figure, w.value, w.interval
    );
    for (a, b, c) in evaluation_rows(e, w) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{b}</td><td>{c}</td></tr>",
            escape(&a)
        );
    }
    let _ = write!(
        s,
        "</table><h3>{}</h3><p class=\"small\">{}</p><table><tr><th></th>",
        w.confusion, w.confusion_note
    );
    let confusion = &e.confusion;
    for l in &confusion.labels {
        let _ = write!(s, "<th>{}</th>", escape(l));
    }
    s.push_str("</tr>");
    for (l, row) in confusion
        .labels
        .iter()
        .zip(&confusion.rows_gold_columns_predicted)
    {
        let _ = write!(s, "<tr><th>{}</th>", escape(l));
        for v in row {
            let _ = write!(s, "<td>{v}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    s
}
