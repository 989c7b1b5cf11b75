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
//! rows; every process needs `U` (the final content of rows `j .. j+jb`)
//! for its update, and the owner of each touched row below the panel needs
//! its final content, which is always the original content of a panel row,
//! held by the panel's process row `icurrow`. [`apply`] moves the rows with
//! the algorithm HPL's SWAP selects:
//!
//! - binary exchange (SWAP 0, `HPL_pdlaswp00T`): the process rows exchange
//!   the touched rows they own pairwise along a hypercube (the rows beyond
//!   the largest power of two first fold onto their partners and get the
//!   result back at the end), so every process ends with all touched rows,
//!   in `log2 P` steps of growing messages;
//! - spread and roll (SWAP 1, `HPL_pdlaswp01T`): the touched rows are
//!   gathered on `icurrow`, which assembles `U` and spreads to every owner
//!   the new content of its rows below the panel; `U` is then scattered in
//!   `P` column slices and rolled around the process column (`P - 1` ring
//!   steps), so each process receives `U` once, in pieces;
//! - mix (SWAP 2): spread and roll when more columns than the swapping
//!   threshold are updated at once, binary exchange otherwise, as HPL
//!   decides in `HPL_pdupdateTT`.
//!
//! With one process row all rows are local and nothing is sent.

use std::ops::Range;

use mpi::datatype::{Partition, PartitionMut};
use mpi::traits::*;
use rhpcc_kernels::hpl::matgen::{indxg2l, indxg2p};

use super::matrix::LocalMatrix;
use super::scratch;
use crate::config::Swap;
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
/// `ipiv`, `cols` and `swap` (they hold the same local columns). The panel
/// rows of `A` itself are not written; the caller puts the finished `U`
/// there.
pub fn apply(
    grid: &ProcessGrid,
    m: &mut LocalMatrix,
    j: usize,
    ipiv: &[usize],
    cols: Range<usize>,
    swap: Swap,
    threshold: usize,
) -> Vec<f64> {
    let jb = ipiv.len();
    let (jt, nt) = (cols.start, cols.len());
    let (nb, p, lda) = (m.nb, m.p, m.lda);
    let x = Interchanges::new(j, ipiv);
    let slots = Slots::new(&x, |r| indxg2p(r, nb, p), indxg2p(j, nb, p), p);
    let me = slots.dist_of(m.myrow);

    // Slot layout: every touched row has `nt` values at `slot[i] * nt`;
    // this process fills the rows it owns.
    let mut all = scratch::take(slots.total() * nt);
    // Column by column: the local matrix is column-major, so this reads
    // each column once and writes at most 2 jb sequential streams.
    let owned: Vec<(usize, usize)> = (0..x.rows.len())
        .filter(|&i| slots.dist[i] == me)
        .map(|i| (indxg2l(x.rows[i], nb, p), slots.slot[i] * nt))
        .collect();
    for (c, col) in cols.clone().enumerate() {
        let a = &m.a[col * lda..];
        for &(lr, at) in &owned {
            all[at + c] = a[lr];
        }
    }
    let spread_roll = match swap {
        Swap::BinaryExchange => false,
        Swap::SpreadRoll => true,
        Swap::Mix => nt > threshold,
    };
    let mut u = scratch::take(jb * nt);
    // The rows below the panel this process owns that change, with the
    // buffer and slot their new content is in.
    let mut new_rows_buf: Option<Vec<f64>> = None;
    let from: &[f64] = if p > 1 && spread_roll {
        &*new_rows_buf.insert(spread_and_roll(grid, &x, &slots, me, nt, &mut all, &mut u))
    } else {
        if p > 1 {
            binary_exchange(grid, &slots, me, nt, &mut all);
        }
        fill_u(&all, &x, &slots, nt, &mut u);
        &all
    };
    // Spread and roll delivers row i's new content in row i's own slot;
    // the binary exchange has every row in its source's slot.
    let changed: Vec<(usize, usize)> = (jb..x.rows.len())
        .filter(|&i| slots.dist[i] == me && x.src[i] != i)
        .map(|i| {
            let s = if spread_roll && p > 1 {
                slots.slot[i]
            } else {
                slots.slot[x.src[i]]
            };
            (indxg2l(x.rows[i], nb, p), s * nt)
        })
        .collect();
    for c in 0..nt {
        let a = &mut m.a[(jt + c) * lda..];
        for &(lr, at) in &changed {
            a[lr] = from[at + c];
        }
    }
    scratch::give(all);
    if let Some(v) = new_rows_buf {
        scratch::give(v);
    }
    u
}

