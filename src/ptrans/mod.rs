//! PTRANS driver: HPCC's parallel matrix transpose test
//! (`PTRANS/pdtransdriver.c`), `C <- A^T + C` for `N x N` matrices
//! distributed block-cyclically on the input's `P x Q` grids.
//!
//! Rules followed:
//! - cases in HPCC's loop order: each grid of the input (HPL's), each
//!   matrix size, each block size (`M = N`, `MB = NB`). The sizes are the
//!   input's additional PTRANS sizes (lines 33-34) of at least `0.9486 max N
//!   / 2`, then each HPL N halved; the block sizes are the additional ones
//!   (lines 35-36), then HPL's NBs ([`HpccInput::ptrans_sizes`],
//!   [`HpccInput::ptrans_block_sizes`]). A size below 1 (HPL N = 1) is
//!   skipped with HPCC's "ILLEGAL MATRIX" lines and fails the run;
//! - each case runs 5 times, each time on a fresh random placement of the
//!   ranks on the grid: all ranks sum their `time(NULL)` (wrapping `int`
//!   sum), seed PDMATGEN's stream with it and shuffle the ranks
//!   ([`rhpcc_kernels::ptrans::gridmap`]); grid position `(i, j)` goes to
//!   the shuffled rank `umap[i Q + j]`, the ranks past `P Q` sit the run
//!   out;
//! - `A` is `rand(N, N, 100)` and `C` the transpose of `rand(N, N, 200)`,
//!   HPCC's PDMATGEN matrices bit for bit
//!   ([`rhpcc_kernels::ptrans::matgen`]);
//! - the timed region is PDTRANS alone ([`pdtrans`]): a barrier of the
//!   grid, then `MPI_Wtime` and the process's user CPU time
//!   (`getrusage`, HPL's default `HPL_ptimer_cputime`) around the
//!   transpose; the wall and CPU times are the largest over the grid;
//! - the check regenerates the expected `A^T + C` and computes pdmatcmp's
//!   `max |C - E| / max |E|` over the grid, scaled by `eps max(M, N)` with
//!   HPL's `eps = 2^-53`; a run passes when that is at most the input's
//!   threshold and not NaN;
//! - the rate is `8 M N / t / 1e9` GB/s from the wall time; a case's rate is
//!   the lowest of its 5 runs; `PTRANS_GBs` is the highest case rate, and
//!   `PTRANS_time`, `PTRANS_residual` (the unscaled quotient), `PTRANS_n`,
//!   `PTRANS_nb`, `PTRANS_nprow`, `PTRANS_npcol` come from that case, the
//!   time and residual from its *last* run, as HPCC does;
//! - the section text is pdtransdriver's ([`report`]); any failed or skipped
//!   run fails the run.
//!
//! One difference from HPCC, also printed in the section
//! ([`report::NOTES`]): messages carry exactly their blocks, where PDTRANS
//! pads each to its work buffer's size ([`pdtrans`]). The transpose is
//! single-threaded per rank, as HPCC's, whatever `--threads` says.
//!
//! PDTRANS is from the PUMMA package by J. Choi, J. Dongarra and D.
//! Walker; PTRANS's driver is by P. Luszczek (HPCC).

pub mod pdtrans;
pub mod report;

use mpi::collective::SystemOperation;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use rhpcc_kernels::ptrans::classes::Problem;
use rhpcc_kernels::ptrans::gridmap::{grid_map, seed_from_clocks};
use rhpcc_kernels::ptrans::matgen::{generate, Distribution, Form, SEED_A, SEED_C};
use rhpcc_kernels::ptrans::residual::local_maxima;
use serde::Serialize;
use serde_json::json;

use crate::config::{Config, HpccInput, TestId};
use crate::hpl::residual::EPS;
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;
use pdtrans::{Plan, Workspace};

/// Runs per case, each on a fresh placement (`grid_cnt < 5`).
pub const RUNS: usize = 5;

const TIMING_RULES: &str = "Per run: a new random placement of the ranks on the P x Q grid \
    (seed: the sum of the ranks' time(NULL)), A and C generated, MPI_Barrier of the grid, then \
    MPI_Wtime (and getrusage user CPU time) around the transpose alone; the time is the \
    maximum over the grid's ranks. GB/s = 8 N^2 / time / 1e9. 5 runs per case; a case's rate \
    is its slowest run's, PTRANS_GBs the best case's. samples: GB/s (or seconds) of every run, \
    in order.";

