//! The stages of `verbatim run`, in the order data flows through them. Each folder holds a stage's
//! algorithms and, in `stage.rs`, its wiring: the one function [`crate::pipeline::run`] calls, taking
//! the earlier stages' typed values and returning its own.
//!
//! read → passages → embed → categories → themes → curate → describe → write

pub mod categories;
pub mod curate;
pub mod describe;
pub mod embed;
pub mod passages;
pub mod read;
pub mod themes;
pub mod write;
