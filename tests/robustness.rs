//! Bad input gets a clear answer and no testimony is lost: a battery of fixtures the test writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A failing run: exit ≠ 0, one clear line naming the file, and nothing written.
fn assert_refused(dir: &Path, name: &str, bytes: &[u8], expected: &str, extra: &[&str]) {
    let input = write(dir, name, bytes);
    let out = dir.join(format!("out_{name}"));
    let o = run_output(&input, &out, extra);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{name} was accepted");
    assert!(
        err.contains(name) && err.contains(expected),
        "{name}: {err}"
    );
    assert!(
        !out.join("assignments.parquet").exists(),
        "{name}: output written"
    );
}

/// A successful run: every row once, in order, with its status; run.json's counts add up.
fn statuses(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    extra: &[&str],
) -> (Vec<String>, serde_json::Value) {
    let input = write(dir, name, bytes);
    let out = dir.join(format!("out_{name}"));
    let o = run_output(&input, &out, extra);
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let csv = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = header.iter().position(|h| h == "status").unwrap();
    let statuses: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[at].to_string())
        .collect();
    let run_json = read_json(&out.join("run.json"));
    let rows = &run_json["rows"];
    assert_eq!(
        rows["read"].as_u64().unwrap() as usize,
        statuses.len(),
        "{name}: rows read"
    );
    assert_eq!(
        rows["assigned"].as_u64().unwrap() + rows["rejected"].as_u64().unwrap(),
        rows["read"].as_u64().unwrap(),
        "{name}: assigned + rejected ≠ read"
    );
    (statuses, run_json)
}

#[test]
fn bad_files_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_refused(d, "empty.csv", b"", "is empty", &[]);
    assert_refused(d, "header_only.csv", b"id;texte\r\n", "no rows", &[]);
    assert_refused(
        d,
        "misspelt.csv",
        b"id,temoignage\n1,bonjour\n",
        "Did you mean \"temoignage\"",
        &["--text-column", "temoignages"],
    );
    assert_refused(
        d,
        "duplicate_ids.csv",
        b"id,texte\n7,un\n7,deux\n",
        "appears on rows 1 and 2",
        &[],
    );
    assert_refused(d, "ragged.csv", b"id;texte\n1;a\n2;b;c\n", "row 2", &[]);
    assert_refused(
        d,
        "all_empty.csv",
        b"id,texte\n1,\n2,   \n",
        "every text of column texte is empty",
        &[],
    );
    let taxonomy = write(
        d,
        "bad_taxonomy.toml",
        b"[[category]]\nid = \"a\"\nname = \"A\"\ndescription = \"\"\n",
    );
    let input = write(
        d,
        "ok.csv",
        "texte\nLes salaires sont trop bas.\n".as_bytes(),
    );
    let o = run_output(
        &input,
        &d.join("out_tax"),
        &["--taxonomy", taxonomy.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad_taxonomy.toml") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn messy_rows_are_kept_with_a_status_that_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bytes = b"id,texte\r\n".to_vec();
    bytes.extend_from_slice("1,Les infirmières de nuit sont épuisées.\n".as_bytes());
    bytes.extend_from_slice(b"2,   \r\n");
    bytes.extend_from_slice("3,Les infirmières de nuit sont   épuisées.\r\n".as_bytes());
    bytes.extend_from_slice("4,12345 😀😀\n".as_bytes());
    bytes.extend_from_slice(b"5,\"<p>Le <b>parking</b> de l'h\xc3\xb4pital co\xc3\xbbte &amp; ruine les familles</p>\"\n");
    bytes.extend_from_slice(
        b"6,The night shift nurses are exhausted and we are not paid enough for this work.\n",
    );
    bytes.extend_from_slice(b"7,Trop de paperasse \xff pour les \xc3\xa9quipes.\n");
    let long = "Les soignants manquent de temps. ".repeat(40);
    bytes.extend_from_slice(format!("8,\"{long}\"\n").as_bytes());
    let (statuses, run_json) = statuses(d, "messy.csv", &bytes, &[]);
    assert_eq!(
        statuses,
        [
            "ok",
            "empty",
            "duplicate_of:1",
            "rejected:no_words",
            "ok",
            "ok",
            "ok",
            "ok"
        ]
    );
    assert_eq!(run_json["rows"]["languages"]["en"], 1);
    assert_eq!(run_json["rows"]["rejected_by_reason"]["no_words"], 1);
    assert!(
        run_json["input"]["encoding"]
            .as_str()
            .unwrap()
            .contains("U+FFFD")
    );
}

/// A 1 MB testimony (real answers of the dev set end to end, so its windows differ) is embedded
/// whole, through windows, not truncated; its quote is cut to a readable length.
#[test]
fn a_one_megabyte_testimony_is_embedded_whole_through_windows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(dev) = dev_set() else { return };
    let mut reader = csv::Reader::from_path(dev).unwrap();
    let mut huge = String::new();
    for record in reader.records() {
        if huge.len() >= 1_000_000 {
            break;
        }
        huge.push_str(record.unwrap()[1].trim());
        huge.push(' ');
    }
    let mut bytes = b"id;texte\n".to_vec();
    bytes.extend_from_slice("a;Les urgences débordent et les soignants s'épuisent.\n".as_bytes());
    bytes.extend_from_slice(format!("b;\"{}\"\n", huge.replace('"', "\"\"")).as_bytes());
    bytes
        .extend_from_slice("c;Il faut revaloriser les salaires des aides-soignantes.\n".as_bytes());
    let (statuses, run_json) = statuses(d, "huge.csv", &bytes, &["--no-cache"]);
    assert_eq!(statuses, ["ok", "ok", "ok"]);
    assert_eq!(run_json["rows"]["assigned"], 3);
    let embedding = &run_json["embeddings"];
    assert_eq!(embedding["long_texts"], 1);
    let windows = embedding["windows"].as_u64().unwrap() - 2;
    // ~250,000 tokens in windows of 510 moving by 446.
    assert!(windows > 300, "the 1 MB text took {windows} windows");
}

