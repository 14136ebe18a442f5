//! One weights interface for the encoder, whatever file the tensors come from.
//!
//! Tensors are named as in a Hugging Face BERT checkpoint (`encoder.layer.3.attention.self.query`);
//! each source maps those names to its own: the `E5S1` file through [`e5_name`], a safetensors
//! file through the prefix its task head adds (`bert.`, `roberta.`). The layers are then built once,
//! in `bert.rs`, from any [`Weights`].

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use candle_core::{DType, Device, Tensor};

use super::bert::{BertConfig, Linear, WordEmbeddings};
use super::e5bin::{E5File, E5Header, StoredDType};
use super::quant;

/// Where an encoder's tensors come from.
pub trait Weights {
    fn config(&self) -> &BertConfig;
    fn device(&self) -> &Device;
    /// An f32 tensor of exactly this shape.
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor>;
    /// The linear layer `name` (`name.weight` `[out, in]`, `name.bias` `[out]`).
    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear>;
    /// The token embedding table.
    fn word_embeddings(&self) -> Result<WordEmbeddings>;

    /// The layer norm `name` (`name.weight`, `name.bias`).
    fn layer_norm(&self, name: &str) -> Result<candle_nn::LayerNorm> {
        let h = self.config().hidden;
        Ok(candle_nn::LayerNorm::new(
            self.tensor(&format!("{name}.weight"), &[h])?,
            self.tensor(&format!("{name}.bias"), &[h])?,
            self.config().layer_norm_eps,
        ))
    }
}

/// Module names of the Hugging Face layout and their short names in the `E5S1` file (matched
/// whole). Inside a layer (`encoder.layer.{l}.…` ↔ `l{l}.…`) the last eight apply.
pub const E5_NAMES: [(&str, &str); 12] = [
    ("embeddings.word_embeddings", "emb.word"),
    ("embeddings.position_embeddings", "emb.pos"),
    ("embeddings.token_type_embeddings", "emb.type"),
    ("embeddings.LayerNorm", "emb.ln"),
    ("attention.self.query", "q"),
    ("attention.self.key", "k"),
    ("attention.self.value", "v"),
    ("attention.output.dense", "ao"),
    ("attention.output.LayerNorm", "aln"),
    ("intermediate.dense", "fi"),
    ("output.dense", "fo"),
    ("output.LayerNorm", "oln"),
];

/// The `E5S1` name of a Hugging Face tensor name: `encoder.layer.3.output.dense.weight` →
/// `l3.fo.w`; the three embedding tables have no suffix (`emb.word`).
pub fn e5_name(hf: &str) -> Option<String> {
    let (module, suffix) = hf.rsplit_once('.')?;
    let suffix = match suffix {
        "weight" => "w",
        "bias" => "b",
        _ => return None,
    };
    let (layer, module) = match module.strip_prefix("encoder.layer.") {
        Some(rest) => {
            let (l, m) = rest.split_once('.')?;
            (Some(l.parse::<usize>().ok()?), m)
        }
        None => (None, module),
    };
    let short = E5_NAMES.iter().find(|(long, _)| *long == module)?.1;
    let name = match layer {
        Some(l) => format!("l{l}.{short}"),
        None => short.to_string(),
    };
    let table = layer.is_none() && short != "emb.ln";
    Some(if table {
        name
    } else {
        format!("{name}.{suffix}")
    })
}

/// The hyper-parameters of an `E5S1` header.
pub fn e5_config(hd: &E5Header) -> BertConfig {
    BertConfig {
        hidden: hd.hidden,
        layers: hd.layers,
        heads: hd.heads,
        intermediate: hd.intermediate,
        vocab: hd.vocab,
        max_positions: hd.max_positions,
        type_vocab: hd.type_vocab,
        layer_norm_eps: hd.layer_norm_eps as f64,
        position_offset: 0,
    }
}

/// The weights of an `E5S1` file: f32 tensors, and 4-bit linear layers kept 4-bit when `int8`.
pub struct E5Weights<'a> {
    pub file: &'a E5File,
    pub config: BertConfig,
    pub int8: bool,
    pub device: Device,
}

impl E5Weights<'_> {
    fn short(name: &str) -> Result<String> {
        e5_name(name).with_context(|| format!("{name} has no counterpart in the E5S1 layout"))
    }
}

