//! The report's 2-D map: each testimony's coordinates on the first two principal axes of the
//! centred vectors (`map_x`, `map_y` in the assignments). Computed with the themes, drawn by the
//! report.

use rayon::prelude::*;

use crate::linalg::{Rows, gram};

/// Coordinates of each row on the first two principal axes (power iteration from a fixed start, so
/// deterministic), for the map of the report. Rows should be centred.
pub fn project_2d(data: &[f32], dim: usize) -> Vec<[f32; 2]> {
    // Power iteration on XᵀX (dim × dim), computed once: at a million rows, iterating over the rows
    // themselves (60 passes per axis) took most of a minute.
    let gram = gram(Rows::new(data, dim));
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for _ in 0..2 {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + (i % 7) as f64 / 7.0).collect();
        for _ in 0..60 {
            // w = XᵀX v, with earlier axes removed.
            let mut w: Vec<f64> = gram
                .chunks_exact(dim)
                .map(|row| row.iter().zip(&v).map(|(g, x)| g * x).sum())
                .collect();
            for a in &axes {
                let p: f64 = w.iter().zip(a).map(|(x, y)| x * y).sum();
                w.iter_mut().zip(a).for_each(|(x, y)| *x -= p * y);
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            v = w.iter().map(|x| x / norm).collect();
        }
        axes.push(v);
    }
    data.par_chunks_exact(dim.max(1))
        .map(|r| {
            let p = |a: &Vec<f64>| r.iter().zip(a).map(|(x, y)| *x as f64 * y).sum::<f64>() as f32;
            [p(&axes[0]), p(&axes[1])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_separates_points_along_the_main_axis() {
        let data = [
            1.0f32, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, -0.1, 0.0,
        ];
        let xy = project_2d(&data, 3);
        assert!((xy[0][0].abs() - 1.0).abs() < 1e-4 && (xy[0][0] + xy[1][0]).abs() < 1e-4);
        assert!((xy[2][1].abs() - 0.1).abs() < 1e-4);
    }
}
