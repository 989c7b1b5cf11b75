//! The pivot search and row exchange of one panel column across the
//! process column: `HPL_dlocmax`, `HPL_pdmxswp`, `HPL_dlocswpN`.
//!
//! # The candidate buffer
//!
//! For each panel column every process fills a buffer of
//! [`candidate_len`]`(jb) = 4 + 2 jb` doubles (HPL's `WORK`), one flat
//! array so that a single collective of one datatype moves it:
//!
//! | index              | content                                                    |
//! |--------------------|------------------------------------------------------------|
//! | [`CAND_VALUE`]     | the local entry of largest `|a|` in the column, with its sign |
//! | [`CAND_LOCAL_ROW`] | its row, counted from the first row searched on its owner  |
//! | [`CAND_GLOBAL_ROW`]| its global row                                             |
//! | [`CAND_OWNER`]     | the owner's process row, or `P` if the process has no row  |
//! | `4 .. 4+jb`        | that row of the panel (all `jb` columns), or zeros         |
//! | `4+jb .. 4+2jb`    | on the diagonal process `prow`: the current diagonal row; elsewhere unspecified |
//!
//! (Row indices are stored as doubles, exact below `2^53`.)
//!
//! # The combination
//!
//! `HPL_pdmxswp` combines the candidates by a binary exchange in which a
//! received candidate replaces the held one when
//!
//! ```text
//! |v_recv| > |v_held|   or   ( |v_recv| = |v_held|  and  owner_recv < owner_held )
//! ```
//!
//! and forwards `prow`'s diagonal row to everyone. Every process ends with
//! the winner's header and row and the diagonal row. The order is total
//! over distinct owners (processes without rows all carry owner `P`, value
//! 0 and a zero row, so which of them is held does not matter), hence the
//! result does not depend on the exchange pattern: [`reduce_candidates`]
//! folds the candidates in rank order with the same test.
//!
//! Within a process, HPL's `idamax` takes the first local row of largest
//! `|a|`. A tie across processes therefore goes to the lowest process row,
//! not to the lowest global row: with `P > 1`, HPL's pivots on matrices
//! with ties differ from a serial LU's, and so do these.
//!
//! An exchange must give every process bit-identical results, or the
//! processes would swap different rows. An all-gather of the fixed-size
//! buffers followed by the same local [`reduce_candidates`] everywhere
//! ([`AllGatherExchange`]) does; so does a faithful port of HPL's binary
//! exchange.

use super::{scal, Panel};

/// Index of the signed value of the candidate's pivot.
pub const CAND_VALUE: usize = 0;
/// Index of the candidate's row, relative to the first row searched on
/// its owner.
pub const CAND_LOCAL_ROW: usize = 1;
/// Index of the candidate's global row.
pub const CAND_GLOBAL_ROW: usize = 2;
/// Index of the candidate owner's process row (`P` for "no row").
pub const CAND_OWNER: usize = 3;
/// Length of the header before the two rows.
pub const CAND_HEADER: usize = 4;

/// Length of a candidate buffer for a panel of width `jb`: `4 + 2 jb`.
pub const fn candidate_len(jb: usize) -> usize {
    CAND_HEADER + 2 * jb
}

/// The communication of `HPL_pdmxswp`: combines one panel column's
/// pivot candidates over the process column.
pub trait PivotExchange {
    /// `cand` ([`candidate_len`]`(jb)` doubles, laid out as in the [module
    /// docs](self)) holds this process's candidate. On return it must hold,
    /// bit-identical on every process of the column, what
    /// [`reduce_candidates`] makes of all the processes' candidates
    /// gathered in rank order, `prow` being the rank holding the diagonal
    /// block.
    ///
    /// Called once per panel column, by every process of the column in the
    /// same order.
    fn exchange(&mut self, cand: &mut [f64], prow: usize);
}

/// The exchange of a single process (`P = 1`): its candidate is already
/// the column's.
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleProcess;

