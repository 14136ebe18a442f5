//! Every use of the Polars API lives here: reading Parquet input and writing the output tables, so
//! that a change in Polars' fast-moving API touches one file. Longer than our other files on
//! purpose (one table's writer and reader per section): Polars has changed this API at nearly every
//! minor release, and one file to port is worth its length.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::{
    AnyValue, Column, CsvWriter, DataFrame, DataType, Float32Type, IntoSeries, ListBuilderTrait,
    ListPrimitiveChunkedBuilder, NamedFrom, ParquetCompression, ParquetReader, ParquetWriter,
    SerReader, SerWriter, Series,
};

use super::csv::{CsvStyle, neutralise_formula};
use crate::stages::embed::embedder::Embeddings;
use crate::stages::embed::vectors::EmbeddingTable;
use crate::stages::write::xlsx;

/// A named column of optional strings, kept in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumn {
    pub name: String,
    pub values: Vec<Option<String>>,
    /// The type of a column of nested values (lists, structs), rendered as text here: passed
    /// through, never read as the texts.
    pub nested: Option<String>,
}

/// Writes through a temporary file in the same directory, renamed into place when complete:
/// a failed or killed run leaves the previous file or none, never half a file.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".verbatim-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    write(tmp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all()?;
    // Temporary files are private (0600); an output is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path)
        .with_context(|| format!("cannot move the output into place at {}", path.display()))?;
    Ok(())
}

/// Reads a Parquet file with every column rendered as text (the corpus keeps inputs as text).
pub fn read_parquet_as_text(path: &Path) -> Result<Vec<TextColumn>> {
    let df = read_parquet(path)?;
    df.columns()
        .iter()
        .map(|col| {
            let name = col.name().to_string();
            let nested = col.dtype().is_nested().then(|| col.dtype().to_string());
            let values = match col.cast(&DataType::String) {
                Ok(text) => text
                    .str()
                    .map_err(anyhow::Error::from)?
                    .iter()
                    .map(|v| v.filter(|s| !s.is_empty()).map(str::to_string))
                    .collect(),
                // Lists of labels (`pillars`) read back as a CSV holds them.
                Err(_) if matches!(col.dtype(), DataType::List(inner) if **inner == DataType::String) => {
                    let frame = DataFrame::new(col.len(), vec![col.clone()])?;
                    lists_joined(&frame, LABEL_JOIN)?.columns()[0]
                        .str()?
                        .iter()
                        .map(|v| v.filter(|s| !s.is_empty()).map(str::to_string))
                        .collect()
                }
                // Other nested values (lists, structs) have no cast to text: render them.
                Err(_) => (0..col.len())
                    .map(|i| match col.get(i) {
                        Ok(AnyValue::Null) => None,
                        Ok(v) => Some(v.to_string()),
                        Err(_) => None,
                    })
                    .collect(),
            };
            Ok(TextColumn {
                name,
                values,
                nested,
            })
        })
        .collect()
}

/// `id`, `embedding` (list of f32), `windows`, `tokens`: one row per input row, in input order.
/// Writes one row per id: `id`, `embedding` (list of f32), `windows`, `tokens`, and `model_sha256`
/// (the checkpoint that made the vectors, so that a later run can refuse vectors from another).
pub fn write_embeddings(
    path: &Path,
    ids: &[String],
    emb: &Embeddings,
    model_sha256: &str,
) -> Result<()> {
    if ids.len() != emb.len() {
        bail!("{} ids for {} embeddings", ids.len(), emb.len());
    }
    let mut list = ListPrimitiveChunkedBuilder::<Float32Type>::new(
        "embedding".into(),
        ids.len(),
        ids.len() * emb.dim,
        DataType::Float32,
    );
    for i in 0..emb.len() {
        list.append_slice(emb.row(i));
    }
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            list.finish().into_series().into(),
            Column::new("windows".into(), &emb.windows),
            Column::new("tokens".into(), &emb.tokens),
            Column::new("model_sha256".into(), vec![model_sha256; ids.len()]),
        ],
    )?;
    write_parquet(path, &mut df)
}

