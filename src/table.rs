//! Every use of the Polars API lives here: reading Parquet input and writing the output tables, so
//! that a change in Polars' fast-moving API touches one file.

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use polars::prelude::{
    AnyValue, Column, DataFrame, DataType, Float32Type, IntoSeries, ListBuilderTrait,
    ListPrimitiveChunkedBuilder, ParquetCompression, ParquetReader, ParquetWriter, SerReader,
};

use crate::embed::Embeddings;
use crate::ingest::TextColumn;

/// Writes through a temporary file in the same directory, renamed into place when complete:
/// a failed or killed run leaves the previous file or none, never half a file.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".verbatim-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    write(tmp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("cannot move the output into place at {}", path.display()))?;
    Ok(())
}

/// Reads a Parquet file with every column rendered as text (the corpus keeps inputs as text).
pub fn read_parquet_as_text(path: &Path) -> Result<Vec<TextColumn>> {
    let df = read_parquet(path)?;
    df.columns()
        .iter()
        .map(|col| {
            let name = col.name().to_string();
            let values = match col.cast(&DataType::String) {
                Ok(text) => text
                    .str()
                    .map_err(anyhow::Error::from)?
                    .iter()
                    .map(|v| v.filter(|s| !s.is_empty()).map(str::to_string))
                    .collect(),
                // Nested values (lists, structs) have no cast to text: render them.
                Err(_) => (0..col.len())
                    .map(|i| match col.get(i) {
                        Ok(AnyValue::Null) => None,
                        Ok(v) => Some(v.to_string()),
                        Err(_) => None,
                    })
                    .collect(),
            };
            Ok(TextColumn { name, values })
        })
        .collect()
}

/// `id`, `embedding` (list of f32), `windows`, `tokens`: one row per input row, in input order.
pub fn write_embeddings(path: &Path, ids: &[String], emb: &Embeddings) -> Result<()> {
    if ids.len() != emb.len() {
        bail!("{} ids for {} embeddings", ids.len(), emb.len());
    }
    let mut list = ListPrimitiveChunkedBuilder::<Float32Type>::new(
        "embedding".into(),
        ids.len(),
        ids.len() * emb.dim,
        DataType::Float32,
    );
    for i in 0..emb.len() {
        list.append_slice(emb.row(i));
    }
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            list.finish().into_series().into(),
            Column::new("windows".into(), &emb.windows),
            Column::new("tokens".into(), &emb.tokens),
        ],
    )?;
    write_parquet(path, &mut df)
}

/// Reads `id` and `embedding` columns written by [`write_embeddings`] or by another tool.
pub fn read_embeddings(path: &Path) -> Result<(Vec<String>, Vec<Vec<f32>>)> {
    let df = read_parquet(path)?;
    let ids = df
        .column("id")
        .with_context(|| format!("{} has no id column", path.display()))?
        .cast(&DataType::String)?;
    let ids: Vec<String> = ids
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect();
    let emb = df
        .column("embedding")
        .with_context(|| format!("{} has no embedding column", path.display()))?
        .cast(&DataType::List(Box::new(DataType::Float32)))?;
    let mut vectors = Vec::with_capacity(ids.len());
    let lists = emb.list()?;
    for row in 0..lists.len() {
        let v = lists
            .get_as_series(row)
            .with_context(|| format!("{}: row {} has no embedding", path.display(), row + 1))?;
        vectors.push(v.f32()?.iter().map(|x| x.unwrap_or(f32::NAN)).collect());
    }
    Ok((ids, vectors))
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    anyhow::Context::with_context(ParquetReader::new(file).finish(), || {
        format!("{} is not a readable Parquet file", path.display())
    })
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)?;
        Ok(())
    })
}
