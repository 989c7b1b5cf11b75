//! The trailing update after one panel (HPL's `HPL_pdupdate*`): the row
//! interchanges, `U12 := L11^-1 U12` and `A22 -= L21 U12`, on a range of
//! this process's trailing local columns.
//!
//! Every process of the grid holds, after the broadcast along its process
//! row, the panel's `L1` and its own rows of `L` ([`PanelMessage`]). For
//! the columns asked for it applies the interchanges within its process
//! column and gets `U12` ([`super::swap::apply`]), solves with the unit
//! lower triangle of `L1` (as HPL, redundantly on every process row), the
//! diagonal process row stores the result as the finished rows of `U`, and
//! every process updates its rows below the panel with faer's `matmul`
//! (`Accum::Add`, `alpha = -1`).
//!
//! With look-ahead the update is called twice per panel: first for the
//! columns of the next panel (on the process column that factors it), then
//! for the rest, in slices of [`SLICE`] columns with `poll` called between
//! them so that the next panel's broadcast moves on meanwhile (HPL polls
//! `HPL_bcast` between slices of `NB` columns in the same way).

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::Accum;
use rhpcc_kernels::hpl::matgen::{indxg2p, numroc};
use rhpcc_kernels::hpl::view::{mat_mut, mat_ref};

use super::bcast::PanelMessage;
use super::lu::Algo;
use super::matrix::LocalMatrix;
use super::swap;
use crate::grid::ProcessGrid;

/// Columns per GEMM slice between two polls of a broadcast in flight: wide
/// enough for the GEMM to run at full speed.
pub const SLICE: usize = 512;

/// Applies the panel at global column `j` to local columns `cols` of this
/// process: interchanges, `U`, and the GEMM update of the rows below the
/// panel. Collective over the process column (same `j`, `cols`). `poll`
/// is called between GEMM slices.
pub fn update(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    panel: &PanelMessage,
    j: usize,
    cols: Range<usize>,
    algo: &Algo,
    poll: &mut dyn FnMut(),
) {
    let par = algo.par;
    let (jb, nt) = (panel.jb, cols.len());
    if nt == 0 {
        return;
    }
    let ii = numroc(j, m.nb, m.myrow, m.p);
    let holds_diagonal = m.myrow == indxg2p(j, m.nb, m.p);
    if m.p == 1 {
        update_in_place(m, panel, j, cols, par, poll);
        return;
    }
    let mut u = swap::apply(
        grid,
        m,
        j,
        &panel.ipiv(),
        cols.clone(),
        algo.swap,
        algo.swap_threshold,
    );
    let jt = cols.start;
    let lda = m.lda;
    solve_unit_lower_triangular_in_place(
        mat_ref(panel.l1(), jb, 0, 0, jb, jb),
        mat_mut(&mut u, jb, 0, 0, jb, nt),
        par,
    );
    let skip = if holds_diagonal {
        for c in 0..nt {
            let dst = ii + (jt + c) * lda;
            m.a[dst..dst + jb].copy_from_slice(&u[c * jb..(c + 1) * jb]);
        }
        jb
    } else {
        0
    };
    let below = panel.rows - skip;
    if below == 0 {
        super::scratch::give(u);
        poll();
        return;
    }
    let l2 = mat_ref(panel.l(), panel.rows.max(1), skip, 0, below, jb);
    for c0 in (0..nt).step_by(SLICE) {
        let w = SLICE.min(nt - c0);
        matmul(
            mat_mut(&mut m.a, lda, ii + skip, jt + c0, below, w),
            Accum::Add,
            l2,
            mat_ref(&u, jb, 0, c0, jb, w),
            -1.0,
            par,
        );
        poll();
    }
    super::scratch::give(u);
}

/// One process row: HPL's `nprow == 1` branch of `HPL_pdupdateTT`. The
/// interchanges are applied in place column by column (`HPL_dlaswp00N`),
/// `U` is solved for in place in the panel's rows, and the GEMM reads it
/// from there.
fn update_in_place(
    m: &mut LocalMatrix,
    panel: &PanelMessage,
    j: usize,
    cols: Range<usize>,
    par: faer::Par,
    poll: &mut dyn FnMut(),
) {
    let (jb, nt, lda, mp) = (panel.jb, cols.len(), m.lda, m.mp);
    let ipiv = panel.ipiv();
    for c in cols.clone() {
        let col = &mut m.a[c * lda..c * lda + mp];
        for (k, &r) in ipiv.iter().enumerate() {
            col.swap(j + k, r);
        }
    }
    let a = mat_mut(&mut m.a, lda, j, cols.start, mp - j, nt);
    let (mut top, mut bottom) = a.split_at_row_mut(jb);
    solve_unit_lower_triangular_in_place(mat_ref(panel.l1(), jb, 0, 0, jb, jb), top.rb_mut(), par);
    let below = mp - j - jb;
    if below == 0 {
        poll();
        return;
    }
    let l2 = mat_ref(panel.l(), panel.rows, jb, 0, below, jb);
    for c0 in (0..nt).step_by(SLICE) {
        let w = SLICE.min(nt - c0);
        matmul(
            bottom.rb_mut().subcols_mut(c0, w),
            Accum::Add,
            l2,
            top.rb().subcols(c0, w),
            -1.0,
            par,
        );
        poll();
    }
}
