//! One vocabulary for category labels, read the same way by `run --labels`, `evaluate --gold` and
//! the tagging sheet's drop-down: a category's id or name without case or accents, the sheet's
//! "id — name" choice, one of the words that mean "outside the taxonomy", or a label map's entry.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, bail};

use crate::stages::read::ingest;
use crate::text::fold;

/// The label of a testimony outside the taxonomy, in every output.
pub const NONE: &str = "none";

/// Words that mean "outside the taxonomy" in a tagging file.
pub const NONE_WORDS: [&str; 6] = [
    "none",
    "aucun",
    "autre",
    "hors sujet",
    "hors taxonomie",
    "hors de la taxonomie",
];

/// What separates a category's id from its name in the tagging sheet's drop-down list.
pub const CHOICE_JOIN: &str = " — ";

/// What separates several labels in one cell (`p1|p3`).
pub const MULTI_JOIN: char = '|';

/// Label → category id (or [`NONE`]).
#[derive(Debug, Clone)]
pub struct LabelMatcher {
    by_fold: HashMap<String, String>,
}

impl LabelMatcher {
    /// The categories as (id, name), then the label map's rows (gold label, category id), which
    /// win over the names.
    pub fn new(categories: &[(String, String)], label_map: Option<&Path>) -> Result<Self> {
        let mut by_fold = HashMap::new();
        for (id, name) in categories {
            by_fold.insert(fold(id), id.clone());
            by_fold.insert(fold(name), id.clone());
        }
        for w in NONE_WORDS {
            by_fold.insert(fold(w), NONE.to_string());
        }
        let mut matcher = Self { by_fold };
        if let Some(path) = label_map {
            matcher.add_map(path, categories)?;
        }
        Ok(matcher)
    }

    fn add_map(&mut self, path: &Path, categories: &[(String, String)]) -> Result<()> {
        let table = ingest::read_table(path)?;
        if table.columns.len() < 2 {
            bail!(
                "{}: a label map needs two columns (gold label, category id)",
                path.display()
            );
        }
        let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
        let rows = table.columns[0].values.iter().zip(&table.columns[1].values);
        for (row, (from, to)) in rows.enumerate() {
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            let to = match fold(to) == NONE {
                true => NONE.to_string(),
                false if ids.contains(&to.as_str()) => to.clone(),
                false => bail!(
                    "{}: row {}: {to:?} is not a category id ({})",
                    path.display(),
                    row + 2,
                    ids.join(", ")
                ),
            };
            self.by_fold.insert(fold(from), to);
        }
        Ok(())
    }

    /// The category id (or [`NONE`]) one label names: the whole label, or the id before the
    /// sheet's " — ".
    pub fn label(&self, label: &str) -> Option<&str> {
        let label = label.trim();
        let head = label
            .split_once(CHOICE_JOIN.trim())
            .map_or(label, |(h, _)| h);
        [label, head.trim()]
            .iter()
            .find_map(|l| self.by_fold.get(&fold(l)))
            .map(String::as_str)
    }

    /// Every label of a cell (`p1|p3` holds two), each once; `Err` holds the first unknown one.
    pub fn labels(&self, cell: &str) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for part in cell
            .split(MULTI_JOIN)
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match self.label(part) {
                Some(id) if !out.iter().any(|o| o == id) => out.push(id.to_string()),
                Some(_) => {}
                None => return Err(part.to_string()),
            }
        }
        Ok(out)
    }
}

/// How an unknown label is shown in an error: short labels as they are, a long cell (a text, not
/// a label: a wrong column) only by its length, so that no testimony reaches the terminal or a log.
pub fn shown(label: &str) -> String {
    const LONGEST: usize = 40;
    if label.chars().count() <= LONGEST && !label.contains('\n') {
        format!("{label:?}")
    } else {
        format!("<a text of {} characters>", label.chars().count())
    }
}

/// Unknown labels for an error message: the first five [`shown`], then how many more.
pub fn shown_list(labels: &[String]) -> String {
    let mut parts: Vec<String> = labels.iter().take(5).map(|l| shown(l)).collect();
    if labels.len() > 5 {
        parts.push(format!("and {} more", labels.len() - 5));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segur() -> Vec<(String, String)> {
        crate::taxonomy::Taxonomy::segur()
            .categories
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    }

    #[test]
    fn ids_names_choices_and_none_words_without_case_or_accents() {
        let m = LabelMatcher::new(&segur(), None).unwrap();
        let (id, name) = &segur()[0];
        assert_eq!(m.label(&id.to_uppercase()), Some(id.as_str()));
        assert_eq!(m.label(&format!("  {name} ")), Some(id.as_str()));
        assert_eq!(
            m.label(&format!("{id}{CHOICE_JOIN}{name}")),
            Some(id.as_str())
        );
        for none in ["NONE", "Aucun", "hors sujet", "none — hors de la taxonomie"] {
            assert_eq!(m.label(none), Some(NONE), "{none}");
        }
        assert_eq!(m.label("pas une catégorie"), None);
        assert_eq!(m.labels("p1 | P3|p1"), Ok(vec!["p1".into(), "p3".into()]));
        assert_eq!(m.labels("p1|zz"), Err("zz".into()));
    }

    #[test]
    fn a_text_is_never_shown_in_an_error() {
        assert_eq!(shown("p9"), "\"p9\"");
        let text = "Madame Garnier de la caisse a perdu mon dossier, elle ne rappelle jamais.";
        assert_eq!(shown(text), "<a text of 73 characters>");
    }
}
