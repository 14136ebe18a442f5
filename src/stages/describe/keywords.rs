//! Describe each theme for a report writer: keywords (class-based TF-IDF over French text),
//! a short title, and representative quotes that are central and different from each other.

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};

use crate::linalg::dot;
use crate::text::fold;

/// French function words, pronouns, auxiliaries and fillers that never make a keyword.
const STOP_WORDS: &str = "a à afin ai aie aient aies ait alors as au aucun aucune aujourd auquel aura aurai auraient aurais aurait aurez aurons auront aussi autre autres aux auxquelles auxquels avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons bah beaucoup bien bon c ça car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet cette ceux chacun chaque chez ci comme comment d dans de dedans dehors déjà del depuis des dès desquelles desquels deux devant devrait devraient doit doivent donc dont du duquel durant e elle elles en encore enfin entre es est et étaient étais était étant été êtes étiez étions être eu eue eues eûmes eurent eus eut eux faire fait faite faites faut fois font furent fus fut grand h hors ici il ils j je jusqu jusque l la là laquelle le lequel les lesquelles lesquels leur leurs lors lorsque lui m ma mais me même mêmes mes moi moins mon n ne ni non nos notre nôtre nous on ont ou où par parce parfois pas peu peut peuvent plus plusieurs pour pourquoi pourrait pourraient pouvoir puis qu quand que quel quelle quelles quelqu quelque quelques quels qui quoi s sa sans se selon sera serai seraient serais serait seras serez seriez serions serons seront ses si sien sienne siennes siens sinon soi soient sois soit sommes son sont sous soyez soyons suis sur t ta tandis tant te tel telle telles tels tes toi ton toujours tous tout toute toutes très trop tu un une unes uns va vais vers via voici voilà vont vos votre vôtre vous vu y ya être avoir fait faire dit dire idem etc oui non rien tout cela ceci cet cette voir aller vraiment ainsi donc également surtout assez autant déjà jamais souvent toujours quelque chose choses pendant an ans après contre veut veux voudrais aimerais faudrait devrait devraient aurait serait sommes suis beaucoup vraiment plutôt notamment";

/// Words that join a two-word phrase ("maisons de santé"); shown in the phrase, not in its key.
const PHRASE_LINKS: [&str; 5] = ["de", "du", "des", "d", "à"];

/// What each theme is described with.
#[derive(Debug, Clone)]
pub struct DescribeOptions {
    /// Quotes per theme.
    pub quotes: usize,
    /// Keywords per theme.
    pub keywords: usize,
    /// Longest quote, in characters, before it is cut at a sentence end.
    pub quote_chars: usize,
    /// Weight of diversity against centrality when picking quotes (maximal marginal relevance):
    /// 0 takes the most central testimonies, 1 the most different from those already picked.
    pub quote_diversity: f64,
}

impl Default for DescribeOptions {
    fn default() -> Self {
        Self {
            quotes: 5,
            keywords: 10,
            quote_chars: 300,
            quote_diversity: 0.3,
        }
    }
}

pub struct KeywordOptions {
    pub per_theme: usize,
    /// A keyword must occur in at least this many testimonies of its theme.
    pub min_docs: usize,
}

impl Default for KeywordOptions {
    fn default() -> Self {
        Self {
            per_theme: 10,
            min_docs: 2,
        }
    }
}

/// A keyword: its display form, its c-TF-IDF score, and the testimonies of its theme that use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    pub text: String,
    pub score: f64,
    pub docs: usize,
}

/// A term as found in one text: the stem key (merging inflections and accents) and its surface form.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    key: String,
    surface: String,
    stems: Vec<String>,
}

pub struct FrenchAnalyzer {
    stemmer: Stemmer,
    stop: HashSet<String>,
}

impl Default for FrenchAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl FrenchAnalyzer {
    pub fn new() -> Self {
        let stop = STOP_WORDS.split_whitespace().map(fold).collect();
        Self {
            stemmer: Stemmer::create(Algorithm::French),
            stop,
        }
    }

    /// Lower-cased words; elisions (l', d', qu'…) split off; hyphenated words kept whole.
    fn words(text: &str) -> Vec<String> {
        let mut words = crate::text::words_and_breaks(text);
        words.retain(|w| w != " ");
        words
    }

    pub fn is_stop(&self, word: &str) -> bool {
        let f = fold(word);
        self.stop.contains(&f) || f.chars().count() < 3 || f.chars().all(|c| c.is_ascii_digit())
    }

