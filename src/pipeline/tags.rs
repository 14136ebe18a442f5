//! Manual tags (`run --labels`): a tagging file of any readable format, or the sheet written by
//! `verbatim sample` once filled (its `tag` column, its `part` column).

use std::path::Path;

use anyhow::{Context, Result};

use super::Prepared;
use crate::ingest::{self, guess_text_column};
use crate::sample::sheet::{CHOICE_JOIN, PART_COLUMN, TAG_COLUMN};
use crate::table::TextColumn;
use crate::taxonomy::Taxonomy;
use crate::text::fold;

/// Tagged testimonies as (distinct row, category) pairs.
pub struct Tags {
    pub pairs: Vec<(usize, usize)>,
    /// For each pair: it comes from the random part of a `verbatim sample` sheet.
    pub random: Vec<bool>,
    /// Tags saying "none" (outside the taxonomy): (distinct row, from the random part).
    pub none: Vec<(usize, bool)>,
    /// Rows of the file left without a tag.
    pub untagged: usize,
    /// The file says which rows were drawn at random (a `part` column).
    pub has_parts: bool,
}

/// Reads a tagging file: an `id` column, and the tags in a `tag` column (a sample sheet) or else
/// in the column the input's rules would read as the text. Ids are matched to the input and tags
/// to category ids or names, without case or accents ("id — name" from the sheet's list too).
pub fn read(path: &Path, prepared: &Prepared) -> Result<Tags> {
    let table = ingest::read_table(path)?;
    let find = |name: &str| table.columns.iter().find(|c| c.name == name);
    let ids = find("id").with_context(|| {
        format!(
            "{}: the tagging file needs an \"id\" column matching the input's ids",
            path.display()
        )
    })?;
    let labels = match find(TAG_COLUMN) {
        Some(c) => c,
        None => {
            let (name, _) = guess_text_column(&table.columns, Some("id"))
                .with_context(|| format!("{}: no column holds the tags", path.display()))?;
            find(&name).expect("a guessed column exists")
        }
    };
    let parts = find(PART_COLUMN);
    let row_of = ingest::positions(&prepared.corpus.ids);
    let mut tags = Tags {
        pairs: Vec::new(),
        random: Vec::new(),
        none: Vec::new(),
        untagged: 0,
        has_parts: parts.is_some(),
    };
    let (mut unknown, mut missing) = (Vec::new(), Vec::new());
    for (r, id) in ids.values.iter().enumerate() {
        let label = labels.values[r].as_deref().map(str::trim).unwrap_or("");
        let Some(id) = id.as_deref().filter(|_| !label.is_empty()) else {
            tags.untagged += 1;
            continue;
        };
        let random = is_random(parts, r);
        let Some(&row) = row_of.get(id) else {
            missing.push(id.to_string());
            continue;
        };
        let Some(d) = prepared.distinct_of[row] else {
            continue;
        };
        match category(&prepared.taxonomy, label) {
            Some(Some(k)) => {
                tags.pairs.push((d, k));
                tags.random.push(random);
            }
            Some(None) => tags.none.push((d, random)),
            None if !unknown.iter().any(|u| u == label) => unknown.push(label.to_string()),
            None => {}
        }
    }
    check(path, &prepared.taxonomy, &unknown, &missing)?;
    Ok(tags)
}

fn is_random(parts: Option<&TextColumn>, r: usize) -> bool {
    parts.is_some_and(|p| p.values[r].as_deref().map(str::trim) == Some("random"))
}

/// `Some(Some(k))` for category k, `Some(None)` for `none`, `None` for an unknown label.
fn category(taxonomy: &Taxonomy, label: &str) -> Option<Option<usize>> {
    let label = label.trim();
    let head = label
        .split_once(CHOICE_JOIN.trim())
        .map_or(label, |(h, _)| h);
    [label, head.trim()].iter().find_map(|l| {
        let f = fold(l);
        if f == "none" {
            return Some(None);
        }
        taxonomy
            .categories
            .iter()
            .position(|c| fold(&c.id) == f || fold(&c.name) == f)
            .map(Some)
    })
}

fn check(path: &Path, taxonomy: &Taxonomy, unknown: &[String], missing: &[String]) -> Result<()> {
    if !unknown.is_empty() {
        anyhow::bail!(
            "{}: labels {:?} are neither category ids nor names of the taxonomy ({})",
            path.display(),
            unknown,
            taxonomy.ids().join(", ")
        );
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "{}: {} tagged ids are not in the input, e.g. {:?}",
            path.display(),
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sheet::choices;

    #[test]
    fn tags_name_categories_by_id_name_or_sheet_choice_without_case_or_accents() {
        let segur = Taxonomy::segur();
        let first = &segur.categories[0];
        assert_eq!(category(&segur, &first.id.to_uppercase()), Some(Some(0)));
        assert_eq!(
            category(&segur, &format!("  {}  ", first.name)),
            Some(Some(0))
        );
        for (k, choice) in choices(&segur).iter().enumerate() {
            let want = (k < segur.categories.len()).then_some(k);
            assert_eq!(category(&segur, choice), Some(want), "{choice}");
        }
        assert_eq!(category(&segur, "NONE"), Some(None));
        assert_eq!(category(&segur, "pas une catégorie"), None);
        let err = check(Path::new("t.csv"), &segur, &["x".into()], &[]).unwrap_err();
        assert!(
            err.to_string().contains("neither category ids nor names"),
            "{err}"
        );
        let err = check(Path::new("t.csv"), &segur, &[], &["id9".into()]).unwrap_err();
        assert!(err.to_string().contains("not in the input"), "{err}");
    }
}
