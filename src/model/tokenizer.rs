//! Text to token ids. One type for both model sources: the SentencePiece Unigram vocabulary read from
//! an `E5S1` file, rebuilt as a `tokenizers` Unigram model, or a Hugging Face `tokenizer.json`.
//!
//! The caller adds the sequence markers itself (see [`TextTokenizer::cls`]) because long texts are cut
//! into several windows, each of which needs its own markers.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Replace, Sequence};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, NormalizerWrapper, Tokenizer};

use super::e5bin::E5Vocab;

pub struct TextTokenizer {
    inner: Tokenizer,
    /// Per-character replacements applied before `inner` (SentencePiece normalisation of E5S1 files).
    char_map: Option<HashMap<char, String>>,
    /// Id that opens every sequence (`<s>` / `[CLS]`).
    pub cls: u32,
    /// Id that closes every sequence (`</s>` / `[SEP]`).
    pub sep: u32,
    /// Id used to pad a batch.
    pub pad: u32,
    /// Special pieces of an E5S1 vocabulary, kept to write a standard `tokenizer.json`.
    specials: Vec<(String, u32)>,
}

/// Runs of ASCII spaces collapse to one, as SentencePiece's normaliser does.
const COLLAPSE_SPACES: &str = " {2,}";

impl TextTokenizer {
    /// Rebuilds the XLM-R SentencePiece tokenizer from the vocabulary of an `E5S1` file.
    pub fn from_e5(vocab: &E5Vocab) -> Result<Self> {
        let special_ids = [vocab.bos, vocab.eos, vocab.pad, vocab.unk];
        let mut specials = Vec::new();
        let pieces: Vec<(String, f64)> = vocab
            .pieces
            .iter()
            .zip(&vocab.scores)
            .enumerate()
            .map(|(id, (piece, &score))| {
                let is_control = piece.starts_with('<') && piece.ends_with('>') && score == 0.0;
                if special_ids.contains(&(id as u32)) || is_control {
                    specials.push((piece.clone(), id as u32));
                    // A control piece must never match text: "<s>" typed in a testimony is text.
                    (format!("\u{F8FF}control{id}\u{F8FF}"), score as f64)
                } else {
                    (piece.clone(), score as f64)
                }
            })
            .collect();
        let model = Unigram::from(pieces, Some(vocab.unk as usize), false)
            .map_err(|e| anyhow!("cannot build the Unigram tokenizer: {e}"))?;
        let mut inner = Tokenizer::new(model);
        inner
            .with_normalizer(Some(
                Replace::new(
                    tokenizers::normalizers::replace::ReplacePattern::Regex(COLLAPSE_SPACES.into()),
                    " ",
                )
                .map_err(|e| anyhow!("{e}"))?,
            ))
            .map_err(|e| anyhow!("{e}"))?;
        inner.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
        Ok(Self {
            inner,
            char_map: Some(vocab.char_map.clone()),
            cls: vocab.bos,
            sep: vocab.eos,
            pad: vocab.pad,
            specials,
        })
    }

    /// Loads a Hugging Face `tokenizer.json`; the sequence markers are read from its post-processor.
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = Tokenizer::from_file(path)
            .map_err(|e| anyhow!("cannot load tokenizer {}: {e}", path.display()))?;
        let marked = inner
            .encode("", true)
            .map_err(|e| anyhow!("tokenizer {} cannot encode: {e}", path.display()))?;
        let (cls, sep) = match marked.get_ids() {
            [cls, sep] => (*cls, *sep),
            other => bail!(
                "tokenizer {} does not wrap texts in a start and an end marker (got {other:?} for an empty text)",
                path.display()
            ),
        };
        let pad = inner
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| inner.token_to_id("<pad>"))
            .or_else(|| inner.token_to_id("[PAD]"))
            .unwrap_or(0);
        Ok(Self {
            inner,
            char_map: None,
            cls,
            sep,
            pad,
            specials: Vec::new(),
        })
    }

    /// Token ids of `text` without sequence markers.
    pub fn content_ids(&self, text: &str) -> Result<Vec<u32>> {
        let normalized = match &self.char_map {
            Some(map) if text.chars().any(|c| map.contains_key(&c)) => {
                let mut out = String::with_capacity(text.len());
                for c in text.chars() {
                    match map.get(&c) {
                        Some(rep) => out.push_str(rep),
                        None => out.push(c),
                    }
                }
                std::borrow::Cow::Owned(out)
            }
            _ => std::borrow::Cow::Borrowed(text),
        };
        let enc = self
            .inner
            .encode_fast(normalized.as_ref(), false)
            .map_err(|e| anyhow!("tokenizer failed: {e}"))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Writes a standard `tokenizer.json` equivalent to this tokenizer, so that other tools
    /// (sentence-transformers, `--model DIR`) can use the same vocabulary.
    pub fn save_hf(&self, path: &Path) -> Result<()> {
        let mut out = self.inner.clone();
        if let Some(map) = &self.char_map {
            let mut entries: Vec<_> = map.iter().filter(|(c, r)| c.to_string() != **r).collect();
            entries.sort();
            let mut steps: Vec<NormalizerWrapper> = Vec::with_capacity(entries.len() + 1);
            for (c, rep) in entries {
                steps.push(
                    Replace::new(c.to_string(), rep.as_str())
                        .map_err(|e| anyhow!("{e}"))?
                        .into(),
                );
            }
            steps.push(
                Replace::new(
                    tokenizers::normalizers::replace::ReplacePattern::Regex(COLLAPSE_SPACES.into()),
                    " ",
                )
                .map_err(|e| anyhow!("{e}"))?
                .into(),
            );
            out.with_normalizer(Some(Sequence::new(steps)))
                .map_err(|e| anyhow!("{e}"))?;
            // Restore the real names of the control pieces, declared as special added tokens.
            let mut json: serde_json::Value =
                serde_json::from_str(&out.to_string(false).map_err(|e| anyhow!("{e}"))?)?;
            if let Some(vocab) = json
                .pointer_mut("/model/vocab")
                .and_then(|v| v.as_array_mut())
            {
                for (name, id) in &self.specials {
                    vocab[*id as usize][0] = serde_json::Value::String(name.clone());
                }
            }
            let mut out: Tokenizer = serde_json::from_value(json)
                .map_err(|e| anyhow!("cannot rebuild the tokenizer for export: {e}"))?;
            let added: Vec<AddedToken> = self
                .specials
                .iter()
                .map(|(name, _)| AddedToken::from(name.clone(), true))
                .collect();
            out.add_special_tokens(added).map_err(|e| anyhow!("{e}"))?;
            let cls_name = self.name_of(self.cls)?;
            let sep_name = self.name_of(self.sep)?;
            let post = TemplateProcessing::builder()
                .try_single(format!("{cls_name} $A {sep_name}"))
                .map_err(|e| anyhow!("{e}"))?
                .special_tokens(vec![
                    (cls_name.clone(), self.cls),
                    (sep_name.clone(), self.sep),
                ])
                .build()
                .map_err(|e| anyhow!("{e}"))?;
            out.with_post_processor(Some(post));
            out.save(path, false)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        } else {
            out.save(path, false)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    fn name_of(&self, id: u32) -> Result<String> {
        self.specials
            .iter()
            .find(|(_, i)| *i == id)
            .map(|(n, _)| n.clone())
            .with_context(|| format!("no special piece with id {id}"))
    }
}
