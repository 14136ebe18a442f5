//! The report that report writers read: `report.html` (self-contained: inline CSS and SVG, no
//! script, no font, no network; prints well) and `report.md`, in French or English, rebuilt from a
//! run's files alone.
//!
//! The report is built once as a model ([`Report`]: what to show, in order) from the run's typed
//! record and tables, then rendered twice, by `html` and `markdown`, the way ripgrep's printers
//! render one search result.

mod charts;
mod html;
mod markdown;
mod methods;
mod office;
mod who;
mod words;

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;

use crate::evaluate::files::Evaluation;
use crate::stages::write::record::RunRecord;
use crate::stages::write::table::{self, TextColumn, ThemeRow};
use words::{EN, FR, Words};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    fn words(self) -> &'static Words {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
    fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// The categories' colours, in taxonomy order (the report, the REFI-QDA code tree).
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f",
];
pub const NONE_COLOUR: &str = "#b0b0b0";

/// Most points drawn on the map: an SVG of a million circles would not open.
const MAP_POINTS: usize = 5000;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Everything the report shows, in the order it shows it.
pub struct Report {
    words: &'static Words,
    lang: Lang,
    /// Headline figures: (value, label).
    /// Headline counts, each with its unit ("52 passages analysés", "5 contributions lues").
    glance: Vec<(usize, &'static str)>,
    /// Why rows were set aside: (reason, rows).
    rejected: Vec<(String, usize)>,
    /// Categories in taxonomy order, then `none` when some rows went there.
    categories: Vec<CategorySection>,
    map: Option<MapView>,
    /// Every theme: (label, size, colour).
    sizes: Vec<(String, f64, &'static str)>,
    evaluation: Option<Evaluation>,
    /// (heading, text) of the methods section.
    methods: Vec<(&'static str, String)>,
    /// Passage mode: where each quoted passage lies, by `document#passage`.
    positions: Option<HashMap<String, (String, String)>>,
    /// Every proposal (proposals.parquet): category, theme, origin, text; by category and theme.
    proposals: Vec<Proposal>,
    /// Who says what: breakdowns, categories raised together, campaigns, saturation.
    who: Option<who::WhoSection>,
    /// The run, for the Word and OpenDocument properties.
    run_id: String,
    finished_at: String,
}

/// One proposal of the annex.
struct Proposal {
    pillar: String,
    theme_id: u32,
    /// `id`, or `id#passage` in passage mode.
    origin: String,
    text: String,
}

struct CategorySection {
    id: String,
    name: String,
    rows: usize,
    /// Share of the rows given a category or `none`.
    share: f64,
    colour: &'static str,
    /// Its themes, largest first.
    themes: Vec<ThemeRow>,
    /// Passage mode: documents that raise the category (its `pillars` list names it).
    raised: Option<usize>,
    /// With a manual tagging: the category's share of the tagged rows and its 95% interval.
    gold: Option<GoldShare>,
}

/// A category's share in the manual tagging (Wilson score interval, 95%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoldShare {
    pub count: usize,
    pub tagged: usize,
    pub share: f64,
    pub low: f64,
    pub high: f64,
}

impl GoldShare {
    /// `count` of `tagged` rows, with the Wilson interval (z = 1.96).
    pub fn new(count: usize, tagged: usize) -> Self {
        let (low, high) = crate::evaluate::wilson(count, tagged);
        Self {
            count,
            tagged,
            share: count as f64 / tagged.max(1) as f64,
            low,
            high,
        }
    }

    /// "12 / 80 : 15,0 % [9,1 % ; 24,3 %]", as both renderings show it.
    fn describe(&self, w: &Words) -> String {
        format!(
            "{} / {} : {} [{} ; {}]",
            self.count,
            self.tagged,
            w.pct(self.share),
            w.pct(self.low),
            w.pct(self.high)
        )
    }
}

/// Each category's share among the tagged rows (the confusion matrix's row sums).
fn gold_shares(categories: &mut [CategorySection], e: &Evaluation) {
    let c = &e.confusion;
    let tagged: usize = c.rows_gold_columns_predicted.iter().flatten().sum();
    for section in categories.iter_mut() {
        let count = c
            .labels
            .iter()
            .position(|l| *l == section.id)
            .map_or(0, |i| c.rows_gold_columns_predicted[i].iter().sum());
        section.gold = (tagged > 0).then(|| GoldShare::new(count, tagged));
    }
}

struct MapView {
    points: Vec<(f32, f32, &'static str)>,
    /// One testimony in `step` is drawn.
    step: usize,
    legend: Vec<(String, &'static str)>,
}

/// Writes `report.html` and `report.md` in `dir` from the run's files, and `report.docx` and
/// `report.odt` unless `office` is false.
pub fn write_report(dir: &Path, lang: Lang, office: bool) -> Result<()> {
    let report = Report::read(dir, lang)?;
    if office {
        office::write(dir, &report)?;
    }
    let html = html::render(&report);
    let md = markdown::render(&report);
    for (name, text) in [("report.html", html), ("report.md", md)] {
        table::write_atomically(&dir.join(name), |f| {
            use std::io::Write;
            f.write_all(text.as_bytes())?;
            Ok(())
        })?;
    }
    Ok(())
}

impl Report {
    /// Builds the report of the run in `dir`.
    pub fn read(dir: &Path, lang: Lang) -> Result<Self> {
        let run = RunRecord::read(dir)?;
        run.check_output(dir, "themes.parquet")?;
        run.check_output(dir, "assignments.parquet")?;
        let evaluation = Evaluation::read_if_any(dir)?.filter(|e| {
            let ours = e.run_id.as_deref().is_none_or(|id| id == run.run_id);
            if !ours {
                log::warn!(
                    "{}: evaluation.json evaluates another run: left out of the report",
                    dir.display()
                );
            }
            ours
        });
        let themes = table::read_themes(&dir.join("themes.parquet"))?;
        let assignments = table::read_parquet_as_text(&dir.join("assignments.parquet"))?;
        let column = |name: &str| {
            assignments
                .iter()
                .find(|c| c.name == name)
                .map(|c| &c.values)
        };
        let palette = Palette::of(&run);
        let mut categories =
            category_sections(&run, &themes, column("pillar"), lang.words(), &palette);
        let passages = match run.unit.unit.as_str() {
            "passage" => {
                run.check_output(dir, "passages.parquet")?;
                Some(table::read_parquet_as_text(&dir.join("passages.parquet"))?)
            }
            _ => None,
        };
        if let Some(pillars) = column("pillars") {
            count_raised(&mut categories, pillars);
        }
        if let Some(e) = &evaluation {
            gold_shares(&mut categories, e);
        }
        run.check_output(dir, "proposals.parquet")?;
        let proposals = read_proposals(&dir.join("proposals.parquet"))?;
        let who = who::section(&who::Sources {
            dir,
            run: &run,
            themes: &themes,
            proposals: &proposals,
            lang,
        })?;
        Ok(Self {
            who,
            run_id: run.run_id.clone(),
            finished_at: run.timings.finished_at.clone(),
            words: lang.words(),
            lang,
            glance: glance(&run, themes.len(), lang.words()),
            rejected: rejected(&run, lang.words()),
            map: map_view(
                passages.as_deref().unwrap_or(&assignments),
                &categories,
                &palette,
            ),
            positions: passages.as_deref().map(positions),
            proposals,
            sizes: themes
                .iter()
                .map(|th| {
                    let label = format!("{} · {}", th.theme_id, th.title);
                    (label, th.size as f64, palette.colour(&th.pillar))
                })
                .collect(),
            categories,
            evaluation,
            methods: methods::rows(&run, lang.words()),
        })
    }
}

/// A colour per category id, in taxonomy order; grey for `none`.
struct Palette(Vec<String>);

impl Palette {
    fn of(run: &RunRecord) -> Self {
        Self(run.taxonomy.iter().map(|c| c.id.clone()).collect())
    }
    fn colour(&self, category: &str) -> &'static str {
        self.0
            .iter()
            .position(|id| id == category)
            .map_or(NONE_COLOUR, |i| PALETTE[i % PALETTE.len()])
    }
}

/// The headline counts. In passage mode `rows` counts passages: documents are counted apart, so
/// that no count is read in the wrong unit.
fn glance(run: &RunRecord, themes: usize, w: &Words) -> Vec<(usize, &'static str)> {
    let rows = &run.rows;
    let counted = |n: usize, noun: &'static str| (n, w.noun(n, noun));
    match passage_mode(run) {
        false => vec![
            counted(rows.read, w.read_n),
            counted(rows.assigned, w.assigned_n),
            counted(themes, w.theme_n),
            counted(rows.duplicates, w.duplicates_n),
            counted(rows.rejected, w.rejected_n),
        ],
        true => {
            let by_status = &run.unit.documents_by_status;
            let documents = by_status.values().sum();
            let unreadable = (by_status.iter())
                .filter(|(s, _)| s.starts_with("rejected:"))
                .map(|(_, n)| n)
                .sum();
            vec![
                counted(documents, w.documents_read_n),
                counted(unreadable, w.documents_rejected_n),
                counted(rows.read, w.passages_read_n),
                counted(rows.assigned, w.passages_assigned_n),
                counted(themes, w.theme_n),
                counted(rows.duplicates, w.passage_duplicates_n),
            ]
        }
    }
}

/// Whether the run analysed passages of documents.
fn passage_mode(run: &RunRecord) -> bool {
    run.unit.unit == "passage"
}

/// Why rows were set aside, by reason: documents in passage mode (an unreadable file), else
/// testimonies.
fn rejected(run: &RunRecord, w: &Words) -> Vec<(String, usize)> {
    let documents: std::collections::BTreeMap<String, usize> = (run.unit.documents_by_status)
        .iter()
        .filter_map(|(s, &n)| Some((s.strip_prefix("rejected:")?.to_string(), n)))
        .collect();
    let reasons = match passage_mode(run) {
        true => &documents,
        false => &run.rows.rejected_by_reason,
    };
    reasons
        .iter()
        .map(|(reason, &n)| {
            let label = if reason == "empty" {
                w.none_reason
            } else {
                reason
            };
            (label.to_string(), n)
        })
        .collect()
}

/// Rows per category (taxonomy order, then `none` when present), each with its themes.
fn category_sections(
    run: &RunRecord,
    themes: &[ThemeRow],
    pillar: Option<&Vec<Option<String>>>,
    w: &Words,
    palette: &Palette,
) -> Vec<CategorySection> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in pillar.into_iter().flatten().flatten() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut sections: Vec<(String, String, usize)> = run
        .taxonomy
        .iter()
        .map(|c| {
            let n = counts.get(c.id.as_str()).copied().unwrap_or(0);
            (c.id.clone(), c.name.clone(), n)
        })
        .collect();
    if let Some(&n) = counts.get("none") {
        sections.push(("none".into(), w.outside.to_string(), n));
    }
    let total = sections.iter().map(|s| s.2).sum::<usize>().max(1);
    sections
        .into_iter()
        .map(|(id, name, rows)| {
            let mut own: Vec<ThemeRow> = themes
                .iter()
                .filter(|th| th.pillar == id)
                .cloned()
                .collect();
            own.sort_by(|a, b| b.size.cmp(&a.size).then(a.theme_id.cmp(&b.theme_id)));
            CategorySection {
                colour: palette.colour(&id),
                share: rows as f64 / total as f64,
                id,
                name,
                rows,
                themes: own,
                raised: None,
                gold: None,
            }
        })
        .collect()
}

/// The proposals table, as the annex lists it.
fn read_proposals(path: &Path) -> Result<Vec<Proposal>> {
    let columns = table::read_parquet_as_text(path)?;
    let column = |name: &str| columns.iter().find(|c| c.name == name).map(|c| &c.values);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (Some(ids), Some(themes), Some(pillars), Some(texts)) = (
        column("id"),
        column("theme_id"),
        column("pillar"),
        column("text"),
    ) else {
        return Ok(Vec::new());
    };
    let passages = column("passage");
    Ok((0..ids.len())
        .map(|i| Proposal {
            pillar: text(&pillars[i]),
            theme_id: text(&themes[i]).parse().unwrap_or(0),
            origin: match passages {
                Some(p) => crate::stages::passages::cut::key(&text(&ids[i]), text(&p[i])),
                None => text(&ids[i]),
            },
            text: text(&texts[i]),
        })
        .collect())
}

/// Documents per category whose `pillars` list names it (`p1|p3` cells).
fn count_raised(categories: &mut [CategorySection], pillars: &[Option<String>]) {
    for c in categories.iter_mut().filter(|c| c.id != "none") {
        let n = pillars
            .iter()
            .flatten()
            .filter(|cell| cell.split(table::LABEL_JOIN).any(|l| l == c.id))
            .count();
        c.raised = Some(n);
    }
}

/// `document#passage` → (start, end) from the passages table.
fn positions(passages: &[TextColumn]) -> HashMap<String, (String, String)> {
    let column = |name: &str| passages.iter().find(|c| c.name == name).map(|c| &c.values);
    let (Some(ids), Some(ranks), Some(starts), Some(ends)) = (
        column("id"),
        column("passage"),
        column("start"),
        column("end"),
    ) else {
        return HashMap::new();
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    (0..ids.len())
        .map(|i| {
            let key = crate::stages::passages::cut::key(&text(&ids[i]), text(&ranks[i]));
            (key, (text(&starts[i]), text(&ends[i])))
        })
        .collect()
}

impl Report {
    /// "Écartés — vide : 3, …": why rows were set aside, when some were.
    fn rejected_line(&self) -> Option<String> {
        let list: Vec<String> = (self.rejected.iter())
            .map(|(k, v)| format!("{k} : {v}"))
            .collect();
        (!list.is_empty()).then(|| format!("{} — {}", self.words.rejected, list.join(", ")))
    }

    /// Each category's share as a bar: (label, share, colour).
    fn share_bars(&self) -> Vec<(String, f64, &'static str)> {
        (self.categories.iter())
            .map(|c| (format!("{} · {}", c.id, c.name), c.share, c.colour))
            .collect()
    }

    /// A theme's title, by id.
    fn title_of(&self, theme_id: u32) -> String {
        self.categories
            .iter()
            .flat_map(|c| &c.themes)
            .find(|t| t.theme_id == theme_id)
            .map(|t| t.title.clone())
            .unwrap_or_default()
    }

    /// "12 testimonies", or in passage mode "12 passages, 5 contributions" (the size first).
    fn unit_words(&self, th: &ThemeRow) -> String {
        let w = self.words;
        match self.positions {
            Some(_) => format!(
                "{}, {}",
                w.noun(th.size as usize, w.passage_n),
                w.count(th.documents as usize, w.document_n)
            ),
            None => w.noun(th.size as usize, w.testimony_n).to_string(),
        }
    }

    /// What a theme's size counts (plural, for a column header): passages or testimonies.
    pub fn size_header(&self) -> &'static str {
        self.words.noun(2, self.size_noun())
    }

    /// What a theme's size and a point of the map count: passages or testimonies.
    pub fn size_noun(&self) -> &'static str {
        match self.positions {
            Some(_) => self.words.passage_n,
            None => self.words.testimony_n,
        }
    }

    /// What the categories' counts count: contributions in passage mode, else testimonies.
    pub fn unit_noun(&self) -> &'static str {
        match self.positions {
            Some(_) => self.words.document_n,
            None => self.words.testimony_n,
        }
    }

