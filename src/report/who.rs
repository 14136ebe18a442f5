//! The report's "who says what" chapter, as a model the two renderers read: each `--by`
//! breakdown (row shares, residuals, a sentence and quotes per significant cell), the categories
//! raised together, the campaigns, the saturation curve. Read from the run's tables and record.

use std::path::Path;

use anyhow::Result;

use crate::stages::passages::cut::split_key;
use crate::stages::write::record::RunRecord;
use crate::stages::write::table::{self, TextColumn, ThemeRow};
use crate::who::crosstab::TableTest;
use crate::who::saturation::Saturation;
use crate::who::{ByRecord, Contributions, CountMode, groups};

use super::{Lang, Proposal};

/// Quotes shown under a significant cell.
const CELL_QUOTES: usize = 3;

/// Campaigns listed in the report (the table has them all).
const SHOWN_CAMPAIGNS: usize = 10;

pub struct WhoSection {
    pub words: &'static WhoWords,
    pub count: CountMode,
    pub documents: usize,
    pub distinct: usize,
    pub campaign_min: usize,
    pub campaigns: Vec<CampaignLine>,
    pub campaigns_total: usize,
    pub breakdowns: Vec<Breakdown>,
    /// Category × category: documents raising both (passage mode, when some do).
    pub together: Option<Together>,
    pub saturation: Saturation,
}

/// The category ids, and the documents raising both of each pair (on the diagonal: one).
pub type Together = (Vec<String>, Vec<Vec<u64>>);

pub struct CampaignLine {
    pub id: String,
    pub size: String,
    pub exact: String,
    pub near: String,
    pub category: String,
    pub text: String,
}

/// One `--by` column.
pub struct Breakdown {
    pub column: String,
    /// (id, name) of each column of the table: the categories, then `none`.
    pub categories: Vec<(String, String)>,
    /// Share of all the counted documents in each column.
    pub overall: Vec<f64>,
    pub rows: Vec<GroupRow>,
    pub test: TableTest,
    pub small_groups: Vec<String>,
    /// One per significant cell: where it links, its sentence, its quotes (text, origin).
    pub findings: Vec<Finding>,
}

pub struct GroupRow {
    pub group: String,
    pub documents: u64,
    pub small: bool,
    /// Per column: (row share, residual, direction, anchor of its finding).
    pub cells: Vec<(f64, Option<f64>, String, Option<String>)>,
}

pub struct Finding {
    pub anchor: String,
    pub sentence: String,
    pub quotes: Vec<(String, String)>,
}

/// What the chapter is built from, beside the record.
pub struct Sources<'a> {
    pub dir: &'a Path,
    pub run: &'a RunRecord,
    pub themes: &'a [ThemeRow],
    pub proposals: &'a [Proposal],
    pub lang: Lang,
}

/// The chapter, when the run has a `who_says_what` record.
pub fn section(s: &Sources) -> Result<Option<WhoSection>> {
    let Some(who) = &s.run.who_says_what else {
        return Ok(None);
    };
    let words = match s.lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    };
    let campaigns = read_campaigns(s)?;
    let mut breakdowns = Vec::new();
    if !who.by.is_empty() {
        let c = Contributions::read(s.dir, s.run)?;
        for by in &who.by {
            breakdowns.push(breakdown(s, &c, by, words)?);
        }
    }
    Ok(Some(WhoSection {
        words,
        count: who.count,
        documents: who.documents,
        distinct: who.distinct_documents,
        campaign_min: who.campaigns.min_size,
        campaigns_total: who.campaigns.campaigns,
        campaigns,
        breakdowns,
        together: together(s)?,
        saturation: who.saturation.clone(),
    }))
}

