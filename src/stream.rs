//! STREAM driver: HPCC's StarSTREAM (every rank at once) and SingleSTREAM
//! (one randomly chosen rank while the others wait), after HPCC's
//! `STREAM/stream.c` and `STREAM/onecpu.c`.
//!
//! Rules followed:
//! - vector size from HPCC's `HPCC_LocalVectorSize(params, 3, 8, 0)`:
//!   `HPLMaxProcMem / 8 / 3` elements per array;
//! - each kernel runs `NTIMES` = 10 times, each run between two barriers of
//!   the test's communicator; the first run is dropped;
//! - for every run and kernel the minimum time over ranks is kept
//!   (`MPI_Allreduce(MIN)`), and the best of those gives the rate,
//!   `bytes * n / t / 1e9` GB/s with STREAM's byte counts;
//! - validation: every rank computes its average absolute error per array;
//!   their mean over ranks, relative to the expected value, must be at most
//!   1e-13 for each of a, b, c.

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use rhpcc_kernels::stream as k;
use serde_json::json;

use crate::config::{Config, StreamStores, TestId};
use crate::report::{cfmt, Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const HLINE: &str = "-------------------------------------------------------------\n";

const TIMING_RULES: &str = "NTIMES=10 runs of each kernel, each between two MPI_Barrier calls \
    of the test's communicator; the first run is dropped; for each run the minimum time over \
    ranks is taken (MPI_Allreduce MIN); the rate comes from the best remaining time. \
    samples: the rate of each counted run.";

/// HPCC's `HPCC_LocalVectorSize` for `vec_cnt` vectors of `size`-byte words.
pub fn local_vector_size(hpl_max_proc_mem: u64, vec_cnt: u64, size: u64, pow2: bool) -> usize {
    const MAX_INT_BITS2: u32 = 30;
    let words = hpl_max_proc_mem / size / vec_cnt;
    let flg2 = if words == 0 {
        0
    } else {
        63 - words.leading_zeros()
    };
    if flg2 <= MAX_INT_BITS2 {
        if pow2 {
            1 << flg2
        } else {
            words as usize
        }
    } else {
        1 << MAX_INT_BITS2
    }
}

/// What one STREAM run (on one communicator) measured.
struct Outcome {
    /// GB/s of Copy, Scale, Add, Triad from the best time.
    rates: [f64; 4],
    /// Rate of every counted run, per kernel.
    samples: [Vec<f64>; 4],
    /// Mean over ranks of the average relative error of a, b, c.
    rel_err: [f64; 3],
    /// STREAM's detailed report (meaningful on the communicator's rank 0).
    text: String,
}

impl Outcome {
    fn passed(&self) -> bool {
        self.rel_err.iter().all(|e| *e <= k::EPSILON)
    }
}

/// HPCC's `checktick`: the smallest difference between 20 distinct clock
/// readings, in microseconds.
fn checktick() -> i64 {
    let mut found = [0.0f64; 20];
    for slot in found.iter_mut() {
        let t1 = mpi::time();
        let mut t2 = mpi::time();
        while t2 - t1 < 1.0e-6 {
            t2 = mpi::time();
        }
        *slot = t2;
    }
    found
        .windows(2)
        .map(|w| ((1.0e6 * (w[1] - w[0])) as i64).max(0))
        .min()
        .unwrap_or(0)
}

/// One STREAM run over `comm`, every rank with `n` elements per array.
fn run_once(
    comm: &SimpleCommunicator,
    n: usize,
    pool: &rayon::ThreadPool,
    stores: k::Stores,
    corrupt: bool,
) -> Outcome {
    let threads = pool.current_num_threads();
    let knobs = k::Knobs {
        threads,
        stores,
        simd: rhpcc_kernels::isa::active(),
    };
    // Kernels split across the pool only when it has several threads; a
    // single-threaded run calls the plain loops directly.
    let on_pool = |f: &mut (dyn FnMut() + Send)| {
        if threads > 1 {
            pool.install(f)
        } else {
            f()
        }
    };
    let t0 = mpi::time();
    let mut text = String::new();
    let mut a = vec![0.0f64; n];
    let mut b = vec![0.0f64; n];
    let mut c = vec![0.0f64; n];

    text.push_str(HLINE);
    text.push_str("This system uses 8 bytes per DOUBLE PRECISION word.\n");
    text.push_str(HLINE);
    text.push_str(&format!("Array size = {n}, Offset = 0\n"));
    text.push_str(&format!(
        "Total memory required = {:.4} GiB.\n",
        24.0 * n as f64 / (1024.0 * 1024.0 * 1024.0)
    ));
    text.push_str(&format!("Each test is run {} times.\n", k::NTIMES));
    text.push_str(" The *best* time for each kernel (excluding the first iteration)\n");
    text.push_str(" will be used to compute the reported bandwidth.\n");
    text.push_str(&format!(
        "The SCALAR value used for this run is {:.6}\n",
        k::SCALAR
    ));
    text.push_str(HLINE);
    if threads > 1 {
        text.push_str(&format!("Number of Threads requested = {threads}\n"));
        text.push_str(HLINE);
    }

    let quantum = checktick();
    if quantum >= 1 {
        text.push_str(&format!(
            "Your clock granularity/precision appears to be {quantum} microseconds.\n"
        ));
    } else {
        text.push_str("Your clock granularity appears to be less than one microsecond.\n");
    }

    // STREAM's initialization; its doubling pass of a[] doubles as the
    // timing estimate.
    k::init(&mut a, &mut b, &mut c);
    let t = mpi::time();
    on_pool(&mut || k::double(&mut a, threads));
    let t = 1.0e6 * (mpi::time() - t);
    text.push_str(&format!(
        "Each test below will take on the order of {} microseconds.\n",
        t as i64
    ));
    text.push_str(&format!(
        "   (= {} clock ticks)\n",
        t as i64 / quantum.max(1)
    ));
    text.push_str("Increase the size of the arrays if this shows that\n");
    text.push_str("you are not getting at least 20 clock ticks per test.\n");
    text.push_str(HLINE);
    text.push_str("WARNING -- The above is only a rough guideline.\n");
    text.push_str("For best results, please be sure you know the\n");
    text.push_str("precision of your system timer.\n");
    text.push_str(HLINE);
    text.push_str(&format!(
        "VERBOSE: total setup time for rank 0 = {:.6} seconds\n",
        mpi::time() - t0
    ));
    text.push_str(HLINE);

    // times[rep][kernel]
    let mut times = [[0.0f64; 4]; k::NTIMES];
    let timed = |f: &mut (dyn FnMut() + Send)| {
        comm.barrier();
        let start = mpi::time();
        on_pool(f);
        comm.barrier();
        mpi::time() - start
    };
    for t in times.iter_mut() {
        t[0] = timed(&mut || k::copy(&a, &mut c, knobs));
        t[1] = timed(&mut || k::scale(&mut b, &c, k::SCALAR, knobs));
        t[2] = timed(&mut || k::add(&a, &b, &mut c, knobs));
        t[3] = timed(&mut || k::triad(&mut a, &b, &c, k::SCALAR, knobs));
    }

    // Laid out kernel by kernel: [kernel * NTIMES + rep].
    let local: Vec<f64> = (0..4)
        .flat_map(|j| times.iter().map(move |t| t[j]))
        .collect();
    let mut global = vec![0.0f64; local.len()];
    comm.all_reduce_into(&local[..], &mut global[..], SystemOperation::min());

    let mut rates = [0.0; 4];
    let mut samples: [Vec<f64>; 4] = Default::default();
    text.push_str("Function      Rate (GB/s)   Avg time     Min time     Max time\n");
    for j in 0..4 {
        let runs = &global[j * k::NTIMES + 1..(j + 1) * k::NTIMES];
        let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = runs.iter().copied().fold(0.0, f64::max);
        let avg = runs.iter().sum::<f64>() / runs.len() as f64;
        let bytes = k::BYTES_PER_ELEMENT[j] * n as f64;
        let gbs = |t: f64| if t > 0.0 { 1e-9 * bytes / t } else { -1.0 };
        rates[j] = gbs(min);
        samples[j] = runs.iter().map(|&t| gbs(t)).collect();
        text.push_str(&format!(
            "{:<11}{:11.4}  {:11.4}  {:11.4}  {:11.4}\n",
            format!("{}:", k::NAMES[j]),
            rates[j],
            avg,
            min,
            max
        ));
    }
    text.push_str(HLINE);

    if corrupt && comm.rank() == 0 {
        a[0] += 1.0e3;
    }
    let e = k::expected(k::NTIMES);
    let local_err = k::avg_abs_errors(&a, &b, &c, e);
    let mut all = vec![0.0f64; 3 * comm.size() as usize];
    comm.all_gather_into(&local_err[..], &mut all[..]);
    let mut rel_err = [0.0; 3];
    for (j, r) in rel_err.iter_mut().enumerate() {
        let mean = all.iter().skip(j).step_by(3).sum::<f64>() / comm.size() as f64;
        *r = (mean / e[j]).abs();
    }
    let outcome = Outcome {
        rates,
        samples,
        rel_err,
        text,
    };
    let mut text = outcome.text.clone();
    if outcome.passed() {
        text.push_str(&format!(
            "Solution Validates: avg error less than {} on all three arrays\n",
            cfmt::e(k::EPSILON)
        ));
    } else {
        for (j, name) in ["a", "b", "c"].iter().enumerate() {
            if outcome.rel_err[j] > k::EPSILON {
                text.push_str(&format!(
                    "Failed Validation on array {name}[], AvgRelAbsErr > epsilon ({})\n",
                    cfmt::e(k::EPSILON)
                ));
                text.push_str(&format!(
                    "     Expected Value: {}, AvgRelAbsErr: {}\n",
                    cfmt::e(e[j]),
                    cfmt::e(outcome.rel_err[j])
                ));
            }
        }
    }
    text.push_str(HLINE);
    Outcome { text, ..outcome }
}

fn verification(rel_err: [f64; 3]) -> Vec<Verification> {
    ["a", "b", "c"]
        .iter()
        .zip(rel_err)
        .map(|(name, v)| Verification {
            name: format!("average relative error of {name}[]"),
            value: v,
            threshold: k::EPSILON,
            rule: "value <= threshold",
            passed: v <= k::EPSILON,
        })
        .collect()
}

fn metrics(prefix: &str, o: &Outcome) -> Vec<Metric> {
    (0..4)
        .map(|j| {
            Metric::new(k::NAMES[j], "GB/s", o.rates[j])
                .key(format!("{prefix}_{}", k::NAMES[j]))
                .samples(o.samples[j].clone())
        })
        .collect()
}

/// Run StarSTREAM then SingleSTREAM; returns both results.
pub fn run(world: &World, cfg: &Config) -> Vec<TestResult> {
    let n = local_vector_size(cfg.input.hpl_max_proc_mem(), 3, 8, false);
    let corrupt = cfg.inject_fault == Some(TestId::Stream);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .expect("rayon pool");
    let stores = match cfg.stream_stores {
        StreamStores::Cached => k::Stores::Cached,
        StreamStores::Streaming => k::Stores::Streaming,
        StreamStores::Auto if n >= k::STREAMING_MIN_LEN => k::Stores::Streaming,
        StreamStores::Auto => k::Stores::Cached,
    };
    let stores_text = if k::streams(stores) {
        "non-temporal (streaming) stores"
    } else {
        "ordinary stores"
    };
    let isa = rhpcc_kernels::isa::active().isa();
    let params = json!({
        "vector_size": n,
        "threads": cfg.threads,
        "ntimes": k::NTIMES,
        "stores": stores_text,
        "isa": isa.name(),
    });
    let label = format!(
        "based on a variant of the STREAM benchmark code (rhpcc, Rust; {stores_text}, {isa} kernels)\n"
    );

    // StarSTREAM: all ranks at once on the world communicator.
    let star = run_once(&world.comm, n, &pool, stores, corrupt);
    let mut body = label.clone();
    body.push_str(&star.text);
    let failed_ranks = i32::from(!star.passed());
    body.push_str(&format!("Node(s) with error {failed_ranks}\n"));
    // Every rank holds the same rates (times were reduced), so min = avg = max
    // as in HPCC.
    for j in 0..4 {
        for what in ["Minimum", "Average", "Maximum"] {
            body.push_str(&format!(
                "{what} {} GB/s {:.6}\n",
                k::NAMES[j],
                star.rates[j]
            ));
        }
    }
    let mut summary: Vec<(&'static str, SummaryValue)> = vec![
        ("STREAM_VectorSize", SummaryValue::Int(n as i64)),
        ("STREAM_Threads", SummaryValue::Int(cfg.threads as i64)),
    ];
    for (j, key) in [
        "StarSTREAM_Copy",
        "StarSTREAM_Scale",
        "StarSTREAM_Add",
        "StarSTREAM_Triad",
    ]
    .into_iter()
    .enumerate()
    {
        summary.push((key, SummaryValue::G(star.rates[j])));
    }
    let star_result = TestResult {
        name: "StarSTREAM",
        section: body,
        summary,
        metrics: metrics("StarSTREAM", &star),
        verification: verification(star.rel_err),
        timing_rules: TIMING_RULES,
        parameters: params.clone(),
    };

    // SingleSTREAM: a random rank other than 0 (unless alone) runs on
    // MPI_COMM_SELF while the others wait in the broadcast.
    let chosen = world.pick_single_rank();
    let mut buf = [0.0f64; 4 + 3 + 4 * (k::NTIMES - 1)];
    if world.rank == chosen {
        let self_comm = SimpleCommunicator::self_comm();
        let o = run_once(&self_comm, n, &pool, stores, corrupt);
        buf[..4].copy_from_slice(&o.rates);
        buf[4..7].copy_from_slice(&o.rel_err);
        for j in 0..4 {
            let at = 7 + j * (k::NTIMES - 1);
            buf[at..at + k::NTIMES - 1].copy_from_slice(&o.samples[j]);
        }
    }
    world
        .comm
        .process_at_rank(chosen as i32)
        .broadcast_into(&mut buf[..]);
    let single = Outcome {
        rates: [buf[0], buf[1], buf[2], buf[3]],
        rel_err: [buf[4], buf[5], buf[6]],
        samples: std::array::from_fn(|j| {
            let at = 7 + j * (k::NTIMES - 1);
            buf[at..at + k::NTIMES - 1].to_vec()
        }),
        text: String::new(),
    };
    let mut body = label.clone();
    body.push_str(&format!(
        "Node(s) with error {}\n",
        i32::from(!single.passed())
    ));
    body.push_str(&format!("Node selected {chosen}\n"));
    for j in 0..4 {
        body.push_str(&format!(
            "Single STREAM {} GB/s {:.6}\n",
            k::NAMES[j],
            single.rates[j]
        ));
    }
    let summary = [
        "SingleSTREAM_Copy",
        "SingleSTREAM_Scale",
        "SingleSTREAM_Add",
        "SingleSTREAM_Triad",
    ]
    .into_iter()
    .enumerate()
    .map(|(j, key)| (key, SummaryValue::G(single.rates[j])))
    .collect();
    let mut single_params = params;
    single_params["rank"] = json!(chosen);
    let single_result = TestResult {
        name: "SingleSTREAM",
        section: body,
        summary,
        metrics: metrics("SingleSTREAM", &single),
        verification: verification(single.rel_err),
        timing_rules: TIMING_RULES,
        parameters: single_params,
    };
    vec![star_result, single_result]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_size_matches_hpcc() {
        // N=1000 on 2 ranks: HPLMaxProcMem = 4,000,000 bytes -> 166666.
        assert_eq!(local_vector_size(4_000_000, 3, 8, false), 166_666);
        // N=8000 on 2 ranks.
        assert_eq!(local_vector_size(256_000_000, 3, 8, false), 10_666_666);
        assert_eq!(local_vector_size(4_000_000, 3, 8, true), 1 << 17);
        // Capped at 2^30 words.
        assert_eq!(local_vector_size(1 << 40, 1, 8, false), 1 << 30);
    }
}
