//! The trailing update after one panel (HPL's `HPL_pdupdate*` without
//! look-ahead): `U12 := L11^-1 U12` and `A22 -= L21 U12`.
//!
//! Every process of the grid holds, after the broadcast along its process
//! row and the interchanges in its process column, the panel's `L1` and its
//! own rows of `L` ([`PanelMessage`]) and the `jb x nt` block `U12` for its
//! trailing local columns ([`super::swap::apply`]). It solves with the unit
//! lower triangle of `L1` (as HPL, redundantly on every process row), the
//! diagonal process row stores the result as the finished rows of `U`, and
//! every process updates its rows below the panel with one GEMM (faer's
//! `matmul` with `Accum::Add` and `alpha = -1`).

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place;
use faer::{Accum, Par};
use rhpcc_kernels::hpl::view::{mat_mut, mat_ref};

use super::bcast::PanelMessage;
use super::matrix::LocalMatrix;

/// Finishes `u` (`jb x nt`, leading dimension `jb`) and updates this
/// process's trailing block: local rows from `ii` (the panel's first local
/// row; on the diagonal process row the `jb` panel rows are skipped and
/// receive `U`), local columns `jt .. jt + nt`.
pub fn update(
    m: &mut LocalMatrix,
    panel: &PanelMessage,
    u: &mut [f64],
    ii: usize,
    jt: usize,
    holds_diagonal: bool,
    par: Par,
) {
    let jb = panel.jb;
    let nt = m.ncols - jt;
    if nt == 0 {
        return;
    }
    let lda = m.lda;
    solve_unit_lower_triangular_in_place(
        mat_ref(panel.l1(), jb, 0, 0, jb, jb),
        mat_mut(u, jb, 0, 0, jb, nt),
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
        return;
    }
    matmul(
        mat_mut(&mut m.a, lda, ii + skip, jt, below, nt),
        Accum::Add,
        mat_ref(panel.l(), panel.rows.max(1), skip, 0, below, jb),
        mat_ref(u, jb, 0, 0, jb, nt),
        -1.0,
        par,
    );
}
