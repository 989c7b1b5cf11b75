//! Latency and bandwidth: HPCC's b_eff-derived "Latency-Bandwidth-Benchmark
//! R1.5.1" (`bench_lat_bw_1.5.2.c`, `main_bench_lat_bw`).
//!
//! Rules followed, as HPCC:
//! - the clock tick is `MPI_Wtick` (absolute value, MAX over ranks) clamped
//!   to [1e-6, 0.01] s; a timed loop must last 10 ticks, else its loop
//!   length grows (1 to 2, otherwise x1.5) and it runs again;
//! - ping-pong, 8-byte messages (loop length 8, 5 measurements, budget
//!   10 s) and 2,000,000-byte messages (loop length 1, 2 measurements,
//!   budget 30 s): the pair (0, size-1) is timed first; from its latency
//!   rank 0 estimates the pairs that fit in the budget, takes
//!   `max_pings = max(5, sqrt(pairs))` and a stride `size / max_pings + 0.9`
//!   (2 made 3, larger strides moved to a prime), and every ordered pair of
//!   strided ranks is then measured, one pair at a time (a token passes
//!   from client to client; idle ranks wait in a receive). Each pair loop
//!   does one untimed round trip, then `loop_length` timed ones; latency is
//!   time / (2 loop_length), the minimum over measurements is kept per
//!   pair, and min / average / max are taken over pairs, bandwidth being
//!   bytes / latency;
//! - rings, 8-byte messages (8 measurements, loop length 5, 30 random
//!   rings) and 2,000,000-byte messages (3 measurements, loop length 2, 10
//!   random rings): the naturally ordered ring and the random rings (built
//!   on rank 0 with the C library's `rand()` seeded with the time, re-seeded
//!   at every measurement, broadcast), each rank sending to both neighbours,
//!   once with two `MPI_Sendrecv` and once with `MPI_Irecv`/`MPI_Isend`/
//!   `MPI_Waitall`, the faster kept; MAX over ranks, MIN over measurements,
//!   geometric mean over random rings; bandwidth per process is bytes /
//!   latency;
//! - with one rank nothing runs and the summary keys keep their -1.
//!
//! HPCC has no verification here. rhpcc checks that every figure and sample
//! is finite and positive, and counts messages whose check bytes (HPCC's
//! CHECK_LEVEL 1 pattern in the first and last byte) arrived wrong.
//!
//! Differences from HPCC: the random rings use a Rust copy of glibc's
//! `rand()`, so they equal HPCC's on Linux for the same seed; where HPCC
//! can index one past the ring (`rand()` returning `RAND_MAX`) the last
//! position is used; only the first ten wrong-check-byte lines per rank are
//! printed (all are counted).

mod pingpong;
mod ring;

use mpi::collective::SystemOperation;
use mpi::datatype::Equivalence;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Tag;
use serde_json::json;

use crate::config::{Config, TestId};
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const NAME: &str = "LatencyBandwidth";
const RULE: &str = "------------------------------------------------------------------\n";
const BANNER: &str = "Latency-Bandwidth-Benchmark R1.5.1 (c) HLRS, University of Stuttgart\n\
                      Written by Rolf Rabenseifner, Gerrit Schulz, and Michael Speck, Germany\n\n";

/// Message sizes for latency and bandwidth, bytes.
const LAT_MSG: usize = 8;
const BW_MSG: usize = 2_000_000;
/// Ping-pong time budgets, seconds.
const MAX_TIME_LAT: f64 = 10.0;
const MAX_TIME_BW: f64 = 30.0;
/// Ping-pong (loop length, measurements).
const PP_LAT: (i32, i32) = (8, 5);
const PP_BW: (i32, i32) = (1, 2);
/// Rings (measurements, loop length proposal, random rings).
const RING_LAT: (usize, i32, usize) = (8, 5, 30);
const RING_BW: (usize, i32, usize) = (3, 2, 10);

