//! HPL under `mpirun` on several grids: every test passes HPL's residual
//! check, the norms of `[A | b]` are the reference's to the digits HPCC
//! prints, the section and summary keys have HPCC's layout, and a wrong
//! solution fails the run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{mpirun, num, workdir, Run};

/// Norms the reference hpcc printed for N (`%g`): HPL_Anorm1, HPL_AnormI,
/// HPL_BnormI. They depend only on HPL's generator, not on NB or the grid.
const REFERENCE_NORMS: [(usize, [&str; 3]); 3] = [
    (1000, ["263.865", "262.773", "0.499776"]),
    (777, ["207.7", "209.374", "0.499406"]),
    (50, ["14.6555", "14.5563", "0.476133"]),
];

fn reference_norms(s: &BTreeMap<String, String>, n: usize) {
    let (_, want) = REFERENCE_NORMS.iter().find(|(m, _)| *m == n).unwrap();
    for (key, want) in ["HPL_Anorm1", "HPL_AnormI", "HPL_BnormI"].iter().zip(want) {
        assert_eq!(s[*key], *want, "{key} for N={n}");
    }
}

/// Replace whole lines (1-based) of the input file in `dir`.
fn edit_input(dir: &Path, lines: &[(usize, &str)]) {
    let path = dir.join("hpccinf.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut v: Vec<String> = text.lines().map(String::from).collect();
    for &(l, t) in lines {
        v[l - 1] = t.to_string();
    }
    std::fs::write(&path, v.join("\n") + "\n").unwrap();
}

/// The run succeeded, every HPL test passed, and the summary describes a
/// real run on the given grid.
fn check_passed(run: &Run, tests: usize, n: usize, nb: usize, p: usize, q: usize) {
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "1");
    let out = run.outf();
    let section = common::section(&out, "HPL");
    assert_eq!(
        section.matches(" ...... PASSED\n").count(),
        tests,
        "{section}"
    );
    assert!(!section.contains("FAILED"));
    assert!(section.contains(&format!(
        "\nFinished {tests:6} tests with the following results:\n         {tests:6} tests completed and passed residual checks,\n"
    )));
    assert!(section.contains(
        "T/V                N    NB     P     Q               Time                 Gflops\n"
    ));
    assert_eq!(num(&s, "HPL_N"), n as f64);
    assert_eq!(num(&s, "HPL_NB"), nb as f64);
    assert_eq!(num(&s, "HPL_nprow"), p as f64);
    assert_eq!(num(&s, "HPL_npcol"), q as f64);
    assert_eq!(s["HPL_eps"], "1.11022e-16");
    let tflops = num(&s, "HPL_Tflops");
    let time = num(&s, "HPL_time");
    assert!(tflops > 0.0 && tflops < 100.0, "HPL_Tflops={tflops}");
    assert!(time > 0.0 && time < 60.0, "HPL_time={time}");
    // Rate and time agree: (2/3 N^3 + 3/2 N^2) / t.
    let nf = n as f64;
    let want = (2.0 / 3.0 * nf * nf * nf + 1.5 * nf * nf) / time / 1e12;
    assert!((tflops - want).abs() <= 1e-4 * want, "{tflops} vs {want}");
    let rnorm = num(&s, "HPL_RnormI");
    let resid = rnorm
        / (f64::EPSILON / 2.0
            * (num(&s, "HPL_AnormI") * num(&s, "HPL_XnormI") + num(&s, "HPL_BnormI"))
            * nf);
    assert!(resid < 16.0, "scaled residual {resid}");

    let json = run.json();
    let hpl = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "HPL")
        .expect("HPL in JSON");
    assert_eq!(hpl["passed"], true);
    assert_eq!(hpl["verification"].as_array().unwrap().len(), tests);
}

#[test]
fn one_rank_1x1_matches_the_reference_norms() {
    let dir = workdir(1000, 1, 1);
    let run = mpirun(1, dir.path(), &["--tests", "hpl"]);
    check_passed(&run, 1, 1000, 80, 1, 1);
    let s = run.summary();
    reference_norms(&s, 1000);
    // The solution's norms too (the reference: 2619.63 and 11.3513).
    assert_eq!(s["HPL_Xnorm1"], "2619.63");
    assert_eq!(s["HPL_XnormI"], "11.3513");
}

