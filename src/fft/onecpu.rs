//! StarFFT and SingleFFT: HPCC's `TestFFT1` (`FFT/tstfft.c`) on every rank
//! at once, then on one random rank other than 0 (`FFT/onecpu.c`).

use mpi::collective::SystemOperation;
use mpi::traits::*;
use rayon::ThreadPool;
use rhpcc_kernels::fft::local::LocalFft;
use rhpcc_kernels::fft::{self as k, FftDirection};
use serde_json::json;

use super::{e9, gflops, local_size, nan_to_inf, touched};
use crate::config::{Config, TestId};
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const TIMING_RULES: &str = "One timed out-of-place forward transform per rank (MPI_Wtime \
    around it, no barrier, as HPCC's tstfft.c); the plan is made before it and timed apart as \
    Tuning; rate 5 n log2(n) / t. Star: every rank at once, min/avg/max of the ranks' rates, \
    the average reported. Single: one random rank other than 0 while the others wait.";

/// What one rank's `TestFFT1` measured.
struct Outcome {
    gflops: f64,
    max_err: f64,
    generation: f64,
    tuning: f64,
    computing: f64,
    inverse: f64,
}

impl Outcome {
    fn to_array(&self) -> [f64; 6] {
        [
            self.gflops,
            self.max_err,
            self.generation,
            self.tuning,
            self.computing,
            self.inverse,
        ]
    }

    fn from_array(a: [f64; 6]) -> Self {
        Outcome {
            gflops: a[0],
            max_err: a[1],
            generation: a[2],
            tuning: a[3],
            computing: a[4],
            inverse: a[5],
        }
    }

    /// HPCC's lines of the rank that prints (`doIO`).
    fn text(&self, n: usize) -> String {
        format!(
            "Vector size: {n}\nGeneration time: {:9.3}\nTuning: {:9.3}\nComputing: {:9.3}\n\
             Inverse FFT: {:9.3}\nmax(|x-x0|): {}\n",
            self.generation,
            self.tuning,
            self.computing,
            self.inverse,
            e9(self.max_err)
        )
    }
}

/// HPCC's `TestFFT1` on this rank.
fn test_fft(n: usize, threads: usize, pool: Option<&ThreadPool>, corrupt: bool) -> Outcome {
    let local = |f: &mut (dyn FnMut() + Send)| match pool {
        Some(p) => p.install(f),
        None => f(),
    };
    let start = mpi::time();
    let mut fwd = LocalFft::new(n, FftDirection::Forward, threads);
    let tuning = mpi::time() - start;

    let mut input = touched(n);
    let mut output = touched(n);
    let start = mpi::time();
    k::bcnrand::bcnrand(0, k::as_reals_mut(&mut input));
    let generation = mpi::time() - start;

    let start = mpi::time();
    local(&mut || fwd.process(&mut input, &mut output));
    let computing = mpi::time() - start;
    drop(fwd);

    let mut inv = LocalFft::new(n, FftDirection::Inverse, threads);
    let start = mpi::time();
    local(&mut || inv.process(&mut output, &mut input));
    let inverse = mpi::time() - start;

    if corrupt {
        input[0].re += 1.0;
    }
    k::bcnrand::bcnrand(0, k::as_reals_mut(&mut output));
    Outcome {
        gflops: gflops(n, computing),
        max_err: k::max_error(&input, &output),
        generation,
        tuning,
        computing,
        inverse,
    }
}

fn verification(max_err: f64, n: usize, threshold: f64) -> Verification {
    let value = k::scaled_error(max_err, n);
    Verification {
        name: "max|x - x0| / ln(n) / eps after the inverse of the forward transform".into(),
        value,
        threshold,
        rule: "value < threshold",
        passed: value < threshold,
    }
}

fn label(threads: usize, n: usize) -> String {
    if threads > 1 && n >= k::local::MIN_THREADED_LEN {
        format!(
            "rhpcc: FFT by {} (HPCC: FFTE's zfft1d), six-step over {threads} threads\n",
            k::API
        )
    } else {
        format!("rhpcc: FFT by {} (HPCC: FFTE's zfft1d)\n", k::API)
    }
}

/// Run StarFFT then SingleFFT.
pub(super) fn run(world: &World, cfg: &Config, pool: Option<&ThreadPool>) -> Vec<TestResult> {
    let n = local_size(cfg.input.hpl_max_proc_mem());
    let threshold = cfg.input.threshold;
    let inject = cfg.inject_fault == Some(TestId::Fft);
    let params = json!({
        "n": n,
        "threads": cfg.threads,
        "fft_api": k::API,
        "threshold": threshold,
    });

    // StarFFT.
    let mine = test_fft(n, cfg.threads, pool, inject && world.is_root());
    let mut rates = vec![0.0f64; world.size];
    world.comm.all_gather_into(&mine.gflops, &mut rates[..]);
    let mut worst = 0.0f64;
    world.comm.all_reduce_into(
        &nan_to_inf(mine.max_err),
        &mut worst,
        SystemOperation::max(),
    );
    let failed = i32::from(!verification(mine.max_err, n, threshold).passed);
    let mut failed_ranks = 0i32;
    world
        .comm
        .all_reduce_into(&failed, &mut failed_ranks, SystemOperation::sum());
    let (min, max) = rates
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    let avg = rates.iter().sum::<f64>() / rates.len() as f64;
    let mut body = mine.text(n);
    body.push_str(&format!(
        "Node(s) with error {failed_ranks}\nMinimum Gflop/s {min:.6}\nAverage Gflop/s {avg:.6}\n\
         Maximum Gflop/s {max:.6}\n"
    ));
    body.push_str(&label(cfg.threads, n));
    let star = TestResult {
        name: "StarFFT",
        section: body,
        summary: vec![
            ("FFT_N", SummaryValue::Int(n as i64)),
            ("StarFFT_Gflops", SummaryValue::G(avg)),
        ],
        metrics: vec![Metric::new("Gflops", "Gflop/s", avg)
            .key("StarFFT_Gflops")
            .samples(rates)],
        verification: vec![verification(worst, n, threshold)],
        timing_rules: TIMING_RULES,
        parameters: params.clone(),
    };

    // SingleFFT.
    let chosen = world.pick_single_rank();
    let mut buf = [0.0f64; 6];
    if world.rank == chosen {
        buf = test_fft(n, cfg.threads, pool, inject).to_array();
    }
    world
        .comm
        .process_at_rank(chosen as i32)
        .broadcast_into(&mut buf[..]);
    let o = Outcome::from_array(buf);
    let check = verification(o.max_err, n, threshold);
    // HPCC's TestFFT1 prints its lines only on rank 0.
    let mut body = if chosen == 0 {
        o.text(n)
    } else {
        String::new()
    };
    body.push_str(&format!(
        "Node(s) with error {}\nNode selected {chosen}\nSingle FFT Gflop/s {:.6}\n",
        i32::from(!check.passed),
        o.gflops
    ));
    body.push_str(&label(cfg.threads, n));
    let mut single_params = params;
    single_params["rank"] = json!(chosen);
    single_params["max_err"] = json!(o.max_err);
    let single = TestResult {
        name: "SingleFFT",
        section: body,
        summary: vec![("SingleFFT_Gflops", SummaryValue::G(o.gflops))],
        metrics: vec![Metric::new("Gflops", "Gflop/s", o.gflops)
            .key("SingleFFT_Gflops")
            .samples(vec![o.gflops])],
        verification: vec![check],
        timing_rules: TIMING_RULES,
        parameters: single_params,
    };
    vec![star, single]
}
