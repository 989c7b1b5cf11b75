//! HPL's panel factorization (`HPL_pdfact` and the routines of
//! `hpl/src/pfact`, no-transpose `N` variants) as pure kernels.
//!
//! # What is factored
//!
//! At step `j` of HPL's blocked right-looking LU the panel is the column
//! block `A[j..N, j..j+jb]` (`jb = min(NB, N - j)`), its rows spread
//! block-cyclically (blocking factor `NB`, source process row 0) over the
//! `P` processes of the process column that owns it. It is factored with
//! row partial pivoting,
//!
//! ```text
//! P_j A[j..N, j..j+jb] = L U,   L unit lower trapezoidal (N-j x jb),
//!                               U upper triangular       (jb x jb),
//! ```
//!
//! where the pivot of column `k` is the row of largest `|a_ik|`, `i >= k`,
//! among the rows updated by columns `0..k`. Every process of the column
//! calls [`factor_panel`] on its own rows, in lock step: each panel column
//! costs one collective, [`PivotExchange::exchange`].
//!
//! # Storage
//!
//! As in HPL (`HPL_pdpanel_init`), this process's rows of the panel are
//! `mp` consecutive local rows of its column-major local matrix. The
//! process row `prow` that owns global row `j` holds the whole `jb x jb`
//! diagonal block as its first `jb` local rows (`j` is a multiple of `NB`
//! and `jb <= NB`). On exit, as with HPL:
//!
//! - every process holds, in its local rows, the multipliers of `L` (rows
//!   swapped as the pivots say); `prow` holds in addition the diagonal
//!   block `L11 \ U11` (unit diagonal of `L11` implicit) in its first `jb`
//!   rows;
//! - every process holds the same `jb x jb` array `L1 = L11 \ U11` (HPL's
//!   `PANEL->L1`, "no-transpose" form, leading dimension `jb`); HPL
//!   broadcasts it with the panel and the update solves with its unit lower
//!   triangle;
//! - every process holds the same pivot vector: `ipiv[k]` is the global row
//!   that was exchanged with global row `j + k` at step `k` (HPL's
//!   `PANEL->DPIV`, stored there as doubles). Applying these exchanges in
//!   order `k = 0, 1, ...` to the other columns of the matrix and to `b`
//!   is HPL's `HPL_pdlaswp` / the driver's business.
//!
//! While the factorization runs, `L1` also carries the rows that `prow` has
//! already finished ("U rows"): the processes that do not own them need
//! them for their updates, and `prow` copies them back into `A` when a
//! sub-panel is done (`HPL_dlacpy`).
//!
//! # Recursion (RFACT) and base case (PFACT)
//!
//! [`factor_panel`] follows `HPL_pdfact`: it calls the recursive
//! factorization chosen by `rfact` on all `jb` columns. A recursive call on
//! `n` columns starting at panel column `c0` (`HPL_pdrpan{ll,cr,rl}N`) hands
//! `n <= NBMIN` columns to the base case chosen by `pfact`; otherwise it
//! splits them into sub-panels of width
//!
//! ```text
//! w = ceil( ceil(n / NBMIN) / NDIV ) * NBMIN      (the last one narrower)
//! ```
//!
//! and, for each sub-panel `S = [s, s+w)` in turn, with `B = [c0, s)` the
//! columns already done and `R = [s+w, c0+n)` those still to do
//! ("rows below" meaning the rows not yet pivotal: all local rows on the
//! other processes):
//!
//! - left-looking ([`left`]): `U[B,S] = L[B,B]^-1 A[B,S]` (trsm on `L1`),
//!   `A[below,S] -= L[below,B] U[B,S]` (gemm), factor `S` recursively;
//! - Crout ([`crout`]): `A[below,S] -= L[below,B] U[B,S]` (gemm), factor
//!   `S`, then `U[S,R] = L[S,S]^-1 (A[S,R] - L[S,B] U[B,R])` (gemm, trsm on
//!   `L1`);
//! - right-looking ([`right`]): factor `S`, `U[S,R] = L[S,S]^-1 A[S,R]`
//!   (trsm on `L1`), `A[below,R] -= L[below,S] U[S,R]` (gemm).
//!
//! The base case (`HPL_pdpan{ll,cr,rl}N`) runs the same three orderings
//! one column at a time, with Level-2 operations (trsv/gemv, gemv/gemv^T,
//! scal/ger); see the submodules. Column `k` always ends with: pivot search
//! and exchange ([`pivot`]), then `l[k+1.., k] = a[k+1.., k] / u_kk` as a
//! multiplication by the reciprocal, skipped when `u_kk = 0` (HPL's
//! `dscal` by `1 / WORK[0]`).
//!
//! The BLAS-3 operations of the recursion go to faer with the caller's
//! [`Par`]; the base case is sequential, as its operands are `NBMIN`
//! columns wide.
//!
//! # Map to HPL 2.x
//!
//! | HPL                       | here                                   |
//! |---------------------------|----------------------------------------|
//! | `HPL_pdfact`              | [`factor_panel`]                       |
//! | `HPL_pdrpanllN`           | `left::Panel::rfact_left`              |
//! | `HPL_pdrpancrN`           | `crout::Panel::rfact_crout`            |
//! | `HPL_pdrpanrlN`           | `right::Panel::rfact_right`            |
//! | `HPL_pdpanllN`            | `left::Panel::pfact_left`              |
//! | `HPL_pdpancrN`            | `crout::Panel::pfact_crout`            |
//! | `HPL_pdpanrlN`            | `right::Panel::pfact_right`            |
//! | `HPL_dlocmax`             | `pivot::Panel::local_max`              |
//! | `HPL_pdmxswp`             | `pivot::Panel::max_swap` + [`PivotExchange`], [`reduce_candidates`] |
//! | `HPL_dlocswpN`            | `pivot::Panel::local_swap`             |
//! | `Mindxl2g`                | [`RowLayout::global_row`]              |
//! | `PANEL->L1`, `DPIV`, `DINFO` | [`PanelFactors`], [`factor_panel`]'s result |
//!
//! HPL's `T` variants (`HPL_pdpan*T`, `HPL_pdrpan*T`, `HPL_dlocswpT`,
//! chosen when the input's "L1 in transposed form" flag is 0, as in HPCC's
//! default input) run the same operations on `L1` stored transposed
//! (`trsv` upper-transposed instead of lower, strides swapped); they give
//! the same factors and pivots, with `L1` transposed on exit. Only the `N`
//! storage is implemented here: a driver honouring the flag transposes the
//! `jb x jb` `L1` after the factorization, or simply keeps the `N` form in
//! its update.