#[test]
fn two_ranks_1x2_prints_the_references_section() {
    let dir = workdir(1000, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "hpl"]);
    check_passed(&run, 1, 1000, 80, 1, 2);
    let s = run.summary();
    reference_norms(&s, 1000);
    assert_eq!(s["HPL_Xnorm1"], "2619.63");
    assert_eq!(s["HPL_XnormI"], "11.3513");
    for (k, v) in [
        ("HPL_depth", "1"),
        ("HPL_nbdiv", "2"),
        ("HPL_nbmin", "4"),
        ("HPL_cpfact", "R"),
        ("HPL_crfact", "C"),
        ("HPL_ctop", "1"),
        ("HPL_order", "R"),
    ] {
        assert_eq!(s[k], v, "{k}");
    }
    let out = run.outf();
    // HPL is the last test section, as in HPCC.
    let hpl = out.find("Begin of HPL section.").unwrap();
    assert!(out[hpl..]
        .find("End of HPL section.\nBegin of Summary section.")
        .is_some());
    let line = out
        .lines()
        .find(|l| l.starts_with("WR11C2R4"))
        .expect("the T/V line");
    assert!(
        line.starts_with("WR11C2R4        1000    80     1     2   "),
        "{line}"
    );
    assert_eq!(line.len(), 80, "{line}");
    assert!(out.contains("||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)=        0.00"));
    // Every input parameter here runs as HPL runs it: no note about a
    // parameter taken as a nearby one.
    assert!(!out.contains("- rhpcc: DEPTH above 1"));
    assert!(!out.contains("- rhpcc: BCAST"));
    assert!(out
        .contains("\nN      :    1000 \nNB     :      80 \nPMAP   : Row-major process mapping\n"));
}

#[test]
fn two_ranks_2x1_odd_n() {
    let dir = workdir(777, 2, 1);
    let run = mpirun(2, dir.path(), &["--tests", "hpl"]);
    check_passed(&run, 1, 777, 80, 2, 1);
    reference_norms(&run.summary(), 777);
}

#[test]
fn four_ranks_2x2_n_not_a_multiple_of_nb() {
    // N = 317 and 500 with NB = 32 and 64: four tests, ragged last blocks.
    let dir = workdir(317, 2, 2);
    edit_input(
        dir.path(),
        &[
            (5, "2            # of problems sizes (N)"),
            (6, "317 500      Ns"),
            (7, "2            # of NBs"),
            (8, "32 64        NBs"),
        ],
    );
    let run = mpirun(4, dir.path(), &["--tests", "hpl"]);
    let out = run.outf();
    for (n, nb) in [(317, 32), (317, 64), (500, 32), (500, 64)] {
        assert!(
            out.contains(&format!("WR11C2R4 {n:>11} {nb:>5}     2     2 ")),
            "N={n} NB={nb}"
        );
    }
    // The best of the four sets the keys; all four passed.
    let s = run.summary();
    let n = num(&s, "HPL_N") as usize;
    let nb = num(&s, "HPL_NB") as usize;
    check_passed(&run, 4, n, nb, 2, 2);
}

#[test]
fn every_panel_variant_column_major_with_idle_ranks() {
    // 3 ranks, grids 1 x 2 and 2 x 1 (one rank idle in each), column-major;
    // every PFACT and RFACT, two NBMINs, two NDIVs, two BCASTs, two DEPTHs.
    let dir = workdir(50, 1, 2);
    edit_input(
        dir.path(),
        &[
            (8, "16           NBs"),
            (
                9,
                "1            PMAP process mapping (0=Row-,1=Column-major)",
            ),
            (10, "2            # of process grids (P x Q)"),
            (11, "1 2          Ps"),
            (12, "2 1          Qs"),
            (14, "3            # of panel fact"),
            (15, "0 1 2        PFACTs"),
            (16, "2            # of recursive stopping criterium"),
            (17, "1 4          NBMINs"),
            (18, "2            # of panels in recursion"),
            (19, "2 3          NDIVs"),
            (20, "3            # of recursive panel fact."),
            (21, "0 1 2        RFACTs"),
            (22, "2            # of broadcast"),
            (23, "0 5          BCASTs"),
            (24, "2            # of lookahead depth"),
            (25, "0 1          DEPTHs"),
        ],
    );
    let run = mpirun(3, dir.path(), &["--tests", "hpl"]);
    let tests = 2 * 3 * 3 * 2 * 2 * 2 * 2;
    let s = run.summary();
    check_passed(
        &run,
        tests,
        50,
        16,
        num(&s, "HPL_nprow") as usize,
        num(&s, "HPL_npcol") as usize,
    );
    reference_norms(&s, 50);
    assert_eq!(s["HPL_order"], "C");
    let out = run.outf();
    for code in ["WC00L2L1", "WC15R3C4", "WC05C2R4"] {
        assert!(out.contains(code), "{code}");
    }
    assert!(out.contains("PMAP   : Column-major process mapping\n"));
}

