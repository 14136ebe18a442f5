//! Read: a table (CSV, Parquet, JSON Lines, spreadsheets) or a folder of documents into a corpus
//! (`ingest`, `documents`, `sheet`), then rows sorted into distinct texts, duplicates and
//! rejections (`stage`).

mod delimited;
pub mod documents;
mod encoding;
pub mod ingest;
pub mod sheet;
pub mod stage;
