//! The LCM block classes of a block-cyclic transpose and the exchange
//! schedule of PUMMA's `PDTRANS` (`PTRANS/pdtrans.c`, Choi, Dongarra and
//! Walker).
//!
//! `A` is `m x n` in `mb x nb` blocks and `C = A^T` is `n x m` in `nb x mb`
//! blocks, both dealt block-cyclically over the same `P x Q` grid from
//! process `(0, 0)`. Block `(I, J)` of `A` lives on process `(I mod P,
//! J mod Q)` and becomes block `(J, I)` of `C` on process `(J mod P,
//! I mod Q)`. With `L = lcm(P, Q)`, the destination depends only on
//! `(I mod L, J mod L)`, so the blocks a process holds fall into
//! `(L / P) (L / Q)` classes, one per destination, and the class bound for
//! destination `(dr, dc)` from `(r, c)` is the set of blocks with
//! `I = a (mod L)`, `J = b (mod L)` where `a = r (mod P)`, `a = dc (mod Q)`,
//! `b = c (mod Q)`, `b = dr (mod P)` ([`residue`]). Only destinations with
//! `dc = r` and `dr = c (mod gcd(P, Q))` receive anything.
//!
//! PDTRANS moves one class per step: in step `(k2, j1)`, `k2 < L/P`,
//! `j1 < L/Q` (`k2` outer), every process sends one class and receives one
//! ([`schedule`], HPCC's formulas for the partner rows and columns), so each
//! step is a permutation of the grid and every pair of processes exchanges at
//! most one message. The class a process keeps for itself is transposed in
//! place of a message.
//!
//! A class is gathered into a condensed buffer `T` that holds its blocks
//! side by side in increasing global order, already transposed: `T` has the
//! class's `A` columns as rows and its `A` rows as columns. Sender and
//! receiver agree on that layout without talking, since both enumerate the
//! same global blocks in the same order. [`Piece`]s map runs of local rows
//! or columns to runs of `T`'s, merged where consecutive blocks of the
//! class are adjacent locally (one process row or column per class).

use crate::hpl::matgen::numroc;

/// Greatest common divisor.
pub fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Least common multiple (`ilcm_`).
pub fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// The `x` in `0..lcm(p, q)` with `x = u (mod p)` and `x = v (mod q)`, if
/// there is one (there is iff `u = v (mod gcd(p, q))`).
pub fn residue(u: usize, p: usize, v: usize, q: usize) -> Option<usize> {
    (0..lcm(p, q) / p)
        .map(|k| u % p + k * p)
        .find(|x| x % q == v % q)
}

/// A run of `len` consecutive indices starting at `src` in one index space
/// and at `dst` in another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub src: usize,
    pub dst: usize,
    pub len: usize,
}

/// One dimension of a block-cyclic distribution: `total` indices in blocks
/// of `bs` dealt over `nprocs` process coordinates from coordinate 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub total: usize,
    pub bs: usize,
    pub nprocs: usize,
}

impl Axis {
    /// Number of global blocks.
    pub fn blocks(&self) -> usize {
        self.total.div_ceil(self.bs)
    }

    /// Local length on coordinate `me` (`numroc`).
    pub fn local_len(&self, me: usize) -> usize {
        numroc(self.total, self.bs, me, self.nprocs)
    }

    /// Length of global block `g` (the last may be partial).
    pub fn block_len(&self, g: usize) -> usize {
        self.bs.min(self.total - g * self.bs)
    }

    /// Offset of global block `g` in its owner's local storage.
    pub fn local_offset(&self, g: usize) -> usize {
        (g / self.nprocs) * self.bs
    }

    /// The global blocks `g = first (mod step)`, `g < blocks()`, all owned
    /// by one coordinate: `src` is the local offset, `dst` the offset in
    /// the condensed sequence of those blocks. Adjacent runs are merged.
    pub fn gather(&self, first: usize, step: usize) -> Vec<Piece> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut dst = 0;
        for g in (first..self.blocks()).step_by(step) {
            let (src, len) = (self.local_offset(g), self.block_len(g));
            match pieces.last_mut() {
                Some(last) if last.src + last.len == src => last.len += len,
                _ => pieces.push(Piece { src, dst, len }),
            }
            dst += len;
        }
        pieces
    }

    /// [`Axis::gather`] the other way: condensed offset to local offset.
    pub fn scatter(&self, first: usize, step: usize) -> Vec<Piece> {
        self.gather(first, step)
            .into_iter()
            .map(|p| Piece {
                src: p.dst,
                dst: p.src,
                len: p.len,
            })
            .collect()
    }
}

