//! Passage mode: what each document raises, from what its passages were mapped to. A document's
//! `pillar` is the category most of its passages have; `pillars` lists every category it raises
//! by the rule of [`PillarsRule`], chosen with `cargo run -p xtask -- bench passages` (METHODS.md).

use super::stage::Passages;
use crate::pipeline::{Categories, Prepared, Themes};
use crate::stages::write::table::DocumentTable;

/// When a document raises a category besides its main one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PillarsRule {
    /// At least this many of its passages have the category…
    pub min_passages: usize,
    /// …or at least this share of its passages…
    pub min_share: f32,
    /// …or passages holding at least this many words between them, however the text was cut.
    pub min_words: usize,
}

impl Default for PillarsRule {
    fn default() -> Self {
        // `xtask bench passages` (METHODS.md, "Long texts"): of the rules swept,
        // 3 passages or a quarter of them is at least as good as every neighbour on the three
        // sets at once (micro-F1 0.899 / 0.884 / 0.517 against 0.890 / 0.884 / 0.511 for 2).
        // 100 words: a text without paragraph breaks is cut into few long passages, so that a
        // subject it treats at length may fill one passage of three. Chosen on `--seed 42`
        // (flattened 0.873 → 0.885; paragraphs 0.904 → 0.905; the questions 0.538 → 0.538 and
        // 0.519 → 0.520), checked on `--seed 7` (0.886 → 0.899; 0.892 → 0.891); 80 words loses
        // 0.010 on the questions, 120 gains less on the flattened texts.
        Self {
            min_passages: 3,
            min_share: 0.25,
            min_words: 100,
        }
    }
}

/// Each document's passages counted per category (the last slot is `none`), and the summed
/// scores that break ties.
pub struct Counts {
    pub counts: Vec<Vec<usize>>,
    /// Words of the passages counted in each slot.
    words: Vec<Vec<usize>>,
    scores: Vec<Vec<f32>>,
    themes: Vec<Vec<(usize, usize)>>,
}

/// Counts every document's labelled passages (an empty or letterless passage has no label).
pub fn count(
    prepared: &Prepared,
    themes: &Themes,
    categories: &Categories,
    passages: &Passages,
) -> Counts {
    let k = prepared.taxonomy.categories.len();
    let n = passages.per_document.len();
    let mut counts = vec![vec![0usize; k + 1]; n];
    let mut words = vec![vec![0usize; k + 1]; n];
    let mut scores = vec![vec![0f32; k + 1]; n];
    let mut theme_counts: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (row, &doc) in passages.document.iter().enumerate() {
        let Some(d) = prepared.distinct_of[row] else {
            continue;
        };
        let (best, score) = categories.best[d];
        let slot = if categories.outside[d] { k } else { best };
        counts[doc][slot] += 1;
        words[doc][slot] += super::cut::word_count(&passages.corpus.texts[row]);
        scores[doc][slot] += score;
        let theme = themes.clustering.labels[d];
        match theme_counts[doc].iter_mut().find(|(t, _)| *t == theme) {
            Some((_, c)) => *c += 1,
            None => theme_counts[doc].push((theme, 1)),
        }
    }
    Counts {
        counts,
        words,
        scores,
        themes: theme_counts,
    }
}

impl Counts {
    /// The main category of a document: most passages, then the higher summed score, then the
    /// first; `None` when no passage is labelled, `Some(k)` (none) when every one is outside.
    pub fn main(&self, doc: usize) -> Option<usize> {
        let (c, s) = (&self.counts[doc], &self.scores[doc]);
        let k = c.len() - 1;
        let labelled: usize = c.iter().sum();
        if labelled == 0 {
            return None;
        }
        let best = (0..k)
            .filter(|&j| c[j] > 0)
            .max_by(|&a, &b| c[a].cmp(&c[b]).then(s[a].total_cmp(&s[b])).then(b.cmp(&a)));
        Some(best.unwrap_or(k))
    }

    /// Every category the document raises: its main one, and each other with enough passages
    /// or words.
    pub fn raised(&self, doc: usize, rule: &PillarsRule) -> Vec<usize> {
        let (c, w) = (&self.counts[doc], &self.words[doc]);
        let k = c.len() - 1;
        let labelled: usize = c.iter().sum();
        let main = self.main(doc);
        (0..k)
            .filter(|&j| {
                Some(j) == main
                    || (c[j] > 0
                        && (c[j] >= rule.min_passages
                            || c[j] as f32 >= rule.min_share * labelled as f32
                            || w[j] >= rule.min_words))
            })
            .collect()
    }

