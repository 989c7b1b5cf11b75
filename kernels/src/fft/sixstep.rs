//! The transpose-based ("six-step") FFT of length `n` over `P` processes,
//! after FFTE's `pzfft1d` that HPCC's MPIFFT uses (HPCC `FFT/pzfft1d.c`):
//! three all-to-all exchanges around two batches of short FFTs.
//!
//! With `n = n1 n2`, `j = j1 + n1 j2` and `k = k2 + n2 k1`,
//!
//! ```text
//! X[k2 + n2 k1] = sum_j1 W_n1^(j1 k1) W_n^(j1 k2) sum_j2 W_n2^(j2 k2) x[j1 + n1 j2]
//! ```
//!
//! with `W_m = exp(-2 pi i / m)` (conjugated for the inverse). `P` divides
//! `n1` and `n2`; `m1 = n1 / P`, `m2 = n2 / P`. Process `r` holds the block
//! `x[r n/P .. (r+1) n/P]` of the input and the same block of the output, in
//! natural order, as HPCC requires. The steps, with the driver's exchanges
//! between them (block `s` of a send buffer goes to process `s`):
//!
//! 1. [`Plan::pack`]: the input, rows `j2` (this process's `m2` of them) of
//!    `n1` entries, is cut into `P` column blocks of `m1`;
//!    *exchange*: process `s` now holds columns `j1` of its block for every
//!    `j2`, an `n2 x m1` matrix;
//! 2. [`Plan::stage1`]: per column `j1`, the length-`n2` FFT over `j2`, the
//!    twiddle `W_n^(j1 k2)`, and the result cut into `P` blocks of `m2`
//!    values of `k2`; *exchange*: process `t` holds the `n1 x m2` matrix
//!    of all `j1` for its `k2`;
//! 3. [`Plan::stage2`]: per column `k2`, the length-`n1` FFT over `j1`
//!    (giving `k1`), cut into `P` blocks of `m1` values of `k1`;
//!    *exchange*: process `u` holds `k1` of its block for every `k2`;
//! 4. [`Plan::unpack`]: a local transpose into natural order
//!    `out[k1 n2 + k2]` (and the inverse's `1 / n`).
//!
//! Each step reads and writes the local vector once; the column FFTs run
//! on tiles of a few columns gathered into contiguous memory (FFTE's `NBLK`
//! blocking), and a tile's columns are transformed as one rustfft batch.
//! With one process, step 1 and the exchanges are the identity.
//!
//! The twiddles come from two tables of about `sqrt(n)` entries each,
//! `W^(q 2^s + r) = W^(q 2^s) W^r`, computed directly with `sin`/`cos`, so
//! the plan stays small and each twiddle has a relative error of a few
//! ulps.
//!
//! The steps take a plan with one workspace per thread; with more than one,
//! the tiles are shared out on the current rayon pool.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::Fft;
use thiserror::Error;

use super::{Complex64 as C, FftDirection};

/// Bytes of one tile of columns a workspace holds (times two: input and
/// output of the batch), chosen to stay in a core's L2 cache.
const TILE_BYTES: usize = 256 * 1024;
/// Columns per tile: at least a 64-byte cache line of complex doubles, at
/// most FFTE's `NBLK`.
const MIN_TILE_COLS: usize = 4;
const MAX_TILE_COLS: usize = 16;
/// Rows and columns of the tiles of the final transpose.
const TRANSPOSE_TILE: usize = 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ShapeError {
    #[error("FFT length {n} cannot be split as n1 x n2 with both divisible by {procs} processes")]
    NoSplit { n: usize, procs: usize },
}

/// How a length-`n` transform is split over `procs` processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub n: usize,
    pub procs: usize,
    /// Length of the second-stage FFTs (over `j1`).
    pub n1: usize,
    /// Length of the first-stage FFTs (over `j2`).
    pub n2: usize,
    pub m1: usize,
    pub m2: usize,
}

impl Shape {
    /// The split `n = n1 n2` closest to a square with `procs` dividing both
    /// factors (`n2 <= n1`). HPCC's MPIFFT sizes, `n = locN P^2` with every
    /// factor a power of two, always have one.
    pub fn new(n: usize, procs: usize) -> Result<Shape, ShapeError> {
        let no = ShapeError::NoSplit { n, procs };
        if n == 0 || procs == 0 {
            return Err(no);
        }
        let n2 = (1..=n.isqrt())
            .rev()
            .find(|&d| {
                n.is_multiple_of(d) && d.is_multiple_of(procs) && (n / d).is_multiple_of(procs)
            })
            .ok_or(no)?;
        let n1 = n / n2;
        Ok(Shape {
            n,
            procs,
            n1,
            n2,
            m1: n1 / procs,
            m2: n2 / procs,
        })
    }

