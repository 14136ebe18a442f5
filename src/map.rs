//! Stage 5: map testimonies and themes onto the categories of the taxonomy.
//!
//! Each category is described in the embedding space by a prototype: the mean of the embeddings of
//! its descriptors (name, description, each example). A testimony's score for a category is the
//! cosine to that prototype; its category is the best one.

use anyhow::Result;

use crate::cluster::dot;
use crate::embed::Embedder;
use crate::taxonomy::Taxonomy;

/// Unit prototypes of the categories, row-major `[categories, dim]`.
#[derive(Debug, Clone)]
pub struct Prototypes {
    pub dim: usize,
    pub vectors: Vec<f32>,
}

impl Prototypes {
    pub fn len(&self) -> usize {
        self.vectors.len() / self.dim.max(1)
    }
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }
    pub fn row(&self, c: usize) -> &[f32] {
        &self.vectors[c * self.dim..(c + 1) * self.dim]
    }
}

/// The texts that describe a category: "name. description", then each example.
pub fn descriptors(taxonomy: &Taxonomy) -> Vec<Vec<String>> {
    taxonomy
        .categories
        .iter()
        .map(|c| {
            let mut d = vec![format!("{}. {}", c.name, c.description)];
            d.extend(c.examples.iter().cloned());
            d
        })
        .collect()
}

/// Embeds the descriptors and averages them per category.
pub fn prototypes(embedder: &mut Embedder, taxonomy: &Taxonomy) -> Result<Prototypes> {
    let descriptors = descriptors(taxonomy);
    let flat: Vec<&str> = descriptors.iter().flatten().map(String::as_str).collect();
    let emb = embedder.embed(&flat)?;
    let dim = emb.dim;
    let mut vectors = Vec::with_capacity(descriptors.len() * dim);
    let mut row = 0;
    for d in &descriptors {
        let mut sum = vec![0f32; dim];
        for _ in d {
            for (s, x) in sum.iter_mut().zip(emb.row(row)) {
                *s += x;
            }
            row += 1;
        }
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        vectors.extend(sum.iter().map(|x| x / norm));
    }
    Ok(Prototypes { dim, vectors })
}

/// Scores of every point for every category, row-major `[points, categories]`.
pub fn scores(points: &[f32], dim: usize, prototypes: &Prototypes) -> Vec<f32> {
    points
        .chunks_exact(dim)
        .flat_map(|p| (0..prototypes.len()).map(move |c| dot(p, prototypes.row(c))))
        .collect()
}

/// Best category and its score for each row of a `[rows, categories]` score matrix.
pub fn best(scores: &[f32], categories: usize) -> Vec<(usize, f32)> {
    scores
        .chunks_exact(categories)
        .map(|row| {
            row.iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |b, (c, &s)| if s > b.1 { (c, s) } else { b },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_best_pick_the_nearest_prototype() {
        let protos = Prototypes {
            dim: 2,
            vectors: vec![1.0, 0.0, 0.0, 1.0],
        };
        let points = [0.6, 0.8, 1.0, 0.0];
        let s = scores(&points, 2, &protos);
        assert_eq!(s, [0.6, 0.8, 1.0, 0.0]);
        assert_eq!(best(&s, 2), [(1, 0.8), (0, 1.0)]);
    }

    #[test]
    fn descriptors_include_name_description_and_examples() {
        let t = Taxonomy::segur();
        let d = descriptors(&t);
        assert_eq!(d.len(), 4);
        assert!(d[0][0].starts_with("Transformer les métiers"));
        assert_eq!(d[0].len(), 1 + t.categories[0].examples.len());
    }
}