    fn stem(&self, word: &str) -> String {
        fold(&self.stemmer.stem(word))
    }

    /// Unigrams and two-word phrases ("déserts médicaux", "maisons de santé") of a text.
    fn terms(&self, text: &str) -> Vec<Term> {
        let words = Self::words(text);
        let mut terms = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if self.is_stop(w) {
                continue;
            }
            let stem = self.stem(w);
            terms.push(Term {
                key: stem.clone(),
                surface: w.clone(),
                stems: vec![stem.clone()],
            });
            // Adjacent content word, or one linked by de/du/des/d'/à.
            let next = words.get(i + 1);
            if let Some(n) = next {
                if !self.is_stop(n) {
                    let s2 = self.stem(n);
                    terms.push(Term {
                        key: format!("{stem} {s2}"),
                        surface: format!("{w} {n}"),
                        stems: vec![stem.clone(), s2],
                    });
                } else if PHRASE_LINKS.contains(&n.as_str())
                    && let Some(n2) = words.get(i + 2).filter(|n2| !self.is_stop(n2))
                {
                    let s2 = self.stem(n2);
                    let link = if n == "d" {
                        "d'".to_string()
                    } else {
                        format!("{n} ")
                    };
                    terms.push(Term {
                        key: format!("{stem} {s2}"),
                        surface: format!("{w} {link}{n2}"),
                        stems: vec![stem.clone(), s2],
                    });
                }
            }
        }
        terms
    }
}

