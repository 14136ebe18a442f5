//! Stage 3: themes. Near-duplicates (campaigns with small edits) are found first: they weigh
//! nothing in the clustering and the keywords, then take their original's theme.

use std::collections::HashMap;

use super::{Embedded, Prepared};
use crate::cluster::{self, ClusterOptions, Clustering, NearDuplicateOptions};
use crate::linalg::{dot, Rows};
use crate::text::fold;

pub struct Themes {
    pub clustering: Clustering,
    /// The original of each near-duplicate distinct text.
    pub near: Vec<Option<usize>>,
    /// Weight of each distinct text in themes and keywords (0 for near-duplicates).
    pub weights: Vec<f32>,
    /// Coordinates on the first two principal axes, for the report's map.
    pub projection: Vec<[f32; 2]>,
}

impl Themes {
    /// Distinct texts of a theme, in order.
    pub fn members(&self, theme: usize) -> Vec<usize> {
        (0..self.near.len())
            .filter(|&d| self.clustering.labels[d] == theme)
            .collect()
    }
}

pub fn find(
    prepared: &Prepared,
    embedded: &Embedded,
    near_options: &NearDuplicateOptions,
    options: &ClusterOptions,
) -> Themes {
    let points = embedded.centred_rows();
    let n = prepared.distinct.len();
    // Up to `whole_corpus_up_to` testimonies the whole corpus is searched (a campaign may straddle
    // two themes); above, each theme of a first clustering (a search across a million texts made
    // of frequent words would be quadratic).
    let first = (n > near_options.whole_corpus_up_to)
        .then(|| cluster::cluster(&points, &vec![1.0f32; n], options));
    let groups = first
        .as_ref()
        .map_or_else(|| vec![0; n], |c| c.labels.clone());
    // Same meaning is not enough: a copy also shares most of its words (paraphrases do not). Raw
    // vectors, not centred ones: a campaign large enough moves the corpus mean toward itself.
    let near = cluster::near_duplicates(
        &embedded.raw_rows(),
        &groups,
        &word_sets(&prepared.texts()),
        near_options,
    );
    let weights: Vec<f32> = near
        .iter()
        .map(|o| if o.is_some() { 0.0 } else { 1.0 })
        .collect();
    let mut clustering = match first {
        Some(first) if !near.iter().any(Option::is_some) => first,
        _ => cluster::cluster(&points, &weights, options),
    };
    follow_originals(&mut clustering, &near, &points);
    Themes {
        projection: cluster::project_2d(&embedded.centred, embedded.dim()),
        clustering,
        near,
        weights,
    }
}

/// Each near-duplicate takes its original's theme.
fn follow_originals(clustering: &mut Clustering, near: &[Option<usize>], points: &Rows) {
    for (d, original) in near.iter().enumerate() {
        if let Some(o) = *original {
            let theme = clustering.labels[o];
            clustering.labels[d] = theme;
            clustering.similarity[d] = dot(points.row(d), clustering.centroid(theme));
            clustering.weak[d] = clustering.weak[o];
        }
    }
}

/// The distinct words of each text (folded), as sorted ids.
fn word_sets(texts: &[&str]) -> Vec<Vec<u32>> {
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    texts
        .iter()
        .map(|t| {
            let mut set: Vec<u32> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let next = vocabulary.len() as u32;
                    *vocabulary.entry(fold(w)).or_insert(next)
                })
                .collect();
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_sets_fold_case_and_accents_and_share_ids() {
        let sets = word_sets(&["Hôpital, hopital et santé", "SANTE publique"]);
        assert_eq!(sets[0].len(), 3);
        assert!(
            sets[1].contains(&2),
            "santé and SANTE are one word: {sets:?}"
        );
    }
}
