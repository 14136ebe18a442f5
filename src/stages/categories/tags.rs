//! Manual tags (`run --labels`): a tagging file of any readable format, or the sheet written by
//! `verbatim sample` once filled (its `tag` column, its `part` column). Labels are read with the
//! one vocabulary of [`crate::labels`], as `evaluate --gold` reads them. A file that would teach
//! something wrong stops the run with the rows to fix: an id tagged twice with different
//! categories, a sheet whose texts are no longer the input's, a `tag` column left empty, a `part`
//! that is neither random nor chosen.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::labels::{LabelMatcher, NONE, shown_list};
use crate::pipeline::Prepared;
use crate::sample::sheet::{PART_COLUMN, TAG_COLUMN};
use crate::stages::read::ingest;
use crate::stages::write::table::TextColumn;
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

/// The columns of a tagging file that matter.
struct Sheet<'t> {
    ids: &'t TextColumn,
    labels: &'t TextColumn,
    parts: Option<&'t TextColumn>,
    /// The texts the sheet was drawn with (`verbatim sample` writes them).
    texts: Option<&'t TextColumn>,
}

/// The tagging file's columns: a table's, or a REFI-QDA project's codings.
fn tagging_columns(
    path: &Path,
    matcher: &LabelMatcher,
    prepared: &Prepared,
) -> Result<Vec<ingest::TextColumn>> {
    match crate::refi::is_project(path) {
        true => project_columns(path, matcher, prepared),
        false => Ok(ingest::read_table(path)?.columns),
    }
}

/// A REFI-QDA project's codings as an `id`, `label` table: a source coded with one category
/// teaches it; one coded with several teaches nothing (it is counted untagged).
fn project_columns(
    path: &Path,
    matcher: &LabelMatcher,
    prepared: &Prepared,
) -> Result<Vec<ingest::TextColumn>> {
    let corpus = &prepared.corpus;
    let texts: Vec<Option<String>> = corpus.texts.iter().map(|t| Some(t.clone())).collect();
    let file_names = (corpus.passthrough.iter())
        .find(|c| c.name == "file_name")
        .map(|c| c.values.as_slice());
    let resolver = crate::refi::import::Resolver::new(&corpus.ids, file_names, Some(&texts));
    let tagging = crate::refi::import::tagging(path, matcher, None, Some(&resolver))?;
    let single =
        |l: &String| (!l.is_empty() && !l.contains(crate::labels::MULTI_JOIN)).then(|| l.clone());
    Ok(vec![
        ingest::TextColumn {
            name: "id".into(),
            values: tagging.ids.into_iter().map(Some).collect(),
            nested: None,
        },
        ingest::TextColumn {
            name: "label".into(),
            values: tagging.labels.iter().map(single).collect(),
            nested: None,
        },
    ])
}

/// Reads a tagging file: an `id` column, and the tags in a `tag` column (a sample sheet) or else
/// in the column whose values name categories. Ids are matched to the input and tags to category
/// ids or names, without case or accents ("id — name" from the sheet's list too).
pub fn read(path: &Path, prepared: &Prepared) -> Result<Tags> {
    let categories: Vec<(String, String)> = (prepared.taxonomy.categories.iter())
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    let matcher = LabelMatcher::new(&categories, None)?;
    let table = tagging_columns(path, &matcher, prepared)?;
    let sheet = columns(path, &table, &matcher)?;
    let row_of = ingest::positions(&prepared.corpus.ids);
    check_texts(path, &sheet, prepared, &row_of)?;
    let mut tags = Tags {
        pairs: Vec::new(),
        random: Vec::new(),
        none: Vec::new(),
        untagged: 0,
        has_parts: sheet.parts.is_some(),
    };
    let (mut unknown, mut missing) = (Vec::new(), Vec::new());
    // id → (sheet row, category id): an id tagged twice must say the same thing.
    let mut seen: HashMap<&str, (usize, String)> = HashMap::new();
    let mut conflicts = Vec::new();
    for (r, id) in sheet.ids.values.iter().enumerate() {
        let label = sheet.labels.values[r]
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let Some(id) = id.as_deref().filter(|_| !label.is_empty()) else {
            tags.untagged += 1;
            continue;
        };
        let Some(category) = matcher.label(label) else {
            if !unknown.iter().any(|u| u == label) {
                unknown.push(label.to_string());
            }
            continue;
        };
        match seen.get(id) {
            Some((_, earlier)) if earlier == category => continue,
            Some((first, earlier)) => {
                conflicts.push(format!(
                    "{id:?} (row {} {earlier}, row {} {category})",
                    first + 2,
                    r + 2
                ));
                continue;
            }
            None => seen.insert(id, (r, category.to_string())),
        };
        let random = is_random(path, sheet.parts, r)?;
        let Some(&row) = row_of.get(id) else {
            missing.push(id.to_string());
            continue;
        };
        let Some(d) = prepared.distinct_of[row] else {
            continue;
        };
        match prepared
            .taxonomy
            .categories
            .iter()
            .position(|c| c.id == category)
        {
            Some(k) => {
                tags.pairs.push((d, k));
                tags.random.push(random);
            }
            None => tags.none.push((d, random)),
        }
    }
    check(path, &categories, &unknown, &missing, &conflicts)?;
    if tags.pairs.is_empty() && tags.none.is_empty() {
        bail!(
            "{}: no row has a tag (column {:?} is empty): fill it, or run without --labels",
            path.display(),
            sheet.labels.name
        );
    }
    Ok(tags)
}

