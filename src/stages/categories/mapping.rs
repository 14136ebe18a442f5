//! Map testimonies and themes onto the categories of the taxonomy.
//!
//! Label-free, in three steps (measured in METHODS.md, kept because each helps on more than one data set):
//! 1. Zero-shot: each category's prototype is the mean embedding of its descriptors (name with
//!    description, each example); a testimony's zero-shot score is its cosine to the prototype, in
//!    the space centred on the corpus mean (the anisotropy correction).
//! 2. Each category's scores are standardised over the corpus, so that a category whose description
//!    happens to sit close to everything does not take everything.
//! 3. Transductive self-training: the most confident half of each category's testimonies (by margin)
//!    trains a shrunk linear discriminant (class means, pooled covariance shrunk halfway to a scaled
//!    identity), which rescores every testimony; twice. Testimonies speak differently from the
//!    descriptions: the discriminant learns how they speak.
//!
//! Scores are given as probabilities over the categories (softmax of the standardised scores).

use anyhow::Result;

use super::discriminant::Discriminant;
use super::drift::{SelfCheck, anchors};
use super::none::NoneThreshold;
use crate::linalg::{Rows, dot};
use crate::stages::embed::embedder::Embedder;
use crate::taxonomy::Taxonomy;

/// Unit prototypes of the categories, row-major `[categories, dim]`.
#[derive(Debug, Clone)]
pub struct Prototypes {
    pub dim: usize,
    pub vectors: Vec<f32>,
}

impl Prototypes {
    pub fn rows(&self) -> Rows<'_> {
        Rows::new(&self.vectors, self.dim)
    }
    pub fn len(&self) -> usize {
        self.rows().len()
    }
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }
    pub fn row(&self, c: usize) -> &[f32] {
        self.rows().row(c)
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

/// Per-column standardisation of a `[rows, cols]` matrix (z-scores), in place; returns each
/// column's (mean, standard deviation).
pub(super) fn standardize(m: &mut [f32], cols: usize) -> Vec<(f64, f64)> {
    let rows = m.len() / cols.max(1);
    let mut stats = Vec::with_capacity(cols);
    for c in 0..cols {
        let mean = (0..rows).map(|r| m[r * cols + c] as f64).sum::<f64>() / rows.max(1) as f64;
        let var = (0..rows)
            .map(|r| (m[r * cols + c] as f64 - mean).powi(2))
            .sum::<f64>()
            / rows.max(1) as f64;
        let sd = var.sqrt().max(1e-9);
        for r in 0..rows {
            m[r * cols + c] = ((m[r * cols + c] as f64 - mean) / sd) as f32;
        }
        stats.push((mean, sd));
    }
    stats
}

/// Settings of the label-free mapping.
#[derive(Debug, Clone)]
pub struct MapOptions {
    /// The peers' baseline (raw cosine to the descriptions, argmax) instead of the label-free
    /// method.
    pub zero_shot: bool,
    /// Testimonies whose relevance to the taxonomy (centred cosine to the nearest category
    /// description) is below this go to `none`.
    pub none_threshold: NoneThreshold,
    /// Folds of the cross-validated agreement with manual tags.
    pub folds: usize,
    /// Rounds of self-training (0 = zero-shot with standardisation only).
    pub self_training_rounds: usize,
    /// Share of each category's testimonies, most confident first, that trains the discriminant.
    pub confident_share: f64,
    /// Weight of the scaled identity in the shrunk covariance.
    pub shrinkage: f64,
}

impl Default for MapOptions {
    fn default() -> Self {
        Self {
            zero_shot: false,
            // Measured (METHODS.md): at most 1.8% of on-topic texts lost on both development
            // sets and on the parliamentary questions cut into passages.
            none_threshold: NoneThreshold::Auto,
            folds: 5,
            self_training_rounds: 2,
            confident_share: 0.5,
            shrinkage: 0.5,
        }
    }
}

/// Categories of a set of testimonies.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub categories: usize,
    /// Scores `[rows, categories]`: probabilities (label-free) or cosines (zero-shot).
    pub probabilities: Vec<f32>,
    /// Best category of each row.
    pub best: Vec<usize>,
    /// Probability of the best category minus that of the second.
    pub margin: Vec<f32>,
    /// Rounds of self-training actually run (fewer when a category has too few testimonies).
    pub rounds: usize,
    /// Standardised scores `[rows, categories]` the probabilities come from.
    pub z: Vec<f32>,
    /// The drift check of the self-training (label-free only).
    pub self_check: Option<SelfCheck>,
}

