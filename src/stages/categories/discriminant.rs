//! A shrunk linear discriminant (class means, pooled covariance shrunk toward a scaled identity),
//! the self-training's and the few-shot mapping's model, with the small linear algebra it needs.

use crate::linalg::{blocked_gram, dot};

/// A shrunk linear discriminant: score of class k = x·w_k + b_k.
#[derive(Debug, Clone)]
pub struct Discriminant {
    pub(super) dim: usize,
    pub(super) classes: usize,
    /// `[classes, dim]`, row-major.
    pub(super) weights: Vec<f32>,
    pub(super) offsets: Vec<f32>,
}

impl Discriminant {
    /// Fits on `(row, class)` examples: class means, pooled covariance shrunk toward a scaled
    /// identity by `shrinkage`. `None` when a class has no example or the covariance cannot be
    /// factored.
    pub fn fit(
        points: &[f32],
        dim: usize,
        selected: &[(usize, usize)],
        c: usize,
        shrinkage: f64,
    ) -> Option<Discriminant> {
        if selected.len() <= c || c < 2 {
            return None;
        }
        let means = class_means(points, dim, selected, c)?;
        let cov = shrunk_covariance(points, dim, selected, &means, c, shrinkage);
        let chol = cholesky(&cov, dim)?;
        // w_k = Σ⁻¹ m_k; b_k = −½ m_k·w_k.
        let mut weights = Vec::with_capacity(c * dim);
        let mut offsets = Vec::with_capacity(c);
        for k in 0..c {
            let mean = &means[k * dim..(k + 1) * dim];
            let w = cholesky_solve(&chol, dim, mean);
            offsets.push((-0.5 * w.iter().zip(mean).map(|(a, b)| a * b).sum::<f64>()) as f32);
            weights.extend(w.iter().map(|&v| v as f32));
        }
        Some(Discriminant {
            dim,
            classes: c,
            weights,
            offsets,
        })
    }

    /// Scores `[points, classes]` of row-major points.
    pub fn scores(&self, points: &[f32]) -> Vec<f32> {
        let (dim, c) = (self.dim, self.classes);
        let mut out = Vec::with_capacity(points.len() / dim * c);
        for row in points.chunks_exact(dim) {
            for k in 0..c {
                out.push(dot(row, &self.weights[k * dim..(k + 1) * dim]) + self.offsets[k]);
            }
        }
        out
    }
}

/// Class means `[c, dim]` in f64 and a fixed order; `None` when a class has no example.
fn class_means(
    points: &[f32],
    dim: usize,
    selected: &[(usize, usize)],
    c: usize,
) -> Option<Vec<f64>> {
    let mut means = vec![0f64; c * dim];
    let mut counts = vec![0usize; c];
    for &(r, k) in selected {
        counts[k] += 1;
        for (m, &x) in means[k * dim..(k + 1) * dim]
            .iter_mut()
            .zip(&points[r * dim..(r + 1) * dim])
        {
            *m += x as f64;
        }
    }
    for k in 0..c {
        if counts[k] == 0 {
            return None;
        }
        for m in &mut means[k * dim..(k + 1) * dim] {
            *m /= counts[k] as f64;
        }
    }
    Some(means)
}

/// Pooled within-class covariance, shrunk toward a scaled identity. Σ RᵀR over the residual rows
/// is one blocked matrix product: fast at a million rows and the same bits whatever the thread
/// count.
fn shrunk_covariance(
    points: &[f32],
    dim: usize,
    selected: &[(usize, usize)],
    means: &[f64],
    c: usize,
    shrinkage: f64,
) -> Vec<f64> {
    let mut cov = blocked_gram::<f64>(selected.len(), dim, |range, residuals| {
        for (row, &(r, k)) in residuals.chunks_exact_mut(dim).zip(&selected[range]) {
            for (i, res) in row.iter_mut().enumerate() {
                *res = points[r * dim + i] as f64 - means[k * dim + i];
            }
        }
    });
    let denom = (selected.len() - c) as f64;
    let trace: f64 = (0..dim).map(|i| cov[i * dim + i] / denom).sum::<f64>() / dim as f64;
    for i in 0..dim {
        for j in i..dim {
            let v = (1.0 - shrinkage) * cov[i * dim + j] / denom
                + if i == j { shrinkage * trace } else { 0.0 };
            cov[i * dim + j] = v;
            cov[j * dim + i] = v;
        }
    }
    cov
}

/// Lower-triangular Cholesky factor of a symmetric positive definite matrix.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b`.
fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0f64; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0f64; n];
    for i in (0..n).rev() {
        let s: f64 = ((i + 1)..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        let x = cholesky_solve(&l, 2, &[2.0, 1.0]);
        // 4x + 2y = 2, 2x + 3y = 1 → x = 0.5, y = 0.
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
