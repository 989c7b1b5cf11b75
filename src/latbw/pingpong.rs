//! Serialized ping-pongs over a set of rank pairs, after HPCC's
//! `cross_ping_pong_set` and `cross_ping_pong_controlled`.

use mpi::collective::SystemOperation;
use mpi::topology::{Rank, SimpleCommunicator};
use mpi::traits::*;
use mpi::Tag;
use rhpcc_kernels::latbw::{self as k, PairSet};

use super::{message_buffer, reduce_to_root, CheckLog};

const PING: Tag = 100;
const PONG: Tag = 101;
const NEXT_CLIENT: Tag = 102;

/// What one pass over a pair set measured.
pub(super) struct SetResult {
    /// Reduced over ranks; meaningful on rank 0. Seconds and bytes/s.
    pub lat_min: f64,
    pub lat_avg: f64,
    pub lat_max: f64,
    pub bw_min: f64,
    pub bw_avg: f64,
    pub bw_max: f64,
    /// Pairs measured, summed over ranks (rank 0).
    pub pairs: i64,
    /// This rank's pairs as client, in execution order: the minimum over
    /// measurements of the one-way latency, seconds.
    pub local_best: Vec<f64>,
    /// The largest loop length this rank used as client or server.
    pub loop_length: i32,
    /// HPCC's details print (rank 0).
    pub text: String,
}

/// Ping-pong every pair of `set` (`measurements` times over the whole set)
/// with `msg_len`-byte messages, one pair at a time.
///
/// As in HPCC, a client receives a token from the previous client before
/// its turn and passes it on after; every rank then joins an empty
/// broadcast rooted at the last client. Each pair loop does one untimed
/// iteration and `loop_length` timed round trips; while the loop takes less
/// than `WTICK_FACTOR` ticks the client grows `loop_length` and repeats.
/// The loop length travels to the server with each try and stays with
/// both ranks for their next pairs, as HPCC's variable does.
pub(super) fn cross_ping_pong_set(
    comm: &SimpleCommunicator,
    wtick: f64,
    set: &PairSet,
    msg_len: usize,
    mut loop_length: i32,
    measurements: i32,
    log: &mut CheckLog,
) -> SetResult {
    let me = comm.rank();
    let last = msg_len - 1;
    let mut snd = message_buffer(msg_len);
    let mut rcv = message_buffer(msg_len);
    let mut empty = [0u8; 0];
    let mut max_loop = loop_length;
    let mut per_meas: Vec<Vec<f64>> = Vec::with_capacity(measurements as usize);

    for _ in 0..measurements {
        let mut row = Vec::new();
        for client in set.clients() {
            if me == client && client > set.client_low {
                comm.process_at_rank(client - set.client_stride)
                    .receive_into_with_tag(&mut empty[..], NEXT_CLIENT);
            }
            for server in set.servers().filter(|&s| set.runs(client, s)) {
                if me == client {
                    let peer = comm.process_at_rank(server);
                    let elapsed = loop {
                        peer.send_with_tag(&loop_length, PING);
                        let mut start = 0.0;
                        for i_loop in -1..loop_length {
                            if i_loop == 0 {
                                start = mpi::time();
                            }
                            let base = ((i_loop + me + 1) & 0x7f) as u8;
                            snd[0] = base;
                            snd[last] = base + 1;
                            peer.send_with_tag(&snd[..], PING);
                            peer.receive_into_with_tag(&mut rcv[..], PONG);
                            if rcv[0] != base + 13 || rcv[last] != base + 14 {
                                log.record(format!(
                                    "[{me}]: ERROR: expected {} and {} as first and last byte, but got {} and {} instead",
                                    base + 13,
                                    base + 14,
                                    rcv[0],
                                    rcv[last]
                                ));
                            }
                        }
                        let elapsed = mpi::time() - start;
                        let ok = elapsed >= k::WTICK_FACTOR * wtick;
                        if !ok {
                            loop_length = k::grow_loop_length(loop_length);
                        }
                        peer.send_with_tag(&i32::from(ok), PING);
                        if ok {
                            break elapsed;
                        }
                    };
                    max_loop = max_loop.max(loop_length);
                    row.push(elapsed / f64::from(loop_length * 2));
                }
                if me == server {
                    let peer = comm.process_at_rank(client);
                    loop {
                        peer.receive_into_with_tag(&mut loop_length, PING);
                        for _ in -1..loop_length {
                            peer.receive_into_with_tag(&mut rcv[..], PING);
                            snd[0] = rcv[0].wrapping_add(13);
                            snd[last] = rcv[last].wrapping_add(13);
                            peer.send_with_tag(&snd[..], PONG);
                        }
                        max_loop = max_loop.max(loop_length);
                        let mut ok = 0i32;
                        peer.receive_into_with_tag(&mut ok, PING);
                        if ok != 0 {
                            break;
                        }
                    }
                }
            }
            if me == client && client < set.client_high {
                comm.process_at_rank(client + set.client_stride)
                    .send_with_tag(&empty[..], NEXT_CLIENT);
            }
            comm.process_at_rank(set.client_high)
                .broadcast_into(&mut empty[..]);
        }
        per_meas.push(row);
    }

    let local_best = k::min_over_measurements(&per_meas);
    let local = k::local_pingpong(&local_best, msg_len);
    let pairs = reduce_to_root(comm, local.count, SystemOperation::sum());
    let lat_min = reduce_to_root(comm, local.lat_min, SystemOperation::min());
    let mut lat_avg = reduce_to_root(comm, local.lat_sum, SystemOperation::sum());
    let lat_max = reduce_to_root(comm, local.lat_max, SystemOperation::max());
    let bw_min = reduce_to_root(comm, local.bw_min, SystemOperation::min());
    let mut bw_avg = reduce_to_root(comm, local.bw_sum, SystemOperation::sum());
    let bw_max = reduce_to_root(comm, local.bw_max, SystemOperation::max());
    let mut text = String::new();
    if me == 0 {
        if pairs > 0 {
            lat_avg /= pairs as f64;
            bw_avg /= pairs as f64;
        }
        text = format!(
            "Message Length: {msg_len}\n\
             Latency   min / avg / max: {:10.6} / {:10.6} / {:10.6} msecs\n\
             Bandwidth min / avg / max: {:10.3} / {:10.3} / {:10.3} MByte/s\n\n",
            lat_min * 1e3,
            lat_avg * 1e3,
            lat_max * 1e3,
            bw_min / 1e6,
            bw_avg / 1e6,
            bw_max / 1e6
        );
    }
    SetResult {
        lat_min,
        lat_avg,
        lat_max,
        bw_min,
        bw_avg,
        bw_max,
        pairs,
        local_best,
        loop_length: max_loop,
        text,
    }
}

