//! Crout panel factorization: `HPL_pdpancrN` (base case) and
//! `HPL_pdrpancrN` (recursion).
//!
//! When a column (sub-panel) is reached, it is brought up to date with the
//! columns to its left; once factored, its rows of `U` to the right are
//! finished at once, so that `U` grows by rows while `L` grows by columns.
//!
//! Base case, column `k` (columns `c0..k` done):
//!
//! ```text
//! pivot, exchange (a[below, k] already up to date)
//! u[k, k+1..]    -= l[k, c0..k] U[c0..k, k+1..]           (gemv^T on L1)
//! l[below, k]     = a[below, k] / u_kk
//! a[below, k+1]  -= L[below, c0..=k] u[c0..=k, k+1]       (gemv)
//! ```
//!
//! Recursion, sub-panel `S` after the columns `B`, `R` the columns after
//! `S`: `A[below,S] -= L[below,B] U[B,S]` (gemm), factor `S`,
//! `U[S,R] = L[S,S]^-1 (A[S,R] - L[S,B] U[B,R])` (gemm and trsm on `L1`).

use super::{axpy_neg, Panel, PivotExchange};

impl<X: PivotExchange + ?Sized> Panel<'_, X> {
    /// `HPL_pdpancrN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn pfact_crout(&mut self, m: usize, n: usize, icoff: usize) {
        let (n0, lda, curr) = (self.n0, self.lda, self.curr);
        let mut m = m;
        let mut nm1 = n - 1;
        let mut jj = icoff;
        let (mut ii, mut iip1, mut mm1) = if curr {
            (icoff, icoff + 1, m - 1)
        } else {
            (0, 0, m)
        };
        self.local_max(m, ii, jj);
        while nm1 > 0 {
            self.max_swap(m, ii, jj);
            self.local_swap(ii, jj);
            let kk = jj - icoff;

            // Row jj of U, columns jj+1..icoff+n: the pivot row as swapped
            // in, less l[jj, icoff..jj] times the U rows above it.
            if kk > 0 {
                let l1 = &mut *self.l1;
                for col in jj + 1..jj + 1 + nm1 {
                    let ucol = col * n0 + icoff;
                    let mut dot = 0.0;
                    for r in 0..kk {
                        dot += l1[ucol + r] * l1[jj + (icoff + r) * n0];
                    }
                    l1[jj + col * n0] -= dot;
                }
                if curr {
                    for col in jj + 1..jj + 1 + nm1 {
                        self.a[ii + col * lda] = self.l1[jj + col * n0];
                    }
                }
            }

            self.scale_column(mm1, iip1, jj);

            // a[below, jj+1] -= L[below, icoff..=jj] u[icoff..=jj, jj+1]
            {
                let (acols, rest) = self.a.split_at_mut((jj + 1) * lda);
                let y = &mut rest[iip1..iip1 + mm1];
                let u = &self.l1[(jj + 1) * n0 + icoff..(jj + 1) * n0 + icoff + kk + 1];
                for (c, &uc) in u.iter().enumerate() {
                    let start = (icoff + c) * lda + iip1;
                    axpy_neg(uc, &acols[start..start + mm1], y);
                }
            }
            self.local_max(mm1, iip1, jj + 1);
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

    /// `HPL_pdrpancrN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn rfact_crout(&mut self, m: usize, n: usize, icoff: usize) {
        if n <= self.params.nbmin {
            return self.pfact(m, n, icoff);
        }
        let nb = self.params.split_width(n);
        let arow = self.row0(icoff);
        let (mut m, mut n, mut ii, mut jj, mut jb) = (m, n, 0, 0, nb);
        loop {
            n -= jb;
            let ioff = icoff + jj;
            self.gemm_a(arow + ii, m, icoff, jj, ioff, jb);
            self.rfact(m, jb, ioff);
            if n > 0 {
                self.gemm_l1(ioff, jb, icoff, jj, ioff + jb, n);
                self.trsm_l1(ioff, jb, n);
            }
            if self.curr {
                self.copy_u(ioff, ioff, jb);
                ii += jb;
                m -= jb;
            }
            jj += jb;
            jb = n.min(nb);
            if n == 0 {
                break;
            }
        }
    }
}
