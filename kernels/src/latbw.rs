//! Pure pieces of HPCC's latency/bandwidth test (`bench_lat_bw_1.5.2.c`,
//! "Latency-Bandwidth-Benchmark R1.5.1"): the C library's `rand()` that
//! orders the random rings, the ring permutation, the ping-pong pair set,
//! its time budget and stride, the loop-length growth rule, and the
//! reductions from measurements to the reported figures.
//!
//! Nothing here talks to MPI or reads a clock; the driver in `rhpcc::latbw`
//! does.

pub use crate::crand::{CRand, RAND_MAX};

/// A timed loop must last at least this many clock ticks to count.
pub const WTICK_FACTOR: f64 = 10.0;

/// The naturally ordered ring: position `i` holds rank `i`.
pub fn natural_ring(size: usize) -> Vec<i32> {
    (0..size as i32).collect()
}

/// HPCC's random ring: rank `i` (in order) goes to position
/// `rand() / RAND_MAX * size`, or the next free one after it. HPCC can index
/// one past the end when `rand()` returns `RAND_MAX`; here that position is
/// clamped to the last one.
pub fn random_ring(size: usize, rng: &mut CRand) -> Vec<i32> {
    let rcp = 1.0 / f64::from(RAND_MAX);
    let mut ranks = vec![-1i32; size];
    for i in 0..size {
        let mut j = ((f64::from(rng.next_rand()) * rcp * size as f64) as usize).min(size - 1);
        while ranks[j] != -1 {
            j = (j + 1) % size;
        }
        ranks[j] = i as i32;
    }
    ranks
}

/// Left and right neighbours of rank `me` in ring `ranks`.
pub fn neighbours(ranks: &[i32], me: i32) -> (i32, i32) {
    let n = ranks.len();
    let i = ranks
        .iter()
        .position(|&r| r == me)
        .expect("every rank is in the ring");
    (ranks[(i + n - 1) % n], ranks[(i + 1) % n])
}

/// HPCC's growth of a loop length whose timed loop was shorter than
/// [`WTICK_FACTOR`] ticks: 1 becomes 2, otherwise times 1.5, truncated.
pub fn grow_loop_length(loop_length: i32) -> i32 {
    if loop_length == 1 {
        2
    } else {
        (f64::from(loop_length) * 1.5) as i32
    }
}

/// The set of ping-pong pairs of HPCC's `cross_ping_pong_set`: clients
/// `client_low, client_low + client_stride, ... <= client_high`, servers
/// counted down from `server_high` by `server_stride`; a pair runs when
/// `flag <= 0` and server > client, or `flag >= 0` and server < client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairSet {
    pub client_low: i32,
    pub client_high: i32,
    pub client_stride: i32,
    pub server_low: i32,
    pub server_high: i32,
    pub server_stride: i32,
    pub flag: i32,
}

impl PairSet {
    /// The set as HPCC adjusts it for `size` ranks: bounds clamped to the
    /// ranks, `client_high` lowered and `server_low` raised to whole strides.
    pub fn new(size: i32, client: (i32, i32, i32), server: (i32, i32, i32), flag: i32) -> PairSet {
        let (mut cl, mut ch, cs) = client;
        let (mut sl, mut sh, ss) = server;
        cl = cl.max(0);
        if ch >= size {
            ch = size - 1;
        }
        ch = (ch - cl) / cs * cs + cl;
        sl = sl.max(0);
        if sh >= size {
            sh = size - 1;
        }
        sl = sh - (sh - sl) / ss * ss;
        PairSet {
            client_low: cl,
            client_high: ch,
            client_stride: cs,
            server_low: sl,
            server_high: sh,
            server_stride: ss,
            flag,
        }
    }

    /// The probe pair HPCC times first: client 0, server `size - 1`.
    pub fn probe(size: i32) -> PairSet {
        PairSet::new(size, (0, 0, 1), (size - 1, size - 1, 1), 0)
    }

    /// Every client and server rank `0, stride, 2 stride, ...` (all
    /// ordered pairs when `stride` is 1).
    pub fn strided(size: i32, stride: i32) -> PairSet {
        PairSet::new(size, (0, size - 1, stride), (0, size - 1, stride), 0)
    }

