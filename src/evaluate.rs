//! Stage 6: agreement between the tool's labels and a manual tagging.

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

#[cfg(test)]
mod tests {
    use super::*;

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
