//! Categories (and themes) raised together in one contribution: for each pair, the documents
//! raising both, their Jaccard index and lift (observed over what independence would give).

/// Theme pairs are listed from this many shared documents.
pub const MIN_SHARED_THEME_DOCUMENTS: usize = 5;

/// One pair of categories or themes.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// `category` or `theme`.
    pub level: &'static str,
    pub a: String,
    pub b: String,
    pub documents_a: u64,
    pub documents_b: u64,
    pub documents_both: u64,
    pub jaccard: f64,
    pub lift: f64,
}

/// Every pair of `names` (all of them when `min_shared` is 0) from each counted document's
/// members.
pub fn pairs(
    level: &'static str,
    names: &[String],
    members: &[Vec<usize>],
    min_shared: usize,
) -> Vec<Pair> {
    let k = names.len();
    let mut single = vec![0u64; k];
    let mut both = std::collections::BTreeMap::<(usize, usize), u64>::new();
    for m in members {
        for (x, &i) in m.iter().enumerate() {
            single[i] += 1;
            for &j in &m[x + 1..] {
                *both.entry((i.min(j), i.max(j))).or_default() += 1;
            }
        }
    }
    let n = members.len() as f64;
    let pair = |i: usize, j: usize, ab: u64| {
        let (a, b) = (single[i], single[j]);
        let union = a + b - ab;
        Pair {
            level,
            a: names[i].clone(),
            b: names[j].clone(),
            documents_a: a,
            documents_b: b,
            documents_both: ab,
            jaccard: if union == 0 {
                0.0
            } else {
                ab as f64 / union as f64
            },
            lift: if a == 0 || b == 0 {
                0.0
            } else {
                ab as f64 * n / (a as f64 * b as f64)
            },
        }
    };
    match min_shared {
        0 => (0..k)
            .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
            .map(|(i, j)| pair(i, j, both.get(&(i, j)).copied().unwrap_or(0)))
            .collect(),
        _ => both
            .iter()
            .filter(|&(_, &ab)| ab as usize >= min_shared)
            .map(|(&(i, j), &ab)| pair(i, j, ab))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_and_lift_by_hand() {
        let names: Vec<String> = ["p1", "p2", "p3"].map(String::from).to_vec();
        let members = vec![vec![0, 1], vec![0, 1], vec![0], vec![2]];
        let all = pairs("category", &names, &members, 0);
        assert_eq!(all.len(), 3);
        let p12 = &all[0];
        assert_eq!(
            (p12.documents_a, p12.documents_b, p12.documents_both),
            (3, 2, 2)
        );
        assert!((p12.jaccard - 2.0 / 3.0).abs() < 1e-12);
        assert!((p12.lift - 2.0 * 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(pairs("theme", &names, &members, 3), vec![]);
        assert_eq!(pairs("theme", &names, &members, 2).len(), 1);
    }
}
