//! The row interchanges of one panel, applied to the trailing columns of
//! `[A | b]` (HPL's `HPL_pdlaswp*`), and the rows of `U` they produce.
//!
//! After the panel at global column `j` (width `jb`) is factored, its pivot
//! vector says: for `k = 0, 1, ..., jb-1` in turn, exchange global rows
//! `j + k` and `ipiv[k]` (`ipiv[k] >= j + k`). Applied to the columns right
//! of the panel, this touches at most `2 jb` rows: `j .. j+jb` and the pivot
//! rows below. [`Interchanges`] works out, for each touched row, which
//! row's original content ends up there; the result is a permutation of the
//! touched rows.
//!
//! In the process column the touched rows are spread over the `P` process
//! rows. [`apply`] gathers all of them on every process of the column (one
//! `MPI_Allgatherv` over the column communicator, each process contributing
//! the touched rows it owns), then every process assembles `U` (the final
//! content of rows `j .. j+jb`, all trailing local columns) and each owner
//! writes the final content of its touched rows below the panel. This is
//! the "gather/scatter" form of the exchange: simple and exact, moving
//! `O(P jb nt)` words per process where HPL's spread-roll (`HPL_pdlaswp01T`
//! with `HPL_spreadT` / `HPL_rollT`) moves `O(jb nt)`; HPL's SWAP and
//! swapping-threshold parameters are therefore accepted but not used yet.

use std::ops::Range;

use mpi::datatype::PartitionMut;
use mpi::traits::*;
use rhpcc_kernels::hpl::matgen::{indxg2l, indxg2p};

use super::matrix::LocalMatrix;
use crate::grid::ProcessGrid;

/// The rows touched by one panel's interchanges and where their final
/// contents come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interchanges {
    /// Global rows touched: the panel's rows `j .. j+jb` in order, then
    /// the other pivot rows in increasing order.
    pub rows: Vec<usize>,
    /// For each entry of `rows`, the index (into `rows`) of the row whose
    /// original content ends up there.
    pub src: Vec<usize>,
    jb: usize,
}

impl Interchanges {
    /// The interchanges "for `k` in order, swap rows `j + k` and
    /// `ipiv[k]`".
    ///
    /// # Panics
    ///
    /// If a pivot row lies above its panel row (`ipiv[k] < j + k`).
    pub fn new(j: usize, ipiv: &[usize]) -> Interchanges {
        let jb = ipiv.len();
        let mut extra: Vec<usize> = ipiv.iter().copied().filter(|&r| r >= j + jb).collect();
        extra.sort_unstable();
        extra.dedup();
        let index = |r: usize| -> usize {
            if r < j + jb {
                r - j
            } else {
                jb + extra.binary_search(&r).expect("pivot row is touched")
            }
        };
        let mut src: Vec<usize> = (0..jb + extra.len()).collect();
        for (k, &r) in ipiv.iter().enumerate() {
            assert!(r >= j + k, "pivot row {r} above panel row {}", j + k);
            src.swap(k, index(r));
        }
        let mut rows: Vec<usize> = (j..j + jb).collect();
        rows.extend(extra);
        Interchanges { rows, src, jb }
    }

    /// Panel width `jb`: the first `jb` entries of `rows` are the panel's
    /// rows.
    pub fn width(&self) -> usize {
        self.jb
    }
}

