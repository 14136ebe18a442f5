//! Stage 5: what each theme is about (keywords, a title, its category, representative quotes) and
//! the language of each testimony. Everything published is pseudonymised unless asked otherwise.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::pipeline::{Categories, Embedded, Prepared, RunConfig, Themes};
use crate::privacy::Pseudonymiser;
use crate::stages::categories::mapping as map;
use crate::stages::curate::Curation;
use crate::stages::describe::keywords::{
    self as describe, FrenchAnalyzer, Keyword, KeywordOptions,
};
use crate::stages::describe::kind::{Kind, text_kind};
use crate::stages::write::table::ThemeRow;
use crate::text::detect_language;

pub struct Described {
    pub theme_rows: Vec<ThemeRow>,
    /// What each distinct text does: propose, report an experience, or describe.
    pub kinds: Vec<Kind>,
    /// Every distinct text that proposes a change (no near-duplicate), published, by theme then
    /// input order: (distinct text, text).
    pub proposals: Vec<(usize, String)>,
    /// Guessed language of each distinct text.
    pub languages: Vec<&'static str>,
    /// Quotes and keywords in which personal data was replaced.
    pub pseudonymised: usize,
    /// What replaced it, having learned the corpus's surnames: the writer applies it to every
    /// other text it publishes (passages, text-like input columns). `None` with `--no-pseudonymise`.
    pub pseudonymiser: Option<Pseudonymiser>,
}

/// Publishes texts: personal data replaced (unless turned off), replacements counted.
struct Publisher {
    pseudonymiser: Option<Pseudonymiser>,
    replaced: usize,
}

impl Publisher {
    fn publish(&mut self, text: String) -> String {
        let Some(p) = &self.pseudonymiser else {
            return text;
        };
        match p.apply(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(safe) => {
                self.replaced += 1;
                safe
            }
        }
    }
}

pub fn describe(
    prepared: &Prepared,
    embedded: &Embedded,
    themes: &Themes,
    categories: &Categories,
    curation: &Curation,
    config: &RunConfig,
) -> Described {
    let texts = prepared.texts();
    let k = themes.clustering.themes();
    // Keywords and titles come from the texts with personal data removed: a surname or an e-mail
    // user name that recurs must not become a keyword ("Dupont, jean et caf").
    let pseudonymiser = config
        .output
        .pseudonymise
        .then(|| Pseudonymiser::for_corpus(&prepared.corpus.texts));
    let keyword_texts: Vec<Cow<str>> = match &pseudonymiser {
        Some(p) => texts.par_iter().map(|t| p.remove(t)).collect(),
        None => texts.iter().map(|t| Cow::Borrowed(*t)).collect(),
    };
    let keyword_texts: Vec<&str> = keyword_texts.iter().map(|t| t.as_ref()).collect();
    let analyzer = FrenchAnalyzer::new();
    let keywords = describe::keywords(
        &analyzer,
        &keyword_texts,
        &themes.clustering.labels,
        &themes.weights,
        k,
        &KeywordOptions {
            per_theme: config.describe.keywords,
            ..KeywordOptions::default()
        },
    );
    let titles = crate::stages::describe::titles::phrase_titles(
        &keyword_texts,
        &central_texts(themes, &curation.hidden),
        &|w| analyzer.is_stop(w),
        &describe::distinct_titles(&keywords),
    );
    let mut publisher = Publisher {
        pseudonymiser,
        replaced: 0,
    };
    let kinds: Vec<Kind> = texts.par_iter().map(|t| text_kind(t)).collect();
    let theme_rows = (0..k)
        .map(|theme| {
            let row = Theme {
                prepared,
                embedded,
                themes,
                categories,
                curation,
                config,
                theme,
                kinds: &kinds,
            };
            let title = curation.titles[theme].clone();
            let title = title.unwrap_or_else(|| titles[theme].clone());
            row.describe(title, &keywords[theme], &mut publisher)
        })
        .collect();
    let proposals = all_proposals(&texts, &kinds, themes, &curation.hidden, &mut publisher);
    Described {
        theme_rows,
        kinds,
        proposals,
        languages: texts.iter().map(|t| detect_language(t)).collect(),
        pseudonymised: publisher.replaced,
        pseudonymiser: publisher.pseudonymiser,
    }
}

