//! Vectors as Parquet: `verbatim embed`'s output, the shards, the cache's texts.

use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::{
    Column, DataFrame, DataType, Float32Type, IntoSeries, ListBuilderTrait,
    ListPrimitiveChunkedBuilder,
};

use super::{read_parquet, write_parquet};
use crate::stages::embed::embedder::Embeddings;
use crate::stages::embed::vectors::EmbeddingTable;

/// `id`, `embedding` (list of f32), `windows`, `tokens`: one row per input row, in input order.
/// Writes one row per id: `id`, `embedding` (list of f32), `windows`, `tokens`, and `model_sha256`
/// (the checkpoint that made the vectors, so that a later run can refuse vectors from another).
pub fn write_embeddings(
    path: &Path,
    ids: &[String],
    emb: &Embeddings,
    model_sha256: &str,
) -> Result<()> {
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
            Column::new("model_sha256".into(), vec![model_sha256; ids.len()]),
        ],
    )?;
    write_parquet(path, &mut df)
}

/// Writes a table of testimonies (`id`, `text`), e.g. a synthetic consultation for benchmarks.
pub fn write_texts(path: &Path, ids: &[String], texts: &[String]) -> Result<()> {
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            Column::new("text".into(), texts),
        ],
    )?;
    write_parquet(path, &mut df)
}

/// Reads `id` and `embedding` (a list or fixed-size array of floats) from a file written by
/// `verbatim embed` or by another tool. Every row must have the same number of values.
pub fn read_embeddings(path: &Path) -> Result<EmbeddingTable> {
    let df = read_parquet(path)?;
    let ids = df
        .column("id")
        .with_context(|| format!("{}: no column `id`", path.display()))?
        .cast(&DataType::String)?;
    let ids: Vec<String> = ids
        .str()?
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(str::to_string).with_context(|| {
                format!("{}: row {}, column id: empty id", path.display(), row + 1)
            })
        })
        .collect::<Result<_>>()?;
    let column = df
        .column("embedding")
        .with_context(|| format!("{}: no column `embedding`", path.display()))?;
    let lists = column
        .cast(&DataType::List(Box::new(DataType::Float32)))
        .with_context(|| {
            format!(
                "{}: column embedding is {}, expected a list of numbers",
                path.display(),
                column.dtype()
            )
        })?;
    let lists = lists.list()?.rechunk();
    let mut dim = None;
    let mut vectors = Vec::new();
    for (row, v) in lists.amortized_iter().enumerate() {
        let where_ = || format!("{}: row {}, column embedding", path.display(), row + 1);
        let v = v.with_context(|| format!("{}: missing vector", where_()))?;
        let values = v.as_ref().f32()?;
        let n = values.len();
        match dim {
            None => dim = Some(n),
            Some(d) if d != n => bail!("{}: {n} values, the rows before have {d}", where_()),
            _ => {}
        }
        for x in values.iter() {
            match x {
                Some(x) if x.is_finite() => vectors.push(x),
                _ => bail!("{}: a missing or non-finite value", where_()),
            }
        }
    }
    let model_sha256 = match df.column("model_sha256") {
        Ok(c) => c.str()?.get(0).map(str::to_string),
        Err(_) => None,
    };
    Ok(EmbeddingTable {
        ids,
        dim: dim.unwrap_or(0),
        vectors,
        model_sha256,
    })
}
