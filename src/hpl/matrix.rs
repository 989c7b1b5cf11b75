//! This process's part of HPL's augmented system `[A | b]` (HPL's
//! `HPL_T_pmat`): an `N x (N+1)` matrix distributed 2-D block-cyclically in
//! `NB x NB` blocks over the `P x Q` grid, process `(0, 0)` owning the first
//! block, stored column-major with HPL's leading dimension.

use rhpcc_kernels::hpl::matgen::{self, numroc};

/// The local block of `[A | b]` and where it sits.
pub struct LocalMatrix {
    /// Order `N` of `A`.
    pub n: usize,
    /// Blocking factor `NB`.
    pub nb: usize,
    /// Grid shape and this process's coordinates.
    pub p: usize,
    pub q: usize,
    pub myrow: usize,
    pub mycol: usize,
    /// Local rows (`numroc(N, NB, myrow, P)`, HPL's `mat.mp`).
    pub mp: usize,
    /// Local columns of `A` (`numroc(N, NB, mycol, Q)`, HPL's `nq`).
    pub nq: usize,
    /// Local columns of `[A | b]` (`numroc(N+1, NB, mycol, Q)`): `nq + 1` on
    /// the process column holding `b`, `nq` elsewhere.
    pub ncols: usize,
    /// Leading dimension ([`leading_dimension`]).
    pub lda: usize,
    /// `lda * ncols` entries, column-major.
    pub a: Vec<f64>,
}

impl LocalMatrix {
    /// Allocates this process's part of `[A | b]` for an `n` x `n` system
    /// and fills it with HPL's generator (`HPL_pdmatgen` with `HPL_ISEED`).
    #[allow(clippy::too_many_arguments)]
    pub fn generate(
        n: usize,
        nb: usize,
        p: usize,
        q: usize,
        myrow: usize,
        mycol: usize,
        align: usize,
    ) -> LocalMatrix {
        let mp = numroc(n, nb, myrow, p);
        let nq = numroc(n, nb, mycol, q);
        let ncols = numroc(n + 1, nb, mycol, q);
        let lda = leading_dimension(mp, align);
        let mut m = LocalMatrix {
            n,
            nb,
            p,
            q,
            myrow,
            mycol,
            mp,
            nq,
            ncols,
            lda,
            a: vec![0.0; lda * ncols.max(1)],
        };
        m.regenerate();
        m
    }

    /// Refills the local part with HPL's matrix (the residual check
    /// regenerates `[A | b]` as `HPL_pdtest` does).
    pub fn regenerate(&mut self) {
        matgen::generate_local(
            self.n,
            self.nb,
            self.p,
            self.q,
            self.myrow,
            self.mycol,
            matgen::HPL_SEED,
            &mut self.a,
            self.lda,
        );
    }

    /// Process column holding `b` (global column `N`).
    pub fn b_col_owner(&self) -> usize {
        matgen::indxg2p(self.n, self.nb, self.q)
    }

    /// Local column index of `b` on [`LocalMatrix::b_col_owner`].
    pub fn b_local_col(&self) -> usize {
        matgen::indxg2l(self.n, self.nb, self.q)
    }

    /// Whether this process holds part of `b`.
    pub fn holds_b(&self) -> bool {
        self.mycol == self.b_col_owner()
    }
}

/// HPL's leading dimension for `mp` local rows (`HPL_pdtest`): the
/// smallest multiple of `align` that is at least `max(1, mp)`, moved up by
/// `align` while it is a power of two (to avoid cache-set conflicts).
pub fn leading_dimension(mp: usize, align: usize) -> usize {
    let align = align.max(1);
    let mut ld = ((mp.max(1) - 1) / align) * align;
    loop {
        ld += align;
        // HPL compares ld with the power of two it gets by shifting ld
        // down to 1; 1 counts as a power of two there too.
        if !ld.is_power_of_two() {
            return ld;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_dimension_follows_hpl() {
        // Multiples of ALIGN, never a power of two.
        assert_eq!(leading_dimension(1000, 8), 1000);
        assert_eq!(leading_dimension(999, 8), 1000);
        assert_eq!(leading_dimension(1024, 8), 1032);
        assert_eq!(leading_dimension(4000, 8), 4000);
        assert_eq!(leading_dimension(4096, 8), 4104);
        assert_eq!(leading_dimension(0, 8), 24);
        assert_eq!(leading_dimension(1, 1), 3);
        assert_eq!(leading_dimension(317, 8), 320);
    }
}