#[test]
fn one_two_and_three_testimonies_and_a_one_category_taxonomy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for n in 1..=3 {
        let texts = [
            "Les salaires des aides-soignantes sont trop bas.",
            "Trop de paperasse pour les équipes.",
            "Plus de médecin dans notre village.",
        ];
        let body = format!("texte\n{}\n", texts[..n].join("\n"));
        let (statuses, run_json) = statuses(d, &format!("n{n}.csv"), body.as_bytes(), &[]);
        assert_eq!(statuses.len(), n);
        // Fewer than 3 testimonies of a category cannot be compared: one theme holds them, so
        // there are as many themes as categories among them.
        let assignments = read_parquet(&d.join(format!("out_n{n}.csv/assignments.parquet")));
        let pillars: std::collections::BTreeSet<String> =
            strings(&assignments, "pillar").into_iter().collect();
        assert_eq!(
            run_json["clustering"]["themes"],
            pillars.len(),
            "{n} testimonies"
        );
        // Nor standardised: the raw cosine to the categories, said so, never uniform scores.
        let mapping = &run_json["mapping"];
        assert_eq!(mapping["fallback"].is_string(), n < 3, "{n}: {mapping}");
        assert_eq!(
            mapping["scores"],
            if n < 3 { "cosine" } else { "probability" }
        );
        let scores = read_parquet(&d.join(format!("out_n{n}.csv/assignments.parquet")));
        let first: Vec<f64> = (1..=4)
            .map(|k| {
                let col = scores.column(&format!("score_p{k}")).unwrap();
                col.cast(&polars::prelude::DataType::Float64)
                    .unwrap()
                    .f64()
                    .unwrap()
                    .get(0)
                    .unwrap()
            })
            .collect();
        let spread = first.iter().cloned().fold(f64::MIN, f64::max)
            - first.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread > 1e-3, "{n} testimonies: scores {first:?}");
    }
    let one = write(d, "one.toml", "[[category]]\nid = \"sante\"\nname = \"Santé\"\ndescription = \"Tout ce qui touche aux soins.\"\n".as_bytes());
    let body = "texte\nLes salaires sont bas.\nTrop de paperasse.\nPas de médecin.\nLes urgences débordent.\n";
    let (statuses, run_json) = statuses(
        d,
        "one_category.csv",
        body.as_bytes(),
        &["--taxonomy", one.to_str().unwrap()],
    );
    assert_eq!(statuses.len(), 4);
    assert_eq!(run_json["taxonomy"].as_array().unwrap().len(), 1);
}

