//! The third integrity pass: what a hostile user tried, each case asserting the behaviour rather
//! than the absence of a crash. Tagging files that would teach something wrong, gold taggings
//! that are small or of another file, hostile cells in every CSV, a folder another command owns,
//! a seal that must cover every table.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv")
}

/// The bundled sample's (id, text) rows.
fn demo_rows() -> Vec<(String, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(demo())
        .unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[3].to_string())
        })
        .collect()
}

/// Writes a `;` CSV the test owns.
fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(path)
        .unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// A run that must fail; its log.
fn run_fails(input: &Path, out: &Path, extra: &[&str]) -> String {
    let output = run_output(input, out, extra);
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "the run should have stopped: {log}"
    );
    log
}

#[test]
fn tagging_files_that_would_teach_something_wrong_stop_the_run_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let rows = demo_rows();
    let out = dir.path().join("out");
    let sheet = |name: &str, header: &[&str], body: Vec<Vec<String>>| {
        let path = dir.path().join(name);
        write_csv(&path, header, &body);
        path
    };
    let s = |v: &str| v.to_string();
    let check = |path: &Path, expected: &str| {
        let log = run_fails(&demo(), &out, &["--labels", path.to_str().unwrap()]);
        assert!(log.contains(expected), "{expected:?} not in: {log}");
        assert!(
            !log.contains("loading the model"),
            "checked after work began: {log}"
        );
        assert!(!out.join("themes.parquet").exists());
        log
    };
    // An id tagged twice with different categories.
    let twice = sheet(
        "twice.csv",
        &["id", "tag"],
        vec![
            vec![s("T0001"), s("p1")],
            vec![s("T0001"), s("p2")],
            vec![s("T0002"), s("p2")],
        ],
    );
    let log = check(&twice, "tagged twice with different categories");
    assert!(log.contains("\"T0001\" (row 2 p1, row 3 p2)"), "{log}");
    // The same id tagged twice alike is one tag, not an error: the stale check comes next.
    // A sheet whose text is no longer the input's.
    let stale = sheet(
        "stale.csv",
        &["id", "text", "tag"],
        vec![
            vec![rows[0].0.clone(), rows[0].1.clone(), s("p1")],
            vec![
                rows[1].0.clone(),
                s("Un texte modifié depuis le tirage."),
                s("p2"),
            ],
        ],
    );
    let log = check(&stale, "no longer the input's");
    assert!(log.contains(&format!("{:?} (row 3)", rows[1].0)), "{log}");
    // A tag column left empty.
    let empty = sheet(
        "empty.csv",
        &["id", "text", "tag"],
        vec![vec![rows[0].0.clone(), rows[0].1.clone(), s("")]],
    );
    check(&empty, "no row has a tag");
    // A part that is neither random nor chosen.
    let part = sheet(
        "part.csv",
        &["id", "tag", "part"],
        vec![vec![rows[0].0.clone(), s("p1"), s("aléatoire")]],
    );
    check(&part, "neither \"random\" nor \"chosen\"");
    // No tag column: the error names the columns, never the texts (one holds an e-mail).
    let secret = "Écrire à sylvie.garnier@caisse.fr, merci.";
    let untagged = sheet(
        "untagged.csv",
        &["id", "text"],
        vec![
            vec![rows[0].0.clone(), s(secret)],
            vec![rows[1].0.clone(), rows[1].1.clone()],
        ],
    );
    let log = check(&untagged, "no column holds the tags");
    assert!(log.contains("columns found: id, text"), "{log}");
    assert!(
        !log.contains("garnier") && !log.contains(&rows[1].1[..30]),
        "a text reached the log: {log}"
    );
    // A taxonomy where two categories read the same.
    let taxonomy = dir.path().join("p1P1.toml");
    std::fs::write(
        &taxonomy,
        "[[category]]\nid = \"p1\"\nname = \"Un\"\ndescription = \"a\"\n\n[[category]]\nid = \"P1\"\nname = \"Deux\"\ndescription = \"b\"\n",
    )
    .unwrap();
    let log = run_fails(&demo(), &out, &["--taxonomy", taxonomy.to_str().unwrap()]);
    assert!(log.contains("reads the same as category p1"), "{log}");
}

#[test]
fn a_gold_tagging_of_ids_not_in_the_input_stops_the_run_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold.csv");
    std::fs::write(&gold, "id,pilier\nT0001,p1\nX9999,p2\nX9998,none\n").unwrap();
    let out = dir.path().join("out");
    let log = run_fails(&demo(), &out, &["--gold", gold.to_str().unwrap()]);
    assert!(
        log.contains("2 of its 3 tagged ids are not ids of the input"),
        "{log}"
    );
    assert!(log.contains("X9999"), "{log}");
    assert!(
        !log.contains("loading the model"),
        "checked after work began: {log}"
    );
    assert!(!out.join("themes.parquet").exists());
}

/// A copy of the bundled sample whose ids, texts and extra columns begin like formulas, and the
/// first `n` rows of its manual tagging under the same ids.
fn hostile_sample(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(demo())
        .unwrap();
    let starts = ["=", "-", "+", "@"];
    let hostile_id = |i: usize, id: &str| match i < 8 {
        true => format!("{}{id}", starts[i % 4]),
        false => id.to_string(),
    };
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let mut text = r[3].to_string();
        if i == 10 {
            text = format!("=HYPERLINK(\"http://x\";\"clic\") {text}");
        }
        let profile = match i {
            11 => "=cmd|' /C calc'!A0".to_string(),
            12 => "@SUM(A1:A2)".to_string(),
            13 => "\tentre deux".to_string(),
            _ => r[1].to_string(),
        };
        rows.push(vec![hostile_id(i, &r[0]), profile, r[2].to_string(), text]);
    }
    let input = dir.join("hostile.csv");
    write_csv(&input, &["id", "profil", "region", "temoignage"], &rows);
    let mut tags = csv::Reader::from_path(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/etiquetage_manuel.csv"),
    )
    .unwrap();
    let gold = dir.join("gold40.csv");
    let mut w = csv::Writer::from_path(&gold).unwrap();
    w.write_record(["id", "pilier"]).unwrap();
    for (i, r) in tags.records().take(n).enumerate() {
        let r = r.unwrap();
        w.write_record([hostile_id(i, &r[0]), r[1].to_string()])
            .unwrap();
    }
    w.flush().unwrap();
    (input, gold)
}

