//! PTRANS under `mpirun` on 1 to 4 ranks and grids 1 x 1 to 2 x 2, sizes
//! not a multiple of the block size: every run passes PTRANS's check, the
//! section and summary keys have HPCC's layout and agree with each other,
//! the input's extra PTRANS sizes are used as HPCC uses them, and a wrong
//! result or an illegal size fails the run.

mod common;

use std::path::Path;

use common::{mpirun, num, section, workdir};

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

/// A PTRANS-only run of HPL size `hpl_n` (PTRANS size `hpl_n / 2`) and
/// block size `nb` on a `p x q` grid with `ranks` ranks: it passed, and
/// the section and the keys describe it.
fn check(ranks: usize, hpl_n: usize, nb: usize, p: usize, q: usize) {
    let dir = workdir(hpl_n, p, q);
    edit_input(dir.path(), &[(8, &format!("{nb} NBs"))]);
    let run = mpirun(ranks, dir.path(), &["--tests", "PTRANS", "--quiet"]);
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "1");
    let n = hpl_n / 2;
    let sec = section(&run.outf(), "PTRANS");
    assert!(
        sec.starts_with(&format!(
            "M: {n}\nN: {n}\nMB: {nb}\nNB: {nb}\nP: {p}\nQ: {q}\n"
        )),
        "{sec}"
    );
    assert!(sec.contains(
        "TIME   M     N    MB  NB  P   Q     TIME   CHECK   GB/s   RESID\n\
         ---- ----- ----- --- --- --- --- -------- ------ -------- -----\n"
    ));
    let prefix = format!("WALL {n:5} {n:5} {nb:3} {nb:3} {p:3} {q:3} ");
    let walls: Vec<&str> = sec.lines().filter(|l| l.starts_with("WALL")).collect();
    assert_eq!(walls.len(), 5, "{sec}");
    for w in &walls {
        assert!(w.starts_with(&prefix), "{w}");
        assert!(w.contains(" PASSED "), "{w}");
        assert!(w.ends_with("  0.00"), "residual is exactly 0: {w}");
    }
    assert!(sec.contains(
        "\nFinished    5 tests, with the following results:\n    5 tests completed and passed residual checks.\n    0 tests completed and failed residual checks.\n    0 tests skipped because of illegal input values.\n\nEND OF TESTS.\n"
    ));

    assert_eq!(num(&s, "PTRANS_n"), n as f64);
    assert_eq!(num(&s, "PTRANS_nb"), nb as f64);
    assert_eq!(num(&s, "PTRANS_nprow"), p as f64);
    assert_eq!(num(&s, "PTRANS_npcol"), q as f64);
    // HPCC's generator and sums are exact: no difference at all.
    assert_eq!(s["PTRANS_residual"], "0");
    let gbs = num(&s, "PTRANS_GBs");
    let time = num(&s, "PTRANS_time");
    assert!(gbs > 0.0 && gbs < 1000.0, "PTRANS_GBs={gbs}");
    assert!(time > 0.0 && time < 10.0, "PTRANS_time={time}");
    // PTRANS_GBs is the slowest of the 5 runs; PTRANS_time is the last run's.
    let last_rate = 8.0 * (n * n) as f64 / time / 1e9;
    assert!(gbs <= last_rate * (1.0 + 1e-5), "{gbs} vs {last_rate}");
    // The last WALL line shows the slowest rate with 3 decimals.
    let shown: f64 = walls[4].split_whitespace().nth(9).unwrap().parse().unwrap();
    assert!((shown - gbs).abs() <= 0.0005 + 1e-9, "{shown} vs {gbs}");

    let json = run.json();
    let t = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "PTRANS")
        .expect("PTRANS in the JSON");
    let runs = t["parameters"]["cases"][0]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    for r in runs {
        let mut placed: Vec<u64> = r["placement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        placed.sort();
        placed.dedup();
        assert_eq!(placed.len(), p * q, "distinct ranks on the grid");
        assert!(placed.iter().all(|&r| (r as usize) < ranks));
    }
}

