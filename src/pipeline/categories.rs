//! Stage 4: each distinct text's category in the taxonomy: label-free (default), zero-shot, or
//! few-shot when manual tags are given; and `none` for texts far from every category.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::{Embedded, Prepared, RunConfig};
use crate::embed::Embedder;
use crate::evaluate::macro_f1;
use crate::ingest::{self, ReadOptions};
use crate::linalg;
use crate::map::{self, MapOptions, Mapping, Prototypes};
use crate::record::{Agreement, CrossValidated, FewShotRecord};
use crate::taxonomy::Taxonomy;
use crate::text::fold;

/// Fewest distinct texts the label-free mapping standardises scores over.
pub const MIN_TO_STANDARDISE: usize = 3;

pub struct Categories {
    pub mapping: Mapping,
    /// Why the raw cosine was used instead of the requested method, if it was.
    pub fallback: Option<String>,
    /// Centred cosine of each text to the nearest category description.
    pub relevance: Vec<f32>,
    /// How typical each text is of its category.
    pub fit: Vec<f32>,
    /// Best category and its score.
    pub best: Vec<(usize, f32)>,
    /// Texts sent to `none`, outside the taxonomy.
    pub outside: Vec<bool>,
    pub few_shot: Option<FewShotRecord>,
}

impl Categories {
    pub fn count(&self) -> usize {
        self.mapping.categories
    }
    /// Scores of a distinct text, one per category.
    pub fn scores(&self, d: usize) -> &[f32] {
        self.mapping.row(d)
    }

    /// A near-duplicate (the same testimony with small edits) takes its original's category, so
    /// that it can join its original's theme without mixing categories.
    pub fn follow_originals(&mut self, near: &[Option<usize>]) {
        for (d, original) in near.iter().enumerate() {
            if let Some(o) = *original {
                self.best[d] = self.best[o];
                self.outside[d] = self.outside[o];
            }
        }
    }
}

pub fn map(
    prepared: &Prepared,
    embedded: &Embedded,
    embedder: &mut Embedder,
    config: &RunConfig,
) -> Result<Categories> {
    let dim = embedded.dim();
    let prototypes = map::prototypes(embedder, &prepared.taxonomy)?;
    let centred = Prototypes {
        dim,
        vectors: linalg::center(prototypes.rows(), &embedded.mean),
    };
    // How close each testimony comes to any category's description, beyond the average testimony.
    let relevance = map::relevance(&embedded.centred, dim, &centred);
    // With one or two distinct texts there is nothing to standardise against: the label-free
    // scores would be uniform (0.25 each), a non-answer that looks like one.
    let fallback = (!config.map.zero_shot && embedded.raw.len() < MIN_TO_STANDARDISE).then(|| {
        format!(
            "{} distinct texts: too few to standardise against, raw cosine to the categories used instead",
            embedded.raw.len()
        )
    });
    if let Some(why) = &fallback {
        log::warn!("{why}");
    }
    let label_free = if config.map.zero_shot || fallback.is_some() {
        map::map_zero_shot(&embedded.raw.vectors, dim, &prototypes)
    } else {
        map::map_label_free(&embedded.centred, dim, &centred, &config.map)
    };
    let (mapping, few_shot) = match &config.labels {
        None => (label_free, None),
        Some(path) => with_tags(prepared, embedded, label_free, path, &config.map)?,
    };
    let categories = mapping.categories;
    let best: Vec<(usize, f32)> = (0..mapping.best.len())
        .map(|d| (mapping.best[d], mapping.row(d)[mapping.best[d]]))
        .collect();
    let fit = map::category_fit(&embedded.centred, dim, &mapping.best, categories);
    let outside = relevance
        .iter()
        .map(|&r| r < config.map.none_threshold)
        .collect();
    Ok(Categories {
        mapping,
        fallback,
        relevance,
        fit,
        best,
        outside,
        few_shot,
    })
}

/// The few-shot mapping learned from the tags in `path`, and its record; the label-free mapping
/// stands when some category has no tag.
fn with_tags(
    prepared: &Prepared,
    embedded: &Embedded,
    label_free: Mapping,
    path: &Path,
    options: &MapOptions,
) -> Result<(Mapping, Option<FewShotRecord>)> {
    let tags = read_tags(path, prepared)?;
    let record = few_shot_record(prepared, embedded, &label_free, &tags, path, options);
    let mapping = match map::few_shot(
        &embedded.centred,
        embedded.dim(),
        &label_free,
        &tags.pairs,
        options,
    ) {
        Some(m) => m,
        None => {
            log::warn!(
                "{}: some category has no tagged testimony: the label-free mapping is kept",
                path.display()
            );
            label_free
        }
    };
    Ok((mapping, Some(record)))
}