/// Writes a table of testimonies (`id`, `text`), e.g. a synthetic consultation for benchmarks.
pub fn write_texts(path: &Path, ids: &[String], texts: &[String]) -> Result<()> {
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            Column::new("text".into(), texts),
        ],
    )?;
    write_parquet(path, &mut df)
}

/// Reads `id` and `embedding` (a list or fixed-size array of floats) from a file written by
/// `verbatim embed` or by another tool. Every row must have the same number of values.
pub fn read_embeddings(path: &Path) -> Result<EmbeddingTable> {
    let df = read_parquet(path)?;
    let ids = df
        .column("id")
        .with_context(|| format!("{}: no column `id`", path.display()))?
        .cast(&DataType::String)?;
    let ids: Vec<String> = ids
        .str()?
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(str::to_string).with_context(|| {
                format!("{}: row {}, column id: empty id", path.display(), row + 1)
            })
        })
        .collect::<Result<_>>()?;
    let column = df
        .column("embedding")
        .with_context(|| format!("{}: no column `embedding`", path.display()))?;
    let lists = column
        .cast(&DataType::List(Box::new(DataType::Float32)))
        .with_context(|| {
            format!(
                "{}: column embedding is {}, expected a list of numbers",
                path.display(),
                column.dtype()
            )
        })?;
    let lists = lists.list()?.rechunk();
    let mut dim = None;
    let mut vectors = Vec::new();
    for (row, v) in lists.amortized_iter().enumerate() {
        let where_ = || format!("{}: row {}, column embedding", path.display(), row + 1);
        let v = v.with_context(|| format!("{}: missing vector", where_()))?;
        let values = v.as_ref().f32()?;
        let n = values.len();
        match dim {
            None => dim = Some(n),
            Some(d) if d != n => bail!("{}: {n} values, the rows before have {d}", where_()),
            _ => {}
        }
        for x in values.iter() {
            match x {
                Some(x) if x.is_finite() => vectors.push(x),
                _ => bail!("{}: a missing or non-finite value", where_()),
            }
        }
    }
    let model_sha256 = match df.column("model_sha256") {
        Ok(c) => c.str()?.get(0).map(str::to_string),
        Err(_) => None,
    };
    Ok(EmbeddingTable {
        ids,
        dim: dim.unwrap_or(0),
        vectors,
        model_sha256,
    })
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    anyhow::Context::with_context(ParquetReader::new(file).finish(), || {
        format!("{} is not a readable Parquet file", path.display())
    })
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)?;
        Ok(())
    })
}

/// Lists in CSV cells are joined with this.
pub const LIST_JOIN: &str = " | ";

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
        None => vec![Column::new("id".into(), table.ids)],
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
    push_passthrough(&mut cols, table.passthrough);
    write_table(dir, "assignments", DataFrame::new(n, cols)?, style, &[])
}

/// Writes `<stem>.parquet`, `<stem>.xlsx` (when it fits a sheet) and `<stem>.csv`, where lists
/// of labels are joined with `|`.
/// Empty columns of themes.xlsx where the analyst types decisions (`verbatim edits` reads them).
pub const THEME_EDITS: [&str; 6] = [
    "new_title",
    "merge_into",
    "category",
    "split_into",
    "pin",
    "note",
];
/// Empty columns of assignments.xlsx (passages.xlsx in passage mode), read the same way.
pub const ROW_EDITS: [&str; 3] = ["move_to", "drop_reason", "hide"];

/// Writes a table as Parquet, CSV and (when it fits) Excel, with `editable` empty columns added to
/// the workbook only.
fn write_table(
    dir: &Path,
    stem: &str,
    mut df: DataFrame,
    style: CsvStyle,
    editable: &[&str],
) -> Result<()> {
    let n = df.height();
    write_parquet(&dir.join(format!("{stem}.parquet")), &mut df)?;
    if n < xlsx::MAX_ROWS {
        write_xlsx(&dir.join(format!("{stem}.xlsx")), stem, &df, editable)?;
    } else {
        log::warn!(
            "{n} rows do not fit an Excel sheet: no {stem}.xlsx (the Parquet and CSV files hold them)"
        );
    }
    let mut flat = lists_joined(&df, LABEL_JOIN)?;
    write_csv(&dir.join(format!("{stem}.csv")), &mut flat, style)
}