fn read_campaigns(s: &Sources) -> Result<Vec<CampaignLine>> {
    let path = s.dir.join("campaigns.parquet");
    if !path.exists() {
        return Ok(Vec::new());
    }
    s.run.check_output(s.dir, "campaigns.parquet")?;
    let columns = table::read_parquet_as_text(&path)?;
    let get = |name: &str, i: usize| cell(&columns, name, i);
    let n = columns.first().map_or(0, |c| c.values.len());
    Ok((0..n.min(SHOWN_CAMPAIGNS))
        .map(|i| CampaignLine {
            id: get("campaign", i),
            size: get("size", i),
            exact: get("exact_copies", i),
            near: get("near_copies", i),
            category: get("category", i),
            text: excerpt(&get("text", i), 300),
        })
        .collect())
}

fn cell(columns: &[TextColumn], name: &str, i: usize) -> String {
    (columns.iter().find(|c| c.name == name))
        .and_then(|c| c.values[i].clone())
        .unwrap_or_default()
}

fn excerpt(text: &str, chars: usize) -> String {
    match text.chars().count() > chars {
        true => text.chars().take(chars).collect::<String>() + "…",
        false => text.to_string(),
    }
}

/// The category pairs of `cooccurrence.parquet` as a matrix, when any document raises two.
fn together(s: &Sources) -> Result<Option<Together>> {
    let path = s.dir.join("cooccurrence.parquet");
    if !path.exists() {
        return Ok(None);
    }
    s.run.check_output(s.dir, "cooccurrence.parquet")?;
    let columns = table::read_parquet_as_text(&path)?;
    let mut labels: Vec<String> = s.run.taxonomy.iter().map(|c| c.id.clone()).collect();
    labels.push("none".into());
    let mut m = vec![vec![0u64; labels.len()]; labels.len()];
    let n = columns.first().map_or(0, |c| c.values.len());
    for i in (0..n).filter(|&i| cell(&columns, "level", i) == "category") {
        let at = |name| labels.iter().position(|l| *l == cell(&columns, name, i));
        let (Some(a), Some(b)) = (at("a"), at("b")) else {
            continue;
        };
        let both = cell(&columns, "documents_both", i).parse().unwrap_or(0);
        (m[a][b], m[b][a]) = (both, both);
        m[a][a] = cell(&columns, "documents_a", i).parse().unwrap_or(0);
        m[b][b] = cell(&columns, "documents_b", i).parse().unwrap_or(0);
    }
    let any = (0..labels.len()).any(|a| (0..labels.len()).any(|b| a != b && m[a][b] > 0));
    Ok(any.then_some((labels, m)))
}

fn breakdown(
    s: &Sources,
    c: &Contributions,
    by: &ByRecord,
    words: &'static WhoWords,
) -> Result<Breakdown> {
    let columns = table::read_parquet_as_text(&s.dir.join(format!("{}.parquet", by.stem)))?;
    let n = columns.first().map_or(0, |c| c.values.len());
    let mut categories: Vec<(String, String)> = (s.run.taxonomy.iter())
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    categories.push(("none".into(), words.outside.into()));
    let index = |id: &str| categories.iter().position(|c| c.0 == id);
    let number = |name: &str, i: usize| cell(&columns, name, i).parse::<f64>().ok();
    let mut rows: Vec<GroupRow> = Vec::new();
    let mut totals = vec![0.0; categories.len()];
    let mut findings = Vec::new();
    let quotes = CellQuotes::new(s, c, by);
    for i in 0..n {
        let group = cell(&columns, "group", i);
        let Some(j) = index(&cell(&columns, "category", i)) else {
            continue;
        };
        if rows.last().is_none_or(|r| r.group != group) {
            rows.push(GroupRow {
                documents: number("group_documents", i).unwrap_or(0.0) as u64,
                small: cell(&columns, "small_group", i) == "true",
                cells: vec![(0.0, None, "-".into(), None); categories.len()],
                group: group.clone(),
            });
        }
        let share = number("row_share", i).unwrap_or(0.0);
        totals[j] += number("documents", i).unwrap_or(0.0);
        let direction = cell(&columns, "direction", i);
        let anchor = (direction != "-").then(|| format!("{}-{}-{}", by.stem, rows.len(), j));
        if let Some(a) = &anchor {
            findings.push(Finding {
                anchor: a.clone(),
                sentence: String::new(),
                quotes: quotes.of(&group, &categories[j].0),
            });
        }
        let row = rows.last_mut().expect("pushed");
        row.cells[j] = (share, number("residual", i), direction, anchor);
    }
    let all: f64 = rows
        .iter()
        .map(|r| r.documents as f64)
        .sum::<f64>()
        .max(1.0);
    let overall: Vec<f64> = totals.iter().map(|t| t / all).collect();
    sentences(
        &mut findings,
        &rows,
        &categories,
        &overall,
        &by.column,
        words,
        s.lang,
    );
    Ok(Breakdown {
        column: by.column.clone(),
        categories,
        overall,
        rows,
        test: by.categories.clone(),
        small_groups: by.small_groups.clone(),
        findings,
    })
}

