//! Vectors computed elsewhere (`verbatim embed --shard`, a GPU job, another tool): the shard a
//! row belongs to, and the tables matched to the input by id and checked.

use std::collections::HashMap;

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

use super::embedder::Embeddings;
use crate::linalg::Rows;

/// Vectors read from an embeddings file (`verbatim embed`'s, or another tool's), row-major.
#[derive(Clone)]
pub struct EmbeddingTable {
    pub ids: Vec<String>,
    pub dim: usize,
    pub vectors: Vec<f32>,
    /// The checkpoint that made them, when the file says (verbatim's own files do).
    pub model_sha256: Option<String>,
}

impl EmbeddingTable {
    pub fn row(&self, i: usize) -> &[f32] {
        Rows::new(&self.vectors, self.dim).row(i)
    }
}

/// The shard (of `count`) a row belongs to, from its id's SHA-256: any machine, any order of the
/// rows, gives the same answer, so `embed --shard K/N` on N machines covers every row once.
pub fn shard_of(id: &str, count: usize) -> usize {
    let digest = Sha256::digest(id.as_bytes());
    let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (head % count.max(1) as u64) as usize
}

/// Up to five items and how many more, for error messages.
fn some_of(items: &[&str]) -> String {
    let shown: Vec<&str> = items.iter().take(5).copied().collect();
    match items.len() - shown.len() {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// The vectors of `needed` (ids, in order) taken from files embedded elsewhere. Every id of the
/// files must be one of `known` (the input's ids) and every needed id must be found exactly once;
/// vectors must have the model's `dim` and, when a file names its model, come from `model_sha256`.
pub fn from_tables(
    tables: &[(String, EmbeddingTable)],
    needed: &[&str],
    known: &std::collections::HashSet<&str>,
    dim: usize,
    model_sha256: &str,
) -> Result<Embeddings> {
    let mut found: HashMap<&str, (usize, usize)> = HashMap::new();
    for (t, (name, table)) in tables.iter().enumerate() {
        if !table.ids.is_empty() && table.dim != dim {
            bail!(
                "{name}: vectors have {} dimensions, the model has {dim}: embed with the same model as this run (--model)",
                table.dim
            );
        }
        if let Some(sha) = &table.model_sha256
            && sha != model_sha256
        {
            bail!(
                "{name}: vectors were made by the model with sha256 {sha}, this run uses {model_sha256}: pass the same --model"
            );
        }
        let extra: Vec<&str> = table
            .ids
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .collect();
        if !extra.is_empty() {
            bail!(
                "{name}: {} ids are not in the input: {}",
                extra.len(),
                some_of(&extra)
            );
        }
        for (row, id) in table.ids.iter().enumerate() {
            if let Some((other, other_row)) = found.insert(id, (t, row)) {
                bail!(
                    "id {id} has two vectors: {} row {} and {name} row {}",
                    tables[other].0,
                    other_row + 1,
                    row + 1
                );
            }
        }
    }
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|id| !found.contains_key(id))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} ids of the input have no vector in the embeddings files: {}",
            missing.len(),
            some_of(&missing)
        );
    }
    let mut vectors = Vec::with_capacity(needed.len() * dim);
    for id in needed {
        let (t, row) = found[id];
        vectors.extend_from_slice(tables[t].1.row(row));
    }
    Ok(Embeddings {
        dim,
        vectors,
        windows: vec![0; needed.len()],
        tokens: vec![0; needed.len()],
        cache_hits: 0,
        computed: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_id_once_and_split_evenly() {
        let ids: Vec<String> = (0..3000).map(|i| format!("row-{i}")).collect();
        let mut sizes = [0usize; 3];
        for id in &ids {
            let s = shard_of(id, 3);
            assert_eq!(s, shard_of(id, 3));
            sizes[s] += 1;
        }
        assert_eq!(sizes.iter().sum::<usize>(), 3000);
        assert!(sizes.iter().all(|&n| (900..1100).contains(&n)), "{sizes:?}");
        // Fixed by the id alone (a change here would break mixing parts of two versions).
        assert_eq!((shard_of("row-1", 7), shard_of("row-1", 1000)), (5, 933));
    }

    #[test]
    fn external_vectors_are_matched_by_id_and_checked() {
        let table = |ids: &[&str], dim: usize, sha: Option<&str>| EmbeddingTable {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            dim,
            vectors: (0..ids.len() * dim).map(|x| x as f32).collect(),
            model_sha256: sha.map(str::to_string),
        };
        let known: std::collections::HashSet<&str> = ["a", "b", "c"].into_iter().collect();
        let parts = vec![
            ("p1".to_string(), table(&["b"], 2, Some("m"))),
            ("p2".to_string(), table(&["a", "c"], 2, None)),
        ];
        let emb = from_tables(&parts, &["a", "b"], &known, 2, "m").unwrap();
        assert_eq!(emb.vectors, vec![0.0, 1.0, 0.0, 1.0]);
        let err = |parts: &[(String, EmbeddingTable)], needed: &[&str]| {
            from_tables(parts, needed, &known, 2, "m")
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(&parts[..1], &["a", "b"])
                .contains("1 ids of the input have no vector in the embeddings files: a")
        );
        let extra = vec![("p3".to_string(), table(&["a", "zz"], 2, None))];
        assert!(err(&extra, &["a"]).contains("p3: 1 ids are not in the input: zz"));
        let twice = vec![parts[0].clone(), parts[0].clone()];
        assert!(err(&twice, &["b"]).contains("id b has two vectors"));
        let wide = vec![("p4".to_string(), table(&["a"], 3, None))];
        assert!(err(&wide, &["a"]).contains("p4: vectors have 3 dimensions, the model has 2"));
        let other = vec![("p5".to_string(), table(&["a"], 2, Some("x")))];
        assert!(err(&other, &["a"]).contains("p5: vectors were made by the model with sha256 x"));
    }
}