impl PivotExchange for SingleProcess {
    fn exchange(&mut self, _cand: &mut [f64], prow: usize) {
        debug_assert_eq!(prow, 0, "a single process holds the diagonal");
    }
}

/// An exchange made of an all-gather, supplied by the caller, and
/// [`reduce_candidates`]. `allgather(send, recv)` must leave in `recv`
/// (`P * send.len()` doubles) every process's `send`, rank `r` at
/// `r * send.len()`; with rsmpi that is the column communicator's
/// `all_gather_into`.
pub struct AllGatherExchange<F> {
    nprow: usize,
    allgather: F,
    gathered: Vec<f64>,
}

impl<F: FnMut(&[f64], &mut [f64])> AllGatherExchange<F> {
    /// An exchange over `nprow` processes.
    pub fn new(nprow: usize, allgather: F) -> Self {
        AllGatherExchange {
            nprow,
            allgather,
            gathered: Vec::new(),
        }
    }
}

impl<F: FnMut(&[f64], &mut [f64])> PivotExchange for AllGatherExchange<F> {
    fn exchange(&mut self, cand: &mut [f64], prow: usize) {
        // Sized per call but only grows: one allocation per panel width.
        self.gathered.resize(self.nprow * cand.len(), 0.0);
        (self.allgather)(cand, &mut self.gathered);
        reduce_candidates(&self.gathered, prow, cand);
    }
}

/// Combines the candidates of all processes of the column, `gathered`
/// holding them back to back in rank order (`out.len()` doubles each), into
/// `out`: the header and row of the winner by HPL's test (larger `|value|`,
/// then lower owner), followed by the diagonal row taken from rank `prow`.
///
/// The local half of `HPL_pdmxswp`; pure, so that every process computes
/// the same result from the same gathered data.
pub fn reduce_candidates(gathered: &[f64], prow: usize, out: &mut [f64]) {
    let len = out.len();
    assert!(len >= CAND_HEADER && (len - CAND_HEADER).is_multiple_of(2));
    assert!(
        len > 0 && gathered.len().is_multiple_of(len),
        "gathered is not P candidates"
    );
    let nprocs = gathered.len() / len;
    assert!(prow < nprocs, "prow {prow} outside the {nprocs} candidates");
    let jb = (len - CAND_HEADER) / 2;
    let cand = |r: usize| &gathered[r * len..(r + 1) * len];
    let mut best = 0;
    for r in 1..nprocs {
        let (c, b) = (cand(r), cand(best));
        let (vc, vb) = (c[CAND_VALUE].abs(), b[CAND_VALUE].abs());
        if vc > vb || (vc == vb && c[CAND_OWNER] < b[CAND_OWNER]) {
            best = r;
        }
    }
    let split = CAND_HEADER + jb;
    out[..split].copy_from_slice(&cand(best)[..split]);
    out[split..].copy_from_slice(&cand(prow)[split..]);
}

/// First index of the largest `|x_i|` (BLAS `idamax`, 0-based).
fn idamax(x: &[f64]) -> usize {
    let mut best = 0;
    let mut vmax = x[0].abs();
    for (i, v) in x.iter().enumerate().skip(1) {
        if v.abs() > vmax {
            vmax = v.abs();
            best = i;
        }
    }
    best
}

