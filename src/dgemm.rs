//! DGEMM driver: HPCC's StarDGEMM (every rank at once) and SingleDGEMM (one
//! randomly chosen rank), after HPCC's `DGEMM/onecpu.c`.
//!
//! Rules followed: each rank runs HPCC's DGEMM test on its own (no
//! communication, no barrier inside the timing) with the order `n` from
//! HPCC's rule; the rate is `2 n^3 / t` of the one timed call; StarDGEMM
//! reports the minimum, average and maximum rate over ranks and
//! `StarDGEMM_Gflops` is the average; SingleDGEMM runs on a random rank
//! other than 0. Each run verifies its product with HPCC's scaled residual
//! against the HPL threshold.
//!
//! Seeds: HPCC seeds all four matrices with `time(NULL)` (usually the same
//! second for all); rhpcc uses that time plus 0, 1, 2, 3 so that A, B, C
//! and x differ, which does not change the work done.

use faer::Par;
use mpi::collective::SystemOperation;
use mpi::traits::*;
use rhpcc_kernels::dgemm as k;
use serde_json::json;

use crate::config::{Config, TestId};
use crate::report::{cfmt, Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const TIMING_RULES: &str = "One timed call of C <- alpha A B + beta C per rank (MPI_Wtime \
    around it, no barrier, as HPCC); Star: min/avg/max of the ranks' rates, the average \
    reported; Single: one random rank other than 0.";

/// What one rank's DGEMM test measured.
struct Outcome {
    gflops: f64,
    residual: f64,
}

fn run_once(n: usize, par: Par, corrupt: bool) -> Outcome {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as u32);
    let mut a = vec![0.0f64; n * n];
    let mut b = vec![0.0f64; n * n];
    let mut c = vec![0.0f64; n * n];
    let mut x = vec![0.0f64; n];
    k::dmatgen(n, n, &mut a, n, seed);
    k::dmatgen(n, n, &mut b, n, seed.wrapping_add(1));
    k::dmatgen(n, n, &mut c, n, seed.wrapping_add(2));
    k::dmatgen(n, 1, &mut x, n, seed.wrapping_add(3));
    let alpha = a[n / 2];
    let beta = b[n / 2];

    let t0 = mpi::time();
    k::gemm(alpha, &a, &b, beta, &mut c, n, par);
    let t = mpi::time() - t0;
    let gflops = if t > 0.0 {
        2.0e-9 * (n as f64).powi(3) / t
    } else {
        0.0
    };
    if corrupt {
        c[0] += 1.0;
    }

    let residual = k::scaled_residual(
        alpha,
        &a,
        &b,
        beta,
        &mut c,
        |c| k::dmatgen(n, n, c, n, seed.wrapping_add(2)),
        &x,
        n,
    );
    Outcome { gflops, residual }
}

/// HPCC's pass rule; a NaN residual fails.
fn passes(residual: f64, threshold: f64) -> bool {
    residual < threshold
}

fn verification(residual: f64, threshold: f64) -> Verification {
    Verification {
        name: "scaled residual ||alpha A (B x) + beta C0 x - C x||_oo / (||C||_oo ||x||_oo n eps)"
            .into(),
        value: residual,
        threshold,
        rule: "value < threshold",
        passed: passes(residual, threshold),
    }
}

/// Run StarDGEMM then SingleDGEMM.
pub fn run(world: &World, cfg: &Config) -> Vec<TestResult> {
    let n = k::size(cfg.input.hpl_max_proc_mem());
    let par = if cfg.threads > 1 {
        Par::rayon(cfg.threads)
    } else {
        Par::Seq
    };
    let threshold = cfg.input.threshold;
    let corrupt = cfg.inject_fault == Some(TestId::Dgemm);
    let params = json!({ "n": n, "threads": cfg.threads, "threshold": threshold });

    // StarDGEMM.
    let mine = run_once(n, par, corrupt);
    let mut rates = vec![0.0f64; world.size];
    world.comm.all_gather_into(&mine.gflops, &mut rates[..]);
    let mut worst = 0.0f64;
    world
        .comm
        .all_reduce_into(&mine.residual, &mut worst, SystemOperation::max());
    let failed = i32::from(!passes(mine.residual, threshold));
    let mut failed_ranks = 0i32;
    world
        .comm
        .all_reduce_into(&failed, &mut failed_ranks, SystemOperation::sum());
    let (min, max) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
        (lo.min(r), hi.max(r))
    });
    let avg = rates.iter().sum::<f64>() / rates.len() as f64;
    let body = format!(
        "Scaled residual: {}\nNode(s) with error {failed_ranks}\nMinimum Gflop/s {min:.6}\n\
         Average Gflop/s {avg:.6}\nMaximum Gflop/s {max:.6}\n",
        cfmt::g(worst)
    );
    let star = TestResult {
        name: "StarDGEMM",
        section: body,
        summary: vec![
            ("DGEMM_N", SummaryValue::Int(n as i64)),
            ("StarDGEMM_Gflops", SummaryValue::G(avg)),
        ],
        metrics: vec![Metric::new("Gflops", "Gflop/s", avg)
            .key("StarDGEMM_Gflops")
            .samples(rates)],
        verification: vec![verification(worst, threshold)],
        timing_rules: TIMING_RULES,
        parameters: params.clone(),
    };

    // SingleDGEMM.
    let chosen = world.pick_single_rank();
    let mut buf = [0.0f64; 2];
    if world.rank == chosen {
        let o = run_once(n, par, corrupt);
        buf = [o.gflops, o.residual];
    }
    world
        .comm
        .process_at_rank(chosen as i32)
        .broadcast_into(&mut buf[..]);
    let [gflops, residual] = buf;
    let body = format!(
        "Node(s) with error {}\nNode selected {chosen}\nSingle DGEMM Gflop/s {gflops:.6}\n",
        i32::from(!passes(residual, threshold))
    );
    let mut single_params = params;
    single_params["rank"] = json!(chosen);
    let single = TestResult {
        name: "SingleDGEMM",
        section: body,
        summary: vec![("SingleDGEMM_Gflops", SummaryValue::G(gflops))],
        metrics: vec![Metric::new("Gflops", "Gflop/s", gflops)
            .key("SingleDGEMM_Gflops")
            .samples(vec![gflops])],
        verification: vec![verification(residual, threshold)],
        timing_rules: TIMING_RULES,
        parameters: single_params,
    };
    vec![star, single]
}
