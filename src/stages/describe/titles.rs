//! Theme titles a writer can use: a short phrase taken from the theme's own texts (« délais de
//! remboursement », « revalorisation des salaires des infirmières »), not a list of keywords.
//!
//! Candidates are the phrases of 2–6 words of the theme's most central testimonies: content words
//! joined directly or by « de », « du », « des », « d' », « à », « au », « aux », « en », « pour »
//! (with « la », « le », « les », « l' » after them), beginning and ending with a content word, with
//! at least two content words of which one is not generic (question, problème, chose, personne,
//! temps…). They are ranked by class-based TF-IDF on phrases: used by many of the theme's
//! testimonies, by few of the other themes'. A theme keeps its keyword title when no phrase recurs;
//! titles stay distinct across the run.

use std::collections::{HashMap, HashSet};

use crate::text::fold;

/// Words that join the content words of a phrase.
const LINKS: [&str; 9] = ["de", "du", "des", "d", "à", "au", "aux", "en", "pour"];
/// Articles allowed right after a link (« de la », « à l' »).
const ARTICLES: [&str; 4] = ["la", "le", "les", "l"];
/// Content words too vague to carry a title alone.
const GENERIC: &str = "question questions problème problèmes chose choses personne personnes temps \
    faire fait gens cas niveau part fois monde manière façon rien tout point moment jour jours \
    année années sujet exemple situation madame monsieur ministre premier première gouvernement \
    fin mois semaine semaines besoin besoins place mise effet vie type partie nombre ensemble";

/// Longest phrase, in words, and most central testimonies read per theme.
const MAX_WORDS: usize = 6;
pub const CENTRAL_TEXTS: usize = 200;

/// One candidate phrase of a theme.
#[derive(Debug, Default)]
struct Candidate {
    /// Weighted testimonies using it.
    docs: f64,
    /// Content words in it.
    content: usize,
    /// Surface forms seen, counted.
    surfaces: HashMap<String, usize>,
}

/// Titles: for each theme, its best phrase not used by an earlier theme, else `fallback[t]`.
/// `central[t]` lists theme t's texts, most central first; `is_stop` says which words are
/// function words.
pub fn phrase_titles(
    texts: &[&str],
    central: &[Vec<usize>],
    is_stop: &dyn Fn(&str) -> bool,
    fallback: &[String],
) -> Vec<String> {
    let generic: HashSet<String> = GENERIC.split_whitespace().map(fold).collect();
    let per_theme: Vec<HashMap<String, Candidate>> = central
        .iter()
        .map(|members| count(texts, members, is_stop, &generic))
        .collect();
    let mut overall: HashMap<&str, f64> = HashMap::new();
    for theme in &per_theme {
        for (key, c) in theme {
            *overall.entry(key.as_str()).or_default() += c.docs;
        }
    }
    let average = central.iter().map(Vec::len).sum::<usize>() as f64 / central.len().max(1) as f64;
    let mut used: Vec<String> = Vec::new();
    (0..central.len())
        .map(|t| {
            let n = central[t].len().max(1) as f64;
            let min_docs = if central[t].len() < 4 { 1.0 } else { 2.0 };
            let mut ranked: Vec<(&String, &Candidate, f64)> = per_theme[t]
                .iter()
                .filter(|(_, c)| c.docs >= min_docs)
                .map(|(k, c)| {
                    (
                        k,
                        c,
                        c.docs / n * (1.0 + average / overall[k.as_str()]).ln(),
                    )
                })
                .collect();
            ranked.sort_by(|a, b| {
                b.2.total_cmp(&a.2)
                    .then(b.1.content.cmp(&a.1.content))
                    .then(a.0.cmp(b.0))
            });
            let pick = ranked
                .into_iter()
                .map(|(_, c, _)| capitalise(&surface(c)))
                .find(|title| !used.iter().any(|u| fold(u) == fold(title)));
            let title = pick.unwrap_or_else(|| fallback[t].clone());
            used.push(title.clone());
            title
        })
        .collect()
}