pub mod crout;
pub mod left;
pub mod pivot;
pub mod right;

#[cfg(test)]
mod tests;

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place;
use faer::reborrow::IntoConst;
use faer::{Accum, Par};

use super::view::{mat_mut, mat_ref};

pub use pivot::{
    candidate_len, reduce_candidates, AllGatherExchange, PivotExchange, SingleProcess,
    CAND_GLOBAL_ROW, CAND_HEADER, CAND_LOCAL_ROW, CAND_OWNER, CAND_VALUE,
};

/// One of HPL's three orderings of the panel updates (`PFACT` / `RFACT`
/// in `HPL.dat`: 0 = left, 1 = Crout, 2 = right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Left-looking: a column (sub-panel) is brought up to date only when
    /// it is reached.
    Left,
    /// Crout: the column (sub-panel) and the matching row of `U` are
    /// brought up to date together.
    Crout,
    /// Right-looking: a finished column (sub-panel) updates everything to
    /// its right at once.
    Right,
}

impl Variant {
    /// All three, in HPL's numbering order.
    pub const ALL: [Variant; 3] = [Variant::Left, Variant::Crout, Variant::Right];

    /// From HPL's input code (0, 1, 2).
    pub fn from_hpl(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// HPL's input code (0, 1, 2).
    pub fn hpl_code(self) -> u32 {
        self as u32
    }
}

/// The knobs of the panel factorization, as in `HPL.dat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactParams {
    /// Base-case ordering (`PFACT`).
    pub pfact: Variant,
    /// Recursive ordering (`RFACT`).
    pub rfact: Variant,
    /// Widest panel handed to the base case (`NBMIN`, at least 1).
    pub nbmin: usize,
    /// Number of sub-panels per recursion level (`NDIV`, at least 2).
    pub ndiv: usize,
}

