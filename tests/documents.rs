//! A folder of documents the test writes itself, one of each kind verbatim reads and a few it
//! must reject: every document is a row with the right status, passages carry exact offsets, and
//! every quote's id leads back to its document and passage.

mod common;

use std::io::Write;
use std::path::Path;

use common::{read_json, read_parquet, run_ok, strings};

const SALAIRES: &str = "Les infirmières de nuit ne sont pas assez payées pour la charge de travail. Il faut revaloriser les salaires et les carrières des soignants.";
const INVESTIR: &str = "L'hôpital a besoin d'investissements : les bâtiments vieillissent et le matériel manque. Nous demandons un plan pluriannuel de financement.";
const SIMPLIFIER: &str = "Les équipes perdent des heures en tâches administratives et en réunions. Simplifions les procédures pour rendre du temps au soin.";
const TERRITOIRE: &str = "Dans notre département, la ville et l'hôpital se coordonnent mal. Une communauté territoriale de santé réunirait médecins et pharmaciens.";

fn zip(path: &Path, members: &[(&str, String)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    for (name, body) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

fn docx(path: &Path, paragraphs: &[&str]) {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"))
        .collect();
    let document = format!(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let core = r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="cp" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Contribution du syndicat</dc:title></cp:coreProperties>"#;
    zip(
        path,
        &[
            ("word/document.xml", document),
            ("docProps/core.xml", core.into()),
        ],
    );
}

fn odt(path: &Path, paragraphs: &[&str]) {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<text:p>{p}</text:p>"))
        .collect();
    let content = format!(
        r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    zip(
        path,
        &[
            ("mimetype", "application/vnd.oasis.opendocument.text".into()),
            ("content.xml", content),
        ],
    );
}

/// A one-page PDF; with `lines` empty, a page with a drawing and no text.
fn pdf(path: &Path, lines: &[&str]) {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
    ];
    operations.push(Operation::new("Td", vec![50.into(), 780.into()]));
    for line in lines {
        operations.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
        operations.push(Operation::new("Td", vec![0.into(), (-14).into()]));
    }
    operations.push(Operation::new("ET", vec![]));
    if lines.is_empty() {
        operations = vec![
            Operation::new("re", vec![50.into(), 50.into(), 200.into(), 200.into()]),
            Operation::new("f", vec![]),
        ];
    }
    let content = Content { operations };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    let pages = dictionary! {
        "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.save(path).unwrap();
}

fn xlsx(path: &Path, answers: &[&str]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "numero").unwrap();
    sheet.write(0, 1, "reponse").unwrap();
    for (i, a) in answers.iter().enumerate() {
        sheet.write(i as u32 + 1, 0, i as f64).unwrap();
        sheet.write(i as u32 + 1, 1, *a).unwrap();
    }
    book.save(path).unwrap();
}

fn write_folder(dir: &Path) {
    std::fs::write(
        dir.join("lettre.txt"),
        format!("{SALAIRES}\n\n{INVESTIR}\n"),
    )
    .unwrap();
    docx(
        &dir.join("syndicat.docx"),
        &[SALAIRES, SIMPLIFIER, TERRITOIRE],
    );
    odt(&dir.join("association.odt"), &[TERRITOIRE, INVESTIR]);
    let ascii = |s: &str| {
        s.replace(['é', 'è', 'ê'], "e")
            .replace('ô', "o")
            .replace('à', "a")
    };
    let (a, b) = (ascii(SIMPLIFIER), ascii(INVESTIR));
    pdf(&dir.join("hopital.pdf"), &[&a, "", &b]);
    pdf(&dir.join("scan.pdf"), &[]);
    std::fs::write(
        dir.join("abime.docx"),
        b"PK\x03\x04 this is not a zip archive",
    )
    .unwrap();
    xlsx(&dir.join("tableau.xlsx"), &[SALAIRES, TERRITOIRE]);
    std::fs::write(dir.join("notes.xyz"), "du texte d'un type inconnu").unwrap();
}

#[test]
fn a_folder_of_documents_gives_one_row_each_and_traceable_passages() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("contributions");
    std::fs::create_dir(&docs).unwrap();
    write_folder(&docs);
    let out = dir.path().join("out");
    run_ok(&docs, &out, &["--no-cache"]);

    let assignments = read_parquet(&out.join("assignments.parquet"));
    let ids = strings(&assignments, "id");
    let status = strings(&assignments, "status");
    let expected = [
        ("abime.docx", "rejected:corrupt_file"),
        ("association.odt", "ok"),
        ("hopital.pdf", "ok"),
        ("lettre.txt", "ok"),
        ("notes.xyz", "rejected:unknown_format"),
        ("scan.pdf", "rejected:no_text_layer"),
        ("syndicat.docx", "ok"),
        ("tableau.xlsx", "ok"),
    ];
    let got: Vec<(&str, &str)> = ids
        .iter()
        .map(String::as_str)
        .zip(status.iter().map(String::as_str))
        .collect();
    assert_eq!(got, expected);
    let passages_per_doc = strings(&assignments, "passages");
    assert_eq!(passages_per_doc, ["0", "2", "2", "2", "0", "0", "3", "2"]);
    let titles = strings(&assignments, "title");
    assert_eq!(titles[6], "Contribution du syndicat");
    assert_eq!(strings(&assignments, "pages")[2], "1");
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["unit"]["unit"], "passage");
    assert_eq!(
        run["unit"]["documents_by_status"]["rejected:no_text_layer"],
        1
    );

    check_offsets(&docs, &out);
    check_quotes(&out, &ids);
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("abordé par"),
        "documents raising each category"
    );
    assert!(
        report.contains(" · passage "),
        "each quote's document and passage"
    );
}

