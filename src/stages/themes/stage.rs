//! Stage 4: themes. Near-duplicates (campaigns with small edits) are found first: they weigh
//! nothing in the clustering and the keywords, then take their original's theme. By default
//! themes are formed within each category (and within `none`), so that every testimony of a theme
//! has the theme's category; `--themes-across-categories` clusters the whole corpus at once.

use std::collections::HashMap;

use crate::linalg::{Rows, dot};
use crate::pipeline::{Categories, Embedded, Prepared};
use crate::stages::themes::cluster::{self, ClusterOptions, Clustering};
use crate::stages::themes::near_duplicates::{self, NearDuplicateOptions};
use crate::stages::themes::projection;
use crate::text::fold;

pub struct Themes {
    pub clustering: Clustering,
    /// The original of each near-duplicate distinct text.
    pub near: Vec<Option<usize>>,
    /// Weight of each distinct text in themes and keywords (0 for near-duplicates).
    pub weights: Vec<f32>,
    /// Coordinates on the first two principal axes, for the report's map.
    pub projection: Vec<[f32; 2]>,
    /// Within categories: the category of each theme (the number of categories for `none`), and
    /// the silhouettes each category's clustering weighed.
    pub category: Option<Vec<usize>>,
    pub per_category: Vec<CategoryClustering>,
}

/// How one category's testimonies were clustered.
#[derive(Debug, Clone)]
pub struct CategoryClustering {
    /// Category index (the number of categories for `none`).
    pub category: usize,
    pub texts: usize,
    pub themes: usize,
    pub silhouette_by_themes: Vec<(usize, f64)>,
}

impl Themes {
    /// Distinct texts of a theme, in order.
    pub fn members(&self, theme: usize) -> Vec<usize> {
        (0..self.near.len())
            .filter(|&d| self.clustering.labels[d] == theme)
            .collect()
    }
}

/// Where themes are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeScope {
    WithinCategories,
    AcrossCategories,
}

pub fn find(
    prepared: &Prepared,
    embedded: &Embedded,
    categories: &mut Categories,
    near_options: &NearDuplicateOptions,
    options: &ClusterOptions,
    scope: ThemeScope,
    earlier: Option<&[Option<Vec<f32>>]>,
) -> Themes {
    let points = embedded.centred_rows();
    let n = prepared.distinct.len();
    let count = categories.count() + 1;
    let cluster_all = |weights: &[f32], slots: Option<Vec<usize>>| match slots {
        Some(groups) => {
            let (clustering, category, per) =
                cluster_within(&points, weights, &groups, count, options, earlier);
            (clustering, Some(category), per)
        }
        None => (
            cluster::cluster(&points, weights, options),
            None,
            Vec::new(),
        ),
    };
    let within = scope == ThemeScope::WithinCategories;
    // Up to `whole_corpus_up_to` testimonies the whole corpus is searched (a campaign may straddle
    // two themes); above, each theme of a first clustering (a search across a million texts made
    // of frequent words would be quadratic).
    let first = (n > near_options.whole_corpus_up_to)
        .then(|| cluster_all(&vec![1.0f32; n], within.then(|| category_slots(categories))));
    let groups = first
        .as_ref()
        .map_or_else(|| vec![0; n], |c| c.0.labels.clone());
    // Same meaning is not enough: a copy also shares most of its words (paraphrases do not). Raw
    // vectors, not centred ones: a campaign large enough moves the corpus mean toward itself.
    let near = near_duplicates::near_duplicates(
        &embedded.raw_rows(),
        &groups,
        &word_sets(&prepared.texts()),
        near_options,
    );
    let weights: Vec<f32> = near
        .iter()
        .map(|o| if o.is_some() { 0.0 } else { 1.0 })
        .collect();
    if within {
        categories.follow_originals(&near);
    }
    let (mut clustering, category, per_category) = match first {
        Some(first) if !near.iter().any(Option::is_some) => first,
        _ => cluster_all(&weights, within.then(|| category_slots(categories))),
    };
    follow_originals(&mut clustering, &near, &points);
    Themes {
        projection: projection::project_2d(&embedded.centred, embedded.dim()),
        clustering,
        near,
        weights,
        category,
        per_category,
    }
}

/// Each distinct text's category slot: its category, or the number of categories for `none`.
fn category_slots(categories: &Categories) -> Vec<usize> {
    (0..categories.best.len())
        .map(|d| match categories.outside[d] {
            true => categories.count(),
            false => categories.best[d].0,
        })
        .collect()
}

