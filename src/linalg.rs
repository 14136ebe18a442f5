//! The crate's linear algebra, shared by the stages: a row-major matrix view, the dot product,
//! centring, and one blocked matrix product for every XᵀX the pipeline needs (the report map's
//! principal axes, the LDA covariance of the mapping).
//!
//! Everything here is deterministic whatever the thread count: fixed summation orders, and
//! parallel loops over fixed blocks whose partial results are added in block order.

use rayon::prelude::*;

/// A row-major matrix borrowed from a flat slice: `len()` rows of `dim` values.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub dim: usize,
}

impl<'a> Rows<'a> {
    pub fn new(data: &'a [f32], dim: usize) -> Self {
        debug_assert!(dim == 0 || data.len().is_multiple_of(dim), "ragged matrix");
        Self { data, dim }
    }
    pub fn len(&self) -> usize {
        self.data.len() / self.dim.max(1)
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
    pub fn iter(&self) -> std::slice::ChunksExact<'a, f32> {
        self.data.chunks_exact(self.dim.max(1))
    }
}

/// Dot product with eight independent accumulators, so it vectorises; fixed order, so deterministic.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Mean of the rows.
pub fn mean_vector(rows: Rows) -> Vec<f32> {
    let n = rows.len().max(1);
    let mut sum = vec![0f64; rows.dim];
    for row in rows.iter() {
        for (s, &x) in sum.iter_mut().zip(row) {
            *s += x as f64;
        }
    }
    sum.iter().map(|s| (s / n as f64) as f32).collect()
}

/// Subtracts `mean` from every row and scales rows back to unit length.
pub fn center(rows: Rows, mean: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.data.len());
    for row in rows.iter() {
        let shifted: Vec<f32> = row.iter().zip(mean).map(|(x, m)| x - m).collect();
        let norm = shifted.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        out.extend(shifted.iter().map(|x| x / norm));
    }
    out
}

/// Rows per block of [`blocked_gram`]: fixed, so the partial sums (and their bits) do not depend
/// on the thread count.
const GRAM_BLOCK: usize = 8192;

/// XᵀX (`dim × dim`, f64) of an `n × dim` matrix X whose rows are produced block by block:
/// `fill(first..last, out)` writes rows `first..last` of X into `out` (row-major). Each block is a
/// matrix product in `T`, and the partial products are added in block order in f64.
pub fn blocked_gram<T>(
    n: usize,
    dim: usize,
    fill: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) -> Vec<f64>
where
    T: 'static + Copy + Send + From<f32> + Into<f64>,
{
    let starts: Vec<usize> = (0..n).step_by(GRAM_BLOCK).collect();
    let partials: Vec<Vec<T>> = starts
        .par_iter()
        .map(|&first| {
            let last = (first + GRAM_BLOCK).min(n);
            let mut block = vec![T::from(0.0); (last - first) * dim];
            fill(first..last, &mut block);
            let mut partial = vec![T::from(0.0); dim * dim];
            // Xᵀ (dim × rows) · X (rows × dim), both read from the row-major block.
            product(
                dim,
                dim,
                last - first,
                &mut partial,
                &block,
                (1, dim),
                &block,
                (dim, 1),
            );
            partial
        })
        .collect();
    let mut sum = vec![0f64; dim * dim];
    for partial in &partials {
        for (s, &p) in sum.iter_mut().zip(partial) {
            *s += p.into();
        }
    }
    sum
}

/// XᵀX of the rows, in f32 products summed in f64 (see [`blocked_gram`]).
pub fn gram(rows: Rows) -> Vec<f64> {
    let dim = rows.dim;
    blocked_gram::<f32>(rows.len(), dim, |range, out| {
        out.copy_from_slice(&rows.data[range.start * dim..range.end * dim]);
    })
}

/// `dst = lhs · rhs` (`m × n`, row-major) where `lhs` is `m × k` and `rhs` is `k × n`, each given
/// with its (row, column) strides. Single-threaded, so the bits do not depend on the thread count;
/// callers parallelise over fixed blocks. Panics if a stride would read outside its slice.
// A GEMM's signature: three sizes, the destination and two strided operands.
#[allow(clippy::too_many_arguments)]
pub fn product<T: 'static + Copy + From<f32>>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    lhs: &[T],
    lhs_strides: (usize, usize),
    rhs: &[T],
    rhs_strides: (usize, usize),
) {
    let last = |rows: usize, cols: usize, (rs, cs): (usize, usize)| {
        (rows.max(1) - 1) * rs + (cols.max(1) - 1) * cs
    };
    assert!(dst.len() >= m * n, "product: destination too small");
    assert!(
        m * k == 0 || last(m, k, lhs_strides) < lhs.len(),
        "product: lhs too small"
    );
    assert!(
        k * n == 0 || last(k, n, rhs_strides) < rhs.len(),
        "product: rhs too small"
    );
    // SAFETY: every index the strides reach is inside its slice (checked above); dst is m × n
    // row-major and does not alias the inputs (it is a unique borrow).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_strides.1 as isize,
            lhs_strides.0 as isize,
            rhs.as_ptr(),
            rhs_strides.1 as isize,
            rhs_strides.0 as isize,
            T::from(0.0),
            T::from(1.0),
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_follows_the_strides() {
        // A = [[1,2,3],[4,5,6]]: A·Aᵀ and, in f64, Aᵀ·A read from the same row-major slice.
        let a = [1f32, 2., 3., 4., 5., 6.];
        let mut aat = [0f32; 4];
        product(2, 2, 3, &mut aat, &a, (3, 1), &a, (1, 3));
        assert_eq!(aat, [14., 32., 32., 77.]);
        let a64: Vec<f64> = a.iter().map(|&x| x as f64).collect();
        let mut ata = [0f64; 9];
        product(3, 3, 2, &mut ata, &a64, (1, 3), &a64, (3, 1));
        assert_eq!(ata, [17., 22., 27., 22., 29., 36., 27., 36., 45.]);
    }

    #[test]
    #[should_panic(expected = "rhs too small")]
    fn product_refuses_strides_outside_the_slice() {
        let mut out = [0f32; 4];
        product(2, 2, 3, &mut out, &[1.0; 6], (3, 1), &[1.0; 5], (2, 1));
    }

    #[test]
    fn gram_equals_the_sum_of_outer_products_across_blocks() {
        // More rows than a block, so the block sum is exercised.
        let dim = 3;
        let n = GRAM_BLOCK + 5;
        let data: Vec<f32> = (0..n * dim)
            .map(|i| ((i * 7) % 11) as f32 / 11.0 - 0.5)
            .collect();
        let g = gram(Rows::new(&data, dim));
        for i in 0..dim {
            for j in 0..dim {
                let direct: f64 = data
                    .chunks_exact(dim)
                    .map(|r| r[i] as f64 * r[j] as f64)
                    .sum();
                assert!((g[i * dim + j] - direct).abs() < 1e-2, "{i},{j}");
            }
        }
    }

    #[test]
    fn centring_gives_unit_rows_around_the_mean() {
        let data = [1f32, 0., 0., 1., 1., 1.];
        let rows = Rows::new(&data, 2);
        let mean = mean_vector(rows);
        assert!((mean[0] - 2.0 / 3.0).abs() < 1e-6 && (mean[1] - 2.0 / 3.0).abs() < 1e-6);
        let c = center(rows, &mean);
        for r in Rows::new(&c, 2).iter() {
            assert!((dot(r, r) - 1.0).abs() < 1e-5);
        }
        assert_eq!(dot(&[1.0; 11], &[2.0; 11]), 22.0);
    }
}
