//! The formulas: classification scores, bootstrap intervals, coverage, multi-label scores,
//! partitions (ARI, NMI, V-measure).

use std::collections::HashMap;
use std::hash::Hash;

/// Contingency counts of two labelings of the same items.
fn contingency<A: Eq + Hash + Clone, B: Eq + Hash + Clone>(
    a: &[A],
    b: &[B],
) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), b.len(), "two labelings of different lengths");
    let index = |values: &[A]| -> HashMap<A, usize> {
        let mut m = HashMap::new();
        for v in values {
            let next = m.len();
            m.entry(v.clone()).or_insert(next);
        }
        m
    };
    let ia = index(a);
    let mut ib: HashMap<B, usize> = HashMap::new();
    for v in b {
        let next = ib.len();
        ib.entry(v.clone()).or_insert(next);
    }
    let mut table = vec![vec![0f64; ib.len()]; ia.len()];
    for (x, y) in a.iter().zip(b) {
        table[ia[x]][ib[y]] += 1.0;
    }
    let rows = table.iter().map(|r| r.iter().sum()).collect();
    let cols = (0..ib.len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    (table, rows, cols)
}

fn comb2(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

/// Adjusted Rand index (Hubert & Arabie): 1 for identical partitions, about 0 for chance.
pub fn adjusted_rand_index<A: Eq + Hash + Clone, B: Eq + Hash + Clone>(a: &[A], b: &[B]) -> f64 {
    let n = a.len() as f64;
    let (table, rows, cols) = contingency(a, b);
    let index: f64 = table.iter().flatten().map(|&x| comb2(x)).sum();
    let sum_a: f64 = rows.iter().map(|&x| comb2(x)).sum();
    let sum_b: f64 = cols.iter().map(|&x| comb2(x)).sum();
    let expected = sum_a * sum_b / comb2(n).max(1e-300);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

fn entropy(counts: &[f64], n: f64) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| -(c / n) * (c / n).ln())
        .sum()
}

