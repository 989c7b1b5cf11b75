//! Ring exchanges on the naturally ordered ring and on random rings, after
//! HPCC's `ring_lat_bw_loop`.

use mpi::collective::SystemOperation;
use mpi::point_to_point::send_receive_into_with_tags;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Tag;
use rhpcc_kernels::latbw::{self as k, CRand};

use super::{message_buffer, CheckLog};

const TO_RIGHT: Tag = 200;
const TO_LEFT: Tag = 201;

/// What the rings measured for one message size.
pub(super) struct RingResult {
    /// Seconds and bytes/s per process; meaningful on rank 0.
    pub ring_lat: f64,
    pub ring_bw: f64,
    pub rand_lat: f64,
    pub rand_bw: f64,
    /// Natural ring: each measurement's latency (MAX over ranks), rank 0.
    pub natural_per_meas: Vec<f64>,
    /// Each random ring's latency (MAX over ranks, MIN over measurements),
    /// rank 0.
    pub random_best: Vec<f64>,
    /// The last loop length the ranks agreed on.
    pub loop_length: i32,
    /// `srand` seed of the random rings (rank 0).
    pub seed: u32,
    /// HPCC's details print (rank 0).
    pub text: String,
}

/// Check bytes of one iteration: HPCC's CHECK_LEVEL 1 pattern.
fn base(i_loop: i32, rank: i32) -> u8 {
    ((i_loop + rank + 1) & 0x7f) as u8
}

struct Buffers {
    snd_right: Vec<u8>,
    snd_left: Vec<u8>,
    rcv_left: Vec<u8>,
    rcv_right: Vec<u8>,
}

impl Buffers {
    fn new(len: usize) -> Self {
        Buffers {
            snd_right: message_buffer(len),
            snd_left: message_buffer(len),
            rcv_left: message_buffer(len),
            rcv_right: message_buffer(len),
        }
    }

    fn stamp(&mut self, i_loop: i32, me: i32) {
        let last = self.snd_right.len() - 1;
        let b = base(i_loop, me);
        self.snd_right[0] = b;
        self.snd_right[last] = b + 1;
        self.snd_left[0] = b + 2;
        self.snd_left[last] = b + 3;
    }

    fn check(&self, i_loop: i32, me: i32, left: i32, right: i32, log: &mut CheckLog) {
        let last = self.rcv_left.len() - 1;
        let b = base(i_loop, left);
        let (f, l) = (self.rcv_left[0], self.rcv_left[last]);
        if f != b || l != b + 1 {
            log.record(format!(
                "[{me}]: ERROR: from left: expected {} and {} as first and last byte, but got {f} and {l} instead",
                b,
                b + 1
            ));
        }
        let b = base(i_loop, right);
        let (f, l) = (self.rcv_right[0], self.rcv_right[last]);
        if f != b + 2 || l != b + 3 {
            log.record(format!(
                "[{me}]: ERROR: from right: expected {} and {} as first and last byte, but got {f} and {l} instead",
                b + 2,
                b + 3
            ));
        }
    }

    /// Two `MPI_Sendrecv`: to the right (receiving from the left), then to
    /// the left (receiving from the right).
    fn sendrecv(&mut self, comm: &SimpleCommunicator, left: i32, right: i32) {
        let lp = comm.process_at_rank(left);
        let rp = comm.process_at_rank(right);
        send_receive_into_with_tags(
            &self.snd_right[..],
            &rp,
            TO_RIGHT,
            &mut self.rcv_left[..],
            &lp,
            TO_RIGHT,
        );
        send_receive_into_with_tags(
            &self.snd_left[..],
            &lp,
            TO_LEFT,
            &mut self.rcv_right[..],
            &rp,
            TO_LEFT,
        );
    }

    /// `MPI_Irecv` from left and right, `MPI_Isend` to right and left, one
    /// `MPI_Waitall`.
    fn nonblocking(&mut self, comm: &SimpleCommunicator, left: i32, right: i32) {
        let lp = comm.process_at_rank(left);
        let rp = comm.process_at_rank(right);
        mpi::request::scope(|scope| {
            let requests = [
                lp.immediate_receive_into_with_tag(scope, &mut self.rcv_left[..], TO_RIGHT),
                rp.immediate_receive_into_with_tag(scope, &mut self.rcv_right[..], TO_LEFT),
                rp.immediate_send_with_tag(scope, &self.snd_right[..], TO_RIGHT),
                lp.immediate_send_with_tag(scope, &self.snd_left[..], TO_LEFT),
            ];
            // SAFETY: the four requests are active and their buffers are
            // borrowed for the whole scope; MPI_Waitall completes them all
            // before the scope ends, so no buffer outlives its request.
            let mut raw = requests.map(|r| unsafe { r.into_raw().0 });
            unsafe {
                mpi::ffi::MPI_Waitall(
                    raw.len() as i32,
                    raw.as_mut_ptr(),
                    mpi::ffi::RSMPI_STATUSES_IGNORE,
                );
            }
        });
    }
}

