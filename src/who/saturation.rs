//! Saturation: were the themes all there early? Over random orders of the contributions, the
//! share of the final themes already seen after 10%, 20% … 100% of them; a theme is seen once as
//! many of its documents as the minimum theme size (or all of them, for a smaller one) appeared.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Random orders drawn.
pub const ORDERS: usize = 5;

/// The curve: one point per tenth of the contributions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Saturation {
    pub orders: usize,
    pub min_theme_size: usize,
    pub points: Vec<SaturationPoint>,
    /// The smallest share of contributions after which 95% of the themes were seen (mean over
    /// the orders).
    pub share_for_95: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SaturationPoint {
    pub contributions: f64,
    pub themes_seen: f64,
    pub lowest: f64,
    pub highest: f64,
}

/// The curve of `themes` (each counted document's theme indices, `k` themes in all).
pub fn curve(themes: &[Vec<usize>], k: usize, min_theme_size: usize, seed: u64) -> Saturation {
    let mut size = vec![0usize; k];
    for t in themes.iter().flatten() {
        size[*t] += 1;
    }
    let needed: Vec<usize> = size.iter().map(|&s| s.min(min_theme_size.max(1))).collect();
    let live = needed.iter().filter(|&&n| n > 0).count();
    let mut rng = Rng::new(seed);
    let runs: Vec<Vec<f64>> = (0..ORDERS)
        .map(|_| {
            let mut order: Vec<usize> = (0..themes.len()).collect();
            rng.shuffle(&mut order);
            seen_by_tenth(themes, &order, &needed, live)
        })
        .collect();
    let points: Vec<SaturationPoint> = (0..10)
        .map(|t| {
            let v: Vec<f64> = runs.iter().map(|r| r[t]).collect();
            SaturationPoint {
                contributions: (t + 1) as f64 / 10.0,
                themes_seen: v.iter().sum::<f64>() / v.len() as f64,
                lowest: v.iter().copied().fold(f64::INFINITY, f64::min),
                highest: v.iter().copied().fold(0.0, f64::max),
            }
        })
        .collect();
    Saturation {
        orders: ORDERS,
        min_theme_size,
        share_for_95: points
            .iter()
            .find(|p| p.themes_seen >= 0.95)
            .map(|p| p.contributions),
        points,
    }
}

/// Share of the themes seen after each tenth of `order`.
fn seen_by_tenth(
    themes: &[Vec<usize>],
    order: &[usize],
    needed: &[usize],
    live: usize,
) -> Vec<f64> {
    let mut count = vec![0usize; needed.len()];
    let mut seen = 0usize;
    let mut out = Vec::with_capacity(10);
    let n = order.len();
    let mut next = 1;
    for (done, &d) in order.iter().enumerate() {
        for &t in &themes[d] {
            count[t] += 1;
            seen += usize::from(count[t] == needed[t]);
        }
        while next <= 10 && done + 1 >= (n * next).div_ceil(10) {
            out.push(if live == 0 {
                1.0
            } else {
                seen as f64 / live as f64
            });
            next += 1;
        }
    }
    out.resize(10, 1.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_rises_and_ends_at_one() {
        let themes: Vec<Vec<usize>> = (0..200).map(|i| vec![i % 7, (i * 3) % 11 + 7]).collect();
        let s = curve(&themes, 18, 5, 42);
        assert_eq!(s.points.len(), 10);
        assert!(
            s.points
                .windows(2)
                .all(|w| w[0].themes_seen <= w[1].themes_seen)
        );
        assert_eq!(s.points[9].themes_seen, 1.0);
        assert_eq!(s, curve(&themes, 18, 5, 42));
    }

    #[test]
    fn documents_without_a_theme_count_in_the_order() {
        let themes = vec![vec![], vec![0], vec![], vec![0]];
        let s = curve(&themes, 1, 2, 1);
        assert_eq!(s.points[9].themes_seen, 1.0);
    }
}