impl Weights for E5Weights<'_> {
    fn config(&self) -> &BertConfig {
        &self.config
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let n = shape.iter().product();
        let values = self.file.f32_values(&Self::short(name)?, n)?;
        Ok(Tensor::from_vec(values, shape, &self.device)?)
    }
    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear> {
        let short = Self::short(&format!("{name}.weight"))?;
        let (entry, raw) = self.file.raw(&short)?;
        if entry.elements != out * inp {
            bail!(
                "{short} has {} elements, expected {out} × {inp}",
                entry.elements
            );
        }
        let bias = self.tensor(&format!("{name}.bias"), &[out])?;
        if self.int8 && entry.dtype == StoredDType::Q4 && quant::supports(out, inp) {
            let bias = bias.to_vec1::<f32>()?;
            return Ok(Linear::Q4(quant::QuantLinear::from_q4(
                raw, out, inp, bias,
            )?));
        }
        Linear::new(self.tensor(&format!("{name}.weight"), &[out, inp])?, bias)
    }
    fn word_embeddings(&self) -> Result<WordEmbeddings> {
        let (h, vocab) = (self.config.hidden, self.config.vocab);
        let name = "embeddings.word_embeddings.weight";
        let (entry, raw) = self.file.raw(&Self::short(name)?)?;
        if entry.elements != vocab * h {
            bail!(
                "emb.word has {} elements, expected {vocab} × {h}",
                entry.elements
            );
        }
        Ok(match entry.dtype {
            StoredDType::Q4 => WordEmbeddings::Q4 {
                raw: raw.to_vec(),
                hidden: h,
            },
            StoredDType::F32 => WordEmbeddings::Dense(self.tensor(name, &[vocab, h])?),
        })
    }
}

/// The weights of a safetensors checkpoint, in f32.
pub struct SafetensorsWeights {
    pub tensors: HashMap<String, Tensor>,
    /// What a task checkpoint puts before every name ("bert.", "roberta.", or nothing).
    pub prefix: &'static str,
    pub config: BertConfig,
    pub device: Device,
    /// For error messages.
    pub path: std::path::PathBuf,
}

impl SafetensorsWeights {
    pub fn open(path: &Path, config: BertConfig, device: &Device) -> Result<Self> {
        let tensors = candle_core::safetensors::load(path, device)
            .with_context(|| format!("cannot read {}", path.display()))?;
        // Checkpoints saved from a task model carry a "bert." / "roberta." prefix.
        let prefix = ["", "bert.", "roberta.", "model."]
            .into_iter()
            .find(|p| tensors.contains_key(&format!("{p}embeddings.word_embeddings.weight")))
            .with_context(|| {
                format!(
                    "{} has no embeddings.word_embeddings.weight",
                    path.display()
                )
            })?;
        Ok(Self {
            tensors,
            prefix,
            config,
            device: device.clone(),
            path: path.to_path_buf(),
        })
    }
}

impl Weights for SafetensorsWeights {
    fn config(&self) -> &BertConfig {
        &self.config
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .tensors
            .get(&full)
            .with_context(|| format!("{} has no tensor {full}", self.path.display()))?;
        if t.dims() != shape {
            bail!(
                "{}: tensor {full} has shape {:?}, expected {shape:?} from config.json",
                self.path.display(),
                t.dims()
            );
        }
        Ok(t.to_dtype(DType::F32)?)
    }
    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear> {
        Linear::new(
            self.tensor(&format!("{name}.weight"), &[out, inp])?,
            self.tensor(&format!("{name}.bias"), &[out])?,
        )
    }
    fn word_embeddings(&self) -> Result<WordEmbeddings> {
        let (vocab, h) = (self.config.vocab, self.config.hidden);
        let table = self.tensor("embeddings.word_embeddings.weight", &[vocab, h])?;
        Ok(WordEmbeddings::Dense(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugging_face_names_map_to_the_e5_layout() {
        assert_eq!(
            e5_name("embeddings.word_embeddings.weight").unwrap(),
            "emb.word"
        );
        assert_eq!(e5_name("embeddings.LayerNorm.bias").unwrap(), "emb.ln.b");
        assert_eq!(
            e5_name("encoder.layer.11.attention.output.LayerNorm.weight").unwrap(),
            "l11.aln.w"
        );
        assert_eq!(
            e5_name("encoder.layer.0.output.LayerNorm.bias").unwrap(),
            "l0.oln.b"
        );
        assert_eq!(
            e5_name("encoder.layer.2.output.dense.weight").unwrap(),
            "l2.fo.w"
        );
        assert_eq!(
            e5_name("encoder.layer.2.attention.self.key.bias").unwrap(),
            "l2.k.b"
        );
        assert!(e5_name("pooler.dense.weight").is_none());
        assert!(e5_name("encoder.layer.x.output.dense.weight").is_none());
    }
}
