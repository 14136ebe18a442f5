//! Every use of the Polars API lives in this folder: reading Parquet input and writing the output
//! tables, so that a change in Polars' fast-moving API (it has changed at nearly every minor
//! release) touches one place. Here: columns, Parquet, CSV and xlsx frames; `run.rs` the run's
//! tables; `embeddings.rs` the vectors' files.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{
    AnyValue, Column, CsvWriter, DataFrame, DataType, ParquetCompression, ParquetReader,
    ParquetWriter, SerReader, SerWriter,
};

use super::csv::{CsvStyle, neutralise_formula};
use crate::stages::write::xlsx;

mod embeddings;
mod run;
mod who;

pub use embeddings::*;
pub use run::*;
pub use who::*;

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

/// Writes `<stem>.parquet`, `<stem>.xlsx` (when it fits a sheet, with `editable` empty columns
/// added to the workbook only) and `<stem>.csv`, where lists of labels are joined with `|`.
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
