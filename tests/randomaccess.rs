//! RandomAccess under mpirun on 1 to 4 ranks (3 takes HPCC's path for a
//! rank count that is not a power of two): every section verifies, every
//! key is present with HPCC's sizes, and a corrupted table fails the run.

mod common;

use std::collections::BTreeMap;

use common::{mpirun, num, section, workdir, Run};

/// HPCC's sections, in HPCC's order.
const SECTIONS: [&str; 6] = [
    "MPIRandomAccess",
    "StarRandomAccess",
    "SingleRandomAccess",
    "MPIRandomAccess_LCG",
    "StarRandomAccess_LCG",
    "SingleRandomAccess_LCG",
];

/// `2^floor(log2(words))`, HPCC's table size.
fn table_size(words: u64) -> u64 {
    1 << (63 - words.leading_zeros())
}

/// HPLMaxProcMem for order `n` on `procs` ranks.
fn hpl_max_proc_mem(n: u64, procs: u64) -> u64 {
    8 * n * n / procs
}

fn check_mpi(s: &BTreeMap<String, String>, out: &str, sfx: &str, ranks: u64, mem: u64) {
    let key = |k: &str| format!("MPIRandomAccess{sfx}_{k}");
    let size = table_size(mem * ranks / 8);
    assert_eq!(num(s, &key("N")), size as f64);
    assert_eq!(num(s, &key("Errors")), 0.0);
    assert_eq!(num(s, &key("ErrorsFraction")), 0.0);
    // The 60 s bound is far away: all 4 x size updates run.
    assert_eq!(num(s, &key("ExeUpdates")), (4 * size) as f64);
    assert_eq!(num(s, &key("TimeBound")), 60.0);
    assert_eq!(s[&key("Algorithm")], "0");
    let gups = num(s, &key("GUPs"));
    let time = num(s, &key("time"));
    assert!(gups > 0.0 && gups.is_finite(), "GUPs {gups}");
    assert!(time > 0.0 && num(s, &key("CheckTime")) > 0.0);
    // GUPs is the executed updates over the time (both printed with %g).
    let expect = 1e-9 * (4 * size) as f64 / time;
    assert!((gups - expect).abs() <= 1e-4 * expect, "{gups} vs {expect}");

    let body = section(out, &format!("MPIRandomAccess{sfx}"));
    let pow2 = if ranks.is_power_of_two() {
        " (PowerofTwo)"
    } else {
        ""
    };
    assert!(
        body.starts_with(&format!("Running on {ranks} processors{pow2}\n")),
        "{body}"
    );
    let log = size.trailing_zeros();
    assert!(body.contains(&format!("Total Main table size = 2^{log} = {size} words\n")));
    if ranks.is_power_of_two() {
        let lp = ranks.trailing_zeros();
        assert!(body.contains(&format!(
            "PE Main table size = 2^{} = {} words/PE\n",
            log - lp,
            size / ranks
        )));
    } else {
        assert!(body.contains(&format!(
            "PE Main table size = (2^{log})/{ranks}  = {} words/PE MAX\n",
            size / ranks + 1
        )));
    }
    assert!(body.contains(&format!(
        "Number of updates EXECUTED = {} (for a TIME BOUND of 60.00 secs)\n",
        4 * size
    )));
    assert!(body.contains("Billion(10^9) Updates/PE per second [GUP/s]\n"));
    assert!(body.contains(&format!("Found 0 errors in {size} locations (passed).\n")));
}

