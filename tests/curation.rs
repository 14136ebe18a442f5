//! The curation loop, end to end on the bundled sample: run, edit (every operation), re-run with
//! 10% more rows and another seed, and check that each decision still holds, that no row is lost
//! and that the tables stay deterministic. Also `verbatim edits` from the workbooks.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{read_json, run_ok, run_output, verbatim};

/// A table the run wrote as CSV, as maps from column to value.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn list(cell: &str) -> Vec<String> {
    cell.split(" | ")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The sample's testimonies (id, text) as a comma CSV: the first `n`.
fn sample(dir: &Path, n: usize) -> (PathBuf, HashMap<String, String>) {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(source)
        .unwrap();
    let path = dir.join(format!("sample-{n}.csv"));
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(["id", "text"]).unwrap();
    let mut texts = HashMap::new();
    for r in reader.records().take(n) {
        let r = r.unwrap();
        writer.write_record([&r[0], &r[3]]).unwrap();
        texts.insert(r[0].to_string(), r[3].to_string());
    }
    writer.flush().unwrap();
    (path, texts)
}

/// The decisions, on the first run's largest themes (those a re-run is most likely to keep).
struct Decisions {
    renamed: String,
    merged: (String, String),
    split: String,
    recategorised: String,
    moved: (String, String),
    to_none: String,
    dropped: String,
    pinned: (String, String),
    hidden: String,
}

/// The largest themes of a category, by size.
fn largest(themes: &[HashMap<String, String>], category: &str) -> Vec<HashMap<String, String>> {
    let mut of: Vec<_> = themes
        .iter()
        .filter(|t| t["pillar"] == category)
        .cloned()
        .collect();
    of.sort_by_key(|t| std::cmp::Reverse(t["size"].parse::<u32>().unwrap()));
    of
}

fn decide(first: &Path) -> Decisions {
    let themes = rows(&first.join("themes.csv"));
    let (p1, p2, p3, p4) = (
        largest(&themes, "p1"),
        largest(&themes, "p2"),
        largest(&themes, "p3"),
        largest(&themes, "p4"),
    );
    let assignments = rows(&first.join("assignments.csv"));
    let quotes = |t: &HashMap<String, String>| list(&t["quote_ids"]);
    // A member of the renamed theme that is not among its quotes: pinning it changes something.
    let unquoted = assignments
        .iter()
        .filter(|a| a["theme_key"] == p2[0]["theme_key"] && !quotes(&p2[0]).contains(&a["id"]))
        .map(|a| a["id"].clone())
        .next_back()
        .unwrap();
    Decisions {
        renamed: p2[0]["theme_key"].clone(),
        merged: (p1[0]["theme_key"].clone(), p1[1]["theme_key"].clone()),
        split: p4[0]["theme_key"].clone(),
        recategorised: p3[0]["theme_key"].clone(),
        moved: (quotes(&p3[1])[0].clone(), p4[1]["theme_key"].clone()),
        to_none: quotes(&p4[0])[1].clone(),
        dropped: quotes(&p2[1])[0].clone(),
        pinned: (p2[0]["theme_key"].clone(), unquoted),
        hidden: quotes(&p1[0])[0].clone(),
    }
}

fn edits_file(d: &Decisions, path: &Path) {
    let text = format!(
        r#"[[rename]]
theme = "{renamed}"
title = "Financer l'hôpital autrement"

[[merge]]
themes = ["{m0}", "{m1}"]
title = "Salaires et primes"

[[split]]
theme = "{split}"
into = 2

[[move]]
ids = ["{moved}"]
to_theme = "{target}"

[[move]]
ids = ["{to_none}"]
to_category = "none"

[[drop]]
ids = ["{dropped}"]
reason = "hors sujet"

[[pin]]
theme = "{pin_theme}"
quotes = ["{pin}"]

[[hide]]
ids = ["{hidden}"]

[[category]]
theme = "{recategorised}"
to = "p2"
"#,
        renamed = d.renamed,
        m0 = d.merged.0,
        m1 = d.merged.1,
        split = d.split,
        moved = d.moved.0,
        target = d.moved.1,
        to_none = d.to_none,
        dropped = d.dropped,
        pin_theme = d.pinned.0,
        pin = d.pinned.1,
        hidden = d.hidden,
        recategorised = d.recategorised,
    );
    std::fs::write(path, text).unwrap();
}

