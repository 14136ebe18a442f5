//! Texts to unit vectors. Batching, long-text windows, pooling and the embedding cache live
//! here; the transformer itself is in `model::bert`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::digest::hex;
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

/// A finished text embedding as stored in the cache.
#[derive(Debug, Clone, PartialEq)]
struct Cached {
    windows: u32,
    tokens: u32,
    vector: Vec<f32>,
}

/// Append-only file of embeddings keyed by a hash of (model checksum, prefix, text): a second run on
/// the same texts does no model work, and a run killed midway resumes from what it had written.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    entries: HashMap<[u8; 16], Cached>,
    /// Most bytes the whole cache directory may hold.
    max_bytes: u64,
}

impl EmbeddingCache {
    /// Opens (or starts) the cache file for this model and prefix inside `dir`.
    /// The cache of one model, prefix and engine (see [`crate::model::kernels::engine_id`]).
    pub fn open(
        dir: &Path,
        model_sha256: &str,
        prefix: &str,
        engine: &str,
        dim: usize,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create cache directory {}", dir.display()))?;
        let tag = Sha256::digest(format!("{model_sha256}\0{prefix}\0{engine}").as_bytes());
        let path = dir.join(format!("emb-{}-{dim}.bin", &hex(&tag)[..16]));
        let mut entries = HashMap::new();
        if path.exists() {
            let data = std::fs::read(&path)
                .with_context(|| format!("cannot read cache {}", path.display()))?;
            let record = 16 + 8 + dim * 4;
            // A run killed while appending leaves a partial last record: ignore it.
            for chunk in data.chunks_exact(record) {
                let key: [u8; 16] = chunk[..16].try_into().unwrap();
                let windows = u32::from_le_bytes(chunk[16..20].try_into().unwrap());
                let tokens = u32::from_le_bytes(chunk[20..24].try_into().unwrap());
                let vector = chunk[24..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect();
                entries.insert(
                    key,
                    Cached {
                        windows,
                        tokens,
                        vector,
                    },
                );
            }
            if data.len() % record != 0 {
                let keep = data.len() - data.len() % record;
                let file = std::fs::OpenOptions::new().write(true).open(&path)?;
                file.set_len(keep as u64)?;
            }
        }
        // Opening counts as a use, for the least-recently-used order of the size limit.
        if path.exists() {
            let now = std::time::SystemTime::now();
            let file = std::fs::OpenOptions::new().append(true).open(&path)?;
            file.set_modified(now)?;
        }
        Ok(Self {
            path,
            dim,
            entries,
            max_bytes: u64::MAX,
        })
    }

    /// The cache of a model in the cache directory ([`cache_dir`]), kept under `max_bytes`:
    /// the files of other models, prefixes or engines least recently used go first.
    pub fn for_model(model: &LoadedModel, max_bytes: u64) -> Result<Self> {
        let mut cache = Self::open(
            &cache_dir(),
            &model.info.sha256,
            &model.info.prefix,
            &model.engine_id(),
            model.info.dim,
        )?;
        cache.limit(max_bytes)?;
        Ok(cache)
    }

    /// Keeps the cache directory under `max_bytes` from now on (making room at once).
    pub fn limit(&mut self, max_bytes: u64) -> Result<()> {
        self.max_bytes = max_bytes;
        self.make_room(0)
    }

    /// Removes least recently used cache files (never this one while it fits alone) until the
    /// directory can take `extra` more bytes; if this file alone would not fit, it is emptied.
    fn make_room(&mut self, extra: u64) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut files = cache_files(dir)?;
        let mut total: u64 = files.iter().map(|f| f.bytes).sum();
        // Oldest first: the order they go in.
        files.sort_by_key(|f| f.modified);
        for f in files.iter().filter(|f| f.path != self.path) {
            if total + extra <= self.max_bytes {
                return Ok(());
            }
            std::fs::remove_file(&f.path)
                .with_context(|| format!("cannot remove cache file {}", f.path.display()))?;
            log::info!(
                "embedding cache over its limit: removed {}",
                f.path.display()
            );
            total -= f.bytes;
        }
        if total + extra > self.max_bytes && self.path.exists() {
            std::fs::remove_file(&self.path)?;
            log::info!(
                "embedding cache: {} alone exceeds the limit; started afresh",
                self.path.display()
            );
            self.entries.clear();
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn key(text: &str) -> [u8; 16] {
        Sha256::digest(text.as_bytes())[..16].try_into().unwrap()
    }

    fn get(&self, text: &str) -> Option<&Cached> {
        self.entries.get(&Self::key(text))
    }

    /// Appends new entries in one write, then syncs, so each batch is either whole or cut at a
    /// record the next open discards.
    fn append(&mut self, new: Vec<(&str, Cached)>) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let record = 24 + self.dim * 4;
        let bytes = (new.len() * record) as u64;
        self.make_room(bytes)?;
        if bytes > self.max_bytes {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(new.len() * record);
        for (text, c) in &new {
            buf.extend_from_slice(&Self::key(text));
            buf.extend_from_slice(&c.windows.to_le_bytes());
            buf.extend_from_slice(&c.tokens.to_le_bytes());
            for v in &c.vector {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot write cache {}", self.path.display()))?;
        file.write_all(&buf)?;
        file.sync_data()?;
        for (text, c) in new {
            self.entries.insert(Self::key(text), c);
        }
        Ok(())
    }
}

/// Default limit of the embedding cache directory (about 2.5 million e5-small vectors at 1,560 bytes each).
pub const DEFAULT_CACHE_MAX_GB: f64 = 4.0;

/// Where embedding caches live: `cache/` in the models directory.
pub fn cache_dir() -> PathBuf {
    crate::model::models_dir().join("cache")
}

/// One cache file (one model, prefix and engine).
#[derive(Debug, Clone)]
pub struct CacheFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: std::time::SystemTime,
}

/// The cache files of `dir` (`emb-*.bin`), in name order; none when it does not exist.
pub fn cache_files(dir: &Path) -> Result<Vec<CacheFile>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("emb-") && name.ends_with(".bin")) {
            continue;
        }
        let meta = entry.metadata()?;
        files.push(CacheFile {
            path: entry.path(),
            bytes: meta.len(),
            modified: meta.modified()?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Gigabytes (10⁹ bytes) as bytes.
pub fn gigabytes(gb: f64) -> u64 {
    (gb.max(0.0) * 1e9) as u64
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
        let parallel = rayon::current_num_threads().max(1);
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

/// Vectors read from an embeddings file (`verbatim embed`'s, or another tool's), row-major.
#[derive(Clone)]
pub struct EmbeddingTable {
    pub ids: Vec<String>,
    pub dim: usize,
    pub vectors: Vec<f32>,
    /// The checkpoint that made them, when the file says (verbatim's own files do).
    pub model_sha256: Option<String>,
}

impl EmbeddingTable {
    pub fn row(&self, i: usize) -> &[f32] {
        Rows::new(&self.vectors, self.dim).row(i)
    }
}

/// The shard (of `count`) a row belongs to, from its id's SHA-256: any machine, any order of the
/// rows, gives the same answer, so `embed --shard K/N` on N machines covers every row once.
pub fn shard_of(id: &str, count: usize) -> usize {
    let digest = Sha256::digest(id.as_bytes());
    let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (head % count.max(1) as u64) as usize
}

/// Up to five items and how many more, for error messages.
fn some_of(items: &[&str]) -> String {
    let shown: Vec<&str> = items.iter().take(5).copied().collect();
    match items.len() - shown.len() {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// The vectors of `needed` (ids, in order) taken from files embedded elsewhere. Every id of the
/// files must be one of `known` (the input's ids) and every needed id must be found exactly once;
/// vectors must have the model's `dim` and, when a file names its model, come from `model_sha256`.
pub fn from_tables(
    tables: &[(String, EmbeddingTable)],
    needed: &[&str],
    known: &std::collections::HashSet<&str>,
    dim: usize,
    model_sha256: &str,
) -> Result<Embeddings> {
    let mut found: HashMap<&str, (usize, usize)> = HashMap::new();
    for (t, (name, table)) in tables.iter().enumerate() {
        if !table.ids.is_empty() && table.dim != dim {
            bail!(
                "{name}: vectors have {} dimensions, the model has {dim}: embed with the same model as this run (--model)",
                table.dim
            );
        }
        if let Some(sha) = &table.model_sha256 {
            if sha != model_sha256 {
                bail!(
                    "{name}: vectors were made by the model with sha256 {sha}, this run uses {model_sha256}: pass the same --model"
                );
            }
        }
        let extra: Vec<&str> = table
            .ids
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .collect();
        if !extra.is_empty() {
            bail!(
                "{name}: {} ids are not in the input: {}",
                extra.len(),
                some_of(&extra)
            );
        }
        for (row, id) in table.ids.iter().enumerate() {
            if let Some((other, other_row)) = found.insert(id, (t, row)) {
                bail!(
                    "id {id} has two vectors: {} row {} and {name} row {}",
                    tables[other].0,
                    other_row + 1,
                    row + 1
                );
            }
        }
    }
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|id| !found.contains_key(id))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} ids of the input have no vector in the embeddings files: {}",
            missing.len(),
            some_of(&missing)
        );
    }
    let mut vectors = Vec::with_capacity(needed.len() * dim);
    for id in needed {
        let (t, row) = found[id];
        vectors.extend_from_slice(tables[t].1.row(row));
    }
    Ok(Embeddings {
        dim,
        vectors,
        windows: vec![0; needed.len()],
        tokens: vec![0; needed.len()],
        cache_hits: 0,
        computed: 0,
    })
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
/// must stay single-threaded: it reads these variables before any of its threads exist, so this
/// runs first thing in `main`. rayon's own pool gets the real count. Returns it.
pub fn init_threads(requested: Option<usize>) -> usize {
    let threads = requested
        .or_else(|| std::env::var("RAYON_NUM_THREADS").ok()?.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    threads
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_id_once_and_split_evenly() {
        let ids: Vec<String> = (0..3000).map(|i| format!("row-{i}")).collect();
        let mut sizes = [0usize; 3];
        for id in &ids {
            let s = shard_of(id, 3);
            assert_eq!(s, shard_of(id, 3));
            sizes[s] += 1;
        }
        assert_eq!(sizes.iter().sum::<usize>(), 3000);
        assert!(sizes.iter().all(|&n| (900..1100).contains(&n)), "{sizes:?}");
        // Fixed by the id alone (a change here would break mixing parts of two versions).
        assert_eq!((shard_of("row-1", 7), shard_of("row-1", 1000)), (5, 933));
    }

    #[test]
    fn external_vectors_are_matched_by_id_and_checked() {
        let table = |ids: &[&str], dim: usize, sha: Option<&str>| EmbeddingTable {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            dim,
            vectors: (0..ids.len() * dim).map(|x| x as f32).collect(),
            model_sha256: sha.map(str::to_string),
        };
        let known: std::collections::HashSet<&str> = ["a", "b", "c"].into_iter().collect();
        let parts = vec![
            ("p1".to_string(), table(&["b"], 2, Some("m"))),
            ("p2".to_string(), table(&["a", "c"], 2, None)),
        ];
        let emb = from_tables(&parts, &["a", "b"], &known, 2, "m").unwrap();
        assert_eq!(emb.vectors, vec![0.0, 1.0, 0.0, 1.0]);
        let err = |parts: &[(String, EmbeddingTable)], needed: &[&str]| {
            from_tables(parts, needed, &known, 2, "m")
                .unwrap_err()
                .to_string()
        };
        assert!(err(&parts[..1], &["a", "b"])
            .contains("1 ids of the input have no vector in the embeddings files: a"));
        let extra = vec![("p3".to_string(), table(&["a", "zz"], 2, None))];
        assert!(err(&extra, &["a"]).contains("p3: 1 ids are not in the input: zz"));
        let twice = vec![parts[0].clone(), parts[0].clone()];
        assert!(err(&twice, &["b"]).contains("id b has two vectors"));
        let wide = vec![("p4".to_string(), table(&["a"], 3, None))];
        assert!(err(&wide, &["a"]).contains("p4: vectors have 3 dimensions, the model has 2"));
        let other = vec![("p5".to_string(), table(&["a"], 2, Some("x")))];
        assert!(err(&other, &["a"]).contains("p5: vectors were made by the model with sha256 x"));
    }

    #[test]
    fn normalize_gives_unit_vectors() {
        let v = normalize(vec![3.0, 4.0], 2);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn the_cache_directory_stays_under_its_limit_oldest_files_first() {
        let dir = tempfile::tempdir().unwrap();
        let old = |name: &str, age_s: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![0u8; 1000]).unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_s);
            let f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.set_modified(when).unwrap();
            path
        };
        let oldest = old("emb-aaaa-2.bin", 300);
        let older = old("emb-bbbb-2.bin", 200);
        let kept = old("emb-cccc-2.bin", 100);
        let other = old("notes.txt", 400);
        let mut cache = EmbeddingCache::open(dir.path(), "m", "p", "e", 2).unwrap();
        cache.limit(1100).unwrap();
        assert!(
            !oldest.exists() && !older.exists(),
            "the two oldest go first"
        );
        assert!(
            kept.exists() && other.exists(),
            "newer files and other files stay"
        );
        let c = Cached {
            windows: 1,
            tokens: 3,
            vector: vec![0.6, 0.8],
        };
        // 1000 + 32 bytes per record: the third and fourth do not fit beside `kept`, which goes.
        cache
            .append(vec![("a", c.clone()), ("b", c.clone())])
            .unwrap();
        assert!(kept.exists());
        cache
            .append(vec![("c", c.clone()), ("d", c.clone())])
            .unwrap();
        let total: u64 = cache_files(dir.path())
            .unwrap()
            .iter()
            .map(|f| f.bytes)
            .sum();
        assert!(total <= 1100, "{total} bytes");
        assert!(!kept.exists());
        // A record larger than the whole limit is not written at all.
        cache.limit(10).unwrap();
        cache.append(vec![("e", c)]).unwrap();
        assert!(
            cache_files(dir.path())
                .unwrap()
                .iter()
                .map(|f| f.bytes)
                .sum::<u64>()
                <= 10
        );
    }

    #[test]
    fn cache_round_trips_and_drops_a_partial_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), "abc", "query: ", "e", 3).unwrap();
        let c = Cached {
            windows: 1,
            tokens: 7,
            vector: vec![0.5, -0.25, 1.0],
        };
        cache.append(vec![("bonjour", c.clone())]).unwrap();
        // Simulate a run killed in the middle of the next append.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(cache.path())
            .unwrap();
        f.write_all(&[1, 2, 3, 4, 5]).unwrap();
        drop(f);
        let reopened = EmbeddingCache::open(dir.path(), "abc", "query: ", "e", 3).unwrap();
        assert_eq!(reopened.len(), 1);
        assert_eq!(reopened.get("bonjour"), Some(&c));
        assert_eq!(reopened.get("bonsoir"), None);
        // Another model or prefix uses another file.
        let other = EmbeddingCache::open(dir.path(), "abd", "query: ", "e", 3).unwrap();
        assert!(other.is_empty());
    }
}
