//! Group the testimonies into themes.
//!
//! Method (defended with measurements in METHODS.md): spherical k-means over-clusters the unit vectors
//! into many small groups, Ward's agglomeration merges those groups into a dendrogram, and the number
//! of themes is the cut with the best silhouette on a fixed sample among cuts of at least ∛n themes
//! (or `--themes`). A few k-means
//! passes then polish the boundaries, themes under the minimum size are dissolved into their nearest
//! neighbours, and every testimony keeps a theme: the weakly attached ones are flagged, never dropped.
//!
//! Everything is deterministic for a seed: our own small PRNG, fixed summation orders, and parallel
//! loops whose results do not depend on the thread count.

use rayon::prelude::*;

use crate::linalg::{Rows, dot, product};
use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub seed: u64,
    /// Exact number of themes; `None` to choose it.
    pub themes: Option<usize>,
    /// Smallest theme kept; `None` for max(3, n/100) capped at 50.
    pub min_size: Option<usize>,
    /// Largest number of themes considered when choosing.
    pub max_themes: usize,
    /// Centroids to start from (row-major), instead of choosing: an earlier run's themes, so that
    /// a re-run continues them (Lloyd's iterations from there, small themes dissolved).
    pub start: Option<Vec<f32>>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            themes: None,
            min_size: None,
            max_themes: 40,
            start: None,
        }
    }
}

/// The outcome: one theme per point, theme centroids, and how the number was chosen.
#[derive(Debug, Clone)]
pub struct Clustering {
    pub labels: Vec<usize>,
    /// Unit-length centroids, row-major `[themes, dim]`.
    pub centroids: Vec<f32>,
    pub dim: usize,
    /// Cosine of each point to its theme centroid.
    pub similarity: Vec<f32>,
    /// Points far below their theme's typical similarity (robust z-score < −2.5).
    pub weak: Vec<bool>,
    /// Silhouette of each candidate number of themes (empty when forced or trivial).
    pub silhouettes: Vec<(usize, f64)>,
    pub micro_clusters: usize,
    pub min_size: usize,
}

impl Clustering {
    pub fn themes(&self) -> usize {
        self.centroids.len() / self.dim.max(1)
    }
    pub fn centroid(&self, k: usize) -> &[f32] {
        Rows::new(&self.centroids, self.dim).row(k)
    }
}

/// Clusters unit vectors; `weights` (≥ 1) count how many rows a point stands for (duplicates).
pub fn cluster(points: &Rows, weights: &[f32], options: &ClusterOptions) -> Clustering {
    let n = points.len();
    let dim = points.dim;
    let total: f32 = weights.iter().sum();
    let min_size = options
        .min_size
        .unwrap_or_else(|| ((total as usize) / 100).clamp(3, 50))
        .max(1);
    if n <= 2 {
        // Too few to compare: one theme.
        let centroid = mean_direction(points, weights, &(0..n).collect::<Vec<_>>(), dim);
        return finish(points, vec![0; n], centroid, dim, Vec::new(), n, min_size);
    }
    if let Some(start) = options.start.as_ref().filter(|s| s.len() >= dim && dim > 0) {
        return continue_from(points, weights, start, min_size);
    }
    let max_k = options
        .themes
        .unwrap_or(options.max_themes)
        .min(n)
        .min(((total as usize) / min_size).max(1));
    let micro_k = (4 * max_k)
        .max((2.0 * (n as f64).sqrt()) as usize)
        .min(n)
        .min(300);
    let mut rng = Rng::new(options.seed);
    let micro = kmeans(points, weights, micro_k, 25, &mut rng);
    let micro_sizes = sizes(&micro.labels, micro_k, weights);
    // Ward's dendrogram over the micro-clusters.
    let merges = ward(&micro.centroids, &micro_sizes, dim);
    let cut = |k: usize| -> Vec<usize> {
        let groups = cut_tree(&merges, micro_k, k);
        micro.labels.iter().map(|&m| groups[m]).collect()
    };
    let (chosen, silhouettes) = match options.themes {
        Some(k) => (k.min(micro_k).max(1), Vec::new()),
        None => choose_by_silhouette(points, &cut, max_k.min(micro_k), &mut rng),
    };
    let (labels, centroids) = polish(points, weights, cut(chosen), chosen);
    let (labels, centroids) = dissolve_small(points, weights, labels, centroids, min_size);
    let (labels, centroids) = order_by_size(labels, centroids, weights, dim);
    finish(
        points,
        labels,
        centroids,
        dim,
        silhouettes,
        micro_k,
        min_size,
    )
}

