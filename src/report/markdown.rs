//! The report as Markdown, for a word processor or a wiki.

use std::fmt::Write as _;

use super::who::{self, Breakdown, WhoSection, WhoWords};
use super::{CategorySection, Report, evaluation_rows};
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
        "\n### {}\n\n| | | {} | {} |\n|---|---|---|---|",
        w.titled(w.share_per_category, r.unit_noun()),
        w.noun(2, r.unit_noun()),
        w.in_tagging
    );
    for c in &r.categories {
        let gold = c.gold.map_or(String::new(), |g| g.describe(w));
        let _ = writeln!(
            m,
            "| {} | {} | {} ({}) | {gold} |",
            c.id,
            c.name,
            c.rows,
            w.pct(c.share)
        );
    }
    for (i, c) in r.categories.iter().enumerate() {
        chapter(&mut m, r, c, i + 1);
    }
    if let Some(who) = &r.who {
        who_says_what(&mut m, r, who);
    }
    let _ = writeln!(m, "## {}\n\n| | {} |\n|---|---|", w.sizes, r.size_header());
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
    annex(&mut m, r);
    let _ = writeln!(m);
    m
}

/// Quotes as Markdown blockquotes, each with its origin.
fn quotes(m: &mut String, r: &Report, texts: &[String], ids: &[String]) {
    for (q, qid) in texts.iter().zip(ids) {
        let _ = writeln!(m, "> « {} » [{}]\n", q.replace('\n', " "), r.origin(qid));
    }
}

/// One chapter: share, themes by size (proposals, then quotes), experiences.
fn chapter(m: &mut String, r: &Report, c: &CategorySection, number: usize) {
    let w = r.words;
    let _ = writeln!(m, "\n## {} {number} · {} — {}\n", w.chapter, c.id, c.name);
    let unit = if c.raised.is_some() {
        w.document_n
    } else {
        w.testimony_n
    };
    let _ = write!(m, "{} ({})", w.count(c.rows, unit), w.pct(c.share));
    if let Some(raised) = c.raised {
        let _ = write!(m, " ; {} {}", w.raised_by, w.count(raised, w.document_n));
    }
    let _ = writeln!(m, ".\n");
    if c.themes.is_empty() {
        let _ = writeln!(m, "{}\n", w.no_theme);
    }
    for th in &c.themes {
        let _ = writeln!(
            m,
            "### {} ({} {}, {})\n\n{} : {}\n",
            th.title,
            th.size,
            r.unit_words(th),
            w.pct(th.share),
            w.keywords,
            th.keywords.join(", ")
        );
        if !th.proposals.is_empty() {
            let _ = writeln!(m, "#### {}\n", w.proposals);
            quotes(m, r, &th.proposals, &th.proposal_ids);
        }
        let _ = writeln!(m, "#### {}\n", w.quotes);
        quotes(m, r, &th.quotes, &th.quote_ids);
    }
    if c.themes.iter().any(|th| !th.experiences.is_empty()) {
        let _ = writeln!(m, "### {}\n", w.experiences);
        for th in &c.themes {
            quotes(m, r, &th.experiences, &th.experience_ids);
        }
    }
}

/// Every proposal, by category then theme.
fn annex(m: &mut String, r: &Report) {
    let w = r.words;
    let _ = writeln!(m, "\n## {}\n\n{}\n", w.annex, w.annex_note);
    for c in &r.categories {
        let theirs: Vec<_> = r.proposals.iter().filter(|p| p.pillar == c.id).collect();
        if theirs.is_empty() {
            continue;
        }
        let _ = writeln!(m, "### {} — {}\n", c.id, c.name);
        let mut theme = None;
        for p in theirs {
            if theme != Some(p.theme_id) {
                let _ = writeln!(m, "#### {} · {}\n", p.theme_id, r.title_of(p.theme_id));
                theme = Some(p.theme_id);
            }
            let _ = writeln!(
                m,
                "- « {} » [{}]",
                p.text.replace('\n', " "),
                r.origin(&p.origin)
            );
        }
        let _ = writeln!(m);
    }
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

/// The "who says what" chapter, as the HTML shows it without the colours.
fn who_says_what(m: &mut String, r: &Report, who: &WhoSection) {
    let w = who.words;
    let _ = writeln!(m, "## {}\n\n{}\n", w.chapter, who.counts_line());
    if !who.campaigns.is_empty() {
        let note = who.campaigns_note();
        let _ = writeln!(m, "### {}\n\n{note}\n", w.campaigns);
        for c in &who.campaigns {
            let _ = writeln!(m, "- {}\n\n  > « {} »\n", who.campaign_line(c), c.text);
        }
    }
    for b in &who.breakdowns {
        breakdown(m, r, w, b);
    }
    if let Some((labels, matrix)) = &who.together {
        let _ = writeln!(m, "### {}\n\n{}\n", w.together, w.together_note);
        let _ = writeln!(
            m,
            "| | {} |\n|---|{}",
            labels.join(" | "),
            "---|".repeat(labels.len())
        );
        for (l, row) in labels.iter().zip(matrix) {
            let cells: Vec<String> = row.iter().map(u64::to_string).collect();
            let _ = writeln!(m, "| {l} | {} |", cells.join(" | "));
        }
        m.push('\n');
    }
    let _ = writeln!(
        m,
        "### {}\n\n{}\n\n{}\n",
        w.saturation,
        who.saturation_line(r.lang),
        who.saturation_note()
    );
    let cells: Vec<String> = (who.saturation.points.iter())
        .map(|p| who::lang_pct(p.themes_seen, r.lang))
        .collect();
    let heads: Vec<String> = (who.saturation.points.iter())
        .map(|p| who::lang_pct(p.contributions, r.lang))
        .collect();
    let _ = writeln!(
        m,
        "| {} | {} |\n|---|{}\n| {} | {} |\n",
        w.axis_contributions,
        heads.join(" | "),
        "---|".repeat(heads.len()),
        w.axis_themes,
        cells.join(" | ")
    );
}

/// One `--by` table of row shares; significant cells in bold, then their sentences and quotes.
fn breakdown(m: &mut String, r: &Report, w: &WhoWords, b: &Breakdown) {
    let ids: Vec<&str> = b.categories.iter().map(|c| c.0.as_str()).collect();
    let _ = writeln!(
        m,
        "### {}\n\n{}\n\n| {} | {} | {} |\n|---|---|{}",
        b.column,
        w.by_note,
        w.group,
        w.documents,
        ids.join(" | "),
        "---|".repeat(ids.len())
    );
    for row in &b.rows {
        let cells: Vec<String> = (row.cells.iter())
            .map(|(share, _, _, anchor)| match anchor {
                Some(_) => format!("**{}**", who::lang_pct(*share, r.lang)),
                None => who::lang_pct(*share, r.lang),
            })
            .collect();
        let _ = writeln!(
            m,
            "| {} | {} | {} |",
            row.group,
            row.documents,
            cells.join(" | ")
        );
    }
    let overall: Vec<String> = b
        .overall
        .iter()
        .map(|v| who::lang_pct(*v, r.lang))
        .collect();
    let _ = writeln!(m, "| {} | | {} |\n", w.overall, overall.join(" | "));
    for line in b.test_lines(w) {
        let _ = writeln!(m, "{line}\n");
    }
    if b.findings.is_empty() {
        let _ = writeln!(m, "{}\n", w.no_finding);
    }
    for f in &b.findings {
        let _ = writeln!(m, "- {}", f.sentence);
        for (text, origin) in &f.quotes {
            let _ = writeln!(m, "  > « {text} » [{}]", r.origin(origin));
        }
    }
    m.push('\n');
}
