//! Theme keys: a short readable name (`p1-salaires-3f2a`) that a later run gives back to the theme
//! that continues this one, so that the analyst's edits keep pointing at the same theme.
//!
//! Continuity is read from the members: the earlier run's automatic themes (its
//! `draft_theme_key`, before its edits) are compared with this run's automatic themes by the
//! testimonies they share. A theme keeps the key of the earlier theme most of whose testimonies
//! it holds; when an earlier theme splits, the part holding most of it keeps the key; when two
//! earlier themes meet in one, the one that brought more testimonies gives its key.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::text::fold;

/// Share of an earlier theme's testimonies (those still in the corpus) that a new theme must hold
/// to continue it: below a third, the earlier theme has dissolved rather than moved.
pub const MIN_CONTINUITY: f64 = 1.0 / 3.0;

/// The word of a key: the word most specific to the theme (in how many of its texts, times
/// 1 + its inverse document frequency in the corpus), folded to ASCII and cut to 12 letters.
pub fn key_words(
    texts: &[&str],
    labels: &[usize],
    themes: usize,
    is_stop: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let words: Vec<HashSet<String>> = texts
        .iter()
        .map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 4 && !is_stop(w))
                .map(ascii)
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect();
    let mut corpus: HashMap<&str, usize> = HashMap::new();
    let mut per_theme: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); themes];
    for (d, set) in words.iter().enumerate() {
        for w in set {
            *corpus.entry(w).or_default() += 1;
            *per_theme[labels[d]].entry(w).or_default() += 1;
        }
    }
    let n = texts.len().max(1) as f64;
    per_theme
        .iter()
        .map(|counts| {
            let mut best: Option<(&str, f64)> = None;
            for (&w, &c) in counts {
                let score = c as f64 * (1.0 + (n / corpus[w] as f64).ln());
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((w, score));
                }
            }
            let word = best.map_or("theme", |(w, _)| w);
            word.chars().take(12).collect()
        })
        .collect()
}

/// Lower-case ASCII letters and digits of a word (accents folded away).
fn ascii(word: &str) -> String {
    fold(word)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// A new key `<category>-<word>-<4 hex digits>`, the digits drawn from the theme's members so that
/// the same theme gets the same key run after run; longer where two themes would collide.
pub fn new_key(category: &str, word: &str, member_ids: &[&str], taken: &HashSet<String>) -> String {
    let mut sorted = member_ids.to_vec();
    sorted.sort_unstable();
    let digest = {
        use sha2::{Digest, Sha256};
        crate::digest::hex(&Sha256::digest(sorted.join("\n").as_bytes()))
    };
    (4..=digest.len())
        .map(|len| format!("{category}-{word}-{}", &digest[..len]))
        .find(|k| !taken.contains(k))
        .expect("a 64-digit digest does not collide")
}

/// For each new theme (its members' ids), the earlier key it continues, if any. `earlier` gives
/// each id's earlier automatic theme key.
pub fn continued(
    new_members: &[Vec<&str>],
    earlier: &HashMap<String, String>,
) -> Vec<Option<String>> {
    let present: HashSet<&str> = new_members.iter().flatten().copied().collect();
    let mut earlier_size: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, key) in earlier {
        if present.contains(id.as_str()) {
            *earlier_size.entry(key).or_default() += 1;
        }
    }
    // overlap[(earlier key, new theme)]
    let mut overlap: BTreeMap<(&str, usize), usize> = BTreeMap::new();
    for (j, members) in new_members.iter().enumerate() {
        for id in members {
            if let Some(key) = earlier.get(*id) {
                *overlap.entry((key.as_str(), j)).or_default() += 1;
            }
        }
    }
    // Each earlier theme's successor: the new theme holding most of it (the first on a tie).
    let mut successor: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (&(key, j), &c) in &overlap {
        if successor.get(key).is_none_or(|&(_, best)| c > best) {
            successor.insert(key, (j, c));
        }
    }
    let mut claims: Vec<(usize, &str, usize)> = successor
        .into_iter()
        .filter(|&(key, (_, c))| c as f64 >= MIN_CONTINUITY * earlier_size[key] as f64)
        .map(|(key, (j, c))| (c, key, j))
        .collect();
    // Largest overlaps first; ties by key, so the outcome never depends on hash order.
    claims.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut keys = vec![None; new_members.len()];
    for (_, key, j) in claims {
        if keys[j].is_none() {
            keys[j] = Some(key.to_string());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(i, k)| (i.to_string(), k.to_string()))
            .collect()
    }

    #[test]
    fn a_theme_keeps_its_key_when_it_grows_or_shrinks() {
        let before = earlier(&[
            ("a", "k1"),
            ("b", "k1"),
            ("c", "k1"),
            ("d", "k2"),
            ("e", "k2"),
        ]);
        let keys = continued(&[vec!["d", "e", "x"], vec!["a", "b", "y", "z"]], &before);
        assert_eq!(keys, [Some("k2".into()), Some("k1".into())]);
    }

    #[test]
    fn a_split_gives_the_key_to_the_larger_part_and_a_merge_to_the_larger_contributor() {
        let before = earlier(&[
            ("a", "k1"),
            ("b", "k1"),
            ("c", "k1"),
            ("d", "k2"),
            ("e", "k2"),
        ]);
        assert_eq!(
            continued(&[vec!["a"], vec!["b", "c"], vec!["d", "e"]], &before),
            [None, Some("k1".into()), Some("k2".into())]
        );
        assert_eq!(
            continued(&[vec!["a", "b", "c", "d", "e"]], &before),
            [Some("k1".into())]
        );
    }

    #[test]
    fn a_dissolved_theme_passes_on_nothing() {
        let before = earlier(&[("a", "k1"), ("b", "k1"), ("c", "k1"), ("d", "k1")]);
        let keys = continued(
            &[
                vec!["a", "x"],
                vec!["b", "y"],
                vec!["c", "z"],
                vec!["d", "w"],
            ],
            &before,
        );
        assert_eq!(
            keys,
            [None, None, None, None],
            "a quarter each is below a third"
        );
    }

    #[test]
    fn new_keys_are_readable_stable_and_never_collide() {
        let mut taken = HashSet::new();
        let k = new_key("p1", "salaires", &["T2", "T1"], &taken);
        assert!(
            k.starts_with("p1-salaires-") && k.len() == "p1-salaires-".len() + 4,
            "{k}"
        );
        assert_eq!(
            k,
            new_key("p1", "salaires", &["T1", "T2"], &taken),
            "order of members"
        );
        taken.insert(k.clone());
        let other = new_key("p1", "salaires", &["T1", "T2"], &taken);
        assert!(other.starts_with(&k) && other.len() == k.len() + 1);
    }

    #[test]
    fn key_words_prefer_what_is_specific_to_the_theme() {
        let texts = [
            "Les salaires des infirmières sont trop bas",
            "Revaloriser les salaires des soignants",
            "Les infirmières manquent dans les hôpitaux",
            "Dette des hôpitaux et investissement",
        ];
        let words = key_words(&texts, &[0, 0, 1, 1], 2, &|w| w.len() < 4 || w == "sont");
        assert_eq!(words, ["salaires", "hopitaux"]);
    }
}
