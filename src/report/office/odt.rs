//! report.odt: OpenDocument text with LibreOffice's own style names (Title, Heading 1–3,
//! Quotations, List Bullet, Contents 1–2), a table of contents index, tables, and the charts as
//! SVG pictures (LibreOffice and Word both draw them).

use std::fmt::Write as _;

use anyhow::Result;

use super::{Archive, Block, Properties, xml};

const NS: &str = "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" office:version=\"1.3\"";

/// Text width of an A4 page with 2 cm margins.
const TEXT_CM: f64 = 17.0;

/// The whole .odt file.
pub fn document(blocks: &[Block], p: &Properties) -> Result<Vec<u8>> {
    let mut body = String::new();
    let mut charts = Vec::new();
    let mut tables = 0;
    for block in blocks {
        match block {
            Block::Contents(title) => contents(&mut body, title, blocks),
            Block::Chart(svg, w, h) => {
                charts.push(svg.clone());
                chart(&mut body, charts.len(), *w, *h);
            }
            Block::Table(header, rows) => {
                tables += 1;
                table(&mut body, tables, header, rows);
            }
            other => simple(&mut body, other),
        }
    }
    let mut zip = Archive::new();
    zip.add("mimetype", b"application/vnd.oasis.opendocument.text", true)?;
    zip.add(
        "META-INF/manifest.xml",
        manifest(charts.len()).as_bytes(),
        false,
    )?;
    zip.add("meta.xml", meta(p).as_bytes(), false)?;
    zip.add("styles.xml", styles(p.lang).as_bytes(), false)?;
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content {NS}><office:automatic-styles>{TABLE_STYLES}</office:automatic-styles><office:body><office:text>{body}</office:text></office:body></office:document-content>"
    );
    zip.add("content.xml", content.as_bytes(), false)?;
    for (i, svg) in charts.iter().enumerate() {
        zip.add(
            &format!("Pictures/chart{}.svg", i + 1),
            svg.as_bytes(),
            false,
        )?;
    }
    zip.finish()
}

fn p(body: &mut String, style: &str, content: &str) {
    let _ = write!(
        body,
        "<text:p text:style-name=\"{style}\">{content}</text:p>"
    );
}

fn simple(body: &mut String, block: &Block) {
    match block {
        Block::Title(t) => p(body, "Title", &xml(t)),
        Block::Heading(level, t) => {
            let _ = write!(
                body,
                "<text:h text:style-name=\"Heading_20_{level}\" text:outline-level=\"{level}\">{}</text:h>",
                xml(t)
            );
        }
        Block::Paragraph(t) => p(body, "Text_20_body", &xml(t)),
        Block::Note(t) => p(body, "Note", &xml(t)),
        Block::Quote(text, origin) => {
            let id = format!(
                "<text:span text:style-name=\"Quote_20_Id\"> [{}]</text:span>",
                xml(origin)
            );
            p(body, "Quotations", &(xml(&format!("« {text} »")) + &id));
        }
        Block::Bullets(items) => {
            body.push_str("<text:list text:style-name=\"Bullets\">");
            for item in items {
                let _ = write!(
                    body,
                    "<text:list-item><text:p text:style-name=\"List_20_Bullet\">{}</text:p></text:list-item>",
                    xml(item)
                );
            }
            body.push_str("</text:list>");
        }
        Block::Table(..) | Block::Contents(_) | Block::Chart(..) => {}
    }
}

fn table(body: &mut String, n: usize, header: &[String], rows: &[Vec<String>]) {
    let _ = write!(
        body,
        "<table:table table:name=\"Table{n}\" table:style-name=\"Table\"><table:table-column table:number-columns-repeated=\"{}\"/><table:table-header-rows><table:table-row>",
        header.len().max(1)
    );
    let cell = |style: &str, text: &String| {
        format!(
            "<table:table-cell table:style-name=\"Cell\" office:value-type=\"string\"><text:p text:style-name=\"{style}\">{}</text:p></table:table-cell>",
            xml(text)
        )
    };
    body.extend(header.iter().map(|h| cell("Table_20_Heading", h)));
    body.push_str("</table:table-row></table:table-header-rows>");
    for row in rows {
        body.push_str("<table:table-row>");
        body.extend(row.iter().map(|c| cell("Table_20_Contents", c)));
        body.push_str("</table:table-row>");
    }
    body.push_str("</table:table>");
}

