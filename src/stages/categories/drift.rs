//! The self-training's drift check: a round is kept only while it still agrees with what the
//! taxonomy says (each description in place, the clearest rows where the descriptions put them).

use super::discriminant::Discriminant;
use super::mapping::{Prototypes, top_two};

/// Share of the zero-shot's most confident rows (per category) the self-training must keep in
/// their category. Measured (METHODS.md): 0.935 at the lowest over 10 random halves of each
/// development set, 0.996 on the Grand Débat answers' halves.
pub const MIN_AGREEMENT: f64 = 0.75;
/// The zero-shot's most confident rows of each category: this share of them, by margin.
const ANCHOR_SHARE: f64 = 0.2;

/// Whether a self-training round kept to what the taxonomy says: each category's own description
/// must still map to that category, and the rows the descriptions place most clearly must mostly
/// stay where they were (the mean over categories of the share kept).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SelfCheck {
    /// The round checked last (the one that drifted, when one did).
    pub round: usize,
    /// Categories whose description maps to themselves under the round's discriminant.
    pub descriptions_in_place: usize,
    pub categories: usize,
    /// Mean over categories of the share of the zero-shot's most confident rows kept.
    pub zero_shot_agreement: f64,
    /// Why the round was undone, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
}

impl SelfCheck {
    pub(super) fn of(
        discriminant: &Discriminant,
        stats: &[(f64, f64)],
        prototypes: &Prototypes,
        z: &[f32],
        anchors: &[Vec<usize>],
        round: usize,
    ) -> SelfCheck {
        let c = prototypes.len();
        let described = discriminant.scores(&prototypes.vectors);
        let descriptions_in_place = (0..c)
            .filter(|&k| {
                let row: Vec<f32> = (0..c)
                    .map(|j| ((described[k * c + j] as f64 - stats[j].0) / stats[j].1) as f32)
                    .collect();
                top_two(&row).0 == k
            })
            .count();
        let kept: Vec<f64> = (anchors.iter().enumerate())
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(k, rows)| {
                let same = rows
                    .iter()
                    .filter(|&&r| top_two(&z[r * c..(r + 1) * c]).0 == k);
                same.count() as f64 / rows.len() as f64
            })
            .collect();
        let zero_shot_agreement = kept.iter().sum::<f64>() / kept.len().max(1) as f64;
        let drift = if descriptions_in_place < c {
            Some(format!(
                "{} of {c} category descriptions no longer map to their own category",
                c - descriptions_in_place
            ))
        } else if zero_shot_agreement < MIN_AGREEMENT {
            Some(format!(
                "kept {zero_shot_agreement:.2} of the rows the descriptions place most clearly, under {MIN_AGREEMENT}"
            ))
        } else {
            None
        };
        SelfCheck {
            round,
            descriptions_in_place,
            categories: c,
            zero_shot_agreement,
            drift,
        }
    }
}

/// For each category, the [`ANCHOR_SHARE`] of the rows the standardised zero-shot scores put in
/// it with the largest margin.
pub(super) fn anchors(z: &[f32], c: usize) -> Vec<Vec<usize>> {
    let mut by_class: Vec<Vec<(f32, usize)>> = vec![Vec::new(); c];
    for (r, row) in z.chunks_exact(c).enumerate() {
        let (first, second) = top_two(row);
        by_class[first].push((second.map_or(0.0, |s| row[first] - row[s]), r));
    }
    (by_class.into_iter())
        .map(|mut members| {
            members.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let take = (members.len() as f64 * ANCHOR_SHARE).ceil() as usize;
            members[..take].iter().map(|&(_, r)| r).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::categories::mapping::{scores, standardize};

    #[test]
    fn a_round_that_swaps_the_categories_is_a_drift() {
        let protos = Prototypes {
            dim: 2,
            vectors: vec![1.0, 0.0, 0.0, 1.0],
        };
        let points = [1.0, 0.1, 0.9, 0.2, 0.1, 1.0, 0.2, 0.9];
        let mut z0 = scores(&points, 2, &protos);
        standardize(&mut z0, 2);
        let anchors = anchors(&z0, 2);
        // A discriminant that reads each category's description as the other's.
        let swapped = Discriminant {
            dim: 2,
            classes: 2,
            weights: vec![0.0, 1.0, 1.0, 0.0],
            offsets: vec![0.0, 0.0],
        };
        let mut z = swapped.scores(&points);
        let stats = standardize(&mut z, 2);
        let check = SelfCheck::of(&swapped, &stats, &protos, &z, &anchors, 1);
        assert_eq!(check.descriptions_in_place, 0);
        assert_eq!(check.zero_shot_agreement, 0.0);
        assert!(check.drift.is_some());
        // The faithful one keeps both.
        let faithful = Discriminant {
            weights: vec![1.0, 0.0, 0.0, 1.0],
            ..swapped
        };
        let mut z = faithful.scores(&points);
        let stats = standardize(&mut z, 2);
        let check = SelfCheck::of(&faithful, &stats, &protos, &z, &anchors, 1);
        assert_eq!(
            (check.descriptions_in_place, check.zero_shot_agreement),
            (2, 1.0)
        );
        assert_eq!(check.drift, None);
    }
}