/// `U` (`jb x nt`, leading dimension `jb`) from the slots of the rows whose
/// content ends up in the panel's rows, column by column.
fn fill_u(all: &[f64], x: &Interchanges, s: &Slots, nt: usize, u: &mut [f64]) {
    let jb = x.width();
    let src: Vec<usize> = (0..jb).map(|k| s.slot[x.src[k]] * nt).collect();
    for (c, col) in u.chunks_exact_mut(jb).enumerate().take(nt) {
        for (d, &at) in col.iter_mut().zip(&src) {
            *d = all[at + c];
        }
    }
}

/// Where each touched row travels in the exchange buffers: ordered by the
/// owner's distance below `icurrow` in the process column (so that the
/// rows of a range of distances are contiguous), then in `rows` order.
struct Slots {
    /// Distance of each touched row's owner, `(owner - icurrow) mod P`.
    dist: Vec<usize>,
    /// Slot of each touched row.
    slot: Vec<usize>,
    /// `start[d]`: first slot of distance `d`; `start[P]` = total.
    start: Vec<usize>,
    icurrow: usize,
    p: usize,
}

impl Slots {
    fn new(x: &Interchanges, owner: impl Fn(usize) -> usize, icurrow: usize, p: usize) -> Slots {
        let dist: Vec<usize> = x
            .rows
            .iter()
            .map(|&r| (owner(r) + p - icurrow) % p)
            .collect();
        let mut start = vec![0usize; p + 1];
        for &d in &dist {
            start[d + 1] += 1;
        }
        for d in 0..p {
            start[d + 1] += start[d];
        }
        let mut next = start.clone();
        let slot = dist
            .iter()
            .map(|&d| {
                next[d] += 1;
                next[d] - 1
            })
            .collect();
        Slots {
            dist,
            slot,
            start,
            icurrow,
            p,
        }
    }

    fn total(&self) -> usize {
        self.start[self.p]
    }

    fn dist_of(&self, row: usize) -> usize {
        (row + self.p - self.icurrow) % self.p
    }

    /// Process row (column communicator rank) at distance `d`.
    fn row_at(&self, d: usize) -> i32 {
        ((self.icurrow + d) % self.p) as i32
    }

    /// Values (at `nt` a row) of the rows owned by distances `ds`.
    fn span(&self, ds: Range<usize>, nt: usize) -> Range<usize> {
        let ds = ds.start.min(self.p)..ds.end.min(self.p);
        if ds.is_empty() {
            return 0..0;
        }
        self.start[ds.start] * nt..self.start[ds.end] * nt
    }
}

/// HPL's binary exchange: afterwards every process holds every touched
/// row in `all`.
fn binary_exchange(grid: &ProcessGrid, s: &Slots, me: usize, nt: usize, all: &mut [f64]) {
    let p = s.p;
    let ip2 = 1usize << (usize::BITS - 1 - p.leading_zeros());
    let comm = &grid.col;
    // Fold: distance d + ip2 hands its rows to d.
    if me >= ip2 {
        comm.process_at_rank(s.row_at(me - ip2))
            .send(&all[s.span(me..me + 1, nt)]);
    } else if me + ip2 < p {
        let r = s.span(me + ip2..me + ip2 + 1, nt);
        comm.process_at_rank(s.row_at(me + ip2))
            .receive_into(&mut all[r]);
    }
    if me < ip2 {
        // Hypercube over the first ip2 distances; after step k a process
        // holds the rows of distances [g 2^(k+1), (g+1) 2^(k+1)) and of
        // those plus ip2.
        let mut width = 1usize;
        while width < ip2 {
            let partner = me ^ width;
            let mine = me & !(width - 1);
            let theirs = partner & !(width - 1);
            let pack = |base: usize, all: &[f64]| -> Vec<f64> {
                let (a, b) = (
                    s.span(base..base + width, nt),
                    s.span(base + ip2..base + ip2 + width, nt),
                );
                let mut v = scratch::take(a.len() + b.len());
                let (va, vb) = v.split_at_mut(a.len());
                va.copy_from_slice(&all[a]);
                vb.copy_from_slice(&all[b]);
                v
            };
            let send = pack(mine, all);
            let lo = s.span(theirs..theirs + width, nt);
            let hi = s.span(theirs + ip2..theirs + ip2 + width, nt);
            let mut recv = scratch::take(lo.len() + hi.len());
            mpi::point_to_point::send_receive_into(
                &send[..],
                &comm.process_at_rank(s.row_at(partner)),
                &mut recv[..],
                &comm.process_at_rank(s.row_at(partner)),
            );
            let (a, b) = recv.split_at(lo.len());
            all[lo].copy_from_slice(a);
            all[hi].copy_from_slice(b);
            scratch::give(send);
            scratch::give(recv);
            width <<= 1;
        }
        if me + ip2 < p {
            comm.process_at_rank(s.row_at(me + ip2)).send(&all[..]);
        }
    } else {
        comm.process_at_rank(s.row_at(me - ip2)).receive_into(all);
    }
}