/// Each finding's sentence, from the template a writer can paste.
fn sentences(
    findings: &mut [Finding],
    rows: &[GroupRow],
    categories: &[(String, String)],
    overall: &[f64],
    column: &str,
    words: &WhoWords,
    lang: Lang,
) {
    let pct = |v: f64| lang_pct(v, lang);
    let mut k = 0;
    for row in rows {
        for (j, (share, _, _, anchor)) in row.cells.iter().enumerate() {
            if anchor.is_none() {
                continue;
            }
            findings[k].sentence = (words.sentence)
                .replace("{group}", &row.group)
                .replace("{column}", column)
                .replace("{share}", &pct(*share))
                .replace("{category}", &categories[j].1)
                .replace("{overall}", &pct(overall[j]));
            k += 1;
        }
    }
}

/// A share as the report writes it ("61 %" in French, "61%" in English), to the unit.
pub fn lang_pct(v: f64, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{:.0}\u{a0}%", v * 100.0),
        Lang::En => format!("{:.0}%", v * 100.0),
    }
}

/// The published quotes (theme quotes, experiences, proposals), each with its document's group
/// and category, to show under a significant cell.
struct CellQuotes {
    /// (group, category, text, origin), proposals first, then theme quotes by theme size.
    all: Vec<(String, String, String, String)>,
}

impl CellQuotes {
    fn new(s: &Sources, c: &Contributions, by: &ByRecord) -> Self {
        let by_file = match by.source.as_str() {
            "assignments" | groups::FOLDER => None,
            path => groups::ByFile::read(Path::new(path), s.run.input.id_column.as_deref())
                .ok()
                .map(|f| f.pseudonymised(s.run.parameters.pseudonymise)),
        };
        let Ok(grouping) = groups::grouping(c, &by.column, by_file.as_ref(), usize::MAX) else {
            return Self { all: Vec::new() };
        };
        let position = crate::stages::read::ingest::positions(&c.ids);
        let group_of = |origin: &str| -> Option<String> {
            let doc = position.get(origin).or_else(|| {
                let (doc, _) = split_key(origin)?;
                position.get(doc)
            })?;
            Some(grouping.values[*doc].clone())
        };
        let mut all = Vec::new();
        for p in s.proposals {
            if let Some(g) = group_of(&p.origin) {
                all.push((g, p.pillar.clone(), p.text.clone(), p.origin.clone()));
            }
        }
        let mut themes: Vec<&ThemeRow> = s.themes.iter().collect();
        themes.sort_by(|a, b| b.size.cmp(&a.size).then(a.theme_id.cmp(&b.theme_id)));
        for th in themes {
            let pairs = (th.quotes.iter().zip(&th.quote_ids))
                .chain(th.experiences.iter().zip(&th.experience_ids));
            for (text, id) in pairs {
                if let Some(g) = group_of(id) {
                    all.push((g, th.pillar.clone(), text.clone(), id.clone()));
                }
            }
        }
        Self { all }
    }

    fn of(&self, group: &str, category: &str) -> Vec<(String, String)> {
        let mut seen = std::collections::HashSet::new();
        (self.all.iter())
            .filter(|q| q.0 == group && q.1 == category && seen.insert(q.3.clone()))
            .take(CELL_QUOTES)
            .map(|q| (q.2.clone(), q.3.clone()))
            .collect()
    }
}