/// The themes of an earlier run carried on: each point goes to the nearest starting centroid,
/// then Lloyd's iterations, small themes dissolved, ordered by size.
fn continue_from(points: &Rows, weights: &[f32], start: &[f32], min_size: usize) -> Clustering {
    let dim = points.dim;
    let k = start.len() / dim;
    let (labels, centroids) = polish(points, weights, assign(points, start, dim).0, k);
    let (labels, centroids) = drop_empty(labels, centroids, dim);
    let (labels, centroids) = dissolve_small(points, weights, labels, centroids, min_size);
    let (labels, centroids) = order_by_size(labels, centroids, weights, dim);
    finish(points, labels, centroids, dim, Vec::new(), 0, min_size)
}

/// Removes centroids no point is nearest to, numbering the rest in order.
fn drop_empty(labels: Vec<usize>, centroids: Vec<f32>, dim: usize) -> (Vec<usize>, Vec<f32>) {
    let k = centroids.len() / dim;
    let mut used = vec![false; k];
    for &l in &labels {
        used[l] = true;
    }
    let mut index = vec![0; k];
    let mut kept = Vec::new();
    for c in 0..k {
        if used[c] {
            index[c] = kept.len() / dim;
            kept.extend_from_slice(&centroids[c * dim..(c + 1) * dim]);
        }
    }
    (labels.into_iter().map(|l| index[l]).collect(), kept)
}

/// The number of themes among the dendrogram's cuts 2..=`k_high`, by silhouette on a fixed
/// sample; returns it with every cut's silhouette.
fn choose_by_silhouette(
    points: &Rows,
    cut: &dyn Fn(usize) -> Vec<usize>,
    k_high: usize,
    rng: &mut Rng,
) -> (usize, Vec<(usize, f64)>) {
    let n = points.len();
    let sample = rng.sample(n, 2000);
    let distances = pairwise_distances(points, &sample);
    let mut scores = Vec::new();
    for k in 2..=k_high {
        let labels = cut(k);
        let sample_labels: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
        scores.push((k, silhouette(&distances, &sample_labels, k)));
    }
    // A silhouette above 0.25 means real cluster structure (Kaufman & Rousseeuw): take the
    // best cut. Short testimonies stay below it, and there the silhouette favours 2 themes
    // (METHODS.md: ARI 0.01 on the dev set), so a report gets at least ∛n specific themes.
    let strong = scores.iter().any(|&(_, s)| s > 0.25);
    let k_low = if strong {
        2
    } else {
        ((n as f64).cbrt().round() as usize).clamp(2, k_high.max(2))
    };
    let best = scores
        .iter()
        .copied()
        .filter(|&(k, _)| k >= k_low)
        .fold(None::<(usize, f64)>, |best, (k, s)| match best {
            Some((_, bs)) if bs >= s => best,
            _ => Some((k, s)),
        })
        .map_or(1, |(k, _)| k);
    (best, scores)
}

/// A few Lloyd passes from the merged centroids.
fn polish(
    points: &Rows,
    weights: &[f32],
    mut labels: Vec<usize>,
    k: usize,
) -> (Vec<usize>, Vec<f32>) {
    let dim = points.dim;
    let mut centroids = centroids_of(points, weights, &labels, k, dim);
    for _ in 0..10 {
        let next = assign(points, &centroids, dim).0;
        if next == labels {
            break;
        }
        labels = next;
        centroids = centroids_of(points, weights, &labels, k, dim);
    }
    (labels, centroids)
}