fn check_star_single(s: &BTreeMap<String, String>, out: &str, sfx: &str, ranks: u64, mem: u64) {
    let size = table_size(mem / 8);
    assert_eq!(num(s, &format!("RandomAccess{sfx}_N")), size as f64);
    for k in ["Star", "Single"] {
        let v = num(s, &format!("{k}RandomAccess{sfx}_GUPs"));
        assert!(v > 0.0 && v.is_finite(), "{k}{sfx} {v}");
    }
    let star = section(out, &format!("StarRandomAccess{sfx}"));
    let log = size.trailing_zeros();
    assert!(star.starts_with(&format!(
        "Main table size   = 2^{log} = {size} words\nNumber of updates = {}\n",
        4 * size
    )));
    assert!(star.contains(&format!(
        "Found 0 errors in {size} locations (passed).\nNode(s) with error 0\n"
    )));
    let rate = |what: &str| -> f64 {
        let line = star
            .lines()
            .find(|l| l.starts_with(&format!("{what} GUP/s ")))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(rate("Minimum") <= rate("Average") && rate("Average") <= rate("Maximum"));
    let single = section(out, &format!("SingleRandomAccess{sfx}"));
    // HPCC picks a rank other than 0 unless there is only one.
    let chosen: u64 = single
        .lines()
        .find_map(|l| l.strip_prefix("Node selected "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(if ranks == 1 {
        chosen == 0
    } else {
        chosen >= 1 && chosen < ranks
    });
    assert!(single.contains("Node(s) with error 0\n"));
}

fn check_run(run: &Run, n: u64, ranks: u64) {
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "1");
    let out = run.outf();
    // HPCC's order.
    let at: Vec<usize> = SECTIONS
        .iter()
        .map(|name| out.find(&format!("Begin of {name} section.")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections out of order");
    let mem = hpl_max_proc_mem(n, ranks);
    for sfx in ["", "_LCG"] {
        check_mpi(&s, &out, sfx, ranks, mem);
        check_star_single(&s, &out, sfx, ranks, mem);
    }
    // The JSON has the six tests, verified.
    let json = run.json();
    let tests = json["tests"].as_array().unwrap();
    for name in SECTIONS {
        let t = tests.iter().find(|t| t["name"] == name).unwrap();
        assert_eq!(t["passed"], true, "{name}");
        assert_eq!(t["metrics"][0]["unit"], "GUP/s");
    }
}

#[test]
fn every_randomaccess_test_verifies_on_1_to_4_ranks() {
    for ranks in 1..=4u64 {
        let n = 700;
        let dir = workdir(n as usize, 1, ranks as usize);
        let run = mpirun(ranks as usize, dir.path(), &["--tests", "randomaccess"]);
        check_run(&run, n, ranks);
    }
}

#[test]
fn five_ranks_post_several_receives() {
    // More than four ranks: HPCC posts four receives at once.
    let dir = workdir(500, 1, 5);
    let run = mpirun(5, dir.path(), &["--tests", "gups"]);
    check_run(&run, 500, 5);
}

#[test]
fn time_bound_cuts_the_updates_and_still_verifies() {
    let dir = workdir(1000, 1, 3);
    let run = mpirun(
        3,
        dir.path(),
        &["--tests", "MPIRandomAccess", "--ra-time-bound", "0.0005"],
    );
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "1");
    for sfx in ["", "_LCG"] {
        let key = |k: &str| format!("MPIRandomAccess{sfx}_{k}");
        let size = num(&s, &key("N"));
        let executed = num(&s, &key("ExeUpdates"));
        assert!(executed >= 0.0 && executed < 4.0 * size, "{executed}");
        assert_eq!(num(&s, &key("TimeBound")), 0.0005);
        assert_eq!(num(&s, &key("Errors")), 0.0);
        let body = section(&run.outf(), &format!("MPIRandomAccess{sfx}"));
        assert!(body.contains(&format!(
            "Number of updates EXECUTED = {executed} (for a TIME BOUND of 0.00 secs)\n"
        )));
    }
}

#[test]
fn corrupted_tables_fail_the_run() {
    let dir = workdir(600, 1, 3);
    let run = mpirun(
        3,
        dir.path(),
        &["--tests", "randomaccess", "--inject-fault", "randomaccess"],
    );
    assert_eq!(run.status, Some(1), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "0");
    let out = run.outf();
    for sfx in ["", "_LCG"] {
        let size = num(&s, &format!("MPIRandomAccess{sfx}_N"));
        let errors = num(&s, &format!("MPIRandomAccess{sfx}_Errors"));
        assert!(errors > 0.01 * size, "{errors} errors in {size}");
        assert!(num(&s, &format!("MPIRandomAccess{sfx}_ErrorsFraction")) > 0.01);
        assert!(section(&out, &format!("MPIRandomAccess{sfx}")).contains("locations (failed).\n"));
        assert!(section(&out, &format!("StarRandomAccess{sfx}")).contains("Node(s) with error 3\n"));
        assert!(
            section(&out, &format!("SingleRandomAccess{sfx}")).contains("Node(s) with error 1\n")
        );
    }
    let json = run.json();
    assert_eq!(json["success"], false);
    for t in json["tests"].as_array().unwrap() {
        assert_eq!(t["passed"], false, "{}", t["name"]);
    }
}