/// The chapter's sentences, per language.
pub struct WhoWords {
    pub chapter: &'static str,
    pub outside: &'static str,
    pub by_note: &'static str,
    pub count_all: &'static str,
    pub count_distinct: &'static str,
    pub counts: &'static str,
    pub chi_square: &'static str,
    pub low_expected: &'static str,
    pub multi_label: &'static str,
    pub small: &'static str,
    pub sentence: &'static str,
    pub no_finding: &'static str,
    pub group: &'static str,
    pub documents: &'static str,
    pub overall: &'static str,
    pub together: &'static str,
    pub together_note: &'static str,
    pub campaigns: &'static str,
    pub campaigns_note: &'static str,
    pub campaign: &'static str,
    pub saturation: &'static str,
    pub saturation_note: &'static str,
    pub saturation_sentence: &'static str,
    pub saturation_never: &'static str,
    pub axis_contributions: &'static str,
    pub axis_themes: &'static str,
}

pub static FR: WhoWords = WhoWords {
    chapter: "Qui dit quoi",
    outside: "Hors catégories",
    by_note: "Part des contributions de chaque groupe qui relèvent de chaque catégorie. Couleur : écart au reste du corpus (résidu standardisé ajusté, bleu au-dessus, rouge en dessous) ; en gras et lié à ses citations, un écart significatif (p ajustée de Holm < 0,05).",
    count_all: "Chaque contribution compte, copies de campagnes comprises (--count distinct pour les compter une fois).",
    count_distinct: "Chaque campagne compte une fois (--count distinct).",
    counts: "{all} contributions, dont {distinct} distinctes.",
    chi_square: "Test d'indépendance du χ² : χ² = {stat}, ddl = {dof}, p = {p}, V de Cramér = {v}.",
    low_expected: "{n} cellules ont un effectif attendu inférieur à 5 : le test est approché.",
    multi_label: "Une contribution peut relever de plusieurs catégories : le test est indicatif.",
    small: "Groupes de moins de 10 contributions, gardés mais dont rien ne peut être dit : {list}.",
    sentence: "Parmi les contributions « {group} » ({column}), {share} relèvent de « {category} », contre {overall} pour l'ensemble.",
    no_finding: "Aucun écart significatif entre les groupes.",
    group: "Groupe",
    documents: "Contributions",
    overall: "Ensemble",
    together: "Catégories évoquées ensemble",
    together_note: "Contributions qui relèvent des deux catégories (sur la diagonale : de la catégorie).",
    campaigns: "Campagnes",
    campaigns_note: "Un même texte envoyé, à l'identique ou presque, par au moins {min} contributeurs.",
    campaign: "Campagne n° {id} : {size} contributions ({exact} copies exactes, {near} presque identiques), catégorie {category}.",
    saturation: "Saturation",
    saturation_note: "Part des thèmes finaux déjà vus après 10 %, 20 %… des contributions, en moyenne sur {orders} ordres aléatoires (bande : le plus bas et le plus haut) ; un thème est vu quand autant de ses contributions que la taille minimale d'un thème ({min}) sont apparues.",
    saturation_sentence: "95 % des thèmes apparaissent dans les premiers {share} des contributions.",
    saturation_never: "Moins de 95 % des thèmes apparaissent avant la dernière contribution : le corpus n'est pas saturé.",
    axis_contributions: "contributions lues",
    axis_themes: "thèmes vus",
};