/// Themes below the minimum size are dissolved, smallest first, into their nearest neighbours.
fn dissolve_small(
    points: &Rows,
    weights: &[f32],
    mut labels: Vec<usize>,
    mut centroids: Vec<f32>,
    min_size: usize,
) -> (Vec<usize>, Vec<f32>) {
    let dim = points.dim;
    loop {
        let counts = sizes(&labels, centroids.len() / dim, weights);
        let k_now = counts.len();
        let small: Vec<usize> = (0..k_now)
            .filter(|&k| counts[k] < min_size as f32)
            .collect();
        if small.is_empty() || k_now <= 1 {
            return (labels, centroids);
        }
        // Drop the smallest one, reassign its points, recompute.
        let drop = *small
            .iter()
            .min_by(|&&a, &&b| counts[a].total_cmp(&counts[b]).then(a.cmp(&b)))
            .expect("small is not empty");
        let keep: Vec<usize> = (0..k_now).filter(|&k| k != drop).collect();
        let kept: Vec<f32> = keep
            .iter()
            .flat_map(|&k| centroids[k * dim..(k + 1) * dim].iter().copied())
            .collect();
        labels = assign(points, &kept, dim).0;
        centroids = centroids_of(points, weights, &labels, keep.len(), dim);
    }
}

fn finish(
    points: &Rows,
    labels: Vec<usize>,
    centroids: Vec<f32>,
    dim: usize,
    silhouettes: Vec<(usize, f64)>,
    micro_clusters: usize,
    min_size: usize,
) -> Clustering {
    let similarity: Vec<f32> = (0..points.len())
        .map(|i| {
            dot(
                points.row(i),
                &centroids[labels[i] * dim..(labels[i] + 1) * dim],
            )
        })
        .collect();
    let k = centroids.len() / dim.max(1);
    let mut weak = vec![false; points.len()];
    for theme in 0..k {
        let members: Vec<usize> = (0..points.len()).filter(|&i| labels[i] == theme).collect();
        if members.len() < 5 {
            continue;
        }
        let mut sims: Vec<f32> = members.iter().map(|&i| similarity[i]).collect();
        sims.sort_by(f32::total_cmp);
        let median = sims[sims.len() / 2];
        let mut deviations: Vec<f32> = sims.iter().map(|s| (s - median).abs()).collect();
        deviations.sort_by(f32::total_cmp);
        let mad = deviations[deviations.len() / 2].max(1e-6) * 1.4826;
        for &i in &members {
            weak[i] = (similarity[i] - median) / mad < -2.5;
        }
    }
    Clustering {
        labels,
        centroids,
        dim,
        similarity,
        weak,
        silhouettes,
        micro_clusters,
        min_size,
    }
}

/// Themes numbered by decreasing size (ties by first member), so theme 0 is the largest.
fn order_by_size(
    labels: Vec<usize>,
    centroids: Vec<f32>,
    weights: &[f32],
    dim: usize,
) -> (Vec<usize>, Vec<f32>) {
    let k = centroids.len() / dim;
    let counts = sizes(&labels, k, weights);
    let first: Vec<usize> = (0..k)
        .map(|c| labels.iter().position(|&l| l == c).unwrap_or(usize::MAX))
        .collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        counts[b]
            .total_cmp(&counts[a])
            .then(first[a].cmp(&first[b]))
    });
    let mut rank = vec![0; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    let labels = labels.into_iter().map(|l| rank[l]).collect();
    let centroids = order
        .iter()
        .flat_map(|&c| centroids[c * dim..(c + 1) * dim].iter().copied())
        .collect();
    (labels, centroids)
}

struct KMeans {
    labels: Vec<usize>,
    centroids: Vec<f32>,
}

