//! Excel workbooks that open without an import step: real number cells (no decimal-separator
//! question), lists one item per line inside their cell, the header row frozen and filtered, columns
//! sized to their content. Strings are written as strings, never as formulas, whatever they begin
//! with.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

/// Most rows an Excel sheet holds, header included.
pub const MAX_ROWS: usize = 1_048_576;

/// Most characters an Excel cell holds.
pub const MAX_CELL_CHARS: usize = 32_767;

/// A text as long as a cell allows: a longer one (a pasted 1 MB testimony) is cut, with a mark
/// that says where the whole text is (the Parquet and CSV files keep it).
pub fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = CUT_MARK;
    match text.char_indices().nth(MAX_CELL_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => {
            let keep = MAX_CELL_CHARS - MARK.chars().count();
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}{MARK}", &text[..end]))
        }
    }
}

/// What ends a text cut to fit a cell.
pub const CUT_MARK: &str = " … [cut: Excel holds 32,767 characters per cell; the whole text is in the Parquet and CSV files]";

/// One cell of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Blank,
    Number(f64),
    Bool(bool),
    Text(String),
    /// Shown one item per line in a wrapped cell.
    List(Vec<String>),
}

/// A named column of cells.
pub struct Column {
    pub name: String,
    pub cells: Vec<Cell>,
}

/// One sheet named `sheet` with these columns (all of one length), as the bytes of an xlsx file.
/// Tables longer than Excel's sheet are refused with a message (the Parquet and CSV files hold them).
pub fn workbook(path: &Path, sheet: &str, columns: &[Column]) -> Result<Vec<u8>> {
    let rows = columns.first().map_or(0, |c| c.cells.len());
    if rows + 1 > MAX_ROWS {
        anyhow::bail!(
            "{}: {rows} rows do not fit an Excel sheet ({} at most): use the Parquet or CSV file",
            path.display(),
            MAX_ROWS - 1
        );
    }
    let mut workbook = Workbook::new();
    // A fixed creation date, so that the same run gives the same bytes (run.json holds the date).
    let created = ExcelDateTime::from_ymd(2020, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet)?;
    let header = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, column) in columns.iter().enumerate() {
        ws.set_column_width(c as u16, width(column))?;
        ws.write_string_with_format(0, c as u16, &column.name, &header)?;
    }
    // Row by row: in constant-memory mode a finished row is flushed to disk.
    for r in 0..rows {
        for (c, column) in columns.iter().enumerate() {
            let (row, col) = (r as u32 + 1, c as u16);
            match &column.cells[r] {
                Cell::Blank => {}
                Cell::Number(v) if v.is_finite() => {
                    ws.write_number(row, col, *v)?;
                }
                Cell::Number(v) => {
                    ws.write_string(row, col, v.to_string())?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(row, col, *b)?;
                }
                Cell::Text(s) => {
                    ws.write_string(row, col, fit_cell(s))?;
                }
                Cell::List(items) => {
                    ws.write_string_with_format(row, col, fit_cell(&items.join("\n")), &wrap)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows as u32, columns.len().saturating_sub(1) as u16)?;
    workbook
        .save_to_buffer()
        .with_context(|| format!("cannot build {}", path.display()))
}

/// Characters of the header or the longest of the first thousand values, between 8 and 60.
fn width(column: &Column) -> f64 {
    let longest = column
        .cells
        .iter()
        .take(1000)
        .map(|cell| match cell {
            Cell::Blank | Cell::Bool(_) => 5,
            Cell::Number(_) => 10,
            Cell::Text(s) => s.chars().count(),
            Cell::List(items) => items.iter().map(|s| s.chars().count()).max().unwrap_or(0),
        })
        .max()
        .unwrap_or(0)
        .max(column.name.chars().count() + 3);
    longest.clamp(8, 60) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_content_within_bounds() {
        let col = |cells| Column {
            name: "id".into(),
            cells,
        };
        assert_eq!(width(&col(vec![Cell::Number(1.0)])), 10.0);
        assert_eq!(width(&col(vec![Cell::Text("x".repeat(500))])), 60.0);
        let huge = "é".repeat(40_000);
        assert_eq!(fit_cell(&huge).chars().count(), MAX_CELL_CHARS);
        assert!(fit_cell(&huge).ends_with("CSV files]"));
        assert_eq!(fit_cell("court"), "court");
        assert_eq!(width(&col(vec![Cell::Blank])), 8.0);
    }
}