#[test]
fn every_bcast_and_depth_on_rings_of_three_and_four_columns() {
    // 1 x 3 (column-major) and 1 x 4 grids on 4 ranks: every BCAST route,
    // DEPTH 0, 1 and 2 (run as 1), N not a multiple of NB.
    for (q, pmap) in [(3, "1"), (4, "0")] {
        let dir = workdir(777, 1, q);
        edit_input(
            dir.path(),
            &[
                (8, "32           NBs"),
                (
                    9,
                    &format!("{pmap}            PMAP process mapping (0=Row-,1=Column-major)"),
                ),
                (22, "6            # of broadcast"),
                (23, "0 1 2 3 4 5  BCASTs"),
                (24, "3            # of lookahead depth"),
                (25, "0 1 2        DEPTHs"),
            ],
        );
        let run = mpirun(4, dir.path(), &["--tests", "hpl"]);
        check_passed(&run, 18, 777, 32, 1, q);
        reference_norms(&run.summary(), 777);
        let out = run.outf();
        for code in ["00C2R4", "01C2R4", "12C2R4", "13C2R4", "14C2R4", "25C2R4"] {
            assert!(
                out.contains(&format!("W{}{code}", if pmap == "1" { 'C' } else { 'R' })),
                "{code}"
            );
        }
        assert!(out.contains("- rhpcc: DEPTH above 1 runs with a look-ahead of 1"));
        assert!(
            out.contains("- rhpcc: BCAST Blong and BlongM take the routes of 1ring and 1ringM.")
        );
    }
}

#[test]
fn every_swap_on_process_columns_of_two_to_five() {
    // P = 2, 4 (hypercube), 3 and 5 (rows folded onto the hypercube), and
    // 2 x 2; SWAP 0, 1 and 2 with a threshold that the look-ahead's panel
    // columns stay under and the rest of the update exceeds.
    for (p, q, ranks) in [(3, 1, 3), (5, 1, 5), (4, 1, 4), (2, 2, 4), (2, 1, 2)] {
        for swap in ["0", "1", "2"] {
            let dir = workdir(777, p, q);
            edit_input(
                dir.path(),
                &[
                    (8, "32           NBs"),
                    (24, "2            # of lookahead depth"),
                    (25, "0 1          DEPTHs"),
                    (
                        26,
                        &format!("{swap}            SWAP (0=bin-exch,1=long,2=mix)"),
                    ),
                    (27, "40           swapping threshold"),
                ],
            );
            let run = mpirun(ranks, dir.path(), &["--tests", "hpl"]);
            check_passed(&run, 2, 777, 32, p, q);
            reference_norms(&run.summary(), 777);
            let want = [
                "Binary-exchange",
                "Spread-roll (long)",
                "Mix (threshold = 40)",
            ];
            let line = format!("\nSWAP   : {}\n", want[swap.parse::<usize>().unwrap()]);
            assert!(run.outf().contains(&line), "{p}x{q} SWAP {swap}");
        }
    }
}

#[test]
fn wrong_solution_fails_the_run() {
    let dir = workdir(300, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "hpl", "--inject-fault", "hpl"]);
    assert_eq!(run.status, Some(1), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "0");
    let out = run.outf();
    assert!(out.contains(" ...... FAILED\n"));
    assert!(out.contains("||A||_oo . . . . . . . . . . . . . . . . . . . = "));
    assert!(out.contains("              1 tests completed and failed residual checks,\n"));
    let json = run.json();
    assert_eq!(json["success"], false);
    let hpl = &json["tests"][0];
    assert_eq!(hpl["name"], "HPL");
    assert_eq!(hpl["passed"], false);
    assert!(hpl["verification"][0]["value"].as_f64().unwrap() >= 16.0);
}

#[test]
fn json_gives_the_share_of_the_measured_fma_peak() {
    let dir = workdir(600, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "hpl"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let json = run.json();
    let hpl = &json["tests"][0];
    assert_eq!(hpl["name"], "HPL");
    let metric = |name: &str| {
        hpl["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("metric {name} missing"))
            .clone()
    };
    let peak = metric("FmaPeak");
    assert_eq!(
        peak["samples"].as_array().unwrap().len(),
        2,
        "one rate per grid rank"
    );
    let peak_gflops = peak["value"].as_f64().unwrap();
    let gflops = metric("Gflops")["value"].as_f64().unwrap();
    let pct = metric("PercentOfPeak")["value"].as_f64().unwrap();
    assert!(peak_gflops > 0.0);
    assert!((pct - 100.0 * gflops / peak_gflops).abs() < 1e-6 * pct.max(1.0));
    assert!(pct > 0.0 && pct <= 100.0, "{pct}% of peak");
}

#[test]
fn progress_line_only_when_asked_under_mpirun() {
    let dir = workdir(400, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "hpl", "--progress"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("\rHPL WR"), "{:?}", run.stderr);
    assert!(run.stderr.contains('%'));
    // Under mpirun a rank's stderr is a pipe: no progress unless asked.
    let run = mpirun(2, dir.path(), &["--tests", "hpl"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("\rHPL"), "{:?}", run.stderr);
}