impl<X: super::PivotExchange + ?Sized> Panel<'_, X> {
    /// `HPL_dlocmax`: this process's candidate for column `jj`, searched in
    /// local rows `ii..ii+n`, into the header of `work`.
    pub(super) fn local_max(&mut self, n: usize, ii: usize, jj: usize) {
        let w = &mut self.work;
        if n > 0 {
            let start = ii + jj * self.lda;
            let col = &self.a[start..start + n];
            let il = idamax(col);
            w[CAND_VALUE] = col[il];
            w[CAND_LOCAL_ROW] = il as f64;
            w[CAND_GLOBAL_ROW] = self.layout.global_row(ii + il) as f64;
            w[CAND_OWNER] = self.layout.myrow as f64;
        } else {
            // An owner no process has: this candidate never wins, even
            // against a column of zeros.
            w[CAND_VALUE] = 0.0;
            w[CAND_LOCAL_ROW] = 0.0;
            w[CAND_GLOBAL_ROW] = 0.0;
            w[CAND_OWNER] = self.layout.nprow as f64;
        }
    }

    /// `HPL_pdmxswp`: packs the candidate's row (and, on the diagonal
    /// process, the diagonal row `ii`) next to the header `local_max` left,
    /// combines over the column, and records the pivot of column `jj`.
    pub(super) fn max_swap(&mut self, m: usize, ii: usize, jj: usize) {
        let (n0, lda) = (self.n0, self.lda);
        let (head, rows) = self.work.split_at_mut(CAND_HEADER);
        let (wmx, a0) = rows.split_at_mut(n0);
        if m > 0 {
            let imax = ii + head[CAND_LOCAL_ROW] as usize;
            for (c, w) in wmx.iter_mut().enumerate() {
                *w = self.a[imax + c * lda];
            }
            if self.curr {
                for (c, w) in a0.iter_mut().enumerate() {
                    *w = self.a[ii + c * lda];
                }
            }
        } else {
            wmx.fill(0.0);
        }
        self.exchange.exchange(&mut self.work, self.layout.prow);
        self.ipiv[jj] = self.work[CAND_GLOBAL_ROW] as usize;
    }

    /// `HPL_dlocswpN`: with the combined candidate in `work`, writes the
    /// pivot row into row `jj` of `L1` and exchanges it with the diagonal
    /// row `ii` in this process's part of `A` (diagonal process: the
    /// pivot row goes to row `ii`; owner of the pivot row: the diagonal
    /// row replaces it). A zero pivot leaves `A` alone, puts the diagonal
    /// row in `L1` and records the column as singular.
    pub(super) fn local_swap(&mut self, ii: usize, jj: usize) {
        let (n0, lda) = (self.n0, self.lda);
        let gmax = self.work[CAND_VALUE];
        self.work[CAND_HEADER + jj] = gmax;
        let owner = self.work[CAND_OWNER];
        let il = self.work[CAND_LOCAL_ROW] as usize;
        let mine = owner == self.layout.myrow as f64;
        let (wmx, wr0) = self.work[CAND_HEADER..].split_at(n0);
        let (a, l1) = (&mut *self.a, &mut *self.l1);
        let l1_row = |l1: &mut [f64], row: &[f64]| {
            for (c, &v) in row.iter().enumerate() {
                l1[jj + c * n0] = v;
            }
        };
        if gmax == 0.0 {
            l1_row(l1, wr0);
            if self.info.is_none() {
                self.info = Some(jj);
            }
            return;
        }
        l1_row(l1, wmx);
        if self.curr {
            if mine && il == 0 {
                // The diagonal row is its own pivot row.
                a[ii + jj * lda] = gmax;
            } else {
                for (c, &v) in wmx.iter().enumerate() {
                    a[ii + c * lda] = v;
                }
                if mine {
                    for (c, &v) in wr0.iter().enumerate() {
                        a[ii + il + c * lda] = v;
                    }
                }
            }
        } else if mine {
            for (c, &v) in wr0.iter().enumerate() {
                a[ii + il + c * lda] = v;
            }
        }
    }

    /// `l[k+1.., jj] = a[k+1.., jj] / pivot` on local rows
    /// `iip1..iip1+mm1`, as HPL's multiplication by the reciprocal; a zero
    /// pivot leaves the column as it is.
    pub(super) fn scale_column(&mut self, mm1: usize, iip1: usize, jj: usize) {
        let piv = self.work[CAND_VALUE];
        if piv != 0.0 {
            let start = iip1 + jj * self.lda;
            scal(1.0 / piv, &mut self.a[start..start + mm1]);
        }
    }
}
