//! `rhpcc micro cpu` under mpirun: the figures are present and sane, the
//! check fails the run when the count is wrong, bad options are refused on
//! every rank without a hang, and `--repeat` keeps every run.

mod common;

use common::{mpirun, singleton};
use serde_json::Value;

fn doc(dir: &std::path::Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).expect("results document written");
    serde_json::from_str(&text).expect("JSON parses")
}

fn metric<'a>(run: &'a Value, key: &str) -> &'a Value {
    run["tests"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no metric {key} in {run:#}"))
}

#[test]
fn two_ranks_two_threads_each_time_four_equal_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let run = mpirun(
        2,
        dir.path(),
        &[
            "micro",
            "cpu",
            "--numbers",
            "20000",
            "--threads",
            "2",
            "--placement",
            "native",
        ],
    );
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("MicroCPU"), "{}", run.stdout);
    let d = doc(dir.path(), "rhpcc-micro-cpu.json");
    assert_eq!(d["placement"], "native");
    assert_eq!(d["success"], true);
    assert_eq!(d["parameters"]["micro"], "cpu");
    assert_eq!(d["tests"][0]["parameters"]["cores"], 4);
    let secs = metric(&d, "MicroCPU_Seconds");
    let samples: Vec<f64> = secs["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(samples.len(), 4);
    assert!(samples.iter().all(|&s| s > 0.0 && s < 60.0), "{samples:?}");
    let slowest = samples.iter().copied().fold(0.0, f64::max);
    assert_eq!(secs["value"].as_f64().unwrap(), slowest);
    let rate = metric(&d, "MicroCPU_MnumsPerCore")["value"]
        .as_f64()
        .unwrap();
    let mean_rate = samples.iter().map(|s| 0.02 / s).sum::<f64>() / 4.0;
    assert!(
        (rate - mean_rate).abs() < 1e-9 * mean_rate.max(1.0),
        "{rate} vs {mean_rate}"
    );
    assert!(d["tests"][0]["verification"][0]["passed"] == true);
}

#[test]
fn a_wrong_count_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = mpirun(
        2,
        dir.path(),
        &["micro", "cpu", "--numbers", "1000", "--inject-fault"],
    );
    assert_eq!(run.status, Some(1), "{}\n{}", run.stdout, run.stderr);
    let d = doc(dir.path(), "rhpcc-micro-cpu.json");
    assert_eq!(d["success"], false);
    assert_eq!(
        d["tests"][0]["verification"][0]["value"], 2.0,
        "both ranks count wrong"
    );
}

#[test]
fn bad_options_stop_every_rank_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    for (args, want) in [
        (
            &["--threads", "0"][..],
            "--threads: expected an integer >= 1, got 0",
        ),
        (&["--start", "4294967250"][..], "passes 2^32 - 1"),
        (
            &["--repeat", "0"][..],
            "--repeat: expected an integer >= 1, got 0",
        ),
        (
            &["--placement-facts", "[1]"][..],
            "--placement-facts: expected a JSON object",
        ),
        (
            &["--json", "/nonexistent/x.json"][..],
            "--json: directory /nonexistent does not exist",
        ),
    ] {
        let mut all = vec!["micro", "cpu", "--numbers", "100"];
        all.extend_from_slice(args);
        let run = mpirun(2, dir.path(), &all);
        assert_eq!(
            run.status,
            Some(2),
            "{args:?}\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(
            run.stderr.matches("rhpcc: error:").count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn repeat_keeps_every_run_in_a_series() {
    let dir = tempfile::tempdir().unwrap();
    let run = singleton(
        dir.path(),
        &[
            "micro",
            "cpu",
            "--numbers",
            "1000",
            "--repeat",
            "3",
            "--quiet",
            "--json",
            "s.json",
            "--placement",
            "1V/1C",
        ],
    );
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let d = doc(dir.path(), "s.json");
    assert_eq!(d["kind"], "series");
    assert_eq!(d["placement"], "1V/1C");
    let runs = d["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for r in runs {
        assert!(metric(r, "MicroCPU_Seconds")["value"].as_f64().unwrap() > 0.0);
    }
}