    /// How a quote's origin is shown: its id, or in passage mode its document, passage and
    /// characters ("lettre.txt · passage 2 · caractères 140–280").
    fn origin(&self, quote_id: &str) -> String {
        let w = self.words;
        let Some(positions) = &self.positions else {
            return quote_id.to_string();
        };
        let Some((doc, rank)) = crate::stages::passages::cut::split_key(quote_id) else {
            return quote_id.to_string();
        };
        match positions.get(quote_id) {
            Some((start, end)) => format!(
                "{doc} · {} {rank} · {} {start}–{end}",
                w.passage, w.characters
            ),
            None => format!("{doc} · {} {rank}", w.passage),
        }
    }
}

/// The map's points (every `step`-th testimony beyond [`MAP_POINTS`]) and its legend.
fn map_view(
    assignments: &[TextColumn],
    categories: &[CategorySection],
    palette: &Palette,
) -> Option<MapView> {
    let column = |name: &str| {
        assignments
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.values)
    };
    let (x, y, p) = (column("map_x")?, column("map_y")?, column("pillar")?);
    let points: Vec<(f32, f32, &'static str)> = x
        .iter()
        .zip(y)
        .zip(p)
        .filter_map(|((x, y), p)| {
            Some((
                x.as_deref()?.parse().ok()?,
                y.as_deref()?.parse().ok()?,
                palette.colour(p.as_deref()?),
            ))
        })
        .collect();
    let step = points.len().div_ceil(MAP_POINTS).max(1);
    let points: Vec<(f32, f32, &'static str)> = points.into_iter().step_by(step).collect();
    let legend = categories
        .iter()
        .map(|c| (format!("{} {}", c.id, c.name), c.colour))
        .collect();
    (!points.is_empty()).then_some(MapView {
        points,
        step,
        legend,
    })
}

/// The headline rows of the evaluation table: (figure, value, 95% interval).
fn evaluation_rows(e: &Evaluation, w: &Words) -> Vec<(String, String, String)> {
    let f = |v: f64| format!("{v:.3}");
    let ci = |c: &crate::evaluate::Interval| format!("[{:.3} ; {:.3}]", c.low, c.high);
    let opt = |v: Option<f64>| v.map_or("–".to_string(), f);
    let intervals = &e.confidence_intervals_95;
    vec![
        (
            w.accuracy.to_string(),
            f(e.accuracy),
            ci(&intervals.accuracy),
        ),
        (
            "macro-F1".to_string(),
            f(e.macro_f1),
            ci(&intervals.macro_f1),
        ),
        (
            "kappa de Cohen / Cohen's kappa".to_string(),
            f(e.cohen_kappa),
            ci(&intervals.cohen_kappa),
        ),
        (w.coverage.to_string(), f(e.coverage), String::new()),
        (
            "ARI / NMI".to_string(),
            format!("{} / {}", opt(e.ari), opt(e.nmi)),
            String::new(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::GoldShare;

    #[test]
    fn wilson_intervals_by_hand() {
        // 20 of 100: centre 0.2111, half-width 0.0777 → [0.1334, 0.2888] (Newcombe 1998, method 3).
        let g = GoldShare::new(20, 100);
        assert!(
            (g.low - 0.1334).abs() < 5e-4 && (g.high - 0.2888).abs() < 5e-4,
            "{g:?}"
        );
        // 0 of 10: [0, 0.2775].
        let none = GoldShare::new(0, 10);
        assert_eq!(none.low, 0.0);
        assert!((none.high - 0.2775).abs() < 5e-4, "{none:?}");
    }
}
