//! Agreement between people who tagged the same testimonies: Krippendorff's alpha (nominal), the
//! figure the qualitative-analysis suites (ATLAS.ti, MAXQDA) recommend reporting, with a bootstrap
//! interval over the units.

use std::collections::HashMap;

use super::Interval;

/// Krippendorff's alpha for nominal data. `units[u]` holds the values the coders gave unit `u`
/// (`None` where a coder did not code it); units with fewer than two values are not pairable and
/// left out. 1 is perfect agreement, 0 what chance gives; `NaN` when fewer than two values vary.
pub fn krippendorff_alpha_nominal(units: &[Vec<Option<&str>>]) -> f64 {
    // Coincidences o[c][k], each pairable unit contributing 1 / (m_u − 1) per ordered pair.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    for unit in units {
        let values: Vec<usize> = unit
            .iter()
            .flatten()
            .map(|v| {
                let next = index.len();
                *index.entry(v).or_insert(next)
            })
            .collect();
        let m = values.len();
        if m < 2 {
            continue;
        }
        for i in 0..m {
            for j in 0..m {
                if i != j {
                    pairs.push((values[i], values[j], 1.0 / (m - 1) as f64));
                }
            }
        }
    }
    let k = index.len();
    let mut o = vec![vec![0f64; k]; k];
    for (a, b, w) in pairs {
        o[a][b] += w;
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = n_c.iter().sum();
    let disagree: f64 = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| o[a][b])
        .sum();
    let expected: f64 = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| n_c[a] * n_c[b])
        .sum();
    if expected == 0.0 {
        return f64::NAN;
    }
    1.0 - (n - 1.0) * disagree / expected
}

/// A 95% percentile-bootstrap interval of alpha, resampling units (fixed seed).
pub fn alpha_interval(units: &[Vec<Option<&str>>], resamples: usize, seed: u64) -> Interval {
    let mut rng = crate::rng::Rng::new(seed);
    let n = units.len();
    let mut values: Vec<f64> = (0..resamples)
        .map(|_| {
            let sample: Vec<Vec<Option<&str>>> =
                (0..n).map(|_| units[rng.below(n)].clone()).collect();
            krippendorff_alpha_nominal(&sample)
        })
        .filter(|a| a.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return Interval {
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let at =
        |q: f64| values[((q * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    Interval {
        low: at(0.025),
        high: at(0.975),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    /// observers, twelve units, nominal values 1–5 with missing data; alpha = 0.743.
    #[test]
    fn the_published_example_with_missing_values() {
        let rows: [[&str; 12]; 4] = [
            ["1", "2", "3", "3", "2", "1", "4", "1", "2", ".", ".", "."],
            ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", ".", "3"],
            [".", "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", "."],
            ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", "."],
        ];
        let units: Vec<Vec<Option<&str>>> = (0..12)
            .map(|u| rows.iter().map(|r| (r[u] != ".").then_some(r[u])).collect())
            .collect();
        let alpha = krippendorff_alpha_nominal(&units);
        assert!((alpha - 0.743).abs() < 5e-4, "{alpha}");
    }

    /// Two coders: perfect agreement is 1; Krippendorff (2011) section A, binary data of two
    /// observers over ten units: alpha = 0.095.
    #[test]
    fn two_coders_and_perfect_agreement() {
        let a = ["0", "1", "0", "0", "0", "0", "0", "0", "1", "0"];
        let b = ["1", "1", "1", "0", "0", "1", "0", "0", "0", "0"];
        let units: Vec<Vec<Option<&str>>> = (0..10).map(|u| vec![Some(a[u]), Some(b[u])]).collect();
        let alpha = krippendorff_alpha_nominal(&units);
        assert!((alpha - 0.095).abs() < 5e-4, "{alpha}");
        let same: Vec<Vec<Option<&str>>> = (0..10).map(|u| vec![Some(a[u]), Some(a[u])]).collect();
        assert_eq!(krippendorff_alpha_nominal(&same), 1.0);
        let interval = alpha_interval(&units, 200, 7);
        assert!(
            interval.low <= alpha && alpha <= interval.high,
            "{interval:?}"
        );
    }
}
