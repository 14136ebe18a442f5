//! Stage 7: the report that report writers read: `report.html` (self-contained: inline CSS and SVG,
//! no script, no font, no network; prints well) and `report.md`, in French or English, rebuilt
//! from a run's tables alone.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::ingest::TextColumn;
use crate::table::{self, ThemeRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Fr,
    En,
}

/// Every sentence of the report, per language.
struct Words {
    title: &'static str,
    glance: &'static str,
    rows_read: &'static str,
    rows_assigned: &'static str,
    duplicates: &'static str,
    rejected: &'static str,
    themes: &'static str,
    share_per_category: &'static str,
    outside: &'static str,
    by_category: &'static str,
    no_theme: &'static str,
    keywords: &'static str,
    testimonies: &'static str,
    purity: &'static str,
    map: &'static str,
    map_sampled: &'static str,
    map_note: &'static str,
    sizes: &'static str,
    evaluation: &'static str,
    figure: &'static str,
    value: &'static str,
    interval: &'static str,
    accuracy: &'static str,
    coverage: &'static str,
    confusion: &'static str,
    confusion_note: &'static str,
    methods: &'static str,
    model: &'static str,
    parameters: &'static str,
    seed: &'static str,
    date: &'static str,
    version: &'static str,
    mapping: &'static str,
    none_reason: &'static str,
    /// Decimal separator of the language (French writes 23,3 %).
    decimal: char,
}

const FR: Words = Words {
    title: "Synthèse des témoignages",
    glance: "Le corpus en bref",
    rows_read: "témoignages lus",
    rows_assigned: "rattachés à un thème",
    duplicates: "doublons exacts (comptés, regroupés)",
    rejected: "écartés",
    themes: "thèmes",
    share_per_category: "Part des témoignages par catégorie",
    outside: "hors catégories",
    by_category: "Thèmes par catégorie",
    no_theme: "Aucun thème rattaché à cette catégorie.",
    keywords: "Mots-clés",
    testimonies: "témoignages",
    purity: "pureté",
    map: "Carte des témoignages",
    map_sampled: "échantillon affiché :",
    map_note: "Projection des témoignages sur les deux premiers axes principaux de leurs représentations ; couleur : catégorie.",
    sizes: "Taille des thèmes",
    evaluation: "Accord avec l'étiquetage manuel",
    figure: "Indicateur",
    value: "Valeur",
    interval: "Intervalle à 95 %",
    accuracy: "exactitude",
    coverage: "couverture (hors « none »)",
    confusion: "Matrice de confusion",
    confusion_note: "Lignes : étiquette manuelle ; colonnes : verbatim.",
    methods: "Méthode",
    model: "Modèle",
    parameters: "Paramètres",
    seed: "graine",
    date: "Date",
    version: "Version",
    mapping: "Rattachement aux catégories",
    none_reason: "vide",
    decimal: ',',
};

const EN: Words = Words {
    title: "Summary of the testimonies",
    glance: "The corpus at a glance",
    rows_read: "testimonies read",
    rows_assigned: "assigned to a theme",
    duplicates: "exact duplicates (counted, grouped)",
    rejected: "set aside",
    themes: "themes",
    share_per_category: "Share of testimonies per category",
    outside: "outside the categories",
    by_category: "Themes by category",
    no_theme: "No theme belongs to this category.",
    keywords: "Keywords",
    testimonies: "testimonies",
    purity: "purity",
    map: "Map of the testimonies",
    map_sampled: "sample shown:",
    map_note: "Testimonies projected on the first two principal axes of their embeddings; colour: category.",
    sizes: "Theme sizes",
    evaluation: "Agreement with the manual tagging",
    figure: "Figure",
    value: "Value",
    interval: "95% interval",
    accuracy: "accuracy",
    coverage: "coverage (not “none”)",
    confusion: "Confusion matrix",
    confusion_note: "Rows: manual tag; columns: verbatim.",
    methods: "Method",
    model: "Model",
    parameters: "Parameters",
    seed: "seed",
    date: "Date",
    version: "Version",
    mapping: "Mapping onto the categories",
    none_reason: "empty",
    decimal: '.',
};

const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f",
];
const NONE_COLOUR: &str = "#b0b0b0";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Everything the report shows, read from a run's directory.
struct RunTables {
    run: serde_json::Value,
    evaluation: Option<serde_json::Value>,
    themes: Vec<ThemeRow>,
    assignments: Vec<TextColumn>,
    categories: Vec<(String, String)>,
}

