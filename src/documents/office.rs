//! Word (.docx) and OpenDocument (.odt) files: zip archives of XML. Paragraphs (`w:p`,
//! `text:p`, `text:h`) become blocks separated by a blank line, so that passages never cross them;
//! tabs and line breaks inside a paragraph are kept as such.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::Extracted;

/// The XML vocabulary of one format.
struct Vocabulary {
    /// Archive member holding the body, and the one holding the title.
    body: &'static str,
    meta: &'static str,
    /// Elements (local names) that end a paragraph.
    paragraph: &'static [&'static str],
    /// Elements whose text is the document's text (every other text is markup or metadata).
    text: &'static [&'static str],
    tab: &'static str,
    line_break: &'static str,
    /// OpenDocument's run of spaces, `<text:s text:c="3"/>`.
    spaces: Option<&'static str>,
}

const DOCX: Vocabulary = Vocabulary {
    body: "word/document.xml",
    meta: "docProps/core.xml",
    paragraph: &["p"],
    text: &["t"],
    tab: "tab",
    line_break: "br",
    spaces: None,
};

const ODT: Vocabulary = Vocabulary {
    body: "content.xml",
    meta: "meta.xml",
    paragraph: &["p", "h"],
    text: &["p", "h", "span", "a"],
    tab: "tab",
    line_break: "line-break",
    spaces: Some("s"),
};

/// Reads a .docx; `Err` holds the rejection reason.
pub fn docx(bytes: &[u8]) -> Result<Extracted, String> {
    read(bytes, &DOCX)
}

/// Reads an .odt; `Err` holds the rejection reason.
pub fn odt(bytes: &[u8]) -> Result<Extracted, String> {
    read(bytes, &ODT)
}

fn read(bytes: &[u8], vocabulary: &Vocabulary) -> Result<Extracted, String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| "corrupt_file".to_string())?;
    let body = member(&mut archive, vocabulary.body).ok_or("corrupt_file")?;
    let text = body_text(&body, vocabulary).map_err(|_| "corrupt_file".to_string())?;
    let title = member(&mut archive, vocabulary.meta).and_then(|m| title(&m));
    Ok(Extracted {
        text,
        pages: None,
        title,
    })
}

/// One archive member as text, if present and readable.
fn member(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let mut file = archive.by_name(name).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The text of the body: paragraphs separated by blank lines, empty paragraphs dropped.
fn body_text(xml: &str, v: &Vocabulary) -> Result<String, quick_xml::Error> {
    let mut reader = Reader::from_str(xml);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut depth_in_text = 0usize;
    loop {
        match reader.read_event()? {
            Event::Start(e) if v.text.contains(&local(e.local_name().as_ref())) => {
                depth_in_text += 1;
            }
            Event::Empty(e) => {
                let local_name = e.local_name();
                let name = local(local_name.as_ref());
                if name == v.tab {
                    current.push('\t');
                } else if name == v.line_break {
                    current.push('\n');
                } else if Some(name) == v.spaces {
                    current.push_str(&" ".repeat(space_count(&e)));
                }
            }
            Event::End(e) => {
                let local_name = e.local_name();
                let name = local(local_name.as_ref());
                if v.text.contains(&name) {
                    depth_in_text = depth_in_text.saturating_sub(1);
                }
                if v.paragraph.contains(&name) {
                    end_paragraph(&mut current, &mut paragraphs);
                }
            }
            Event::Text(t) if depth_in_text > 0 => current.push_str(&t),
            Event::GeneralRef(r) if depth_in_text > 0 => current.push_str(&entity(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    end_paragraph(&mut current, &mut paragraphs);
    Ok(paragraphs.join("\n\n"))
}

/// Closes a paragraph: kept when it holds something, with its inner blank lines closed up so that
/// a paragraph stays one block.
fn end_paragraph(current: &mut String, paragraphs: &mut Vec<String>) {
    let text = std::mem::take(current);
    let lines: Vec<&str> = text
        .split('\n')
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !lines.is_empty() {
        paragraphs.push(lines.join("\n").trim().to_string());
    }
}

fn local(name: &str) -> &str {
    name
}

/// `text:c`, the number of spaces of an OpenDocument `text:s` (1 when absent).
fn space_count(e: &quick_xml::events::BytesStart) -> usize {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == "c")
        .and_then(|a| a.value.parse().ok())
        .unwrap_or(1)
        .min(100)
}

/// An entity or character reference's text (`&amp;`, `&#233;`).
pub fn entity(r: &quick_xml::events::BytesRef) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    quick_xml::escape::resolve_predefined_entity(r)
        .map(str::to_string)
        .unwrap_or_default()
}

/// `dc:title` of the metadata, when it says something.
fn title(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut inside = false;
    let mut title = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == "title" => inside = true,
            Event::End(e) if e.local_name().as_ref() == "title" => break,
            Event::Text(t) if inside => title.push_str(&t),
            Event::GeneralRef(r) if inside => title.push_str(&entity(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_paragraphs_tabs_breaks_and_entities() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:r><w:t>Les salaires &amp; les </w:t></w:r><w:r><w:t xml:space="preserve">carrières.</w:t></w:r></w:p>
            <w:p></w:p>
            <w:p><w:r><w:t>Un</w:t><w:tab/><w:t>deux</w:t><w:br/><w:t>trois &#233;t&#xE9;</w:t></w:r></w:p>
            <w:sectPr><w:pgSz/></w:sectPr></w:body></w:document>"#;
        assert_eq!(
            body_text(xml, &DOCX).unwrap(),
            "Les salaires & les carrières.\n\nUn\tdeux\ntrois été"
        );
    }

    #[test]
    fn opendocument_headings_spans_and_spaces() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text>
            <text:h>Pilier 1</text:h><text:p>Mieux <text:span>payer</text:span><text:s text:c="2"/>les soignants.</text:p>
            </office:text></office:body></office:document-content>"#;
        assert_eq!(
            body_text(xml, &ODT).unwrap(),
            "Pilier 1\n\nMieux payer  les soignants."
        );
    }

    #[test]
    fn titles_come_from_the_metadata() {
        let xml = r#"<cp:coreProperties xmlns:dc="dc"><dc:title>Contribution du CHU</dc:title></cp:coreProperties>"#;
        assert_eq!(title(xml).as_deref(), Some("Contribution du CHU"));
        assert_eq!(title("<x><dc:title> </dc:title></x>"), None);
    }

    #[test]
    fn a_corrupt_archive_is_rejected_with_its_reason() {
        assert_eq!(docx(b"PK\x03\x04 not a zip").unwrap_err(), "corrupt_file");
    }
}