/// Each decision holds in a run's tables.
fn check_decisions(out: &Path, d: &Decisions, texts: &HashMap<String, String>, rows_in: usize) {
    let themes = rows(&out.join("themes.csv"));
    let theme = |key: &str| themes.iter().find(|t| t["theme_key"] == key).cloned();
    let assignments = rows(&out.join("assignments.csv"));
    let row = |id: &str| assignments.iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(assignments.len(), rows_in, "rows in = rows out");
    assert_eq!(
        theme(&d.renamed).unwrap()["title"],
        "Financer l'hôpital autrement"
    );
    assert_eq!(theme(&d.merged.0).unwrap()["title"], "Salaires et primes");
    assert!(theme(&d.merged.1).is_none(), "merged themes are one");
    assert!(theme(&d.split).is_some() && theme(&format!("{}-2", d.split)).is_some());
    assert_eq!(row(&d.moved.0)["theme_key"], d.moved.1);
    assert_eq!(row(&d.to_none)["pillar"], "none");
    let dropped = row(&d.dropped);
    assert_eq!(
        (dropped["status"].as_str(), dropped["theme_key"].as_str()),
        ("dropped:hors sujet", "")
    );
    assert_eq!(
        list(&theme(&d.pinned.0).unwrap()["quote_ids"])[0],
        d.pinned.1,
        "pinned first"
    );
    let recategorised = theme(&d.recategorised).unwrap();
    assert_eq!(recategorised["pillar"], "p2");
    for a in assignments
        .iter()
        .filter(|a| a["theme_key"] == d.recategorised)
    {
        assert_eq!(a["pillar"], "p2", "{} follows its theme", a["id"]);
    }
    let hidden_text: String = texts[&d.hidden].chars().take(60).collect();
    for file in [
        "themes.csv",
        "proposals.csv",
        "report.md",
        "report.html",
        "themes.parquet",
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&hidden_text), "hidden text in {file}");
    }
    for t in &themes {
        for column in ["quote_ids", "proposal_ids", "experience_ids"] {
            assert!(
                !list(&t[column]).contains(&d.hidden),
                "hidden id quoted in {column}"
            );
        }
    }
    let run = read_json(&out.join("run.json"));
    let stale = run["edits"]["stale"].as_u64().unwrap();
    assert_eq!(stale, 0, "every edit applies: {}", run["edits"]);
    assert_eq!(run["rows"]["dropped_by_reason"]["hors sujet"], 1);
}

#[test]
fn every_decision_survives_more_rows_and_another_seed_and_tables_stay_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (part, _) = sample(dir.path(), 218);
    let (all, texts) = sample(dir.path(), 240);
    let first = dir.path().join("first");
    run_ok(&part, &first, &[]);
    let d = decide(&first);
    let edits = dir.path().join("edits.toml");
    edits_file(&d, &edits);
    let edits_arg = edits.to_str().unwrap();
    let previous = first.to_str().unwrap();
    let args = ["--seed", "7", "--edits", edits_arg, "--previous", previous];
    let (second, again) = (dir.path().join("second"), dir.path().join("again"));
    run_ok(&all, &second, &args);
    run_ok(&all, &again, &args);
    check_decisions(&second, &d, &texts, 240);
    for file in [
        "themes.csv",
        "assignments.csv",
        "changes.csv",
        "proposals.csv",
    ] {
        let (a, b) = (
            std::fs::read(second.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
        );
        assert!(a == b, "{file} differs between two identical runs");
    }
    let changes = rows(&second.join("changes.csv"));
    assert!(
        changes
            .iter()
            .any(|c| c["change"] == "merged" && c["theme_key"] == d.merged.1)
    );
    assert!(
        changes
            .iter()
            .any(|c| c["change"] == "split" && c["related_key"] == d.split)
    );
    let report = std::fs::read_to_string(second.join("report.md")).unwrap();
    assert!(
        report.contains("Décisions de l'analyste")
            && report.contains("Financer l'hôpital autrement")
    );
}