    /// Entries per process, `n / P`.
    pub fn local_len(&self) -> usize {
        self.n / self.procs
    }

    /// Entries each process sends to each other in one exchange.
    pub fn block_len(&self) -> usize {
        self.m1 * self.m2
    }
}

/// `W^m = exp(sign 2 pi i m / n)` for `0 <= m < n` as `hi[m >> shift] *
/// lo[m & mask]`.
struct Twiddles {
    shift: u32,
    mask: usize,
    hi: Vec<C>,
    lo: Vec<C>,
}

impl Twiddles {
    fn new(n: usize, direction: FftDirection) -> Self {
        let sign = match direction {
            FftDirection::Forward => -1.0,
            FftDirection::Inverse => 1.0,
        };
        let w = |m: usize| C::from_polar(1.0, sign * std::f64::consts::TAU * m as f64 / n as f64);
        let bits = usize::BITS - n.saturating_sub(1).leading_zeros();
        let shift = bits.div_ceil(2);
        let lo_len = 1usize << shift;
        let hi_len = n.div_ceil(lo_len);
        Twiddles {
            shift,
            mask: lo_len - 1,
            hi: (0..hi_len).map(|q| w(q << shift)).collect(),
            lo: (0..lo_len).map(w).collect(),
        }
    }

    #[inline(always)]
    fn get(&self, m: usize) -> C {
        self.hi[m >> self.shift] * self.lo[m & self.mask]
    }
}

/// Per-thread buffers for one tile of columns.
struct Workspace {
    tile_in: Vec<C>,
    tile_out: Vec<C>,
    scratch: Vec<C>,
}

/// What the steps share, read-only.
struct Core {
    shape: Shape,
    rank: usize,
    /// Length `n2`, the first stage.
    fft2: Arc<dyn Fft<f64>>,
    /// Length `n1`, the second stage.
    fft1: Arc<dyn Fft<f64>>,
    twiddles: Twiddles,
    /// Columns per tile in stage 1 and stage 2.
    cols1: usize,
    cols2: usize,
    /// Factor applied by the final transpose (`1 / n` for the inverse).
    scale: f64,
}

/// A planned distributed transform for one process: FFT plans, twiddle
/// tables and per-thread workspaces, made once outside any timing.
pub struct Plan {
    core: Core,
    workspaces: Vec<Workspace>,
}

fn tile_cols(len: usize, cols: usize) -> usize {
    let fit = TILE_BYTES / (len * std::mem::size_of::<C>()).max(1);
    fit.clamp(MIN_TILE_COLS, MAX_TILE_COLS).min(cols.max(1))
}

/// Cut `buf`, `chunks` chunks of `rows` rows of `row_len` entries each, into
/// row blocks of `block` rows: item `b` holds rows `b block ..` of every
/// chunk, in chunk order.
fn row_blocks(
    buf: &mut [C],
    chunks: usize,
    rows: usize,
    row_len: usize,
    block: usize,
) -> Vec<Vec<&mut [C]>> {
    let mut items: Vec<Vec<&mut [C]>> = (0..rows.div_ceil(block))
        .map(|_| Vec::with_capacity(chunks))
        .collect();
    for chunk in buf.chunks_mut(rows * row_len) {
        for (b, piece) in chunk.chunks_mut(block * row_len).enumerate() {
            items[b].push(piece);
        }
    }
    items
}

/// Run `f` on every item, with one workspace per thread: in order on the
/// calling thread with one workspace, else on the current rayon pool with
/// the items dealt out in contiguous groups.
fn for_each_tile<T: Send>(
    workspaces: &mut [Workspace],
    items: Vec<T>,
    f: impl Fn(&mut Workspace, usize, T) + Sync,
) {
    if workspaces.len() <= 1 {
        let ws = &mut workspaces[0];
        for (i, item) in items.into_iter().enumerate() {
            f(ws, i, item);
        }
        return;
    }
    let per = items.len().div_ceil(workspaces.len()).max(1);
    let mut groups: Vec<Vec<(usize, T)>> = Vec::with_capacity(workspaces.len());
    let mut it = items.into_iter().enumerate().peekable();
    while it.peek().is_some() {
        groups.push(it.by_ref().take(per).collect());
    }
    workspaces
        .par_iter_mut()
        .zip(groups)
        .for_each(|(ws, group)| {
            for (i, item) in group {
                f(ws, i, item);
            }
        });
}

