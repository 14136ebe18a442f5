//! Agreement between the tool's labels and a manual tagging, with figures an analyst can
//! cite: classification scores with bootstrap intervals, abstentions, multi-label scores, and the
//! agreement of themes with the tags. One file a job: `read` the inputs, `matching` them,
//! `metrics` (the formulas, checked against published examples), `figures` (every figure of an
//! evaluation), `write` the files; `files` holds the flow and the typed `Evaluation`; `agreement`
//! the agreement between several taggers.

pub mod agreement;
mod figures;
pub mod files;
mod matching;
mod metrics;
mod read;
mod write;

pub use metrics::*;
