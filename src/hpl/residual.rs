//! HPL's check of the solution (`HPL_pdtest` after the solve): regenerate
//! `[A | b]`, compute HPL's norms with `HPL_pdlange`'s definitions and the
//! scaled residual
//!
//! ```text
//! ||A x - b||_oo / ( eps * ( ||A||_oo * ||x||_oo + ||b||_oo ) * N )
//! ```
//!
//! with `eps = 2^-53` (`HPL_pdlamch(HPL_MACH_EPS)`, the same on every
//! process). HPL holds `x` as a `1 x N` row vector and "switches the
//! norms" when it takes them, so that its `XnormI` is `max |x_i|` and its
//! `Xnorm1` is `sum |x_i|`, as for a column vector; [`Norms`] gives each
//! key's exact meaning.
//!
//! Norms are sums and maxima of `|a_ij|` taken over the local block and
//! then over the row or column communicator, so they agree with HPL's up
//! to the order of the additions (the `%g` values HPCC prints are the
//! same). A NaN anywhere makes the norm NaN, so a broken solution cannot
//! pass.

use mpi::collective::SystemOperation;
use mpi::traits::*;

use super::matrix::LocalMatrix;
use crate::grid::ProcessGrid;

/// HPL's relative machine precision, `DBL_EPSILON / FLT_RADIX` = 2^-53.
pub const EPS: f64 = f64::EPSILON / 2.0;

/// What HPL prints and HPCC keeps (`HPL_RuntimeData`), the same on every
/// process of the grid.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Norms {
    /// `||A||_1`: largest column sum of `|a_ij|` (`HPL_Anorm1`).
    #[serde(with = "super::nonfinite")]
    pub anorm1: f64,
    /// `||A||_oo`: largest row sum of `|a_ij|` (`HPL_AnormI`).
    #[serde(with = "super::nonfinite")]
    pub anorm_i: f64,
    /// `sum |x_i|` (`HPL_Xnorm1`; HPL's `HPL_pdlange(NORM_I)` of the
    /// `1 x N` row `x`).
    #[serde(with = "super::nonfinite")]
    pub xnorm1: f64,
    /// `max |x_i|` (`HPL_XnormI`; `HPL_pdlange(NORM_1)` of the row `x`):
    /// the `||x||_oo` of the residual.
    #[serde(with = "super::nonfinite")]
    pub xnorm_i: f64,
    /// `||b||_oo` (`HPL_BnormI`).
    #[serde(with = "super::nonfinite")]
    pub bnorm_i: f64,
    /// `||A x - b||_oo` (`HPL_RnormI`).
    #[serde(with = "super::nonfinite")]
    pub rnorm_i: f64,
    /// The scaled residual.
    #[serde(with = "super::nonfinite")]
    pub resid: f64,
}

/// Regenerates `[A | b]` into `m` and checks `x` (this process's `nq`
/// entries, as [`super::solve::back_substitute`] leaves them) against it.
/// Collective over the grid.
pub fn check(grid: &ProcessGrid, m: &mut LocalMatrix, x: &[f64]) -> Norms {
    m.regenerate();
    let (mp, nq, lda) = (m.mp, m.nq, m.lda);
    let col = |c: usize| &m.a[c * lda..c * lda + mp];

    // ||A||_1: column sums over the process column, then the largest.
    let mut colsum: Vec<f64> = (0..nq)
        .map(|c| col(c).iter().map(|v| v.abs()).sum())
        .collect();
    all_sum(&grid.col, &mut colsum);
    let anorm1 = all_max(grid, abs_max(&colsum));

    // ||A||_oo: row sums over the process row, then the largest.
    let mut rowsum = vec![0.0f64; mp];
    for c in 0..nq {
        for (s, v) in rowsum.iter_mut().zip(col(c)) {
            *s += v.abs();
        }
    }
    all_sum(&grid.row, &mut rowsum);
    let anorm_i = all_max(grid, abs_max(&rowsum));

    // x is the same in every process row: sum over one row, max anywhere.
    let mut xsum = [x.iter().map(|v| v.abs()).sum::<f64>()];
    all_sum(&grid.row, &mut xsum);
    let xnorm1 = xsum[0];
    let xnorm_i = all_max(grid, abs_max(x));

    let b = m.holds_b().then(|| col(m.b_local_col()));
    let bnorm_i = all_max(grid, b.map_or(0.0, abs_max));

    // r = b - A x: local part of -A x (plus b where it lives), summed over
    // the process row.
    let mut r: Vec<f64> = match b {
        Some(b) => b.to_vec(),
        None => vec![0.0; mp],
    };
    for (c, &xc) in x.iter().enumerate().take(nq) {
        for (ri, &a) in r.iter_mut().zip(col(c)) {
            *ri -= a * xc;
        }
    }
    all_sum(&grid.row, &mut r);
    let rnorm_i = all_max(grid, abs_max(&r));

    let n = m.n as f64;
    let resid = if m.n == 0 {
        0.0
    } else {
        rnorm_i / (EPS * (anorm_i * xnorm_i + bnorm_i) * n)
    };
    Norms {
        anorm1,
        anorm_i,
        xnorm1,
        xnorm_i,
        bnorm_i,
        rnorm_i,
        resid,
    }
}

/// Element-wise sum over `comm`, in place.
fn all_sum<C: Communicator>(comm: &C, v: &mut [f64]) {
    if comm.size() > 1 && !v.is_empty() {
        let send = v.to_vec();
        comm.all_reduce_into(&send[..], v, SystemOperation::sum());
    }
}

/// `max |v_i|` (0 for no entries), NaN if any entry is NaN.
fn abs_max(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |a: f64, &x| {
        if a.is_nan() || x.is_nan() {
            f64::NAN
        } else {
            a.max(x.abs())
        }
    })
}

/// Largest value over the grid, NaN if it is NaN anywhere.
fn all_max(grid: &ProcessGrid, v: f64) -> f64 {
    let send = if v.is_nan() { [1.0, 0.0] } else { [0.0, v] };
    let mut out = [0.0f64; 2];
    grid.all
        .all_reduce_into(&send[..], &mut out[..], SystemOperation::max());
    if out[0] > 0.0 {
        f64::NAN
    } else {
        out[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abs_max_sees_nan_and_sign() {
        assert_eq!(abs_max(&[]), 0.0);
        assert_eq!(abs_max(&[0.5, -2.0, 1.0]), 2.0);
        assert!(abs_max(&[1.0, f64::NAN, 3.0]).is_nan());
        assert!(abs_max(&[f64::NAN]).is_nan());
    }

    #[test]
    fn eps_is_hpls() {
        assert_eq!(EPS, 2f64.powi(-53));
        assert_eq!(crate::report::cfmt::e(EPS), "1.110223e-16");
    }
}