/// Normalised mutual information, arithmetic-mean normalisation (as scikit-learn's default).
pub fn normalized_mutual_info<A: Eq + Hash + Clone, B: Eq + Hash + Clone>(a: &[A], b: &[B]) -> f64 {
    let n = a.len() as f64;
    let (table, rows, cols) = contingency(a, b);
    let mut mi = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij > 0.0 {
                mi += nij / n * ((n * nij) / (rows[i] * cols[j])).ln();
            }
        }
    }
    let (ha, hb) = (entropy(&rows, n), entropy(&cols, n));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    let denom = (ha + hb) / 2.0;
    if denom == 0.0 {
        0.0
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

/// The 97.5% quantile of the standard normal distribution (statsmodels' `norm.ppf(0.975)`).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval (95%) of `count` successes in `n` trials, as statsmodels'
/// `proportion_confint(method="wilson")` computes it (tests/who.rs holds it to 1e-9).
pub fn wilson(count: usize, n: usize) -> (f64, f64) {
    let (n, z) = (n.max(1) as f64, Z95);
    let p = count as f64 / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Macro-averaged F1 over the gold labels: each gold label's F1, averaged with equal weight.
/// Predictions of labels absent from the gold set count as errors.
pub fn macro_f1(gold: &[&str], predicted: &[&str]) -> f64 {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predictions of different lengths"
    );
    let mut labels: Vec<&str> = gold.to_vec();
    labels.sort_unstable();
    labels.dedup();
    let f1s: Vec<f64> = labels
        .iter()
        .map(|&l| {
            let tp = gold
                .iter()
                .zip(predicted)
                .filter(|(g, p)| **g == l && **p == l)
                .count() as f64;
            let fp = gold
                .iter()
                .zip(predicted)
                .filter(|(g, p)| **g != l && **p == l)
                .count() as f64;
            let fn_ = gold
                .iter()
                .zip(predicted)
                .filter(|(g, p)| **g == l && **p != l)
                .count() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .collect();
    f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
}

/// Per-category precision, recall, F1 and support (gold count).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PerCategory {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
    pub predicted: usize,
}

/// Single-label classification scores over a fixed list of labels.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    pub rows: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub weighted_f1: f64,
    pub cohen_kappa: f64,
    pub per_category: Vec<PerCategory>,
    /// Labels in the order of the confusion matrix.
    pub labels: Vec<String>,
    /// `confusion[gold][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Scores of predictions against gold labels. `labels` fixes the label order; labels met in the data
/// and missing from it are appended. Macro and weighted F1 average over the labels that occur in the
/// gold set (a category never predicted counts 0; one never in the gold set has no recall to
/// average), micro-F1 pools every decision.
pub fn classification(gold: &[&str], predicted: &[&str], labels: &[String]) -> Classification {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predictions of different lengths"
    );
    let mut labels: Vec<String> = labels.to_vec();
    for l in gold.iter().chain(predicted) {
        if !labels.iter().any(|x| x == l) {
            labels.push(l.to_string());
        }
    }
    let index = |l: &str| labels.iter().position(|x| x == l).unwrap();
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (g, p) in gold.iter().zip(predicted) {
        confusion[index(g)][index(p)] += 1;
    }
    let n = gold.len();
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let accuracy = if n == 0 {
        0.0
    } else {
        correct as f64 / n as f64
    };
    let per_category = per_category(&labels, &confusion);
    let in_gold: Vec<&PerCategory> = per_category.iter().filter(|c| c.support > 0).collect();
    let macro_f1 = in_gold.iter().map(|c| c.f1).sum::<f64>() / in_gold.len().max(1) as f64;
    let weighted_f1 =
        in_gold.iter().map(|c| c.f1 * c.support as f64).sum::<f64>() / n.max(1) as f64;
    // Micro-F1 over single-label decisions equals accuracy.
    let micro_f1 = accuracy;
    let cohen_kappa = kappa(&confusion, accuracy, n);
    Classification {
        rows: n,
        accuracy,
        macro_f1,
        micro_f1,
        weighted_f1,
        cohen_kappa,
        per_category,
        labels,
        confusion,
    }
}

/// Precision, recall, F1, support and predicted count of each label of a confusion matrix.
fn per_category(labels: &[String], confusion: &[Vec<usize>]) -> Vec<PerCategory> {
    let k = labels.len();
    let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { a / b as f64 };
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let tp = confusion[i][i] as f64;
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = (0..k).map(|g| confusion[g][i]).sum();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            PerCategory {
                label: label.clone(),
                precision,
                recall,
                f1,
                support,
                predicted,
            }
        })
        .collect()
}

/// Cohen's kappa: agreement beyond what the margins give by chance.
fn kappa(confusion: &[Vec<usize>], accuracy: f64, n: usize) -> f64 {
    let k = confusion.len();
    let expected: f64 = (0..k)
        .map(|i| {
            let row: usize = confusion[i].iter().sum();
            let col: usize = (0..k).map(|g| confusion[g][i]).sum();
            row as f64 * col as f64
        })
        .sum::<f64>()
        / (n as f64 * n as f64).max(1.0);
    if (1.0 - expected).abs() < 1e-12 {
        if accuracy == 1.0 { 1.0 } else { 0.0 }
    } else {
        (accuracy - expected) / (1.0 - expected)
    }
}

/// A 95% percentile bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// 95% bootstrap intervals (fixed seed) of accuracy, macro-F1 and kappa.
pub fn bootstrap(
    gold: &[&str],
    predicted: &[&str],
    labels: &[String],
    resamples: usize,
    seed: u64,
) -> [Interval; 3] {
    let mut rng = crate::rng::Rng::new(seed);
    let n = gold.len();
    let mut values = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..resamples {
        let idx: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
        let g: Vec<&str> = idx.iter().map(|&i| gold[i]).collect();
        let p: Vec<&str> = idx.iter().map(|&i| predicted[i]).collect();
        let c = classification(&g, &p, labels);
        values[0].push(c.accuracy);
        values[1].push(c.macro_f1);
        values[2].push(c.cohen_kappa);
    }
    values.map(|mut v| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Interval {
            low: at(0.025),
            high: at(0.975),
        }
    })
}