pub static EN: WhoWords = WhoWords {
    chapter: "Who says what",
    outside: "Outside the categories",
    by_note: "Share of each group's contributions that raise each category. Colour: difference from the rest of the corpus (adjusted standardized residual, blue above, red below); in bold and linked to its quotes, a significant difference (Holm-adjusted p < 0.05).",
    count_all: "Every contribution counts, campaign copies included (--count distinct counts them once).",
    count_distinct: "Each campaign counts once (--count distinct).",
    counts: "{all} contributions, of which {distinct} distinct.",
    chi_square: "Chi-square test of independence: χ² = {stat}, dof = {dof}, p = {p}, Cramér's V = {v}.",
    low_expected: "{n} cells have an expected count under 5: the test is approximate.",
    multi_label: "A contribution can raise several categories: the test is a guide.",
    small: "Groups of fewer than 10 contributions, kept, of which nothing can be said: {list}.",
    sentence: "Of the contributions of “{group}” ({column}), {share} raise “{category}”, against {overall} overall.",
    no_finding: "No significant difference between the groups.",
    group: "Group",
    documents: "Contributions",
    overall: "All",
    together: "Categories raised together",
    together_note: "Contributions raising both categories (on the diagonal: the category).",
    campaigns: "Campaigns",
    campaigns_note: "One text sent, identical or nearly, by at least {min} contributors.",
    campaign: "Campaign #{id}: {size} contributions ({exact} exact copies, {near} near copies), category {category}.",
    saturation: "Saturation",
    saturation_note: "Share of the final themes already seen after 10%, 20%… of the contributions, mean of {orders} random orders (band: lowest and highest); a theme is seen once as many of its contributions as the minimum theme size ({min}) have appeared.",
    saturation_sentence: "95% of the themes appear within the first {share} of the contributions.",
    saturation_never: "Fewer than 95% of the themes appear before the last contribution: the corpus is not saturated.",
    axis_contributions: "contributions read",
    axis_themes: "themes seen",
};

impl WhoSection {
    /// "1,250 contributions, of which 412 distinct." and how the tables count.
    pub fn counts_line(&self) -> String {
        let w = self.words;
        let counts = (w.counts)
            .replace("{all}", &self.documents.to_string())
            .replace("{distinct}", &self.distinct.to_string());
        let how = match self.count {
            CountMode::All => w.count_all,
            CountMode::Distinct => w.count_distinct,
        };
        format!("{counts} {how}")
    }

    /// The sentence of the saturation curve.
    pub fn saturation_line(&self, lang: Lang) -> String {
        match self.saturation.share_for_95 {
            Some(s) => (self.words.saturation_sentence).replace("{share}", &lang_pct(s, lang)),
            None => self.words.saturation_never.to_string(),
        }
    }

    pub fn saturation_note(&self) -> String {
        (self.words.saturation_note)
            .replace("{orders}", &self.saturation.orders.to_string())
            .replace("{min}", &self.saturation.min_theme_size.to_string())
    }

    /// What a campaign is, and how many the table lists beyond those shown.
    pub fn campaigns_note(&self) -> String {
        let note = (self.words.campaigns_note).replace("{min}", &self.campaign_min.to_string());
        match self.campaigns_total > self.campaigns.len() {
            true => format!(
                "{note} ({}/{} : campaigns.xlsx)",
                self.campaigns.len(),
                self.campaigns_total
            ),
            false => note,
        }
    }

    pub fn campaign_line(&self, c: &CampaignLine) -> String {
        (self.words.campaign)
            .replace("{id}", &c.id)
            .replace("{size}", &c.size)
            .replace("{exact}", &c.exact)
            .replace("{near}", &c.near)
            .replace("{category}", &c.category)
    }
}

impl Breakdown {
    /// The test's lines: chi-square, approximations, small groups.
    pub fn test_lines(&self, w: &WhoWords) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.test.chi_square {
            out.push(
                (w.chi_square)
                    .replace("{stat}", &format!("{:.1}", t.statistic))
                    .replace("{dof}", &t.dof.to_string())
                    .replace("{p}", &format!("{:.2e}", t.p))
                    .replace("{v}", &format!("{:.2}", t.cramers_v)),
            );
        }
        if self.test.low_expected > 0 {
            out.push(
                w.low_expected
                    .replace("{n}", &self.test.low_expected.to_string()),
            );
        }
        if self.test.multi_label {
            out.push(w.multi_label.to_string());
        }
        if !self.small_groups.is_empty() {
            out.push(w.small.replace("{list}", &self.small_groups.join(", ")));
        }
        out
    }
}