/// Each theme's texts, most central first (near-duplicates and hidden texts left out: a title
/// may quote a phrase), at most [`crate::stages::describe::titles::CENTRAL_TEXTS`].
fn central_texts(themes: &Themes, hidden: &[bool]) -> Vec<Vec<usize>> {
    let c = &themes.clustering;
    (0..c.themes())
        .map(|t| {
            let mut members: Vec<usize> = themes
                .members(t)
                .into_iter()
                .filter(|&d| themes.near[d].is_none() && !hidden[d])
                .collect();
            members.sort_by(|&a, &b| c.similarity[b].total_cmp(&c.similarity[a]).then(a.cmp(&b)));
            members.truncate(crate::stages::describe::titles::CENTRAL_TEXTS);
            members
        })
        .collect()
}

/// Every proposal (no near-duplicate, nothing hidden), published whole, by theme then input order.
fn all_proposals(
    texts: &[&str],
    kinds: &[Kind],
    themes: &Themes,
    hidden: &[bool],
    publisher: &mut Publisher,
) -> Vec<(usize, String)> {
    let labels = &themes.clustering.labels;
    let mut picked: Vec<usize> = (0..texts.len())
        .filter(|&d| kinds[d] == Kind::Proposition && themes.near[d].is_none() && !hidden[d])
        .collect();
    picked.sort_by_key(|&d| (labels[d], d));
    picked
        .into_iter()
        .map(|d| (d, publisher.publish(texts[d].to_string())))
        .collect()
}

/// One theme and everything needed to describe it.
struct Theme<'a, 'c> {
    prepared: &'a Prepared<'c>,
    embedded: &'a Embedded,
    themes: &'a Themes,
    categories: &'a Categories,
    curation: &'a Curation,
    config: &'a RunConfig,
    theme: usize,
    kinds: &'a [Kind],
}

impl Theme<'_, '_> {
    fn describe(&self, title: String, keywords: &[Keyword], publisher: &mut Publisher) -> ThemeRow {
        let members = self.themes.members(self.theme);
        let labels = &self.themes.clustering.labels;
        let size = self
            .prepared
            .distinct_of
            .iter()
            .filter(|d| d.is_some_and(|d| labels[d] == self.theme))
            .count();
        let mut documents: Vec<usize> = (0..self.prepared.distinct_of.len())
            .filter(|&r| self.prepared.distinct_of[r].is_some_and(|d| labels[d] == self.theme))
            .map(|r| self.prepared.document[r])
            .collect();
        documents.dedup(); // rows are in document order
        let (pillar, pillar_score) = self.category(&members);
        let (best, outside) = (&self.categories.best, &self.categories.outside);
        let none = self.categories.count();
        let slot = |d: usize| if outside[d] { none } else { best[d].0 };
        let purity = match &self.themes.category {
            Some(_) => members.iter().filter(|&&d| slot(d) == pillar).count(),
            None => members.iter().filter(|&&d| best[d].0 == pillar).count(),
        } as f32
            / members.len().max(1) as f32;
        let corpus = self.prepared.corpus;
        let picked = self.quotes(&members);
        let proposals = self.of_kind(&members, Kind::Proposition);
        let experiences = self.of_kind(&members, Kind::Experience);
        let quote_chars = self.config.describe.quote_chars;
        let id = |d: usize| corpus.ids[self.prepared.distinct[d]].clone();
        ThemeRow {
            theme_id: self.theme as u32,
            theme_key: self.curation.keys[self.theme].clone(),
            title,
            size: size as u32,
            share: size as f64 / self.prepared.assigned() as f64,
            pillar: match self.prepared.taxonomy.categories.get(pillar) {
                Some(c) => c.id.clone(),
                None => "none".to_string(),
            },
            pillar_score,
            pillar_purity: purity,
            documents: documents.len() as u32,
            keywords: keywords
                .iter()
                .map(|k| publisher.publish(k.text.clone()))
                .collect(),
            quotes: picked
                .iter()
                .map(|&d| {
                    let text = &corpus.texts[self.prepared.distinct[d]];
                    publisher.publish(describe::trim_quote(text, self.config.describe.quote_chars))
                })
                .collect(),
            quote_ids: picked.iter().map(|&d| id(d)).collect(),
            proposals: self.published(&proposals, quote_chars, publisher),
            proposal_ids: proposals.iter().map(|&d| id(d)).collect(),
            experiences: self.published(&experiences, quote_chars, publisher),
            experience_ids: experiences.iter().map(|&d| id(d)).collect(),
            edited: (self.curation.theme_edits[self.theme].iter())
                .map(|e| e.to_string())
                .collect(),
        }
    }

