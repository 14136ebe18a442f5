//! Helpers shared by the integration tests: the installed model and the shared data beside the clone.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use verbatim::model::{self, LoadedModel, ModelRequest, fetch};

/// The shared development data and references: `$VERBATIM_SHARED`, else `../shared` beside the
/// checkout (read-only; never copied into the repository). `None` in a fresh clone without it: the
/// tests that need it then return at once, and tests/shared_data.rs says how many did. With
/// `VERBATIM_REQUIRE_SHARED=1` (CI) a missing folder fails the test instead.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("VERBATIM_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("VERBATIM_REQUIRE_SHARED").as_deref() != Ok("1"),
        "VERBATIM_REQUIRE_SHARED=1 but the shared data is missing at {}",
        dir.display()
    );
    None
}

/// The dev set's CSV, when the shared data is there.
pub fn dev_set() -> Option<PathBuf> {
    Some(shared()?.join("data/granddebat_demarches_6questions.csv"))
}

/// Installs the default model once (idempotent: a verified file is kept) and returns its path.
pub fn model_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        fetch::fetch(&model::models_dir(), &fetch::python(), None)
            .expect("cannot install the model")
    })
    .clone()
}

pub fn load_default() -> LoadedModel {
    let path = model_path();
    model::load(&ModelRequest {
        model: Some(path.display().to_string()),
        ..Default::default()
    })
    .expect("cannot load the model")
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

pub struct RefSentence {
    pub text: String,
    pub ids: Vec<u32>,
    pub embedding: Vec<f32>,
}

/// The reference sentences computed by an independent fp32 implementation, when the shared data
/// is there.
pub fn reference() -> Option<Vec<RefSentence>> {
    let path = shared()?.join("reference/e5_small_ref.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["prefix"], "query: ");
    let sentences = json["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| RefSentence {
            text: s["text"].as_str().unwrap().to_string(),
            ids: s["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect(),
            embedding: s["ref_numpy_fp32"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect(),
        })
        .collect();
    Some(sentences)
}

/// Path of the release binary cargo built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_verbatim"))
}

/// The first `n` rows of the dev set (id, text, label), written as a CSV the test owns (never copied
/// into the repo); `None` without the shared data.
pub fn dev_subset(dir: &Path, n: usize) -> Option<PathBuf> {
    let mut reader = csv::Reader::from_path(dev_set()?).unwrap();
    let path = dir.join("dev.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(["id", "text", "label"]).unwrap();
    for r in reader.records().take(n) {
        writer.write_record(&r.unwrap()).unwrap();
    }
    writer.flush().unwrap();
    Some(path)
}

/// Real French testimonies (id, text) for tests that need text but no labels: the first `n` rows
/// of the dev set when it is there, else the bundled sample (240 rows).
pub fn dev_or_sample(dir: &Path, n: usize) -> PathBuf {
    if let Some(path) = dev_subset(dir, n) {
        return path;
    }
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample)
        .unwrap();
    let path = dir.join("sample.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(["id", "text"]).unwrap();
    for r in reader.records().take(n) {
        let r = r.unwrap();
        writer.write_record([&r[0], &r[3]]).unwrap();
    }
    writer.flush().unwrap();
    path
}

/// A JSON file written by a run.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `verbatim` with plain arguments, then (flag, path) pairs (an empty flag passes the path alone).
pub fn verbatim(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    model_path();
    let mut command = Command::new(binary());
    command.args(args);
    for (flag, path) in paths {
        if !flag.is_empty() {
            command.arg(flag);
        }
        command.arg(path);
    }
    command.output().unwrap()
}

/// `verbatim run --input … --out …` plus `extra`, whatever its outcome.
pub fn run_output(input: &Path, out: &Path, extra: &[&str]) -> Output {
    model_path();
    Command::new(binary())
        .args(["run", "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// A run that must succeed; returns its log.
pub fn run_ok(input: &Path, out: &Path, extra: &[&str]) -> String {
    let output = run_output(input, out, extra);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "verbatim run failed: {stderr}");
    stderr
}

/// A Parquet file the run wrote.
pub fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// A column as strings (numbers formatted, nulls empty).
pub fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect()
}

/// The taxonomy of the dev set's six questions (written from the questions, not the answers).
pub fn dev_taxonomy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/taxonomies/granddebat_demarches.toml")
}