/// The id column, the tag column (named `tag`, else the one whose values name categories), and
/// the sheet's `part` and `text` columns when present.
fn columns<'t>(path: &Path, columns: &'t [TextColumn], m: &LabelMatcher) -> Result<Sheet<'t>> {
    let find = |name: &str| columns.iter().find(|c| c.name == name);
    let ids = find("id").with_context(|| {
        format!(
            "{}: the tagging file needs an \"id\" column matching the input's ids",
            path.display()
        )
    })?;
    let labels = match find(TAG_COLUMN) {
        Some(c) => c,
        None => labelled_column(columns, m).with_context(|| {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            format!(
                "{}: no column holds the tags (none is named \"{TAG_COLUMN}\", and no column's values are mostly category ids or names); columns found: {}",
                path.display(),
                names.join(", ")
            )
        })?,
    };
    Ok(Sheet {
        ids,
        labels,
        parts: find(PART_COLUMN),
        texts: find("text").filter(|c| c.name != labels.name),
    })
}

/// The column (other than `id`) most of whose filled values are labels, if any.
fn labelled_column<'t>(columns: &'t [TextColumn], m: &LabelMatcher) -> Option<&'t TextColumn> {
    let score = |c: &TextColumn| {
        let filled: Vec<&str> = c.values.iter().flatten().map(|v| v.trim()).collect();
        let named = filled.iter().filter(|v| m.labels(v).is_ok()).count();
        (named, filled.len())
    };
    columns
        .iter()
        .filter(|c| c.name != "id")
        .map(|c| (c, score(c)))
        .filter(|(_, (named, filled))| *named > 0 && 2 * named >= *filled)
        .max_by_key(|(_, (named, _))| *named)
        .map(|(c, _)| c)
}

/// `part` says random or chosen (any case); anything else is a mistake to fix, not a guess.
fn is_random(path: &Path, parts: Option<&TextColumn>, r: usize) -> Result<bool> {
    let Some(parts) = parts else {
        return Ok(false);
    };
    match parts.values[r].as_deref().map(fold).as_deref() {
        Some("random") => Ok(true),
        Some("chosen") | None => Ok(false),
        Some(other) => bail!(
            "{}: row {}, column {PART_COLUMN}: {} is neither \"random\" nor \"chosen\" (the sheet's own values; the unbiased estimate needs them)",
            path.display(),
            r + 2,
            crate::labels::shown(other)
        ),
    }
}

/// A sheet that carries the texts it was drawn with must still match the input: the tags were
/// given to those texts. Placeholders of the pseudonymised sheet (`[NOM]`) match anything; the
/// rest must appear in the input's text, in order, whatever the spacing.
fn check_texts(
    path: &Path,
    sheet: &Sheet,
    prepared: &Prepared,
    row_of: &HashMap<&str, usize>,
) -> Result<()> {
    let Some(texts) = sheet.texts else {
        return Ok(());
    };
    let mut stale = Vec::new();
    for (r, (id, text)) in sheet.ids.values.iter().zip(&texts.values).enumerate() {
        let (Some(id), Some(text)) = (id, text) else {
            continue;
        };
        let Some(&row) = row_of.get(id.as_str()) else {
            continue;
        };
        if !same_text(text, &prepared.corpus.texts[row]) {
            stale.push(format!("{id:?} (row {})", r + 2));
        }
    }
    if !stale.is_empty() {
        bail!(
            "{}: {} rows carry a text that is no longer the input's for their id, e.g. {}: the input changed since the sheet was drawn; draw a new sheet (verbatim sample), or delete the sheet's text column to keep these tags anyway",
            path.display(),
            stale.len(),
            stale[..stale.len().min(5)].join(", ")
        );
    }
    Ok(())
}