impl Plan {
    /// Plan the transform of `shape` for process `rank` with `threads`
    /// workspaces.
    pub fn new(shape: Shape, rank: usize, direction: FftDirection, threads: usize) -> Plan {
        assert!(
            rank < shape.procs,
            "rank {rank} of {} processes",
            shape.procs
        );
        let mut planner = super::Planner::new(crate::isa::active());
        let fft2 = planner.plan_fft(shape.n2, direction);
        let fft1 = planner.plan_fft(shape.n1, direction);
        let cols1 = tile_cols(shape.n2, shape.m1);
        let cols2 = tile_cols(shape.n1, shape.m2);
        let tile = (cols1 * shape.n2).max(cols2 * shape.n1);
        let scratch = fft1
            .get_outofplace_scratch_len()
            .max(fft2.get_outofplace_scratch_len());
        let workspaces = (0..threads.max(1))
            .map(|_| Workspace {
                tile_in: vec![C::default(); tile],
                tile_out: vec![C::default(); tile],
                scratch: vec![C::default(); scratch],
            })
            .collect();
        let scale = match direction {
            FftDirection::Forward => 1.0,
            FftDirection::Inverse => 1.0 / shape.n as f64,
        };
        Plan {
            core: Core {
                shape,
                rank,
                fft2,
                fft1,
                twiddles: Twiddles::new(shape.n, direction),
                cols1,
                cols2,
                scale,
            },
            workspaces,
        }
    }

    pub fn shape(&self) -> &Shape {
        &self.core.shape
    }

    /// Step 1: cut the local input (`m2` rows of `n1`) into the `P` send
    /// blocks of `m2 x m1`.
    pub fn pack(&self, input: &[C], send: &mut [C]) {
        let Shape { n1, m1, m2, .. } = self.core.shape;
        assert_eq!(input.len(), self.core.shape.local_len());
        assert_eq!(send.len(), self.core.shape.local_len());
        let copy = |s: usize, block: &mut [C]| {
            for (j2, row) in block.chunks_exact_mut(m1).enumerate() {
                row.copy_from_slice(&input[j2 * n1 + s * m1..][..m1]);
            }
        };
        if self.workspaces.len() > 1 {
            send.par_chunks_mut(m2 * m1)
                .enumerate()
                .for_each(|(s, b)| copy(s, b));
        } else {
            send.chunks_mut(m2 * m1)
                .enumerate()
                .for_each(|(s, b)| copy(s, b));
        }
    }

    /// Step 2: from the `n2 x m1` matrix received after step 1, the
    /// length-`n2` FFT of every column, its twiddles, cut into the `P` send
    /// blocks of `m1 x m2`.
    pub fn stage1(&mut self, recv: &[C], send: &mut [C]) {
        let core = &self.core;
        let Shape {
            n,
            procs,
            n2,
            m1,
            m2,
            ..
        } = core.shape;
        assert_eq!(recv.len(), core.shape.local_len());
        assert_eq!(send.len(), core.shape.local_len());
        let cols = core.cols1;
        let items = row_blocks(send, procs, m1, m2, cols);
        for_each_tile(&mut self.workspaces, items, |ws, b, mut outs| {
            let jb = b * cols;
            let bw = outs[0].len() / m2;
            let tile = &mut ws.tile_in[..bw * n2];
            for j2 in 0..n2 {
                let row = &recv[j2 * m1 + jb..][..bw];
                for (c, &v) in row.iter().enumerate() {
                    tile[c * n2 + j2] = v;
                }
            }
            let out = &mut ws.tile_out[..bw * n2];
            core.fft2
                .process_outofplace_with_scratch(tile, out, &mut ws.scratch);
            for (c, col) in out.chunks_exact(n2).enumerate() {
                let j1 = core.rank * m1 + jb + c;
                let mut m = 0usize;
                for (dst, src) in outs.iter_mut().zip(col.chunks_exact(m2)) {
                    for (d, &s) in dst[c * m2..][..m2].iter_mut().zip(src) {
                        *d = s * core.twiddles.get(m);
                        m += j1;
                        if m >= n {
                            m -= n;
                        }
                    }
                }
            }
        });
    }

