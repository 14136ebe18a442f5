//! Stage 2: one vector per distinct text, from the model here or from files computed elsewhere,
//! and the same vectors centred on the corpus mean.

use anyhow::Result;

use crate::digest::sha256_file;
use crate::linalg::{self, Rows};
use crate::model::LoadedModel;
use crate::pipeline::{Prepared, VectorOptions};
use crate::stages::embed::cache::EmbeddingCache;
use crate::stages::embed::embedder::{EmbedOptions, Embedder, Embeddings};
use crate::stages::embed::vectors as embed;
use crate::stages::write::record::{EmbeddingsFile, EmbeddingsRecord};
use crate::stages::write::table;

/// The vectors of the distinct texts.
pub struct Embedded {
    /// Unit vectors as the model gives them.
    pub raw: Embeddings,
    /// The corpus mean of the raw vectors.
    pub mean: Vec<f32>,
    /// Raw vectors minus the mean, back to unit length. Sentence embeddings share a common
    /// direction (every pair has a cosine near 0.8): removing it makes distances reflect what
    /// distinguishes the testimonies.
    pub centred: Vec<f32>,
    pub record: EmbeddingsRecord,
}

impl Embedded {
    pub fn dim(&self) -> usize {
        self.raw.dim
    }
    pub fn raw_rows(&self) -> Rows<'_> {
        self.raw.rows()
    }
    pub fn centred_rows(&self) -> Rows<'_> {
        Rows::new(&self.centred, self.raw.dim)
    }
}

/// The batching embedder over the model, with the cache unless it is turned off.
pub fn embedder<'m>(model: &'m LoadedModel, options: &VectorOptions) -> Result<Embedder<'m>> {
    let cache = if options.use_cache {
        Some(EmbeddingCache::for_model(model, options.cache_max_bytes)?)
    } else {
        None
    };
    let embed_options = EmbedOptions {
        progress: options.progress,
        ..EmbedOptions::default()
    };
    Ok(Embedder::new(model, cache, embed_options))
}

pub fn embed(
    prepared: &Prepared,
    embedder: &mut Embedder,
    model: &LoadedModel,
    options: &VectorOptions,
) -> Result<Embedded> {
    let (raw, record) = if options.embeddings.is_empty() {
        from_model(prepared, embedder, model)?
    } else {
        from_files(prepared, options, model)?
    };
    let mean = linalg::mean_vector(raw.rows());
    let centred = linalg::center(raw.rows(), &mean);
    Ok(Embedded {
        raw,
        mean,
        centred,
        record,
    })
}

fn from_model(
    prepared: &Prepared,
    embedder: &mut Embedder,
    model: &LoadedModel,
) -> Result<(Embeddings, EmbeddingsRecord)> {
    let emb = embedder.embed(&prepared.texts())?;
    log::info!(
        "embedded {} distinct texts ({} from the cache)",
        emb.len(),
        emb.cache_hits
    );
    let record = EmbeddingsRecord::Model {
        engine: model.engine_id(),
        windows: emb.windows.iter().map(|&w| w as u64).sum(),
        long_texts: emb.windows.iter().filter(|&&w| w > 1).count(),
    };
    Ok((emb, record))
}

/// The vectors of the distinct rows read from `options.embeddings`, and their provenance.
fn from_files(
    prepared: &Prepared,
    options: &VectorOptions,
    model: &LoadedModel,
) -> Result<(Embeddings, EmbeddingsRecord)> {
    let mut tables = Vec::new();
    let mut files = Vec::new();
    for path in &options.embeddings {
        let table = table::read_embeddings(path)?;
        files.push(EmbeddingsFile {
            path: path.clone(),
            rows: table.ids.len(),
            sha256: sha256_file(path)?,
            model_sha256: table.model_sha256.clone(),
        });
        tables.push((path.display().to_string(), table));
    }
    let corpus = prepared.corpus;
    let needed: Vec<&str> = prepared
        .distinct
        .iter()
        .map(|&i| corpus.ids[i].as_str())
        .collect();
    let known: std::collections::HashSet<&str> = corpus.ids.iter().map(String::as_str).collect();
    let emb = embed::from_tables(&tables, &needed, &known, model.info.dim, &model.info.sha256)?;
    log::info!(
        "read the vectors of {} distinct texts from {} embeddings files",
        emb.len(),
        tables.len()
    );
    let record = EmbeddingsRecord::Files {
        dim: emb.dim,
        files,
    };
    Ok((emb, record))
}