    pub fn clients(&self) -> impl Iterator<Item = i32> {
        (self.client_low..=self.client_high).step_by(self.client_stride as usize)
    }

    pub fn servers(&self) -> impl Iterator<Item = i32> {
        (self.server_low..=self.server_high).step_by(self.server_stride as usize)
    }

    pub fn runs(&self, client: i32, server: i32) -> bool {
        (self.flag <= 0 && server > client) || (self.flag >= 0 && server < client)
    }

    /// All pairs `(client, server)` in execution order.
    pub fn pairs(&self) -> Vec<(i32, i32)> {
        self.clients()
            .flat_map(|c| {
                self.servers()
                    .filter(move |&s| self.runs(c, s))
                    .map(move |s| (c, s))
            })
            .collect()
    }
}

/// HPCC's estimate of how many ping-pong pairs fit in `max_time` seconds,
/// from the probe pair's latency `lat_msg`: one pair costs
/// `lat_msg * 2 * (loop_length + 1) * measurements` seconds, or
/// `WTICK_FACTOR * wtick * measurements` when a loop would be shorter than
/// that many ticks. Returns the count and whether the clock was fine enough
/// ("MPI_Wtime granularity is ok.").
pub fn max_pairs(
    max_time: f64,
    lat_msg: f64,
    loop_length: i32,
    measurements: i32,
    wtick: f64,
) -> (i64, bool) {
    let one_loop = lat_msg * 2.0 * f64::from(loop_length + 1);
    if one_loop >= WTICK_FACTOR * wtick {
        (
            (max_time / (one_loop * f64::from(measurements))) as i64,
            true,
        )
    } else {
        (
            (max_time / (WTICK_FACTOR * wtick * f64::from(measurements))) as i64,
            false,
        )
    }
}

/// HPCC's client/server stride for `size` ranks when at most `max_pairs`
/// pairs fit: `max_pings = max(5, sqrt(max_pairs))`, stride
/// `size / max_pings + 0.9` truncated, at least 1, 2 made 3, and above 3
/// raised to a prime unless that exceeds `size / 3`. Returns
/// `(max_pings, stride)`.
pub fn pingpong_stride(size: i32, max_pairs: i64) -> (i32, i32) {
    let max_pings = ((max_pairs as f64).sqrt() as i32).max(5);
    let mut stride = (f64::from(size) / f64::from(max_pings) + 0.9) as i32;
    if stride < 1 {
        stride = 1;
    }
    if stride == 2 {
        stride = 3;
    }
    if stride > 3 {
        loop {
            let composite = (2..stride).any(|i| stride % i == 0);
            if composite && stride <= size / 3 {
                stride += 1;
            } else {
                break;
            }
        }
    }
    (max_pings, stride)
}

/// Minimum over measurements for each pair: `per_meas[m][i]` is pair `i`'s
/// latency in measurement `m`.
pub fn min_over_measurements(per_meas: &[Vec<f64>]) -> Vec<f64> {
    let mut best = per_meas.first().cloned().unwrap_or_default();
    for meas in per_meas.iter().skip(1) {
        for (b, &v) in best.iter_mut().zip(meas) {
            if v < *b {
                *b = v;
            }
        }
    }
    best
}

/// One rank's ping-pong figures over the pairs it was client of, before
/// the reduction across ranks (MIN of the minima, SUM of the sums, MAX of
/// the maxima, SUM of the counts; the average is sum / count on rank 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalPingPong {
    pub lat_min: f64,
    pub lat_sum: f64,
    pub lat_max: f64,
    pub bw_min: f64,
    pub bw_sum: f64,
    pub bw_max: f64,
    pub count: i64,
}

/// HPCC's local evaluation: latency `best[i]` per pair, bandwidth
/// `msg_len / latency`; a rank with no pairs gives `1e99, 0, 0` as in HPCC.
pub fn local_pingpong(best: &[f64], msg_len: usize) -> LocalPingPong {
    let mut s = LocalPingPong {
        lat_min: 1e99,
        lat_sum: 0.0,
        lat_max: 0.0,
        bw_min: 1e99,
        bw_sum: 0.0,
        bw_max: 0.0,
        count: best.len() as i64,
    };
    for &lat in best {
        let bw = msg_len as f64 / lat;
        if lat < s.lat_min {
            s.lat_min = lat;
        }
        s.lat_sum += lat;
        if lat > s.lat_max {
            s.lat_max = lat;
        }
        if bw < s.bw_min {
            s.bw_min = bw;
        }
        s.bw_sum += bw;
        if bw > s.bw_max {
            s.bw_max = bw;
        }
    }
    s
}

