//! Passages: long texts cut into passages at French sentence ends (`cut`), whole texts or
//! passages as the unit of analysis (`stage`), and what each document raises from its passages
//! (`aggregate`).

pub mod aggregate;
pub mod cut;
pub mod stage;