/// A table of contents index of the outline (levels 1 and 2), its body filled in already.
fn contents(body: &mut String, title: &str, blocks: &[Block]) {
    let _ = write!(
        body,
        "<text:table-of-content text:name=\"Contents\" text:protected=\"true\"><text:table-of-content-source text:outline-level=\"2\"><text:index-title-template text:style-name=\"Contents_20_Heading\">{t}</text:index-title-template><text:table-of-content-entry-template text:outline-level=\"1\" text:style-name=\"Contents_20_1\"><text:index-entry-text/></text:table-of-content-entry-template><text:table-of-content-entry-template text:outline-level=\"2\" text:style-name=\"Contents_20_2\"><text:index-entry-text/></text:table-of-content-entry-template></text:table-of-content-source><text:index-body><text:index-title text:name=\"Contents_Head\"><text:p text:style-name=\"Contents_20_Heading\">{t}</text:p></text:index-title>",
        t = xml(title)
    );
    for b in blocks {
        if let Block::Heading(level @ 1..=2, t) = b {
            p(body, &format!("Contents_20_{level}"), &xml(t));
        }
    }
    body.push_str("</text:index-body></text:table-of-content>");
}

fn chart(body: &mut String, n: usize, w: f64, h: f64) {
    let width = TEXT_CM.min(w / 37.8);
    let height = width * h / w.max(1.0);
    let _ = write!(
        body,
        "<text:p text:style-name=\"Figure\"><draw:frame draw:name=\"chart{n}\" text:anchor-type=\"as-char\" svg:width=\"{width:.2}cm\" svg:height=\"{height:.2}cm\"><draw:image xlink:href=\"Pictures/chart{n}.svg\" xlink:type=\"simple\" xlink:show=\"embed\" xlink:actuate=\"onLoad\" draw:mime-type=\"image/svg+xml\"/></draw:frame></text:p>"
    );
}

fn manifest(charts: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>",
    );
    for n in 1..=charts {
        let _ = write!(
            s,
            "<manifest:file-entry manifest:full-path=\"Pictures/chart{n}.svg\" manifest:media-type=\"image/svg+xml\"/>"
        );
    }
    s + "</manifest:manifest>"
}

fn meta(p: &Properties) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta {NS}><office:meta><dc:title>{}</dc:title><meta:generator>verbatim</meta:generator><meta:creation-date>{}</meta:creation-date><dc:language>{}</dc:language><meta:user-defined meta:name=\"run_id\">{}</meta:user-defined></office:meta></office:document-meta>",
        xml(&p.title),
        xml(p.date.trim_end_matches('Z')),
        p.lang,
        xml(&p.run_id)
    )
}

/// Tables' styles, automatic (LibreOffice applies a table's cell borders only from these).
const TABLE_STYLES: &str = "<style:style style:name=\"Table\" style:family=\"table\"><style:table-properties style:width=\"17cm\" table:align=\"margins\"/></style:style><style:style style:name=\"Cell\" style:family=\"table-cell\"><style:table-cell-properties fo:padding=\"0.05cm\" fo:border=\"0.5pt solid #bfbfbf\"/></style:style>";