impl FactParams {
    /// Width of the sub-panels an `n`-column panel is split into:
    /// `ceil(ceil(n / NBMIN) / NDIV) * NBMIN`, as in `HPL_pdrpan*N`.
    pub fn split_width(&self, n: usize) -> usize {
        n.div_ceil(self.nbmin).div_ceil(self.ndiv) * self.nbmin
    }
}

/// Where this process's rows of the panel sit in the global matrix: HPL's
/// one-dimensional block-cyclic row distribution with source process row 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowLayout {
    /// Row blocking factor `NB` of the distribution.
    pub nb: usize,
    /// Number of process rows `P`.
    pub nprow: usize,
    /// This process's row coordinate (its rank in the column communicator).
    pub myrow: usize,
    /// Process row owning the panel's diagonal block (`PANEL->prow`).
    pub prow: usize,
    /// Local index, within this process's whole local matrix, of the
    /// panel's first local row (`PANEL->ii`).
    pub ii: usize,
}

impl RowLayout {
    /// A single process holding every row (`P = 1`, e.g. a `1 x Q` grid);
    /// local row 0 of the panel is global row `ia`.
    pub fn single_process(ia: usize) -> Self {
        RowLayout {
            nb: 1,
            nprow: 1,
            myrow: 0,
            prow: 0,
            ii: ia,
        }
    }

    /// Whether this process owns the diagonal block (HPL's `curr`).
    pub fn holds_diagonal(&self) -> bool {
        self.myrow == self.prow
    }

    /// Global row of the panel's local row `i` (HPL's `Mindxl2g` applied
    /// to `PANEL->ii + i`): local row `l = q NB + r` of process `p` is
    /// global row `(q P + p) NB + r`.
    pub fn global_row(&self, i: usize) -> usize {
        let l = self.ii + i;
        (l / self.nb * self.nprow + self.myrow) * self.nb + l % self.nb
    }
}

/// This process's rows of the panel (HPL's `PANEL->A`, `PANEL->mp`,
/// `PANEL->jb`): entry `(i, k)` is `a[i + k * lda]` for `i < rows`,
/// `k < cols`.
#[derive(Debug)]
pub struct LocalPanel<'a> {
    /// Column-major storage, overwritten with the factors.
    pub a: &'a mut [f64],
    /// Leading dimension (at least `rows`).
    pub lda: usize,
    /// Local rows of the panel (`mp`; may be 0 off the diagonal process,
    /// at least `cols` on it).
    pub rows: usize,
    /// Panel width `jb`.
    pub cols: usize,
    /// Where the rows sit globally.
    pub layout: RowLayout,
}

/// The replicated outputs of the factorization (HPL's `PANEL->L1` and
/// `PANEL->DPIV`).
#[derive(Debug)]
pub struct PanelFactors<'a> {
    /// `jb x jb`, column-major, leading dimension `jb`: on exit
    /// `L11 \ U11`, identical on every process of the column.
    pub l1: &'a mut [f64],
    /// `jb` entries: on exit the global row exchanged with global row
    /// `j + k` at step `k`, identical on every process of the column.
    pub ipiv: &'a mut [usize],
}

