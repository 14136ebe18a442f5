//! report.docx and report.odt: the report model walked a third time, into a short list of
//! document blocks (headings, paragraphs, quotes, lists, tables, images), which `docx` and `odt`
//! write as Word and OpenDocument files. No second report logic: `blocks` reads the same
//! [`super::Report`] the HTML and Markdown renderers read.
//!
//! Written by hand with the `zip` crate already used to read Office files, rather than with a
//! docx crate: the two formats need the same few constructs (heading styles that Word's
//! navigation pane and a table of contents see, tables, a quote style, lists, properties), no
//! maintained crate writes both, and each file is a few hundred lines of XML that tests read back
//! with python-docx and LibreOffice.

mod blocks;
mod docx;
mod odt;

use std::io::Write;

use anyhow::Result;

use super::Report;

/// What a report document is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The title (its own style), then headings of level 1 to 3.
    Title(String),
    Heading(u8, String),
    /// A table of contents of the headings (a field Word updates; filled in already).
    Contents(String),
    Paragraph(String),
    /// A small note under a figure or a table.
    Note(String),
    /// A quote (verbatim) and its origin (`T0232`, `doc.pdf · passage 4`).
    Quote(String, String),
    Bullets(Vec<String>),
    /// A header row, then the rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// An SVG chart, its width and height in the SVG's own units.
    Chart(String, f64, f64),
}

/// Title, date and run id, for the documents' properties.
pub struct Properties {
    pub title: String,
    pub date: String,
    pub run_id: String,
    pub lang: &'static str,
}

/// Writes `report.docx` and `report.odt` into `dir`.
pub fn write(dir: &std::path::Path, report: &Report) -> Result<()> {
    let (blocks, properties) = blocks::of(report);
    for (name, bytes) in [
        ("report.docx", docx::document(&blocks, &properties)?),
        ("report.odt", odt::document(&blocks, &properties)?),
    ] {
        super::table::write_atomically(&dir.join(name), |f| {
            f.write_all(&bytes)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Text escaped for XML content and attributes.
fn xml(s: &str) -> String {
    crate::text::xml_escape(s)
}

/// French typography for the report's own sentences: a no-break space before `: ; ! ?` and
/// inside « », replacing an ordinary space there or adding one. Quotes are never touched.
pub fn french(s: &str) -> String {
    const NBSP: char = '\u{a0}';
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            ' ' if matches!(next, Some(':' | ';' | '!' | '?' | '»')) => out.push(NBSP),
            ' ' if i > 0 && chars[i - 1] == '«' => out.push(NBSP),
            ':' | ';' | '!' | '?' | '»'
                if i > 0 && !chars[i - 1].is_whitespace() && !is_url_like(&chars, i) =>
            {
                out.push(NBSP);
                out.push(c);
            }
            '«' => {
                out.push(c);
                if !next.is_some_and(char::is_whitespace) {
                    out.push(NBSP);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A colon inside a word or a number (`14:30`, `p1:x`) or followed by `//`: no space.
fn is_url_like(chars: &[char], i: usize) -> bool {
    chars[i] == ':' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace())
}

/// A zip archive built in memory, members in the order written.
struct Archive {
    zip: zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
}

impl Archive {
    fn new() -> Self {
        Self {
            zip: zip::ZipWriter::new(std::io::Cursor::new(Vec::new())),
        }
    }

    /// A member, deflated (or stored: ODT's `mimetype` must be).
    fn add(&mut self, name: &str, bytes: &[u8], stored: bool) -> Result<()> {
        let method = match stored {
            true => zip::CompressionMethod::Stored,
            false => zip::CompressionMethod::Deflated,
        };
        // A fixed date: the same report gives the same bytes.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default());
        self.zip.start_file(name, options)?;
        self.zip.write_all(bytes)?;
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>> {
        Ok(self.zip.finish()?.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_spacing_before_double_punctuation_and_inside_guillemets() {
        assert_eq!(
            french("Méthode : ceci ; cela ! Vrai ?"),
            "Méthode\u{a0}: ceci\u{a0}; cela\u{a0}! Vrai\u{a0}?"
        );
        assert_eq!(french("«oui»"), "«\u{a0}oui\u{a0}»");
        assert_eq!(french("« oui »"), "«\u{a0}oui\u{a0}»");
        assert_eq!(french("à 14:30, voir https://x"), "à 14:30, voir https://x");
        assert_eq!(french("Note: fin"), "Note\u{a0}: fin");
    }
}
