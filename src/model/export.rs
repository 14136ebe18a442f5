//! `verbatim model export`: the default model as a standard Hugging Face / sentence-transformers
//! directory, so that other tools can run the very same weights.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};

use super::e5bin::{E5File, E5Header};
use super::tokenizer::TextTokenizer;
use super::weights::e5_name;

/// Writes the default model as a standard Hugging Face / sentence-transformers directory (f32
/// safetensors, tokenizer.json, configs), so that other tools can run the very same weights.
pub fn export_hf_dir(model_file: &Path, out: &Path) -> Result<()> {
    let file = E5File::open(model_file)?;
    let hd = &file.header;
    std::fs::create_dir_all(out.join("1_Pooling"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (name, shape) in hf_tensors(hd) {
        let ours = e5_name(&name).expect("every BERT tensor has an E5 name");
        let n = shape.iter().product();
        let values = file.f32_values(&ours, n)?;
        tensors.push((name, Tensor::from_vec(values, shape, &Device::Cpu)?));
    }
    // transformers refuses a safetensors file without this metadata.
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(tensors, Some(metadata), &out.join("model.safetensors"))?;
    write_configs(&file, out)?;
    TextTokenizer::from_e5(&file.vocab)?.save_hf(&out.join("tokenizer.json"))?;
    Ok(())
}

/// config.json, the pooling config, modules.json and sentence_bert_config.json.
fn write_configs(file: &E5File, out: &Path) -> Result<()> {
    let (hd, h) = (&file.header, file.header.hidden);
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
    Ok(())
}

/// Every tensor of the checkpoint with its shape, named and ordered as in a Hugging Face BERT.
fn hf_tensors(hd: &E5Header) -> Vec<(String, Vec<usize>)> {
    let (h, ff) = (hd.hidden, hd.intermediate);
    let mut list: Vec<(String, Vec<usize>)> = vec![
        (
            "embeddings.word_embeddings.weight".into(),
            vec![hd.vocab, h],
        ),
        (
            "embeddings.position_embeddings.weight".into(),
            vec![hd.max_positions, h],
        ),
        (
            "embeddings.token_type_embeddings.weight".into(),
            vec![hd.type_vocab, h],
        ),
        ("embeddings.LayerNorm.weight".into(), vec![h]),
        ("embeddings.LayerNorm.bias".into(), vec![h]),
    ];
    let linears = [
        ("attention.self.query", h, h),
        ("attention.self.key", h, h),
        ("attention.self.value", h, h),
        ("attention.output.dense", h, h),
        ("intermediate.dense", ff, h),
        ("output.dense", h, ff),
    ];
    for l in 0..hd.layers {
        let p = format!("encoder.layer.{l}");
        for (module, o, i) in linears {
            list.push((format!("{p}.{module}.weight"), vec![o, i]));
            list.push((format!("{p}.{module}.bias"), vec![o]));
        }
        for module in ["attention.output.LayerNorm", "output.LayerNorm"] {
            list.push((format!("{p}.{module}.weight"), vec![h]));
            list.push((format!("{p}.{module}.bias"), vec![h]));
        }
    }
    list
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value)?)
        .with_context(|| format!("cannot write {}", path.display()))
}
