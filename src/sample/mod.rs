//! `verbatim sample`: which testimonies an analyst should tag by hand, so that the tags both
//! teach the mapping (`run --labels`) and measure it without bias.
//!
//! A sample has two parts. The **random** part is drawn first, uniformly over every analysed
//! testimony, from the seed alone: whatever the strategy, the same seed gives the same random
//! part, and the accuracy measured on it estimates the accuracy on the whole corpus. The
//! **chosen** part is picked by the strategy: the testimonies the mapping is least sure of
//! (`uncertain`), spread over categories and themes (`stratified`), or both (`mixed`). No
//! testimony is proposed when a near-duplicate of it already is: the same text tagged twice
//! teaches nothing twice.

pub mod sheet;
pub mod source;

use std::collections::{BTreeMap, HashSet};

use crate::rng::Rng;
use crate::text::fold;

/// How the chosen part is picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Smallest margin between the best and the second category first.
    Uncertain,
    /// In turn from each category, and within it from each theme (largest first), at random.
    Stratified,
    /// In turn from each category and theme, the smallest margin first within each theme.
    Mixed,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Uncertain => "uncertain",
            Strategy::Stratified => "stratified",
            Strategy::Mixed => "mixed",
        }
    }
}

/// Settings of a sample; the defaults are written once, here.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    pub n: usize,
    pub strategy: Strategy,
    /// Share of `n` drawn at random (the unbiased part).
    pub random_share: f64,
    pub seed: u64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            n: 100,
            strategy: Strategy::Mixed,
            random_share: 0.2,
            seed: 42,
        }
    }
}

/// One testimony the sample may propose.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub text: &'a str,
    /// The mapping's category (`None`: sent to `none`; only the random part proposes those).
    pub category: Option<usize>,
    /// Best probability minus the second's.
    pub margin: f32,
    /// Theme within the category, if it has one.
    pub theme: Option<i64>,
}

/// Which part of the sample a testimony belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Random,
    Chosen,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Random => "random",
            Part::Chosen => "chosen",
        }
    }
}

/// A proposed testimony: its index in the candidates and its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    pub index: usize,
    pub part: Part,
}

/// The sample: the random part first, then the chosen part in the strategy's order.
pub fn choose(candidates: &[Candidate], options: &SampleOptions) -> Vec<Pick> {
    let n = options.n.min(candidates.len());
    let random = ((n as f64 * options.random_share).round() as usize).min(n);
    let mut taken = Taken::default();
    let mut picks = Vec::with_capacity(n);
    for index in random_order(candidates.len(), options.seed) {
        if picks.len() == random {
            break;
        }
        if taken.admit(index, candidates[index].text) {
            picks.push(Pick {
                index,
                part: Part::Random,
            });
        }
    }
    for index in chosen_order(candidates, options) {
        if picks.len() == n {
            break;
        }
        if taken.admit(index, candidates[index].text) {
            picks.push(Pick {
                index,
                part: Part::Chosen,
            });
        }
    }
    picks
}

/// Every index once, in a seeded random order (Fisher–Yates).
fn random_order(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    Rng::new(seed).shuffle(&mut order);
    order
}

/// The candidates with a category, in the order the strategy proposes them.
fn chosen_order(candidates: &[Candidate], options: &SampleOptions) -> Vec<usize> {
    let by_margin = |a: &usize, b: &usize| {
        candidates[*a]
            .margin
            .total_cmp(&candidates[*b].margin)
            .then(a.cmp(b))
    };
    let mapped = (0..candidates.len()).filter(|&i| candidates[i].category.is_some());
    match options.strategy {
        Strategy::Uncertain => {
            let mut order: Vec<usize> = mapped.collect();
            order.sort_by(by_margin);
            order
        }
        Strategy::Stratified | Strategy::Mixed => {
            // A seed of its own, so that the chosen part does not replay the random part's draws.
            let shuffled = random_order(candidates.len(), options.seed ^ 0x5EED);
            let mut rank = vec![0usize; candidates.len()];
            for (r, &i) in shuffled.iter().enumerate() {
                rank[i] = r;
            }
            let mut groups = groups(candidates, mapped);
            for themes in groups.values_mut() {
                for members in themes.iter_mut() {
                    match options.strategy {
                        Strategy::Mixed => members.sort_by(by_margin),
                        _ => members.sort_by_key(|&i| rank[i]),
                    }
                }
            }
            interleave(groups.into_values().map(interleave).collect())
        }
    }
}

/// Members of each category, split by theme, largest theme first (ties by theme id).
fn groups(
    candidates: &[Candidate],
    mapped: impl Iterator<Item = usize>,
) -> BTreeMap<usize, Vec<Vec<usize>>> {
    let mut by_theme: BTreeMap<usize, BTreeMap<Option<i64>, Vec<usize>>> = BTreeMap::new();
    for i in mapped {
        let c = &candidates[i];
        let category = c.category.expect("only mapped candidates");
        by_theme
            .entry(category)
            .or_default()
            .entry(c.theme)
            .or_default()
            .push(i);
    }
    by_theme
        .into_iter()
        .map(|(category, themes)| {
            let mut themes: Vec<Vec<usize>> = themes.into_values().collect();
            themes.sort_by_key(|members| std::cmp::Reverse(members.len()));
            (category, themes)
        })
        .collect()
}

/// One from each list in turn, until all are used up.
fn interleave(lists: Vec<Vec<usize>>) -> Vec<usize> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| lists.iter().filter_map(move |l| l.get(i).copied()))
        .collect()
}

