//! The report as one self-contained HTML page.

use std::fmt::Write as _;

use super::charts::{CSS, bar_chart, curve, scatter};
use super::who::{self, Breakdown, WhoSection, WhoWords};
use super::{CategorySection, Report, escape, evaluation_rows};
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
    tools(&mut h, r);
    for (i, section) in r.categories.iter().enumerate() {
        category(&mut h, r, section, i + 1);
    }
    if let Some(who) = &r.who {
        who_says_what(&mut h, r, who);
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
            w.titled(w.map, r.size_noun()),
            capitalised(&w.titled(w.map_note, r.size_noun())),
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
    annex(&mut h, r);
    let _ = writeln!(h, "<script>{SCRIPT}</script></body></html>");
    h
}

/// Filters quotes by category and searches them by word; hidden until the script shows it, so
/// that with scripts off the page reads whole and shows no dead control. No network.
const SCRIPT: &str = "(function(){var t=document.getElementById('tools');if(!t)return;t.hidden=false;\
var f=document.getElementById('filter'),s=document.getElementById('search');\
function norm(x){return x.toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');}\
function apply(){var c=f.value,w=norm(s.value.trim());\
document.querySelectorAll('.chapter').forEach(function(ch){ch.hidden=!!c&&ch.dataset.category!==c;});\
document.querySelectorAll('blockquote').forEach(function(q){q.hidden=!!w&&norm(q.textContent).indexOf(w)<0;});}\
f.addEventListener('change',apply);s.addEventListener('input',apply);})();";

/// The filter and the search box (shown by the script only).
fn tools(h: &mut String, r: &Report) {
    let w = r.words;
    let _ = write!(
        h,
        "<div id=\"tools\" class=\"tools\" hidden><label>{} <select id=\"filter\"><option value=\"\">{}</option>",
        w.chapter, w.all_categories
    );
    for c in &r.categories {
        let _ = write!(
            h,
            "<option value=\"{}\">{} — {}</option>",
            escape(&c.id),
            escape(&c.id),
            escape(&c.name)
        );
    }
    let _ = write!(
        h,
        "</select></label> <label>{} <input type=\"search\" id=\"search\"></label></div>",
        w.search
    );
}