/// `text[start..end]` (in characters) of each passage's document is the passage.
fn check_offsets(docs: &Path, out: &Path) {
    let passages = read_parquet(&out.join("passages.parquet"));
    let (ids, texts) = (strings(&passages, "id"), strings(&passages, "text"));
    let (starts, ends) = (strings(&passages, "start"), strings(&passages, "end"));
    // Every format's passages (txt, docx, odt, pdf, xlsx), against the text the reader extracted;
    // the plain-text file against its own bytes too.
    let corpus = verbatim::stages::read::documents::read(docs, &Default::default()).unwrap();
    let mut formats = std::collections::BTreeSet::new();
    for i in 0..ids.len() {
        let doc = corpus.ids.iter().position(|d| *d == ids[i]).unwrap();
        let chars: Vec<char> = corpus.texts[doc].chars().collect();
        let (s, e): (usize, usize) = (starts[i].parse().unwrap(), ends[i].parse().unwrap());
        assert_eq!(
            chars[s..e].iter().collect::<String>(),
            texts[i],
            "{}",
            ids[i]
        );
        formats.insert(ids[i].rsplit('.').next().unwrap().to_string());
        if ids[i] == "lettre.txt" {
            let source: Vec<char> = std::fs::read_to_string(docs.join(&ids[i]))
                .unwrap()
                .chars()
                .collect();
            assert_eq!(source[s..e].iter().collect::<String>(), texts[i]);
        }
    }
    assert_eq!(
        formats.into_iter().collect::<Vec<_>>(),
        ["docx", "odt", "pdf", "txt", "xlsx"]
    );
    let docx_texts: Vec<&String> = ids
        .iter()
        .zip(&texts)
        .filter(|(d, _)| *d == "syndicat.docx")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(docx_texts, [SALAIRES, SIMPLIFIER, TERRITOIRE]);
}

/// Every quote id is `document#passage`, and that passage's text holds the quote's start.
fn check_quotes(out: &Path, documents: &[String]) {
    let passages = read_parquet(&out.join("passages.parquet"));
    let keys: Vec<String> = strings(&passages, "id")
        .iter()
        .zip(strings(&passages, "passage"))
        .map(|(d, p)| format!("{d}#{p}"))
        .collect();
    let texts = strings(&passages, "text");
    let themes = read_parquet(&out.join("themes.parquet"));
    let quote_ids = themes.column("quote_ids").unwrap().list().unwrap().clone();
    let quotes = themes.column("quotes").unwrap().list().unwrap().clone();
    let mut seen = 0;
    for t in 0..themes.height() {
        let qids = quote_ids.get_as_series(t).unwrap();
        let qs = quotes.get_as_series(t).unwrap();
        for (id, quote) in qids.str().unwrap().iter().zip(qs.str().unwrap().iter()) {
            let (id, quote) = (id.unwrap(), quote.unwrap());
            let (doc, _) = id.rsplit_once('#').expect("document#passage");
            assert!(documents.iter().any(|d| d == doc), "{id}");
            let row = keys
                .iter()
                .position(|k| k == id)
                .expect("a passage of that id");
            let head: String = quote.chars().take(30).collect();
            assert!(
                texts[row].starts_with(&head),
                "{id}: {quote:?} vs {:?}",
                texts[row]
            );
            seen += 1;
        }
    }
    assert!(seen > 0);
}