/// Total length covered by `pieces`.
pub fn extent(pieces: &[Piece]) -> usize {
    pieces.iter().map(|p| p.len).sum()
}

/// Chains `x -> t` pieces with `t -> y` pieces over the same condensed
/// sequence `t` into `x -> y` pieces, split where either side breaks.
pub fn compose(x_to_t: &[Piece], t_to_y: &[Piece]) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (mut ui, mut uj) = (0, 0); // used length of the current pieces
    while i < x_to_t.len() && j < t_to_y.len() {
        let (a, b) = (x_to_t[i], t_to_y[j]);
        debug_assert_eq!(
            a.dst + ui,
            b.src + uj,
            "pieces do not cover the same sequence"
        );
        let len = (a.len - ui).min(b.len - uj);
        out.push(Piece {
            src: a.src + ui,
            dst: b.dst + uj,
            len,
        });
        ui += len;
        uj += len;
        if ui == a.len {
            i += 1;
            ui = 0;
        }
        if uj == b.len {
            j += 1;
            uj = 0;
        }
    }
    out
}

/// One step of the exchange for one process: the grid coordinates it sends
/// its class to and receives a class from (itself in the step where it
/// keeps a class).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub dest: (usize, usize),
    pub source: (usize, usize),
}

/// PDTRANS's steps for process `(r, c)` of a `p x q` grid, in its order:
/// with `g = gcd(p, q)`, `kmod1 = (c - r) mod g`, `kmod2 = -kmod1 mod g`,
/// step `(k2, j1)` sends to `((r + g j1 + kmod1) mod p, (c - g k2 - kmod1)
/// mod q)` and receives from `((r - g j1 - kmod2) mod p, (c + g k2 + kmod2)
/// mod q)`, for `k2 < lcm/p`, `j1 < lcm/q`.
pub fn schedule(p: usize, q: usize, r: usize, c: usize) -> Vec<Step> {
    assert!(r < p && c < q, "process ({r}, {c}) not in a {p} x {q} grid");
    let g = gcd(p, q);
    let l = lcm(p, q);
    let (lcmp, lcmq) = (l / p, l / q);
    let kmod1 = (p + c - r) % g;
    let kmod2 = (g - kmod1) % g;
    let mut steps = Vec::with_capacity(lcmp * lcmq);
    for k2 in 0..lcmp {
        let k1 = k2 * g + kmod1;
        for j1 in 0..lcmq {
            steps.push(Step {
                dest: ((r + g * j1 + kmod1) % p, (c + q - k1 % q) % q),
                source: ((p + r - (g * j1 + kmod2) % p) % p, (c + k2 * g + kmod2) % q),
            });
        }
    }
    steps
}

/// The transpose problem: `C (n x m, nb x mb blocks) <- A^T + C` with `A`
/// `m x n` in `mb x nb` blocks, on a `p x q` grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Problem {
    pub m: usize,
    pub n: usize,
    pub mb: usize,
    pub nb: usize,
    pub p: usize,
    pub q: usize,
}

/// How a class maps between local storage and the condensed buffer `T`
/// (`t_rows x t_cols`, column-major, leading dimension `t_rows`).
///
/// For a class sent, `rows` maps local rows of `A` to columns of `T` and
/// `cols` local columns of `A` to rows of `T`. For a class received, `rows`
/// maps rows of `T` to local rows of `C` and `cols` columns of `T` to local
/// columns of `C`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassMap {
    pub rows: Vec<Piece>,
    pub cols: Vec<Piece>,
    pub t_rows: usize,
    pub t_cols: usize,
}

impl ClassMap {
    /// Number of entries of `T`.
    pub fn len(&self) -> usize {
        self.t_rows * self.t_cols
    }

    /// True when the class holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Problem {
    fn lcm(&self) -> usize {
        lcm(self.p, self.q)
    }

    /// Rows of `A` over process rows.
    pub fn a_rows(&self) -> Axis {
        Axis {
            total: self.m,
            bs: self.mb,
            nprocs: self.p,
        }
    }

