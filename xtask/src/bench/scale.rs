//! `bench --scale-rows`: a synthetic consultation for the scale benchmark.

use anyhow::Result;
use verbatim::model;
use verbatim::rng::Rng;
use verbatim::stages::embed::cache::{DEFAULT_CACHE_MAX_GB, EmbeddingCache, gigabytes};
use verbatim::stages::embed::embedder::{EmbedOptions, Embedder, Embeddings};

/// Writes `rows` testimonies resampled from `texts` (each with one word dropped and one borrowed
/// from another, so that few are exact copies) and their vectors: the source's, plus uniform noise of amplitude 0.1 per
/// dimension (cosine about 0.9 to the source, so that they are not near-duplicates either).
pub fn write_scale_input(
    loaded: &model::LoadedModel,
    texts: &[&str],
    rows: usize,
    options: EmbedOptions,
    dir: &std::path::Path,
) -> Result<()> {
    let cache = EmbeddingCache::for_model(loaded, gigabytes(DEFAULT_CACHE_MAX_GB))?;
    let mut embedder = Embedder::new(loaded, Some(cache), options);
    let cleaned: Vec<std::borrow::Cow<str>> = texts
        .iter()
        .map(|t| verbatim::text::analysis_text(t))
        .collect();
    let cleaned: Vec<&str> = cleaned.iter().map(|t| t.as_ref()).collect();
    let source = embedder.embed(&cleaned)?;
    let dim = source.dim;
    let mut rng = Rng::new(1);
    let mut ids = Vec::with_capacity(rows);
    let mut out_texts = Vec::with_capacity(rows);
    let mut vectors = Vec::with_capacity(rows * dim);
    for i in 0..rows {
        let j = rng.below(texts.len());
        let words: Vec<&str> = texts[j].split(' ').collect();
        // One word dropped and one borrowed from another testimony: nearly every row is distinct.
        let drop = if words.len() > 3 {
            rng.below(words.len())
        } else {
            usize::MAX
        };
        let donor: Vec<&str> = texts[rng.below(texts.len())].split(' ').collect();
        let borrowed = donor[rng.below(donor.len())];
        let mut text: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|&(w, _)| w != drop)
            .map(|(_, w)| *w)
            .collect();
        text.insert(rng.below(text.len() + 1), borrowed);
        out_texts.push(text.join(" "));
        ids.push(format!("scale-{i:07}"));
        let v: Vec<f32> = source
            .row(j)
            .iter()
            .map(|x| x + 0.1 * (rng.next_f64() as f32 - 0.5))
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        vectors.extend(v.iter().map(|x| x / norm));
    }
    std::fs::create_dir_all(dir)?;
    let testimonies = dir.join(format!("testimonies-{rows}.parquet"));
    verbatim::stages::write::table::write_texts(&testimonies, &ids, &out_texts)?;
    let emb = Embeddings {
        dim,
        vectors,
        windows: vec![1; rows],
        tokens: vec![0; rows],
        cache_hits: 0,
        computed: 0,
    };
    let embeddings = dir.join(format!("embeddings-{rows}.parquet"));
    verbatim::stages::write::table::write_embeddings(&embeddings, &ids, &emb, &loaded.info.sha256)?;
    println!("{}\n{}", testimonies.display(), embeddings.display());
    Ok(())
}