/// Whether a sheet's text (pseudonymised, perhaps cut to fit a cell) is the input's text.
fn same_text(sheet: &str, input: &str) -> bool {
    static PLACEHOLDER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let placeholder =
        PLACEHOLDER.get_or_init(|| regex::Regex::new(r"\[[\p{Lu}° ]+\]").expect("valid pattern"));
    let sheet = sheet
        .split(crate::stages::write::xlsx::CUT_MARK)
        .next()
        .unwrap_or(sheet);
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let input = squeeze(input);
    let mut from = 0;
    for fragment in placeholder.split(sheet).map(squeeze) {
        match input[from..].find(fragment.as_str()) {
            Some(at) => from += at + fragment.len(),
            None => return false,
        }
    }
    true
}

fn check(
    path: &Path,
    categories: &[(String, String)],
    unknown: &[String],
    missing: &[String],
    conflicts: &[String],
) -> Result<()> {
    if !unknown.is_empty() {
        let ids: Vec<&str> = categories.iter().map(|(id, _)| id.as_str()).collect();
        bail!(
            "{}: labels {} are neither category ids nor names of the taxonomy ({}, or {NONE})",
            path.display(),
            shown_list(unknown),
            ids.join(", ")
        );
    }
    if !conflicts.is_empty() {
        bail!(
            "{}: {} ids are tagged twice with different categories: {}; keep one tag per id",
            path.display(),
            conflicts.len(),
            conflicts[..conflicts.len().min(5)].join(", ")
        );
    }
    if !missing.is_empty() {
        bail!(
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

    #[test]
    fn sheet_texts_match_through_placeholders_spacing_and_cuts() {
        let input = "Madame Garnier a perdu\nmon dossier.";
        assert!(same_text("Madame [NOM] a perdu mon dossier.", input));
        assert!(same_text(input, input));
        let cut = format!("Madame [NOM] a{}", crate::stages::write::xlsx::CUT_MARK);
        assert!(same_text(&cut, input));
        assert!(!same_text("Madame [NOM] a retrouvé mon dossier.", input));
        assert!(!same_text("mon dossier. Madame [NOM] a perdu", input));
    }

    #[test]
    fn part_is_read_without_case_and_anything_else_is_refused() {
        let parts = TextColumn {
            name: PART_COLUMN.into(),
            values: ["Random", "RANDOM", "chosen", "Chosen", "aléatoire"]
                .iter()
                .map(|v| Some(v.to_string()))
                .chain([None])
                .collect(),
            nested: None,
        };
        let path = Path::new("t.csv");
        let read = |r| is_random(path, Some(&parts), r);
        assert!(read(0).unwrap() && read(1).unwrap());
        assert!(!read(2).unwrap() && !read(3).unwrap() && !read(5).unwrap());
        let err = read(4).unwrap_err().to_string();
        assert!(err.contains("row 6") && err.contains("neither"), "{err}");
        assert!(!is_random(path, None, 0).unwrap());
    }

    #[test]
    fn the_tag_column_is_the_one_whose_values_are_labels() {
        let segur = crate::taxonomy::Taxonomy::segur();
        let cats: Vec<(String, String)> = segur
            .categories
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        let m = LabelMatcher::new(&cats, None).unwrap();
        let column = |name: &str, values: &[&str]| TextColumn {
            name: name.into(),
            values: values.iter().map(|v| Some(v.to_string())).collect(),
            nested: None,
        };
        let columns = [
            column("id", &["a", "b", "c"]),
            column("text", &["Un long texte", "p1", "Un autre"]),
            column("pilier", &["p1", "P2", "none"]),
        ];
        assert_eq!(labelled_column(&columns, &m).unwrap().name, "pilier");
        assert!(labelled_column(&columns[..2], &m).is_none());
    }
}