/// How a list of labels is written in one CSV cell (and read back by `evaluate`).
pub const LABEL_JOIN: &str = "|";

/// The frame with each list-of-text column joined into one text per row.
fn lists_joined(df: &DataFrame, separator: &str) -> Result<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|column| {
            if !matches!(column.dtype(), DataType::List(inner) if **inner == DataType::String) {
                return Ok(column.clone());
            }
            let lists = column.list()?;
            let values: Vec<Option<String>> = (0..lists.len())
                .map(|i| {
                    let item = lists.get_as_series(i)?;
                    let parts: Vec<&str> = item.str().ok()?.iter().flatten().collect();
                    Some(parts.join(separator))
                })
                .collect();
            Ok(Column::new(column.name().clone(), values))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DataFrame::new(df.height(), columns)?)
}

/// The frame as a one-sheet workbook, written atomically, with `editable` empty columns after it.
fn write_xlsx(path: &Path, sheet: &str, df: &DataFrame, editable: &[&str]) -> Result<()> {
    let mut columns = xlsx_columns(df)?;
    columns.extend(editable.iter().map(|name| xlsx::Column {
        name: name.to_string(),
        cells: vec![xlsx::Cell::Blank; df.height()],
    }));
    let bytes = xlsx::workbook(path, sheet, &columns)?;
    write_atomically(path, |f| {
        use std::io::Write;
        f.write_all(&bytes)?;
        Ok(())
    })
}

/// The columns of a frame as spreadsheet cells: numbers as numbers, lists as lists.
fn xlsx_columns(df: &DataFrame) -> Result<Vec<xlsx::Column>> {
    df.columns()
        .iter()
        .map(|column| {
            let series = column.as_materialized_series();
            let cells = (0..series.len())
                .map(|i| Ok(cell(series.get(i)?)))
                .collect::<Result<Vec<_>>>()?;
            Ok(xlsx::Column {
                name: column.name().to_string(),
                cells,
            })
        })
        .collect()
}

fn cell(value: AnyValue) -> xlsx::Cell {
    match value {
        AnyValue::Null => xlsx::Cell::Blank,
        AnyValue::Boolean(b) => xlsx::Cell::Bool(b),
        AnyValue::String(s) => xlsx::Cell::Text(s.to_string()),
        AnyValue::StringOwned(s) => xlsx::Cell::Text(s.to_string()),
        AnyValue::List(items) => xlsx::Cell::List(
            (0..items.len())
                .filter_map(|i| match items.get(i).ok()? {
                    AnyValue::Null => None,
                    AnyValue::String(s) => Some(s.to_string()),
                    other => Some(other.to_string()),
                })
                .collect(),
        ),
        other => match other.extract::<f64>() {
            Some(v) => xlsx::Cell::Number(v),
            None => xlsx::Cell::Text(other.to_string()),
        },
    }
}

fn write_csv(path: &Path, df: &mut DataFrame, style: CsvStyle) -> Result<()> {
    let mut guarded;
    let df = if style.excel_safe {
        guarded = without_formulas(df)?;
        &mut guarded
    } else {
        df
    };
    write_atomically(path, |file| {
        CsvWriter::new(file)
            .include_bom(style.bom)
            .with_separator(style.separator)
            .with_decimal_comma(style.decimal_comma)
            .finish(df)?;
        Ok(())
    })
}

/// The frame with every text cell that a spreadsheet would run as a formula made inert.
fn without_formulas(df: &DataFrame) -> Result<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|column| {
            if column.dtype() != &DataType::String {
                return Ok(column.clone());
            }
            let values: Vec<Option<String>> = column
                .str()?
                .iter()
                .map(|v| v.map(|s| neutralise_formula(s).into_owned()))
                .collect();
            Ok(Column::new(column.name().clone(), values))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DataFrame::new(df.height(), columns)?)
}
