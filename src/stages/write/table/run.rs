//! The run's tables: themes, assignments (or passages), proposals, changes, documents.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, DataType, NamedFrom, Series};

use super::{
    CsvStyle, LIST_JOIN, ROW_EDITS, THEME_EDITS, TextColumn, read_parquet, write_csv,
    write_parquet, write_table, write_xlsx,
};

/// One row of `themes.parquet` / `themes.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeRow {
    pub theme_id: u32,
    /// The theme's identity across runs (`p1-salaires-3f2a`): what the edits file names.
    pub theme_key: String,
    pub title: String,
    pub size: u32,
    pub share: f64,
    pub pillar: String,
    pub pillar_score: f32,
    pub pillar_purity: f32,
    /// Distinct documents its rows come from (the rows themselves in text mode).
    pub documents: u32,
    pub keywords: Vec<String>,
    pub quotes: Vec<String>,
    pub quote_ids: Vec<String>,
    /// Up to `--quotes` testimonies (or passages) of the theme that propose a change.
    pub proposals: Vec<String>,
    pub proposal_ids: Vec<String>,
    /// Up to `--quotes` that report what their writer lived or did.
    pub experiences: Vec<String>,
    pub experience_ids: Vec<String>,
    /// The analyst's operations that changed the theme (rename, merge, split, pin, category…).
    pub edited: Vec<String>,
}

/// Writes `themes.parquet` (lists as lists) and `themes.csv` (lists joined with " | ").
pub fn write_themes(dir: &Path, rows: &[ThemeRow], style: CsvStyle) -> Result<()> {
    let scalar = |df_lists: Vec<Column>| -> Result<DataFrame> {
        let mut cols = vec![
            Column::new(
                "theme_id".into(),
                rows.iter().map(|r| r.theme_id).collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_key".into(),
                rows.iter()
                    .map(|r| r.theme_key.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "title".into(),
                rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "size".into(),
                rows.iter().map(|r| r.size).collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                rows.iter().map(|r| r.share).collect::<Vec<_>>(),
            ),
            Column::new(
                "pillar".into(),
                rows.iter().map(|r| r.pillar.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "pillar_score".into(),
                rows.iter().map(|r| r.pillar_score).collect::<Vec<_>>(),
            ),
            Column::new(
                "pillar_purity".into(),
                rows.iter().map(|r| r.pillar_purity).collect::<Vec<_>>(),
            ),
            Column::new(
                "documents".into(),
                rows.iter().map(|r| r.documents).collect::<Vec<_>>(),
            ),
        ];
        cols.extend(df_lists);
        Ok(DataFrame::new(rows.len(), cols)?)
    };
    let list = |name: &str, get: &dyn Fn(&ThemeRow) -> &Vec<String>| -> Column {
        let series: Vec<Series> = rows
            .iter()
            .map(|r| Series::new("".into(), get(r)))
            .collect();
        Column::new(name.into(), series)
    };
    let joined = |name: &str, get: &dyn Fn(&ThemeRow) -> &Vec<String>| -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| get(r).join(LIST_JOIN))
                .collect::<Vec<_>>(),
        )
    };
    type Field<'f> = (&'f str, &'f dyn Fn(&ThemeRow) -> &Vec<String>);
    let fields: [Field; 8] = [
        ("keywords", &|r| &r.keywords),
        ("quotes", &|r| &r.quotes),
        ("quote_ids", &|r| &r.quote_ids),
        ("proposals", &|r| &r.proposals),
        ("proposal_ids", &|r| &r.proposal_ids),
        ("experiences", &|r| &r.experiences),
        ("experience_ids", &|r| &r.experience_ids),
        ("edited", &|r| &r.edited),
    ];
    let mut parquet = scalar(fields.iter().map(|(n, g)| list(n, *g)).collect())?;
    write_parquet(&dir.join("themes.parquet"), &mut parquet)?;
    write_xlsx(&dir.join("themes.xlsx"), "themes", &parquet, &THEME_EDITS)?;
    let mut csv = scalar(fields.iter().map(|(n, g)| joined(n, *g)).collect())?;
    write_csv(&dir.join("themes.csv"), &mut csv, style)
}

