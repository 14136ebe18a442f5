//! Word (.docx) and OpenDocument (.odt) files: zip archives of XML. Paragraphs (`w:p`,
//! `text:p`, `text:h`) become blocks separated by a blank line, so that passages never cross them;
//! tabs and line breaks inside a paragraph are kept as such; table cells are paragraphs too.
//!
//! Word's footnotes and endnotes are the contributor's text (a reference, a figure, a precision):
//! they are appended after the body, one paragraph each, and the log says how many. Comments are a
//! reviewer's notes on the document, not the contribution: they are left out, and the log says how
//! many. (OpenDocument keeps its notes inside the body, where they are read in place.)
//! A password-protected Office file is not a zip but an OLE container holding an
//! `EncryptedPackage`: it is rejected as `encrypted`.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

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
    refuse_ole(bytes)?;
    let mut archive = archive(bytes)?;
    let mut extracted = read(&mut archive, &DOCX)?;
    let mut notes = 0;
    for part in ["word/footnotes.xml", "word/endnotes.xml"] {
        let Some(xml) = member(&mut archive, part) else {
            continue;
        };
        let text = body_text(&xml, &DOCX).map_err(|_| "corrupt_file".to_string())?;
        notes += text.split("\n\n").filter(|p| !p.is_empty()).count();
        if !text.is_empty() {
            extracted.text = format!("{}\n\n{text}", extracted.text);
        }
    }
    if notes > 0 {
        extracted.notes.push(format!(
            "{notes} footnote and endnote paragraphs read after the body"
        ));
    }
    let comments = member(&mut archive, "word/comments.xml")
        .map_or(0, |xml| xml.matches("<w:comment ").count());
    if comments > 0 {
        extracted.notes.push(format!(
            "{comments} comments left out (a reviewer's notes, not the contribution)"
        ));
    }
    Ok(extracted)
}

/// Reads an .odt; `Err` holds the rejection reason.
pub fn odt(bytes: &[u8]) -> Result<Extracted, String> {
    refuse_ole(bytes)?;
    read(&mut archive(bytes)?, &ODT)
}

/// The compound-file (OLE) signature: a legacy Office file, or an encrypted modern one.
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// An Office file saved with a password is an OLE container with an `EncryptedPackage` stream
/// (its name in UTF-16): `encrypted`; another OLE file under a modern extension is not readable.
pub fn refuse_ole(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(&OLE_MAGIC) {
        return Ok(());
    }
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    match bytes.windows(name.len()).any(|w| w == name.as_slice()) {
        true => Err("encrypted".into()),
        false => Err("corrupt_file".into()),
    }
}

fn archive(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, String> {
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| "corrupt_file".to_string())
}

fn read(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    vocabulary: &Vocabulary,
) -> Result<Extracted, String> {
    let body = member(archive, vocabulary.body).ok_or("corrupt_file")?;
    let text = body_text(&body, vocabulary).map_err(|_| "corrupt_file".to_string())?;
    let title = member(archive, vocabulary.meta).and_then(|m| title(&m));
    Ok(Extracted {
        text,
        pages: None,
        title,
        notes: Vec::new(),
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

    /// A zip archive of the given members.
    fn zipped(members: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, text) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn footnotes_and_endnotes_are_read_comments_are_counted() {
        let w = r#"xmlns:w="w""#;
        let body = format!(
            r#"<w:document {w}><w:body><w:p><w:r><w:t>Le corps.</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cellule A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cellule B</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#
        );
        let footnotes = format!(
            r#"<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
            <w:footnote w:id="1"><w:p><w:r><w:t>Source : rapport de 2019.</w:t></w:r></w:p></w:footnote></w:footnotes>"#
        );
        let endnotes = format!(
            r#"<w:endnotes {w}><w:endnote w:id="1"><w:p><w:r><w:t>Fin.</w:t></w:r></w:p></w:endnote></w:endnotes>"#
        );
        let comments = format!(
            r#"<w:comments {w}><w:comment w:id="0" w:author="R"><w:p><w:r><w:t>À revoir</w:t></w:r></w:p></w:comment></w:comments>"#
        );
        let bytes = zipped(&[
            ("word/document.xml", &body),
            ("word/footnotes.xml", &footnotes),
            ("word/endnotes.xml", &endnotes),
            ("word/comments.xml", &comments),
        ]);
        let e = docx(&bytes).unwrap();
        assert_eq!(
            e.text,
            "Le corps.\n\nCellule A\n\nCellule B\n\nSource : rapport de 2019.\n\nFin."
        );
        assert_eq!(
            e.notes,
            [
                "2 footnote and endnote paragraphs read after the body",
                "1 comments left out (a reviewer's notes, not the contribution)"
            ]
        );
    }

    #[test]
    fn an_encrypted_office_file_is_said_to_be_encrypted() {
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend(vec![0u8; 500]);
        assert_eq!(docx(&ole).unwrap_err(), "corrupt_file");
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(docx(&ole).unwrap_err(), "encrypted");
        assert_eq!(odt(&ole).unwrap_err(), "encrypted");
    }
}
