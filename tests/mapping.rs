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
    let zero_shot = f1_of_run(&input, &dir.path().join("zs"), &["--zero-shot"]);
    let label_free = f1_of_run(&input, &dir.path().join("lf"), &[]);
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