const SAMPLES: Tag = 300;
/// Wrong-check-byte lines kept per rank.
const MAX_LOG_LINES: usize = 10;

const TIMING_RULES: &str = "Clock tick = MAX over ranks of |MPI_Wtick| clamped to [1e-6, 0.01] s; \
    every timed loop does one untimed iteration first and must last 10 ticks, else its loop \
    length grows (1->2, else x1.5) and it reruns. Ping-pong (8 B: loop 8, 5 measurements, 10 s \
    budget; 2,000,000 B: loop 1, 2 measurements, 30 s budget): pair (0, size-1) is timed to \
    estimate the pairs that fit the budget and choose the rank stride, then every ordered pair of \
    strided ranks runs, one pair at a time (token passing between clients); latency = loop time \
    / (2 loop_length), minimum over measurements per pair, then min/avg/max over pairs \
    (MPI_Reduce to rank 0); bandwidth = bytes / latency. Rings (8 B: 8 measurements, loop 5, 30 \
    random rings; 2,000,000 B: 3 measurements, loop 2, 10 random rings): natural and random \
    rings, each rank exchanging with both neighbours, timed with two MPI_Sendrecv and with \
    Irecv/Isend/Waitall (same loop length, agreed by MPI_Allreduce MAX), the faster kept; \
    latency = loop time / (2 loop_length); MAX over ranks, MIN over measurements, geometric mean \
    over random rings; bandwidth per process = bytes / latency. samples: per pair for ping-pong \
    (client-major order), per measurement for the natural ring, per ring for random rings.";

/// Messages whose check bytes arrived wrong on this rank.
#[derive(Default)]
struct CheckLog {
    count: u64,
    lines: Vec<String>,
}

impl CheckLog {
    fn record(&mut self, line: String) {
        self.count += 1;
        if self.lines.len() < MAX_LOG_LINES {
            self.lines.push(line);
        }
    }

    /// Rank 0's new lines go to the section (HPCC's output file), other
    /// ranks' to stderr, as in HPCC.
    fn flush(&mut self, rank: i32, text: &mut String) {
        for line in self.lines.drain(..) {
            if rank == 0 {
                text.push_str(&line);
                text.push('\n');
            } else {
                eprintln!("{line}");
            }
        }
    }
}

/// A message buffer with every page written. A fresh zeroed allocation is
/// backed by the kernel's shared zero page until written, and sending from
/// it reads one cached page over and over, which overstates bandwidth; HPCC
/// meets the test with a heap already used by the earlier tests.
fn message_buffer(len: usize) -> Vec<u8> {
    vec![0xa5; len]
}

/// `MPI_Reduce` of one value to rank 0; the result is meaningful there only.
fn reduce_to_root<T: Equivalence + Copy>(
    comm: &SimpleCommunicator,
    x: T,
    op: SystemOperation,
) -> T {
    let root = comm.process_at_rank(0);
    if comm.rank() == 0 {
        let mut y = x;
        root.reduce_into_root(&x, &mut y, op);
        y
    } else {
        root.reduce_into(&x, op);
        x
    }
}

/// Every rank's values concatenated in rank order, on rank 0 (empty
/// elsewhere).
fn gather_to_root(comm: &SimpleCommunicator, local: &[f64]) -> Vec<f64> {
    if comm.rank() == 0 {
        let mut all = local.to_vec();
        for r in 1..comm.size() {
            let (v, _) = comm.process_at_rank(r).receive_vec_with_tag::<f64>(SAMPLES);
            all.extend(v);
        }
        all
    } else {
        comm.process_at_rank(0).send_with_tag(local, SAMPLES);
        Vec::new()
    }
}

/// Number of figures that are not finite and > 0.
fn count_bad(values: impl IntoIterator<Item = f64>) -> usize {
    values
        .into_iter()
        .filter(|v| !(v.is_finite() && *v > 0.0))
        .count()
}

