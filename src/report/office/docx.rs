//! report.docx: WordprocessingML with Word's own style names (Title, Heading1–3, Quote,
//! ListBullet, TOC1–3), so that the navigation pane, the table of contents field and a
//! writer's template work on it. Charts are SVG (`asvg:svgBlip`, Word 2016 and later, LibreOffice)
//! over a white PNG of the same shape for older readers.

use std::fmt::Write as _;

use anyhow::Result;

use super::{Archive, Block, Properties, xml};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Text width of an A4 page with 2 cm margins, in twentieths of a point and in EMU.
const TEXT_TWIPS: u32 = 9638;
const TEXT_EMU: f64 = 6_120_130.0;

/// The whole .docx file.
pub fn document(blocks: &[Block], p: &Properties) -> Result<Vec<u8>> {
    let mut body = String::new();
    let mut charts = Vec::new();
    for block in blocks {
        match block {
            Block::Contents(title) => contents(&mut body, title, blocks),
            Block::Chart(svg, w, h) => {
                charts.push(svg.clone());
                chart(&mut body, charts.len(), *w, *h);
            }
            other => simple(&mut body, other),
        }
    }
    let mut zip = Archive::new();
    zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes(), false)?;
    zip.add("_rels/.rels", ROOT_RELS.as_bytes(), false)?;
    zip.add("docProps/core.xml", core(p).as_bytes(), false)?;
    zip.add("docProps/custom.xml", custom(p).as_bytes(), false)?;
    zip.add("word/document.xml", wrap(&body).as_bytes(), false)?;
    zip.add("word/styles.xml", styles(p.lang).as_bytes(), false)?;
    zip.add("word/numbering.xml", NUMBERING.as_bytes(), false)?;
    zip.add("word/settings.xml", SETTINGS.as_bytes(), false)?;
    zip.add(
        "word/_rels/document.xml.rels",
        rels(charts.len()).as_bytes(),
        false,
    )?;
    for (i, svg) in charts.iter().enumerate() {
        zip.add(
            &format!("word/media/chart{}.svg", i + 1),
            svg.as_bytes(),
            false,
        )?;
    }
    zip.finish()
}

fn paragraph(body: &mut String, style: &str, runs: &str) {
    let _ = write!(
        body,
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{runs}</w:p>"
    );
}

fn run(text: &str) -> String {
    format!("<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r>", xml(text))
}

fn simple(body: &mut String, block: &Block) {
    match block {
        Block::Title(t) => paragraph(body, "Title", &run(t)),
        Block::Heading(level, t) => paragraph(body, &format!("Heading{level}"), &run(t)),
        Block::Paragraph(t) => paragraph(body, "Normal", &run(t)),
        Block::Note(t) => paragraph(body, "Note", &run(t)),
        Block::Quote(text, origin) => {
            let id = format!(
                "<w:r><w:rPr><w:rStyle w:val=\"QuoteId\"/></w:rPr><w:t xml:space=\"preserve\"> [{}]</w:t></w:r>",
                xml(origin)
            );
            paragraph(body, "Quote", &(run(&format!("« {text} »")) + &id));
        }
        Block::Bullets(items) => {
            for item in items {
                let _ = write!(
                    body,
                    "<w:p><w:pPr><w:pStyle w:val=\"ListBullet\"/><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr>{}</w:p>",
                    run(item)
                );
            }
        }
        Block::Table(header, rows) => table(body, header, rows),
        Block::Contents(_) | Block::Chart(..) => {}
    }
}

