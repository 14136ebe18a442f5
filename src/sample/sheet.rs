//! The tagging sheet: one row per proposed testimony, written for Excel and LibreOffice.
//!
//! xlsx: `id`, `text`, `tag` (a drop-down list of the categories, "id — name", and `none`),
//! `comment` (free), `part` (random or chosen: the reading side needs it for the unbiased
//! estimate), and the tool's current `guess`, hidden so that it does not anchor the tagger (unhide
//! the column to compare). A second sheet lists the categories with their descriptions.
//! CSV: the same columns but the guess, `;`-separated with a byte-order mark, which is what Excel
//! opens without an import step in a French locale.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, Formula,
    Workbook, Worksheet,
};

use super::Part;
use crate::stages::write::xlsx::fit_cell;
use crate::taxonomy::Taxonomy;

/// Header of the column the tagger fills; `run --labels` reads it.
pub const TAG_COLUMN: &str = "tag";
/// Header of the column that says which part of the sample a row belongs to.
pub const PART_COLUMN: &str = "part";
/// What separates a category's id from its name in the drop-down list.
pub use crate::labels::CHOICE_JOIN;
/// The drop-down's entry for a testimony outside the taxonomy.
pub const NONE_CHOICE: &str = "none — hors de la taxonomie";

/// One row of the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub id: String,
    pub text: String,
    pub part: Part,
    /// The tool's category id (or `none`).
    pub guess: String,
}

/// Writes the sheet as xlsx or CSV, after the file's extension.
pub fn write(path: &Path, rows: &[SheetRow], taxonomy: &Taxonomy) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsx") => {
            let bytes =
                xlsx(rows, taxonomy).with_context(|| format!("cannot build {}", path.display()))?;
            crate::stages::write::table::write_atomically(path, |f| {
                use std::io::Write;
                f.write_all(&bytes)?;
                Ok(())
            })
        }
        Some("csv") => csv(path, rows),
        _ => anyhow::bail!(
            "{}: the tagging sheet is written as .xlsx (Excel, LibreOffice) or .csv",
            path.display()
        ),
    }
}

/// The drop-down's entries: each category as "id — name", then `none`.
pub fn choices(taxonomy: &Taxonomy) -> Vec<String> {
    taxonomy
        .categories
        .iter()
        .map(|c| format!("{}{CHOICE_JOIN}{}", c.id, c.name))
        .chain(std::iter::once(NONE_CHOICE.to_string()))
        .collect()
}

const HEADER: [&str; 6] = ["id", "text", TAG_COLUMN, "comment", PART_COLUMN, "guess"];

fn xlsx(rows: &[SheetRow], taxonomy: &Taxonomy) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    // A fixed creation date: the same sample gives the same bytes.
    let created = ExcelDateTime::from_ymd(2020, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let choices = choices(taxonomy);
    let ws = workbook.add_worksheet();
    ws.set_name("tagging")?;
    tagging_sheet(ws, rows, choices.len())?;
    let ws = workbook.add_worksheet();
    ws.set_name("categories")?;
    categories_sheet(ws, taxonomy, &choices)?;
    Ok(workbook.save_to_buffer()?)
}

fn tagging_sheet(ws: &mut Worksheet, rows: &[SheetRow], choices: usize) -> Result<()> {
    let bold = Format::new().set_bold();
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    for (c, (name, width)) in HEADER
        .iter()
        .zip([14.0, 90.0, 40.0, 30.0, 9.0, 14.0])
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *name, &bold)?;
        ws.set_column_width(c as u16, width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, &row.id)?;
        ws.write_string_with_format(r, 1, fit_cell(&row.text), &wrap)?;
        ws.write_string(r, 4, row.part.name())?;
        ws.write_string(r, 5, &row.guess)?;
    }
    let list = Formula::new(format!("=categories!$A$2:$A${}", choices + 1));
    let validation = DataValidation::new()
        .allow_list_formula(list)
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("Catégorie inconnue")?
        .set_error_message(
            "Choisir une catégorie de la liste (feuille « categories »), ou none.",
        )?;
    if !rows.is_empty() {
        ws.add_data_validation(1, 2, rows.len() as u32, 2, &validation)?;
    }
    ws.set_column_hidden(5)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn categories_sheet(ws: &mut Worksheet, taxonomy: &Taxonomy, choices: &[String]) -> Result<()> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, (name, width)) in ["choice", "id", "name", "description"]
        .iter()
        .zip([50.0, 14.0, 40.0, 80.0])
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *name, &bold)?;
        ws.set_column_width(c as u16, width)?;
    }
    for (r, choice) in choices.iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, choice)?;
        if let Some(category) = taxonomy.categories.get(r) {
            ws.write_string(r as u32 + 1, 1, &category.id)?;
            ws.write_string(r as u32 + 1, 2, &category.name)?;
            ws.write_string_with_format(r as u32 + 1, 3, &category.description, &wrap)?;
        } else {
            ws.write_string(r as u32 + 1, 1, "none")?;
        }
    }
    Ok(())
}

/// The CSV sheet: for a French Excel (`;`, byte-order mark), formulas neutralised like every CSV
/// the tool writes (a testimony that begins with `=` stays text).
fn csv(path: &Path, rows: &[SheetRow]) -> Result<()> {
    crate::stages::write::csv::write_records(
        path,
        crate::stages::write::csv::CsvStyle::excel(),
        |w| {
            w.record(&HEADER[..5])?;
            for row in rows {
                w.record([row.id.as_str(), &row.text, "", "", row.part.name()])?;
            }
            Ok(())
        },
    )
}