/// The phrases of a theme's texts, each counted once per text.
fn count(
    texts: &[&str],
    members: &[usize],
    is_stop: &dyn Fn(&str) -> bool,
    generic: &HashSet<String>,
) -> HashMap<String, Candidate> {
    let mut found: HashMap<String, Candidate> = HashMap::new();
    for &d in members {
        let mut seen = HashSet::new();
        for (phrase, content) in phrases(texts[d], is_stop, generic) {
            let key = fold(&phrase);
            let c = found.entry(key.clone()).or_default();
            *c.surfaces.entry(phrase).or_default() += 1;
            c.content = content;
            if seen.insert(key) {
                c.docs += 1.0;
            }
        }
    }
    found
}

/// The most frequent surface form (ties: alphabetical).
fn surface(c: &Candidate) -> String {
    let mut forms: Vec<(&String, &usize)> = c.surfaces.iter().collect();
    forms.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    forms[0].0.clone()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Every phrase of a text, as written (lower case), with its number of content words.
pub fn phrases(
    text: &str,
    is_stop: &dyn Fn(&str) -> bool,
    generic: &HashSet<String>,
) -> Vec<(String, usize)> {
    let words = crate::text::words_and_breaks(text);
    let content = |w: &str| !is_stop(w) && w.chars().any(char::is_alphabetic);
    let mut out = Vec::new();
    for i in 0..words.len() {
        if !content(&words[i]) || generic.contains(&fold(&words[i])) {
            continue; // a title starts with a content word that says something
        }
        let mut contents = 1;
        let mut j = i;
        while j + 1 < words.len() && j + 1 - i < MAX_WORDS {
            let next = &words[j + 1];
            let after_link = LINKS.contains(&words[j].as_str());
            let joins = content(next)
                || LINKS.contains(&next.as_str())
                || (after_link && ARTICLES.contains(&next.as_str()));
            if !joins || (LINKS.contains(&next.as_str()) && !content(&words[j])) {
                break;
            }
            j += 1;
            if content(next) {
                contents += 1;
                out.push((join(&words[i..=j]), contents));
            }
        }
    }
    out
}

/// Words joined as written: « d' » and « l' » keep their apostrophe.
fn join(words: &[String]) -> String {
    let mut s = String::new();
    for w in words {
        if !s.is_empty() && !s.ends_with('\'') {
            s.push(' ');
        }
        s.push_str(w);
        if w == "d" || w == "l" {
            s.push('\'');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(w: &str) -> bool {
        [
            "de",
            "des",
            "du",
            "d",
            "la",
            "le",
            "les",
            "l",
            "à",
            "au",
            "en",
            "pour",
            "et",
            "il",
            "faut",
            "sont",
            "trop",
            "nous",
            "demandons",
            "une",
            "un",
        ]
        .contains(&w)
            || w.chars().count() < 3 && w != "à"
    }

    #[test]
    fn phrases_are_noun_groups_joined_by_de_and_a() {
        let generic = GENERIC.split_whitespace().map(fold).collect();
        let found: Vec<String> = phrases(
            "Nous demandons la revalorisation des salaires des infirmières, et des délais de remboursement plus courts.",
            &stop,
            &generic,
        )
        .into_iter()
        .map(|(p, _)| p)
        .collect();
        assert!(
            found.contains(&"revalorisation des salaires".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"revalorisation des salaires des infirmières".to_string()));
        assert!(found.contains(&"délais de remboursement".to_string()));
        assert!(
            !found
                .iter()
                .any(|p| p.contains(',') || p.contains("infirmières et"))
        );
    }

    #[test]
    fn titles_are_recurring_specific_phrases_and_distinct() {
        let texts = [
            "Les délais de remboursement sont longs.",
            "Des délais de remboursement de trois mois.",
            "Encore des délais de remboursement.",
            "La carte vitale ne marche pas.",
            "Ma carte vitale est perdue, délais de remboursement.",
            "Carte vitale refusée.",
            "Une question de temps.",
            "Une question de temps, toujours.",
        ];
        let central = vec![vec![0, 1, 2, 4], vec![3, 4, 5], vec![6, 7]];
        let fallback = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        let titles = phrase_titles(&texts, &central, &stop, &fallback);
        assert_eq!(titles[0], "Délais de remboursement");
        assert_eq!(titles[1], "Carte vitale");
        assert_eq!(titles[2], "C", "generic words make no title: {titles:?}");
    }
}
