//! Right-looking panel factorization: `HPL_pdpanrlN` (base case) and
//! `HPL_pdrpanrlN` (recursion).
//!
//! As soon as a column (sub-panel) is factored it updates every column to
//! its right, so each column is up to date when reached.
//!
//! Base case, column `k`:
//!
//! ```text
//! pivot, exchange; u[k, k..] is the pivot row as received
//! l[below, k]       = a[below, k] / u_kk
//! a[below, k+1..]  -= l[below, k] u[k, k+1..]             (axpy, then ger)
//! ```
//!
//! HPL updates column `k + 1` first (axpy) and searches its pivot before
//! the rank-1 update of the rest (ger), to read that column once; so does
//! this code. Recursion, sub-panel `S`, `R` the columns after it: factor
//! `S`, `U[S,R] = L[S,S]^-1 A[S,R]` (trsm on `L1`),
//! `A[below,R] -= L[below,S] U[S,R]` (gemm).

use super::pivot::CAND_HEADER;
use super::{axpy_neg, Panel, PivotExchange};

impl<X: PivotExchange + ?Sized> Panel<'_, X> {
    /// `HPL_pdpanrlN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn pfact_right(&mut self, m: usize, n: usize, icoff: usize) {
        let (lda, curr) = (self.lda, self.curr);
        let mut m = m;
        let mut nm1 = n - 1;
        let mut jj = icoff;
        let (mut ii, mut iip1, mut mm1) = if curr {
            (icoff, icoff + 1, m - 1)
        } else {
            (0, 0, m)
        };
        self.local_max(m, ii, jj);
        while nm1 >= 1 {
            self.max_swap(m, ii, jj);
            self.local_swap(ii, jj);
            self.scale_column(mm1, iip1, jj);

            // The pivot row as received (work[4..]) is u[jj, ..]: the
            // right-looking updates kept it current.
            let u = &self.work[CAND_HEADER..];
            let (acur, rest) = self.a.split_at_mut((jj + 1) * lda);
            let lcol = &acur[jj * lda + iip1..jj * lda + iip1 + mm1];
            axpy_neg(u[jj + 1], lcol, &mut rest[iip1..iip1 + mm1]);
            self.local_max(mm1, iip1, jj + 1);
            let (acur, rest) = self.a.split_at_mut((jj + 1) * lda);
            let lcol = &acur[jj * lda + iip1..jj * lda + iip1 + mm1];
            let u = &self.work[CAND_HEADER..];
            for c in 1..nm1 {
                let start = c * lda + iip1;
                axpy_neg(u[jj + 1 + c], lcol, &mut rest[start..start + mm1]);
            }

            if curr {
                ii = iip1;
                iip1 += 1;
                m = mm1;
                mm1 = mm1.saturating_sub(1);
            }
            nm1 -= 1;
            jj += 1;
        }
        self.max_swap(m, ii, jj);
        self.local_swap(ii, jj);
        self.scale_column(mm1, iip1, jj);
    }

    /// `HPL_pdrpanrlN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn rfact_right(&mut self, m: usize, n: usize, icoff: usize) {
        if n <= self.params.nbmin {
            return self.pfact(m, n, icoff);
        }
        let nb = self.params.split_width(n);
        let arow = self.row0(icoff);
        let (mut m, mut n, mut ii, mut jj, mut jb) = (m, n, 0, 0, nb);
        loop {
            n -= jb;
            let ioff = icoff + jj;
            self.rfact(m, jb, ioff);
            self.trsm_l1(ioff, jb, n);
            if self.curr {
                ii += jb;
                m -= jb;
            }
            self.gemm_a(arow + ii, m, ioff, jb, ioff + jb, n);
            if self.curr {
                self.copy_u(ioff, ioff, jb);
            }
            jj += jb;
            jb = n.min(nb);
            if n == 0 {
                break;
            }
        }
    }
}
