//! MPIRandomAccess's verification (HPCC's `verification.c` and
//! `verification_lcg.c`): every rank replays its updates, routing them to
//! their owners in rounds of `MPI_Alltoall`, and counts the words of its
//! part that do not hold their initial value.
//!
//! Each round a rank fills one bucket of [`BUCKET_SIZE`] slots per rank
//! until one bucket is full or its updates are exhausted; a bucket carries
//! a "done" flag and its fill count ahead of the updates. After a barrier
//! and the all-to-all each rank applies what it received from ranks not yet
//! done. Rounds continue until every rank has said it is done.

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use rhpcc_kernels::randomaccess::{apply, count_errors, Layout, Stream};

use super::update::Share;

/// Updates per bucket and round (`BUCKET_SIZE`).
pub const BUCKET_SIZE: usize = 1024;
const DONE: usize = 0;
const SLOT_CNT: usize = 1;
const FIRST_SLOT: usize = 2;
const STRIDE: usize = BUCKET_SIZE + FIRST_SLOT;

/// Replay this rank's `count` updates of stream `S` on `table` (undoing
/// them) and return how many words of `table` are wrong.
pub fn run<S: Stream, L: Layout>(
    comm: &SimpleCommunicator,
    table: &mut [u64],
    share: Share<L>,
    count: u64,
) -> u64 {
    let Share {
        layout,
        log_size,
        start,
        procs,
        ..
    } = share;
    let mut local = vec![0u64; procs * STRIDE];
    let mut global = vec![0u64; procs * STRIDE];
    let mut pe_done = vec![false; procs];
    let mut remaining = count;
    let mut ran = S::starts(4 * start);
    let mut all_done = false;
    while !all_done {
        if remaining > 0 {
            for bucket in local.chunks_exact_mut(STRIDE) {
                bucket[SLOT_CNT] = FIRST_SLOT as u64;
                bucket[DONE] = 0;
            }
            let mut next_slot = FIRST_SLOT;
            while next_slot != STRIDE && remaining > 0 {
                ran = S::next(ran);
                let base = layout.owner(S::index(ran, log_size)) * STRIDE;
                next_slot = local[base + SLOT_CNT] as usize;
                local[base + next_slot] = ran;
                next_slot += 1;
                local[base + SLOT_CNT] = next_slot as u64;
                remaining -= 1;
            }
        }
        if remaining == 0 {
            // Receivers ignore a bucket once its rank said it is done.
            for bucket in local.chunks_exact_mut(STRIDE) {
                bucket[DONE] = 1;
            }
        }
        comm.barrier();
        comm.all_to_all_into(&local[..], &mut global[..]);
        all_done = true;
        for (p, bucket) in global.chunks_exact(STRIDE).enumerate() {
            if !pe_done[p] {
                pe_done[p] = bucket[DONE] != 0;
                let n = (bucket[SLOT_CNT] as usize).clamp(FIRST_SLOT, STRIDE);
                apply::<S, L>(table, &bucket[FIRST_SLOT..n], log_size, layout);
                all_done &= pe_done[p];
            }
        }
    }
    count_errors(table, start)
}
