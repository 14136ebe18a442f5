//! Texts to unit vectors: batching, long-text windows and pooling (the cache is in `cache`, the
//! transformer itself in `model::bert`).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::cache::{Cached, EmbeddingCache};
use crate::linalg::Rows;
use crate::model::bert::BertEncoder;
use crate::model::{LoadedModel, Pooling};

/// Knobs of the batching; the defaults suit a 2-core CPU.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// Padded tokens per forward pass (batch size × longest sequence).
    pub max_batch_tokens: usize,
    /// Sequences per forward pass.
    pub max_batch_size: usize,
    /// Tokens shared by consecutive windows of a long text.
    pub window_overlap: usize,
    /// Draw a progress bar on stderr (only shown on a terminal).
    pub progress: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            max_batch_tokens: 4096,
            max_batch_size: 256,
            window_overlap: 64,
            progress: true,
        }
    }
}

/// One unit vector per input text, in input order, with how each was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    pub dim: usize,
    /// Row-major `[texts, dim]`.
    pub vectors: Vec<f32>,
    /// Windows of at most the model's length that each text was cut into.
    pub windows: Vec<u32>,
    /// Tokens of each text, markers and prefix included (summed over windows).
    pub tokens: Vec<u32>,
    /// Texts answered by the cache (no model work).
    pub cache_hits: usize,
    /// Distinct texts that went through the model.
    pub computed: usize,
}

impl Embeddings {
    pub fn rows(&self) -> Rows<'_> {
        Rows::new(&self.vectors, self.dim)
    }
    pub fn row(&self, i: usize) -> &[f32] {
        self.rows().row(i)
    }
    pub fn len(&self) -> usize {
        self.windows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// One model input: markers, optional prefix, and a slice of a text's tokens.
struct Window {
    text: usize,
    ids: Vec<u32>,
}

pub struct Embedder<'m> {
    model: &'m LoadedModel,
    cache: Option<EmbeddingCache>,
    options: EmbedOptions,
}

impl<'m> Embedder<'m> {
    pub fn new(
        model: &'m LoadedModel,
        cache: Option<EmbeddingCache>,
        options: EmbedOptions,
    ) -> Self {
        Self {
            model,
            cache,
            options,
        }
    }

    pub fn cache(&self) -> Option<&EmbeddingCache> {
        self.cache.as_ref()
    }

