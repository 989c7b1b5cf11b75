//! HPL driver: HPCC's HPL test (HPL 2.0 as shipped in HPCC 1.5,
//! `hpl/testing/ptest/HPL_pddriver.c` and `HPL_pdtest.c`), the solution of
//! a random dense system `A x = b` by LU factorization with row partial
//! pivoting on a `P x Q` process grid.
//!
//! Rules followed:
//! - every combination of the input's grids, Ns, NBs, DEPTHs, BCASTs,
//!   RFACTs, PFACTs, NBMINs and NDIVs is one test, in HPL's loop order
//!   (grids outermost, NDIV innermost); ranks outside a grid sit that
//!   grid out ([`crate::grid::ProcessGrid`], HPL's row- or column-major
//!   PMAP);
//! - `[A | b]` is HPL's random matrix (`HPL_pdmatgen`, seed `HPL_ISEED`,
//!   reproduced bit for bit by [`rhpcc_kernels::hpl::matgen`]), distributed
//!   2-D block-cyclically in `NB x NB` blocks ([`matrix`]);
//! - the timed region is HPL's: a barrier of the grid, then the
//!   factorization ([`lu`]) and the back substitution ([`solve`]); the time
//!   is the largest over the grid's ranks (`MPI_Wtime`, `MPI_Allreduce`
//!   MAX), and the rate `(2/3 N^3 + 3/2 N^2) / t`;
//! - the check is HPL's: regenerate `[A | b]`, compute `||A||_1`,
//!   `||A||_oo`, `||x||_1`, `||x||_oo`, `||b||_oo` and the scaled residual
//!   `||Ax-b||_oo / (eps (||A||_oo ||x||_oo + ||b||_oo) N)` with `eps =
//!   2^-53`; a test passes when it is below the input's threshold
//!   ([`residual`]); a zero pivot skips the solve and the check, which
//!   counts as a failure in HPCC;
//! - HPCC keeps the test with the highest Gflop/s (first of equals) for the
//!   `HPL_*` summary keys (`HPL_Tflops` is that rate in Tflop/s), whether it
//!   passed or not; the run fails if any test failed or was skipped;
//! - the section text is HPL's ([`report`]).
//!
//! The panel factorization is HPL's (recursive, with the input's PFACT,
//! RFACT, NBMIN and NDIV: [`rhpcc_kernels::hpl::panel`]) and the update
//! uses faer's GEMM (`Par::Seq`, or `Par::rayon(T)` with `--threads T`).
//! DEPTH 0 and 1 are HPL's algorithms ([`lu`]); BCAST 0-3 are HPL's
//! rings, posted without blocking and polled during the update ([`bcast`]);
//! SWAP 0-2 and the swapping threshold are HPL's binary exchange, spread
//! and roll, and their mix ([`swap`]).
//! Simplifications, also printed in the section ([`report::notes`]):
//! - DEPTH above 1 runs as DEPTH 1, and BCAST 4-5 (HPL's long-message
//!   broadcasts) take the routes of the rings 0-1 (printed only when the
//!   input asks for them);
//! - `L1` and `U` are kept in no-transposed form whatever the input says
//!   (this changes only memory layout);
//! - HPCC also prints HPL's parameter echo once at the top of
//!   `hpccoutf.txt`; rhpcc prints it only in the HPL section.
//!
//! HPL is by A. Petitet, R. C. Whaley, J. Dongarra and A. Cleary (University
//! of Tennessee, Innovative Computing Laboratory); this module follows its
//! algorithms and output.

pub mod bcast;
pub mod lu;
pub mod matrix;
pub mod report;
pub mod residual;
pub mod scratch;
pub mod solve;
pub mod swap;
pub mod update;

