//! The text of HPCC's PTRANS section, as `PTRANS/pdtransdriver.c` prints it,
//! with the same C formats, and the choice of the run behind the summary
//! keys.

use super::{CaseOutcome, Run};

/// How rhpcc's PTRANS differs from HPCC's, printed after the parameters.
pub const NOTES: [&str; 2] = [
    "rhpcc: each message carries exactly its LCM class's entries; HPCC's PDTRANS pads",
    "rhpcc: every message to ceil(ceil(M/MB)/LCM)*MB x ceil(ceil(N/NB)/LCM)*NB doubles.",
];

/// `param_dump`: `NAME: v1 v2 ...`.
fn dump(name: &str, vals: &[usize]) -> String {
    let mut s = format!("{name}:");
    for v in vals {
        s.push_str(&format!(" {v}"));
    }
    s.push('\n');
    s
}

/// The parameter lines, rhpcc's notes and the table heading.
pub fn header(sizes: &[usize], block_sizes: &[usize], grids: &[(usize, usize)]) -> String {
    let ps: Vec<usize> = grids.iter().map(|g| g.0).collect();
    let qs: Vec<usize> = grids.iter().map(|g| g.1).collect();
    let mut s = String::new();
    s.push_str(&dump("M", sizes));
    s.push_str(&dump("N", sizes));
    s.push_str(&dump("MB", block_sizes));
    s.push_str(&dump("NB", block_sizes));
    s.push_str(&dump("P", &ps));
    s.push_str(&dump("Q", &qs));
    for line in NOTES {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str(
        "TIME   M     N    MB  NB  P   Q     TIME   CHECK   GB/s   RESID\n\
         ---- ----- ----- --- --- --- --- -------- ------ -------- -----\n",
    );
    s
}

/// `%{w}.{p}f` as C prints it.
fn f(v: f64, w: usize, p: usize) -> String {
    if v.is_finite() {
        format!("{v:w$.p$}")
    } else {
        format!("{:>w$}", crate::report::cfmt::g(v))
    }
}

/// One `WALL` or `CPU` line.
fn line(kind: &str, c: &super::Case, time: f64, check: &str, gbs: f64, resid: f64) -> String {
    format!(
        "{kind} {:5} {:5} {:3} {:3} {:3} {:3} {} {check} {} {}\n",
        c.n,
        c.n,
        c.nb,
        c.nb,
        c.p,
        c.q,
        f(time, 8, 2),
        f(gbs, 8, 3),
        f(resid, 5, 2)
    )
}

/// PTRANS's summary figures (`PTRANSrdata`), chosen as pdtransdriver does.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    /// The GB/s of the case with the highest one (0 if none).
    pub gbs: f64,
    /// The chosen case's last run: its wall time and unscaled residual.
    pub time: f64,
    pub residual: f64,
    pub n: usize,
    pub nb: usize,
    pub p: usize,
    pub q: usize,
}

/// The result lines of every case, the closing counts, and the summary
/// figures.
///
/// As pdtransdriver: a run's `WALL` line shows the lowest GB/s of the
/// case's runs so far (its own time, though), the `CPU` line that run's own
/// CPU rate; a line is printed only when its time is positive. The case
/// with the highest such minimum gives `PTRANS_GBs`, and `PTRANS_time` and
/// `PTRANS_residual` are those of its last run.
pub fn body(outcomes: &[CaseOutcome]) -> (String, Option<Best>, Counts) {
    let mut s = String::new();
    let mut counts = Counts::default();
    let mut best: Option<Best> = None;
    let mut best_gbs = 0.0f64;
    let mut cur = 0.0f64; // curGBs, kept across cases as in HPCC
    for o in outcomes {
        let (case, runs) = match o {
            CaseOutcome::Skipped { case } => {
                s.push_str(&format!(
                    "ILLEGAL MATRIX: M = {}; It should be at least 1\n\
                     Bad MATRIX parameters: going on to next test case.\n",
                    case.n
                ));
                counts.skipped += 1;
                continue;
            }
            CaseOutcome::Ran { case, runs } => (case, runs),
        };
        let mut last: Option<&Run> = None;
        for (k, r) in runs.iter().enumerate() {
            let check = if r.passed { "PASSED" } else { "FAILED" };
            if r.passed {
                counts.passed += 1;
            } else {
                counts.failed += 1;
            }
            if r.wall > 0.0 {
                let g0 = r.gbs;
                if k == 0 {
                    cur = g0;
                }
                if cur > g0 {
                    cur = g0;
                }
                s.push_str(&line("WALL", case, r.wall, check, cur, r.resid));
            }
            if r.cpu > 0.0 {
                let g = 1e-9 / r.cpu * case.n as f64 * case.n as f64 * 8.0;
                s.push_str(&line("CPU ", case, r.cpu, check, g, r.resid));
            }
            last = Some(r);
        }
        if let Some(r) = last {
            if cur > best_gbs {
                best_gbs = cur;
                best = Some(Best {
                    gbs: cur,
                    time: r.wall,
                    residual: r.resid0,
                    n: case.n,
                    nb: case.nb,
                    p: case.p,
                    q: case.q,
                });
            }
        }
    }
    let total = counts.passed + counts.failed + counts.skipped;
    s.push_str(&format!(
        "\nFinished {total:4} tests, with the following results:\n\
         {:5} tests completed and passed residual checks.\n\
         {:5} tests completed and failed residual checks.\n\
         {:5} tests skipped because of illegal input values.\n\
         \nEND OF TESTS.\n",
        counts.passed, counts.failed, counts.skipped
    ));
    (s, best, counts)
}

