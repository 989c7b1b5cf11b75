//! HPCC's DGEMM test (`DGEMM/tstdgemm.c`): C <- alpha A B + beta C on
//! n x n column-major matrices, and its verification.
//!
//! - Size: `n = floor(sqrt(HPLMaxProcMem / 8 / 3 + 1/4) - 1/2)`, so that
//!   A, B and C together take HPL's memory per process.
//! - Matrices: entries `rand() / RAND_MAX` in [0, 1] from the C library's
//!   generator (`dmatgen`), alpha = A[n/2], beta = B[n/2].
//! - Rate: `2 n^3 / t` over the one timed call.
//! - Verification: with a random vector x,
//!   `||alpha A (B x) + beta C0 x - C x||_oo / ||C||_oo / ||x||_oo / n / eps`
//!   must be below HPL's threshold (16), eps = 2^-53.
//!
//! The product goes through faer's `matmul`, which has no general beta: C
//! is scaled by beta first and the product accumulated into it.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::crand::{CRand, RAND_MAX};

/// HPCC's matrix order for `hpl_max_proc_mem` bytes per process.
pub fn size(hpl_max_proc_mem: u64) -> usize {
    let words = (hpl_max_proc_mem / 8 / 3) as f64;
    ((words + 0.25).sqrt() - 0.5) as usize
}

/// HPCC's `dmatgen`: column-major m x n entries `rand() / RAND_MAX` after
/// `srand(seed)`.
pub fn dmatgen(m: usize, n: usize, a: &mut [f64], lda: usize, seed: u32) {
    let mut rng = CRand::new(seed);
    let rcp = 1.0 / f64::from(RAND_MAX);
    for j in 0..n {
        for x in &mut a[j * lda..j * lda + m] {
            *x = rcp * f64::from(rng.next_rand());
        }
    }
}

/// Infinity norm (largest row sum of absolute values) of an m x n
/// column-major matrix.
pub fn norm_inf(m: usize, n: usize, a: &[f64], lda: usize) -> f64 {
    let mut rows = vec![0.0f64; m];
    for j in 0..n {
        for (r, x) in rows.iter_mut().zip(&a[j * lda..j * lda + m]) {
            *r += x.abs();
        }
    }
    rows.into_iter().fold(0.0, f64::max)
}

fn view(a: &[f64], n: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(a, n, a.len() / n)
}

fn view_mut(a: &mut [f64], n: usize) -> MatMut<'_, f64> {
    let cols = a.len() / n;
    MatMut::from_column_major_slice_mut(a, n, cols)
}

/// `C <- alpha A B + beta C` for n x n column-major matrices.
pub fn gemm(alpha: f64, a: &[f64], b: &[f64], beta: f64, c: &mut [f64], n: usize, par: Par) {
    if beta == 0.0 {
        c.fill(0.0);
    } else if beta != 1.0 {
        for x in c.iter_mut() {
            *x *= beta;
        }
    }
    matmul(
        view_mut(c, n),
        Accum::Add,
        view(a, n),
        view(b, n),
        alpha,
        par,
    );
}

/// y <- alpha M x + beta y (M n x n column-major).
fn gemv(alpha: f64, m: &[f64], x: &[f64], beta: f64, y: &mut [f64], n: usize) {
    let accum = if beta == 0.0 {
        Accum::Replace
    } else {
        if beta != 1.0 {
            for v in y.iter_mut() {
                *v *= beta;
            }
        }
        Accum::Add
    };
    matmul(
        view_mut(y, n),
        accum,
        view(m, n),
        view(x, n),
        alpha,
        Par::Seq,
    );
}

