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