/// One PTRANS case: `N x N` matrices in `NB x NB` blocks on a `P x Q` grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    pub n: usize,
    pub nb: usize,
    pub p: usize,
    pub q: usize,
}

impl Case {
    fn problem(&self) -> Problem {
        Problem {
            m: self.n,
            n: self.n,
            mb: self.nb,
            nb: self.nb,
            p: self.p,
            q: self.q,
        }
    }
}

/// One of a case's runs, as every rank learns it from the grid's process
/// `(0, 0)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Seconds, the largest over the grid.
    pub wall: f64,
    pub cpu: f64,
    /// pdtransdriver's `1e-9 / wtime * m * n * sizeof(double)`.
    pub gbs: f64,
    /// `max |C - E| / max |E|`.
    pub resid0: f64,
    /// `resid0 / (eps max(M, N))`.
    pub resid: f64,
    pub passed: bool,
    /// World rank at each grid position, row-major.
    pub placement: Vec<usize>,
}

/// A case's runs, or its skip for an illegal size.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CaseOutcome {
    Ran { case: Case, runs: Vec<Run> },
    Skipped { case: Case },
}

/// The cases of the input in pdtransdriver's loop order: grids, sizes,
/// block sizes.
pub fn cases(inp: &HpccInput) -> Vec<Case> {
    let (sizes, nbs) = (inp.ptrans_sizes(), inp.ptrans_block_sizes());
    let mut v = Vec::new();
    for &(p, q) in &inp.grids {
        for &n in &sizes {
            for &nb in &nbs {
                v.push(Case { n, nb, p, q });
            }
        }
    }
    v
}

/// Bytes per rank of a case's matrices and buffers, on its largest
/// process (`MaxMem`'s count for process (0, 0) with PDTRANS's work
/// buffers).
pub fn bytes_per_rank(case: &Case) -> u64 {
    let pr = case.problem();
    let (mp, nq) = pr.a_local((0, 0));
    let (np, mq) = pr.c_local((0, 0));
    let l = rhpcc_kernels::ptrans::classes::lcm(case.p, case.q);
    let class =
        pr.a_rows().blocks().div_ceil(l) * case.nb * pr.a_cols().blocks().div_ceil(l) * case.nb;
    8 * (mp * nq + np * mq + 2 * class) as u64
}

/// This process's user CPU time in seconds (`getrusage(RUSAGE_SELF)`'s
/// `ru_utime`, as `HPL_ptimer_cputime`).
fn cpu_time() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it gets.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) } == 0;
    if !ok {
        return -1.0;
    }
    // SAFETY: initialized by the successful call (and zeroed before).
    let ru = unsafe { ru.assume_init() };
    ru.ru_utime.tv_sec as f64 + ru.ru_utime.tv_usec as f64 / 1e6
}

/// `(int)time(NULL)`.
fn c_time() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64 as i32)
}

/// The local matrices of one process for a case, kept across its runs.
/// `a` holds `A` and, after the transpose, the expected `C` (as
/// pdtransdriver reuses `A`'s storage), so it is long enough for either.
struct Local {
    a: Vec<f64>,
    c: Vec<f64>,
}

impl Local {
    /// Storage for any position of the grid: process (0, 0) holds the
    /// most rows and columns (`MaxMem` sizes for it too).
    fn new(pr: &Problem) -> Local {
        let ((mp, nq), (np, mq)) = (pr.a_local((0, 0)), pr.c_local((0, 0)));
        let c_len = np.max(1) * mq.max(1);
        Local {
            a: vec![0.0; (mp.max(1) * nq.max(1)).max(c_len)],
            c: vec![0.0; c_len],
        }
    }
}

/// What the grid's process (0, 0) tells every rank after a run.
#[derive(Clone, Copy, Default)]
struct Measured {
    wall: f64,
    cpu: f64,
    resid0: f64,
    /// Doubles sent by all the grid's processes, and what PDTRANS's padded
    /// messages would have sent.
    sent: f64,
    padded: f64,
}