/// Spherical k-means with k-means++ seeding (cosine distance on unit vectors).
fn kmeans(points: &Rows, weights: &[f32], k: usize, iterations: usize, rng: &mut Rng) -> KMeans {
    let n = points.len();
    let dim = points.dim;
    let k = k.min(n).max(1);
    // k-means++: each next seed drawn with probability ∝ weight × squared distance to the nearest seed.
    let mut centroids = Vec::with_capacity(k * dim);
    let first = rng.below(n);
    centroids.extend_from_slice(points.row(first));
    let mut nearest: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| (2.0 - 2.0 * dot(points.row(i), points.row(first))).max(0.0))
        .collect();
    for _ in 1..k {
        let total: f64 = nearest
            .iter()
            .zip(weights)
            .map(|(&d, &w)| (d * w) as f64)
            .sum();
        let next = if total <= 0.0 {
            rng.below(n)
        } else {
            let mut target = rng.next_f64() * total;
            let mut pick = n - 1;
            for (i, (&d, &w)) in nearest.iter().zip(weights).enumerate() {
                target -= (d * w) as f64;
                if target <= 0.0 {
                    pick = i;
                    break;
                }
            }
            pick
        };
        let seed = points.row(next).to_vec();
        nearest
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, d)| *d = d.min((2.0 - 2.0 * dot(points.row(i), &seed)).max(0.0)));
        centroids.extend_from_slice(&seed);
    }
    let mut labels = assign(points, &centroids, dim).0;
    for _ in 0..iterations {
        centroids = centroids_of(points, weights, &labels, k, dim);
        let next = assign(points, &centroids, dim).0;
        if next == labels {
            break;
        }
        labels = next;
    }
    let k_real = centroids.len() / dim;
    let centroids = centroids_of(points, weights, &labels, k_real, dim);
    KMeans { labels, centroids }
}

/// Nearest centroid (highest cosine) of every point; ties go to the lower index.
pub fn assign(points: &Rows, centroids: &[f32], dim: usize) -> (Vec<usize>, Vec<f32>) {
    let k = centroids.len() / dim.max(1);
    if k == 0 {
        return (vec![0; points.len()], vec![f32::NEG_INFINITY; points.len()]);
    }
    // Scores of fixed blocks of rows against every centroid, as one matrix product per block
    // (single-threaded inside, so the result does not depend on the thread count).
    const BLOCK: usize = 256;
    let blocks: Vec<Vec<(usize, f32)>> = points
        .data
        .par_chunks(BLOCK * dim)
        .map(|block| {
            let rows = block.len() / dim;
            let mut scores = vec![0f32; rows * k];
            product(
                rows,
                k,
                dim,
                &mut scores,
                block,
                (dim, 1),
                centroids,
                (1, dim),
            );
            scores
                .chunks_exact(k)
                .map(|row| {
                    let mut best = (0, f32::NEG_INFINITY);
                    for (c, &s) in row.iter().enumerate() {
                        if s > best.1 {
                            best = (c, s);
                        }
                    }
                    best
                })
                .collect()
        })
        .collect();
    blocks.into_iter().flatten().unzip()
}

/// Unit mean direction of each label's points; an emptied label keeps a zero vector.
fn centroids_of(
    points: &Rows,
    weights: &[f32],
    labels: &[usize],
    k: usize,
    dim: usize,
) -> Vec<f32> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(i);
    }
    members
        .par_iter()
        .flat_map_iter(|m| mean_direction(points, weights, m, dim))
        .collect()
}

