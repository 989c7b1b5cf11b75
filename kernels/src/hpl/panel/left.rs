//! Left-looking panel factorization: `HPL_pdpanllN` (base case) and
//! `HPL_pdrpanllN` (recursion).
//!
//! A column (sub-panel) is left untouched until it is reached; then it is
//! brought up to date with everything to its left and factored.
//!
//! Base case, column `k` (columns `c0..k` done, `u_{.,k}` the rows of `U`
//! above the diagonal):
//!
//! ```text
//! u[c0..k, k]  = L[c0..k, c0..k]^-1 a[c0..k, k]        (trsv on L1)
//! a[below, k] -= L[below, c0..k] u[c0..k, k]           (gemv)
//! pivot, exchange, l[below, k] = a[below, k] / u_kk
//! ```
//!
//! HPL runs the first two for column `k + 1` right after the exchange of
//! column `k` and its scaling, and searches the next pivot in the same
//! pass; so does this code. Recursion, sub-panel `S` after the columns `B`:
//! `U[B,S] = L[B,B]^-1 A[B,S]` (trsm), `A[below,S] -= L[below,B] U[B,S]`
//! (gemm), factor `S`.

use super::{axpy_neg, Panel, PivotExchange};

impl<X: PivotExchange + ?Sized> Panel<'_, X> {
    /// `HPL_pdpanllN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn pfact_left(&mut self, m: usize, n: usize, icoff: usize) {
        let (n0, lda, curr) = (self.n0, self.lda, self.curr);
        let mut m = m;
        let mut nm1 = n - 1;
        let mut jj = icoff;
        // ii: the current diagonal row (curr) or the first row;
        // iip1..iip1+mm1: the rows below it.
        let (mut ii, mut iip1, mut mm1) = if curr {
            (icoff, icoff + 1, m - 1)
        } else {
            (0, 0, m)
        };
        self.local_max(m, ii, jj);
        while nm1 > 0 {
            self.max_swap(m, ii, jj);
            self.local_swap(ii, jj);

            // u[icoff..=jj, jj+1] by forward substitution with L1's unit
            // lower triangle; L1's rows icoff..=jj are the pivot rows so
            // far, column jj+1 still as it was when they were swapped in.
            let kk = jj + 1 - icoff;
            {
                let (lcols, rest) = self.l1.split_at_mut((jj + 1) * n0);
                let x = &mut rest[icoff..icoff + kk];
                for c in 0..kk {
                    let xc = x[c];
                    let lcol = &lcols[(icoff + c) * n0 + icoff..(icoff + c) * n0 + icoff + kk];
                    axpy_neg(xc, &lcol[c + 1..], &mut x[c + 1..]);
                }
            }

            self.scale_column(mm1, iip1, jj);

            // a[below, jj+1] -= L[below, icoff..=jj] u[icoff..=jj, jj+1]
            {
                let (acols, rest) = self.a.split_at_mut((jj + 1) * lda);
                let y = &mut rest[iip1..iip1 + mm1];
                let u = &self.l1[(jj + 1) * n0 + icoff..(jj + 1) * n0 + icoff + kk];
                for (c, &uc) in u.iter().enumerate() {
                    let start = (icoff + c) * lda + iip1;
                    axpy_neg(uc, &acols[start..start + mm1], y);
                }
            }
            self.local_max(mm1, iip1, jj + 1);
            if curr {
                // The diagonal process keeps U in A as well.
                let (src, dst) = ((jj + 1) * n0 + icoff, (jj + 1) * lda + icoff);
                self.a[dst..dst + kk].copy_from_slice(&self.l1[src..src + kk]);
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

    /// `HPL_pdrpanllN` on the `n` columns from `icoff`, `m` local rows.
    pub(super) fn rfact_left(&mut self, m: usize, n: usize, icoff: usize) {
        if n <= self.params.nbmin {
            return self.pfact(m, n, icoff);
        }
        let nb = self.params.split_width(n);
        let arow = self.row0(icoff);
        let (mut m, mut n, mut ii, mut jj, mut jb) = (m, n, 0, 0, nb);
        loop {
            n -= jb;
            let ioff = icoff + jj;
            self.trsm_l1(icoff, jj, jb);
            self.gemm_a(arow + ii, m, icoff, jj, ioff, jb);
            self.rfact(m, jb, ioff);
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