/// HPL's spread and roll. Fills `u` on every process and returns the
/// buffer (slot layout) holding the new content of this process's touched
/// rows below the panel.
fn spread_and_roll(
    grid: &ProcessGrid,
    x: &Interchanges,
    s: &Slots,
    me: usize,
    nt: usize,
    all: &mut [f64],
    u: &mut [f64],
) -> Vec<f64> {
    let (p, jb) = (s.p, x.width());
    let comm = &grid.col;
    let root = comm.process_at_rank(s.row_at(0));
    // Counts and displacements per column-communicator rank.
    let part = |len: &dyn Fn(usize) -> Range<usize>| -> (Vec<i32>, Vec<i32>) {
        (0..p)
            .map(|rank| {
                let r = len((rank + p - s.icurrow) % p);
                (count(r.len()), count(r.start))
            })
            .unzip()
    };
    let (counts, displs) = part(&|d| s.span(d..d + 1, nt));
    let mine = s.span(me..me + 1, nt);

    // Gather the touched rows on icurrow; it builds U and the new rows.
    let mut new_rows = scratch::take(all.len());
    if me == 0 {
        let own = all[mine.clone()].to_vec();
        {
            let mut pm = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(&own[..], &mut pm);
        }
        fill_u(all, x, s, nt, u);
        for i in jb..x.rows.len() {
            let (to, from) = (s.slot[i] * nt, s.slot[x.src[i]] * nt);
            new_rows[to..to + nt].copy_from_slice(&all[from..from + nt]);
        }
        // Spread the new rows to their owners.
        let pt = Partition::new(&new_rows[..], &counts[..], &displs[..]);
        let mut recv = vec![0.0f64; mine.len()];
        root.scatter_varcount_into_root(&pt, &mut recv[..]);
    } else {
        root.gather_varcount_into(&all[mine.clone()]);
        root.scatter_varcount_into(&mut new_rows[mine.clone()]);
    }

    // Roll U: icurrow scatters P column slices of U, then P - 1 ring steps.
    let piece = |d: usize| -> Range<usize> { jb * (d * nt / p)..jb * ((d + 1) * nt / p) };
    let (ucounts, udispls) = part(&|d| piece(d));
    if me == 0 {
        let mut recv = u[piece(0)].to_vec();
        let pt = Partition::new(&u[..], &ucounts[..], &udispls[..]);
        root.scatter_varcount_into_root(&pt, &mut recv[..]);
    } else {
        root.scatter_varcount_into(&mut u[piece(me)]);
    }
    let next = comm.process_at_rank(s.row_at((me + 1) % p));
    let prev = comm.process_at_rank(s.row_at((me + p - 1) % p));
    for step in 0..p - 1 {
        let out = piece((me + p - step) % p);
        let into = piece((me + 2 * p - step - 1) % p);
        let send = u[out].to_vec();
        mpi::point_to_point::send_receive_into(&send[..], &next, &mut u[into], &prev);
    }
    new_rows
}

fn count(n: usize) -> i32 {
    i32::try_from(n).expect("swap message under 2^31 words")
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