    /// The token ids the model sees for `text` when it fits in one window (markers included).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let tok = &self.model.tokenizer;
        let mut ids = vec![tok.cls];
        ids.extend(tok.content_ids(&format!("{}{text}", self.model.info.prefix))?);
        ids.push(tok.sep);
        Ok(ids)
    }

    /// Cuts one text into windows that fit the model, repeating the prefix in each.
    fn windows(&self, text_index: usize, text: &str, prefix_ids: &[u32]) -> Result<Vec<Window>> {
        let tok = &self.model.tokenizer;
        let info = &self.model.info;
        let content = tok.content_ids(&format!("{}{text}", info.prefix))?;
        let room = info.max_sequence - 2;
        let wrap = |body: &[u32], with_prefix: bool| {
            let mut ids = Vec::with_capacity(body.len() + prefix_ids.len() + 2);
            ids.push(tok.cls);
            if with_prefix {
                ids.extend_from_slice(prefix_ids);
            }
            ids.extend_from_slice(body);
            ids.push(tok.sep);
            Window {
                text: text_index,
                ids,
            }
        };
        if content.len() <= room {
            return Ok(vec![wrap(&content, false)]);
        }
        let prefix_len = if content.starts_with(prefix_ids) {
            prefix_ids.len()
        } else {
            0
        };
        let body = &content[prefix_len..];
        let span = room - prefix_len;
        let stride = span.saturating_sub(self.options.window_overlap).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let end = (start + span).min(body.len());
            out.push(wrap(&body[start..end], prefix_len > 0));
            if end == body.len() {
                break;
            }
            start += stride;
        }
        Ok(out)
    }

    /// Embeds `texts`; identical texts are computed once, cached ones not at all.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Embeddings> {
        let (distinct, slots) = first_seen(texts);
        let mut results: Vec<Option<Cached>> = distinct
            .iter()
            .map(|t| self.cache.as_ref().and_then(|c| c.get(t).cloned()))
            .collect();
        let from_cache: Vec<bool> = results.iter().map(Option::is_some).collect();
        let todo: Vec<usize> = (0..distinct.len())
            .filter(|&i| results[i].is_none())
            .collect();
        let prefix_ids = self.prefix_ids()?;
        let windows: Vec<Vec<Window>> = todo
            .par_iter()
            .map(|&i| self.windows(i, distinct[i], &prefix_ids))
            .collect::<Result<_>>()?;
        let mut windows: Vec<Window> = windows.into_iter().flatten().collect();
        // Equal lengths together (no padding); the index tie-break keeps it deterministic.
        windows.sort_by_key(|w| (w.ids.len(), w.text));
        self.run_windows(&windows, &distinct, &mut results)?;
        let mut out = self.gather(&slots, &results, &from_cache)?;
        out.computed = todo.len();
        Ok(out)
    }

    /// The prefix's own tokens ("query:"), repeated at the start of every window of a long text.
    fn prefix_ids(&self) -> Result<Vec<u32>> {
        let p = self.model.info.prefix.trim_end();
        if p.is_empty() {
            Ok(Vec::new())
        } else {
            self.model.tokenizer.content_ids(p)
        }
    }

    /// Runs the model on the sorted windows and fills `results` for their texts, persisting each
    /// text to the cache as soon as all its windows are done (so a killed run resumes from there).
    fn run_windows(
        &mut self,
        windows: &[Window],
        distinct: &[&str],
        results: &mut [Option<Cached>],
    ) -> Result<()> {
        let dim = self.model.info.dim;
        let batches = plan_batches(windows, &self.options);
        let mut sums: HashMap<usize, (Vec<f32>, u32, u32)> = HashMap::new();
        // Where each text's last window lies in the sorted order: a text is done once the batches
        // have passed it. (Scanning the remaining windows for every pending text instead was
        // quadratic in the number of texts.)
        let mut last_window = vec![0usize; distinct.len()];
        for (i, w) in windows.iter().enumerate() {
            last_window[w.text] = i;
        }
        let progress = self.progress_bar(windows.len());
        // Batches run side by side, one per thread, each single-threaded inside the encoder: on a
        // few cores this beats splitting every matmul across threads (no barrier per operation).
        // A group holds several batches per thread, taken by whichever thread is free: batches
        // hold the texts of one token count, so their costs differ, and with one batch per thread
        // between flushes the threads waited on each other (1,000 contribution passages: 1.59×
        // the one-thread speed on 2 cores; more in METHODS.md, Measured speed).
        let parallel = rayon::current_num_threads().max(1) * BATCHES_PER_THREAD;
        for group in batches.chunks(parallel) {
            let pooled: Vec<Vec<(Vec<f32>, u32)>> = group
                .par_iter()
                .map(|&(start, end)| {
                    self.forward_batch(&windows[start..end], windows[end - 1].ids.len())
                })
                .collect::<Result<_>>()?;
            for (&(start, end), pooled) in group.iter().zip(pooled) {
                for (w, (vec, count)) in windows[start..end].iter().zip(pooled) {
                    let entry = sums.entry(w.text).or_insert_with(|| (vec![0.0; dim], 0, 0));
                    for (a, b) in entry.0.iter_mut().zip(&vec) {
                        *a += b;
                    }
                    entry.1 += count;
                    entry.2 += 1;
                }
                progress.inc((end - start) as u64);
            }
            let done_up_to = group.last().map_or(0, |&(_, end)| end);
            if self.cache.is_some() {
                let done = finish(&mut sums, results, |t| last_window[t] < done_up_to);
                let entries = done.into_iter().map(|(t, c)| (distinct[t], c)).collect();
                if let Some(cache) = &mut self.cache {
                    cache.append(entries)?;
                }
            }
        }
        progress.finish_and_clear();
        finish(&mut sums, results, |_| true);
        Ok(())
    }

    /// One vector per input text, from the distinct texts' results.
    fn gather(
        &self,
        slots: &[usize],
        results: &[Option<Cached>],
        from_cache: &[bool],
    ) -> Result<Embeddings> {
        let dim = self.model.info.dim;
        let mut out = Embeddings {
            dim,
            vectors: Vec::with_capacity(slots.len() * dim),
            windows: Vec::with_capacity(slots.len()),
            tokens: Vec::with_capacity(slots.len()),
            cache_hits: 0,
            computed: 0,
        };
        for &slot in slots {
            let c = results[slot].as_ref().context("a text was not embedded")?;
            out.cache_hits += usize::from(from_cache[slot]);
            if c.vector.len() != dim {
                bail!(
                    "cached vector has {} dimensions, expected {dim}",
                    c.vector.len()
                );
            }
            out.vectors.extend_from_slice(&c.vector);
            out.windows.push(c.windows);
            out.tokens.push(c.tokens);
        }
        Ok(out)
    }

    /// Runs one padded batch; returns, per window, its pooled sum (or CLS vector × length) and length.
    fn forward_batch(&self, batch: &[Window], len: usize) -> Result<Vec<(Vec<f32>, u32)>> {
        let pad = self.model.tokenizer.pad;
        let mut ids = Vec::with_capacity(batch.len() * len);
        let mut mask = Vec::with_capacity(batch.len() * len);
        for w in batch {
            ids.extend_from_slice(&w.ids);
            ids.extend(std::iter::repeat_n(pad, len - w.ids.len()));
            mask.extend(std::iter::repeat_n(1u8, w.ids.len()));
            mask.extend(std::iter::repeat_n(0u8, len - w.ids.len()));
        }
        let encoder = &self.model.encoder;
        let hidden = encoder.forward(&ids, &mask, batch.len(), len)?;
        let pooled = match self.model.info.pooling {
            Pooling::Mean => BertEncoder::pooled_sums(&hidden, &mask, batch.len(), len)?,
            Pooling::Cls => BertEncoder::first_token(&hidden)?,
        };
        let rows: Vec<Vec<f32>> = pooled.to_vec2()?;
        Ok(rows
            .into_iter()
            .zip(batch)
            .map(|(mut v, w)| {
                let n = w.ids.len() as u32;
                if self.model.info.pooling == Pooling::Cls {
                    // Weight a window's CLS vector by its length, like the token sums of mean pooling.
                    v.iter_mut().for_each(|x| *x *= n as f32);
                }
                (v, n)
            })
            .collect())
    }

    fn progress_bar(&self, total: usize) -> indicatif::ProgressBar {
        if !self.options.progress {
            return indicatif::ProgressBar::hidden();
        }
        crate::progress::bar(total as u64, "embedding", "windows")
    }
}

