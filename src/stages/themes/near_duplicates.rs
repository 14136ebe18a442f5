//! Near-duplicates: a text whose vector and words are both nearly another's (a campaign text sent
//! again with a word changed) follows its original instead of weighing on the themes.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::linalg::{Rows, dot};

/// Near-duplicates (copy-paste campaigns with small edits): point `i` points to the original of the
/// earliest `j < i` of its group (`groups[i]`) whose cosine reaches `options.cosine` and whose word
/// set (`words[i]`: distinct token ids) has a Jaccard similarity of at least `options.words`; chains are
/// followed to the first point.
///
/// Exact, without comparing all pairs: with the tokens of every set ordered rarest first, two sets
/// with Jaccard ≥ t share a token among the first |x| − ⌈t·|x|⌉ + 1 of either (prefix filtering),
/// so only points sharing such a rare token are compared. Sets of fewer than `options.min_words` words take
/// no part: a short text is all frequent words, whose lists would make the search quadratic (and two
/// short texts are copies only when identical, which exact-duplicate detection already handles).
/// Parallel over points, deterministic.
pub fn near_duplicates(
    points: &Rows,
    groups: &[usize],
    words: &[Vec<u32>],
    options: &NearDuplicateOptions,
) -> Vec<Option<usize>> {
    let ordered = rarest_first(words);
    let search = PrefixSearch {
        ordered: &ordered,
        groups,
        jaccard: options.words,
        min_words: options.min_words.max(1),
    };
    let index = search.index();
    let first_match: Vec<Option<usize>> = (0..words.len())
        .into_par_iter()
        .map(|i| {
            search.candidates(&index, i).into_iter().find(|&j| {
                search.same_words(i, j) && dot(points.row(i), points.row(j)) >= options.cosine
            })
        })
        .collect();
    // Follow chains to the original (the earliest point without a match).
    (0..words.len())
        .map(|i| {
            let mut j = first_match[i]?;
            while let Some(next) = first_match[j] {
                j = next;
            }
            Some(j)
        })
        .collect()
}

/// When two testimonies count as near-duplicates, and how widely they are searched.
#[derive(Debug, Clone)]
pub struct NearDuplicateOptions {
    /// Cosine (raw embeddings) from which two testimonies count as near-duplicates.
    pub cosine: f32,
    /// Share of words (Jaccard) two near-duplicates have in common at least.
    pub words: f64,
    /// Distinct words a text needs to be searched (shorter ones: exact copies only).
    pub min_words: usize,
    /// Up to this many testimonies the whole corpus is searched; above, each theme of a first
    /// clustering.
    pub whole_corpus_up_to: usize,
}

impl Default for NearDuplicateOptions {
    fn default() -> Self {
        Self {
            cosine: 0.97,
            words: 0.7,
            min_words: 6,
            whole_corpus_up_to: 20_000,
        }
    }
}

