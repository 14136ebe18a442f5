//! A BERT encoder in candle, apart from batching and I/O (those live in `embed`).
//!
//! Weights come from either source already in one shape: row-major `[out, in]` linear weights with
//! biases, absolute position embeddings, post-layer-norm blocks and an erf GELU.

use anyhow::{Result, bail};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::LayerNorm;

use super::attention::{self, Shape};
use super::attention16;
use super::e5bin::{Q4_BLOCK, Q4_BLOCK_BYTES, dequantize_q4};
use super::kernels::{Norm, gelu_in_place};
use super::quant::QuantLinear;
use super::weights::Weights;

#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub max_positions: usize,
    /// Rows of the token type table (2 for BERT, 1 for XLM-RoBERTa).
    pub type_vocab: usize,
    pub layer_norm_eps: f64,
    /// First position id (2 for XLM-RoBERTa checkpoints, whose ids start after the padding index).
    pub position_offset: usize,
}

impl BertConfig {
    /// Longest sequence, markers included, the position table can hold.
    pub fn max_sequence(&self) -> usize {
        self.max_positions - self.position_offset
    }
}

/// The arithmetic a loaded encoder's linear layers run in (what `--precision` resolved to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// f32 activations on f32 weights.
    F32,
    /// 4-bit weights × 8-bit activations.
    Q4xQ8,
}

impl Arithmetic {
    /// The name in cache keys and run.json (`f32`, `q4xq8`): changing it invalidates caches.
    pub fn name(self) -> &'static str {
        match self {
            Arithmetic::F32 => "f32",
            Arithmetic::Q4xQ8 => "q4xq8",
        }
    }
}

/// The token embedding table, kept 4-bit when the file stores it so (250k rows × 384 would be 384 MB
/// as f32): only the rows of the tokens in a batch are decoded.
pub enum WordEmbeddings {
    Dense(Tensor),
    Q4 { raw: Vec<u8>, hidden: usize },
}

impl WordEmbeddings {
    fn lookup(&self, ids: &[u32], device: &Device) -> Result<Tensor> {
        match self {
            WordEmbeddings::Dense(table) => {
                let ids = Tensor::from_slice(ids, ids.len(), device)?;
                Ok(table.index_select(&ids, 0)?)
            }
            WordEmbeddings::Q4 { raw, hidden } => {
                let row_bytes = hidden / Q4_BLOCK * Q4_BLOCK_BYTES;
                let rows = raw.len() / row_bytes;
                let mut out = vec![0f32; ids.len() * hidden];
                for (&id, dst) in ids.iter().zip(out.chunks_exact_mut(*hidden)) {
                    let id = id as usize;
                    if id >= rows {
                        bail!("token id {id} is outside the {rows}-row embedding table");
                    }
                    dequantize_q4(&raw[id * row_bytes..(id + 1) * row_bytes], dst);
                }
                Ok(Tensor::from_vec(out, (ids.len(), *hidden), device)?)
            }
        }
    }
}

/// `y = x·Wᵀ + b` on 2-D activations.
pub enum Linear {
    /// f32 weights; `Wᵀ` stored `[in, out]` contiguous so gemm streams it without repacking it per
    /// call.
    Dense { weight_t: Tensor, bias: Tensor },
    /// The model file's 4-bit weights with 8-bit activations (see [`super::quant`]).
    Q4(QuantLinear),
}

impl Linear {
    /// From a `[out, in]` weight (the layout of both model sources) and an `[out]` bias.
    pub fn new(weight: Tensor, bias: Tensor) -> Result<Linear> {
        Ok(Linear::Dense {
            weight_t: weight.t()?.contiguous()?,
            bias,
        })
    }