    /// Columns of `A` over process columns.
    pub fn a_cols(&self) -> Axis {
        Axis {
            total: self.n,
            bs: self.nb,
            nprocs: self.q,
        }
    }

    /// Rows of `C` over process rows.
    pub fn c_rows(&self) -> Axis {
        Axis {
            total: self.n,
            bs: self.nb,
            nprocs: self.p,
        }
    }

    /// Columns of `C` over process columns.
    pub fn c_cols(&self) -> Axis {
        Axis {
            total: self.m,
            bs: self.mb,
            nprocs: self.q,
        }
    }

    /// The class process `me` sends to `dest`.
    pub fn send(&self, me: (usize, usize), dest: (usize, usize)) -> ClassMap {
        let (p, q, l) = (self.p, self.q, self.lcm());
        let a = residue(me.0, p, dest.1, q).expect("destination receives from this process");
        let b = residue(dest.0, p, me.1, q).expect("destination receives from this process");
        let rows = self.a_rows().gather(a, l);
        let cols = self.a_cols().gather(b, l);
        ClassMap {
            t_rows: extent(&cols),
            t_cols: extent(&rows),
            rows,
            cols,
        }
    }

    /// The class process `me` receives from `source`.
    pub fn receive(&self, me: (usize, usize), source: (usize, usize)) -> ClassMap {
        let (p, q, l) = (self.p, self.q, self.lcm());
        let a = residue(source.0, p, me.1, q).expect("source sends to this process");
        let b = residue(me.0, p, source.1, q).expect("source sends to this process");
        let rows = self.c_rows().scatter(b, l);
        let cols = self.c_cols().scatter(a, l);
        ClassMap {
            t_rows: extent(&rows),
            t_cols: extent(&cols),
            rows,
            cols,
        }
    }

    /// The class process `me` keeps: local rows of `A` to local columns of
    /// `C` (`rows`) and local columns of `A` to local rows of `C` (`cols`).
    pub fn keep(&self, me: (usize, usize)) -> (Vec<Piece>, Vec<Piece>) {
        let send = self.send(me, me);
        let recv = self.receive(me, me);
        (
            compose(&send.rows, &recv.cols),
            compose(&send.cols, &recv.rows),
        )
    }

    /// Local shape of `A` on `me`: (rows, columns).
    pub fn a_local(&self, me: (usize, usize)) -> (usize, usize) {
        (self.a_rows().local_len(me.0), self.a_cols().local_len(me.1))
    }