/// Unit-length weighted mean of some points (zeros when they cancel out), summed in f64.
pub fn mean_direction(points: &Rows, weights: &[f32], members: &[usize], dim: usize) -> Vec<f32> {
    let mut sum = vec![0f64; dim];
    for &i in members {
        let w = weights[i] as f64;
        for (s, &x) in sum.iter_mut().zip(points.row(i)) {
            *s += w * x as f64;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        return vec![0.0; dim];
    }
    sum.iter().map(|x| (x / norm) as f32).collect()
}

fn sizes(labels: &[usize], k: usize, weights: &[f32]) -> Vec<f32> {
    let mut counts = vec![0f32; k];
    for (&l, &w) in labels.iter().zip(weights) {
        counts[l] += w;
    }
    counts
}

/// One merge of Ward's agglomeration: clusters `a` and `b` (ids ≥ n are earlier merges).
#[derive(Debug, Clone, Copy)]
struct Merge {
    a: usize,
    b: usize,
}

/// Ward's linkage on weighted centroids (Lance–Williams update), O(m³) for m ≤ 300 micro-clusters.
fn ward(centroids: &[f32], sizes: &[f32], dim: usize) -> Vec<Merge> {
    let m = sizes.len();
    let mut active: Vec<usize> = (0..m).collect();
    let mut size: Vec<f64> = sizes.iter().map(|&s| s.max(1e-9) as f64).collect();
    // Distance matrix between active clusters (indexed by slot).
    let mut d = vec![0f64; m * m];
    for i in 0..m {
        for j in (i + 1)..m {
            let ci = &centroids[i * dim..(i + 1) * dim];
            let cj = &centroids[j * dim..(j + 1) * dim];
            let sq: f64 = ci
                .iter()
                .zip(cj)
                .map(|(x, y)| ((x - y) as f64).powi(2))
                .sum();
            let w = size[i] * size[j] / (size[i] + size[j]);
            d[i * m + j] = w * sq;
            d[j * m + i] = w * sq;
        }
    }
    let mut id: Vec<usize> = (0..m).collect(); // slot -> cluster id
    let mut merges = Vec::with_capacity(m.saturating_sub(1));
    while active.len() > 1 {
        let mut best = (f64::INFINITY, 0, 0);
        for (x, &i) in active.iter().enumerate() {
            for &j in &active[x + 1..] {
                if d[i * m + j] < best.0 {
                    best = (d[i * m + j], i, j);
                }
            }
        }
        let (dij, i, j) = best;
        merges.push(Merge { a: id[i], b: id[j] });
        // Lance–Williams for Ward: new cluster lives in slot i.
        for &k in &active {
            if k == i || k == j {
                continue;
            }
            let (ni, nj, nk) = (size[i], size[j], size[k]);
            let v =
                ((ni + nk) * d[i * m + k] + (nj + nk) * d[j * m + k] - nk * dij) / (ni + nj + nk);
            d[i * m + k] = v;
            d[k * m + i] = v;
        }
        size[i] += size[j];
        id[i] = m + merges.len() - 1;
        active.retain(|&s| s != j);
    }
    merges
}

/// Group of each of the `m` leaves when the dendrogram is cut into `k` groups (numbered 0..k).
fn cut_tree(merges: &[Merge], m: usize, k: usize) -> Vec<usize> {
    let k = k.clamp(1, m);
    let mut parent: Vec<usize> = (0..(2 * m)).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (step, merge) in merges.iter().take(m - k).enumerate() {
        let new = m + step;
        let (ra, rb) = (root(&mut parent, merge.a), root(&mut parent, merge.b));
        parent[ra] = new;
        parent[rb] = new;
    }
    let mut number = std::collections::HashMap::new();
    (0..m)
        .map(|leaf| {
            let r = root(&mut parent, leaf);
            let next = number.len();
            *number.entry(r).or_insert(next)
        })
        .collect()
}

fn pairwise_distances(points: &Rows, sample: &[usize]) -> Vec<f32> {
    let s = sample.len();
    let mut d = vec![0f32; s * s];
    d.par_chunks_mut(s).enumerate().for_each(|(a, row)| {
        for (b, v) in row.iter_mut().enumerate() {
            *v = (1.0 - dot(points.row(sample[a]), points.row(sample[b]))).max(0.0);
        }
    });
    d
}

/// Mean silhouette (cosine distance) of labelled sample points; singletons count 0.
pub fn silhouette(distances: &[f32], labels: &[usize], k: usize) -> f64 {
    let s = labels.len();
    let mut counts = vec![0usize; k];
    for &l in labels {
        counts[l] += 1;
    }
    // Per-point values are collected, then summed in order: a parallel sum would depend on the
    // thread count in its last digits.
    let per_point: Vec<f64> = (0..s)
        .into_par_iter()
        .map(|a| {
            let mut sums = vec![0f64; k];
            for b in 0..s {
                sums[labels[b]] += distances[a * s + b] as f64;
            }
            let own = labels[a];
            if counts[own] <= 1 {
                return 0.0;
            }
            let intra = sums[own] / (counts[own] - 1) as f64;
            let inter = (0..k)
                .filter(|&c| c != own && counts[c] > 0)
                .map(|c| sums[c] / counts[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !inter.is_finite() {
                return 0.0;
            }
            (inter - intra) / intra.max(inter).max(1e-12)
        })
        .collect();
    per_point.iter().sum::<f64>() / s.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight bundles of unit vectors in 8 dimensions, sizes 30, 20, 10.
    fn bundles() -> (Vec<f32>, usize) {
        let mut rng = Rng::new(7);
        let dim = 8;
        let mut data = Vec::new();
        for (axis, count) in [(0, 30), (3, 20), (6, 10)] {
            for _ in 0..count {
                let mut v: Vec<f32> = (0..dim)
                    .map(|_| (rng.next_f64() as f32 - 0.5) * 0.2)
                    .collect();
                v[axis] += 1.0;
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                data.extend(v.iter().map(|x| x / norm));
            }
        }
        (data, dim)
    }

    #[test]
    fn finds_three_bundles_ordered_by_size() {
        let (data, dim) = bundles();
        let points = Rows { data: &data, dim };
        let weights = vec![1.0; points.len()];
        let c = cluster(
            &points,
            &weights,
            &ClusterOptions {
                min_size: Some(3),
                ..Default::default()
            },
        );
        assert_eq!(c.themes(), 3, "silhouettes {:?}", c.silhouettes);
        assert!(c.labels[..30].iter().all(|&l| l == 0));
        assert!(c.labels[30..50].iter().all(|&l| l == 1));
        assert!(c.labels[50..].iter().all(|&l| l == 2));
        assert_eq!(c.labels.len(), 60);
    }

    #[test]
    fn same_seed_same_result_and_forced_theme_count() {
        let (data, dim) = bundles();
        let points = Rows { data: &data, dim };
        let weights = vec![1.0; points.len()];
        let opts = ClusterOptions {
            themes: Some(2),
            min_size: Some(1),
            ..Default::default()
        };
        let a = cluster(&points, &weights, &opts);
        let b = cluster(&points, &weights, &opts);
        assert_eq!(a.themes(), 2);
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.centroids, b.centroids);
    }

    #[test]
    fn small_themes_are_dissolved_not_dropped() {
        let (data, dim) = bundles();
        let points = Rows { data: &data, dim };
        let weights = vec![1.0; points.len()];
        let c = cluster(
            &points,
            &weights,
            &ClusterOptions {
                themes: Some(3),
                min_size: Some(15),
                ..Default::default()
            },
        );
        assert_eq!(c.themes(), 2);
        assert_eq!(c.labels.len(), 60);
    }

    #[test]
    fn one_or_two_points_make_one_theme() {
        let data = vec![1.0, 0.0, 0.0, 1.0];
        let points = Rows {
            data: &data,
            dim: 2,
        };
        let c = cluster(&points, &[1.0, 1.0], &ClusterOptions::default());
        assert_eq!(c.themes(), 1);
        assert_eq!(c.labels, [0, 0]);
    }

    #[test]
    fn ward_cut_and_silhouette_on_a_line() {
        // Four micro-centroids: two close pairs.
        let c = [1.0f32, 0.0, 0.99, 0.14, 0.0, 1.0, 0.14, 0.99];
        let merges = ward(&c, &[1.0; 4], 2);
        let g = cut_tree(&merges, 4, 2);
        assert_eq!(g[0], g[1]);
        assert_eq!(g[2], g[3]);
        assert_ne!(g[0], g[2]);
        let d = [
            0.0, 0.1, 0.9, 0.9, 0.1, 0.0, 0.9, 0.9, 0.9, 0.9, 0.0, 0.1, 0.9, 0.9, 0.1, 0.0,
        ];
        let s = silhouette(&d, &[0, 0, 1, 1], 2);
        assert!((s - (0.9 - 0.1) / 0.9).abs() < 1e-6);
    }
}