/// The ten figures HPCC reports, in its units (seconds, bytes/s).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Figures {
    lat_min: f64,
    lat_avg: f64,
    lat_max: f64,
    bw_min: f64,
    bw_avg: f64,
    bw_max: f64,
    ring_lat: f64,
    rand_lat: f64,
    ring_bw: f64,
    rand_bw: f64,
}

impl Figures {
    fn to_array(self) -> [f64; 10] {
        [
            self.lat_min,
            self.lat_avg,
            self.lat_max,
            self.bw_min,
            self.bw_avg,
            self.bw_max,
            self.ring_lat,
            self.rand_lat,
            self.ring_bw,
            self.rand_bw,
        ]
    }

    fn from_array(a: [f64; 10]) -> Self {
        Figures {
            lat_min: a[0],
            lat_avg: a[1],
            lat_max: a[2],
            bw_min: a[3],
            bw_avg: a[4],
            bw_max: a[5],
            ring_lat: a[6],
            rand_lat: a[7],
            ring_bw: a[8],
            rand_bw: a[9],
        }
    }

    /// HPCC's summary keys and conversions (usec, 1e9 bytes/s), in HPCC's
    /// order.
    fn summary(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("MaxPingPongLatency_usec", self.lat_max * 1e6),
            ("RandomlyOrderedRingLatency_usec", self.rand_lat * 1e6),
            ("MinPingPongBandwidth_GBytes", self.bw_min * 1e-9),
            ("NaturallyOrderedRingBandwidth_GBytes", self.ring_bw * 1e-9),
            ("RandomlyOrderedRingBandwidth_GBytes", self.rand_bw * 1e-9),
            ("MinPingPongLatency_usec", self.lat_min * 1e6),
            ("AvgPingPongLatency_usec", self.lat_avg * 1e6),
            ("MaxPingPongBandwidth_GBytes", self.bw_max * 1e-9),
            ("AvgPingPongBandwidth_GBytes", self.bw_avg * 1e-9),
            ("NaturallyOrderedRingLatency_usec", self.ring_lat * 1e6),
        ]
    }

    /// HPCC's closing report: major results, details, conditions.
    fn report(&self, size: usize, pairs_lat: i64, pairs_bw: i64) -> String {
        let mut t = format!("\n{RULE}{BANNER}");
        t.push_str("Major Benchmark results:\n------------------------\n\n");
        t.push_str(&format!(
            "Max Ping Pong Latency:            {:13.6} msecs\n\
             Randomly Ordered Ring Latency:    {:13.6} msecs\n\
             Min Ping Pong Bandwidth:          {:13.6} MB/s\n\
             Naturally Ordered Ring Bandwidth: {:13.6} MB/s\n\
             Randomly  Ordered Ring Bandwidth: {:13.6} MB/s\n",
            self.lat_max * 1e3,
            self.rand_lat * 1e3,
            self.bw_min / 1e6,
            self.ring_bw / 1e6,
            self.rand_bw / 1e6
        ));
        t.push_str(&format!("\n{RULE}"));
        t.push_str("\nDetailed benchmark results:\nPing Pong:\n");
        t.push_str(&format!(
            "Latency   min / avg / max: {:10.6} / {:10.6} / {:10.6} msecs\n\
             Bandwidth min / avg / max: {:10.3} / {:10.3} / {:10.3} MByte/s\n",
            self.lat_min * 1e3,
            self.lat_avg * 1e3,
            self.lat_max * 1e3,
            self.bw_min / 1e6,
            self.bw_avg / 1e6,
            self.bw_max / 1e6
        ));
        t.push_str("Ring:\n");
        t.push_str(&format!(
            "On naturally ordered ring: latency= {:13.6} msec, bandwidth= {:13.6} MB/s\n\
             On randomly  ordered ring: latency= {:13.6} msec, bandwidth= {:13.6} MB/s\n",
            self.ring_lat * 1e3,
            self.ring_bw / 1e6,
            self.rand_lat * 1e3,
            self.rand_bw / 1e6
        ));
        t.push_str(&format!("\n{RULE}"));
        t.push_str("\nBenchmark conditions:\n");
        t.push_str(&format!(
            " The latency   measurements were done with {LAT_MSG:8} bytes\n\
             \x20The bandwidth measurements were done with {BW_MSG:8} bytes\n\
             \x20The ring communication was done in both directions on {size} processes\n\
             \x20The Ping Pong measurements were done on \n\
             \x20 -  {:10.0} pairs of processes for latency benchmarking, and \n\
             \x20 -  {:10.0} pairs of processes for bandwidth benchmarking, \n\
             \x20out of {size}*({size}-1) = {:10.0} possible combinations on {size} processes.\n\
             \x20(1 MB/s = 10**6 byte/sec)\n",
            pairs_lat as f64,
            pairs_bw as f64,
            size as f64 * (size as f64 - 1.0)
        ));
        t.push_str(&format!("\n{RULE}"));
        t
    }
}