    /// Step 3: from the `n1 x m2` matrix received after step 2, the
    /// length-`n1` FFT of every column, cut into the `P` send blocks of
    /// `m2 x m1` (rows `k2`, columns `k1`).
    pub fn stage2(&mut self, recv: &[C], send: &mut [C]) {
        let core = &self.core;
        let Shape {
            procs, n1, m1, m2, ..
        } = core.shape;
        assert_eq!(recv.len(), core.shape.local_len());
        assert_eq!(send.len(), core.shape.local_len());
        let cols = core.cols2;
        let items = row_blocks(send, procs, m2, m1, cols);
        for_each_tile(&mut self.workspaces, items, |ws, b, mut outs| {
            let kb = b * cols;
            let bw = outs[0].len() / m1;
            let tile = &mut ws.tile_in[..bw * n1];
            for j1 in 0..n1 {
                let row = &recv[j1 * m2 + kb..][..bw];
                for (c, &v) in row.iter().enumerate() {
                    tile[c * n1 + j1] = v;
                }
            }
            let out = &mut ws.tile_out[..bw * n1];
            core.fft1
                .process_outofplace_with_scratch(tile, out, &mut ws.scratch);
            for (c, col) in out.chunks_exact(n1).enumerate() {
                for (dst, src) in outs.iter_mut().zip(col.chunks_exact(m1)) {
                    dst[c * m1..][..m1].copy_from_slice(src);
                }
            }
        });
    }

    /// Step 4: the `P` blocks received after step 3 (from process `t`: rows
    /// `k2` of its block, columns `k1` of ours) transposed into the natural
    /// order `out[k1 n2 + k2]`, scaled for the inverse.
    pub fn unpack(&self, recv: &[C], output: &mut [C]) {
        let Shape { n2, m1, m2, .. } = self.core.shape;
        assert_eq!(recv.len(), self.core.shape.local_len());
        assert_eq!(output.len(), self.core.shape.local_len());
        let scale = self.core.scale;
        let rows = TRANSPOSE_TILE;
        let block = |b: usize, out: &mut [C]| {
            let k1b = b * rows;
            let bw = out.len() / n2;
            for (t, src) in recv.chunks_exact(m2 * m1).enumerate() {
                for k2b in (0..m2).step_by(TRANSPOSE_TILE) {
                    let k2e = (k2b + TRANSPOSE_TILE).min(m2);
                    for c in 0..bw {
                        let dst = &mut out[c * n2 + t * m2 + k2b..][..k2e - k2b];
                        for (i, d) in dst.iter_mut().enumerate() {
                            *d = src[(k2b + i) * m1 + k1b + c] * scale;
                        }
                    }
                }
            }
        };
        if self.workspaces.len() > 1 {
            output
                .par_chunks_mut(rows * n2)
                .enumerate()
                .for_each(|(b, o)| block(b, o));
        } else {
            output
                .chunks_mut(rows * n2)
                .enumerate()
                .for_each(|(b, o)| block(b, o));
        }
    }