/// Every proposal, by category then theme.
fn annex(h: &mut String, r: &Report) {
    let w = r.words;
    let _ = write!(
        h,
        "<section class=\"annex\" id=\"annex\"><h2>{}</h2><p class=\"small\">{}</p>",
        w.annex, w.annex_note
    );
    for c in &r.categories {
        let theirs: Vec<_> = r.proposals.iter().filter(|p| p.pillar == c.id).collect();
        if theirs.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<div class=\"chapter\" data-category=\"{}\"><h3>{} — {}</h3>",
            escape(&c.id),
            escape(&c.id),
            escape(&c.name)
        );
        let mut theme = None;
        for p in theirs {
            if theme != Some(p.theme_id) {
                let title = r.title_of(p.theme_id);
                let _ = write!(h, "<h4>{} · {}</h4>", p.theme_id, escape(&title));
                theme = Some(p.theme_id);
            }
            let _ = write!(
                h,
                "<blockquote class=\"proposal\">« {} » <span class=\"id\">[{}]</span></blockquote>",
                escape(&p.text),
                escape(&r.origin(&p.origin))
            );
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");
}

/// Quotes of one kind, each with its origin.
fn quotes(h: &mut String, r: &Report, class: &str, texts: &[String], ids: &[String]) {
    for (q, qid) in texts.iter().zip(ids) {
        let _ = write!(
            h,
            "<blockquote class=\"{class}\">« {} » <span class=\"id\">[{}]</span></blockquote>",
            escape(q),
            escape(&r.origin(qid))
        );
    }
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
    if let Some(line) = r.rejected_line() {
        let _ = write!(h, "<p class=\"small\">{}</p>", escape(&line));
    }
    let _ = write!(
        h,
        "<h3>{}</h3>{}",
        w.titled(w.share_per_category, r.unit_noun()),
        bar_chart(&r.share_bars(), |v| w.pct(v))
    );
    shares_table(h, r);
}

/// Each category's count and share, and with a manual tagging its share there (95% interval).
fn shares_table(h: &mut String, r: &Report) {
    let w = r.words;
    let gold = r.categories.iter().any(|c| c.gold.is_some());
    let _ = write!(
        h,
        "<table><tr><th></th><th>{}</th>",
        w.noun(2, r.unit_noun())
    );
    if gold {
        let _ = write!(h, "<th>{}</th>", w.in_tagging);
    }
    h.push_str("</tr>");
    for c in &r.categories {
        let _ = write!(
            h,
            "<tr><td>{} — {}</td><td>{} ({})</td>",
            escape(&c.id),
            escape(&c.name),
            c.rows,
            w.pct(c.share)
        );
        if let Some(g) = c.gold {
            let _ = write!(h, "<td>{}</td>", g.describe(w));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// One chapter: the category's share, its themes by size (proposals, then quotes), then the
/// experiences and initiatives its testimonies report.
fn category(h: &mut String, r: &Report, c: &CategorySection, number: usize) {
    let w = r.words;
    let counted = match c.raised {
        Some(raised) => format!(
            "{} ; {} {}",
            w.count(c.rows, w.document_n),
            w.raised_by,
            w.count(raised, w.document_n)
        ),
        None => w.count(c.rows, w.testimony_n),
    };
    let _ = write!(
        h,
        "<section class=\"chapter\" id=\"chapter-{}\" data-category=\"{}\"><h2><span class=\"chip\" style=\"background:{}\"></span>{} {number} · {} — {}</h2><p class=\"small\">{} ({})</p>",
        escape(&c.id),
        escape(&c.id),
        c.colour,
        w.chapter,
        escape(&c.id),
        escape(&c.name),
        counted,
        w.pct(c.share)
    );
    if c.themes.is_empty() {
        let _ = write!(h, "<p class=\"small\">{}</p>", w.no_theme);
    }
    for th in &c.themes {
        let _ = write!(
            h,
            "<div class=\"theme\"><h3>{} <span class=\"small\">— {} {}, {} ; {} {}</span></h3><p><b>{}</b> : {}</p>",
            escape(&th.title),
            th.size,
            r.unit_words(th),
            w.pct(th.share),
            w.purity,
            w.pct(th.pillar_purity as f64),
            w.keywords,
            escape(&th.keywords.join(", "))
        );
        if !th.proposals.is_empty() {
            let _ = write!(h, "<h4>{}</h4>", w.proposals);
            quotes(h, r, "proposal", &th.proposals, &th.proposal_ids);
        }
        let _ = write!(h, "<h4>{}</h4>", w.quotes);
        quotes(h, r, "quote", &th.quotes, &th.quote_ids);
        h.push_str("</div>");
    }
    if c.themes.iter().any(|th| !th.experiences.is_empty()) {
        let _ = write!(h, "<h3>{}</h3>", w.experiences);
        for th in &c.themes {
            quotes(h, r, "experience", &th.experiences, &th.experience_ids);
        }
    }
    h.push_str("</section>");
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

/// The "who says what" chapter: campaigns, each breakdown, categories raised together,
/// saturation.
fn who_says_what(h: &mut String, r: &Report, who: &WhoSection) {
    let w = who.words;
    let _ = write!(
        h,
        "<section id=\"who\"><h2>{}</h2><p>{}</p>",
        w.chapter,
        escape(&who.counts_line())
    );
    if !who.campaigns.is_empty() {
        let note = who.campaigns_note();
        let _ = write!(
            h,
            "<h3>{}</h3><p class=\"small\">{}</p>",
            w.campaigns,
            escape(&note)
        );
        for c in &who.campaigns {
            let _ = write!(
                h,
                "<p>{}</p><blockquote class=\"quote\">« {} »</blockquote>",
                escape(&who.campaign_line(c)),
                escape(&c.text)
            );
        }
    }
    for b in &who.breakdowns {
        breakdown(h, r, w, b);
    }
    if let Some((labels, m)) = &who.together {
        let _ = write!(
            h,
            "<h3>{}</h3><p class=\"small\">{}</p><table><tr><th></th>",
            w.together, w.together_note
        );
        for l in labels {
            let _ = write!(h, "<th>{}</th>", escape(l));
        }
        h.push_str("</tr>");
        for (l, row) in labels.iter().zip(m) {
            let _ = write!(h, "<tr><th>{}</th>", escape(l));
            for v in row {
                let _ = write!(h, "<td>{v}</td>");
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    let points: Vec<(f64, f64, f64, f64)> = (who.saturation.points.iter())
        .map(|p| (p.contributions, p.themes_seen, p.lowest, p.highest))
        .collect();
    let _ = write!(
        h,
        "<h3>{}</h3><p>{}</p>{}<p class=\"small\">{}</p></section>",
        w.saturation,
        escape(&who.saturation_line(r.lang)),
        curve(&points, w.axis_contributions, w.axis_themes),
        escape(&who.saturation_note())
    );
}

/// One `--by` table: row shares shaded by residual, significant cells linked to their finding.
fn breakdown(h: &mut String, r: &Report, w: &WhoWords, b: &Breakdown) {
    let _ = write!(
        h,
        "<h3>{}</h3><p class=\"small\">{}</p><table><tr><th>{}</th><th>{}</th>",
        escape(&b.column),
        w.by_note,
        w.group,
        w.documents
    );
    for (id, name) in &b.categories {
        let _ = write!(h, "<th title=\"{}\">{}</th>", escape(name), escape(id));
    }
    h.push_str("</tr>");
    for row in &b.rows {
        let small = if row.small { " class=\"small\"" } else { "" };
        let _ = write!(
            h,
            "<tr{small}><td>{}</td><td>{}</td>",
            escape(&row.group),
            row.documents
        );
        for (share, residual, _, anchor) in &row.cells {
            let shade = residual.map_or(String::new(), |z| {
                let (rgb, a) = if z > 0.0 {
                    ("31,119,180", z)
                } else {
                    ("214,39,40", -z)
                };
                format!(
                    " style=\"background:rgba({rgb},{:.2})\"",
                    (a / 4.0).min(1.0) * 0.6
                )
            });
            let text = who::lang_pct(*share, r.lang);
            let _ = match anchor {
                Some(a) => write!(h, "<td{shade}><a href=\"#{a}\"><b>{text}</b></a></td>"),
                None => write!(h, "<td{shade}>{text}</td>"),
            };
        }
        h.push_str("</tr>");
    }
    let _ = write!(h, "<tr><th>{}</th><th></th>", w.overall);
    for v in &b.overall {
        let _ = write!(h, "<th>{}</th>", who::lang_pct(*v, r.lang));
    }
    h.push_str("</tr></table>");
    for line in b.test_lines(w) {
        let _ = write!(h, "<p class=\"small\">{}</p>", escape(&line));
    }
    if b.findings.is_empty() {
        let _ = write!(h, "<p>{}</p>", w.no_finding);
    }
    for f in &b.findings {
        let _ = write!(
            h,
            "<p id=\"{}\">{}</p>",
            escape(&f.anchor),
            escape(&f.sentence)
        );
        for (text, origin) in &f.quotes {
            let _ = write!(
                h,
                "<blockquote class=\"quote\">« {} » <span class=\"id\">[{}]</span></blockquote>",
                escape(text),
                escape(&r.origin(origin))
            );
        }
    }
}

/// The sentence with its first letter in capitals ("the passages projected…" → "The passages…").
fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
