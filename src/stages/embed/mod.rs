//! Embed: texts to unit vectors with the model (`embedder`: batching, windows, pooling), kept in
//! the embedding cache (`cache`), or vectors computed elsewhere (`vectors`), wired in `stage`.

pub mod cache;
pub mod embedder;
pub mod stage;
pub mod vectors;
