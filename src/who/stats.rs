//! The statistics of a contingency table, as scipy's `chi2_contingency(correction=False)` and
//! statsmodels' `proportion_confint(method="wilson")` compute them: expected counts from the
//! margins, Pearson's chi-square with its p-value, Cramér's V, each cell's adjusted standardized
//! residual (Haberman 1973) with its two-sided normal p-value, Holm's step-down adjustment over
//! the cells. `tests/groups.rs` holds them against values those libraries computed.

pub use crate::evaluate::Z95;

/// Cells whose Holm-adjusted p-value is under this are called over- or under-represented.
pub const ALPHA: f64 = 0.05;

/// A table's test of independence.
#[derive(Debug, Clone, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub dof: usize,
    pub p: f64,
    pub cramers_v: f64,
}

/// Expected counts, residuals and the test of a table of counts (rows × columns). Rows and
/// columns whose margin is zero take no part in the test (scipy refuses them) and get an
/// expected count of zero and no residual.
#[derive(Debug, Clone)]
pub struct Contingency {
    pub expected: Vec<Vec<f64>>,
    /// Adjusted standardized residuals; `None` where a margin is zero.
    pub residual: Vec<Vec<Option<f64>>>,
    /// Holm-adjusted two-sided p-values of the residuals, over every cell that has one.
    pub p_adjusted: Vec<Vec<Option<f64>>>,
    /// `None` when fewer than two rows or columns have a non-zero margin.
    pub test: Option<ChiSquare>,
}

impl Contingency {
    pub fn of(counts: &[Vec<u64>]) -> Self {
        let rows: Vec<f64> = counts
            .iter()
            .map(|r| r.iter().sum::<u64>() as f64)
            .collect();
        let width = counts.first().map_or(0, Vec::len);
        let cols: Vec<f64> = (0..width)
            .map(|j| counts.iter().map(|r| r[j]).sum::<u64>() as f64)
            .collect();
        let n: f64 = rows.iter().sum();
        let mut expected = vec![vec![0.0; width]; counts.len()];
        let mut residual = vec![vec![None; width]; counts.len()];
        let mut statistic = 0.0;
        for (i, row) in counts.iter().enumerate() {
            for (j, &o) in row.iter().enumerate() {
                if rows[i] == 0.0 || cols[j] == 0.0 {
                    continue;
                }
                let e = rows[i] * cols[j] / n;
                expected[i][j] = e;
                statistic += (o as f64 - e).powi(2) / e;
                let var = e * (1.0 - rows[i] / n) * (1.0 - cols[j] / n);
                residual[i][j] = (var > 0.0).then(|| (o as f64 - e) / var.sqrt());
            }
        }
        let live = |m: &[f64]| m.iter().filter(|&&v| v > 0.0).count();
        let (r, c) = (live(&rows), live(&cols));
        let test = (r >= 2 && c >= 2).then(|| {
            let dof = (r - 1) * (c - 1);
            ChiSquare {
                statistic,
                dof,
                p: chi2_sf(statistic, dof as f64),
                cramers_v: (statistic / (n * (r.min(c) - 1) as f64)).sqrt(),
            }
        });
        let p_adjusted = holm_cells(&residual);
        Self {
            expected,
            residual,
            p_adjusted,
            test,
        }
    }
}

/// Holm's adjustment of every cell's two-sided p-value.
fn holm_cells(residual: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    let cells: Vec<(usize, usize, f64)> = (residual.iter().enumerate())
        .flat_map(|(i, row)| {
            (row.iter().enumerate())
                .filter_map(move |(j, r)| Some((i, j, normal_two_sided(r.as_ref()?.abs()))))
        })
        .collect();
    let adjusted = holm(&cells.iter().map(|c| c.2).collect::<Vec<_>>());
    let mut out: Vec<Vec<Option<f64>>> = residual.iter().map(|r| vec![None; r.len()]).collect();
    for ((i, j, _), p) in cells.into_iter().zip(adjusted) {
        out[i][j] = Some(p);
    }
    out
}

/// Holm's step-down adjusted p-values, in the order given (statsmodels' `multipletests(method=
/// "holm")`).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Over, under or neither: the cell's residual sign when its adjusted p-value is under [`ALPHA`].
pub fn direction(residual: Option<f64>, p_adjusted: Option<f64>) -> &'static str {
    match (residual, p_adjusted) {
        (Some(r), Some(p)) if p < ALPHA && r > 0.0 => "over",
        (Some(r), Some(p)) if p < ALPHA && r < 0.0 => "under",
        _ => "-",
    }
}

/// P(|Z| ≥ z) for a standard normal Z: erfc(z/√2) = Q(1/2, z²/2).
pub fn normal_two_sided(z: f64) -> f64 {
    gamma_q(0.5, z * z / 2.0)
}

/// The chi-square distribution's survival function.
pub fn chi2_sf(x: f64, dof: f64) -> f64 {
    gamma_q(dof / 2.0, x / 2.0)
}

/// The regularized upper incomplete gamma function Q(a, x): the series below a + 1, Lentz's
/// continued fraction above (Numerical Recipes §6.2), to double precision.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let log_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        return (1.0 - sum * log_front.exp()).max(0.0);
    }
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
    let mut h = d;
    for i in 1..1000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        d = if d.abs() < tiny { tiny } else { d };
        c = b + an / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    log_front.exp() * h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum: f64 = G[0] + (1..9).map(|i| G[i] / (x + i as f64)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{a} vs {b}");
    }

    #[test]
    fn special_functions_by_known_values() {
        close(ln_gamma(5.0), 24f64.ln(), 1e-14);
        close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-14);
        // P(|Z| ≥ 1.96) and the chi-square's 5% point with 1 and 10 degrees of freedom.
        close(normal_two_sided(Z95), 0.05, 1e-12);
        close(chi2_sf(3.841_458_820_694_124, 1.0), 0.05, 1e-12);
        close(chi2_sf(18.307_038_053_275_146, 10.0), 0.05, 1e-12);
        close(normal_two_sided(10.0), 1.523_970_604_832_105e-23, 1e-10);
    }

    #[test]
    fn holm_is_monotone_and_capped() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.5]);
        assert_eq!(adjusted, vec![0.04, 0.09, 0.09, 0.5]);
        assert_eq!(holm(&[0.6, 0.6]), vec![1.0, 1.0]);
    }

    #[test]
    fn a_zero_margin_takes_no_part() {
        let t = Contingency::of(&[vec![10, 0, 5], vec![5, 0, 10]]);
        assert_eq!(t.test.as_ref().unwrap().dof, 1);
        assert_eq!(t.residual[0][1], None);
        assert_eq!(direction(t.residual[0][0], t.p_adjusted[0][0]), "-");
    }
}