/// What the tags are, and how well the label-free mapping and the cross-validated few-shot
/// mapping agree with them.
fn few_shot_record(
    prepared: &Prepared,
    embedded: &Embedded,
    label_free: &Mapping,
    tags: &Tags,
    path: &Path,
    options: &MapOptions,
) -> FewShotRecord {
    let ids: Vec<&str> = prepared.taxonomy.ids();
    let gold: Vec<&str> = tags.pairs.iter().map(|&(_, k)| ids[k]).collect();
    let label_free_pred: Vec<&str> = tags
        .pairs
        .iter()
        .map(|&(d, _)| ids[label_free.best[d]])
        .collect();
    let cv = map::cross_validate(
        &embedded.centred,
        embedded.dim(),
        label_free,
        &tags.pairs,
        options.folds,
        options,
    );
    let per_category: BTreeMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            (
                id.to_string(),
                tags.pairs.iter().filter(|p| p.1 == k).count(),
            )
        })
        .collect();
    let agreeing = gold
        .iter()
        .zip(&label_free_pred)
        .filter(|(a, b)| a == b)
        .count();
    FewShotRecord {
        labels: path.to_path_buf(),
        tagged: tags.pairs.len(),
        tagged_none_ignored: tags.none,
        fewest_tags_in_a_category: per_category.values().copied().min().unwrap_or(0),
        per_category,
        tag_weight: map::TAG_WEIGHT,
        label_free_agreement_on_tags: Agreement {
            accuracy: agreeing as f64 / gold.len().max(1) as f64,
            macro_f1: macro_f1(&gold, &label_free_pred),
        },
        cross_validated_agreement: cv.map(|(accuracy, predicted)| {
            let predicted: Vec<&str> = predicted.iter().map(|&k| ids[k]).collect();
            CrossValidated {
                folds: options.folds,
                accuracy,
                macro_f1: macro_f1(&gold, &predicted),
            }
        }),
    }
}

/// Tagged testimonies as (distinct row, category) pairs.
struct Tags {
    pairs: Vec<(usize, usize)>,
    /// Tags saying "none" (outside the taxonomy), not used for training yet.
    none: usize,
}

/// Reads a tagging file (an id column and a category column, same reading rules as the input) and
/// matches its ids to the input and its labels to category ids or names, without case or accents.
fn read_tags(path: &Path, prepared: &Prepared) -> Result<Tags> {
    let tagged = ingest::read(path, &ReadOptions::default())?;
    if tagged.id_column.is_none() {
        anyhow::bail!(
            "{}: the tagging file needs an \"id\" column matching the input's ids",
            path.display()
        );
    }
    let row_of: std::collections::HashMap<&str, usize> = prepared
        .corpus
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let (mut pairs, mut none, mut unknown, mut missing) = (Vec::new(), 0, Vec::new(), Vec::new());
    for (id, label) in tagged.ids.iter().zip(&tagged.texts) {
        if fold(label.trim()) == "none" {
            none += 1;
            continue;
        }
        let Some(k) = category_of(&prepared.taxonomy, label) else {
            if !unknown.contains(label) {
                unknown.push(label.clone());
            }
            continue;
        };
        match row_of.get(id.as_str()) {
            None => missing.push(id.clone()),
            Some(&r) => pairs.extend(prepared.distinct_of[r].map(|d| (d, k))),
        }
    }
    check_tags(path, &prepared.taxonomy, &unknown, &missing)?;
    Ok(Tags { pairs, none })
}

/// A category id or name, compared without case or accents.
fn category_of(taxonomy: &Taxonomy, label: &str) -> Option<usize> {
    let f = fold(label.trim());
    taxonomy
        .categories
        .iter()
        .position(|c| fold(&c.id) == f || fold(&c.name) == f)
}

fn check_tags(
    path: &Path,
    taxonomy: &Taxonomy,
    unknown: &[String],
    missing: &[String],
) -> Result<()> {
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

    #[test]
    fn tags_name_categories_by_id_or_name_without_case_or_accents() {
        let segur = Taxonomy::segur();
        let first = &segur.categories[0];
        assert_eq!(category_of(&segur, &first.id.to_uppercase()), Some(0));
        assert_eq!(category_of(&segur, &format!("  {}  ", first.name)), Some(0));
        assert_eq!(category_of(&segur, "pas une catégorie"), None);
        let err = check_tags(Path::new("t.csv"), &segur, &["x".into()], &[]).unwrap_err();
        assert!(
            err.to_string().contains("neither category ids nor names"),
            "{err}"
        );
        let err = check_tags(Path::new("t.csv"), &segur, &[], &["id9".into()]).unwrap_err();
        assert!(err.to_string().contains("not in the input"), "{err}");
    }
}
