//! Spreadsheets (.xlsx, .xlsm, .xls, .xlsb, .ods) read with calamine: the first sheet, or the one
//! named with `--sheet`, as a table whose first row is the header, every cell as text.

use std::io::Cursor;

use anyhow::{Context, Result, bail};
use calamine::{Data, Reader};

use crate::stages::write::table::TextColumn;

/// Extensions read as spreadsheets.
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "xlsb", "ods"];

/// The columns of one sheet, the header row naming them; `what` names the file in errors.
pub fn columns(bytes: &[u8], sheet: Option<&str>, what: &str) -> Result<Vec<TextColumn>> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .with_context(|| format!("{what} is not a spreadsheet calamine can read"))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .with_context(|| format!("{what} has no sheet {wanted:?}: its sheets are {names:?}"))?
            .clone(),
        None => names
            .first()
            .with_context(|| format!("{what} has no sheet"))?
            .clone(),
    };
    let range = book
        .worksheet_range(&name)
        .with_context(|| format!("{what}: cannot read sheet {name:?}"))?;
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        bail!("{what}: sheet {name:?} is empty: expected a header row and one testimony per row");
    };
    let mut columns: Vec<TextColumn> = header
        .iter()
        .enumerate()
        .map(|(i, cell)| TextColumn {
            name: cell_text(cell).unwrap_or_else(|| format!("column_{}", i + 1)),
            values: Vec::new(),
            nested: None,
        })
        .collect();
    for row in rows {
        for (i, column) in columns.iter_mut().enumerate() {
            column.values.push(row.get(i).and_then(cell_text));
        }
    }
    Ok(columns)
}

/// A cell as text: whole numbers without ".0", dates as the sheet shows them, empty as `None`.
fn cell_text(cell: &Data) -> Option<String> {
    let text = match cell {
        Data::Empty => return None,
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Réponses").unwrap();
        sheet.write(0, 0, "id").unwrap();
        sheet.write(0, 1, "texte").unwrap();
        sheet.write(1, 0, 7.0).unwrap();
        sheet.write(1, 1, "Plus de lits").unwrap();
        sheet.write(2, 0, 8.5).unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn the_header_names_the_columns_and_numbers_read_as_written() {
        let cols = columns(&workbook(), None, "t.xlsx").unwrap();
        assert_eq!(cols[0].name, "id");
        assert_eq!(cols[0].values, [Some("7".into()), Some("8.5".into())]);
        assert_eq!(cols[1].values, [Some("Plus de lits".into()), None]);
    }

    #[test]
    fn a_missing_sheet_is_named_with_the_sheets_there_are() {
        let err = columns(&workbook(), Some("Feuil2"), "t.xlsx").unwrap_err();
        assert!(format!("{err:#}").contains("Réponses"), "{err:#}");
    }
}