/// Multi-label scores: per-label F1, micro and macro F1, exact-set accuracy, Hamming loss and
/// mean Jaccard index.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultiLabel {
    pub rows: usize,
    /// F1 of the (row, label) decisions pooled over every label.
    #[serde(default)]
    pub micro_f1: f64,
    /// Mean of the per-label F1 over the labels that occur in the gold or the predictions.
    #[serde(default)]
    pub macro_f1: f64,
    /// Share of rows whose predicted set is exactly the gold set.
    #[serde(default)]
    pub exact_set: f64,
    pub hamming_loss: f64,
    pub jaccard: f64,
    pub per_label_f1: Vec<(String, f64)>,
}

fn f1(tp: usize, fp: usize, fn_: usize) -> f64 {
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

pub fn multi_label(
    gold: &[Vec<String>],
    predicted: &[Vec<String>],
    labels: &[String],
) -> MultiLabel {
    let n = gold.len();
    let k = labels.len().max(1);
    let (mut jaccard, mut exact) = (0.0, 0usize);
    // Per label: true positives, false positives, false negatives.
    let mut counts = vec![(0usize, 0usize, 0usize); labels.len()];
    for (g, p) in gold.iter().zip(predicted) {
        let inter = g.iter().filter(|l| p.contains(l)).count();
        let union = g.len() + p.iter().filter(|l| !g.contains(l)).count();
        jaccard += if union == 0 {
            1.0
        } else {
            inter as f64 / union as f64
        };
        exact += usize::from(inter == g.len() && inter == p.len());
        for (l, c) in labels.iter().zip(counts.iter_mut()) {
            match (g.contains(l), p.contains(l)) {
                (true, true) => c.0 += 1,
                (false, true) => c.1 += 1,
                (true, false) => c.2 += 1,
                (false, false) => {}
            }
        }
    }
    let per_label_f1: Vec<(String, f64)> = labels
        .iter()
        .zip(&counts)
        .map(|(l, &(tp, fp, fn_))| (l.clone(), f1(tp, fp, fn_)))
        .collect();
    let occurring: Vec<f64> = per_label_f1
        .iter()
        .zip(&counts)
        .filter(|&(_, &(tp, fp, fn_))| tp + fp + fn_ > 0)
        .map(|((_, f), _)| *f)
        .collect();
    let total = counts
        .iter()
        .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    MultiLabel {
        rows: n,
        micro_f1: f1(total.0, total.1, total.2),
        macro_f1: occurring.iter().sum::<f64>() / occurring.len().max(1) as f64,
        exact_set: exact as f64 / n.max(1) as f64,
        hamming_loss: (total.1 + total.2) as f64 / (n * k).max(1) as f64,
        jaccard: jaccard / n.max(1) as f64,
        per_label_f1,
    }
}

/// Agreement of a partition (themes) with gold labels.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub rows: usize,
    pub ari: f64,
    pub nmi: f64,
    pub homogeneity: f64,
    pub completeness: f64,
    pub v_measure: f64,
    pub purity: f64,
}

pub fn partition<A: Eq + Hash + Clone, B: Eq + Hash + Clone>(
    clusters: &[A],
    gold: &[B],
) -> Partition {
    let n = clusters.len() as f64;
    let (table, rows, cols) = contingency(clusters, gold);
    let (h_clusters, h_gold) = (entropy(&rows, n), entropy(&cols, n));
    // H(gold | cluster) and H(cluster | gold).
    let mut h_gold_given = 0.0;
    let mut h_cluster_given = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij > 0.0 {
                h_gold_given -= nij / n * (nij / rows[i]).ln();
                h_cluster_given -= nij / n * (nij / cols[j]).ln();
            }
        }
    }
    let homogeneity = if h_gold == 0.0 {
        1.0
    } else {
        1.0 - h_gold_given / h_gold
    };
    let completeness = if h_clusters == 0.0 {
        1.0
    } else {
        1.0 - h_cluster_given / h_clusters
    };
    let v_measure = if homogeneity + completeness == 0.0 {
        0.0
    } else {
        2.0 * homogeneity * completeness / (homogeneity + completeness)
    };
    let purity = table
        .iter()
        .map(|r| r.iter().cloned().fold(0.0, f64::max))
        .sum::<f64>()
        / n.max(1.0);
    Partition {
        rows: clusters.len(),
        ari: adjusted_rand_index(clusters, gold),
        nmi: normalized_mutual_info(clusters, gold),
        homogeneity,
        completeness,
        v_measure,
        purity,
    }
}

