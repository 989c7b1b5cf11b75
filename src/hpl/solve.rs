//! Back substitution `U x = y` on the factored `[U | y]` (HPL's
//! `HPL_pdtrsv`), leaving `x` the way HPL does: a `1 x N` row vector
//! distributed over the process columns like the columns of `A`, the same
//! in every process row.
//!
//! Block rows are solved from the last to the first. For block `k`
//! (global rows and columns `k0 .. k0+kb`, diagonal block on process
//! `(prow, pcol)`), each process keeps `w`, the sum over the columns it has
//! already solved of `A[i, c] x[c]` for its local rows `i`:
//!
//! 1. the process row `prow` sums `y[k block] - w[k block]` onto `pcol`
//!    (`MPI_Reduce` over the row communicator; `y` is added by the process
//!    column holding `b`);
//! 2. `(prow, pcol)` solves the `kb x kb` upper triangular system;
//! 3. it broadcasts `x[k block]` down process column `pcol`
//!    (`MPI_Bcast` over the column communicator), whose processes store it
//!    and add `A[i, k block] x[k block]` to `w` for their rows above `k0`.
//!
//! HPL pipelines these steps along rings to overlap them; here each block
//! costs one reduce and one broadcast of `kb` words, `N / NB` rounds in all.

use mpi::collective::SystemOperation;
use mpi::traits::*;
use rhpcc_kernels::hpl::matgen::{indxg2l, indxg2p, numroc};

use super::matrix::LocalMatrix;
use crate::grid::ProcessGrid;

/// Solves `U x = y` with `U` in the upper triangle of the local array and
/// `y` in its column `N`; returns this process's `nq` entries of `x`.
pub fn back_substitute(grid: &ProcessGrid, m: &LocalMatrix) -> Vec<f64> {
    let (n, nb, p, q, lda) = (m.n, m.nb, m.p, m.q, m.lda);
    let mut x = vec![0.0f64; m.nq];
    let mut w = vec![0.0f64; m.mp];
    let b_col = m.holds_b().then(|| m.b_local_col());
    let nblocks = n.div_ceil(nb);
    for kblk in (0..nblocks).rev() {
        let k0 = kblk * nb;
        let kb = nb.min(n - k0);
        let prow = indxg2p(k0, nb, p);
        let pcol = indxg2p(k0, nb, q);
        let mut xk = vec![0.0f64; kb];

        if m.myrow == prow {
            let lr = indxg2l(k0, nb, p);
            let mut v: Vec<f64> = w[lr..lr + kb].iter().map(|&s| -s).collect();
            if let Some(bc) = b_col {
                for (i, v) in v.iter_mut().enumerate() {
                    *v += m.a[lr + i + bc * lda];
                }
            }
            if q > 1 {
                let root = grid.row.process_at_rank(pcol as i32);
                if m.mycol == pcol {
                    root.reduce_into_root(&v[..], &mut xk[..], SystemOperation::sum());
                } else {
                    root.reduce_into(&v[..], SystemOperation::sum());
                }
            } else {
                xk = v;
            }
            if m.mycol == pcol {
                let lc = indxg2l(k0, nb, q);
                upper_solve(&m.a[lr + lc * lda..], lda, &mut xk);
            }
        }

        if m.mycol == pcol {
            if p > 1 {
                grid.col
                    .process_at_rank(prow as i32)
                    .broadcast_into(&mut xk[..]);
            }
            let lc = indxg2l(k0, nb, q);
            x[lc..lc + kb].copy_from_slice(&xk);
            // Rows above the block still to be solved.
            let above = numroc(k0, nb, m.myrow, p);
            for (c, &xc) in xk.iter().enumerate() {
                let col = &m.a[(lc + c) * lda..(lc + c) * lda + above];
                for (wi, &a) in w[..above].iter_mut().zip(col) {
                    *wi += a * xc;
                }
            }
        }
    }
    x
}

/// `x := U^-1 x` for the `kb x kb` upper triangle (non-unit diagonal) at
/// the start of `u` (leading dimension `ld`), column by column as BLAS
/// `dtrsv("U", "N", "N")`.
pub fn upper_solve(u: &[f64], ld: usize, x: &mut [f64]) {
    for c in (0..x.len()).rev() {
        x[c] /= u[c + c * ld];
        let xc = x[c];
        for (i, xi) in x[..c].iter_mut().enumerate() {
            *xi -= u[i + c * ld] * xc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_solve_inverts_an_upper_triangle() {
        // U = [2 1 -1; 0 4 2; 0 0 5] with ld 4 (padding row).
        let ld = 4;
        let mut u = vec![f64::NAN; ld * 3];
        let entries = [
            (0, 0, 2.0),
            (0, 1, 1.0),
            (0, 2, -1.0),
            (1, 1, 4.0),
            (1, 2, 2.0),
            (2, 2, 5.0),
        ];
        for (i, j, v) in entries {
            u[i + j * ld] = v;
        }
        for (i, j) in [(1, 0), (2, 0), (2, 1)] {
            u[i + j * ld] = 1e300; // below the diagonal: never read
        }
        let want = [1.0, -2.0, 3.0];
        let mut x: Vec<f64> = (0..3)
            .map(|i| (i..3).map(|j| u[i + j * ld] * want[j]).sum())
            .collect();
        upper_solve(&u, ld, &mut x);
        for (a, b) in x.iter().zip(want) {
            assert!((a - b).abs() < 1e-14, "{x:?}");
        }
    }
}