/// The result when the job has a single rank: HPCC skips the test.
fn skipped(size: usize) -> TestResult {
    TestResult {
        name: NAME,
        section: format!(
            "The latency/bandwidth test needs at least 2 MPI ranks; this job has {size}, \
             so it was skipped.\n"
        ),
        summary: Vec::new(),
        metrics: Vec::new(),
        verification: Vec::new(),
        timing_rules: TIMING_RULES,
        parameters: json!({ "ranks": size, "skipped": true, "reason": "needs at least 2 MPI ranks" }),
    }
}

/// Run HPCC's latency/bandwidth test on the world communicator.
pub fn run(world: &World, cfg: &Config) -> TestResult {
    if world.size < 2 {
        return skipped(world.size);
    }
    let comm = &world.comm;
    let me = comm.rank();
    let is_root = world.is_root();
    let mut log = CheckLog::default();
    let mut text = format!("\n{RULE}{BANNER}Details - level 2\n-----------------\n\n");

    let mut max_tick = 0.0f64;
    comm.all_reduce_into(&world.tick().abs(), &mut max_tick, SystemOperation::max());
    let wtick = max_tick.clamp(1e-6, 0.01);
    text.push_str(&format!(
        "MPI_Wtime granularity.\nMax. MPI_Wtick is {max_tick:.6} sec\n\
         wtick is set to   {wtick:.6} sec  \n\n"
    ));

    let t_total = world.time();
    let pp_lat = pingpong::cross_ping_pong_controlled(
        comm,
        wtick,
        MAX_TIME_LAT,
        LAT_MSG,
        PP_LAT.0,
        PP_LAT.1,
        &mut log,
    );
    text.push_str(&pp_lat.text);
    log.flush(me, &mut text);
    let t_pp_lat = world.time() - t_total;

    let t = world.time();
    let pp_bw = pingpong::cross_ping_pong_controlled(
        comm,
        wtick,
        MAX_TIME_BW,
        BW_MSG,
        PP_BW.0,
        PP_BW.1,
        &mut log,
    );
    text.push_str(&pp_bw.text);
    log.flush(me, &mut text);
    let t_pp_bw = world.time() - t;

    let t = world.time();
    let ring_lat = ring::ring_lat_bw_loop(
        comm, wtick, LAT_MSG, RING_LAT.0, RING_LAT.1, RING_LAT.2, &mut log,
    );
    text.push_str(&ring_lat.text);
    log.flush(me, &mut text);
    let t_ring_lat = world.time() - t;

    let t = world.time();
    let ring_bw = ring::ring_lat_bw_loop(
        comm, wtick, BW_MSG, RING_BW.0, RING_BW.1, RING_BW.2, &mut log,
    );
    text.push_str(&ring_bw.text);
    log.flush(me, &mut text);
    let t_ring_bw = world.time() - t;
    let t_total = world.time() - t_total;

    text.push_str(&format!(
        "Execution time (wall clock)      = {t_total:9.3} sec on {} processes\n \
         - for cross ping_pong latency   = {t_pp_lat:9.3} sec\n \
         - for cross ping_pong bandwidth = {t_pp_bw:9.3} sec\n \
         - for ring latency              = {t_ring_lat:9.3} sec\n \
         - for ring bandwidth            = {t_ring_bw:9.3} sec\n",
        world.size
    ));

    // Per-pair samples, gathered outside the timed parts.
    let pair_lat = gather_to_root(comm, &pp_lat.set.local_best);
    let pair_bw_lat = gather_to_root(comm, &pp_bw.set.local_best);
    let check_errors = reduce_to_root(comm, log.count, SystemOperation::sum());
    let max_pp_loop = [
        reduce_to_root(comm, pp_lat.set.loop_length, SystemOperation::max()),
        reduce_to_root(comm, pp_bw.set.loop_length, SystemOperation::max()),
    ];

    let usec = |s: &[f64]| s.iter().map(|x| x * 1e6).collect::<Vec<_>>();
    let gbs = |msg: usize, s: &[f64]| s.iter().map(|x| msg as f64 / x * 1e-9).collect::<Vec<_>>();
    let pp_lat_samples = usec(&pair_lat);
    let pp_bw_samples = gbs(BW_MSG, &pair_bw_lat);
    let nat_lat_samples = usec(&ring_lat.natural_per_meas);
    let nat_bw_samples = gbs(BW_MSG, &ring_bw.natural_per_meas);
    let rand_lat_samples = usec(&ring_lat.random_best);
    let rand_bw_samples = gbs(BW_MSG, &ring_bw.random_best);

    // Rank 0 holds the figures; every rank gets them (HPCC broadcasts the
    // summary values) so that all ranks agree on the verdict.
    let mut shared = [0.0f64; 12];
    if is_root {
        let f = Figures {
            lat_min: pp_lat.set.lat_min,
            lat_avg: pp_lat.set.lat_avg,
            lat_max: pp_lat.set.lat_max,
            bw_min: pp_bw.set.bw_min,
            bw_avg: pp_bw.set.bw_avg,
            bw_max: pp_bw.set.bw_max,
            ring_lat: ring_lat.ring_lat,
            rand_lat: ring_lat.rand_lat,
            ring_bw: ring_bw.ring_bw,
            rand_bw: ring_bw.rand_bw,
        };
        shared[..10].copy_from_slice(&f.to_array());
        let mut bad = count_bad(f.to_array())
            + count_bad(pp_lat_samples.iter().copied())
            + count_bad(pp_bw_samples.iter().copied())
            + count_bad(nat_lat_samples.iter().copied())
            + count_bad(nat_bw_samples.iter().copied())
            + count_bad(rand_lat_samples.iter().copied())
            + count_bad(rand_bw_samples.iter().copied());
        if pp_lat.set.pairs < 1 || pp_bw.set.pairs < 1 {
            bad += 1;
        }
        if cfg.inject_fault == Some(TestId::LatencyBandwidth) {
            bad += 1;
        }
        shared[10] = bad as f64;
        shared[11] = check_errors as f64;
        if check_errors > 0 {
            text.push_str(&format!(
                "{check_errors} message(s) arrived with wrong check bytes.\n"
            ));
        }
        text.push_str(&f.report(world.size, pp_lat.set.pairs, pp_bw.set.pairs));
    }
    comm.process_at_rank(0).broadcast_into(&mut shared[..]);
    let f = Figures::from_array(shared[..10].try_into().expect("ten figures"));
    let (bad, check_errors) = (shared[10], shared[11]);

    let summary: Vec<(&'static str, SummaryValue)> = f
        .summary()
        .into_iter()
        .map(|(k, v)| (k, SummaryValue::G(v)))
        .collect();
    let value = |key: &str| {
        summary
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_f64())
            .expect("summary key")
    };
    let metric = |name: &str, unit: &'static str, samples: &[f64]| {
        let key = summary
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.starts_with(name) && k[name.len()..].starts_with('_'))
            .expect("metric has a summary key");
        let m = Metric::new(name, unit, value(key))
            .key(key)
            .samples(samples.to_vec());
        if unit == "usec" {
            m.lower_is_better()
        } else {
            m
        }
    };
    let metrics = vec![
        metric("MaxPingPongLatency", "usec", &pp_lat_samples),
        metric("RandomlyOrderedRingLatency", "usec", &rand_lat_samples),
        metric("MinPingPongBandwidth", "GB/s", &pp_bw_samples),
        metric("NaturallyOrderedRingBandwidth", "GB/s", &nat_bw_samples),
        metric("RandomlyOrderedRingBandwidth", "GB/s", &rand_bw_samples),
        metric("MinPingPongLatency", "usec", &pp_lat_samples),
        metric("AvgPingPongLatency", "usec", &pp_lat_samples),
        metric("MaxPingPongBandwidth", "GB/s", &pp_bw_samples),
        metric("AvgPingPongBandwidth", "GB/s", &pp_bw_samples),
        metric("NaturallyOrderedRingLatency", "usec", &nat_lat_samples),
    ];

    let verification = vec![
        Verification {
            name: "latencies and bandwidths not finite and > 0".into(),
            value: bad,
            threshold: 0.0,
            rule: "value <= threshold; value counts the ten reported figures and every per-pair, \
                   per-measurement and per-ring sample that is not finite and > 0, plus a ping-pong \
                   that measured no pair (HPCC itself verifies nothing here)",
            passed: bad <= 0.0,
        },
        Verification {
            name: "messages with wrong check bytes".into(),
            value: check_errors,
            threshold: 0.0,
            rule: "value <= threshold; every ping-pong and ring message carries HPCC's CHECK_LEVEL 1 \
                   pattern in its first and last byte; value counts messages, over all ranks, that \
                   arrived with other bytes",
            passed: check_errors <= 0.0,
        },
    ];

    let pingpong_params = |c: &pingpong::Controlled,
                           msg: usize,
                           max_time: f64,
                           (loop_length, meas): (i32, i32),
                           max_loop: i32| {
        json!({
            "message_bytes": msg,
            "max_time_s": max_time,
            "loop_length": loop_length,
            "max_loop_length_used": max_loop,
            "measurements": meas,
            "probe_latency_s": c.probe.lat_avg,
            "wtime_granularity_ok": c.wtime_ok,
            "max_pairs_estimate": c.max_pairs,
            "max_pings": c.max_pings,
            "stride": c.stride,
            "pairs_measured": c.set.pairs,
            "possible_pairs": world.size * (world.size - 1),
        })
    };
    let ring_params =
        |r: &ring::RingResult, msg: usize, (meas, proposal, rings): (usize, i32, usize)| {
            json!({
                "message_bytes": msg,
                "measurements": meas,
                "loop_length_proposal": proposal,
                "loop_length": r.loop_length,
                "random_rings": rings,
                "srand_seed": r.seed,
            })
        };
    let parameters = json!({
        "ranks": world.size,
        "mpi_wtick_max_s": max_tick,
        "wtick_s": wtick,
        "wtick_factor": rhpcc_kernels::latbw::WTICK_FACTOR,
        "ping_pong_latency": pingpong_params(&pp_lat, LAT_MSG, MAX_TIME_LAT, PP_LAT, max_pp_loop[0]),
        "ping_pong_bandwidth": pingpong_params(&pp_bw, BW_MSG, MAX_TIME_BW, PP_BW, max_pp_loop[1]),
        "ring_latency": ring_params(&ring_lat, LAT_MSG, RING_LAT),
        "ring_bandwidth": ring_params(&ring_bw, BW_MSG, RING_BW),
        "random_ring_generator": "glibc rand() (TYPE_3 additive feedback) seeded with time(NULL) on rank 0, as HPCC on Linux",
        "wall_time_s": {
            "total": t_total,
            "ping_pong_latency": t_pp_lat,
            "ping_pong_bandwidth": t_pp_bw,
            "ring_latency": t_ring_lat,
            "ring_bandwidth": t_ring_bw,
        },
    });

    TestResult {
        name: NAME,
        section: if is_root { text } else { String::new() },
        summary,
        metrics,
        verification,
        timing_rules: TIMING_RULES,
        parameters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_converts_as_hpcc() {
        let f = Figures {
            lat_min: 0.298694e-6,
            lat_avg: 0.298792e-6,
            lat_max: 0.298889e-6,
            bw_min: 10696.703009e6,
            bw_avg: 10736.152e6,
            bw_max: 10775.601e6,
            ring_lat: 0.256667e-6,
            rand_lat: 0.269833e-6,
            ring_bw: 8204.539161e6,
            rand_bw: 8685.883676e6,
        };
        let s: Vec<(&str, String)> = f
            .summary()
            .into_iter()
            .map(|(k, v)| (k, SummaryValue::G(v).render()))
            .collect();
        assert_eq!(s[0], ("MaxPingPongLatency_usec", "0.298889".to_string()));
        assert_eq!(s[2], ("MinPingPongBandwidth_GBytes", "10.6967".to_string()));
        assert_eq!(
            s[4],
            ("RandomlyOrderedRingBandwidth_GBytes", "8.68588".to_string())
        );
        assert_eq!(
            s[9],
            ("NaturallyOrderedRingLatency_usec", "0.256667".to_string())
        );
        assert_eq!(Figures::from_array(f.to_array()), f);
    }

    #[test]
    fn report_layout_matches_hpcc() {
        let f = Figures {
            lat_min: 0.298694e-6,
            lat_avg: 0.298792e-6,
            lat_max: 0.298889e-6,
            bw_min: 10696.703009e6,
            bw_avg: 10736.152e6,
            bw_max: 10775.601e6,
            ring_lat: 0.256667e-6,
            rand_lat: 0.269833e-6,
            ring_bw: 8204.539161e6,
            rand_bw: 8685.883676e6,
        };
        let r = f.report(2, 2, 2);
        assert!(r.contains("\nMax Ping Pong Latency:                 0.000299 msecs\n"));
        assert!(r.contains("\nMin Ping Pong Bandwidth:           10696.703009 MB/s\n"));
        assert!(
            r.contains("\nLatency   min / avg / max:   0.000299 /   0.000299 /   0.000299 msecs\n")
        );
        assert!(r.contains(
            "\nBandwidth min / avg / max:  10696.703 /  10736.152 /  10775.601 MByte/s\n"
        ));
        assert!(r.contains(
            "\nOn naturally ordered ring: latency=      0.000257 msec, bandwidth=   8204.539161 MB/s\n"
        ));
        assert!(r.contains("\n The bandwidth measurements were done with  2000000 bytes\n"));
        assert!(r.contains("\n  -           2 pairs of processes for latency benchmarking, and \n"));
        assert!(
            r.contains("\n out of 2*(2-1) =          2 possible combinations on 2 processes.\n")
        );
        assert!(r.ends_with("(1 MB/s = 10**6 byte/sec)\n\n------------------------------------------------------------------\n"));
    }

    #[test]
    fn bad_figures_are_counted() {
        assert_eq!(count_bad([1.0, 2.0]), 0);
        assert_eq!(count_bad([0.0, -1.0, f64::NAN, f64::INFINITY, 1e-9]), 4);
    }

    #[test]
    fn skipped_with_one_rank() {
        let r = skipped(1);
        assert!(r.section.contains("at least 2 MPI ranks"));
        assert!(r.summary.is_empty() && r.metrics.is_empty() && r.verification.is_empty());
        assert!(r.passed());
    }
}