#[test]
fn one_rank_1x1() {
    check(1, 202, 16, 1, 1);
}

#[test]
fn two_ranks_1x2_and_2x1() {
    check(2, 130, 12, 1, 2);
    check(2, 130, 12, 2, 1);
}

#[test]
fn three_ranks_1x3_3x1_and_an_idle_rank() {
    check(3, 150, 8, 1, 3);
    check(3, 150, 8, 3, 1);
    // 1 x 2 on 3 ranks: a random rank sits each run out.
    check(3, 98, 7, 1, 2);
}

#[test]
fn four_ranks_2x2() {
    check(4, 206, 10, 2, 2);
}

/// Lines 33-36: extra sizes at least 0.9486 * max N / 2 are used, the
/// others dropped; extra block sizes come first; every grid of the input
/// runs every size and block size.
#[test]
fn extra_sizes_block_sizes_and_grids_from_the_input() {
    let dir = workdir(120, 1, 2);
    // HPL N 120: the floor is 56.9; 57 stays, 56 goes.
    edit_input(
        dir.path(),
        &[
            (8, "16 NBs"),
            (10, "2 grids"),
            (11, "1 2 Ps"),
            (12, "2 2 Qs"),
            (33, "3 sizes"),
            (34, "57 56 75 N"),
            (35, "1 block sizes"),
            (36, "7 NB"),
        ],
    );
    let run = mpirun(4, dir.path(), &["--tests", "ptrans", "--quiet"]);
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let sec = section(&run.outf(), "PTRANS");
    assert!(
        sec.starts_with("M: 57 75 60\nN: 57 75 60\nMB: 7 16\nNB: 7 16\nP: 1 2\nQ: 2 2\n"),
        "{sec}"
    );
    // 2 grids x 3 sizes x 2 block sizes x 5 runs.
    assert!(sec.contains("\nFinished   60 tests, with the following results:\n   60 tests completed and passed residual checks.\n"), "{sec}");
    let walls: Vec<&str> = sec.lines().filter(|l| l.starts_with("WALL")).collect();
    assert_eq!(walls.len(), 60);
    assert!(
        walls[0].starts_with("WALL    57    57   7   7   1   2 "),
        "{}",
        walls[0]
    );
    assert!(
        walls[59].starts_with("WALL    60    60  16  16   2   2 "),
        "{}",
        walls[59]
    );
    let s = run.summary();
    assert_eq!(s["Success"], "1");
    assert!([57.0, 75.0, 60.0].contains(&num(&s, "PTRANS_n")));
}

#[test]
fn wrong_result_fails_the_run() {
    let dir = workdir(100, 1, 2);
    let run = mpirun(
        2,
        dir.path(),
        &["--tests", "ptrans", "--quiet", "--inject-fault", "ptrans"],
    );
    assert_eq!(run.status, Some(1), "stderr:\n{}", run.stderr);
    assert_eq!(run.summary()["Success"], "0");
    let sec = section(&run.outf(), "PTRANS");
    let failed = sec
        .lines()
        .filter(|l| l.starts_with("WALL") && l.contains(" FAILED "));
    assert_eq!(failed.count(), 5, "{sec}");
    assert!(sec.contains("    0 tests completed and passed residual checks.\n    5 tests completed and failed residual checks.\n"));
    assert!(num(&run.summary(), "PTRANS_residual") > 0.0);
}

/// HPL N = 1 would give PTRANS size 0 (HPCC's "ILLEGAL MATRIX" skip, which
/// fails the run after the work): rhpcc refuses such an N before any test.
#[test]
fn tiny_n_is_refused_before_ptrans_runs() {
    let dir = workdir(1, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "ptrans", "--quiet"]);
    assert_eq!(run.status, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("too few for the tests sized from it (ptrans)")
            && run.stderr.contains("use N >= 6"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("hpccoutf.txt").exists());
}