/// From the ring latencies reduced with MAX over ranks, laid out
/// `[meas * patterns + pat]`, the minimum over measurements per pattern
/// (pattern 0 is the natural ring).
pub fn ring_best(max_latencies: &[f64], patterns: usize) -> Vec<f64> {
    let meas: Vec<Vec<f64>> = max_latencies
        .chunks(patterns)
        .map(<[f64]>::to_vec)
        .collect();
    min_over_measurements(&meas)
}

/// HPCC's average over random rings: the geometric mean.
pub fn geometric_mean(xs: &[f64]) -> f64 {
    let s: f64 = xs.iter().map(|x| x.ln()).sum();
    (s / xs.len() as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_rings_are_permutations_and_repeat_with_the_seed() {
        for size in [2usize, 3, 4, 7, 64] {
            let mut g = CRand::new(12345);
            let a = random_ring(size, &mut g);
            let mut sorted = a.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, natural_ring(size), "size {size}");
            let mut g2 = CRand::new(12345);
            assert_eq!(random_ring(size, &mut g2), a);
        }
    }

    #[test]
    fn random_ring_follows_hpcc_placement() {
        // srand(1), size 4: positions 1804289383/RAND_MAX*4 = 3, then
        // 846930886 -> 1, 1681692777 -> 3 (taken, wraps to 0),
        // 1714636915 -> 3 (taken) -> 0 (taken) -> 1 (taken) -> 2.
        let mut g = CRand::new(1);
        assert_eq!(random_ring(4, &mut g), vec![2, 1, 3, 0]);
    }

    #[test]
    fn random_rings_match_glibc_hpcc() {
        // Three successive rings of 7 ranks after srand(1700000000), as the
        // C code of HPCC builds them with glibc.
        let mut g = CRand::new(1_700_000_000);
        assert_eq!(random_ring(7, &mut g), vec![0, 2, 1, 3, 4, 5, 6]);
        assert_eq!(random_ring(7, &mut g), vec![3, 6, 1, 2, 5, 4, 0]);
        assert_eq!(random_ring(7, &mut g), vec![5, 6, 0, 3, 1, 2, 4]);
    }

    #[test]
    fn neighbours_wrap_around() {
        assert_eq!(neighbours(&[0, 1], 0), (1, 1));
        assert_eq!(neighbours(&[0, 1, 2], 0), (2, 1));
        assert_eq!(neighbours(&[2, 0, 3, 1], 2), (1, 0));
        assert_eq!(neighbours(&[2, 0, 3, 1], 1), (3, 2));
    }

    #[test]
    fn loop_length_growth() {
        assert_eq!(grow_loop_length(1), 2);
        assert_eq!(grow_loop_length(2), 3);
        assert_eq!(grow_loop_length(5), 7);
        assert_eq!(grow_loop_length(8), 12);
    }

    #[test]
    fn pair_sets_for_small_jobs() {
        assert_eq!(PairSet::probe(2).pairs(), vec![(0, 1)]);
        assert_eq!(PairSet::probe(4).pairs(), vec![(0, 3)]);
        assert_eq!(PairSet::strided(2, 1).pairs(), vec![(0, 1), (1, 0)]);
        assert_eq!(
            PairSet::strided(3, 1).pairs(),
            vec![(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
        );
        assert_eq!(PairSet::strided(4, 1).pairs().len(), 12);
        // HPCC's drawing: 12 ranks, stride 3: clients 0,3,6,9, servers 2,5,8,11.
        let s = PairSet::strided(12, 3);
        assert_eq!(s.clients().collect::<Vec<_>>(), vec![0, 3, 6, 9]);
        assert_eq!(s.servers().collect::<Vec<_>>(), vec![2, 5, 8, 11]);
        assert_eq!(s.pairs().len(), 16);
        // Stride 3 on 4 ranks: clients 0,3 and servers 0,3.
        assert_eq!(PairSet::strided(4, 3).pairs(), vec![(0, 3), (3, 0)]);
    }

    #[test]
    fn max_pairs_as_in_the_reference_output() {
        // 8 bytes: probe latency 0.29 us is below 10 ticks of 1 us.
        assert_eq!(max_pairs(10.0, 0.29e-6, 8, 5, 1e-6), (200_000, false));
        // 2,000,000 bytes: 0.392487 ms -> 9554 pairs, 0.104387 ms -> 35924.
        assert_eq!(max_pairs(30.0, 0.392487e-3, 1, 2, 1e-6), (9554, true));
        assert_eq!(max_pairs(30.0, 0.104387e-3, 1, 2, 1e-6), (35924, true));
    }

    #[test]
    fn stride_as_hpcc() {
        assert_eq!(pingpong_stride(2, 200_000), (447, 1));
        assert_eq!(pingpong_stride(2, 9554), (97, 1));
        assert_eq!(pingpong_stride(4, 0), (5, 1));
        // 64 ranks, 12 pings: 64/12+0.9 = 6.2 -> 6, composite -> 7 (prime).
        assert_eq!(pingpong_stride(64, 144), (12, 7));
        // 10 ranks, 5 pings: 2.9 -> 2 -> 3.
        assert_eq!(pingpong_stride(10, 4), (5, 3));
        // 24 ranks, 5 pings: 5.7 -> 5 prime.
        assert_eq!(pingpong_stride(24, 25), (5, 5));
        // 30 ranks, 5 pings: 6.9 -> 6 -> 7.
        assert_eq!(pingpong_stride(30, 1), (5, 7));
        // 20 ranks, 5 pings: 4.9 -> 4, composite and 4 <= 20 / 3 -> 5.
        assert_eq!(pingpong_stride(20, 1), (5, 5));
        // 12 ranks, 5 pings: 3.3 -> 3.
        assert_eq!(pingpong_stride(12, 1), (5, 3));
        // 16 ranks, 5 pings: 4.1 -> 4 composite, 4 <= 5 -> 5 prime.
        assert_eq!(pingpong_stride(16, 1), (5, 5));
        // 50 ranks, 5 pings: 10.9 -> 10 composite, 10 <= 16 -> 11 prime.
        assert_eq!(pingpong_stride(50, 1), (5, 11));
    }

    #[test]
    fn large_job_stride_walks_to_the_next_prime() {
        // 1000 ranks, 5 pings: 200.9 -> 200, composite, walks up to the
        // next prime 211 (all below 1000 / 3).
        assert_eq!(pingpong_stride(1000, 1), (5, 211));
    }

    #[test]
    fn pingpong_local_evaluation() {
        let per_meas = vec![vec![2.0, 4.0], vec![1.0, 5.0], vec![3.0, 4.5]];
        let best = min_over_measurements(&per_meas);
        assert_eq!(best, vec![1.0, 4.0]);
        let s = local_pingpong(&best, 8);
        assert_eq!(s.lat_min, 1.0);
        assert_eq!(s.lat_max, 4.0);
        assert_eq!(s.lat_sum, 5.0);
        assert_eq!(s.bw_min, 2.0);
        assert_eq!(s.bw_max, 8.0);
        assert_eq!(s.bw_sum, 10.0);
        assert_eq!(s.count, 2);
        let none = local_pingpong(&[], 8);
        assert_eq!((none.lat_min, none.lat_max, none.count), (1e99, 0.0, 0));
    }

    #[test]
    fn ring_reduction_and_geometric_mean() {
        // 3 measurements x (1 natural + 2 random) patterns.
        let maxl = [5.0, 8.0, 2.0, 4.0, 9.0, 3.0, 6.0, 7.0, 1.0];
        assert_eq!(ring_best(&maxl, 3), vec![4.0, 7.0, 1.0]);
        let g = geometric_mean(&[7.0, 1.0]);
        assert!((g - 7f64.sqrt()).abs() < 1e-12);
        assert!((geometric_mean(&[2.0, 8.0]) - 4.0).abs() < 1e-12);
    }
}
