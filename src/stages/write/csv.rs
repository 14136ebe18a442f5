//! Every CSV the tool writes goes through here: its style (separator, byte-order mark, decimal
//! comma) and its formula guard, for the Polars frames (`table`) and the record-by-record CSVs
//! (the evaluation's tables, the tagging sheet) alike; and the guard undone when a CSV is read
//! back.

use std::fs::File;
use std::path::Path;

use anyhow::Result;

use super::table::write_atomically;

/// How CSV outputs are written: plain (`,`, no BOM) or for a French Excel (`;`, UTF-8 BOM). Both
/// neutralise formulas: any CSV may be opened in a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CsvStyle {
    pub separator: u8,
    pub bom: bool,
    /// Decimal comma (`0,75`): a French Excel reads `0.75` as text, not as a number.
    pub decimal_comma: bool,
    /// Text cells that begin like a formula are made inert (see [`neutralise_formula`]).
    pub excel_safe: bool,
}

impl Default for CsvStyle {
    fn default() -> Self {
        Self::plain()
    }
}

impl CsvStyle {
    pub fn plain() -> Self {
        Self {
            separator: b',',
            bom: false,
            decimal_comma: false,
            excel_safe: true,
        }
    }
    pub fn excel() -> Self {
        Self {
            separator: b';',
            bom: true,
            decimal_comma: true,
            excel_safe: true,
        }
    }

    /// A text cell as this style writes it.
    pub fn text(&self, cell: &str) -> String {
        if self.excel_safe {
            neutralise_formula(cell).into_owned()
        } else {
            cell.to_string()
        }
    }

    /// A number as this style writes it.
    pub fn number(&self, v: f64, decimals: usize) -> String {
        let s = format!("{v:.decimals$}");
        if self.decimal_comma {
            s.replace('.', ",")
        } else {
            s
        }
    }
}

/// A cell that begins like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading apostrophe, as OWASP recommends for CSV opened in a spreadsheet: Excel shows the text and
/// runs nothing. A hostile export's `=HYPERLINK(…)` or DDE payload (`=cmd|' /C calc'!A0`) in a
/// passed-through column stays text. A plain number (`-0,25`) is left as it is: it runs nothing.
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) && !is_plain_number(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// What makes a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `-12`, `+0.5`, `-0,25`: a number a spreadsheet reads as a number.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let mut parts = digits.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or("");
    let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    ok(whole) && parts.next().is_none_or(ok)
}

/// Undoes [`neutralise_formula`] when reading a CSV back: `'=SOMME(A1)` is read as `=SOMME(A1)`,
/// so that verbatim reads its own CSVs (ids, labels, texts) exactly as it wrote them.
pub fn restore_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) && !is_plain_number(rest) => rest,
        _ => cell,
    }
}

/// A CSV being written by [`write_records`]: every field goes through the style's formula guard.
pub struct CsvRecords<'w> {
    writer: csv::Writer<&'w mut File>,
    style: CsvStyle,
}

impl CsvRecords<'_> {
    pub fn record<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) -> Result<()> {
        let fields: Vec<String> = fields
            .into_iter()
            .map(|f| self.style.text(f.as_ref()))
            .collect();
        self.writer.write_record(&fields)?;
        Ok(())
    }
}

/// Writes a CSV record by record in a style (separator, byte-order mark, formula guard),
/// atomically: the one writer of every CSV that is not a Polars frame (the evaluation's tables,
/// the tagging sheet).
pub fn write_records(
    path: &Path,
    style: CsvStyle,
    fill: impl FnOnce(&mut CsvRecords) -> Result<()>,
) -> Result<()> {
    write_atomically(path, |f| {
        if style.bom {
            use std::io::Write;
            f.write_all("\u{feff}".as_bytes())?;
        }
        let writer = csv::WriterBuilder::new()
            .delimiter(style.separator)
            .from_writer(f);
        let mut records = CsvRecords { writer, style };
        fill(&mut records)?;
        records.writer.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_read_back_exactly() {
        let hostile = [
            "=HYPERLINK(\"http://x\";\"clic\")",
            "=cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "+33 6 12",
            "- une liste",
            "\tTAB",
            "\rCR",
        ];
        for cell in hostile {
            let guarded = neutralise_formula(cell);
            assert_eq!(guarded, format!("'{cell}"), "{cell:?}");
            assert_eq!(restore_formula(&guarded), cell);
        }
        for plain in ["-12", "+0.5", "-0,25", "T0042", "Texte", "'déjà cité'"] {
            assert_eq!(neutralise_formula(plain), plain);
            assert_eq!(restore_formula(plain), plain);
        }
    }

    #[test]
    fn the_default_style_guards_formulas() {
        assert!(CsvStyle::plain().excel_safe);
        assert!(CsvStyle::excel().excel_safe);
        assert_eq!(CsvStyle::default(), CsvStyle::plain());
    }
}