/// Applies the interchanges of the panel at global column `j` (pivots
/// `ipiv`) to this process's local columns `cols` of `[A | b]` and returns
/// `U`, the `jb x nt` block of the interchanged rows `j .. j+jb` in those
/// columns (column-major, leading dimension `jb`, `nt = cols.len()`).
///
/// Every process of the process column calls this with the same `j`,
/// `ipiv` and `cols` (they hold the same local columns). The panel rows of `A` itself are not written; the caller puts the
/// finished `U` there.
pub fn apply(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    j: usize,
    ipiv: &[usize],
    cols: Range<usize>,
) -> Vec<f64> {
    let jb = ipiv.len();
    let (jt, nt) = (cols.start, cols.len());
    let (nb, p, lda) = (m.nb, m.p, m.lda);
    let x = Interchanges::new(j, ipiv);
    let owner: Vec<usize> = x.rows.iter().map(|&r| indxg2p(r, nb, p)).collect();

    // Where each touched row lands in the gathered buffer: process row by
    // process row, each one's rows in `x.rows` order, `nt` values a row.
    let mut offset = vec![0usize; x.rows.len()];
    let mut counts = vec![0i32; p];
    let mut cursor = 0usize;
    for (pr, count) in counts.iter_mut().enumerate() {
        let start = cursor;
        for (i, _) in owner.iter().enumerate().filter(|(_, &o)| o == pr) {
            offset[i] = cursor;
            cursor += nt;
        }
        *count = i32::try_from(cursor - start).expect("swap message under 2^31 words");
    }

    let mut send = Vec::with_capacity(counts[m.myrow] as usize);
    for (i, &r) in x.rows.iter().enumerate() {
        if owner[i] == m.myrow {
            let lr = indxg2l(r, nb, p);
            send.extend(cols.clone().map(|c| m.a[lr + c * lda]));
        }
    }
    let gathered = if p > 1 {
        let displs: Vec<i32> = counts
            .iter()
            .scan(0i32, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        let mut recv = vec![0.0f64; cursor];
        {
            let mut part = PartitionMut::new(&mut recv[..], &counts[..], &displs[..]);
            grid.col.all_gather_varcount_into(&send[..], &mut part);
        }
        recv
    } else {
        send
    };

    let mut u = vec![0.0f64; jb * nt];
    for k in 0..jb {
        let from = &gathered[offset[x.src[k]]..offset[x.src[k]] + nt];
        for (c, &v) in from.iter().enumerate() {
            u[k + c * jb] = v;
        }
    }
    for i in jb..x.rows.len() {
        if owner[i] == m.myrow && x.src[i] != i {
            let lr = indxg2l(x.rows[i], nb, p);
            let from = &gathered[offset[x.src[i]]..offset[x.src[i]] + nt];
            for (c, &v) in from.iter().enumerate() {
                m.a[lr + (jt + c) * lda] = v;
            }
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interchanges applied one by one to a vector of row labels.
    fn serial(j: usize, ipiv: &[usize], n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for (k, &r) in ipiv.iter().enumerate() {
            v.swap(j + k, r);
        }
        v
    }

    fn check(j: usize, ipiv: &[usize], n: usize) {
        let x = Interchanges::new(j, ipiv);
        let want = serial(j, ipiv, n);
        // Every touched row gets what the serial swaps put there ...
        for (i, &r) in x.rows.iter().enumerate() {
            assert_eq!(x.rows[x.src[i]], want[r], "j={j} ipiv={ipiv:?} row {r}");
        }
        // ... and every other row keeps its content.
        for (r, &w) in want.iter().enumerate() {
            if !x.rows.contains(&r) {
                assert_eq!(w, r);
            }
        }
        // src is a permutation.
        let mut s = x.src.clone();
        s.sort_unstable();
        assert_eq!(s, (0..x.rows.len()).collect::<Vec<_>>());
        assert_eq!(x.width(), ipiv.len());
    }

    #[test]
    fn interchanges_match_serial_swaps() {
        check(0, &[0, 1, 2], 10);
        check(0, &[5, 5, 5], 10);
        check(4, &[9, 4 + 1, 9, 7], 12);
        check(3, &[3, 8, 8, 6], 12);
        check(2, &[2], 3);
        // Pseudo-random pivot vectors.
        let mut s = 12345u64;
        for _ in 0..500 {
            let n = 40;
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (s >> 33) as usize % 20;
            let jb = 1 + (s >> 40) as usize % 8;
            let ipiv: Vec<usize> = (0..jb)
                .map(|k| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    j + k + (s >> 35) as usize % (n - j - k)
                })
                .collect();
            check(j, &ipiv, n);
        }
    }

    #[test]
    #[should_panic(expected = "above panel row")]
    fn pivot_above_its_row_is_refused() {
        Interchanges::new(4, &[4, 4]);
    }
}