/// One run of a case on the grid `comm` as process `me` (collective over
/// the grid): generate, time the transpose, check.
fn run_on_grid(
    comm: &SimpleCommunicator,
    case: &Case,
    me: (usize, usize),
    local: &mut Local,
    ws: &mut Workspace,
    corrupt: bool,
) -> Measured {
    let pr = case.problem();
    let (n, nb) = (case.n, case.nb);
    let d = Distribution {
        m: n,
        n,
        mb: nb,
        nb,
        p: case.p,
        q: case.q,
        myrow: me.0,
        mycol: me.1,
    };
    let ((mp, _), (np, mq)) = (pr.a_local(me), pr.c_local(me));
    let (lda, ldc) = (mp.max(1), np.max(1));
    let Local { a, c } = local;
    generate(&d, Form::Plain, SEED_A, 0.0, a, lda);
    generate(&d, Form::Transposed, SEED_C, 0.0, c, ldc);
    let plan = Plan::new(&pr, me);
    ws.reserve(&plan);

    comm.barrier();
    let (w0, c0) = (mpi::time(), cpu_time());
    pdtrans::transpose(comm, &plan, a, lda, c, ldc, ws);
    let (w1, c1) = (mpi::time(), cpu_time());

    if corrupt && me == (0, 0) {
        // Test-only: a wrong first entry of C.
        c[0] += 1.0;
    }
    // The expected matrix, in A's storage as pdtransdriver does.
    generate(&d, Form::Transposed, SEED_C, 0.0, a, ldc);
    generate(&d, Form::Transposed, SEED_A, 1.0, a, ldc);
    let (diff, size) = local_maxima(a, ldc, c, ldc, np, mq);
    // MPI's MAX may drop a NaN; an infinite difference fails all the same.
    let diff = if diff.is_nan() { f64::INFINITY } else { diff };

    let maxima = [diff, size, w1 - w0, c1 - c0];
    let mut max = [0.0f64; 4];
    comm.all_reduce_into(&maxima[..], &mut max[..], SystemOperation::max());
    let counts = [plan.sent_doubles as f64, plan.padded_doubles as f64];
    let mut sums = [0.0f64; 2];
    comm.all_reduce_into(&counts[..], &mut sums[..], SystemOperation::sum());
    let [diff, size, wall, cpu] = max;
    Measured {
        wall,
        cpu,
        resid0: diff / size,
        sent: sums[0],
        padded: sums[1],
    }
}

/// The five runs of a case (collective over the world).
fn run_case(
    world: &World,
    case: &Case,
    threshold: f64,
    ws: &mut Workspace,
    corrupt: bool,
) -> (Vec<Run>, Measured) {
    let pr = case.problem();
    let procs = case.p * case.q;
    let mut local = None;
    let mut runs = Vec::with_capacity(RUNS);
    let mut last = Measured::default();
    for _ in 0..RUNS {
        let mut clocks = vec![0i32; world.size];
        world.comm.all_gather_into(&c_time(), &mut clocks[..]);
        let umap = grid_map(seed_from_clocks(&clocks), world.size);
        let pos = umap[..procs].iter().position(|&r| r == world.rank);
        let color = pos.map_or(Color::undefined(), |_| Color::with_value(0));
        let comm = world
            .comm
            .split_by_color_with_key(color, pos.unwrap_or(0) as i32);
        let mut m = Measured::default();
        if let (Some(k), Some(comm)) = (pos, comm) {
            let local = local.get_or_insert_with(|| Local::new(&pr));
            let me = (k / case.q, k % case.q);
            m = run_on_grid(&comm, case, me, local, ws, corrupt);
        }
        let mut buf = [m.wall, m.cpu, m.resid0, m.sent, m.padded];
        world
            .comm
            .process_at_rank(umap[0] as i32)
            .broadcast_into(&mut buf[..]);
        let [wall, cpu, resid0, sent, padded] = buf;
        last = Measured {
            wall,
            cpu,
            resid0,
            sent,
            padded,
        };
        let resid = resid0 / (EPS * case.n as f64);
        runs.push(Run {
            wall,
            cpu,
            gbs: 1e-9 / wall * case.n as f64 * case.n as f64 * 8.0,
            resid0,
            resid,
            passed: resid.is_finite() && resid <= threshold,
            placement: umap[..procs].to_vec(),
        });
    }
    (runs, last)
}