#[test]
fn a_key_no_run_knows_stops_the_run_before_any_output_and_strict_refuses_stale_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = sample(dir.path(), 120);
    let out = dir.path().join("out");
    run_ok(&input, &out, &[]);
    let before = std::fs::read(out.join("themes.csv")).unwrap();
    let edits = dir.path().join("edits.toml");
    std::fs::write(
        &edits,
        "\n[[rename]]\ntheme = \"p1-inconnu-0000\"\ntitle = \"X\"\n",
    )
    .unwrap();
    let output = run_output(&input, &out, &["--edits", edits.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("edits.toml, line 2 ([[rename]])") && stderr.contains("p1-inconnu-0000"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(out.join("themes.csv")).unwrap(),
        before,
        "no output written"
    );
    std::fs::write(&edits, "[[hide]]\nids = [\"T9999\"]\n").unwrap();
    let log = run_ok(&input, &out, &["--edits", edits.to_str().unwrap()]);
    assert!(
        log.contains("T9999 is not in this input"),
        "a stale edit is a warning: {log}"
    );
    let run = read_json(&out.join("run.json"));
    assert_eq!(
        run["edits"]["operations"][0]["stale"][0],
        "T9999 is not in this input"
    );
    let output = run_output(
        &input,
        &out,
        &["--edits", edits.to_str().unwrap(), "--strict-edits"],
    );
    assert!(!output.status.success(), "--strict-edits makes it an error");
    std::fs::write(&edits, "[[renommer]]\ntheme = \"a\"\n").unwrap();
    let output = run_output(
        &input,
        &dir.path().join("other"),
        &["--edits", edits.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("renommer") && !stderr.contains("embedded"),
        "{stderr}"
    );
}

#[test]
fn decisions_typed_in_the_workbooks_become_the_edits_file() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = sample(dir.path(), 120);
    let out = dir.path().join("out");
    run_ok(&input, &out, &[]);
    let themes = rows(&out.join("themes.csv"));
    let key = themes[0]["theme_key"].clone();
    let other = themes[1]["theme_key"].clone();
    // What an analyst types in Excel, written as Excel would.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "theme_id",
        "theme_key",
        "title",
        "new_title",
        "merge_into",
        "note",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 1, &key).unwrap();
    sheet.write_string(1, 3, "Titre choisi").unwrap();
    sheet.write_string(1, 5, "vu en réunion").unwrap();
    sheet.write_string(2, 1, &other).unwrap();
    sheet.write_string(2, 4, &key).unwrap();
    let themes_xlsx = out.join("themes-edited.xlsx");
    book.save(&themes_xlsx).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["id", "theme_key", "move_to", "drop_reason", "hide"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (id, col, value)) in [
        ("T0002", 2, "none"),
        ("T0003", 3, "doublon"),
        ("T0005", 4, "x"),
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(r as u32 + 1, 0, *id).unwrap();
        sheet.write_string(r as u32 + 1, *col, *value).unwrap();
    }
    let rows_xlsx = out.join("assignments-edited.xlsx");
    book.save(&rows_xlsx).unwrap();
    let edits = dir.path().join("edits.toml");
    for _ in 0..2 {
        let o = verbatim(
            &["edits"],
            &[
                ("--from", &themes_xlsx),
                ("--from", &rows_xlsx),
                ("--out", &edits),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let text = std::fs::read_to_string(&edits).unwrap();
    assert_eq!(
        text.matches("[[merge]]").count(),
        1,
        "running it twice adds nothing: {text}"
    );
    for expected in [
        "[[rename]]",
        "title = \"Titre choisi\"",
        "note = \"vu en réunion\"",
        "to_category = \"none\"",
        "reason = \"doublon\"",
        "[[hide]]",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    run_ok(&input, &out, &["--edits", edits.to_str().unwrap()]);
    let themes = rows(&out.join("themes.csv"));
    let renamed = themes.iter().find(|t| t["theme_key"] == key).unwrap();
    assert_eq!(renamed["title"], "Titre choisi");
    assert!(
        themes.iter().all(|t| t["theme_key"] != other),
        "merged into {key}"
    );
    // The workbooks the run writes carry the edit columns.
    let o = verbatim(
        &["edits"],
        &[
            ("--from", &out.join("themes.xlsx")),
            ("--out", &dir.path().join("none.toml")),
        ],
    );
    assert!(o.status.success() && String::from_utf8_lossy(&o.stderr).contains("nothing new"));
}
