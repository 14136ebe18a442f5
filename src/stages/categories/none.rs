//! `none`: when a testimony is about no category of the taxonomy. The relevance it is read from
//! is [`super::mapping::relevance`]; here, the threshold, fixed or read from the corpus.

/// When a testimony goes to `none`: below a fixed relevance, or (default) below a threshold read
/// from the run's own relevance distribution ([`NoneThreshold::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoneThreshold {
    Auto,
    Fixed(f32),
}

/// `auto`: a testimony is outside when its relevance is an outlier below the corpus's own (more
/// than this many robust standard deviations, 1.4826 × MAD, under the median)…
pub const NONE_SPREAD: f64 = 2.0;
/// …and among the lowest 3% of the corpus: what a report may lose at most. A fixed −0.05 (the
/// default before) sent 10.4% of on-topic answers away on an unseen consultation whose answers
/// sit farther from the descriptions than the development sets' do (measured by issue #30).
pub const NONE_BUDGET: f64 = 0.03;
/// Fewest distinct texts `auto` reads a distribution from; below it nothing goes to `none`.
pub const MIN_FOR_NONE: usize = 20;

impl NoneThreshold {
    /// The relevance under which a text goes to `none` in this corpus.
    pub fn resolve(self, relevance: &[f32]) -> f32 {
        match self {
            NoneThreshold::Fixed(v) => v,
            NoneThreshold::Auto => auto_threshold(relevance),
        }
    }
}

/// min(median − 2 × 1.4826 × MAD, the value that leaves 3% of the corpus strictly below): both
/// read from the corpus, so that no constant chosen on one data set decides. −1 (nothing
/// outside) under [`MIN_FOR_NONE`] texts.
pub fn auto_threshold(relevance: &[f32]) -> f32 {
    let mut sorted: Vec<f64> = relevance.iter().map(|&r| r as f64).collect();
    if sorted.len() < MIN_FOR_NONE {
        return -1.0;
    }
    sorted.sort_by(f64::total_cmp);
    let median = median_sorted(&sorted);
    let mut deviations: Vec<f64> = sorted.iter().map(|r| (r - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let spread = 1.4826 * median_sorted(&deviations);
    // Strictly below the value at rank ⌊3% n⌋: at most that many rows.
    let budget = sorted[(NONE_BUDGET * sorted.len() as f64).floor() as usize];
    (median - NONE_SPREAD * spread).min(budget) as f32
}

/// The median of sorted values (the mean of the two middle ones for an even count).
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_none_threshold_takes_outliers_within_the_budget() {
        // 97 values spread around 0.1 and three far below: the three are outliers, and no more
        // than 3% of 100 rows can be below the threshold.
        let mut r: Vec<f32> = (0..97).map(|i| 0.05 + 0.001 * i as f32).collect();
        r.extend([-0.5, -0.6, -0.7]);
        let t = auto_threshold(&r);
        assert_eq!(r.iter().filter(|&&v| v < t).count(), 3, "{t}");
        // Spread wide, nothing apart: at most 3 rows out of 100, whatever the shape.
        let wide: Vec<f32> = (0..100).map(|i| -0.3 + 0.006 * i as f32).collect();
        let t = auto_threshold(&wide);
        assert!(wide.iter().filter(|&&v| v < t).count() <= 3, "{t}");
        // A distribution shifted down as a whole loses what a shifted one would: nothing more.
        let low: Vec<f32> = r.iter().map(|v| v - 0.2).collect();
        assert_eq!(low.iter().filter(|&&v| v < auto_threshold(&low)).count(), 3);
        assert_eq!(
            auto_threshold(&r[..10]),
            -1.0,
            "too few texts to read a distribution"
        );
        assert_eq!(NoneThreshold::Fixed(-0.05).resolve(&r), -0.05);
    }
}