#[test]
fn text_mode_keeps_one_text_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    write_folder(&docs);
    let out = dir.path().join("out");
    run_ok(&docs, &out, &["--no-cache", "--unit", "text"]);
    assert!(!out.join("passages.parquet").exists());
    let assignments = read_parquet(&out.join("assignments.parquet"));
    let status = strings(&assignments, "status");
    assert_eq!(status[5], "rejected:no_text_layer");
    assert_eq!(strings(&assignments, "pillar")[5], "");
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["unit"]["unit"], "text");
    assert_eq!(run["rows"]["rejected_by_reason"]["unknown_format"], 1);
}

#[test]
fn a_spreadsheet_is_read_as_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reponses.xlsx");
    xlsx(&input, &[SALAIRES, INVESTIR, SIMPLIFIER, TERRITOIRE]);
    let out = dir.path().join("out");
    run_ok(&input, &out, &["--no-cache", "--id-column", "numero"]);
    let assignments = read_parquet(&out.join("assignments.parquet"));
    assert_eq!(strings(&assignments, "id"), ["0", "1", "2", "3"]);
    assert_eq!(
        read_json(&out.join("run.json"))["input"]["format"],
        "spreadsheet"
    );
}

#[test]
fn documents_and_passages_are_evaluated_against_their_own_gold() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    write_folder(&docs);
    let out = dir.path().join("out");
    run_ok(&docs, &out, &["--no-cache"]);
    let gold = dir.path().join("gold.csv");
    std::fs::write(
        &gold,
        "id,piliers\nlettre.txt,p1|p2\nsyndicat.docx,p1|p3|p4\nassociation.odt,p4|p2\ntableau.xlsx,p1\n",
    )
    .unwrap();
    let predictions = out.join("assignments.parquet");
    let e = common::verbatim(
        &["evaluate"],
        &[("--predictions", &predictions), ("--gold", &gold)],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let evaluation = read_json(&out.join("evaluation.json"));
    assert_eq!(evaluation["rows"]["evaluated"], 4);
    assert_eq!(evaluation["rows"]["multi_label"], 3);
    // The micro-F1 counted here by hand from the run's `pillars`, (row, label) decisions pooled.
    let gold_sets = [
        ("lettre.txt", vec!["p1", "p2"]),
        ("syndicat.docx", vec!["p1", "p3", "p4"]),
        ("association.odt", vec!["p4", "p2"]),
        ("tableau.xlsx", vec!["p1"]),
    ];
    let assignments = read_parquet(&out.join("assignments.parquet"));
    let doc_ids = strings(&assignments, "id");
    let raised = assignments
        .column("pillars")
        .unwrap()
        .list()
        .unwrap()
        .clone();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (id, gold) in gold_sets {
        let row = doc_ids.iter().position(|d| d == id).unwrap();
        let series = raised.get_as_series(row).unwrap();
        let predicted: Vec<String> = series
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        let hit = gold
            .iter()
            .filter(|g| predicted.iter().any(|p| p == *g))
            .count();
        tp += hit;
        fp += predicted.len() - hit;
        fn_ += gold.len() - hit;
    }
    let expected = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
    let micro = evaluation["multi_label"]["micro_f1"].as_f64().unwrap();
    assert!(
        (micro - expected).abs() < 1e-9,
        "{micro} vs {expected} counted here"
    );

    let passages = read_parquet(&out.join("passages.parquet"));
    let ids = strings(&passages, "id");
    let ranks = strings(&passages, "passage");
    let predicted = strings(&passages, "pillar");
    // Every passage tagged p1: the accuracy is then the share of passages the run put under p1.
    let mut csv = String::from("id,passage,label\n");
    for i in 0..ids.len() {
        csv.push_str(&format!("{},{},p1\n", ids[i], ranks[i]));
    }
    let p1 = predicted.iter().filter(|p| *p == "p1").count() as f64 / ids.len() as f64;
    let passage_gold = dir.path().join("passages_gold.csv");
    std::fs::write(&passage_gold, csv).unwrap();
    let e = common::verbatim(
        &["evaluate", "--gold-unit", "passage"],
        &[("--predictions", &predictions), ("--gold", &passage_gold)],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let evaluation = read_json(&out.join("evaluation.json"));
    assert_eq!(evaluation["rows"]["evaluated"], ids.len());
    let accuracy = evaluation["accuracy"].as_f64().unwrap();
    assert!((accuracy - p1).abs() < 1e-9, "{accuracy} vs {p1}");
    assert!(
        p1 > 0.0 && p1 < 1.0,
        "a test that could tell a join from agreement"
    );
}
