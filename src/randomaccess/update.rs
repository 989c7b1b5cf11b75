//! MPIRandomAccess's timed update loop (HPCC's
//! `Power2NodesMPIRandomAccessUpdate` and `AnyNodesMPIRandomAccessUpdate`,
//! and their `_LCG` twins), generic over the stream and the layout.
//!
//! Each rank applies `count` updates of the stream from `a(4 start + 1)`,
//! `start` being its first global index. An update for a word it holds is
//! applied at once; one for another rank waits in that rank's bucket. At
//! most [`MAX_PENDING`] updates wait in all buckets together (HPCC's
//! `MAX_TOTAL_PENDING_UPDATES`, the rules' limit on look-ahead and stored
//! updates); when that many wait, the fullest bucket is sent as soon as the
//! previous send has completed. Arriving updates are applied as they come.
//! When its stream is done a rank sends what is left, then a FINISHED
//! message to every other rank, and keeps applying arriving updates until
//! every other rank has finished.
//!
//! HPCC tests for arriving messages before every generated update; rhpcc
//! tests before every [`POLL_EVERY`] generated updates (and whenever the
//! buckets are full), which keeps the same limits and moves the cost of
//! `MPI_Testany` out of the inner loop.

use mpi::topology::SimpleCommunicator;

use rhpcc_kernels::randomaccess::buckets::Buckets;
use rhpcc_kernels::randomaccess::{apply, Distribution, Layout, Stream};

use super::exchange::Exchange;

/// Most updates waiting in the buckets (`MAX_TOTAL_PENDING_UPDATES`).
pub const MAX_PENDING: usize = 1024;

/// Updates generated between two tests for arriving messages.
pub const POLL_EVERY: u64 = 16;

/// What a rank's share of the update loop needs to know.
#[derive(Clone, Copy, Debug)]
pub struct Share<L> {
    pub layout: L,
    pub log_size: u32,
    /// First global index held by this rank.
    pub start: u64,
    pub rank: usize,
    pub procs: usize,
}

impl<L: Layout> Share<L> {
    /// Rank `rank`'s share of the table distributed as `d`.
    pub fn new(layout: L, d: &Distribution, rank: usize) -> Self {
        Share {
            layout,
            log_size: d.log_size,
            start: d.start(rank as u64),
            rank,
            procs: d.procs as usize,
        }
    }
}

/// Apply this rank's `count` updates of stream `S` to `table` (this rank's
/// part of the global table), exchanging updates with the other ranks of
/// `comm`, which all call this together.
pub fn run<S: Stream, L: Layout>(
    comm: &SimpleCommunicator,
    table: &mut [u64],
    share: Share<L>,
    count: u64,
) {
    let Share {
        layout,
        log_size,
        start,
        rank,
        procs,
    } = share;
    let mut buckets = Buckets::new(procs);
    let mut ex = Exchange::new(comm);
    let mut ran = S::starts(4 * start);
    let mut done = 0u64;
    while done < count {
        ex.poll(|v| apply::<S, L>(table, v, log_size, layout));
        if buckets.pending() < MAX_PENDING {
            let stop = count.min(done + POLL_EVERY);
            while done < stop && buckets.pending() < MAX_PENDING {
                ran = S::next(ran);
                let g = S::index(ran, log_size);
                let pe = layout.owner(g);
                if pe == rank {
                    table[layout.local(g)] ^= ran;
                } else {
                    buckets.insert(pe, ran);
                }
                done += 1;
            }
        } else {
            ex.try_send(&mut buckets);
        }
    }
    while buckets.pending() > 0 {
        ex.poll(|v| apply::<S, L>(table, v, log_size, layout));
        ex.try_send(&mut buckets);
    }
    ex.finish(|v| apply::<S, L>(table, v, log_size, layout));
}