fn table(body: &mut String, header: &[String], rows: &[Vec<String>]) {
    let n = header.len().max(1) as u32;
    let _ = write!(
        body,
        "<w:tbl><w:tblPr><w:tblStyle w:val=\"Table\"/><w:tblW w:w=\"{TEXT_TWIPS}\" w:type=\"dxa\"/></w:tblPr><w:tblGrid>"
    );
    for _ in 0..n {
        let _ = write!(body, "<w:gridCol w:w=\"{}\"/>", TEXT_TWIPS / n);
    }
    let cell = |style: &str, text: &String| {
        format!(
            "<w:tc><w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{}</w:p></w:tc>",
            run(text)
        )
    };
    body.push_str("</w:tblGrid><w:tr><w:trPr><w:tblHeader/></w:trPr>");
    body.extend(header.iter().map(|h| cell("TableHeading", h)));
    body.push_str("</w:tr>");
    for row in rows {
        body.push_str("<w:tr>");
        body.extend(row.iter().map(|c| cell("TableContents", c)));
        body.push_str("</w:tr>");
    }
    body.push_str("</w:tbl>");
    paragraph(body, "Normal", "");
}

/// A table of contents field, its result filled in with the headings (levels 1 and 2) so that
/// it reads before Word updates it (Word offers to, `updateFields`; it then adds page numbers).
fn contents(body: &mut String, title: &str, blocks: &[Block]) {
    paragraph(body, "TOCHeading", &run(title));
    let entries: Vec<(u8, &str)> = (blocks.iter())
        .filter_map(|b| match b {
            Block::Heading(level, t) if *level <= 2 => Some((*level, t.as_str())),
            _ => None,
        })
        .collect();
    let begin = "<w:r><w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> TOC \\o \"1-2\" \\h \\z \\u </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>";
    let end = "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
    let last = entries.len().saturating_sub(1);
    for (i, (level, text)) in entries.iter().enumerate() {
        let mut runs = String::new();
        if i == 0 {
            runs.push_str(begin);
        }
        runs.push_str(&run(text));
        if i == last {
            runs.push_str(end);
        }
        paragraph(body, &format!("TOC{level}"), &runs);
    }
}

/// An inline picture: the PNG, with the SVG over it for the readers that know `svgBlip`.
fn chart(body: &mut String, n: usize, w: f64, h: f64) {
    let cx = TEXT_EMU.min(w * 9525.0);
    let cy = cx * h / w.max(1.0);
    let (cx, cy) = (cx as u64, cy as u64);
    let _ = write!(
        body,
        "<w:p><w:pPr><w:pStyle w:val=\"Figure\"/></w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"{n}\" name=\"chart{n}\"/><a:graphic xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\"><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:nvPicPr><pic:cNvPr id=\"{n}\" name=\"chart{n}.svg\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed=\"svg{n}\"><a:extLst><a:ext uri=\"{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}\"><asvg:svgBlip xmlns:asvg=\"http://schemas.microsoft.com/office/drawing/2016/SVG/main\" r:embed=\"svg{n}\"/></a:ext></a:extLst></a:blip><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    );
}

fn wrap(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W}\" xmlns:r=\"{R}\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\"><w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    )
}

fn rels(charts: usize) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"styles\" Type=\"{R}/styles\" Target=\"styles.xml\"/><Relationship Id=\"numbering\" Type=\"{R}/numbering\" Target=\"numbering.xml\"/><Relationship Id=\"settings\" Type=\"{R}/settings\" Target=\"settings.xml\"/>"
    );
    for n in 1..=charts {
        let _ = write!(
            s,
            "<Relationship Id=\"svg{n}\" Type=\"{R}/image\" Target=\"media/chart{n}.svg\"/>"
        );
    }
    s + "</Relationships>"
}

fn core(p: &Properties) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>verbatim</dc:creator><dc:identifier>{}</dc:identifier><dc:language>{}</dc:language><dcterms:created xsi:type=\"dcterms:W3CDTF\">{}</dcterms:created></cp:coreProperties>",
        xml(&p.title),
        xml(&p.run_id),
        p.lang,
        xml(&p.date)
    )
}

fn custom(p: &Properties) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"><property fmtid=\"{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}\" pid=\"2\" name=\"run_id\"><vt:lpwstr>{}</vt:lpwstr></property></Properties>",
        xml(&p.run_id)
    )
}

