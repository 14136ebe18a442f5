//! `verbatim sample` on the bundled sample: the tagging sheet goes out through our xlsx writer,
//! comes back through calamine (what LibreOffice-made files are read with too), is filled with the
//! sample's manual tags through another writer, and `run --labels` learns from it and measures.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use common::*;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The bundled sample's manual tags by id.
fn demo_tags() -> HashMap<String, String> {
    let mut reader = csv::Reader::from_path(demo().join("etiquetage_manuel.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect()
}

fn sample(run: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["sample", "--n", "60"];
    args.extend_from_slice(extra);
    let output = verbatim(&args, &[("--from", run), ("--out", out)]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("60 testimonies to tag (12 at random, 48 chosen"),
        "{log}"
    );
}

/// A run of the bundled sample that learns from a filled sheet; its run.json's `few_shot`.
fn run_with_tags(out: &Path, sheet: &Path) -> serde_json::Value {
    let labels = ["--labels", sheet.to_str().unwrap()];
    run_ok(&demo().join("temoignages.csv"), out, &labels);
    read_json(&out.join("run.json"))["few_shot"].clone()
}

/// Rows of a sheet as strings.
fn rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut book = open_workbook_auto(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn sheet_xml(path: &Path) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn the_tagging_sheet_round_trips_and_its_tags_are_learned_and_measured() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    run_ok(&demo().join("temoignages.csv"), &run, &[]);
    let xlsx = dir.path().join("a_taguer.xlsx");
    sample(&run, &xlsx, &[]);
    let sheet = rows(&xlsx, "tagging");
    assert_eq!(sheet[0], ["id", "text", "tag", "comment", "part", "guess"]);
    assert_eq!(sheet.len(), 61);
    assert!(sheet[1..13].iter().all(|r| r[4] == "random"));
    assert!(sheet[13..].iter().all(|r| r[4] == "chosen"));
    assert!(
        sheet[1..]
            .iter()
            .all(|r| !r[1].is_empty() && r[2].is_empty())
    );
    let choices = rows(&xlsx, "categories");
    assert_eq!(choices.len(), 6, "four pillars and none, under a header");
    assert!(choices[1][0].starts_with("p1 — "), "{:?}", choices[1]);
    let xml = sheet_xml(&xlsx);
    assert!(
        xml.contains(r#"<dataValidation type="list""#),
        "drop-down list"
    );
    assert!(xml.contains("categories!$A$2:$A$6"), "drop-down source");
    assert!(xml.contains(r#"hidden="1""#), "guess column hidden");
    // The analyst's tags, written by another xlsx writer (a drop-down choice or a bare id).
    let tags = demo_tags();
    let filled = dir.path().join("tagged.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, row) in sheet.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let value = match (r, c) {
                (0, _) | (_, 0..=1) | (_, 4..) => value.clone(),
                (_, 2) if r % 2 == 0 => tags[&row[0]].clone(),
                (_, 2) => choice(&choices, &tags[&row[0]]),
                _ => String::new(),
            };
            ws.write_string(r as u32, c as u16, value).unwrap();
        }
    }
    book.save(&filled).unwrap();
    let labelled = dir.path().join("labelled");
    let few_shot = &run_with_tags(&labelled, &filled);
    let random = sheet[1..13]
        .iter()
        .filter(|r| tags.contains_key(&r[0]))
        .count();
    let part = &few_shot["sample"]["random"];
    assert_eq!(
        part["tagged"].as_u64().unwrap() as usize,
        random,
        "{few_shot}"
    );
    let (low, high) = (
        part["low"].as_f64().unwrap(),
        part["high"].as_f64().unwrap(),
    );
    let accuracy = part["accuracy"].as_f64().unwrap();
    assert!(
        low <= accuracy && accuracy <= high && high - low > 0.1,
        "{part}"
    );
    assert!(few_shot["sample"]["chosen"]["tagged"].as_u64().unwrap() > 30);
    assert_eq!(few_shot["sample"]["untagged"], 0);
    let report = std::fs::read_to_string(labelled.join("report.md")).unwrap();
    assert!(
        report.contains(&format!(
            "- **Étiquettes**: {} étiquettes (",
            few_shot["tagged"]
        )) && report.contains("partie aléatoire (exactitude sans biais, intervalle à 95 %)"),
        "{report}"
    );
}

/// The drop-down entry ("p2 — …", or "none — …") of a tag.
fn choice(choices: &[Vec<String>], tag: &str) -> String {
    choices
        .iter()
        .find(|c| c[1] == tag)
        .unwrap_or_else(|| panic!("{tag} not in {choices:?}"))[0]
        .clone()
}

#[test]
fn the_csv_sheet_opens_in_excel_and_an_empty_tag_is_not_a_tag() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    run_ok(&demo().join("temoignages.csv"), &run, &[]);
    let csv_sheet = dir.path().join("a_taguer.csv");
    sample(
        &run,
        &csv_sheet,
        &["--strategy", "uncertain", "--seed", "3"],
    );
    let bytes = std::fs::read(&csv_sheet).unwrap();
    assert!(bytes.starts_with("\u{feff}id;text;tag;comment;part\n".as_bytes()));
    let text = String::from_utf8(bytes).unwrap();
    let tags = demo_tags();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let filled = dir.path().join("tagged.csv");
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&filled)
        .unwrap();
    writer
        .write_record(["id", "text", "tag", "comment", "part"])
        .unwrap();
    for (i, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let tag = if i < 50 { tags[&r[0]].as_str() } else { "" };
        writer.write_record([&r[0], &r[1], tag, "", &r[4]]).unwrap();
    }
    writer.flush().unwrap();
    let labelled = dir.path().join("labelled");
    let few_shot = &run_with_tags(&labelled, &filled);
    assert_eq!(few_shot["sample"]["untagged"], 10, "{few_shot}");
    let counted =
        few_shot["tagged"].as_u64().unwrap() + few_shot["tagged_none_ignored"].as_u64().unwrap();
    assert_eq!(counted, 50);
}
