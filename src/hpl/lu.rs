//! Right-looking blocked LU of `[A | b]` with row partial pivoting, with
//! HPL's look-ahead of depth 0 (`HPL_pdgesv0`) or 1 (`HPL_pdgesvK2`).
//!
//! For each panel, global columns `j .. j+jb` (`jb = min(NB, N - j)`):
//!
//! 1. the process column owning it factors it ([`factor_panel`], one
//!    pivot exchange per column over the column communicator:
//!    [`AllGatherExchange`] on `MPI_Allgather`);
//! 2. it sends its rows of the panel, `L1` and the pivots along each
//!    process row with the input's BCAST route ([`PanelBcast`]);
//! 3. every process applies the panel to its columns right of it, `b`
//!    included: interchanges, `U`, GEMM ([`update::update`]).
//!
//! With DEPTH 0 step 3 for panel `k` finishes before panel `k+1` is
//! factored. With DEPTH 1, as in `HPL_pdgesvK2`, the process column that
//! owns panel `k+1` first applies panel `k` to those columns only, factors
//! panel `k+1` and starts its broadcast, and then every process applies
//! panel `k` to the rest of its columns while polling that broadcast, so
//! that the factorization and the broadcast of the next panel overlap the
//! bulk of the update.
//!
//! `b` is column `N` of the local array, so the forward elimination
//! `b := L^-1 P b` happens along the way, as in HPL; afterwards the local
//! array holds `U` (and `L`, no longer needed) and the transformed `b`.

use faer::Par;
use mpi::traits::*;
use rhpcc_kernels::hpl::matgen::{indxg2p, numroc};
use rhpcc_kernels::hpl::panel::{
    factor_panel, AllGatherExchange, FactParams, LocalPanel, PanelFactors, RowLayout, SingleProcess,
};

use super::bcast::{PanelBcast, PanelMessage};
use super::matrix::LocalMatrix;
use super::update;
use crate::config::{Bcast, Swap};
use crate::grid::ProcessGrid;
use crate::progress::Progress;

/// How the factorization runs: the input's panel parameters, BCAST and
/// DEPTH, and the GEMM's parallelism.
pub struct Algo {
    pub fact: FactParams,
    pub bcast: Bcast,
    /// 0 or 1 (deeper look-ahead runs as 1).
    pub depth: usize,
    /// SWAP and its threshold (columns).
    pub swap: Swap,
    pub swap_threshold: usize,
    pub par: Par,
}

/// Factors `[A | b]` in place on every process of the grid. Returns HPL's
/// `info`: `Some(c + 1)` for the first global column `c` whose pivot was
/// exactly zero (the factorization still completes), `None` otherwise; the
/// same on every process.
pub fn factor(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    algo: &Algo,
    progress: &mut Progress,
) -> Option<usize> {
    let (n, nb, q) = (m.n, m.nb, m.q);
    let mut info = None;
    // The broadcast panel not yet applied to all of its trailing columns,
    // with its global column.
    let mut pending: Option<(usize, PanelMessage)> = None;
    for (k, j) in (0..n).step_by(nb).enumerate() {
        // Share of the LU's flops done before column j: 1 - ((n - j) / n)^3.
        progress.update(1.0 - ((n - j) as f64 / n as f64).powi(3));
        let jb = nb.min(n - j);
        let pcol = indxg2p(j, nb, q);
        // This process's local columns from global column j on, and those
        // of the panel itself.
        let jt = numroc(j, nb, m.mycol, q);
        let nn = numroc(j + jb, nb, m.mycol, q) - jt;
        let rest = if let Some((jp, prev)) = &pending {
            if algo.depth == 0 {
                update::update(grid, m, prev, *jp, jt..m.ncols, algo, &mut || {});
                None
            } else {
                update::update(grid, m, prev, *jp, jt..jt + nn, algo, &mut || {});
                Some(jt + nn..m.ncols)
            }
        } else {
            None
        };

        let rows = m.mp - numroc(j, nb, m.myrow, m.p);
        let mut msg = PanelMessage::new(rows, jb);
        if m.mycol == pcol {
            factor_local_panel(grid, m, &mut msg, &algo.fact, algo.par, j, jt);
        }
        let tag = (k % 32_000) as i32;
        let mut bcast = PanelBcast::start(grid, msg, pcol, algo.bcast, tag);
        if let (Some((jp, prev)), Some(cols)) = (&pending, rest) {
            update::update(grid, m, prev, *jp, cols, algo, &mut || {
                bcast.progress();
            });
        }
        let msg = bcast.wait();
        if let (None, Some(c)) = (info, msg.zero_pivot()) {
            info = Some(j + c + 1);
        }
        pending = Some((j, msg));
    }
    // The last panel's columns to its right: only b.
    if let Some((jp, prev)) = &pending {
        let jt = numroc(n, nb, m.mycol, q);
        update::update(grid, m, prev, *jp, jt..m.ncols, algo, &mut || {});
    }
    info
}

/// Step 1 on the panel's process column: factor the panel at global
/// column `j` (local rows from `ii`, local columns `jj .. jj+jb`) in place
/// and pack the message.
fn factor_local_panel(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    panel: &mut PanelMessage,
    fact: &FactParams,
    par: Par,
    j: usize,
    jj: usize,
) {
    let ii = numroc(j, m.nb, m.myrow, m.p);
    let prow = indxg2p(j, m.nb, m.p);
    let (jb, rows, lda) = (panel.jb, panel.rows, m.lda);
    let layout = RowLayout {
        nb: m.nb,
        nprow: m.p,
        myrow: m.myrow,
        prow,
        ii,
    };
    let mut l1 = vec![0.0f64; jb * jb];
    let mut ipiv = vec![0usize; jb];
    let local = LocalPanel {
        a: &mut m.a[ii + jj * lda..],
        lda,
        rows,
        cols: jb,
        layout,
    };
    let out = PanelFactors {
        l1: &mut l1,
        ipiv: &mut ipiv,
    };
    let zero = if m.p > 1 {
        let col = &grid.col;
        let mut exchange = AllGatherExchange::new(m.p, |send: &[f64], recv: &mut [f64]| {
            col.all_gather_into(send, recv)
        });
        factor_panel(local, out, fact, par, &mut exchange)
    } else {
        factor_panel(local, out, fact, par, &mut SingleProcess)
    };

    for c in 0..jb {
        let src = ii + (jj + c) * lda;
        panel.l_mut()[c * rows..(c + 1) * rows].copy_from_slice(&m.a[src..src + rows]);
    }
    panel.l1_mut().copy_from_slice(&l1);
    panel.set_ipiv(&ipiv);
    panel.set_zero_pivot(zero);
}