/// HPCC's scaled residual of `c = alpha a b + beta c0`, checked with `x`:
/// `||alpha a (b x) + beta c0 x - c x||_oo / ||c||_oo / ||x||_oo / n / eps`.
///
/// As HPCC, it holds no fourth matrix: once `c x` and `||c||_oo` are known,
/// `regenerate_c0` overwrites `c` with the original C.
#[allow(clippy::too_many_arguments)]
pub fn scaled_residual(
    alpha: f64,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c: &mut [f64],
    regenerate_c0: impl FnOnce(&mut [f64]),
    x: &[f64],
    n: usize,
) -> f64 {
    let eps = f64::EPSILON / 2.0;
    let c_norm = norm_inf(n, n, c, n);
    let mut y = vec![0.0; n];
    let mut z = vec![0.0; n];
    gemv(1.0, c, x, 0.0, &mut y, n);
    gemv(1.0, b, x, 0.0, &mut z, n);
    gemv(alpha, a, &z, -1.0, &mut y, n);
    regenerate_c0(c);
    gemv(beta, c, x, 1.0, &mut y, n);
    norm_inf(n, 1, &y, n) / c_norm / norm_inf(n, 1, x, n) / n as f64 / eps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(alpha: f64, a: &[f64], b: &[f64], beta: f64, c: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                let s: f64 = (0..n).map(|k| a[i + k * n] * b[k + j * n]).sum();
                out[i + j * n] = alpha * s + beta * c[i + j * n];
            }
        }
        out
    }

    #[test]
    fn size_follows_hpcc() {
        // The reference run at N=1000 on 2 ranks printed DGEMM_N=407.
        assert_eq!(size(8 * 1000 * 1000 / 2), 407);
        // 3 n^2 words never exceed the budget; n + 1 would.
        for mem in [1u64 << 20, 123_456_789, 256_000_000] {
            let n = size(mem) as u64;
            assert!(3 * n * n * 8 <= mem);
            assert!(3 * (n + 1) * (n + 1) * 8 > mem - 24 * (n + 1));
        }
    }

    #[test]
    fn gemm_matches_naive_at_edges() {
        for n in [1, 2, 3, 7, 16, 33, 65] {
            let mut a = vec![0.0; n * n];
            let mut b = vec![0.0; n * n];
            let mut c = vec![0.0; n * n];
            dmatgen(n, n, &mut a, n, 1);
            dmatgen(n, n, &mut b, n, 2);
            dmatgen(n, n, &mut c, n, 3);
            let (alpha, beta) = (a[n / 2], b[n / 2]);
            let want = naive(alpha, &a, &b, beta, &c, n);
            let c0 = c.clone();
            gemm(alpha, &a, &b, beta, &mut c, n, Par::Seq);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "n={n}");
            }
            let mut x = vec![0.0; n];
            dmatgen(n, 1, &mut x, n, 4);
            let r = scaled_residual(
                alpha,
                &a,
                &b,
                beta,
                &mut c,
                |c| c.copy_from_slice(&c0),
                &x,
                n,
            );
            assert!(r < 16.0, "n={n} residual {r}");
        }
    }

    #[test]
    fn residual_catches_a_wrong_product() {
        let n = 50;
        let mut a = vec![0.0; n * n];
        let mut b = vec![0.0; n * n];
        let mut c = vec![0.0; n * n];
        dmatgen(n, n, &mut a, n, 11);
        dmatgen(n, n, &mut b, n, 12);
        dmatgen(n, n, &mut c, n, 13);
        let c0 = c.clone();
        gemm(0.7, &a, &b, 0.3, &mut c, n, Par::Seq);
        c[n + 3] += 1e-6;
        let mut x = vec![0.0; n];
        dmatgen(n, 1, &mut x, n, 14);
        let r = scaled_residual(0.7, &a, &b, 0.3, &mut c, |c| c.copy_from_slice(&c0), &x, n);
        assert!(r > 16.0, "{r}");
    }

    #[test]
    fn dmatgen_is_rand_over_rand_max() {
        let mut a = vec![0.0; 4];
        dmatgen(2, 2, &mut a, 2, 1);
        // glibc srand(1): 1804289383, 846930886, ...
        assert_eq!(a[0], 1804289383.0 / 2147483647.0);
        assert_eq!(a[1], 846930886.0 / 2147483647.0);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn norm_inf_is_largest_row_sum() {
        let a = [1.0, -4.0, 2.0, 1.0]; // [[1, 2], [-4, 1]] column-major
        assert_eq!(norm_inf(2, 2, &a, 2), 5.0);
    }
}