    /// Local shape of `C` on `me`: (rows, columns).
    pub fn c_local(&self, me: (usize, usize)) -> (usize, usize) {
        (self.c_rows().local_len(me.0), self.c_cols().local_len(me.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRIDS: [(usize, usize); 12] = [
        (1, 1),
        (1, 2),
        (2, 1),
        (1, 3),
        (3, 1),
        (2, 2),
        (2, 3),
        (3, 2),
        (2, 4),
        (4, 6),
        (3, 3),
        (6, 4),
    ];

    #[test]
    fn gcd_lcm_residue() {
        assert_eq!((gcd(4, 6), lcm(4, 6)), (2, 12));
        assert_eq!((gcd(1, 3), lcm(1, 3)), (1, 3));
        for (p, q) in GRIDS {
            for u in 0..p {
                for v in 0..q {
                    let x = residue(u, p, v, q);
                    assert_eq!(x.is_some(), u % gcd(p, q) == v % gcd(p, q));
                    if let Some(x) = x {
                        assert!(x < lcm(p, q) && x % p == u && x % q == v);
                    }
                }
            }
        }
    }

    /// Every step is a permutation of the grid, partners agree, each
    /// process meets every one of its lcm/p * lcm/q partners once, keeps
    /// one class, and its destinations are exactly where its blocks go.
    #[test]
    fn schedule_pairs_every_process_once() {
        for (p, q) in GRIDS {
            let l = lcm(p, q);
            let all: Vec<Vec<Step>> = (0..p * q).map(|k| schedule(p, q, k / q, k % q)).collect();
            for (k, steps) in all.iter().enumerate() {
                let me = (k / q, k % q);
                assert_eq!(steps.len(), (l / p) * (l / q));
                let mut dests: Vec<_> = steps.iter().map(|s| s.dest).collect();
                dests.sort();
                dests.dedup();
                assert_eq!(
                    dests.len(),
                    steps.len(),
                    "{p}x{q} {me:?}: a destination twice"
                );
                for (i, s) in steps.iter().enumerate() {
                    let d = &all[s.dest.0 * q + s.dest.1][i];
                    assert_eq!(d.source, me, "{p}x{q} step {i}: {me:?} -> {:?}", s.dest);
                    assert_eq!(s.dest == me, s.source == me);
                    // A block (I, J) of this process in the class goes there.
                    let a = residue(me.0, p, s.dest.1, q).unwrap();
                    let b = residue(s.dest.0, p, me.1, q).unwrap();
                    assert_eq!((b % p, a % q), s.dest);
                }
                // A process keeps a class iff its row and column agree
                // modulo gcd(p, q) (always on a square or 1-wide grid).
                let keeps = usize::from(me.0 % gcd(p, q) == me.1 % gcd(p, q));
                assert_eq!(steps.iter().filter(|s| s.dest == me).count(), keeps);
            }
        }
    }

    #[test]
    fn gather_merges_local_runs() {
        // 10 indices in blocks of 3 over 2 coordinates: blocks 0..4, block
        // 3 has length 1. Coordinate 1 holds blocks 1, 3.
        let ax = Axis {
            total: 10,
            bs: 3,
            nprocs: 2,
        };
        assert_eq!(ax.blocks(), 4);
        assert_eq!(ax.local_len(1), 4);
        assert_eq!(
            ax.gather(1, 2),
            vec![Piece {
                src: 0,
                dst: 0,
                len: 4
            }]
        );
        assert_eq!(
            ax.gather(1, 4),
            vec![Piece {
                src: 0,
                dst: 0,
                len: 3
            }]
        );
        let ax1 = Axis { nprocs: 1, ..ax };
        assert_eq!(
            ax1.gather(0, 2),
            vec![
                Piece {
                    src: 0,
                    dst: 0,
                    len: 3
                },
                Piece {
                    src: 6,
                    dst: 3,
                    len: 3
                }
            ]
        );
        assert_eq!(
            ax1.scatter(1, 2)[1],
            Piece {
                src: 3,
                dst: 9,
                len: 1
            }
        );
    }

    #[test]
    fn compose_splits_at_either_break() {
        let a = [
            Piece {
                src: 10,
                dst: 0,
                len: 4,
            },
            Piece {
                src: 20,
                dst: 4,
                len: 2,
            },
        ];
        let b = [
            Piece {
                src: 0,
                dst: 100,
                len: 1,
            },
            Piece {
                src: 1,
                dst: 200,
                len: 5,
            },
        ];
        assert_eq!(
            compose(&a, &b),
            vec![
                Piece {
                    src: 10,
                    dst: 100,
                    len: 1
                },
                Piece {
                    src: 11,
                    dst: 200,
                    len: 3
                },
                Piece {
                    src: 20,
                    dst: 203,
                    len: 2
                },
            ]
        );
    }

    /// The classes of each process partition its local A, the classes it
    /// receives partition its local C, and sender and receiver agree on
    /// the condensed shape.
    #[test]
    fn classes_partition_local_matrices() {
        for (p, q) in GRIDS {
            for (m, n, mb, nb) in [(13, 13, 2, 2), (7, 11, 3, 2), (5, 5, 8, 8), (24, 24, 2, 2)] {
                let pr = Problem { m, n, mb, nb, p, q };
                for k in 0..p * q {
                    let me = (k / q, k % q);
                    let (mp, nq) = pr.a_local(me);
                    let (np, mq) = pr.c_local(me);
                    let mut sent = 0;
                    let mut got = 0;
                    for s in schedule(p, q, me.0, me.1) {
                        let out = pr.send(me, s.dest);
                        let back = pr.receive(s.dest, me);
                        assert_eq!((out.t_rows, out.t_cols), (back.t_rows, back.t_cols));
                        sent += out.len();
                        got += pr.receive(me, s.source).len();
                    }
                    assert_eq!(sent, mp * nq, "{p}x{q} {m}x{n} {me:?}");
                    assert_eq!(got, np * mq, "{p}x{q} {m}x{n} {me:?}");
                }
            }
        }
    }
}