/// Each word set as (document frequency, token), rarest first; ties broken by token id, so the
/// order is total.
fn rarest_first(words: &[Vec<u32>]) -> Vec<Vec<(u32, u32)>> {
    let mut df: HashMap<u32, u32> = HashMap::new();
    for set in words {
        for &t in set {
            *df.entry(t).or_default() += 1;
        }
    }
    words
        .par_iter()
        .map(|set| {
            let mut v: Vec<(u32, u32)> = set.iter().map(|&t| (df[&t], t)).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect()
}

/// Prefix filtering over word sets ordered rarest first.
struct PrefixSearch<'a> {
    ordered: &'a [Vec<(u32, u32)>],
    groups: &'a [usize],
    jaccard: f64,
    min_words: usize,
}

impl PrefixSearch<'_> {
    /// The tokens of set `i` that any set with Jaccard ≥ t must share one of.
    fn prefix(&self, i: usize) -> &[(u32, u32)] {
        let set = &self.ordered[i];
        if set.len() < self.min_words {
            return &[];
        }
        let len = set.len() - (self.jaccard * set.len() as f64).ceil() as usize + 1;
        &set[..len.min(set.len())]
    }

    /// (group, df, token) → the points whose prefix holds the token, in point order.
    fn index(&self) -> HashMap<(usize, u32, u32), Vec<usize>> {
        let mut index: HashMap<(usize, u32, u32), Vec<usize>> = HashMap::new();
        for i in 0..self.ordered.len() {
            for &(df, token) in self.prefix(i) {
                index
                    .entry((self.groups[i], df, token))
                    .or_default()
                    .push(i);
            }
        }
        index
    }

    /// Earlier points of the same group sharing a prefix token with `i`, sorted, each once.
    fn candidates(&self, index: &HashMap<(usize, u32, u32), Vec<usize>>, i: usize) -> Vec<usize> {
        let mut candidates: Vec<usize> = self
            .prefix(i)
            .iter()
            .flat_map(|&(df, token)| {
                index[&(self.groups[i], df, token)]
                    .iter()
                    .copied()
                    .take_while(|&j| j < i)
            })
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
    }

    /// Jaccard of the two word sets reaches the threshold (size filter first: Jaccard ≥ t needs
    /// t·|x| ≤ |y| ≤ |x|/t).
    fn same_words(&self, i: usize, j: usize) -> bool {
        let (a, b) = (&self.ordered[i], &self.ordered[j]);
        let (small, large) = (a.len().min(b.len()), a.len().max(b.len()));
        if (small as f64) < self.jaccard * large as f64 {
            return false;
        }
        let (mut x, mut y, mut inter) = (0, 0, 0usize);
        while x < a.len() && y < b.len() {
            match a[x].cmp(&b[y]) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    inter += 1;
                    x += 1;
                    y += 1;
                }
            }
        }
        let union = a.len() + b.len() - inter;
        union > 0 && inter as f64 >= self.jaccard * union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Near-duplicate options for the small cases: cosine 0.99, Jaccard 0.7.
    fn strict(min_words: usize) -> NearDuplicateOptions {
        NearDuplicateOptions {
            cosine: 0.99,
            words: 0.7,
            min_words,
            ..Default::default()
        }
    }

    #[test]
    fn near_duplicates_point_to_the_first_original() {
        let data = [1.0f32, 0.0, 0.999, 0.0447, 0.0, 1.0, 0.998, 0.0632];
        let points = Rows {
            data: &data,
            dim: 2,
        };
        let same = vec![vec![1, 2, 3, 4]; 4];
        let near = near_duplicates(&points, &[0; 4], &same, &strict(1));
        assert_eq!(near, [None, Some(0), None, Some(0)]);
        // The words must be shared too: 3 of 5 distinct words is a Jaccard of 0.6.
        let words = vec![
            vec![1, 2, 3, 4],
            vec![1, 2, 3, 5],
            vec![9],
            vec![1, 2, 3, 4, 7],
        ];
        assert_eq!(
            near_duplicates(&points, &[0; 4], &words, &strict(1)),
            [None, None, None, Some(0)]
        );
        // Sets below the minimum size take no part.
        assert_eq!(
            near_duplicates(&points, &[0; 4], &same, &strict(5)),
            [None; 4]
        );
        // Another group is not searched.
        assert_eq!(
            near_duplicates(&points, &[0, 1, 1, 2], &same, &strict(1)),
            [None; 4]
        );
    }

    /// Prefix filtering finds exactly the pairs a comparison of all pairs finds.
    #[test]
    fn near_duplicates_equal_the_all_pairs_answer() {
        let mut rng = Rng::new(7);
        let n = 400;
        let dim = 4;
        let mut data = Vec::new();
        let mut words = Vec::new();
        for i in 0..n {
            // Few base vectors and word sets, with edits, so that many pairs qualify.
            let base = rng.below(20);
            let v: Vec<f32> = (0..dim)
                .map(|d| ((base * 7 + d) % 5) as f32 + 0.02 * rng.next_f64() as f32)
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / norm));
            let mut set: Vec<u32> = (0..8).map(|w| (base * 10 + w) as u32).collect();
            if rng.below(2) == 0 {
                set.pop();
            }
            if rng.below(3) == 0 {
                set.push(1000 + i as u32);
            }
            words.push(set);
        }
        let points = Rows { data: &data, dim };
        let jaccard = |a: &Vec<u32>, b: &Vec<u32>| {
            let inter = a.iter().filter(|x| b.contains(x)).count();
            inter as f64 / (a.len() + b.len() - inter) as f64
        };
        let first: Vec<Option<usize>> = (0..n)
            .map(|i| {
                (0..i).find(|&j| {
                    dot(points.row(i), points.row(j)) >= 0.99
                        && jaccard(&words[i], &words[j]) >= 0.7
                })
            })
            .collect();
        let brute: Vec<Option<usize>> = (0..n)
            .map(|i| {
                let mut j = first[i]?;
                while let Some(next) = first[j] {
                    j = next;
                }
                Some(j)
            })
            .collect();
        let fast = near_duplicates(&points, &vec![0; n], &words, &strict(1));
        assert_eq!(fast, brute);
        assert!(fast.iter().filter(|o| o.is_some()).count() > 100);
    }
}