/// pdtransdriver's tallies: runs that passed and failed the check, cases
/// skipped for illegal input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[cfg(test)]
mod tests {
    use super::super::{Case, CaseOutcome, Run};
    use super::*;

    fn run(n: usize, wall: f64, cpu: f64, passed: bool) -> Run {
        Run {
            wall,
            cpu,
            gbs: 1e-9 / wall * n as f64 * n as f64 * 8.0,
            resid0: 0.0,
            resid: if passed { 0.0 } else { 99.0 },
            passed,
            placement: vec![0, 1],
        }
    }

    /// The layout of the reference's PTRANS section (N=1000 NB=80 1 x 2).
    #[test]
    fn lines_have_hpccs_layout() {
        let case = Case {
            n: 500,
            nb: 80,
            p: 1,
            q: 2,
        };
        let h = header(&[500], &[80], &[(1, 2)]);
        assert!(
            h.starts_with("M: 500\nN: 500\nMB: 80\nNB: 80\nP: 1\nQ: 2\n"),
            "{h}"
        );
        assert!(h.ends_with(
            "TIME   M     N    MB  NB  P   Q     TIME   CHECK   GB/s   RESID\n\
             ---- ----- ----- --- --- --- --- -------- ------ -------- -----\n"
        ));
        // 8 * 500^2 / 0.00818 s = 0.244 GB/s.
        let out = [CaseOutcome::Ran {
            case,
            runs: vec![
                run(500, 0.00818, 0.00418, true),
                run(500, 0.00627, 0.0, true),
            ],
        }];
        let (text, best, counts) = body(&out);
        assert_eq!(
            text,
            "WALL   500   500  80  80   1   2     0.01 PASSED    0.244  0.00\n\
             CPU    500   500  80  80   1   2     0.00 PASSED    0.478  0.00\n\
             WALL   500   500  80  80   1   2     0.01 PASSED    0.244  0.00\n\
             \nFinished    2 tests, with the following results:\n\
             \x20   2 tests completed and passed residual checks.\n\
             \x20   0 tests completed and failed residual checks.\n\
             \x20   0 tests skipped because of illegal input values.\n\
             \nEND OF TESTS.\n"
        );
        let best = best.unwrap();
        assert!((best.gbs - 2e6 / 0.00818 / 1e9).abs() < 1e-12);
        // The time is the last run's, not the best one's (as HPCC).
        assert_eq!(best.time, 0.00627);
        assert_eq!(counts.passed, 2);
    }

    #[test]
    fn best_case_failures_and_skips() {
        let c = |n| Case {
            n,
            nb: 2,
            p: 2,
            q: 1,
        };
        let out = [
            CaseOutcome::Ran {
                case: c(100),
                runs: vec![run(100, 1e-3, 0.0, true), run(100, 2e-3, 0.0, false)],
            },
            CaseOutcome::Skipped { case: c(0) },
            CaseOutcome::Ran {
                case: c(200),
                runs: vec![run(200, 2e-3, 0.0, true)],
            },
        ];
        let (text, best, counts) = body(&out);
        assert!(text.contains(
            "ILLEGAL MATRIX: M = 0; It should be at least 1\n\
             Bad MATRIX parameters: going on to next test case.\n"
        ));
        assert!(text.contains(" FAILED "));
        assert_eq!(
            counts,
            Counts {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
        // Case 100: min(0.08, 0.04) = 0.04 GB/s; case 200: 0.16 GB/s.
        let best = best.unwrap();
        assert_eq!((best.n, best.gbs), (200, 1e-9 / 2e-3 * 200.0 * 200.0 * 8.0));
        assert!(text.contains("Finished    4 tests"));
    }
}