    /// One layer computing the outputs of several side by side (query, key and value in one
    /// matmul: fewer, larger products).
    pub fn stacked(parts: Vec<Linear>) -> Result<Linear> {
        let mut dense = Vec::new();
        let mut quant = Vec::new();
        for part in parts {
            match part {
                Linear::Dense { weight_t, bias } => dense.push((weight_t, bias)),
                Linear::Q4(q) => quant.push(q),
            }
        }
        match (dense.is_empty(), quant.is_empty()) {
            (true, false) => Ok(Linear::Q4(QuantLinear::stacked(&quant)?)),
            (false, true) => {
                let weights: Vec<&Tensor> = dense.iter().map(|(w, _)| w).collect();
                let biases: Vec<&Tensor> = dense.iter().map(|(_, b)| b).collect();
                Ok(Linear::Dense {
                    weight_t: Tensor::cat(&weights, 1)?,
                    bias: Tensor::cat(&biases, 0)?,
                })
            }
            _ => bail!("stacked layers must all be f32 or all 4-bit"),
        }
    }

    /// `rows` rows of `x` (`[rows, in]`) through the layer: `[rows, out]`.
    fn forward(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        match self {
            Linear::Dense { weight_t, bias } => {
                let x = Tensor::from_slice(x, (rows, x.len() / rows.max(1)), weight_t.device())?;
                let y = x.matmul(weight_t)?.broadcast_add(bias)?;
                Ok(y.flatten_all()?.to_vec1()?)
            }
            Linear::Q4(q) => Ok(q.forward(x, rows)),
        }
    }
}

/// Rows of the feed-forward block computed together (see [`BertLayer::feed_forward`]).
const FEED_FORWARD_ROWS: usize = 192;

pub struct BertLayer {
    /// Query, key and value projections stacked: `[hidden, 3 × hidden]`.
    pub query_key_value: Linear,
    pub attention_out: Linear,
    pub attention_norm: Norm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: Norm,
}

impl BertLayer {
    /// Layer `prefix` (`encoder.layer.{l}`) from any source of weights.
    pub fn load(w: &dyn Weights, prefix: &str) -> Result<Self> {
        let (h, ff) = (w.config().hidden, w.config().intermediate);
        let linear =
            |name: &str, out: usize, inp: usize| w.linear(&format!("{prefix}.{name}"), out, inp);
        let norm = |name: &str| -> Result<Norm> {
            Ok(Norm::from_candle(
                &w.layer_norm(&format!("{prefix}.{name}"))?,
            )?)
        };
        Ok(Self {
            query_key_value: Linear::stacked(vec![
                linear("attention.self.query", h, h)?,
                linear("attention.self.key", h, h)?,
                linear("attention.self.value", h, h)?,
            ])?,
            attention_out: linear("attention.output.dense", h, h)?,
            attention_norm: norm("attention.output.LayerNorm")?,
            intermediate: linear("intermediate.dense", ff, h)?,
            output: linear("output.dense", h, ff)?,
            output_norm: norm("output.LayerNorm")?,
        })
    }

    /// One layer on the hidden states `x` (`[batch·len, hidden]`); `key_bias` as in
    /// [`attention::attention`].
    fn forward(&self, x: &[f32], shape: Shape, key_bias: Option<&[f32]>) -> Result<Vec<f32>> {
        let rows = shape.batch * shape.len;
        let qkv = self.query_key_value.forward(x, rows)?;
        let scale = 1.0 / (shape.head_dim as f32).sqrt();
        // The 4-bit × int8 path's attention is in 16-bit integers too; f32 stays f32 throughout.
        let context = match self.query_key_value {
            Linear::Q4(_) => attention16::attention(&qkv, shape, scale, key_bias),
            Linear::Dense { .. } => attention::attention(&qkv, shape, scale, key_bias),
        };
        let mut attended = self.attention_out.forward(&context, rows)?;
        self.attention_norm.add_in_place(&mut attended, x);
        self.feed_forward(&attended, rows)
    }

    /// The feed-forward block and its residual norm on `x`, [`FEED_FORWARD_ROWS`] rows at a time,
    /// so that its inner activations (four times wider) stay in cache from the product that
    /// writes them to the product that reads them. Rows are independent here: the same bits as
    /// all at once.
    fn feed_forward(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let hidden = x.len() / rows.max(1);
        let mut out = Vec::with_capacity(x.len());
        for chunk in x.chunks(FEED_FORWARD_ROWS * hidden) {
            let n = chunk.len() / hidden;
            let mut inner = self.intermediate.forward(chunk, n)?;
            gelu_in_place(&mut inner);
            out.extend(self.output.forward(&inner, n)?);
        }
        self.output_norm.add_in_place(&mut out, x);
        Ok(out)
    }
}