/// Factors the panel (HPL's `HPL_pdfact` on the process column that owns
/// it): every process of the column calls this with its own rows and an
/// exchange connecting it to the others, with the same `params`.
///
/// Returns the first panel column `k` whose pivot is exactly zero (HPL sets
/// `DINFO = ia + k + 1` from it), or `None`. In that column nothing is
/// swapped or scaled and `L1`'s row `k` is the diagonal row as it stands;
/// `ipiv[k]` is still the row that won the search, as in HPL.
///
/// # Panics
///
/// If the storage is too small for its stated shape, if the diagonal
/// process has fewer than `jb` rows, or if `nbmin < 1` or `ndiv < 2`.
pub fn factor_panel<X: PivotExchange + ?Sized>(
    panel: LocalPanel<'_>,
    out: PanelFactors<'_>,
    params: &FactParams,
    par: Par,
    exchange: &mut X,
) -> Option<usize> {
    let LocalPanel {
        a,
        lda,
        rows: mp,
        cols: n0,
        layout,
    } = panel;
    assert!(params.nbmin >= 1, "NBMIN must be at least 1");
    assert!(params.ndiv >= 2, "NDIV must be at least 2");
    assert!(lda >= mp.max(1), "lda {lda} smaller than the {mp} rows");
    if n0 > 0 && mp > 0 {
        assert!(a.len() >= (n0 - 1) * lda + mp, "panel storage too small");
    }
    assert!(out.l1.len() >= n0 * n0, "L1 needs jb * jb entries");
    assert!(out.ipiv.len() >= n0, "ipiv needs jb entries");
    assert!(layout.nprow >= 1 && layout.myrow < layout.nprow && layout.prow < layout.nprow);
    let curr = layout.holds_diagonal();
    assert!(
        !curr || mp >= n0,
        "the diagonal process holds the whole diagonal block"
    );
    if n0 == 0 {
        return None;
    }
    let mut p = Panel {
        a,
        lda,
        n0,
        l1: &mut out.l1[..n0 * n0],
        ipiv: &mut out.ipiv[..n0],
        layout,
        curr,
        work: vec![0.0; candidate_len(n0)],
        exchange,
        params: *params,
        par,
        info: None,
    };
    p.rfact(mp, n0, 0);
    p.info
}

/// The state shared by every level of one panel factorization (HPL's
/// `HPL_T_panel` plus the `WORK` array of `HPL_pdfact`).
///
/// Throughout, a call on the sub-panel starting at panel column `icoff`
/// works on `m` local rows starting at local row [`Panel::row0`]`(icoff)`:
/// on the diagonal process the rows above `icoff` are finished U rows.
struct Panel<'a, X: ?Sized> {
    a: &'a mut [f64],
    lda: usize,
    /// Panel width `jb` (HPL's `N0`), also `L1`'s leading dimension.
    n0: usize,
    l1: &'a mut [f64],
    ipiv: &'a mut [usize],
    layout: RowLayout,
    curr: bool,
    /// The pivot candidate of the current column, laid out as described in
    /// [`pivot`] (HPL's `WORK[0 .. 4 + 2 N0]`).
    work: Vec<f64>,
    exchange: &'a mut X,
    params: FactParams,
    par: Par,
    info: Option<usize>,
}