    /// The theme's category (the number of categories for `none`) and its mean score over the
    /// theme's testimonies: the category it was formed in, or across categories the best mean.
    fn category(&self, members: &[usize]) -> (usize, f32) {
        let categories = self.categories.count();
        let mut mean = vec![0f32; categories];
        for &d in members {
            for (m, s) in mean.iter_mut().zip(self.categories.scores(d)) {
                *m += s / members.len() as f32;
            }
        }
        match &self.themes.category {
            Some(slots) => {
                let slot = slots[self.theme];
                (
                    slot,
                    mean.get(slot)
                        .copied()
                        .unwrap_or_else(|| map::best(&mean, categories)[0].1),
                )
            }
            None => map::best(&mean, categories)[0],
        }
    }

    /// Texts cut to a quote's length and published.
    fn published(&self, picked: &[usize], chars: usize, publisher: &mut Publisher) -> Vec<String> {
        let corpus = self.prepared.corpus;
        picked
            .iter()
            .map(|&d| {
                let text = &corpus.texts[self.prepared.distinct[d]];
                publisher.publish(describe::trim_quote(text, chars))
            })
            .collect()
    }

    /// Central and diverse texts of one kind (MMR, as quotes), never a near-duplicate; pinned
    /// ones first.
    fn of_kind(&self, members: &[usize], kind: Kind) -> Vec<usize> {
        let pool: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&d| self.kinds[d] == kind && self.themes.near[d].is_none())
            .collect();
        self.pinned_then_picked(&pool)
    }

    /// The theme's pinned texts found in `pool`, then central and diverse ones (MMR) among the
    /// rest, up to `--quotes` (more when more are pinned); hidden texts never.
    fn pinned_then_picked(&self, pool: &[usize]) -> Vec<usize> {
        let pinned: Vec<usize> = (self.curation.pinned[self.theme].iter())
            .copied()
            .filter(|d| pool.contains(d))
            .collect();
        let rest: Vec<usize> = (pool.iter().copied())
            .filter(|&d| !self.curation.hidden[d] && !pinned.contains(&d))
            .collect();
        let points = self.embedded.centred_rows();
        let options = &self.config.describe;
        let mut picked = pinned.clone();
        picked.extend(describe::select_quotes(
            &rest,
            self.themes.clustering.centroid(self.theme),
            |d| points.row(d),
            options.quotes.saturating_sub(pinned.len()),
            options.quote_diversity as f32,
        ));
        picked
    }

    /// Central and diverse quotes; never a near-duplicate, weakly attached testimonies only when
    /// the firm ones are too few.
    fn quotes(&self, members: &[usize]) -> Vec<usize> {
        let (clustering, near) = (&self.themes.clustering, &self.themes.near);
        let hidden = &self.curation.hidden;
        let originals: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&d| near[d].is_none() && !hidden[d])
            .collect();
        let firm: Vec<usize> = originals
            .iter()
            .copied()
            .filter(|&d| !clustering.weak[d])
            .collect();
        let mut pool = if firm.len() >= self.config.describe.quotes {
            firm
        } else {
            originals
        };
        // A pinned quote is shown even when weakly attached.
        for &d in &self.curation.pinned[self.theme] {
            if !pool.contains(&d) {
                pool.push(d);
            }
        }
        self.pinned_then_picked(&pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_pseudonymises_and_counts_only_what_changed() {
        let mut on = Publisher {
            pseudonymiser: Some(Pseudonymiser::new()),
            replaced: 0,
        };
        let plain = "Les urgences débordent le week-end.".to_string();
        assert_eq!(on.publish(plain.clone()), plain);
        let mail = on.publish("Écrivez-moi à jean.dupont@example.fr merci".to_string());
        assert!(!mail.contains("dupont@"), "{mail}");
        assert_eq!(on.replaced, 1);
        let mut off = Publisher {
            pseudonymiser: None,
            replaced: 0,
        };
        let kept = off.publish("jean.dupont@example.fr".to_string());
        assert_eq!((kept.as_str(), off.replaced), ("jean.dupont@example.fr", 0));
    }
}