impl Mapping {
    pub fn row(&self, r: usize) -> &[f32] {
        Rows::new(&self.probabilities, self.categories).row(r)
    }
}

/// The best and the second-best column of a score row (ties to the lower index).
pub(super) fn top_two(row: &[f32]) -> (usize, Option<usize>) {
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
    (order[0], order.get(1).copied())
}

/// The peers' baseline (BERTopic's zero-shot topics): raw cosine to each prototype, argmax.
pub fn map_zero_shot(points: &[f32], dim: usize, prototypes: &Prototypes) -> Mapping {
    let c = prototypes.len();
    let cos = scores(points, dim, prototypes);
    let mut best = Vec::new();
    let mut margin = Vec::new();
    for row in cos.chunks_exact(c) {
        let (first, second) = top_two(row);
        best.push(first);
        margin.push(second.map_or(1.0, |s| row[first] - row[s]));
    }
    Mapping {
        categories: c,
        z: cos.clone(),
        probabilities: cos,
        best,
        margin,
        rounds: 0,
        self_check: None,
    }
}

/// Maps centred unit vectors onto centred prototypes (see the module documentation). Each
/// self-training round is checked for drift ([`SelfCheck`]); a round that drifts is undone and
/// the rounds stop there.
pub fn map_label_free(
    points: &[f32],
    dim: usize,
    prototypes: &Prototypes,
    options: &MapOptions,
) -> Mapping {
    let c = prototypes.len();
    let mut z = scores(points, dim, prototypes);
    standardize(&mut z, c);
    let anchors = anchors(&z, c);
    let (mut rounds, mut check) = (0, None);
    for _ in 0..options.self_training_rounds {
        let Some(discriminant) = self_training(points, dim, &z, c, options) else {
            break;
        };
        let mut next = discriminant.scores(points);
        let stats = standardize(&mut next, c);
        let verdict = SelfCheck::of(
            &discriminant,
            &stats,
            prototypes,
            &next,
            &anchors,
            rounds + 1,
        );
        let drifted = verdict.drift.is_some();
        check = Some(verdict);
        if drifted {
            break;
        }
        z = next;
        rounds += 1;
    }
    if let Some(why) = check.as_ref().and_then(|c| c.drift.as_ref()) {
        log::warn!("self-training drifted ({why}): the mapping stops at round {rounds}");
    }
    let mut mapping = from_z(z, c, rounds);
    mapping.self_check = check;
    mapping
}

/// Probabilities (softmax), best category and margin from standardised scores.
fn from_z(z: Vec<f32>, c: usize, rounds: usize) -> Mapping {
    let n = z.len() / c.max(1);
    let mut probabilities = Vec::with_capacity(n * c);
    let mut best = Vec::with_capacity(n);
    let mut margin = Vec::with_capacity(n);
    for row in z.chunks_exact(c) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let p: Vec<f32> = exp.iter().map(|e| e / sum).collect();
        let (first, second) = top_two(&p);
        best.push(first);
        margin.push(second.map_or(1.0, |s| p[first] - p[s]));
        probabilities.extend(p);
    }
    Mapping {
        categories: c,
        probabilities,
        best,
        margin,
        rounds,
        z,
        self_check: None,
    }
}

/// Relevance of each row to the taxonomy: its highest cosine to a category prototype, both centred
/// on the corpus mean. Below 0, a testimony is farther from every category's description than the
/// average testimony: it is about none of them. Measured on held-out categories (METHODS.md), this beats
/// the fit to the category's testimonies, the margin and the probability as an outside signal.
pub fn relevance(points: &[f32], dim: usize, centred_prototypes: &Prototypes) -> Vec<f32> {
    let c = centred_prototypes.len();
    scores(points, dim, centred_prototypes)
        .chunks_exact(c.max(1))
        .map(|row| row.iter().copied().fold(f32::NEG_INFINITY, f32::max))
        .collect()
}