impl<X: PivotExchange + ?Sized> Panel<'_, X> {
    /// First local row of the sub-panel at column offset `icoff`.
    fn row0(&self, icoff: usize) -> usize {
        if self.curr {
            icoff
        } else {
            0
        }
    }

    /// The recursive factorization chosen by `RFACT`.
    fn rfact(&mut self, m: usize, n: usize, icoff: usize) {
        match self.params.rfact {
            Variant::Left => self.rfact_left(m, n, icoff),
            Variant::Crout => self.rfact_crout(m, n, icoff),
            Variant::Right => self.rfact_right(m, n, icoff),
        }
    }

    /// The base case chosen by `PFACT`.
    fn pfact(&mut self, m: usize, n: usize, icoff: usize) {
        match self.params.pfact {
            Variant::Left => self.pfact_left(m, n, icoff),
            Variant::Crout => self.pfact_crout(m, n, icoff),
            Variant::Right => self.pfact_right(m, n, icoff),
        }
    }

    /// `A[r0..r0+m, c0..c0+nc] -= A[r0..r0+m, k0..k0+k] L1[k0..k0+k, c0..c0+nc]`
    /// with `k0 + k <= c0`: the update of later columns by finished ones,
    /// whose `U` part is in `L1`.
    fn gemm_a(&mut self, r0: usize, m: usize, k0: usize, k: usize, c0: usize, nc: usize) {
        if m == 0 || k == 0 || nc == 0 {
            return;
        }
        debug_assert!(k0 + k <= c0);
        let lda = self.lda;
        let (left, right) = self.a.split_at_mut(c0 * lda);
        let lhs = mat_ref(left, lda, r0, k0, m, k);
        let dst = mat_mut(right, lda, r0, 0, m, nc);
        let rhs = mat_ref(self.l1, self.n0, k0, c0, k, nc);
        matmul(dst, Accum::Add, lhs, rhs, -1.0, self.par);
    }

    /// `L1[r0..r0+nr, c0..c0+nc] -= L1[r0..r0+nr, k0..k0+k] L1[k0..k0+k, c0..c0+nc]`
    /// with `k0 + k <= r0` and `k0 + k <= c0`: Crout's update of `U` rows.
    fn gemm_l1(&mut self, r0: usize, nr: usize, k0: usize, k: usize, c0: usize, nc: usize) {
        if nr == 0 || k == 0 || nc == 0 {
            return;
        }
        debug_assert!(k0 + k <= r0 && k0 + k <= c0);
        let n0 = self.n0;
        let (left, right) = self.l1.split_at_mut(c0 * n0);
        let lhs = mat_ref(left, n0, r0, k0, nr, k);
        let right = mat_mut(right, n0, 0, 0, n0, nc);
        let (top, bottom) = right.split_at_row_mut(r0);
        let rhs = top.into_const().submatrix(k0, 0, k, nc);
        let dst = bottom.submatrix_mut(0, 0, nr, nc);
        matmul(dst, Accum::Add, lhs, rhs, -1.0, self.par);
    }

    /// `L1[t0..t0+k, t0+k..t0+k+nc] := L1[t0..t0+k, t0..t0+k]^-1 (same)`
    /// with the unit lower triangle: finishing `U` rows `t0..t0+k`.
    fn trsm_l1(&mut self, t0: usize, k: usize, nc: usize) {
        if k == 0 || nc == 0 {
            return;
        }
        let n0 = self.n0;
        let (left, right) = self.l1.split_at_mut((t0 + k) * n0);
        let tri = mat_ref(left, n0, t0, t0, k, k);
        let rhs = mat_mut(right, n0, t0, 0, k, nc);
        solve_unit_lower_triangular_in_place(tri, rhs, self.par);
    }

    /// `A[0..r, c0..c0+nc] := L1[0..r, c0..c0+nc]` on the diagonal process
    /// (HPL's `HPL_dlacpy` after each sub-panel): the finished `U` rows go
    /// back into `A`.
    fn copy_u(&mut self, r: usize, c0: usize, nc: usize) {
        let (lda, n0) = (self.lda, self.n0);
        for c in c0..c0 + nc {
            self.a[c * lda..c * lda + r].copy_from_slice(&self.l1[c * n0..c * n0 + r]);
        }
    }
}

/// `y -= alpha x` (BLAS `daxpy` with `-alpha`).
#[inline]
fn axpy_neg(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y -= alpha * x;
    }
}

/// `x *= alpha` (BLAS `dscal`).
#[inline]
fn scal(alpha: f64, x: &mut [f64]) {
    for x in x {
        *x *= alpha;
    }
}
