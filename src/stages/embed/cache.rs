//! The embedding cache: one append-only file per model, prefix and engine under the model's
//! folder, each record a text's hash and its vector; torn records (a killed run) are dropped on
//! reading, and the folder stays under its size limit, oldest files first.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::digest::hex;
use crate::model::LoadedModel;

/// A finished text embedding as stored in the cache.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cached {
    pub(super) windows: u32,
    pub(super) tokens: u32,
    pub(super) vector: Vec<f32>,
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

    pub(super) fn get(&self, text: &str) -> Option<&Cached> {
        self.entries.get(&Self::key(text))
    }

    /// Appends new entries in one write, then syncs, so each batch is either whole or cut at a
    /// record the next open discards.
    pub(super) fn append(&mut self, new: Vec<(&str, Cached)>) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
