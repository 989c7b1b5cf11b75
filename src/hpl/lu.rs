//! Right-looking blocked LU of `[A | b]` with row partial pivoting, without
//! look-ahead (HPL's `HPL_pdgesv0`).
//!
//! For each panel, global columns `j .. j+jb` (`jb = min(NB, N - j)`):
//!
//! 1. the process column owning it factors it ([`factor_panel`], one
//!    pivot exchange per column over the column communicator:
//!    [`AllGatherExchange`] on `MPI_Allgather`);
//! 2. it sends its rows of the panel, `L1` and the pivots along each
//!    process row ([`PanelMessage::broadcast`]);
//! 3. every process column applies the interchanges to its columns right
//!    of the panel, `b` included, and gathers `U12` ([`swap::apply`]);
//! 4. every process finishes `U12 = L11^-1 U12` and updates
//!    `A22 -= L21 U12` ([`update::update`]).
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

use super::bcast::PanelMessage;
use super::matrix::LocalMatrix;
use super::{swap, update};
use crate::grid::ProcessGrid;
use crate::progress::Progress;

/// Factors `[A | b]` in place on every process of the grid. Returns HPL's
/// `info`: `Some(c + 1)` for the first global column `c` whose pivot was
/// exactly zero (the factorization still completes), `None` otherwise; the
/// same on every process.
pub fn factor(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    fact: &FactParams,
    par: Par,
    progress: &mut Progress,
) -> Option<usize> {
    let (n, nb, p, q) = (m.n, m.nb, m.p, m.q);
    let mut info = None;
    for j in (0..n).step_by(nb) {
        // Share of the LU's flops done before column j: 1 - ((n - j) / n)^3.
        progress.update(1.0 - ((n - j) as f64 / n as f64).powi(3));
        let jb = nb.min(n - j);
        let pcol = indxg2p(j, nb, q);
        let prow = indxg2p(j, nb, p);
        // First local row and column at or after global index j.
        let ii = numroc(j, nb, m.myrow, p);
        let jj = numroc(j, nb, m.mycol, q);
        let rows = m.mp - ii;

        let mut panel = PanelMessage::new(rows, jb);
        if m.mycol == pcol {
            factor_local_panel(grid, m, &mut panel, fact, par, ii, jj, prow);
        }
        panel.broadcast(grid, pcol);
        if let (None, Some(k)) = (info, panel.zero_pivot()) {
            info = Some(j + k + 1);
        }

        let jt = numroc(j + jb, nb, m.mycol, q);
        if jt == m.ncols {
            continue;
        }
        let mut u = swap::apply(grid, m, j, &panel.ipiv(), jt);
        update::update(m, &panel, &mut u, ii, jt, m.myrow == prow, par);
    }
    info
}

/// Step 1 on the panel's process column: factor local rows `ii..` of
/// local columns `jj .. jj+jb` in place and pack the message.
#[allow(clippy::too_many_arguments)]
fn factor_local_panel(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    panel: &mut PanelMessage,
    fact: &FactParams,
    par: Par,
    ii: usize,
    jj: usize,
    prow: usize,
) {
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