/// Clusters each group apart: group g's themes follow group g−1's, each group's by size. A group
/// may have at most its share of `max_themes` and √(size/2) themes (at least 2); a forced
/// number of themes is shared among groups in proportion to their size (at least one each).
/// With an earlier run (`earlier`: starting centroids per group), a group's clustering starts
/// from the themes it had then: on the dev sets this keeps more theme keys when rows are added
/// or the seed changes (README, "Curate the draft").
fn cluster_within(
    points: &Rows,
    weights: &[f32],
    groups: &[usize],
    count: usize,
    options: &ClusterOptions,
    earlier: Option<&[Option<Vec<f32>>]>,
) -> (Clustering, Vec<usize>, Vec<CategoryClustering>) {
    let (n, dim) = (points.len(), points.dim);
    let mut all = Clustering {
        labels: vec![0; n],
        centroids: Vec::new(),
        dim,
        similarity: vec![0.0; n],
        weak: vec![false; n],
        silhouettes: Vec::new(),
        micro_clusters: 0,
        min_size: usize::MAX,
    };
    let (mut theme_group, mut per_group) = (Vec::new(), Vec::new());
    for g in 0..count {
        let members: Vec<usize> = (0..n).filter(|&i| groups[i] == g).collect();
        if members.is_empty() {
            continue;
        }
        let data: Vec<f32> = members
            .iter()
            .flat_map(|&i| points.row(i).iter().copied())
            .collect();
        let mut w: Vec<f32> = members.iter().map(|&i| weights[i]).collect();
        if w.iter().all(|&x| x == 0.0) {
            w.fill(1.0); // near-duplicates only: they still need a theme
        }
        let share = |total: usize| ((total * members.len()) as f64 / n as f64).round() as usize;
        // √(n/2), the usual rule of thumb for a number of clusters, keeps a small category from
        // being cut into themes of three (the demo's 300 testimonies: 25 themes without it).
        let rule_of_thumb = (members.len() as f64 / 2.0).sqrt().ceil() as usize;
        let group_options = ClusterOptions {
            max_themes: share(options.max_themes).min(rule_of_thumb).max(2),
            themes: options.themes.map(|k| share(k).max(1)),
            start: earlier.and_then(|e| e.get(g).cloned().flatten()),
            ..options.clone()
        };
        let sub = cluster::cluster(&Rows::new(&data, dim), &w, &group_options);
        let offset = theme_group.len();
        for (j, &i) in members.iter().enumerate() {
            all.labels[i] = sub.labels[j] + offset;
            all.similarity[i] = sub.similarity[j];
            all.weak[i] = sub.weak[j];
        }
        all.centroids.extend_from_slice(&sub.centroids);
        all.micro_clusters += sub.micro_clusters;
        all.min_size = all.min_size.min(sub.min_size);
        theme_group.extend(std::iter::repeat_n(g, sub.themes()));
        per_group.push(CategoryClustering {
            category: g,
            texts: members.len(),
            themes: sub.themes(),
            silhouette_by_themes: sub.silhouettes,
        });
    }
    (all, theme_group, per_group)
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
    fn themes_within_groups_never_mix_them_and_are_numbered_group_by_group() {
        // Two groups of two well separated directions each, interleaved in input order.
        let mut data = Vec::new();
        let mut groups = Vec::new();
        for i in 0..40 {
            let (g, dir) = (i % 2, (i / 2) % 2);
            let mut v = [0.0f32; 4];
            v[2 * g + dir] = 1.0;
            v[(2 * g + 1 - dir) % 4] = 0.05 * (i as f32 % 3.0);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / norm));
            groups.push(1 - g); // group 1 first in input order
        }
        let points = Rows::new(&data, 4);
        let (c, theme_group, per) = cluster_within(
            &points,
            &[1.0; 40],
            &groups,
            3,
            &ClusterOptions::default(),
            None,
        );
        assert_eq!(per.len(), 2, "the empty group has no clustering");
        for i in 0..40 {
            assert_eq!(theme_group[c.labels[i]], groups[i]);
        }
        let mut sorted = theme_group.clone();
        sorted.sort();
        assert_eq!(theme_group, sorted, "themes numbered by group");
        assert_eq!(c.themes(), theme_group.len());
    }

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
