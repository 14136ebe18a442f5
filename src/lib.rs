//! verbatim: French testimonies in, themes mapped onto policy categories out, with the quotes that
//! report writers need. The pipeline runs one way, one module per stage, wired in `pipeline`:
//!
//! `ingest` (read the file) → `model` (load the encoder) → `embed` (texts to vectors) → `cluster`
//! (themes) → `map` (categories of the `taxonomy`) → `describe` (keywords, titles, quotes) →
//! `table` (write the Polars tables) and `record` (run.json) → `report` (HTML and Markdown).
//! `evaluate` compares a run with a manual tagging.
//!
//! Shared helpers: `linalg` (row matrices, blocked products), `rng`, `text` (cleaning, folding,
//! language), `digest` (sha256), `privacy` (pseudonymisation).

pub mod cluster;
pub mod describe;
pub mod digest;
pub mod documents;
pub mod embed;
pub mod evaluate;
pub mod ingest;
pub mod kind;
pub mod labels;
pub mod linalg;
pub mod map;
pub mod model;
pub mod passages;
pub mod paths;
pub mod pipeline;
pub mod privacy;
pub mod progress;
pub mod record;
pub mod report;
pub mod rng;
pub mod sample;
pub mod sheet;
pub mod table;
pub mod taxonomy;
pub mod text;
pub mod titles;
pub mod xlsx;