/// No cell of a CSV begins like a formula, but plain numbers.
fn assert_no_live_formula(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let separator = if text.lines().next().unwrap_or("").contains(';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            let number = cell
                .trim_start_matches(['-', '+'])
                .replace(',', ".")
                .parse::<f64>()
                .is_ok();
            assert!(
                number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{}: a live formula {cell:?}",
                path.display()
            );
        }
    }
}

/// The documented workflow on a small tagging (40 rows, the size `verbatim sample` proposes),
/// with ids and cells that begin like formulas: the run, its report and a second report all
/// succeed; every CSV it writes (and the tagging sheet's) is inert in a spreadsheet; `evaluate`
/// reads the `--excel` CSV back to the same figures.
#[test]
fn a_small_gold_and_hostile_cells_round_trip_through_every_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (input, gold) = hostile_sample(dir.path(), 40);
    let out = dir.path().join("out");
    run_ok(&input, &out, &["--excel", "--gold", gold.to_str().unwrap()]);
    assert!(out.join("report.html").exists());
    let again = verbatim(&["report"], &[("--from", &out)]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let sheet = dir.path().join("a_taguer.csv");
    let sample = verbatim(
        &["sample", "--n", "40"],
        &[("--from", &out), ("--out", &sheet)],
    );
    assert!(
        sample.status.success(),
        "{}",
        String::from_utf8_lossy(&sample.stderr)
    );
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            assert_no_live_formula(&path);
        }
    }
    assert_no_live_formula(&sheet);
    let evaluation = read_json(&out.join("evaluation.json"));
    let again = dir.path().join("again");
    let e = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &out.join("assignments.csv")),
            ("--gold", &gold),
            ("--out", &again),
        ],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let reread = read_json(&again.join("evaluation.json"));
    assert_eq!(reread["rows"]["evaluated"], evaluation["rows"]["evaluated"]);
    assert_eq!(reread["accuracy"], evaluation["accuracy"]);
    // The CSV is read back exactly: the ids are the input's, hostile ones included.
    let assignments = read_parquet(&out.join("assignments.parquet"));
    assert!(strings(&assignments, "id").contains(&"=T0001".to_string()));
}

/// A folder belongs to one command at a time, and the seal names every table it vouches for.
#[test]
fn a_busy_folder_is_refused_and_the_seal_covers_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = dir_sample(dir.path());
    {
        let _held = verbatim::stages::write::record::OutputLock::acquire(&out).unwrap();
        let log = run_fails(&input, &out, &[]);
        assert!(
            log.contains("another verbatim command is writing into this folder"),
            "{log}"
        );
        assert!(!out.join("run.json").exists());
    }
    run_ok(&input, &out, &[]);
    {
        let _held = verbatim::stages::write::record::OutputLock::acquire(&out).unwrap();
        let report = verbatim(&["report"], &[("--from", &out)]);
        assert!(!report.status.success());
    }
    // A run.json that does not seal a table the report reads is refused.
    let record_path = out.join("run.json");
    let mut record = read_json(&record_path);
    record["outputs"]
        .as_object_mut()
        .unwrap()
        .remove("proposals.parquet");
    std::fs::write(&record_path, serde_json::to_string(&record).unwrap()).unwrap();
    let report = verbatim(&["report"], &[("--from", &out)]);
    let log = String::from_utf8_lossy(&report.stderr);
    assert!(!report.status.success());
    assert!(log.contains("did not write proposals.parquet"), "{log}");
}

/// 60 rows of the bundled sample.
fn dir_sample(dir: &Path) -> PathBuf {
    dev_or_sample(dir, 60)
}

#[test]
fn arguments_out_of_range_say_the_range() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (vec!["sample", "--n", "0"], "0 is too small: at least 1"),
        (vec!["sample", "--n", "-1"], "-1 is too small: at least 1"),
        (
            vec!["--threads", "0", "sample"],
            "0 is too small: at least 1",
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--from", dir.path().to_str().unwrap(), "--out", "x.csv"]);
        let output = verbatim(&all, &[]);
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(log.contains(expected), "{args:?}: {log}");
    }
}

/// Taggings too small for some figures (no theme with 5 tagged rows, a single category): the run,
/// its evaluation and its report are written, and the report can be made again from them.
#[test]
fn the_smallest_gold_taggings_still_give_a_report() {
    let dir = tempfile::tempdir().unwrap();
    for (name, gold) in [
        ("one.csv", "id,pilier\nT0002,p2\n"),
        ("same.csv", "id,pilier\nT0001,p1\nT0002,p1\nT0003,p1\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, gold).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        run_ok(&demo(), &out, &["--gold", path.to_str().unwrap()]);
        let evaluation = read_json(&out.join("evaluation.json"));
        assert!(
            evaluation["theme_categories"]["median_theme"].is_null(),
            "{name}"
        );
        let again = verbatim(&["report"], &[("--from", &out)]);
        assert!(
            again.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        let md = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
        assert!(md.contains("no theme has 5 tagged rows"), "{md}");
    }
}