/// A ping-pong test sized to a time budget (HPCC's
/// `cross_ping_pong_controlled`).
pub(super) struct Controlled {
    /// The probe: client 0, server `size - 1`.
    pub probe: SetResult,
    /// The measured set.
    pub set: SetResult,
    /// Rank 0's estimate of the pairs that fit in the budget.
    pub max_pairs: i64,
    pub max_pings: i32,
    pub stride: Rank,
    /// Whether the probe's loop lasted at least `WTICK_FACTOR` ticks.
    pub wtime_ok: bool,
    /// HPCC's details print (rank 0).
    pub text: String,
}

/// Time the probe pair, estimate from its latency how many pairs fit in
/// `max_time` seconds, choose the stride, and ping-pong every strided pair.
pub(super) fn cross_ping_pong_controlled(
    comm: &SimpleCommunicator,
    wtick: f64,
    max_time: f64,
    msg_len: usize,
    loop_length: i32,
    measurements: i32,
    log: &mut CheckLog,
) -> Controlled {
    let size = comm.size();
    let probe = cross_ping_pong_set(
        comm,
        wtick,
        &PairSet::probe(size),
        msg_len,
        loop_length,
        measurements,
        log,
    );
    let mut text = probe.text.clone();
    let (mut max_pairs, mut max_pings, mut stride, mut wtime_ok) = (0i64, 0i32, 0 as Rank, false);
    if comm.rank() == 0 {
        let lat_msg = probe.lat_avg;
        (max_pairs, wtime_ok) = k::max_pairs(max_time, lat_msg, loop_length, measurements, wtick);
        (max_pings, stride) = k::pingpong_stride(size, max_pairs);
        text.push_str(if wtime_ok {
            "MPI_Wtime granularity is ok.\n"
        } else {
            "Use MPI_Wtick for estimation of max pairs\n"
        });
        text.push_str(&format!(
            "message size:                         {msg_len:10}\n\
             max time :                            {max_time:10.6} secs\n\
             latency for msg:                      {:10.6} msecs\n\
             estimation for ping pong:             {:10.6} msecs\n\
             max number of ping pong pairs       = {:10.0}\n\
             max client pings = max server pongs = {max_pings:10}\n\
             stride for latency                  = {stride:10}\n",
            lat_msg * 1e3,
            lat_msg * 2.0 * f64::from(loop_length + 1) * f64::from(measurements) * 1e3,
            max_pairs as f64,
        ));
    }
    comm.process_at_rank(0).broadcast_into(&mut stride);
    let set = cross_ping_pong_set(
        comm,
        wtick,
        &PairSet::strided(size, stride),
        msg_len,
        loop_length,
        measurements,
        log,
    );
    text.push_str(&set.text);
    Controlled {
        probe,
        set,
        max_pairs,
        max_pings,
        stride,
        wtime_ok,
        text,
    }
}