    /// The whole transform on one process, `input -> output`, with no
    /// vector besides the two (`input` is left scrambled).
    pub fn transform_local(&mut self, input: &mut [C], output: &mut [C]) {
        assert_eq!(
            self.core.shape.procs, 1,
            "transform_local is for one process"
        );
        self.stage1(input, output);
        self.stage2(output, input);
        self.unpack(input, output);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{dft, max_error, test_vector};
    use super::*;

    /// Run the transform on `procs` simulated processes, exchanging blocks
    /// as `MPI_Alltoall` would.
    fn simulate(x: &[C], procs: usize, direction: FftDirection, threads: usize) -> Vec<C> {
        let shape = Shape::new(x.len(), procs).unwrap();
        let len = shape.local_len();
        let mut plans: Vec<Plan> = (0..procs)
            .map(|r| Plan::new(shape, r, direction, threads))
            .collect();
        let alltoall = |send: &[Vec<C>]| -> Vec<Vec<C>> {
            let bl = shape.block_len();
            (0..procs)
                .map(|s| {
                    (0..procs)
                        .flat_map(|r| send[r][s * bl..(s + 1) * bl].iter().copied())
                        .collect()
                })
                .collect()
        };
        let zero = || vec![C::default(); len];
        let input: Vec<Vec<C>> = x.chunks(len).map(<[C]>::to_vec).collect();
        let mut send: Vec<Vec<C>> = (0..procs).map(|_| zero()).collect();
        for r in 0..procs {
            plans[r].pack(&input[r], &mut send[r]);
        }
        let recv = alltoall(&send);
        for r in 0..procs {
            plans[r].stage1(&recv[r], &mut send[r]);
        }
        let recv = alltoall(&send);
        for r in 0..procs {
            plans[r].stage2(&recv[r], &mut send[r]);
        }
        let recv = alltoall(&send);
        let mut out = Vec::with_capacity(x.len());
        for r in 0..procs {
            let mut o = zero();
            plans[r].unpack(&recv[r], &mut o);
            out.extend(o);
        }
        out
    }

    fn check(n: usize, procs: usize, threads: usize) {
        let x = test_vector(n, (n * procs) as u64);
        for direction in [FftDirection::Forward, FftDirection::Inverse] {
            let mut want = dft(&x, direction);
            if direction == FftDirection::Inverse {
                want.iter_mut().for_each(|v| *v /= n as f64);
            }
            let got = simulate(&x, procs, direction, threads);
            let err = max_error(&got, &want);
            let tol = 1e-14 * (n as f64).sqrt() * (n as f64).log2().max(1.0);
            assert!(
                err < tol,
                "n={n} P={procs} threads={threads} {direction:?}: error {err}"
            );
        }
    }

    #[test]
    fn shape_splits_near_the_square_root_with_procs_dividing_both() {
        let s = Shape::new(1 << 10, 4).unwrap();
        assert_eq!((s.n1, s.n2, s.m1, s.m2), (32, 32, 8, 8));
        let s = Shape::new(1 << 11, 2).unwrap();
        assert_eq!((s.n1, s.n2), (64, 32));
        // HPCC's smallest MPIFFT size, locN = 1: n = P^2.
        let s = Shape::new(64, 8).unwrap();
        assert_eq!((s.n1, s.n2, s.m1, s.m2), (8, 8, 1, 1));
        assert_eq!(Shape::new(12, 1).unwrap().n2, 3);
        assert_eq!(Shape::new(7, 1).unwrap().n2, 1);
        assert_eq!(Shape::new(90, 3).unwrap().n2, 6);
        assert!(Shape::new(32, 8).is_err());
        assert!(Shape::new(18, 2).is_err());
    }

    #[test]
    fn twiddles_match_direct_evaluation() {
        for n in [1usize, 2, 7, 64, 100, 1 << 12] {
            let t = Twiddles::new(n, FftDirection::Forward);
            for m in 0..n {
                let w = C::from_polar(1.0, -std::f64::consts::TAU * m as f64 / n as f64);
                assert!((t.get(m) - w).norm() < 2e-15, "n={n} m={m}");
            }
        }
    }

    #[test]
    fn one_process_matches_the_dft() {
        for n in [1usize, 2, 8, 12, 60, 64, 256, 1024] {
            check(n, 1, 1);
        }
    }

    #[test]
    fn distributed_powers_of_two_match_the_dft() {
        for procs in [2usize, 4, 8] {
            for n in [procs * procs, 2 * procs * procs, 64 * procs * procs] {
                check(n, procs, 1);
            }
        }
    }

    #[test]
    fn distributed_other_lengths_match_the_dft() {
        check(36, 3, 1);
        check(90, 3, 1);
        check(600, 2, 1);
    }

    #[test]
    fn threads_share_the_tiles_without_changing_the_result() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| {
            check(1 << 12, 2, 3);
            check(1 << 10, 4, 2);
        });
    }

    #[test]
    fn tiles_of_several_columns_and_a_ragged_last_tile() {
        // One process, m1 = 18 columns: a tile of 16 and one of 2.
        let s = Shape::new(288, 1).unwrap();
        assert_eq!((s.n1, s.n2, s.m1), (18, 16, 18));
        assert_eq!(tile_cols(s.n2, s.m1), 16);
        check(288, 1, 1);
        // Two processes, m1 = 25 and m2 = 18: ragged tiles in both stages.
        let s = Shape::new(1800, 2).unwrap();
        assert_eq!((s.n1, s.n2, s.m1, s.m2), (50, 36, 25, 18));
        check(1800, 2, 1);
        // Long columns: the tile shrinks to the cache-line minimum.
        assert_eq!(tile_cols(1 << 16, 64), MIN_TILE_COLS);
        assert_eq!(tile_cols(1 << 16, 2), 2);
    }
}