/// How well each row fits its best category: the cosine (centred space) to the mean direction of
/// all rows mapped to that category. 0 means no closer to its category's testimonies than to the
/// average testimony.
pub fn category_fit(points: &[f32], dim: usize, best: &[usize], categories: usize) -> Vec<f32> {
    let mut sums = vec![0f64; categories * dim];
    for (row, &k) in points.chunks_exact(dim).zip(best) {
        for (s, &x) in sums[k * dim..(k + 1) * dim].iter_mut().zip(row) {
            *s += x as f64;
        }
    }
    let centroids: Vec<f32> = sums
        .chunks_exact(dim)
        .flat_map(|c| {
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            c.iter().map(move |x| (x / norm) as f32).collect::<Vec<_>>()
        })
        .collect();
    points
        .chunks_exact(dim)
        .zip(best)
        .map(|(row, &k)| dot(row, &centroids[k * dim..(k + 1) * dim]))
        .collect()
}

/// The second category when the testimony clearly raises it too: at least a quarter of the
/// probability and at least half the first category's.
pub fn secondary(mapping: &Mapping, row: usize) -> Option<usize> {
    let p = mapping.row(row);
    let first = mapping.best[row];
    let (second, p2) = p.iter().enumerate().filter(|&(k, _)| k != first).fold(
        None::<(usize, f32)>,
        |b, (k, &v)| match b {
            Some((_, bv)) if bv >= v => b,
            _ => Some((k, v)),
        },
    )?;
    (p2 >= 0.25 && p2 >= 0.5 * p[first]).then_some(second)
}

/// How many times a manual tag counts against one self-training pseudo-label.
pub const TAG_WEIGHT: usize = 5;

/// Few-shot mapping: the self-training discriminant refitted on the confident pseudo-labels of the
/// label-free mapping plus the manually tagged `(row, category)` pairs, each tag counting
/// [`TAG_WEIGHT`] times. Measured (METHODS.md): blending a classifier trained on the tags alone with the
/// label-free scores was worse than the label-free mapping up to 50 tags per category; this is not.
/// `None` when the discriminant cannot be fitted (then the label-free mapping stands).
pub fn few_shot(
    points: &[f32],
    dim: usize,
    label_free: &Mapping,
    labels: &[(usize, usize)],
    options: &MapOptions,
) -> Option<Mapping> {
    let c = label_free.categories;
    let tagged: std::collections::HashSet<usize> = labels.iter().map(|&(r, _)| r).collect();
    let mut selected = confident(&label_free.z, c, options.confident_share, &tagged, 0);
    for _ in 0..TAG_WEIGHT {
        selected.extend_from_slice(labels);
    }
    let mut z = Discriminant::fit(points, dim, &selected, c, options.shrinkage)?.scores(points);
    standardize(&mut z, c);
    Some(from_z(z, c, label_free.rounds))
}

/// Agreement of the few-shot mapping with the tags by k-fold cross-validation: each fold's tags are
/// predicted by a model trained on the other folds' tags. Returns (accuracy, predictions per tag).
pub fn cross_validate(
    points: &[f32],
    dim: usize,
    label_free: &Mapping,
    labels: &[(usize, usize)],
    folds: usize,
    options: &MapOptions,
) -> Option<(f64, Vec<usize>)> {
    if labels.len() < folds.max(2) {
        return None;
    }
    // Folds deal each category's tags in turn, so every fold sees every category.
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (labels[i].1, labels[i].0));
    let mut fold_of = vec![0usize; labels.len()];
    for (pos, &i) in order.iter().enumerate() {
        fold_of[i] = pos % folds;
    }
    let mut predicted = vec![0usize; labels.len()];
    for f in 0..folds {
        let train: Vec<(usize, usize)> = labels
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of[*i] != f)
            .map(|(_, &l)| l)
            .collect();
        let mapping = few_shot(points, dim, label_free, &train, options)
            .unwrap_or_else(|| label_free.clone());
        for (i, &(row, _)) in labels.iter().enumerate() {
            if fold_of[i] == f {
                predicted[i] = mapping.best[row];
            }
        }
    }
    let correct = labels
        .iter()
        .zip(&predicted)
        .filter(|((_, k), p)| k == *p)
        .count();
    Some((correct as f64 / labels.len() as f64, predicted))
}

/// One round of self-training: a shrunk LDA fitted on the confident testimonies of each category
/// under the current scores. `None` when some category has fewer than 2 confident testimonies.
fn self_training(
    points: &[f32],
    dim: usize,
    z: &[f32],
    c: usize,
    options: &MapOptions,
) -> Option<Discriminant> {
    let selected = confident(z, c, options.confident_share, &Default::default(), 5);
    let mut per_class = vec![0usize; c];
    for &(_, k) in &selected {
        per_class[k] += 1;
    }
    if per_class.iter().any(|&n| n < 2) {
        return None;
    }
    Discriminant::fit(points, dim, &selected, c, options.shrinkage)
}