/// Measure the naturally ordered ring and `rand_rings` random rings with
/// `msglen`-byte messages, `measurements` times each.
///
/// As in HPCC: rank 0 seeds `rand()` with the time once and re-seeds it at
/// every measurement, so each measurement sees the same rings; each ring is
/// broadcast from rank 0. Per ring, the `MPI_Sendrecv` loop runs first with
/// the loop length agreed by `MPI_Allreduce(MAX)`, growing until the loop
/// lasts `WTICK_FACTOR` ticks on some rank, then the non-blocking loop with
/// the same length; the faster of the two counts. Latencies are reduced
/// with MAX to rank 0, then the minimum over measurements is taken per
/// ring; the random rings are averaged geometrically.
pub(super) fn ring_lat_bw_loop(
    comm: &SimpleCommunicator,
    wtick: f64,
    msglen: usize,
    measurements: usize,
    mut proposal: i32,
    rand_rings: usize,
    log: &mut CheckLog,
) -> RingResult {
    let size = comm.size() as usize;
    let me = comm.rank();
    let root = comm.process_at_rank(0);
    let patterns = rand_rings + 1;
    let mut latencies = vec![0.0f64; measurements * patterns];
    let mut ranks = vec![0i32; size];
    let mut buf = Buffers::new(msglen);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as u32);
    let mut loop_length = proposal;
    let mut text = String::new();

    for i_meas in 0..measurements {
        let mut rng = CRand::new(seed);
        for i_pat in 0..patterns {
            if me == 0 {
                ranks = if i_pat > 0 {
                    k::random_ring(size, &mut rng)
                } else {
                    k::natural_ring(size)
                };
            }
            root.broadcast_into(&mut ranks[..]);
            let (left, right) = k::neighbours(&ranks, me);

            let (mut start, mut end);
            loop {
                comm.all_reduce_into(&proposal, &mut loop_length, SystemOperation::max());
                proposal = loop_length;
                start = 0.0;
                for i_loop in -1..loop_length {
                    if i_loop == 0 {
                        start = mpi::time();
                    }
                    buf.stamp(i_loop, me);
                    buf.sendrecv(comm, left, right);
                    buf.check(i_loop, me, left, right, log);
                }
                end = mpi::time();
                let ok = if end - start < k::WTICK_FACTOR * wtick {
                    proposal = k::grow_loop_length(proposal);
                    0i32
                } else {
                    1
                };
                let mut any_ok = 0i32;
                comm.all_reduce_into(&ok, &mut any_ok, SystemOperation::max());
                if any_ok != 0 {
                    break;
                }
            }
            let lat_sendrecv = (end - start) / f64::from(2 * loop_length);

            for i_loop in -1..loop_length {
                if i_loop == 0 {
                    start = mpi::time();
                }
                buf.stamp(i_loop, me);
                buf.nonblocking(comm, left, right);
                buf.check(i_loop, me, left, right, log);
            }
            end = mpi::time();
            let mut lat_nonblocking = (end - start) / f64::from(2 * loop_length);
            if lat_nonblocking == 0.0 {
                // HPCC's workaround for a clock too coarse for the loop.
                lat_nonblocking = wtick;
                let msg = format!(
                    "In rhpcc's ring test the loop length {loop_length} was too short for the clock; increase it.\n"
                );
                eprint!("{msg}");
                if me == 0 {
                    text.push_str(&msg);
                }
            }
            latencies[i_meas * patterns + i_pat] = if lat_sendrecv < lat_nonblocking {
                lat_sendrecv
            } else {
                lat_nonblocking
            };
        }
    }

    let mut result = RingResult {
        ring_lat: 0.0,
        ring_bw: 0.0,
        rand_lat: 0.0,
        rand_bw: 0.0,
        natural_per_meas: Vec::new(),
        random_best: Vec::new(),
        loop_length,
        seed: if me == 0 { seed } else { 0 },
        text,
    };
    if me == 0 {
        let mut max_latencies = vec![0.0f64; latencies.len()];
        root.reduce_into_root(
            &latencies[..],
            &mut max_latencies[..],
            SystemOperation::max(),
        );
        let best = k::ring_best(&max_latencies, patterns);
        let rand_lat = k::geometric_mean(&best[1..]);
        result.ring_lat = best[0];
        result.ring_bw = msglen as f64 / best[0];
        result.rand_lat = rand_lat;
        result.rand_bw = msglen as f64 / rand_lat;
        result.natural_per_meas = max_latencies.chunks(patterns).map(|c| c[0]).collect();
        result.random_best = best[1..].to_vec();
        result.text.push_str(&format!(
            "Message Size:               {msglen:13} Byte\n\
             Natural Order Latency:      {:13.6} msec\n\
             Natural Order Bandwidth:    {:13.6} MB/s\n\
             Avg Random Order Latency:   {:13.6} msec\n\
             Avg Random Order Bandwidth: {:13.6} MB/s\n\n",
            result.ring_lat * 1e3,
            result.ring_bw / 1e6,
            result.rand_lat * 1e3,
            result.rand_bw / 1e6
        ));
    } else {
        root.reduce_into(&latencies[..], SystemOperation::max());
    }
    result
}