/// One point of the accuracy-coverage curve: keep the `coverage` most confident rows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoveragePoint {
    pub coverage: f64,
    pub accuracy: f64,
    /// Confidence of the least confident row kept (the threshold that gives this coverage).
    pub threshold: f64,
}

/// Accuracy of the most confident rows at coverages 10%, 20% … 100%; ties broken by input order.
pub fn accuracy_coverage(correct: &[bool], confidence: &[f64]) -> Vec<CoveragePoint> {
    let n = correct.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| confidence[b].total_cmp(&confidence[a]).then(a.cmp(&b)));
    (1..=10)
        .filter_map(|step| {
            let keep = ((n as f64) * step as f64 / 10.0).round() as usize;
            if keep == 0 {
                return None;
            }
            let right = order[..keep].iter().filter(|&&i| correct[i]).count();
            Some(CoveragePoint {
                coverage: keep as f64 / n as f64,
                accuracy: right as f64 / keep as f64,
                threshold: confidence[order[keep - 1]],
            })
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn classification_by_hand_with_a_category_never_predicted() {
        let gold = ["a", "a", "b", "b", "c", "c"];
        let pred = ["a", "b", "b", "b", "a", "b"];
        let c = classification(&gold, &pred, &strings(&["a", "b", "c"]));
        assert!((c.accuracy - 0.5).abs() < 1e-12);
        // a: P 1/2 R 1/2 F 1/2; b: P 2/4 R 2/2 F 2/3; c: never predicted, F 0.
        let f = |l: &str| {
            c.per_category
                .iter()
                .find(|p| p.label == l)
                .unwrap()
                .clone()
        };
        assert!((f("a").f1 - 0.5).abs() < 1e-12);
        assert!((f("b").precision - 0.5).abs() < 1e-12 && (f("b").recall - 1.0).abs() < 1e-12);
        assert_eq!((f("c").f1, f("c").predicted, f("c").support), (0.0, 0, 2));
        assert!((c.macro_f1 - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((c.weighted_f1 - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert_eq!(
            c.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 1, 0]]
        );
        // kappa: po = 0.5, pe = (2·2 + 2·4 + 2·0)/36 = 1/3 → 0.25.
        assert!((c.cohen_kappa - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_single_category_gold_and_perfect_agreement() {
        let c = classification(&["a", "a", "a"], &["a", "a", "b"], &strings(&["a", "b"]));
        assert!((c.accuracy - 2.0 / 3.0).abs() < 1e-12);
        // Only "a" is in the gold set: macro-F1 is its F1 (P 1, R 2/3 → 0.8).
        assert!((c.macro_f1 - 0.8).abs() < 1e-12);
        // pe = (3·2)/9, po = 2/3 → kappa 0 (no better than chance given the margins).
        assert!(c.cohen_kappa.abs() < 1e-12);
        let perfect = classification(&["a", "a"], &["a", "a"], &strings(&["a"]));
        assert_eq!((perfect.accuracy, perfect.cohen_kappa), (1.0, 1.0));
    }

    #[test]
    fn bootstrap_intervals_contain_the_estimate_and_are_reproducible() {
        let gold: Vec<&str> = (0..200)
            .map(|i| if i % 2 == 0 { "a" } else { "b" })
            .collect();
        let pred: Vec<&str> = (0..200)
            .map(|i| {
                if i % 5 == 0 {
                    "b"
                } else if i % 2 == 0 {
                    "a"
                } else {
                    "b"
                }
            })
            .collect();
        let labels = strings(&["a", "b"]);
        let c = classification(&gold, &pred, &labels);
        let ci = bootstrap(&gold, &pred, &labels, 300, 42);
        assert!(
            ci[0].low <= c.accuracy && c.accuracy <= ci[0].high,
            "{ci:?} {}",
            c.accuracy
        );
        assert!(ci[0].high - ci[0].low > 0.02 && ci[0].high - ci[0].low < 0.2);
        assert_eq!(ci, bootstrap(&gold, &pred, &labels, 300, 42));
    }

    #[test]
    fn multi_label_by_hand() {
        let gold = vec![strings(&["p1", "p3"]), strings(&["p2"])];
        let pred = vec![strings(&["p1"]), strings(&["p2", "p4"])];
        let m = multi_label(&gold, &pred, &strings(&["p1", "p2", "p3", "p4"]));
        // Mismatches: row 1 p3; row 2 p4 → 2 of 8.
        assert!((m.hamming_loss - 0.25).abs() < 1e-12);
        // Jaccard: 1/2 and 1/2.
        assert!((m.jaccard - 0.5).abs() < 1e-12);
        assert_eq!(m.per_label_f1[0], ("p1".to_string(), 1.0));
        assert_eq!(m.per_label_f1[2].1, 0.0);
        // Pooled: tp 2 (p1, p2), fp 1 (p4), fn 1 (p3) → 4/6; macro (1 + 1 + 0 + 0) / 4.
        assert!((m.micro_f1 - 4.0 / 6.0).abs() < 1e-12);
        assert!((m.macro_f1 - 0.5).abs() < 1e-12);
        assert_eq!(m.exact_set, 0.0);
        let same = multi_label(&gold, &gold, &strings(&["p1", "p2", "p3", "p4"]));
        assert_eq!(
            (same.exact_set, same.micro_f1, same.macro_f1),
            (1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn partition_scores_by_hand() {
        // sklearn: homogeneity_completeness_v_measure([0,0,1,1],[0,0,0,1]) on (labels, clusters).
        let clusters = [0, 0, 0, 1];
        let gold = ["x", "x", "y", "y"];
        let p = partition(&clusters, &gold);
        assert!((p.purity - 0.75).abs() < 1e-12);
        assert!(
            (p.homogeneity - 0.311_278_124_459_132_8).abs() < 1e-9,
            "{}",
            p.homogeneity
        );
        assert!(
            (p.completeness - 0.383_688_546_596_344_3).abs() < 1e-9,
            "{}",
            p.completeness
        );
        let perfect = partition(&[1, 1, 2], &["a", "a", "b"]);
        assert_eq!((perfect.v_measure, perfect.purity), (1.0, 1.0));
    }

    #[test]
    fn accuracy_coverage_keeps_the_most_confident_first() {
        let correct = [true, false, true, true, false, true, true, true, true, true];
        let confidence = [0.9, 0.1, 0.8, 0.7, 0.2, 0.6, 0.6, 0.5, 0.4, 0.3];
        let curve = accuracy_coverage(&correct, &confidence);
        assert_eq!(curve.len(), 10);
        assert_eq!(curve[0].accuracy, 1.0);
        assert!((curve[9].accuracy - 0.8).abs() < 1e-12);
        assert!((curve[7].accuracy - 1.0).abs() < 1e-12);
        assert_eq!(curve[0].threshold, 0.9);
    }

    #[test]
    fn macro_f1_by_hand() {
        // a: tp 1, fp 1, fn 1 → 0.5; b: tp 1, fp 1, fn 1 → 0.5; c never predicted → 0.
        let gold = ["a", "a", "b", "b", "c"];
        let pred = ["a", "b", "b", "a", "a"];
        // a: tp1 fp2 fn1 → 2/5; b: tp1 fp1 fn1 → 1/2; c: 0.
        assert!((macro_f1(&gold, &pred) - (0.4 + 0.5 + 0.0) / 3.0).abs() < 1e-12);
        assert!((macro_f1(&["x", "y"], &["x", "y"]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ari_and_nmi_by_hand() {
        // Identical partitions up to renaming.
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &["a", "a", "b", "b"]) - 1.0).abs() < 1e-12);
        assert!((normalized_mutual_info(&[0, 0, 1, 1], &["a", "a", "b", "b"]) - 1.0).abs() < 1e-12);
        // a = [0,0,1,1], b = [0,1,0,1]: index 0, expected 2·2/6, max 2 → ARI = -0.5.
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-12);
        assert!(normalized_mutual_info(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        // sklearn: adjusted_rand_score([0,0,1,2],[0,0,1,1]) = 0.5714285714285715
        assert!(
            (adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.571_428_571_428_571_5).abs()
                < 1e-12
        );
        // sklearn: normalized_mutual_info_score([0,0,1,2],[0,0,1,1]) = 0.8
        assert!((normalized_mutual_info(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.8).abs() < 1e-9);
    }
}