use faer::Par;
use mpi::collective::SystemOperation;
use mpi::traits::*;
use rhpcc_kernels::hpl::panel::{FactParams, Variant};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::{Bcast, Config, Fact, HpccInput, Pmap, TestId};
use crate::grid::ProcessGrid;
use crate::progress::Progress;
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;
use matrix::LocalMatrix;
use residual::Norms;

const TIMING_RULES: &str = "Per test: MPI_Barrier of the P x Q grid, then MPI_Wtime around \
    the LU factorization and the back substitution; the time is the maximum over the grid's \
    ranks; Gflop/s = (2/3 N^3 + 3/2 N^2) / time / 1e9. Every combination of the input's \
    parameters is one test; the summary keys come from the fastest. samples: Gflop/s (or \
    seconds) of every test, in HPL's order.";

/// One HPL test's parameters (an element of HPL's nested loops).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    pub n: usize,
    pub nb: usize,
    pub p: usize,
    pub q: usize,
    pub pmap: Pmap,
    pub depth: usize,
    pub bcast: Bcast,
    pub rfact: Fact,
    pub pfact: Fact,
    pub nbmin: usize,
    pub ndiv: usize,
}

impl Params {
    /// The tests on grid `p x q`, in `HPL_pddriver`'s loop order: N, NB,
    /// DEPTH, BCAST, RFACT, PFACT, NBMIN, NDIV (innermost).
    pub fn all(inp: &HpccInput, p: usize, q: usize) -> Vec<Params> {
        let mut v = Vec::new();
        for &n in &inp.ns {
            for &nb in &inp.nbs {
                for &depth in &inp.depths {
                    for &bcast in &inp.bcasts {
                        for &rfact in &inp.rfacts {
                            for &pfact in &inp.pfacts {
                                for &nbmin in &inp.nbmins {
                                    for &ndiv in &inp.ndivs {
                                        v.push(Params {
                                            n,
                                            nb,
                                            p,
                                            q,
                                            pmap: inp.pmap,
                                            depth,
                                            bcast,
                                            rfact,
                                            pfact,
                                            nbmin,
                                            ndiv,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        v
    }

    /// HPL's `T/V` code, e.g. `WR11C2R4`: wall time, mapping, depth,
    /// broadcast, RFACT, NDIV, PFACT, NBMIN.
    pub fn code(&self) -> String {
        format!(
            "W{}{}{}{}{}{}{}",
            self.order(),
            self.depth,
            self.bcast.code(),
            self.rfact.letter(),
            self.ndiv,
            self.pfact.letter(),
            self.nbmin
        )
    }

    /// `R` or `C` (`HPL_order`).
    pub fn order(&self) -> char {
        match self.pmap {
            Pmap::RowMajor => 'R',
            Pmap::ColumnMajor => 'C',
        }
    }

    fn fact_params(&self) -> FactParams {
        let v = |f: Fact| match f {
            Fact::Left => Variant::Left,
            Fact::Crout => Variant::Crout,
            Fact::Right => Variant::Right,
        };
        FactParams {
            pfact: v(self.pfact),
            rfact: v(self.rfact),
            nbmin: self.nbmin,
            ndiv: self.ndiv,
        }
    }
}

/// What one HPL test gave (`HPL_RuntimeData` plus the verdict's inputs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub params: Params,
    /// Seconds, the maximum over the grid.
    #[serde(with = "nonfinite")]
    pub time: f64,
    #[serde(with = "nonfinite")]
    pub gflops: f64,
    /// HPL's `info`: 1 + the first global column with a zero pivot.
    pub info: Option<usize>,
    /// The check; `None` when the solve was skipped.
    pub norms: Option<Norms>,
}

impl Outcome {
    /// The residual, NaN when the test was skipped.
    pub fn resid(&self) -> f64 {
        match (&self.info, &self.norms) {
            (None, Some(n)) => n.resid,
            _ => f64::NAN,
        }
    }

    /// HPL's verdict (`resid < threshold`; NaN and skipped tests fail).
    pub fn passed(&self, threshold: f64) -> bool {
        self.resid() < threshold
    }
}

/// Serde for an `f64` that may be NaN or infinite: JSON has no such
/// numbers (serde_json writes `null` and cannot read it back), so they
/// travel as the strings `"nan"`, `"inf"`, `"-inf"`.
pub mod nonfinite {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_str(&crate::report::cfmt::g(*v))
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Num(v) => v,
            Repr::Text(t) => match t.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => f64::NAN,
            },
        })
    }
}

/// One test on this rank's grid (`HPL_pdtest`); collective over the grid.
fn pdtest(
    grid: &ProcessGrid,
    v: &Params,
    inp: &HpccInput,
    par: Par,
    corrupt: bool,
    show_progress: bool,
) -> Outcome {
    let mut m = LocalMatrix::generate(v.n, v.nb, v.p, v.q, grid.myrow, grid.mycol, inp.align);
    let algo = lu::Algo {
        fact: v.fact_params(),
        bcast: v.bcast,
        depth: v.depth.min(1),
        swap: inp.swap,
        swap_threshold: inp.swap_threshold,
        par,
    };

    let mut progress = Progress::new(
        format!("HPL {} N={} NB={} {}x{}", v.code(), v.n, v.nb, v.p, v.q),
        grid.all.rank() == 0,
        show_progress,
    );
    grid.all.barrier();
    let t0 = mpi::time();
    let info = lu::factor(grid, &mut m, &algo, &mut progress);
    let x = info.is_none().then(|| solve::back_substitute(grid, &m));
    let mine = mpi::time() - t0;
    progress.finish();
    let mut time = 0.0f64;
    grid.all
        .all_reduce_into(&mine, &mut time, SystemOperation::max());
    let n = v.n as f64;
    let gflops = ((n / 1.0e9) * (n / time)) * ((2.0 / 3.0) * n + 1.5);

    let norms = x.map(|mut x| {
        if corrupt && grid.mycol == 0 && !x.is_empty() {
            // Test-only: a wrong first entry of x, on every process row.
            x[0] += 1.0;
        }
        residual::check(grid, &mut m, &x)
    });
    Outcome {
        params: *v,
        time,
        gflops,
        info,
        norms,
    }
}

/// Run every HPL test of the input and build HPCC's HPL section.
pub fn run(world: &World, cfg: &Config) -> TestResult {
    let inp = &cfg.input;
    let par = if cfg.threads > 1 {
        Par::rayon(cfg.threads)
    } else {
        Par::Seq
    };
    let corrupt = cfg.inject_fault == Some(TestId::Hpl);

    let mut outcomes = Vec::new();
    for &(p, q) in &inp.grids {
        // Collective over the world: idle ranks get no grid.
        let Some(grid) = ProcessGrid::new(&world.comm, p, q, inp.pmap) else {
            continue;
        };
        for v in Params::all(inp, p, q) {
            outcomes.push(pdtest(&grid, &v, inp, par, corrupt, cfg.progress));
        }
    }
    // World rank 0 is process (0, 0) of every grid and saw every test;
    // every rank reports what it saw.
    let payload = world
        .is_root()
        .then(|| serde_json::to_vec(&outcomes).expect("outcomes serialize"));
    let outcomes: Vec<Outcome> =
        serde_json::from_slice(&world.broadcast_bytes(payload)).expect("outcomes deserialize");
    result(inp, &outcomes, cfg.threads)
}

/// The HPL section, summary keys, metrics and verdicts of a finished run.
fn result(inp: &HpccInput, outcomes: &[Outcome], threads: usize) -> TestResult {
    let threshold = inp.threshold;
    let mut section = report::header(inp);
    if !outcomes.is_empty() {
        section.push_str(&report::table_header());
    }
    for o in outcomes {
        section.push_str(&report::test_lines(o, threshold));
    }
    let skipped = outcomes.iter().filter(|o| o.info.is_some()).count();
    let passed = outcomes.iter().filter(|o| o.passed(threshold)).count();
    let failed = outcomes.len() - skipped - passed;
    section.push_str(&report::footer(passed, failed, skipped));

    // HPCC: `if (rdata->Gflops < rdataCur.Gflops) *rdata = rdataCur`.
    let best = outcomes.iter().fold(None::<&Outcome>, |b, o| match b {
        Some(b) if b.gflops < o.gflops => Some(o),
        Some(b) => Some(b),
        None => Some(o),
    });
    let summary = best.map_or_else(Vec::new, summary);

    let verification = outcomes
        .iter()
        .map(|o| {
            let v = &o.params;
            Verification {
                name: format!(
                    "scaled residual ||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N), {} N={} NB={} P={} Q={}{}",
                    v.code(),
                    v.n,
                    v.nb,
                    v.p,
                    v.q,
                    if o.info.is_some() { " (skipped: zero pivot)" } else { "" }
                ),
                value: o.resid(),
                threshold,
                rule: "value < threshold",
                passed: o.passed(threshold),
            }
        })
        .collect();

    let gflops: Vec<f64> = outcomes.iter().map(|o| o.gflops).collect();
    let times: Vec<f64> = outcomes.iter().map(|o| o.time).collect();
    let metrics = match best {
        Some(b) => vec![
            Metric::new("Gflops", "Gflop/s", b.gflops).samples(gflops),
            Metric::new("time", "s", b.time)
                .key("HPL_time")
                .lower_is_better()
                .samples(times),
        ],
        None => Vec::new(),
    };

    TestResult {
        name: "HPL",
        section,
        summary,
        metrics,
        verification,
        timing_rules: TIMING_RULES,
        parameters: json!({
            "threads": threads,
            "threshold": threshold,
            "tests": outcomes,
            "algorithm": report::notes(inp).join(" "),
        }),
    }
}

/// The `HPL_*` summary keys of the test HPCC keeps.
fn summary(b: &Outcome) -> Vec<(&'static str, SummaryValue)> {
    use SummaryValue::{Int, Text, G};
    let v = &b.params;
    let mut s = vec![
        ("HPL_Tflops", G(b.gflops * 1e-3)),
        ("HPL_time", G(b.time)),
        ("HPL_eps", G(residual::EPS)),
        ("HPL_N", Int(v.n as i64)),
        ("HPL_NB", Int(v.nb as i64)),
        ("HPL_nprow", Int(v.p as i64)),
        ("HPL_npcol", Int(v.q as i64)),
        ("HPL_depth", Int(v.depth as i64)),
        ("HPL_nbdiv", Int(v.ndiv as i64)),
        ("HPL_nbmin", Int(v.nbmin as i64)),
        ("HPL_cpfact", Text(v.pfact.letter().to_string())),
        ("HPL_crfact", Text(v.rfact.letter().to_string())),
        ("HPL_ctop", Text(v.bcast.code().to_string())),
        ("HPL_order", Text(v.order().to_string())),
    ];
    if let Some(n) = &b.norms {
        s.extend([
            ("HPL_RnormI", G(n.rnorm_i)),
            ("HPL_Anorm1", G(n.anorm1)),
            ("HPL_AnormI", G(n.anorm_i)),
            ("HPL_Xnorm1", G(n.xnorm1)),
            ("HPL_XnormI", G(n.xnorm_i)),
            ("HPL_BnormI", G(n.bnorm_i)),
        ]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> HpccInput {
        let text = include_str!("../../tests/data/hpccinf_N1000_1x2.txt");
        crate::config::hpccinf::parse(std::path::Path::new("x"), text).unwrap()
    }

    #[test]
    fn code_is_hpls() {
        let v = Params::all(&input(), 1, 2)[0];
        assert_eq!(v.code(), "WR11C2R4");
        let mut w = v;
        w.pmap = Pmap::ColumnMajor;
        w.depth = 0;
        w.bcast = Bcast::LongModified;
        w.rfact = Fact::Left;
        w.pfact = Fact::Crout;
        w.ndiv = 3;
        w.nbmin = 8;
        assert_eq!(w.code(), "WC05L3C8");
    }

    #[test]
    fn tests_run_in_hpls_loop_order() {
        let mut inp = input();
        inp.ns = vec![100, 200];
        inp.ndivs = vec![2, 3];
        inp.pfacts = vec![Fact::Left, Fact::Right];
        let all = Params::all(&inp, 1, 2);
        assert_eq!(all.len(), 8);
        let seen: Vec<(usize, Fact, usize)> = all.iter().map(|v| (v.n, v.pfact, v.ndiv)).collect();
        assert_eq!(
            seen,
            vec![
                (100, Fact::Left, 2),
                (100, Fact::Left, 3),
                (100, Fact::Right, 2),
                (100, Fact::Right, 3),
                (200, Fact::Left, 2),
                (200, Fact::Left, 3),
                (200, Fact::Right, 2),
                (200, Fact::Right, 3),
            ]
        );
    }

    fn outcome(gflops: f64, resid: f64) -> Outcome {
        Outcome {
            params: Params::all(&input(), 1, 2)[0],
            time: 1.0,
            gflops,
            info: None,
            norms: Some(Norms {
                anorm1: 1.0,
                anorm_i: 1.0,
                xnorm1: 1.0,
                xnorm_i: 1.0,
                bnorm_i: 1.0,
                rnorm_i: 1.0,
                resid,
            }),
        }
    }

    #[test]
    fn outcomes_with_non_finite_values_survive_the_broadcast_encoding() {
        let mut o = outcome(f64::INFINITY, f64::NAN);
        o.norms.as_mut().unwrap().xnorm_i = f64::NEG_INFINITY;
        let back: Vec<Outcome> =
            serde_json::from_slice(&serde_json::to_vec(&vec![o.clone()]).unwrap()).unwrap();
        let b = &back[0];
        assert_eq!(b.gflops, f64::INFINITY);
        assert!(b.resid().is_nan() && !b.passed(16.0));
        assert_eq!(b.norms.as_ref().unwrap().xnorm_i, f64::NEG_INFINITY);
        let ok = outcome(12.5, 0.25);
        let back: Outcome = serde_json::from_str(&serde_json::to_string(&ok).unwrap()).unwrap();
        assert_eq!(back, ok);
    }

    #[test]
    fn best_rate_is_kept_and_any_failure_fails() {
        let mut runs = [
            outcome(10.0, 0.1),
            outcome(30.0, 0.2),
            outcome(30.0, 0.3),
            outcome(20.0, 99.0),
        ];
        runs[1].time = 2.0;
        runs[2].time = 3.0;
        let r = result(&input(), &runs, 1);
        assert_eq!(r.summary[0], ("HPL_Tflops", SummaryValue::G(0.03)));
        // First of equals: the second run.
        assert_eq!(r.summary[1], ("HPL_time", SummaryValue::G(2.0)));
        assert!(!r.passed());
        assert!(r
            .section
            .contains("              3 tests completed and passed residual checks,\n"));
        assert!(r
            .section
            .contains("              1 tests completed and failed residual checks,\n"));
        assert_eq!(r.metrics[0].samples, vec![10.0, 30.0, 30.0, 20.0]);

        let r = result(&input(), &runs[..3], 1);
        assert!(r.passed());

        let mut skipped = outcome(50.0, 0.1);
        skipped.info = Some(3);
        skipped.norms = None;
        let r = result(&input(), &[outcome(1.0, 0.1), skipped], 1);
        assert!(!r.passed());
        assert!(r
            .section
            .contains("              1 tests skipped because of illegal input values.\n"));
    }
}