impl RunTables {
    fn read(dir: &Path) -> Result<Self> {
        let read_json = |name: &str| -> Result<serde_json::Value> {
            let p = dir.join(name);
            let text = std::fs::read_to_string(&p).with_context(|| {
                format!(
                    "cannot read {}: is {} the output of `verbatim run`?",
                    p.display(),
                    dir.display()
                )
            })?;
            Ok(serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", p.display()))?)
        };
        let run = read_json("run.json")?;
        let evaluation = dir
            .join("evaluation.json")
            .exists()
            .then(|| read_json("evaluation.json"))
            .transpose()?;
        let categories = run["taxonomy"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|c| {
                        Some((
                            c["id"].as_str()?.to_string(),
                            c["name"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            themes: table::read_themes(&dir.join("themes.parquet"))?,
            assignments: table::read_parquet_as_text(&dir.join("assignments.parquet"))?,
            run,
            evaluation,
            categories,
        })
    }

    fn column(&self, name: &str) -> Option<&Vec<Option<String>>> {
        self.assignments
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.values)
    }

    fn colour(&self, category: &str) -> &'static str {
        self.categories
            .iter()
            .position(|(id, _)| id == category)
            .map_or(NONE_COLOUR, |i| PALETTE[i % PALETTE.len()])
    }

    /// (category id, display name, rows) in taxonomy order, then `none` when present.
    fn category_counts(&self, w: &Words) -> Vec<(String, String, usize)> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        if let Some(p) = self.column("pillar") {
            for v in p.iter().flatten() {
                *counts.entry(v.as_str()).or_default() += 1;
            }
        }
        let mut out: Vec<(String, String, usize)> = self
            .categories
            .iter()
            .map(|(id, name)| {
                (
                    id.clone(),
                    name.clone(),
                    counts.get(id.as_str()).copied().unwrap_or(0),
                )
            })
            .collect();
        if let Some(&n) = counts.get("none") {
            out.push(("none".into(), w.outside.to_string(), n));
        }
        out
    }
}

/// Horizontal bar chart as inline SVG.
fn bar_chart(items: &[(String, f64, &str)], value_label: impl Fn(f64) -> String) -> String {
    let (label_w, bar_w, row_h) = (330.0, 330.0, 26.0);
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1e-12);
    let height = row_h * items.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {} {height}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
        label_w + bar_w + 70.0
    );
    for (i, (label, value, colour)) in items.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let w = bar_w * value / max;
        let short: String = if label.chars().count() > 48 {
            label.chars().take(46).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text><rect x=\"{label_w:.0}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{colour}\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            label_w - 8.0,
            y + 16.0,
            escape(&short),
            y + 3.0,
            row_h - 8.0,
            escape(label),
            label_w + w + 5.0,
            y + 16.0,
            escape(&value_label(*value))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Scatter plot of the map coordinates, coloured by category; at most 4,000 points, taken evenly.
/// Most points drawn on the map.
const MAP_POINTS: usize = 5000;

fn scatter(points: &[(f32, f32, &str)], legend: &[(String, &str)]) -> String {
    let (w, h, pad) = (640.0f32, 420.0f32, 20.0f32);
    let step = (points.len() / 4000).max(1);
    let drawn: Vec<&(f32, f32, &str)> = points.iter().step_by(step).collect();
    let (min_x, max_x) = drawn
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (min_y, max_y) = drawn
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let sx = (w - 2.0 * pad) / (max_x - min_x).max(1e-6);
    let sy = (h - 2.0 * pad) / (max_y - min_y).max(1e-6);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
        h + 24.0 * legend.len().div_ceil(3) as f32 + 10.0
    );
    for p in &drawn {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"{}\" fill-opacity=\"0.75\"/>",
            pad + (p.0 - min_x) * sx,
            h - pad - (p.1 - min_y) * sy,
            p.2
        );
    }
    for (i, (label, colour)) in legend.iter().enumerate() {
        let x = 10.0 + (i % 3) as f32 * 215.0;
        let y = h + 20.0 + (i / 3) as f32 * 24.0;
        let short: String = if label.chars().count() > 30 {
            label.chars().take(28).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<circle cx=\"{x}\" cy=\"{:.0}\" r=\"6\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            y - 4.0,
            x + 10.0,
            y,
            escape(&short)
        );
    }
    svg.push_str("</svg>");
    svg
}

