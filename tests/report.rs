//! The report: self-contained HTML and Markdown, in French or English, rebuilt from the tables.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

#[test]
fn the_report_is_self_contained_and_rebuilt_from_the_tables() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("out");
    let run = Command::new(binary())
        .args(["run", "--input"])
        .arg(root.join("data/temoignages.csv"))
        .arg("--out")
        .arg(&out)
        .arg("--gold")
        .arg(root.join("data/etiquetage_manuel.csv"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"fr\">"));
    for section in [
        "Le corpus en bref",
        "Chapitre 1 · p1",
        "Propositions",
        "Citations",
        "Annexe : toutes les propositions",
        "Carte des témoignages",
        "Taille des thèmes",
        "Accord avec l'étiquetage manuel",
        "Méthode",
        // The methods table says how `none` was decided and what the self-training's check saw.
        "Hors taxonomie (none)",
        "seuil lu sur le corpus",
        "Contrôle de l'auto-apprentissage",
        "descriptions à leur place : 4/4",
    ] {
        assert!(html.contains(section), "missing section {section}");
    }
    assert!(
        html.contains("<svg") && html.contains("<circle"),
        "charts are inline SVG"
    );
    // One chapter per category (the four pillars, then `none` on the sample), and the annex.
    let prefix = "<section class=\"chapter\" id=\"chapter-";
    let chapters: Vec<&str> = html
        .split(prefix)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(chapters, ["p1", "p2", "p3", "p4", "none"]);
    assert!(html.contains("<section class=\"annex\" id=\"annex\">"));
    // Self-contained: nothing is fetched (the SVG namespace is an identifier, not a request); the
    // one inline script (filter and search) is hidden behind `hidden` until it runs.
    for needle in [
        "<script src",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(",
        "fetch(",
    ] {
        assert!(!html.contains(needle), "the report refers to {needle}");
    }
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(html.contains("<div id=\"tools\" class=\"tools\" hidden>"));
    assert!(
        html.contains(verbatim::model::DEFAULT_MODEL_SHA256),
        "methods name the model checksum"
    );
    // Quotes are escaped HTML: a testimony cannot inject markup.
    assert!(!html.contains("<b>parking"));

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html_first = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Gone first, so that the comparison below is with what `report --from` wrote.
    std::fs::remove_file(out.join("report.md")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let rebuilt = Command::new(binary())
        .args(["report", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(rebuilt.status.success());
    assert_eq!(
        md,
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        "report --from rebuilds the same report"
    );
    assert_eq!(
        html_first,
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        "report.html is rebuilt byte for byte"
    );

    let english = Command::new(binary())
        .args(["report", "--lang", "en", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(english.status.success());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("lang=\"en\"")
            && html.contains("The corpus at a glance")
            && html.contains("Chapter 1 · p1")
            && html.contains("Annex: every proposal")
    );

    let missing = Command::new(binary())
        .args(["report", "--from"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success() && err.contains("verbatim run"),
        "{err}"
    );
}

/// A member of a zip archive (a .docx or an .odt) as text.
fn member(path: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
    text
}

/// report.docx and report.odt: every chapter as a level-1 heading of Word's and LibreOffice's own
/// heading styles, a table of contents, quotes verbatim with their ids, French spacing in our
/// own sentences, the run in the properties; `--no-office` writes neither. (CI also converts both
/// to PDF with LibreOffice and reads the .docx with python-docx: tests/office/check.py.)
#[test]
fn the_word_and_opendocument_reports_have_headings_contents_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("out");
    run_ok(
        &root.join("data/temoignages.csv"),
        &out,
        &["--by", "region"],
    );
    let (docx, odt) = (out.join("report.docx"), out.join("report.odt"));
    let document = member(&docx, "word/document.xml");
    let content = member(&odt, "content.xml");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let chapters: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert!(chapters.len() >= 9, "{chapters:?}");
    for chapter in &chapters {
        let ours = chapter.replace(" :", "\u{a0}:");
        let heading = format!(
            "<w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t xml:space=\"preserve\">{}",
            xml(&ours)
        );
        assert!(document.contains(&heading), "docx: {chapter}");
        let heading = format!("text:outline-level=\"1\">{}", xml(&ours));
        assert!(content.contains(&heading), "odt: {chapter}");
    }
    assert!(document.contains(" TOC \\o \"1-2\""), "the contents field");
    assert!(
        content.contains("<text:table-of-content "),
        "the contents index"
    );
    assert!(
        document.contains("Mots-clés\u{a0}:"),
        "French spacing in our sentences"
    );
    let styles = member(&docx, "word/styles.xml");
    assert!(styles.contains("w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/>"));
    let themes = read_parquet(&out.join("themes.parquet"));
    let ids = strings(&themes, "theme_id");
    assert!(!ids.is_empty());
    let quotes = themes
        .column("quotes")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    let quote_ids = themes
        .column("quote_ids")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    let (quote, id) = (
        quotes.str().unwrap().get(0).unwrap(),
        quote_ids.str().unwrap().get(0).unwrap(),
    );
    let shown = format!("« {} »", xml(quote));
    assert!(
        document.contains(&shown) && content.contains(&shown),
        "the quote verbatim: {quote}"
    );
    assert!(document.contains(&format!(" [{id}]")) && content.contains(&format!(" [{id}]")));
    let run = read_json(&out.join("run.json"));
    let run_id = run["run_id"].as_str().unwrap();
    assert!(
        member(&docx, "docProps/core.xml")
            .contains(&format!("<dc:identifier>{run_id}</dc:identifier>"))
    );
    assert!(member(&odt, "meta.xml").contains(run_id));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&odt).unwrap()).unwrap();
    let first = archive.by_index(0).unwrap();
    let name = first.name().map(|n| n.to_string()).unwrap_or_default();
    assert_eq!(
        (name.as_str(), first.compression()),
        ("mimetype", zip::CompressionMethod::Stored)
    );
    drop(first);
    let svg = member(&odt, "Pictures/chart1.svg");
    assert!(
        svg.contains("<svg") && !svg.contains("100%"),
        "a chart with its own size"
    );
    // --no-office: neither file, and an earlier one is removed with the rest of the run.
    run_ok(&root.join("data/temoignages.csv"), &out, &["--no-office"]);
    assert!(!docx.exists() && !odt.exists());
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
