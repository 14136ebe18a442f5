//! Stage 4: each distinct text's category in the taxonomy: label-free (default), zero-shot, or
//! few-shot when manual tags are given; and `none` for texts far from every category.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::tags::Tags;
use crate::evaluate::{macro_f1, wilson};
use crate::linalg;
use crate::pipeline::{Embedded, Prepared, RunConfig};
use crate::stages::categories::mapping::{self as map, MapOptions, Mapping, Prototypes};
use crate::stages::embed::embedder::Embedder;
use crate::stages::write::record::{
    Agreement, CrossValidated, FewShotRecord, Proportion, SampleAgreement,
};

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
    /// The relevance under which a text went to `none` (the `auto` rule resolved on this corpus).
    pub none_threshold: f32,
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
    tags: Option<&Tags>,
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
    let none_threshold = config.map.none_threshold.resolve(&relevance);
    let outside: Vec<bool> = relevance.iter().map(|&r| r < none_threshold).collect();
    let (mapping, few_shot) = match (&config.labels, tags) {
        (Some(path), Some(tags)) => {
            let record = few_shot_record(
                prepared,
                embedded,
                &label_free,
                tags,
                path,
                &config.map,
                &outside,
            );
            (
                with_tags(embedded, label_free, tags, path, &config.map),
                Some(record),
            )
        }
        _ => (label_free, None),
    };
    let categories = mapping.categories;
    let best: Vec<(usize, f32)> = (0..mapping.best.len())
        .map(|d| (mapping.best[d], mapping.row(d)[mapping.best[d]]))
        .collect();
    let fit = map::category_fit(&embedded.centred, dim, &mapping.best, categories);
    Ok(Categories {
        mapping,
        fallback,
        relevance,
        fit,
        best,
        outside,
        none_threshold,
        few_shot,
    })
}

/// The few-shot mapping learned from the tags; the label-free mapping stands when some category
/// has no tag.
fn with_tags(
    embedded: &Embedded,
    label_free: Mapping,
    tags: &Tags,
    path: &Path,
    options: &MapOptions,
) -> Mapping {
    match map::few_shot(
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
    }
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
    outside: &[bool],
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
        tagged_none_ignored: tags.none.len(),
        fewest_tags_in_a_category: per_category.values().copied().min().unwrap_or(0),
        per_category,
        tag_weight: map::TAG_WEIGHT,
        label_free_agreement_on_tags: Agreement {
            accuracy: agreeing as f64 / gold.len().max(1) as f64,
            macro_f1: macro_f1(&gold, &label_free_pred),
        },
        sample: tags
            .has_parts
            .then(|| sample_agreement(tags, cv.as_ref().map(|c| c.1.as_slice()), outside)),
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

/// The two figures of a `verbatim sample` sheet: agreement on the chosen part (cross-validated),
/// and on the random part alone the accuracy of the category the run delivers (out of fold, `none`
/// included), which estimates the corpus's accuracy without bias.
fn sample_agreement(
    tags: &Tags,
    out_of_fold: Option<&[usize]>,
    outside: &[bool],
) -> SampleAgreement {
    let (mut chosen, mut random) = ((0, 0), (0, 0));
    if let Some(predicted) = out_of_fold {
        for (i, &(d, k)) in tags.pairs.iter().enumerate() {
            let part = if tags.random[i] {
                &mut random
            } else {
                &mut chosen
            };
            let right = if tags.random[i] {
                !outside[d] && predicted[i] == k
            } else {
                predicted[i] == k
            };
            *part = (part.0 + right as usize, part.1 + 1);
        }
        for &(d, is_random) in &tags.none {
            if is_random {
                random = (random.0 + outside[d] as usize, random.1 + 1);
            }
        }
    }
    let proportion = |(correct, tagged): (usize, usize)| {
        (tagged > 0).then(|| {
            let (low, high) = wilson(correct, tagged);
            Proportion {
                correct,
                tagged,
                accuracy: correct as f64 / tagged as f64,
                low,
                high,
            }
        })
    };
    SampleAgreement {
        chosen: proportion(chosen),
        random: proportion(random),
        untagged: tags.untagged,
    }
}