/// The most confident `share` of each category's rows under scores `z` (by margin between the best
/// and the second category), at least `at_least` when the category has them, leaving out `skip`.
fn confident(
    z: &[f32],
    c: usize,
    share: f64,
    skip: &std::collections::HashSet<usize>,
    at_least: usize,
) -> Vec<(usize, usize)> {
    let mut by_class: Vec<Vec<(f32, usize)>> = vec![Vec::new(); c];
    for (r, row) in z.chunks_exact(c).enumerate() {
        if skip.contains(&r) {
            continue;
        }
        let (first, second) = top_two(row);
        by_class[first].push((second.map_or(row[first], |s| row[first] - row[s]), r));
    }
    let mut selected = Vec::new();
    for (k, members) in by_class.iter_mut().enumerate() {
        members.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let take = ((members.len() as f64 * share).ceil() as usize)
            .max(at_least)
            .min(members.len());
        selected.extend(members[..take].iter().map(|&(_, r)| (r, k)));
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_is_the_best_centred_cosine_and_negative_means_none() {
        let protos = Prototypes {
            dim: 2,
            vectors: vec![1.0, 0.0, 0.0, 1.0],
        };
        // About category 1; about category 0; opposite to both.
        let r = relevance(&[0.6, 0.8, 1.0, 0.0, -0.6, -0.8], 2, &protos);
        assert_eq!(r, [0.8, 1.0, -0.6]);
        assert!(
            r[2] < 0.0,
            "a testimony farther from every description than the average is outside"
        );
    }

    #[test]
    fn fit_and_secondary_follow_their_definitions() {
        // Two rows on one side, one row opposite: the opposite row does not fit category 0.
        let points = [1.0, 0.0, 0.8, 0.6, -1.0, 0.0];
        let fit = category_fit(&points, 2, &[0, 0, 0], 1);
        assert!(fit[0] > 0.0 && fit[1] > 0.0 && fit[2] < 0.0, "{fit:?}");
        let m = from_z(vec![2.0, 1.8, -3.0, 3.0, -3.0, -3.0], 3, 0);
        assert_eq!(secondary(&m, 0), Some(1));
        assert_eq!(secondary(&m, 1), None);
    }

    #[test]
    fn self_training_fixes_a_description_that_is_off_centre() {
        // Two groups around directions u and v; the prototype of the second category is poor
        // (closer to u than the truth), so zero-shot mislabels part of the second group.
        let mut rng = crate::rng::Rng::new(3);
        let dim = 6;
        let mut points = Vec::new();
        let mut truth = Vec::new();
        for (k, axis) in [(0usize, 0usize), (1, 1)] {
            for _ in 0..60 {
                let mut v: Vec<f32> = (0..dim)
                    .map(|_| (rng.next_f64() as f32 - 0.5) * 0.8)
                    .collect();
                v[axis] += 1.0;
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                points.extend(v.iter().map(|x| x / norm));
                truth.push(k);
            }
        }
        let protos = Prototypes {
            dim,
            vectors: vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 0.8, 0.0, 0.0, 0.0, 0.0],
        };
        let accuracy = |m: &Mapping| {
            m.best.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
        };
        let zero = map_label_free(
            &points,
            dim,
            &protos,
            &MapOptions {
                self_training_rounds: 0,
                ..Default::default()
            },
        );
        let trained = map_label_free(&points, dim, &protos, &MapOptions::default());
        assert_eq!(trained.rounds, 2);
        assert_eq!(trained.self_check.as_ref().unwrap().drift, None);
        // Self-training must fix what the descriptions alone get wrong on this fixture, not merely
        // do no harm.
        assert!(
            accuracy(&trained) > accuracy(&zero),
            "{} ≤ {}",
            accuracy(&trained),
            accuracy(&zero)
        );
        assert!(accuracy(&trained) > 0.9, "{}", accuracy(&trained));
        for r in 0..truth.len() {
            let sum: f32 = trained.row(r).iter().sum();
            assert!((sum - 1.0).abs() < 1e-5);
        }
    }

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
