//! verbatim: French testimonies in, themes mapped onto policy categories out, with the quotes that
//! report writers need.
//!
//! `pipeline` runs `verbatim run`: the `stages` in the order data flows through them (read →
//! passages → embed → categories → themes → describe → write), each folder holding a stage's
//! algorithms and its wiring. `model` is the sentence encoder the embed stage runs. The commands
//! built on a run's output: `evaluate` (agreement with a manual tagging), `report` (HTML and
//! Markdown), `sample` (the tagging sheet).
//!
//! Shared by all: `taxonomy` (the categories), `labels` (the one label vocabulary), `privacy`
//! (pseudonymisation), `text` (cleaning, folding, language), `linalg`, `rng`, `digest`, `paths`,
//! `progress`.

pub mod digest;
pub mod evaluate;
pub mod labels;
pub mod linalg;
pub mod model;
pub mod paths;
pub mod pipeline;
pub mod privacy;
pub mod progress;
pub mod refi;
pub mod report;
pub mod rng;
pub mod sample;
pub mod stages;
pub mod taxonomy;
pub mod text;
pub mod who;
