//! The label-free mapping against the peers' zero-shot baseline, on real answers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use polars::prelude::*;
use verbatim::evaluate::macro_f1;

/// `verbatim run` on `input` with `taxonomy`; returns its assignments table.
fn run_with(input: &Path, out: &Path, taxonomy: &Path, extra: &[&str]) -> DataFrame {
    let mut args = vec!["--taxonomy", taxonomy.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_ok(input, out, &args);
    read_parquet(&out.join("assignments.parquet"))
}

fn f1_of_run(input: &Path, out: &Path, extra: &[&str]) -> f64 {
    let df = run_with(input, out, &dev_taxonomy(), extra);
    let (gold, predicted) = (strings(&df, "label"), strings(&df, "pillar"));
    let gold: Vec<&str> = gold.iter().map(String::as_str).collect();
    let predicted: Vec<&str> = predicted.iter().map(String::as_str).collect();
    macro_f1(&gold, &predicted)
}

/// Area under the ROC curve: the chance that a random positive scores above a random negative.
fn auc(positive: &[bool], score: &[f64]) -> f64 {
    let (mut above, mut pairs) = (0.0, 0.0);
    for (i, _) in positive.iter().enumerate().filter(|&(_, &p)| p) {
        for (j, _) in positive.iter().enumerate().filter(|&(_, &p)| !p) {
            pairs += 1.0;
            above += match score[i].total_cmp(&score[j]) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    above / pairs
}

#[test]
fn label_free_mapping_beats_zero_shot_on_real_answers() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let Some(input) = dev_subset(dir.path(), 1000) else {
        return;
    };
    // The category choice is compared with the `none` decision off (it is the same for both).
    let zero_shot = f1_of_run(
        &input,
        &dir.path().join("zs"),
        &["--zero-shot", "--none-threshold", "-1"],
    );
    let label_free = f1_of_run(&input, &dir.path().join("lf"), &["--none-threshold", "-1"]);
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
    let Some(input) = dev_subset(dir.path(), 1000) else {
        return;
    };
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

/// The `none` decision on categories the taxonomy does not have: each of the six questions is
/// left out of the taxonomy in turn, and its answers should then score low on relevance and go to
/// `none` more often than the others (the protocol behind METHODS.md's figures).
#[test]
fn answers_to_a_question_left_out_of_the_taxonomy_go_to_none() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let Some(input) = dev_subset(dir.path(), 1000) else {
        return;
    };
    let full = std::fs::read_to_string(dev_taxonomy()).unwrap();
    let blocks: Vec<&str> = full.split("[[category]]").skip(1).collect();
    assert_eq!(blocks.len(), 6);
    let (mut aucs, mut caught, mut wrongly) = (Vec::new(), Vec::new(), Vec::new());
    for (i, left_out) in blocks.iter().enumerate() {
        let id = left_out
            .lines()
            .find_map(|l| l.trim().strip_prefix("id = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let taxonomy = dir.path().join(format!("without_{id}.toml"));
        let kept: String = blocks
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, b)| format!("[[category]]{b}"))
            .collect();
        std::fs::write(&taxonomy, kept).unwrap();
        let df = run_with(&input, &dir.path().join(&id), &taxonomy, &[]);
        let held_out: Vec<bool> = strings(&df, "label").iter().map(|l| *l == id).collect();
        let relevance: Vec<f64> = df
            .column("taxonomy_relevance")
            .unwrap()
            .f32()
            .unwrap()
            .iter()
            .map(|v| -(v.unwrap_or(0.0) as f64))
            .collect();
        let none: Vec<bool> = strings(&df, "pillar").iter().map(|p| p == "none").collect();
        let rate = |want: bool| {
            let rows: Vec<bool> = none
                .iter()
                .zip(&held_out)
                .filter(|&(_, &h)| h == want)
                .map(|(&n, _)| n)
                .collect();
            rows.iter().filter(|&&n| n).count() as f64 / rows.len() as f64
        };
        aucs.push(auc(&held_out, &relevance));
        caught.push(rate(true));
        wrongly.push(rate(false));
        eprintln!(
            "without {id}: AUC {:.3}, its answers to none {:.1}%, others {:.1}%",
            aucs[i],
            100.0 * caught[i],
            100.0 * wrongly[i]
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // With every question in the taxonomy, the default loses at most 3% of the answers.
    let full = run_with(&input, &dir.path().join("full"), &dev_taxonomy(), &[]);
    let lost = strings(&full, "pillar")
        .iter()
        .filter(|p| *p == "none")
        .count();
    assert!(
        lost <= 30,
        "{lost} of 1000 answers sent to none at the default"
    );
    // The default keeps testimonies (`auto`: outliers within 3% of the corpus): it catches few of
    // a left-out question's answers, but each question is told apart by the relevance, and what
    // goes to `none` is mostly theirs.
    for a in &aucs {
        assert!(*a > 0.6, "a left-out question is not told apart: {aucs:?}");
    }
    assert!(mean(&aucs) > 0.72, "mean AUC {:.3}", mean(&aucs));
    assert!(
        mean(&caught) > 2.5 * mean(&wrongly),
        "to none: left-out answers {:.3}, others {:.3}",
        mean(&caught),
        mean(&wrongly)
    );
}