/// The testimonies already proposed, to keep out their near-duplicates.
#[derive(Default)]
struct Taken {
    indices: HashSet<usize>,
    shingles: Vec<HashSet<u64>>,
}

impl Taken {
    /// Takes `index` unless it, or a near-duplicate of its text, is already taken.
    fn admit(&mut self, index: usize, text: &str) -> bool {
        if self.indices.contains(&index) {
            return false;
        }
        let s = shingles(text);
        if self.shingles.iter().any(|t| near_duplicates(&s, t)) {
            return false;
        }
        self.indices.insert(index);
        self.shingles.push(s);
        true
    }
}

/// Share of shared word trigrams above which two texts are the same testimony with small edits
/// (a word changed in a ten-word answer still shares 0.5 of its trigrams).
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.5;

/// Hashes of the word trigrams of a text, without case, accents or punctuation (of its words
/// when it has fewer than three).
fn shingles(text: &str) -> HashSet<u64> {
    use std::hash::{Hash, Hasher};
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let width = words.len().clamp(1, 3);
    words
        .windows(width)
        .map(|w| {
            // FNV-1a: the same hashes on every platform and version.
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Two texts are near-duplicates when their trigram sets overlap by at least
/// [`NEAR_DUPLICATE_JACCARD`] (two empty texts are).
fn near_duplicates(a: &HashSet<u64>, b: &HashSet<u64>) -> bool {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    union == 0 || shared as f64 / union as f64 >= NEAR_DUPLICATE_JACCARD
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(texts: &[String]) -> Vec<Candidate<'_>> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Candidate {
                text: t,
                category: (i % 7 != 0).then_some(i % 3),
                margin: ((i * 37) % 101) as f32 / 100.0,
                theme: Some((i % 5) as i64),
            })
            .collect()
    }

    /// 300 distinct testimonies of twelve words, each also present with one word changed and once
    /// more in capitals.
    fn texts() -> Vec<String> {
        let vocabulary: Vec<String> = (0..97).map(|w| format!("mot{w}")).collect();
        let mut texts = Vec::new();
        for i in 0..300usize {
            let words: Vec<&str> = (0..12)
                .map(|k| vocabulary[(i * 31 + k * (i % 13 + 1) * 7) % 97].as_str())
                .collect();
            let base = words.join(" ");
            texts.push(base.clone());
            texts.push(base.replacen(words[5], "autre", 1));
            texts.push(base.to_uppercase());
        }
        texts
    }

    #[test]
    fn never_proposes_a_near_duplicate_twice() {
        let texts = texts();
        let c = candidates(&texts);
        for strategy in [Strategy::Uncertain, Strategy::Stratified, Strategy::Mixed] {
            let options = SampleOptions {
                n: 250,
                strategy,
                ..SampleOptions::default()
            };
            let picks = choose(&c, &options);
            assert_eq!(picks.len(), 250);
            let originals: HashSet<usize> = picks.iter().map(|p| p.index / 3).collect();
            assert_eq!(originals.len(), picks.len(), "{strategy:?}");
        }
        let a = shingles("Le dossier numéro 4 attend depuis des mois à la caisse");
        let b = shingles("Un tout autre sujet : les urgences ferment la nuit dans ma ville");
        assert!(!near_duplicates(&a, &b));
    }

    #[test]
    fn the_random_part_depends_on_the_seed_alone() {
        let texts = texts();
        let c = candidates(&texts);
        let random_part = |strategy, seed| -> Vec<usize> {
            let options = SampleOptions {
                strategy,
                seed,
                ..SampleOptions::default()
            };
            choose(&c, &options)
                .iter()
                .filter(|p| p.part == Part::Random)
                .map(|p| p.index)
                .collect()
        };
        let first = random_part(Strategy::Mixed, 7);
        assert_eq!(first.len(), 20);
        assert_eq!(first, random_part(Strategy::Uncertain, 7));
        assert_eq!(first, random_part(Strategy::Stratified, 7));
        assert_ne!(first, random_part(Strategy::Mixed, 8));
        // Random means spread over the corpus, `none` testimonies included, not the lowest margins.
        let with_none = (0..300)
            .flat_map(|s| random_part(Strategy::Mixed, s))
            .filter(|&i| c[i].category.is_none())
            .count();
        let share = with_none as f64 / 6000.0;
        assert!((0.10..0.19).contains(&share), "{share}");
    }

    #[test]
    fn strategies_follow_their_definitions() {
        let texts: Vec<String> = (0..90)
            .map(|i| format!("témoignage {i} sans rapport {}", i * i))
            .collect();
        let c = candidates(&texts);
        let chosen = |strategy| -> Vec<usize> {
            let options = SampleOptions {
                n: 30,
                strategy,
                random_share: 0.0,
                seed: 1,
            };
            choose(&c, &options).iter().map(|p| p.index).collect()
        };
        let uncertain = chosen(Strategy::Uncertain);
        let margins: Vec<f32> = uncertain.iter().map(|&i| c[i].margin).collect();
        assert!(margins.windows(2).all(|w| w[0] <= w[1]), "{margins:?}");
        for strategy in [Strategy::Stratified, Strategy::Mixed] {
            let picks = chosen(strategy);
            let first_three: HashSet<Option<usize>> =
                picks[..3].iter().map(|&i| c[i].category).collect();
            assert_eq!(first_three.len(), 3, "{strategy:?}: categories in turn");
            assert!(picks.iter().all(|&i| c[i].category.is_some()));
        }
    }
}
