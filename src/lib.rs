//! verbatim: French testimonies in, themes mapped onto policy categories out, with the quotes that
//! report writers need. The pipeline runs one way, one module per stage:
//!
//! `ingest` (read the file) → `model` (load the encoder) → `embed` (texts to vectors) → `cluster`
//! (themes) → `describe` (keywords, titles, quotes) → `map` (categories of the `taxonomy`) → `table`
//! (write the Polars tables).

pub mod cluster;
pub mod describe;
pub mod embed;
pub mod evaluate;
pub mod ingest;
pub mod map;
pub mod model;
pub mod pipeline;
pub mod privacy;
pub mod report;
pub mod table;
pub mod taxonomy;