/// The paragraph styles besides the headings: name, display name, paragraph and text properties.
const PARAGRAPH_STYLES: [(&str, &str, &str, &str); 11] = [
    (
        "Text_20_body",
        "Text Body",
        "fo:margin-bottom=\"0.2cm\"",
        "",
    ),
    (
        "Title",
        "Title",
        "fo:margin-bottom=\"0.4cm\"",
        "fo:font-size=\"24pt\" fo:font-weight=\"bold\"",
    ),
    (
        "Quotations",
        "Quotations",
        "fo:margin-left=\"1cm\" fo:margin-right=\"1cm\" fo:margin-bottom=\"0.2cm\"",
        "fo:font-style=\"italic\" fo:color=\"#404040\"",
    ),
    (
        "Note",
        "Note",
        "fo:margin-bottom=\"0.2cm\"",
        "fo:font-size=\"9pt\" fo:color=\"#595959\"",
    ),
    (
        "List_20_Bullet",
        "List Bullet",
        "fo:margin-bottom=\"0.1cm\"",
        "",
    ),
    ("Figure", "Figure", "fo:text-align=\"center\"", ""),
    (
        "Table_20_Heading",
        "Table Heading",
        "",
        "fo:font-size=\"9pt\" fo:font-weight=\"bold\"",
    ),
    (
        "Table_20_Contents",
        "Table Contents",
        "",
        "fo:font-size=\"9pt\"",
    ),
    (
        "Contents_20_Heading",
        "Contents Heading",
        "fo:margin-bottom=\"0.2cm\"",
        "fo:font-size=\"16pt\" fo:font-weight=\"bold\"",
    ),
    ("Contents_20_1", "Contents 1", "", ""),
    (
        "Contents_20_2",
        "Contents 2",
        "fo:margin-left=\"0.5cm\"",
        "",
    ),
];

fn styles(lang: &str) -> String {
    let para = |name: &str, display: &str, extra: &str, props: &str, text: &str| {
        format!(
            "<style:style style:name=\"{name}\" style:display-name=\"{display}\" style:family=\"paragraph\" style:parent-style-name=\"Standard\" {extra}><style:paragraph-properties {props}/><style:text-properties {text}/></style:style>"
        )
    };
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles {NS}><office:styles><style:default-style style:family=\"paragraph\"><style:text-properties style:font-name=\"Liberation Sans\" fo:font-family=\"'Liberation Sans', Calibri, sans-serif\" fo:font-size=\"11pt\" fo:language=\"{lang}\"/></style:default-style><style:style style:name=\"Standard\" style:family=\"paragraph\"/>"
    );
    for (name, display, props, text) in PARAGRAPH_STYLES {
        s += &para(name, display, "", props, text);
    }
    for (level, size) in [(1, 18), (2, 14), (3, 12)] {
        let extra = format!(
            "style:default-outline-level=\"{level}\" style:next-style-name=\"Text_20_body\""
        );
        let text =
            format!("fo:font-size=\"{size}pt\" fo:font-weight=\"bold\" fo:color=\"#1f3864\"");
        let props =
            "fo:margin-top=\"0.4cm\" fo:margin-bottom=\"0.2cm\" fo:keep-with-next=\"always\"";
        s += &para(
            &format!("Heading_20_{level}"),
            &format!("Heading {level}"),
            &extra,
            props,
            &text,
        );
    }
    s += "<style:style style:name=\"Quote_20_Id\" style:display-name=\"Quote Id\" style:family=\"text\"><style:text-properties fo:font-style=\"normal\" fo:font-size=\"8pt\" fo:color=\"#808080\"/></style:style>";
    s += "<text:list-style style:name=\"Bullets\"><text:list-level-style-bullet text:level=\"1\" text:bullet-char=\"•\"><style:list-level-properties text:list-level-position-and-space-mode=\"label-alignment\"><style:list-level-label-alignment text:label-followed-by=\"listtab\" fo:text-indent=\"-0.5cm\" fo:margin-left=\"1cm\"/></style:list-level-properties></text:list-level-style-bullet></text:list-style>";
    s += "</office:styles><office:automatic-styles><style:page-layout style:name=\"A4\"><style:page-layout-properties fo:page-width=\"21cm\" fo:page-height=\"29.7cm\" fo:margin-top=\"2cm\" fo:margin-bottom=\"2cm\" fo:margin-left=\"2cm\" fo:margin-right=\"2cm\"/></style:page-layout></office:automatic-styles><office:master-styles><style:master-page style:name=\"Standard\" style:page-layout-name=\"A4\"/></office:master-styles></office:document-styles>";
    s
}