fn styles(lang: &str) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"{W}\"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:cs=\"Calibri\"/><w:sz w:val=\"22\"/><w:lang w:val=\"{lang}\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"120\"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
    );
    let para = |id: &str, name: &str, ppr: &str, rpr: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
        )
    };
    s += &para(
        "Title",
        "Title",
        "<w:spacing w:after=\"240\"/>",
        "<w:b/><w:sz w:val=\"48\"/>",
    );
    for (level, size) in [(1, 36), (2, 28), (3, 24)] {
        let ppr = format!(
            "<w:keepNext/><w:spacing w:before=\"{}\" w:after=\"120\"/><w:outlineLvl w:val=\"{}\"/>",
            360 - 80 * level,
            level - 1
        );
        s += &para(
            &format!("Heading{level}"),
            &format!("heading {level}"),
            &ppr,
            &format!("<w:b/><w:sz w:val=\"{size}\"/><w:color w:val=\"1F3864\"/>"),
        );
    }
    s += &para(
        "TOCHeading",
        "TOC Heading",
        "<w:spacing w:before=\"240\" w:after=\"120\"/>",
        "<w:b/><w:sz w:val=\"32\"/>",
    );
    for level in 1..=3 {
        s += &para(
            &format!("TOC{level}"),
            &format!("toc {level}"),
            &format!(
                "<w:spacing w:after=\"40\"/><w:ind w:left=\"{}\"/>",
                240 * (level - 1)
            ),
            "",
        );
    }
    s += &para(
        "Quote",
        "Quote",
        "<w:ind w:left=\"567\" w:right=\"567\"/>",
        "<w:i/><w:color w:val=\"404040\"/>",
    );
    s += &para(
        "Note",
        "Note",
        "",
        "<w:sz w:val=\"18\"/><w:color w:val=\"595959\"/>",
    );
    s += &para(
        "ListBullet",
        "List Bullet",
        "<w:spacing w:after=\"60\"/>",
        "",
    );
    s += &para("Figure", "Figure", "<w:jc w:val=\"center\"/>", "");
    s += &para(
        "TableHeading",
        "Table Heading",
        "<w:spacing w:after=\"0\"/>",
        "<w:b/><w:sz w:val=\"18\"/>",
    );
    s += &para(
        "TableContents",
        "Table Contents",
        "<w:spacing w:after=\"0\"/>",
        "<w:sz w:val=\"18\"/>",
    );
    s += "<w:style w:type=\"character\" w:styleId=\"QuoteId\"><w:name w:val=\"Quote Id\"/><w:rPr><w:i w:val=\"0\"/><w:sz w:val=\"16\"/><w:color w:val=\"808080\"/></w:rPr></w:style>";
    s += "<w:style w:type=\"table\" w:styleId=\"Table\"><w:name w:val=\"Table Grid\"/><w:tblPr><w:tblBorders><w:top w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/><w:left w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/><w:bottom w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/><w:right w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/><w:insideH w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/><w:insideV w:val=\"single\" w:sz=\"4\" w:color=\"BFBFBF\"/></w:tblBorders><w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>";
    s + "</w:styles>"
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/><Default Extension=\"svg\" ContentType=\"image/svg+xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/word/numbering.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/><Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/><Override PartName=\"/docProps/custom.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.custom-properties+xml\"/></Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/><Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties\" Target=\"docProps/custom.xml\"/></Relationships>";

const NUMBERING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:numbering xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:abstractNum w:abstractNumId=\"0\"><w:multiLevelType w:val=\"singleLevel\"/><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"bullet\"/><w:lvlText w:val=\"•\"/><w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"567\" w:hanging=\"283\"/></w:pPr></w:lvl></w:abstractNum><w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num></w:numbering>";

/// Word offers to update the table of contents when the file opens.
const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:updateFields w:val=\"true\"/></w:settings>";
