//! The label-free mapping against the peers' zero-shot baseline, on real answers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use polars::prelude::*;
use verbatim::evaluate::macro_f1;

fn f1_of_run(input: &Path, out: &Path, extra: &[&str]) -> f64 {
    let taxonomy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/taxonomies/granddebat_demarches.toml");
    let status = Command::new(binary())
        .arg("run")
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--taxonomy")
        .arg(taxonomy)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let df = ParquetReader::new(std::fs::File::open(out.join("assignments.parquet")).unwrap())
        .finish()
        .unwrap();
    let col = |name: &str| -> Vec<String> {
        df.column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()
    };
    let (gold, predicted) = (col("label"), col("pillar"));
    let gold: Vec<&str> = gold.iter().map(String::as_str).collect();
    let predicted: Vec<&str> = predicted.iter().map(String::as_str).collect();
    macro_f1(&gold, &predicted)
}

#[test]
fn label_free_mapping_beats_zero_shot_on_real_answers() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let input = dev_subset(dir.path(), 1000);
    // The category choice is compared with the `none` decision off (it is the same for both).
    let zero_shot = f1_of_run(
        &input,
        &dir.path().join("zs"),
        &["--zero-shot", "--none-threshold", "-2"],
    );
    let label_free = f1_of_run(&input, &dir.path().join("lf"), &["--none-threshold", "-2"]);
    eprintln!(
        "macro-F1 on 1,000 dev answers: zero-shot {zero_shot:.3}, label-free {label_free:.3}"
    );
    assert!(
        zero_shot > 0.6,
        "the baseline itself is broken: {zero_shot}"
    );
    assert!(
        label_free >= zero_shot + 0.03,
        "label-free {label_free:.3} vs zero-shot {zero_shot:.3}"
    );
}

#[test]
fn tagged_testimonies_are_used_and_their_agreement_is_cross_validated() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let input = dev_subset(dir.path(), 1000);
    // 20 tags per question, the first ones met in the file; labels given by name or odd case.
    let mut reader = csv::Reader::from_path(&input).unwrap();
    let mut per: std::collections::HashMap<String, usize> = Default::default();
    let tags = dir.path().join("tags.csv");
    let mut writer = csv::Writer::from_path(&tags).unwrap();
    writer.write_record(["id", "categorie"]).unwrap();
    let mut tagged = std::collections::HashSet::new();
    for r in reader.records() {
        let r = r.unwrap();
        let n = per.entry(r[2].to_string()).or_default();
        if *n < 20 {
            *n += 1;
            let label = if &r[2] == "retraite" {
                "RETRAITE".to_string()
            } else {
                r[2].to_string()
            };
            writer.write_record([&r[0], label.as_str()]).unwrap();
            tagged.insert(r[0].to_string());
        }
    }
    writer.flush().unwrap();
    let out = dir.path().join("fs");
    let tags_arg = tags.display().to_string();
    f1_of_run(&input, &out, &["--labels", &tags_arg]);
    let run = read_json(&out.join("run.json"));
    let few = &run["few_shot"];
    assert_eq!(few["tagged"], 120);
    let cv = few["cross_validated_agreement"]["accuracy"]
        .as_f64()
        .unwrap();
    assert!(cv > 0.6 && cv <= 1.0, "cross-validated accuracy {cv}");

    // An unknown label and an id absent from the input are errors that list them.
    let bad = dir.path().join("bad.csv");
    // Ids of the input itself, read from it (no row of the shared data is written into the repo).
    let first_ids: Vec<String> = csv::Reader::from_path(&input)
        .unwrap()
        .records()
        .take(2)
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    std::fs::write(
        &bad,
        format!(
            "id,categorie\n{},formation\nnope-1,retraite\n{},logement\n",
            first_ids[0], first_ids[1]
        ),
    )
    .unwrap();
    let taxonomy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/taxonomies/granddebat_demarches.toml");
    let output = Command::new(binary())
        .args(["run", "--labels"])
        .arg(&bad)
        .arg("--taxonomy")
        .arg(&taxonomy)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("bad_out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("\"logement\"") && stderr.contains("bad.csv"),
        "{stderr}"
    );
    assert!(!dir.path().join("bad_out/themes.parquet").exists());
}