#[test]
fn a_killed_run_leaves_no_output_and_the_next_one_resumes_from_the_cache() {
    let model = model_path();
    let dir = tempfile::tempdir().unwrap();
    // A models directory of its own, so that the cache starts empty.
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(
        std::fs::canonicalize(&model).unwrap(),
        models.join(verbatim::model::DEFAULT_MODEL_FILE),
    )
    .unwrap();
    let Some(input) = dev_subset(dir.path(), 800) else {
        return;
    };
    let out = dir.path().join("out");
    let start = || {
        Command::new(binary())
            .env("VERBATIM_MODELS", &models)
            .args(["run", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut child = start();
    // Wait until some embeddings are cached, then kill the run mid-way.
    let cache_dir = models.join("cache");
    let cached_bytes = || -> u64 {
        std::fs::read_dir(&cache_dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while cached_bytes() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was cached in 2 minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.join("assignments.parquet").exists(),
        "a killed run left outputs"
    );
    let o = start().wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let resumed: usize = err
        .lines()
        .find_map(|l| {
            l.strip_prefix("embedded 800 distinct texts (")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no embedding summary in: {err}"));
    assert!(
        resumed > 0 && resumed < 800,
        "resumed {resumed} texts from the cache"
    );
}

#[test]
fn a_copy_paste_campaign_is_flagged_grouped_and_does_not_dominate() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // 60 varied testimonies from the sample, then 25 copies of one petition with small edits.
    let sample = std::fs::read_to_string(root.join("data/temoignages.csv")).unwrap();
    let mut body = String::from("id;texte\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(sample.as_bytes());
    for r in reader.records().take(60) {
        let r = r.unwrap();
        body.push_str(&format!("{};\"{}\"\n", &r[0], &r[3]));
    }
    let names = ["Marie", "Paul", "Sophie", "Karim", "Julie"];
    for i in 0..25 {
        let end = if i % 2 == 0 { "!" } else { "." };
        body.push_str(&format!(
            "C{i:02};\"Nous, soignants du service, exigeons la réouverture immédiate des 30 lits fermés et le recrutement de 10 infirmières{end} Signé {}\"\n",
            names[i % names.len()]
        ));
    }
    let (statuses, run_json) = statuses(dir.path(), "campaign.csv", body.as_bytes(), &[]);
    let flagged = statuses
        .iter()
        .filter(|s| s.starts_with("near_duplicate_of:") || s.starts_with("duplicate_of:"))
        .count();
    assert!(
        flagged >= 23,
        "only {flagged} of 24 copies flagged: {:?}",
        &statuses[60..]
    );
    assert!(
        statuses[..60].iter().all(|s| s == "ok"),
        "a varied testimony was flagged"
    );
    assert!(run_json["rows"]["near_duplicates"].as_u64().unwrap() > 0);
    // Quotes show the petition at most once, and so do the proposals (it is one: « exigeons »).
    let path = dir.path().join("out_campaign.csv/themes.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for column in ["quotes", "proposals"] {
        let at = headers.iter().position(|h| h == column).unwrap();
        let shown: usize = (rows.iter())
            .map(|r| r[at].matches("exigeons la réouverture").count())
            .sum();
        assert!(shown <= 1, "{column}: the petition {shown} times");
    }
}

/// A run owns its output folder: an earlier run's evaluation never reaches a later report, killed
/// runs' temporaries go, the analyst's own files stay; a refused gold file stops the run before
/// any work.
#[test]
fn earlier_outputs_are_cleared_and_a_bad_gold_file_stops_the_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/etiquetage_manuel.csv");
    let out = dir.path().join("out");
    run_ok(&sample, &out, &["--gold", gold.to_str().unwrap()]);
    assert!(out.join("evaluation.json").exists());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let leftover = out.join(".verbatim-dead");
    std::fs::write(&leftover, "half a table").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .append(true)
        .open(&leftover)
        .unwrap()
        .set_modified(old)
        .unwrap();
    run_ok(&sample, &out, &[]);
    for gone in [
        "evaluation.json",
        "evaluation.md",
        "evaluation_per_category.csv",
    ] {
        assert!(
            !out.join(gone).exists(),
            "{gone} of the earlier run is still there"
        );
    }
    assert!(!leftover.exists(), "a killed run's temporary survived");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!report.contains("Accord avec l'étiquetage manuel"));

    let bad_gold = write(dir.path(), "bad_gold.csv", b"id,pilier\nT0001,p9\n");
    let fresh = dir.path().join("fresh");
    let o = run_output(&sample, &fresh, &["--gold", bad_gold.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("p9"), "{err}");
    assert!(
        !fresh.join("themes.parquet").exists(),
        "tables written before the gold was refused"
    );
}

/// A file name that is not valid UTF-8 (Windows-1252 bytes on Linux) is read, every output
/// written, and run.json records the name lossily and says so.
#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_are_handled_everywhere() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let name = std::ffi::OsStr::from_bytes(b"t\xe9moignages.csv");
    let input = dir.path().join(name);
    std::fs::copy(&sample, &input).unwrap();
    let out = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"r\xe9sultats"));
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/etiquetage_manuel.csv");
    let o = Command::new(binary())
        .args(["run", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--gold")
        .arg(&gold)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["themes.xlsx", "run.json", "evaluation.json", "report.html"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["input"]["path_not_utf8"], true);
    assert!(
        record["input"]["path"]
            .as_str()
            .unwrap()
            .contains("t\u{FFFD}moignages.csv")
    );
}

/// Parquet columns that are not text: numbers are said to be numbers, lists are refused as the
/// text column and passed through.
#[test]
fn parquet_numbers_and_lists_are_never_taken_for_texts() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "Les salaires des infirmières sont trop bas.",
        "Trop de paperasse pour les équipes de nuit.",
        "Plus aucun médecin dans notre village.",
        "Les urgences débordent chaque week-end.",
    ];
    let tags: Vec<Series> = (0..4)
        .map(|i| Series::new("".into(), [format!("tag{i}"), "santé".to_string()]))
        .collect();
    let mut df = DataFrame::new(
        4,
        vec![
            Column::new("id".into(), ["a", "b", "c", "d"]),
            Column::new("count".into(), [12i64, 7, 3, 40]),
            Column::new("tags".into(), tags),
            Column::new("texte".into(), texts),
        ],
    )
    .unwrap();
    let input = dir.path().join("mixed.parquet");
    ParquetWriter::new(std::fs::File::create(&input).unwrap())
        .finish(&mut df)
        .unwrap();
    let refused = |column: &str, expected: &str| {
        let o = run_output(&input, &dir.path().join("x"), &["--text-column", column]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(expected),
            "{column}: {err}"
        );
    };
    refused("count", "no text of column count has a single letter");
    refused("tags", "holds list[str] values, not texts");
    let out = dir.path().join("out");
    run_ok(&input, &out, &[]);
    let a = read_parquet(&out.join("assignments.parquet"));
    assert!(
        a.column("tags").is_ok(),
        "the list column is passed through"
    );
    assert_eq!(strings(&a, "status"), ["ok"; 4]);
}

/// The report reads only files of the run it reports: an evaluation of another run is left out, a
/// table replaced since the run is refused.
#[test]
fn a_report_never_mixes_the_files_of_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/etiquetage_manuel.csv");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_ok(&sample, &a, &["--gold", gold.to_str().unwrap()]);
    run_ok(&sample, &b, &["--themes", "3"]);
    std::fs::copy(a.join("evaluation.json"), b.join("evaluation.json")).unwrap();
    let report = |dir: &Path| {
        Command::new(binary())
            .args(["report", "--from"])
            .arg(dir)
            .output()
            .unwrap()
    };
    let o = report(&b);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("evaluates another run"));
    let html = std::fs::read_to_string(b.join("report.html")).unwrap();
    assert!(!html.contains("Accord avec l'étiquetage manuel"));
    std::fs::copy(a.join("themes.parquet"), b.join("themes.parquet")).unwrap();
    let o = report(&b);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("is not the file run"),
        "{err}"
    );
    std::fs::copy(a.join("assignments.parquet"), b.join("assignments.parquet")).unwrap();
    let o = Command::new(binary())
        .args(["evaluate", "--predictions"])
        .arg(b.join("assignments.parquet"))
        .arg("--gold")
        .arg(&gold)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("is not the file run"),
        "{err}"
    );
}
