//! `rhpcc micro net` under mpirun: two ranks on this host (over the
//! loopback), the refusals (one rank, bad options), an error on the
//! receiver stopping both ranks and reported once, a failed verification
//! (`--inject-fault`), and on the virtual cluster of `launch/vcluster.sh`
//! one virtual host with two ranks (loopback) and two virtual hosts with one
//! rank each (their bridge addresses).
//!
//! The virtual cluster needs root and network namespaces; without them
//! those tests print why and pass (CI runs as root). They use their own
//! prefix (`rt<pid>`, `tests/common/vcluster.rs`) and run one at a time; run this file under
//! `flock /tmp/rhpcc-vcluster.lock` where others share the machine.

mod common;

use common::vcluster::{assert_nothing_left, guard, tx_bytes, vcluster};
use common::{mpirun, singleton, Run, RHPCC};
use serde_json::Value;

/// The run's document and its one test.
fn test_of(run: &Run) -> (Value, Value) {
    let json = run.json();
    let test = json["tests"][0].clone();
    assert_eq!(test["name"], "MicroNet");
    (json, test)
}

fn metric(test: &Value, key: &str) -> f64 {
    test["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no metric {key} in {test}"))["value"]
        .as_f64()
        .unwrap()
}

/// Keys of every k present, throughputs above 0, CPU within what the
/// process's cores allow, both checks passed.
fn check_figures(run: &Run, pairs: &[usize]) -> Value {
    assert_eq!(
        run.status,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let (json, test) = test_of(run);
    assert_eq!(json["success"], true);
    assert_eq!(test["passed"], true, "{test}");
    let p = &test["parameters"];
    let machine = std::thread::available_parallelism().unwrap().get() as f64;
    for &k in pairs {
        for side in ["Send", "Recv"] {
            let rate = metric(&test, &format!("MicroNet_{side}_MBs_{k}"));
            assert!(rate > 0.0, "{side} {k}: {rate} MB/s");
            let cores = p[if side == "Send" {
                "sender_cores"
            } else {
                "receiver_cores"
            }]
            .as_f64()
            .unwrap();
            assert!(cores >= 1.0 && cores <= machine, "{cores} cores");
            let cpu = metric(&test, &format!("MicroNet_{side}CPU_pct_{k}"));
            assert!(
                (0.0..=100.0 * cores).contains(&cpu),
                "{side} CPU {cpu}% with {cores} core(s)"
            );
        }
        // Every connection's rate is a sample.
        let m = test["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == format!("MicroNet_Recv_MBs_{k}"))
            .unwrap();
        assert_eq!(m["samples"].as_array().unwrap().len(), k);
    }
    assert!(
        run.stdout.contains("Receiver listens on "),
        "{}",
        run.stdout
    );
    test
}

#[test]
fn two_ranks_on_one_host_use_the_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let run = mpirun(
        2,
        dir.path(),
        &[
            "micro",
            "net",
            "--duration",
            "0.5",
            "--pairs",
            "1,2",
            "--json",
            "rhpcc-results.json",
        ],
    );
    let test = check_figures(&run, &[1, 2]);
    let p = &test["parameters"];
    assert_eq!(p["address"], "127.0.0.1");
    assert_eq!(p["same_host"], true);
    assert_eq!(
        (p["sender_rank"].as_u64(), p["receiver_rank"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(
        run.stdout.contains("Receiver listens on 127.0.0.1:"),
        "{}",
        run.stdout
    );
    // Only the pairs asked for.
    assert!(!test.to_string().contains("MicroNet_Send_MBs_4"));
}

#[test]
fn one_rank_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = singleton(dir.path(), &["micro", "net", "--duration", "0.2"]);
    assert_eq!(run.status, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("needs two ranks") && run.stderr.contains("1 rank"),
        "stderr:\n{}",
        run.stderr
    );
    assert!(!dir.path().join("rhpcc-micro-net.json").exists());
}

#[test]
fn bad_options_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (args, words) in [
        (&["--pairs", "1,0"][..], "--pairs"),
        (&["--listen", "0.0.0.0"][..], "--listen"),
        (&["--duration", "0"][..], "--duration"),
    ] {
        let mut all = vec!["micro", "net"];
        all.extend_from_slice(args);
        let run = mpirun(2, dir.path(), &all);
        assert_eq!(run.status, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(words), "{args:?}: {}", run.stderr);
    }
}

/// An error on the receiver (an address this host lacks, from TEST-NET-1)
/// stops both ranks and is reported once, by its rank.
#[test]
fn receiver_error_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = mpirun(
        2,
        dir.path(),
        &["micro", "net", "--duration", "0.2", "--listen", "192.0.2.1"],
    );
    assert_eq!(run.status, Some(2), "stderr:\n{}", run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("rhpcc: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "stderr:\n{}", run.stderr);
    assert!(
        errors[0].contains("rank 1: receiver on ")
            && errors[0].contains("listening on 192.0.2.1 (--listen)"),
        "{}",
        errors[0]
    );
}

#[test]
fn injected_fault_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = mpirun(
        2,
        dir.path(),
        &[
            "micro",
            "net",
            "--duration",
            "0.2",
            "--pairs",
            "1",
            "--inject-fault",
            "--json",
            "rhpcc-results.json",
        ],
    );
    assert_eq!(run.status, Some(1), "stderr:\n{}", run.stderr);
    let (json, test) = test_of(&run);
    assert_eq!(json["success"], false);
    let checks = test["verification"].as_array().unwrap();
    // The counts still agree; the corrupted block's 8 index bytes do not.
    assert_eq!(checks[0]["passed"], true, "{test}");
    assert_eq!(checks[1]["passed"], false, "{test}");
    assert_eq!(checks[1]["value"], 8.0, "{test}");
}

// --- the virtual cluster ---------------------------------------------------

/// `vcluster.sh run` of `micro net` on `hosts` x `ranks`, labelled `label`;
/// checks that nothing of the cluster is left. The directory holds the
/// results document.
fn on_vcluster(hosts: usize, ranks: usize, label: &str) -> Option<(tempfile::TempDir, Run)> {
    let _lock = guard(&format!("micro_net vcluster {hosts}x{ranks}"))?;
    let dir = tempfile::tempdir().unwrap();
    let (h, r) = (hosts.to_string(), ranks.to_string());
    let run = vcluster(
        dir.path(),
        &[
            "run",
            "--hosts",
            &h,
            "--ranks-per-host",
            &r,
            "--placement",
            label,
            "--timeout",
            "120",
            "--bin",
            RHPCC,
            "--",
            "micro",
            "net",
            "--duration",
            "0.5",
            "--pairs",
            "1,2",
            "--json",
            "rhpcc-results.json",
        ],
    );
    assert_nothing_left();
    Some((dir, run))
}

/// Bytes each virtual host's eth0 sent during the run, in host order.
fn tx(run: &Run) -> Vec<u64> {
    tx_bytes(run).into_iter().map(|(_, b)| b).collect()
}

#[test]
fn vcluster_one_host_two_ranks_uses_the_loopback() {
    let label = "1V/2C net";
    let Some((_dir, run)) = on_vcluster(1, 2, label) else {
        return;
    };
    let test = check_figures(&run, &[1, 2]);
    assert_eq!(run.json()["placement"], label);
    let p = &test["parameters"];
    assert_eq!(p["address"], "127.0.0.1");
    assert_eq!(p["same_host"], true);
    // The streams stay inside the virtual host.
    let tx = tx(&run);
    assert_eq!(tx.len(), 1, "{}", run.stderr);
    assert!(tx[0] < 1 << 20, "{} bytes over the bridge", tx[0]);
}

#[test]
fn vcluster_two_hosts_one_rank_each_use_the_bridge() {
    let label = "2V/1C net";
    let Some((_dir, run)) = on_vcluster(2, 1, label) else {
        return;
    };
    let test = check_figures(&run, &[1, 2]);
    assert_eq!(run.json()["placement"], label);
    let p = &test["parameters"];
    // Rank 1 on the second virtual host receives on its bridge address.
    assert_eq!(p["address"], "10.213.0.2", "{p}");
    assert_eq!(p["same_host"], false);
    assert_eq!(
        p["sender_interfaces"],
        serde_json::json!(["eth0 10.213.0.1/24"])
    );
    assert_eq!(
        p["receiver_interfaces"],
        serde_json::json!(["eth0 10.213.0.2/24"])
    );
    assert!(
        run.stdout.contains("Receiver listens on 10.213.0.2:"),
        "{}",
        run.stdout
    );
    // Everything the sender wrote crossed the sender's eth0 (the section's
    // "all" lines: bytes sent, bytes received, ...).
    let section_bytes: u64 = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("all "))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    let tx = tx(&run);
    assert_eq!(tx.len(), 2, "{}", run.stderr);
    assert!(
        section_bytes > 0 && tx[0] >= section_bytes,
        "vh0 sent {} bytes over eth0, the streams {section_bytes}",
        tx[0]
    );
}