    /// The theme most of a document's passages belong to (the lower id on a tie).
    fn theme(&self, doc: usize) -> Option<u32> {
        self.themes[doc]
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|&(t, _)| t as u32)
    }
}

/// The document table: one row per input row, in input order.
pub fn documents<'a>(
    input: &'a crate::stages::read::ingest::Corpus,
    prepared: &Prepared,
    counts: &Counts,
    passages: &Passages,
    rule: &PillarsRule,
) -> DocumentTable<'a> {
    let cats = &prepared.taxonomy.categories;
    let k = cats.len();
    let name = |j: usize| {
        if j == k {
            "none".to_string()
        } else {
            cats[j].id.clone()
        }
    };
    let n = input.len();
    let share = |doc: usize, j: usize| -> Option<f32> {
        let labelled: usize = counts.counts[doc].iter().sum();
        (labelled > 0).then(|| counts.counts[doc][j] as f32 / labelled as f32)
    };
    let mut shares: Vec<(String, Vec<Option<f32>>)> = (0..=k)
        .map(|j| (name(j), (0..n).map(|doc| share(doc, j)).collect()))
        .collect();
    if counts.counts.iter().all(|c| c[k] == 0) {
        shares.pop(); // no share_none column when nothing is outside
    }
    DocumentTable {
        ids: &input.ids,
        passages: passages.per_document.clone(),
        pillar: (0..n).map(|doc| counts.main(doc).map(name)).collect(),
        pillars: (0..n)
            .map(|doc| counts.raised(doc, rule).into_iter().map(name).collect())
            .collect(),
        shares,
        theme_id: (0..n).map(|doc| counts.theme(doc)).collect(),
        status: (0..n).map(|doc| status(input, counts, doc)).collect(),
        campaign: vec![None; n],
        passthrough: &input.passthrough,
    }
}

/// ok, empty, rejected with the reason reading gave, or `rejected:no_words` when no passage of
/// the document holds a letter.
fn status(input: &crate::stages::read::ingest::Corpus, counts: &Counts, doc: usize) -> String {
    if let Some(reason) = &input.rejected[doc] {
        format!("rejected:{reason}")
    } else if input.texts[doc].trim().is_empty() {
        "empty".into()
    } else if counts.main(doc).is_none() {
        "rejected:no_words".into()
    } else {
        "ok".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts of passages per slot, each passage of 40 words.
    fn counts(per_doc: Vec<Vec<usize>>) -> Counts {
        let n = per_doc.len();
        let k = per_doc[0].len();
        Counts {
            words: (per_doc.iter())
                .map(|d| d.iter().map(|c| 40 * c).collect())
                .collect(),
            counts: per_doc,
            scores: vec![vec![0.0; k]; n],
            themes: vec![vec![(3, 2), (1, 2), (0, 1)]; n],
        }
    }

    #[test]
    fn the_main_category_has_most_passages_and_none_only_when_all_are_outside() {
        let c = counts(vec![vec![1, 3, 0, 5], vec![0, 0, 0, 2], vec![0, 0, 0, 0]]);
        assert_eq!(c.main(0), Some(1));
        assert_eq!(c.main(1), Some(3));
        assert_eq!(c.main(2), None);
        assert_eq!(c.theme(0), Some(1));
    }

    #[test]
    fn a_category_is_raised_by_enough_passages_or_a_large_enough_share() {
        let rule = PillarsRule {
            min_passages: 2,
            min_share: 0.25,
            min_words: usize::MAX,
        };
        let c = counts(vec![vec![1, 6, 2, 0], vec![1, 2, 0, 0], vec![1, 9, 0, 0]]);
        assert_eq!(c.raised(0, &rule), [1, 2]);
        assert_eq!(c.raised(1, &rule), [0, 1]); // 1 of 3 passages: a third
        assert_eq!(c.raised(2, &rule), [1]);
    }

    #[test]
    fn a_category_is_raised_by_enough_words_in_few_long_passages() {
        let rule = PillarsRule {
            min_passages: 3,
            min_share: 0.25,
            min_words: 100,
        };
        let mut c = counts(vec![vec![1, 9, 0, 0], vec![1, 9, 0, 0]]);
        c.words[0] = vec![110, 900, 0, 0]; // one long passage of 10: raised by its words
        assert_eq!(c.raised(0, &rule), [0, 1]);
        assert_eq!(c.raised(1, &rule), [1]); // one passage of 40 words: not
    }
}