/// Reads `themes.parquet` back (for `verbatim report`).
pub fn read_themes(path: &Path) -> Result<Vec<ThemeRow>> {
    let df = read_parquet(path)?;
    let col = |name: &str| -> Result<Column> {
        df.column(name)
            .cloned()
            .with_context(|| format!("{} has no column {name}", path.display()))
    };
    let strings = |name: &str| -> Result<Vec<String>> {
        Ok(col(name)?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    };
    let floats = |name: &str| -> Result<Vec<f64>> {
        Ok(col(name)?
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let lists = |name: &str| -> Result<Vec<Vec<String>>> {
        let c = col(name)?;
        let l = c.list()?;
        (0..l.len())
            .map(|i| {
                Ok(match l.get_as_series(i) {
                    Some(s) => s
                        .str()?
                        .iter()
                        .map(|v| v.unwrap_or("").to_string())
                        .collect(),
                    None => Vec::new(),
                })
            })
            .collect()
    };
    let (ids, titles, sizes, shares) = (
        floats("theme_id")?,
        strings("title")?,
        floats("size")?,
        floats("share")?,
    );
    let (pillars, scores, purity, documents) = (
        strings("pillar")?,
        floats("pillar_score")?,
        floats("pillar_purity")?,
        floats("documents")?,
    );
    let (keywords, quotes, quote_ids) = (lists("keywords")?, lists("quotes")?, lists("quote_ids")?);
    let (proposals, proposal_ids) = (lists("proposals")?, lists("proposal_ids")?);
    let (experiences, experience_ids) = (lists("experiences")?, lists("experience_ids")?);
    // Runs written before theme keys have neither column.
    let theme_keys = strings("theme_key").unwrap_or_else(|_| vec![String::new(); df.height()]);
    let edited = lists("edited").unwrap_or_else(|_| vec![Vec::new(); df.height()]);
    Ok((0..df.height())
        .map(|i| ThemeRow {
            theme_id: ids[i] as u32,
            theme_key: theme_keys[i].clone(),
            title: titles[i].clone(),
            size: sizes[i] as u32,
            share: shares[i],
            pillar: pillars[i].clone(),
            pillar_score: scores[i] as f32,
            pillar_purity: purity[i] as f32,
            documents: documents[i] as u32,
            keywords: keywords[i].clone(),
            quotes: quotes[i].clone(),
            quote_ids: quote_ids[i].clone(),
            proposals: proposals[i].clone(),
            proposal_ids: proposal_ids[i].clone(),
            experiences: experiences[i].clone(),
            experience_ids: experience_ids[i].clone(),
            edited: edited[i].clone(),
        })
        .collect())
}

/// The columns of `assignments`: one value per input row, in input order.
pub struct AssignmentTable<'a> {
    pub ids: &'a [String],
    pub theme_id: Vec<Option<u32>>,
    pub theme_key: Vec<Option<String>>,
    /// The automatic theme's key, before the analyst's edits: a later run matches on it.
    pub draft_theme_key: Vec<Option<String>>,
    /// The analyst's operations that changed the row (move, drop, hide, merge…), `+`-joined.
    pub edited: Vec<Option<String>>,
    pub theme_similarity: Vec<Option<f32>>,
    pub weakly_attached: Vec<Option<bool>>,
    pub pillar: Vec<Option<String>>,
    pub pillar_score: Vec<Option<f32>>,
    pub pillar_margin: Vec<Option<f32>>,
    pub pillar_fit: Vec<Option<f32>>,
    /// Centred cosine to the nearest category description (the `none` decision).
    pub taxonomy_relevance: Vec<Option<f32>>,
    pub pillars_secondary: Vec<Option<String>>,
    /// Guessed language of the text (fr, en, es, de, it, unknown).
    pub language: Vec<Option<String>>,
    /// Position on the first two principal axes of the embeddings (the report's map).
    pub map_x: Vec<Option<f32>>,
    pub map_y: Vec<Option<f32>>,
    /// proposition, experience or constat.
    pub kind: Vec<Option<String>>,
    /// `score_<category id>` columns.
    pub category_scores: Vec<(String, Vec<Option<f32>>)>,
    pub status: Vec<String>,
    /// Each row's campaign (`campaigns.*`), in text mode.
    pub campaign: Vec<Option<u32>>,
    /// Each row's text as published (pseudonymised; empty when hidden), in text mode.
    pub text: Option<&'a [String]>,
    pub passthrough: &'a [TextColumn],
    /// In passage mode, where each row comes from: the table is then `passages.*`.
    pub passages: Option<PassageColumns<'a>>,
}

/// Where each passage lies in its document (character offsets, end exclusive).
pub struct PassageColumns<'a> {
    pub documents: Vec<&'a str>,
    pub rank: Vec<u32>,
    pub start: Vec<u32>,
    pub end: Vec<u32>,
    pub text: &'a [String],
}

/// Writes `assignments.*` (one row per input row), or `passages.*` in passage mode.
pub fn write_assignments(dir: &Path, table: &AssignmentTable, style: CsvStyle) -> Result<()> {
    let n = table.ids.len();
    let mut cols = match &table.passages {
        None => vec![
            Column::new("id".into(), table.ids),
            Column::new("text".into(), table.text.unwrap_or(&[])),
        ],
        Some(p) => vec![
            Column::new("id".into(), &p.documents),
            Column::new("passage".into(), &p.rank),
            Column::new("start".into(), &p.start),
            Column::new("end".into(), &p.end),
            Column::new("text".into(), p.text),
        ],
    };
    cols.extend([
        Column::new("theme_id".into(), &table.theme_id),
        Column::new("theme_key".into(), &table.theme_key),
        Column::new("theme_similarity".into(), &table.theme_similarity),
        Column::new("weakly_attached".into(), &table.weakly_attached),
        Column::new("pillar".into(), &table.pillar),
        Column::new("pillar_score".into(), &table.pillar_score),
        Column::new("pillar_margin".into(), &table.pillar_margin),
        Column::new("pillar_fit".into(), &table.pillar_fit),
        Column::new("taxonomy_relevance".into(), &table.taxonomy_relevance),
        Column::new("pillars_secondary".into(), &table.pillars_secondary),
    ]);
    for (id, values) in &table.category_scores {
        cols.push(Column::new(format!("score_{id}").into(), values));
    }
    cols.push(Column::new("status".into(), &table.status));
    if table.passages.is_none() {
        cols.push(Column::new("campaign".into(), &table.campaign));
    }
    cols.push(Column::new("edited".into(), &table.edited));
    cols.push(Column::new(
        "draft_theme_key".into(),
        &table.draft_theme_key,
    ));
    cols.push(Column::new("kind".into(), &table.kind));
    cols.push(Column::new("language".into(), &table.language));
    cols.push(Column::new("map_x".into(), &table.map_x));
    cols.push(Column::new("map_y".into(), &table.map_y));
    push_passthrough(&mut cols, table.passthrough);
    let stem = if table.passages.is_some() {
        "passages"
    } else {
        "assignments"
    };
    write_table(dir, stem, DataFrame::new(n, cols)?, style, &ROW_EDITS)
}

/// The input's other columns, renamed `input_<name>` where they would shadow one of ours.
fn push_passthrough(cols: &mut Vec<Column>, passthrough: &[TextColumn]) {
    for col in passthrough {
        let name = if cols.iter().any(|c| c.name().as_str() == col.name) {
            format!("input_{}", col.name)
        } else {
            col.name.clone()
        };
        cols.push(Column::new(name.into(), &col.values));
    }
}

/// Every proposal: `id` (and `passage` in passage mode), its theme and category, its text.
pub struct ProposalTable {
    pub ids: Vec<String>,
    pub passages: Option<Vec<u32>>,
    pub theme_id: Vec<u32>,
    pub pillar: Vec<String>,
    pub text: Vec<String>,
}

/// Writes `proposals.parquet`, `.csv` and `.xlsx`.
pub fn write_proposals(dir: &Path, table: &ProposalTable, style: CsvStyle) -> Result<()> {
    let mut cols = vec![Column::new("id".into(), &table.ids)];
    if let Some(p) = &table.passages {
        cols.push(Column::new("passage".into(), p));
    }
    cols.extend([
        Column::new("theme_id".into(), &table.theme_id),
        Column::new("pillar".into(), &table.pillar),
        Column::new("text".into(), &table.text),
    ]);
    write_table(
        dir,
        "proposals",
        DataFrame::new(table.ids.len(), cols)?,
        style,
        &[],
    )
}

/// Writes `changes.parquet`, `.csv` and `.xlsx`: what changed since the earlier run.
pub fn write_changes(
    dir: &Path,
    rows: &[crate::stages::curate::changes::Change],
    style: CsvStyle,
) -> Result<()> {
    let text = |get: &dyn Fn(&crate::stages::curate::changes::Change) -> Option<&str>| {
        rows.iter()
            .map(|r| get(r).map(str::to_string))
            .collect::<Vec<_>>()
    };
    let cols = vec![
        Column::new("change".into(), text(&|r| Some(r.change))),
        Column::new("theme_key".into(), text(&|r| r.theme_key.as_deref())),
        Column::new("title".into(), text(&|r| r.title.as_deref())),
        Column::new(
            "size_before".into(),
            rows.iter().map(|r| r.size_before).collect::<Vec<_>>(),
        ),
        Column::new(
            "size_after".into(),
            rows.iter().map(|r| r.size_after).collect::<Vec<_>>(),
        ),
        Column::new("related_key".into(), text(&|r| r.related_key.as_deref())),
        Column::new("id".into(), text(&|r| r.id.as_deref())),
        Column::new(
            "category_before".into(),
            text(&|r| r.category_before.as_deref()),
        ),
        Column::new(
            "category_after".into(),
            text(&|r| r.category_after.as_deref()),
        ),
    ];
    write_table(
        dir,
        "changes",
        DataFrame::new(rows.len(), cols)?,
        style,
        &[],
    )
}

/// One row per document in passage mode: what its passages say, category by category.
pub struct DocumentTable<'a> {
    pub ids: &'a [String],
    pub passages: Vec<u32>,
    /// The main category (most passages), `none`, or nothing for a document without passages.
    pub pillar: Vec<Option<String>>,
    /// Every category the document raises.
    pub pillars: Vec<Vec<String>>,
    /// `share_<category id>` (and `share_none`): share of the document's passages.
    pub shares: Vec<(String, Vec<Option<f32>>)>,
    /// The theme most of its passages belong to.
    pub theme_id: Vec<Option<u32>>,
    pub status: Vec<String>,
    /// Each document's campaign (`campaigns.*`).
    pub campaign: Vec<Option<u32>>,
    pub passthrough: &'a [TextColumn],
}

/// Writes `assignments.*` in passage mode (`pillars` a list in Parquet, `p1|p3` in CSV).
pub fn write_documents(dir: &Path, table: &DocumentTable, style: CsvStyle) -> Result<()> {
    let n = table.ids.len();
    let pillars: Vec<Series> = table
        .pillars
        .iter()
        .map(|p| Series::new("".into(), p))
        .collect();
    let mut cols = vec![
        Column::new("id".into(), table.ids),
        Column::new("passages".into(), &table.passages),
        Column::new("pillar".into(), &table.pillar),
        Column::new("pillars".into(), pillars),
    ];
    for (id, values) in &table.shares {
        cols.push(Column::new(format!("share_{id}").into(), values));
    }
    cols.push(Column::new("theme_id".into(), &table.theme_id));
    cols.push(Column::new("status".into(), &table.status));
    cols.push(Column::new("campaign".into(), &table.campaign));
    push_passthrough(&mut cols, table.passthrough);
    write_table(dir, "assignments", DataFrame::new(n, cols)?, style, &[])
}
