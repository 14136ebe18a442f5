//! The baseline the few-shot curve is held against: scikit-learn's `LogisticRegression` fitted on
//! the same vectors with the same tags (`baseline.py`, in a virtual environment the bench creates).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use verbatim::model::{self, ModelRequest, fetch};
use verbatim::stages::embed::cache::{DEFAULT_CACHE_MAX_GB, EmbeddingCache, gigabytes};
use verbatim::stages::embed::embedder::{EmbedOptions, Embedder};
use verbatim::stages::read::ingest::{self, ReadOptions};
use verbatim::stages::write::table;
use verbatim::text;

use super::Set;

const SCRIPT: &str = include_str!("baseline.py");
/// Pinned, so that the figures can be reproduced.
const PACKAGES: [&str; 3] = ["numpy==2.4.6", "pyarrow==26.0.1", "scikit-learn==1.9.1"];

/// One draw of tags: rows and their labels.
#[derive(serde::Serialize)]
pub struct Draw {
    pub rows: Vec<usize>,
    pub labels: Vec<String>,
}

/// Each draw's predictions for every row: (default LR, LR on standardised features).
pub type Predictions = Vec<(Vec<String>, Vec<String>)>;

/// Fits the baseline on every draw at once (one Python start).
pub fn predict(set: &Set, draws: &[Draw]) -> Result<Predictions> {
    let python = fetch::venv(
        &super::super::default_peer_envs().join("sklearn"),
        &PACKAGES,
    )?;
    let vectors = vectors(set)?;
    let spec = set.dir.join("baseline-draws.json");
    let ids = &set.ids;
    std::fs::write(
        &spec,
        serde_json::to_vec(&serde_json::json!({ "ids": ids, "draws": draws }))?,
    )?;
    let script = set.dir.join("baseline.py");
    std::fs::write(&script, SCRIPT)?;
    let out = set.dir.join("baseline-predictions.json");
    let status = Command::new(&python)
        .args([&script, &vectors, &spec, &out])
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !status.success() {
        bail!("{} failed ({status})", script.display());
    }
    #[derive(serde::Deserialize)]
    struct Pair {
        default: Vec<String>,
        standardised: Vec<String>,
    }
    let pairs: Vec<Pair> = serde_json::from_slice(&std::fs::read(&out)?)?;
    Ok(pairs
        .into_iter()
        .map(|p| (p.default, p.standardised))
        .collect())
}

/// The set's vectors as `verbatim embed` writes them (the embedding cache makes this quick).
fn vectors(set: &Set) -> Result<PathBuf> {
    let path = set.dir.join("vectors.parquet");
    let corpus = ingest::read(&set.input, &ReadOptions::default())?;
    let loaded = model::load(&ModelRequest::default())?;
    let cache = EmbeddingCache::for_model(&loaded, gigabytes(DEFAULT_CACHE_MAX_GB))?;
    let options = EmbedOptions {
        progress: false,
        ..EmbedOptions::default()
    };
    let mut embedder = Embedder::new(&loaded, Some(cache), options);
    let cleaned: Vec<_> = corpus
        .texts
        .iter()
        .map(|t| text::analysis_text(t))
        .collect();
    let texts: Vec<&str> = cleaned.iter().map(|t| t.as_ref()).collect();
    let embeddings = embedder.embed(&texts)?;
    table::write_embeddings(&path, &corpus.ids, &embeddings, &loaded.info.sha256)?;
    Ok(path)
}