/// Distinct texts in first-seen order, and the distinct slot of every text.
fn first_seen<'t>(texts: &[&'t str]) -> (Vec<&'t str>, Vec<usize>) {
    let mut slot_of: HashMap<&str, usize> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let slots = texts
        .iter()
        .map(|&t| {
            *slot_of.entry(t).or_insert_with(|| {
                distinct.push(t);
                distinct.len() - 1
            })
        })
        .collect();
    (distinct, slots)
}

/// Moves the texts whose windows are all summed (`done(text)`) from `sums` into `results`, in
/// text order; returns them for the cache.
fn finish(
    sums: &mut HashMap<usize, (Vec<f32>, u32, u32)>,
    results: &mut [Option<Cached>],
    done: impl Fn(usize) -> bool,
) -> Vec<(usize, Cached)> {
    let mut finished: Vec<usize> = sums.keys().copied().filter(|&t| done(t)).collect();
    finished.sort_unstable();
    finished
        .into_iter()
        .map(|t| {
            let (sum, count, nwin) = sums.remove(&t).expect("a key just listed");
            let c = Cached {
                windows: nwin,
                tokens: count,
                vector: normalize(sum, count),
            };
            results[t] = Some(c.clone());
            (t, c)
        })
        .collect()
}

/// Batches per thread between two flushes of the cache (see `run_windows`).
const BATCHES_PER_THREAD: usize = 8;

/// Consecutive `[start, end)` ranges of the length-sorted windows. Only windows of one length share
/// a batch: without padding, a text's vector does not depend on its batch-mates, so cached and fresh
/// vectors are bit-identical.
fn plan_batches(windows: &[Window], options: &EmbedOptions) -> Vec<(usize, usize)> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < windows.len() {
        let len = windows[start].ids.len();
        let mut end = start + 1;
        while end < windows.len()
            && windows[end].ids.len() == len
            && (end - start + 1) * len <= options.max_batch_tokens
            && end - start < options.max_batch_size
        {
            end += 1;
        }
        batches.push((start, end));
        start = end;
    }
    batches
}

/// Mean from a sum and a count, then unit length.
fn normalize(mut sum: Vec<f32>, count: u32) -> Vec<f32> {
    let count = count.max(1) as f32;
    sum.iter_mut().for_each(|x| *x /= count);
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|x| *x /= norm);
    sum
}

/// Sets the worker threads for a process that embeds: `requested` (at least 1), else
/// `RAYON_NUM_THREADS`, else every core. The embedder runs one batch per thread, so candle itself
/// must stay single-threaded: it reads these variables before any of its threads exist. rayon's
/// own pool gets the real count. Returns it.
///
/// # Safety
/// It sets environment variables: no other thread may be running (call it first thing in `main`).
pub unsafe fn init_threads(requested: Option<usize>) -> usize {
    let threads = requested
        .or_else(|| std::env::var("RAYON_NUM_THREADS").ok()?.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // SAFETY: the caller guarantees that no other thread runs yet (this function's contract).
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", "1");
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    threads
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_gives_unit_vectors() {
        let v = normalize(vec![3.0, 4.0], 2);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }
}