const CSS: &str = "body{font-family:Georgia,'Times New Roman',serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.8em;border-bottom:2px solid #333}h2{margin-top:2em;border-bottom:1px solid #bbb}h3{margin-bottom:.2em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
.figures{display:flex;flex-wrap:wrap;gap:1.5em}.figure{font-size:1.6em;font-weight:bold}.small{color:#555;font-size:.9em}\
blockquote{margin:.4em 0 .4em 1em;padding-left:.8em;border-left:4px solid #ccc}.id{color:#777;font-size:.8em}\
.chip{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.4em;vertical-align:middle}\
.theme{page-break-inside:avoid;margin-bottom:1.2em}svg.chart{max-width:100%;height:auto}\
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}a{color:inherit}}";

/// Writes `report.html` and `report.md` in `dir` from the run's tables.
pub fn write_report(dir: &Path, lang: Lang) -> Result<()> {
    let w = match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    };
    let t = RunTables::read(dir)?;
    let html = html(&t, w, lang);
    let md = markdown(&t, w);
    table::write_atomically(&dir.join("report.html"), |f| {
        use std::io::Write;
        f.write_all(html.as_bytes())?;
        Ok(())
    })?;
    table::write_atomically(&dir.join("report.md"), |f| {
        use std::io::Write;
        f.write_all(md.as_bytes())?;
        Ok(())
    })
}

impl Words {
    /// A share as a percentage, with the language's decimal separator.
    fn pct(&self, v: f64) -> String {
        format!("{:.1} %", v * 100.0).replace('.', &self.decimal.to_string())
    }
}

fn html(t: &RunTables, w: &Words, lang: Lang) -> String {
    let rows = &t.run["rows"];
    let num = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let mut h = String::new();
    let lang_code = if lang == Lang::Fr { "fr" } else { "en" };
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{lang_code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><h1>{}</h1>",
        w.title, w.title
    );
    // At a glance.
    let _ = write!(h, "<h2>{}</h2><div class=\"figures\">", w.glance);
    for (value, label) in [
        (num(&rows["read"]), w.rows_read),
        (num(&rows["assigned"]), w.rows_assigned),
        (t.themes.len() as u64, w.themes),
        (num(&rows["duplicates"]), w.duplicates),
        (num(&rows["rejected"]), w.rejected),
    ] {
        let _ = write!(
            h,
            "<div><div class=\"figure\">{value}</div><div class=\"small\">{label}</div></div>"
        );
    }
    h.push_str("</div>");
    if let Some(reasons) = rows["rejected_by_reason"]
        .as_object()
        .filter(|r| !r.is_empty())
    {
        let list: Vec<String> = reasons
            .iter()
            .map(|(k, v)| {
                format!(
                    "{} : {}",
                    if k == "empty" {
                        w.none_reason
                    } else {
                        k.as_str()
                    },
                    v
                )
            })
            .collect();
        let _ = write!(
            h,
            "<p class=\"small\">{} — {}</p>",
            w.rejected,
            escape(&list.join(", "))
        );
    }
    let counts = t.category_counts(w);
    let assigned = counts.iter().map(|c| c.2).sum::<usize>().max(1);
    let bars: Vec<(String, f64, &str)> = counts
        .iter()
        .map(|(id, name, n)| {
            (
                format!("{id} · {name}"),
                *n as f64 / assigned as f64,
                t.colour(id),
            )
        })
        .collect();
    let _ = write!(
        h,
        "<h3>{}</h3>{}",
        w.share_per_category,
        bar_chart(&bars, |v| w.pct(v))
    );

    // Themes per category.
    let _ = write!(h, "<h2>{}</h2>", w.by_category);
    for (id, name, n) in &counts {
        let _ = write!(
            h,
            "<h3><span class=\"chip\" style=\"background:{}\"></span>{} — {} <span class=\"small\">({n} {})</span></h3>",
            t.colour(id),
            escape(id),
            escape(name),
            w.testimonies
        );
        let mut themes: Vec<&ThemeRow> = t.themes.iter().filter(|th| &th.pillar == id).collect();
        themes.sort_by(|a, b| b.size.cmp(&a.size).then(a.theme_id.cmp(&b.theme_id)));
        if themes.is_empty() {
            let _ = write!(h, "<p class=\"small\">{}</p>", w.no_theme);
        }
        for th in themes {
            let _ = write!(
                h,
                "<div class=\"theme\"><h4>{} <span class=\"small\">— {} {}, {} ; {} {}</span></h4><p><b>{}</b> : {}</p>",
                escape(&th.title),
                th.size,
                w.testimonies,
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
                    escape(qid)
                );
            }
            h.push_str("</div>");
        }
    }

    // Map and theme sizes.
    if let (Some(x), Some(y), Some(p)) = (t.column("map_x"), t.column("map_y"), t.column("pillar"))
    {
        let points: Vec<(f32, f32, &str)> = x
            .iter()
            .zip(y)
            .zip(p)
            .filter_map(|((x, y), p)| {
                Some((
                    x.as_deref()?.parse().ok()?,
                    y.as_deref()?.parse().ok()?,
                    t.colour(p.as_deref()?),
                ))
            })
            .collect();
        // An SVG of a million circles would not open: beyond MAP_POINTS, every k-th testimony.
        let step = points.len().div_ceil(MAP_POINTS).max(1);
        let points: Vec<(f32, f32, &str)> = points.into_iter().step_by(step).collect();
        let legend: Vec<(String, &str)> = counts
            .iter()
            .map(|(id, name, _)| (format!("{id} {name}"), t.colour(id)))
            .collect();
        if !points.is_empty() {
            let sampled = if step > 1 {
                format!(" ({} 1/{step})", w.map_sampled)
            } else {
                String::new()
            };
            let _ = write!(
                h,
                "<h2>{}</h2><p class=\"small\">{}{sampled}</p>{}",
                w.map,
                w.map_note,
                scatter(&points, &legend)
            );
        }
    }
    let sizes: Vec<(String, f64, &str)> = t
        .themes
        .iter()
        .map(|th| {
            (
                format!("{} · {}", th.theme_id, th.title),
                th.size as f64,
                t.colour(&th.pillar),
            )
        })
        .collect();
    let _ = write!(
        h,
        "<h2>{}</h2>{}",
        w.sizes,
        bar_chart(&sizes, |v| format!("{v:.0}"))
    );

    if let Some(e) = &t.evaluation {
        let _ = write!(
            h,
            "<h2>{}</h2>{}",
            w.evaluation,
            evaluation_table(e, w, true)
        );
    }
    let _ = write!(h, "<h2>{}</h2>{}", w.methods, methods(t, w, true));
    h.push_str("</body></html>\n");
    h
}