pub struct BertEncoder {
    pub config: BertConfig,
    pub word: WordEmbeddings,
    pub position: Tensor,
    pub token_type: Tensor,
    pub embedding_norm: LayerNorm,
    pub layers: Vec<BertLayer>,
    pub device: Device,
}

impl BertEncoder {
    /// The embeddings and every layer from any source of weights.
    pub fn load(w: &dyn Weights) -> Result<Self> {
        let cfg = w.config().clone();
        let h = cfg.hidden;
        let layers = (0..cfg.layers)
            .map(|l| BertLayer::load(w, &format!("encoder.layer.{l}")))
            .collect::<Result<_>>()?;
        Ok(Self {
            word: w.word_embeddings()?,
            position: w.tensor(
                "embeddings.position_embeddings.weight",
                &[cfg.max_positions, h],
            )?,
            token_type: w.tensor(
                "embeddings.token_type_embeddings.weight",
                &[cfg.type_vocab, h],
            )?,
            embedding_norm: w.layer_norm("embeddings.LayerNorm")?,
            layers,
            device: w.device().clone(),
            config: cfg,
        })
    }

    /// The arithmetic the linear layers run in.
    pub fn arithmetic(&self) -> Arithmetic {
        match self.layers.first().map(|l| &l.intermediate) {
            Some(Linear::Q4(_)) => Arithmetic::Q4xQ8,
            _ => Arithmetic::F32,
        }
    }

    /// Hidden states `[batch, len, hidden]` of a right-padded batch; `mask` is 1 for real tokens.
    pub fn forward(&self, ids: &[u32], mask: &[u8], batch: usize, len: usize) -> Result<Tensor> {
        let cfg = &self.config;
        if len > cfg.max_sequence() {
            bail!(
                "sequence of {len} tokens exceeds the model's {} positions",
                cfg.max_sequence()
            );
        }
        let (h, heads) = (cfg.hidden, cfg.heads);
        let words = self.word.lookup(ids, &self.device)?;
        let positions = self.position.narrow(0, cfg.position_offset, len)?;
        let x = words
            .reshape((batch, len, h))?
            .broadcast_add(&positions)?
            .broadcast_add(&self.token_type.get(0)?)?;
        let mut x: Vec<f32> = self.embedding_norm.forward(&x)?.flatten_all()?.to_vec1()?;
        // Additive mask: padded keys get a large negative score so softmax gives them exactly 0.
        let key_bias: Option<Vec<f32>> = mask.contains(&0).then(|| {
            mask.iter()
                .map(|&m| if m == 0 { -1e30 } else { 0.0 })
                .collect()
        });
        let shape = Shape {
            batch,
            len,
            heads,
            head_dim: h / heads,
        };
        for layer in &self.layers {
            x = layer.forward(&x, shape, key_bias.as_deref())?;
        }
        Ok(Tensor::from_vec(x, (batch, len, h), &self.device)?)
    }

    /// Masked mean of hidden states per sequence: returns (sums `[batch, hidden]`, token counts).
    pub fn pooled_sums(hidden: &Tensor, mask: &[u8], batch: usize, len: usize) -> Result<Tensor> {
        let m: Vec<f32> = mask.iter().map(|&v| v as f32).collect();
        let m = Tensor::from_vec(m, (batch, len, 1), hidden.device())?;
        Ok(hidden.broadcast_mul(&m)?.sum(1)?.to_dtype(DType::F32)?)
    }

    /// The hidden state of the first token of each sequence (CLS pooling).
    pub fn first_token(hidden: &Tensor) -> Result<Tensor> {
        Ok(hidden.narrow(1, 0, 1)?.squeeze(1)?.to_dtype(DType::F32)?)
    }
}