/// Class-based TF-IDF: a term scores high in a theme when many of the theme's testimonies use it and
/// few testimonies elsewhere do. Counts are per testimony (a long or pasted text counts once), and
/// `weights` let duplicates count once too.
pub fn keywords(
    analyzer: &FrenchAnalyzer,
    texts: &[&str],
    labels: &[usize],
    weights: &[f32],
    themes: usize,
    options: &KeywordOptions,
) -> Vec<Vec<Keyword>> {
    let counts = TermCounts::new(analyzer, texts, labels, weights, themes);
    let mut overall: HashMap<&str, f64> = HashMap::new();
    for df in &counts.doc_freq {
        for (k, v) in df {
            *overall.entry(k.as_str()).or_default() += v;
        }
    }
    let average = counts.theme_terms.iter().sum::<f64>() / themes.max(1) as f64;
    (0..themes)
        .map(|t| {
            let total = counts.theme_terms[t].max(1.0);
            // A theme of a handful of testimonies rarely repeats a word: one use is then enough.
            let min_docs = if counts.theme_docs[t] < 2.0 * options.min_docs as f64 {
                1.0
            } else {
                options.min_docs as f64
            };
            let mut scored: Vec<(&String, f64, f64)> = counts.doc_freq[t]
                .iter()
                .filter(|&(_, &df)| df >= min_docs)
                .map(|(k, &df)| {
                    let tf = df / total;
                    let idf = (1.0 + average / overall[k.as_str()]).ln();
                    (k, tf * idf, df)
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            counts.pick(scored, options.per_theme)
        })
        .collect()
}

/// Weighted term counts per theme (near-duplicates weigh nothing).
struct TermCounts {
    /// Per theme: key → weighted number of testimonies using it.
    doc_freq: Vec<HashMap<String, f64>>,
    /// Key → its surface forms, weighted.
    surfaces: HashMap<String, HashMap<String, f64>>,
    /// Key → the stems it is made of.
    stems_of: HashMap<String, Vec<String>>,
    theme_terms: Vec<f64>,
    theme_docs: Vec<f64>,
}

impl TermCounts {
    fn new(
        analyzer: &FrenchAnalyzer,
        texts: &[&str],
        labels: &[usize],
        weights: &[f32],
        themes: usize,
    ) -> Self {
        let mut c = Self {
            doc_freq: vec![HashMap::new(); themes],
            surfaces: HashMap::new(),
            stems_of: HashMap::new(),
            theme_terms: vec![0f64; themes],
            theme_docs: vec![0f64; themes],
        };
        for ((text, &label), &w) in texts.iter().zip(labels).zip(weights) {
            if w <= 0.0 {
                continue;
            }
            c.theme_docs[label] += w as f64;
            let mut seen = HashSet::new();
            for term in analyzer.terms(text) {
                *c.surfaces
                    .entry(term.key.clone())
                    .or_default()
                    .entry(term.surface)
                    .or_default() += w as f64;
                c.stems_of.entry(term.key.clone()).or_insert(term.stems);
                if seen.insert(term.key.clone()) {
                    *c.doc_freq[label].entry(term.key).or_default() += w as f64;
                    c.theme_terms[label] += w as f64;
                }
            }
        }
        c
    }

    /// The most frequent surface form of a key (ties: alphabetical).
    fn display(&self, key: &str) -> String {
        let forms = &self.surfaces[key];
        let mut best: Vec<(&String, &f64)> = forms.iter().collect();
        best.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        best[0].0.clone()
    }

    /// The best-scored keys, skipping near-duplicates: a term sharing a stem with a chosen one, or
    /// spelled almost alike.
    fn pick(&self, scored: Vec<(&String, f64, f64)>, per_theme: usize) -> Vec<Keyword> {
        let mut chosen: Vec<Keyword> = Vec::new();
        let mut used_stems: HashSet<&str> = HashSet::new();
        let mut shown: Vec<String> = Vec::new();
        for (key, score, df) in scored {
            if chosen.len() == per_theme {
                break;
            }
            let stems = &self.stems_of[key.as_str()];
            if stems.iter().any(|s| used_stems.contains(s.as_str())) {
                continue;
            }
            let text = self.display(key);
            let folded = fold(&text);
            if shown.iter().any(|s| near_duplicate(s, &folded)) {
                continue;
            }
            used_stems.extend(stems.iter().map(String::as_str));
            shown.push(folded);
            chosen.push(Keyword {
                text,
                score,
                docs: df.round() as usize,
            });
        }
        chosen
    }
}

/// Two folded keywords that a reader would see as the same: a typo apart ("hopital"/"hopitl"), or
/// one word family the stemmer leaves apart ("satisfait"/"satisfaction": a long common prefix).
fn near_duplicate(a: &str, b: &str) -> bool {
    if strsim::levenshtein(a, b) <= 2 {
        return true;
    }
    if a.contains(' ') || b.contains(' ') {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    common >= 6 && common * 10 >= shorter * 6
}

/// A title from the top key phrases: "Salaires, revalorisation et infirmières".
pub fn title(keywords: &[Keyword]) -> String {
    let words: Vec<&str> = keywords.iter().take(3).map(|k| k.text.as_str()).collect();
    let joined = match words.as_slice() {
        [] => return "Thème sans mot-clé".into(),
        [a] => a.to_string(),
        [a, b] => format!("{a} et {b}"),
        [a, b, c, ..] => format!("{a}, {b} et {c}"),
    };
    let mut chars = joined.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => joined,
    }
}

/// Titles that tell themes apart: a theme whose top three keywords give an earlier theme's title
/// takes, as its third word, its best keyword that the earlier themes' titles do not use.
pub fn distinct_titles(keywords: &[Vec<Keyword>]) -> Vec<String> {
    let mut titles: Vec<String> = Vec::with_capacity(keywords.len());
    for kw in keywords {
        let mut t = title(kw);
        if titles.contains(&t) && kw.len() > 3 {
            let used: std::collections::HashSet<String> = titles
                .iter()
                .flat_map(|t| {
                    t.to_lowercase()
                        .split([',', ' '])
                        .map(String::from)
                        .collect::<Vec<_>>()
                })
                .collect();
            if let Some(extra) = kw[2..]
                .iter()
                .find(|k| !used.contains(&k.text.to_lowercase()))
            {
                let mut picked = vec![kw[0].clone(), kw[1].clone(), extra.clone()];
                picked.truncate(3);
                t = title(&picked);
            }
        }
        titles.push(t);
    }
    titles
}

/// Picks `count` quotes by maximal marginal relevance: close to the theme centroid, far from the
/// quotes already picked. `candidates` are row indices of the theme; `vector(i)` gives unit vectors.
pub fn select_quotes<'a>(
    candidates: &[usize],
    centroid: &[f32],
    vector: impl Fn(usize) -> &'a [f32],
    count: usize,
    diversity: f32,
) -> Vec<usize> {
    let relevance: Vec<f32> = candidates
        .iter()
        .map(|&i| dot(vector(i), centroid))
        .collect();
    // Consider the most central ones only: MMR over a whole large theme would favour oddities.
    let mut pool: Vec<usize> = (0..candidates.len()).collect();
    pool.sort_by(|&a, &b| {
        relevance[b]
            .total_cmp(&relevance[a])
            .then(candidates[a].cmp(&candidates[b]))
    });
    pool.truncate(200);
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < count && !pool.is_empty() {
        let (best_pos, _) = pool
            .iter()
            .enumerate()
            .map(|(pos, &c)| {
                let redundancy = chosen
                    .iter()
                    .map(|&s| dot(vector(candidates[c]), vector(candidates[s])))
                    .fold(f32::NEG_INFINITY, f32::max);
                let redundancy = if chosen.is_empty() { 0.0 } else { redundancy };
                (
                    pos,
                    (1.0 - diversity) * relevance[c] - diversity * redundancy,
                )
            })
            .fold((0, f32::NEG_INFINITY), |best, (pos, s)| {
                if s > best.1 { (pos, s) } else { best }
            });
        chosen.push(pool.remove(best_pos));
    }
    chosen.into_iter().map(|c| candidates[c]).collect()
}

/// Shortens a long quote at a sentence end, marking the cut with "…"; the kept part is verbatim.
/// Sentence ends are the passages' ([`crate::stages::passages::cut::sentence_spans`]: never after « Dr. »,
/// « M. », « art. 3 »). A first sentence longer than `max_chars` is kept whole rather than cut
/// mid-sentence, up to a hard limit.
pub fn trim_quote(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let length = text.chars().count();
    if length <= max_chars {
        return text.to_string();
    }
    let mut cut = None;
    for (_, end) in crate::stages::passages::cut::sentence_spans(text) {
        let past = text[..end].chars().count() > max_chars;
        if past && cut.is_some() {
            break;
        }
        cut = Some(end);
        if past {
            break;
        }
    }
    let hard = hard_limit(max_chars);
    match cut {
        Some(end) if text[..end].chars().count() > hard => cut_at_word(text, hard),
        Some(end) if end < text.len() => format!("{} …", text[..end].trim_end()),
        _ if length > hard => cut_at_word(text, hard),
        _ => text.to_string(),
    }
}

/// Longest quote kept whole when its first sentence runs past `max_chars`: a third more, and at
/// least 400 characters (a text without any sentence end would otherwise be quoted whole).
fn hard_limit(max_chars: usize) -> usize {
    (max_chars + max_chars / 3).max(400)
}

/// The text up to the last word boundary within `limit` characters (or exactly `limit` when a
/// single word is longer), marked with "…".
fn cut_at_word(text: &str, limit: usize) -> String {
    let end = text
        .char_indices()
        .nth(limit)
        .map_or(text.len(), |(byte, _)| byte);
    let head = &text[..end];
    let at_space = head
        .rfind(char::is_whitespace)
        .filter(|&b| b > 0)
        .unwrap_or(end);
    format!("{} …", head[..at_space].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_stop_words_and_keep_phrases() {
        let a = FrenchAnalyzer::new();
        let terms: Vec<String> = a
            .terms("L'accès aux maisons de santé dans les déserts médicaux")
            .into_iter()
            .map(|t| t.surface)
            .collect();
        assert!(terms.contains(&"maisons de santé".to_string()), "{terms:?}");
        assert!(terms.contains(&"déserts médicaux".to_string()), "{terms:?}");
        assert!(
            !terms.iter().any(|t| t == "les" || t == "dans" || t == "l"),
            "{terms:?}"
        );
    }

    #[test]
    fn keywords_merge_inflections_show_frequent_form_and_avoid_duplicates() {
        let a = FrenchAnalyzer::new();
        let texts = [
            "Les salaires des infirmières sont trop bas.",
            "Le salaire d'une infirmière ne suffit pas.",
            "Revaloriser les salaires des infirmières.",
            "Trop de paperasse et de réunions.",
            "La paperasse nous prend tout notre temps.",
            "Encore de la paperasse, toujours des réunions.",
        ];
        let labels = [0, 0, 0, 1, 1, 1];
        let kw = keywords(
            &a,
            &texts,
            &labels,
            &[1.0; 6],
            2,
            &KeywordOptions {
                per_theme: 5,
                min_docs: 2,
            },
        );
        let first: Vec<&str> = kw[0].iter().map(|k| k.text.as_str()).collect();
        assert!(first.contains(&"salaires"), "{first:?}");
        assert!(first.contains(&"infirmières"), "{first:?}");
        // "salaires" and "salaire" are one keyword; the phrase sharing its stems is not repeated.
        assert_eq!(
            first.iter().filter(|k| k.contains("salaire")).count(),
            1,
            "{first:?}"
        );
        let second: Vec<&str> = kw[1].iter().map(|k| k.text.as_str()).collect();
        assert_eq!(second[0], "paperasse");
        assert!(
            second
                .iter()
                .all(|k| !STOP_WORDS.split(' ').any(|s| s == *k))
        );
        assert_eq!(title(&kw[1][..1]), "Paperasse");
    }

    #[test]
    fn titles_are_told_apart() {
        let kw = |words: &[&str]| -> Vec<Keyword> {
            words
                .iter()
                .map(|w| Keyword {
                    text: w.to_string(),
                    score: 1.0,
                    docs: 2,
                })
                .collect()
        };
        let titles = distinct_titles(&[
            kw(&["enfants", "école", "enseignants", "collège"]),
            kw(&["enfants", "école", "enseignants", "nationale"]),
        ]);
        assert_eq!(
            titles,
            [
                "Enfants, école et enseignants",
                "Enfants, école et nationale"
            ]
        );
    }

    #[test]
    fn a_tiny_theme_still_gets_keywords() {
        let a = FrenchAnalyzer::new();
        let kw = keywords(
            &a,
            &["Les salaires sont bas.", "Trop de paperasse."],
            &[0, 0],
            &[1.0, 1.0],
            1,
            &KeywordOptions::default(),
        );
        let words: Vec<&str> = kw[0].iter().map(|k| k.text.as_str()).collect();
        assert!(
            words.contains(&"salaires") && words.contains(&"paperasse"),
            "{words:?}"
        );
    }

    #[test]
    fn near_duplicates_are_typos_and_word_families() {
        assert!(near_duplicate("satisfait", "satisfaction"));
        assert!(near_duplicate("hopital", "hopitaux"));
        assert!(!near_duplicate("enseignants", "ecole"));
        assert!(!near_duplicate("formation", "former"));
        assert!(!near_duplicate("pole emploi", "pole"));
    }

    #[test]
    fn quotes_are_central_and_diverse() {
        let vecs: Vec<Vec<f32>> = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.999, 0.0447, 0.0], // almost the same as 0
            vec![0.9, 0.0, 0.436],    // another angle, still relevant
            vec![0.0, 0.0, 1.0],      // off-theme
        ];
        let centroid = [0.98, 0.0, 0.2];
        let picked = select_quotes(&[0, 1, 2, 3], &centroid, |i| &vecs[i], 2, 0.3);
        assert_eq!(picked[0], 0);
        assert_eq!(picked[1], 2);
    }

    #[test]
    fn long_quotes_are_cut_at_a_sentence_end() {
        let t = "Première phrase courte. Deuxième phrase un peu plus longue! Troisième phrase qui dépasse.";
        assert_eq!(
            trim_quote(t, 60),
            "Première phrase courte. Deuxième phrase un peu plus longue! …"
        );
        assert_eq!(trim_quote(t, 500), t);
        let one = "Une seule phrase très longue sans aucun point avant la fin du texte";
        assert_eq!(trim_quote(one, 10), one);
        assert_eq!(trim_quote("Ok. Ceci est long", 5), "Ok. …");
        // The passages' sentence ends: never after an abbreviation.
        assert_eq!(
            trim_quote(
                "Merci au Dr. Martin pour tout. Le reste du texte est long.",
                20
            ),
            "Merci au Dr. Martin pour tout. …"
        );
    }

    #[test]
    fn a_text_without_sentence_end_is_cut_at_a_word_past_the_hard_limit() {
        let endless = "mot ".repeat(500_000);
        let q = trim_quote(&endless, 300);
        assert!(q.ends_with("mot …"), "{}", &q[q.len() - 20..]);
        assert!(q.chars().count() <= 402, "{} characters", q.chars().count());
        let one_word = "x".repeat(5000);
        assert_eq!(trim_quote(&one_word, 300).chars().count(), 402);
        // A first sentence past the hard limit is cut too, at a word.
        let long_first = format!("{}fin. Suite.", "début ".repeat(200));
        let q = trim_quote(&long_first, 300);
        assert!(
            q.chars().count() <= 402 && q.starts_with("début début"),
            "{q}"
        );
    }
}