fn evaluation_table(e: &serde_json::Value, w: &Words, html: bool) -> String {
    let f = |k: &str| e[k].as_f64().map_or("–".into(), |v| format!("{v:.3}"));
    let ci = |k: &str| {
        let c = &e["confidence_intervals_95"][k];
        match (c["low"].as_f64(), c["high"].as_f64()) {
            (Some(l), Some(hi)) => format!("[{l:.3} ; {hi:.3}]"),
            _ => String::new(),
        }
    };
    let rows = [
        (w.accuracy.to_string(), f("accuracy"), ci("accuracy")),
        ("macro-F1".to_string(), f("macro_f1"), ci("macro_f1")),
        (
            "kappa de Cohen / Cohen's kappa".to_string(),
            f("cohen_kappa"),
            ci("cohen_kappa"),
        ),
        (w.coverage.to_string(), f("coverage"), String::new()),
        (
            "ARI / NMI".to_string(),
            format!("{} / {}", f("ari"), f("nmi")),
            String::new(),
        ),
    ];
    let labels: Vec<String> = e["confusion"]["labels"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let matrix: Vec<Vec<u64>> = e["confusion"]["rows_gold_columns_predicted"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|r| {
                    r.as_array()
                        .map(|r| r.iter().filter_map(|v| v.as_u64()).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut s = String::new();
    if html {
        let _ = write!(
            s,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            w.figure, w.value, w.interval
        );
        for (a, b, c) in &rows {
            let _ = write!(s, "<tr><td>{}</td><td>{b}</td><td>{c}</td></tr>", escape(a));
        }
        let _ = write!(
            s,
            "</table><h3>{}</h3><p class=\"small\">{}</p><table><tr><th></th>",
            w.confusion, w.confusion_note
        );
        for l in &labels {
            let _ = write!(s, "<th>{}</th>", escape(l));
        }
        s.push_str("</tr>");
        for (l, r) in labels.iter().zip(&matrix) {
            let _ = write!(s, "<tr><th>{}</th>", escape(l));
            for v in r {
                let _ = write!(s, "<td>{v}</td>");
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>");
    } else {
        let _ = writeln!(
            s,
            "| {} | {} | {} |\n|---|---|---|",
            w.figure, w.value, w.interval
        );
        for (a, b, c) in &rows {
            let _ = writeln!(s, "| {a} | {b} | {c} |");
        }
        let _ = writeln!(
            s,
            "\n### {}\n\n{}\n\n| | {} |\n|---|{}",
            w.confusion,
            w.confusion_note,
            labels.join(" | "),
            "---|".repeat(labels.len())
        );
        for (l, r) in labels.iter().zip(&matrix) {
            let cells: Vec<String> = r.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(s, "| **{l}** | {} |", cells.join(" | "));
        }
    }
    s
}

fn methods(t: &RunTables, w: &Words, html: bool) -> String {
    let r = &t.run;
    let items = [
        (
            w.model,
            format!(
                "{} (sha256 {})",
                r["model"]["name"].as_str().unwrap_or(""),
                r["model"]["sha256"].as_str().unwrap_or("")
            ),
        ),
        (
            w.parameters,
            format!(
                "{} ; {} {}",
                r["parameters"].to_string(),
                w.seed,
                r["parameters"]["seed"]
            ),
        ),
        (
            w.mapping,
            r["mapping"]["method"].as_str().unwrap_or("").to_string(),
        ),
        (
            "Clustering",
            r["clustering"]["method"].as_str().unwrap_or("").to_string(),
        ),
        (
            w.date,
            r["timings"]["finished_at"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ),
        (
            w.version,
            format!(
                "verbatim {}",
                r["versions"]["verbatim"].as_str().unwrap_or("")
            ),
        ),
        (
            "Input",
            format!(
                "{} (sha256 {})",
                r["input"]["path"].as_str().unwrap_or(""),
                r["input"]["sha256"].as_str().unwrap_or("")
            ),
        ),
    ];
    let mut s = String::new();
    for (k, v) in items {
        if html {
            let _ = write!(s, "<p class=\"small\"><b>{k}</b> : {}</p>", escape(&v));
        } else {
            let _ = writeln!(s, "- **{k}**: {v}");
        }
    }
    s
}

fn markdown(t: &RunTables, w: &Words) -> String {
    let rows = &t.run["rows"];
    let mut m = String::new();
    let _ = writeln!(m, "# {}\n\n## {}\n", w.title, w.glance);
    let _ = writeln!(
        m,
        "- {} {}\n- {} {}\n- {} {}\n- {} {}\n- {} {}\n",
        rows["read"],
        w.rows_read,
        rows["assigned"],
        w.rows_assigned,
        t.themes.len(),
        w.themes,
        rows["duplicates"],
        w.duplicates,
        rows["rejected"],
        w.rejected
    );
    let counts = t.category_counts(w);
    let assigned = counts.iter().map(|c| c.2).sum::<usize>().max(1);
    let _ = writeln!(m, "### {}\n\n| | | |\n|---|---|---|", w.share_per_category);
    for (id, name, n) in &counts {
        let _ = writeln!(
            m,
            "| {id} | {name} | {n} ({}) |",
            w.pct(*n as f64 / assigned as f64)
        );
    }
    let _ = writeln!(m, "\n## {}\n", w.by_category);
    for (id, name, _) in &counts {
        let _ = writeln!(m, "### {id} — {name}\n");
        let mut themes: Vec<&ThemeRow> = t.themes.iter().filter(|th| &th.pillar == id).collect();
        themes.sort_by(|a, b| b.size.cmp(&a.size).then(a.theme_id.cmp(&b.theme_id)));
        if themes.is_empty() {
            let _ = writeln!(m, "{}\n", w.no_theme);
        }
        for th in themes {
            let _ = writeln!(
                m,
                "#### {} ({} {}, {})\n\n{} : {}\n",
                th.title,
                th.size,
                w.testimonies,
                w.pct(th.share),
                w.keywords,
                th.keywords.join(", ")
            );
            for (q, qid) in th.quotes.iter().zip(&th.quote_ids) {
                let _ = writeln!(m, "> « {} » [{qid}]\n", q.replace('\n', " "));
            }
        }
    }
    let _ = writeln!(m, "## {}\n\n| | {} |\n|---|---|", w.sizes, w.testimonies);
    for th in &t.themes {
        let _ = writeln!(m, "| {} · {} | {} |", th.theme_id, th.title, th.size);
    }
    if let Some(e) = &t.evaluation {
        let _ = writeln!(
            m,
            "\n## {}\n\n{}",
            w.evaluation,
            evaluation_table(e, w, false)
        );
    }
    let _ = writeln!(m, "\n## {}\n\n{}", w.methods, methods(t, w, false));
    m
}