/// Run every PTRANS case of the input and build HPCC's PTRANS section.
pub fn run(world: &World, cfg: &Config) -> TestResult {
    let inp = &cfg.input;
    let threshold = inp.threshold;
    let corrupt = cfg.inject_fault == Some(TestId::Ptrans);
    let mut ws = Workspace::default();
    let mut outcomes = Vec::new();
    let mut traffic = Vec::new();
    for case in cases(inp) {
        if case.n < 1 {
            outcomes.push(CaseOutcome::Skipped { case });
            continue;
        }
        let (runs, last) = run_case(world, &case, threshold, &mut ws, corrupt);
        traffic.push(json!({
            "case": case,
            "doubles_sent_per_run": last.sent,
            "doubles_pdtrans_would_send": last.padded,
        }));
        outcomes.push(CaseOutcome::Ran { case, runs });
    }
    result(inp, &outcomes, traffic)
}

/// The section, summary keys, metrics and verdicts of a finished run.
fn result(
    inp: &HpccInput,
    outcomes: &[CaseOutcome],
    traffic: Vec<serde_json::Value>,
) -> TestResult {
    let threshold = inp.threshold;
    let mut section = report::header(&inp.ptrans_sizes(), &inp.ptrans_block_sizes(), &inp.grids);
    let (body, best, _) = report::body(outcomes);
    section.push_str(&body);

    use SummaryValue::{Int, G};
    let mut summary = vec![("PTRANS_GBs", G(best.as_ref().map_or(0.0, |b| b.gbs)))];
    if let Some(b) = &best {
        summary.extend([
            ("PTRANS_time", G(b.time)),
            ("PTRANS_residual", G(b.residual)),
            ("PTRANS_n", Int(b.n as i64)),
            ("PTRANS_nb", Int(b.nb as i64)),
            ("PTRANS_nprow", Int(b.p as i64)),
            ("PTRANS_npcol", Int(b.q as i64)),
        ]);
    }

    let mut verification = Vec::new();
    let mut rates = Vec::new();
    let mut times = Vec::new();
    for o in outcomes {
        match o {
            CaseOutcome::Skipped { case } => verification.push(Verification {
                name: format!(
                    "PTRANS N={} NB={} P={} Q={}: skipped, illegal size",
                    case.n, case.nb, case.p, case.q
                ),
                value: f64::NAN,
                threshold,
                rule: "a skipped case fails",
                passed: false,
            }),
            CaseOutcome::Ran { case, runs } => {
                for (k, r) in runs.iter().enumerate() {
                    rates.push(r.gbs);
                    times.push(r.wall);
                    verification.push(Verification {
                        name: format!(
                            "scaled residual max|C-(A^T+C0)|/max|A^T+C0|/(eps*N), N={} NB={} P={} Q={} run {}",
                            case.n,
                            case.nb,
                            case.p,
                            case.q,
                            k + 1
                        ),
                        value: r.resid,
                        threshold,
                        rule: "value <= threshold (and not NaN)",
                        passed: r.passed,
                    });
                }
            }
        }
    }
    let metrics = vec![
        Metric::new("GBs", "GB/s", best.as_ref().map_or(0.0, |b| b.gbs))
            .key("PTRANS_GBs")
            .samples(rates),
        Metric::new("time", "s", best.as_ref().map_or(f64::NAN, |b| b.time))
            .key("PTRANS_time")
            .lower_is_better()
            .samples(times),
    ];

    TestResult {
        name: "PTRANS",
        section,
        summary,
        metrics,
        verification,
        timing_rules: TIMING_RULES,
        parameters: json!({
            "sizes": inp.ptrans_sizes(),
            "block_sizes": inp.ptrans_block_sizes(),
            "grids": inp.grids,
            "runs_per_case": RUNS,
            "threshold": threshold,
            "eps": EPS,
            "cases": outcomes,
            "traffic": traffic,
            "algorithm": report::NOTES.join(" "),
        }),
    }
}
