//! The virtual cluster of `launch/vcluster.sh`: the suite on 1 virtual host
//! with 2 ranks and on 2 virtual hosts with 1 rank each (verified, labelled
//! with the placement and its facts, hosts told apart, traffic over the
//! bridge only between hosts), teardown after a failed and an interrupted
//! run, idempotent setup, delay (the ping-pong latency grows by it) and loss
//! (frames dropped, the run completes) by netem or the userspace relay, and
//! the refusals (netem missing, relay missing, subnet in use).
//!
//! The relay tests use `rhpcc-vcdelay` beside the rhpcc binary under test,
//! which `cargo test --workspace` builds (`cargo build --release -p
//! rhpcc-vcdelay` otherwise).
//!
//! Needs root and network namespaces; without them each test prints why and
//! passes. CI runs as root, so there they run. The tests of one process
//! share a prefix (`rt<pid>`, not the default `rhpcc`, so that a developer's
//! own cluster and test runs in other checkouts are left alone) and run one
//! at a time.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use common::vcluster::{
    assert_nothing_left, down, guard, sh, tx_bytes, vcluster, vcluster_with, PREFIX, SCRIPT,
};
use common::{workdir, Run, RHPCC};

const MPIRUN_TIMEOUT_S: &str = "180";
/// The delay of the delay test, and the bound that the latency without it
/// stays far below.
const DELAY: &str = "2ms";
const DELAY_US: f64 = 2000.0;

/// The relay binary beside the rhpcc under test; the tests that use it
/// call this first, so that a missing or stale one is said plainly.
fn relay_bin() -> &'static str {
    static CHECKED: LazyLock<Result<String, String>> = LazyLock::new(|| {
        let bin = Path::new(RHPCC).with_file_name("rhpcc-vcdelay");
        let built = std::fs::metadata(&bin)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{} ({e})", bin.display()))?;
        let crate_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/launch/vcdelay");
        let sources = std::fs::read_dir(format!("{crate_dir}/src"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .chain([Path::new(crate_dir).join("Cargo.toml")]);
        for src in sources {
            if std::fs::metadata(&src).unwrap().modified().unwrap() > built {
                return Err(format!("{} is older than {}", bin.display(), src.display()));
            }
        }
        Ok(bin.to_string_lossy().into_owned())
    });
    match &*CHECKED {
        Ok(bin) => bin,
        Err(why) => panic!(
            "the relay binary is needed: {why}; build it with 'cargo build --release -p rhpcc-vcdelay' (cargo test --workspace builds it)"
        ),
    }
}

/// Runs a small suite on `hosts` x `ranks_per_host` and checks it verified,
/// carries its placement label, facts and host names, and left nothing
/// behind; returns the run and its results document.
fn suite(hosts: usize, ranks_per_host: usize, label: &str) -> (Run, serde_json::Value) {
    // HPL on a 1 x 2 grid, N=500; STREAM and DGEMM are sized from it.
    let dir = workdir(500, 1, 2);
    let (h, r) = (hosts.to_string(), ranks_per_host.to_string());
    let run = vcluster(
        dir.path(),
        &[
            "run",
            "--hosts",
            &h,
            "--ranks-per-host",
            &r,
            "--timeout",
            MPIRUN_TIMEOUT_S,
            "--bin",
            RHPCC,
            "--",
            "--tests",
            "stream,latbw,hpl",
            "--quiet",
        ],
    );
    assert_nothing_left();
    assert_eq!(
        run.status,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.summary()["Success"], "1");

    let json = run.json();
    assert_eq!(json["success"], true);
    assert_eq!(json["placement"], label);
    let facts = &json["placement_facts"];
    assert!(facts["cpus_per_host"].as_u64().unwrap() >= 1, "{facts}");
    assert_eq!(
        *facts,
        serde_json::json!({
            "virtual_cluster": true, "hosts": hosts, "ranks_per_host": ranks_per_host,
            "cpus_per_host": facts["cpus_per_host"],
            "delay": null, "loss": null, "delay_impl": null
        })
    );
    let env = &json["environment"];
    assert_eq!(env["comm_world_procs"], hosts * ranks_per_host);
    let names: Vec<String> = (0..hosts).map(|i| format!("{}-vh{i}", *PREFIX)).collect();
    assert_eq!(env["hostnames"], serde_json::json!(names));
    for name in &names {
        assert_eq!(env["ranks_per_host"][name], ranks_per_host, "{name}");
    }
    assert_eq!(tx_bytes(&run).len(), hosts, "{}", run.stderr);
    (run, json)
}

#[test]
fn one_host_two_ranks_uses_shared_memory() {
    let Some(_lock) = guard("one_host_two_ranks_uses_shared_memory") else {
        return;
    };
    let (run, _) = suite(1, 2, "1V/2C vcluster ranks_per_host=2");
    // Between ranks on one host, only Open MPI's launch messages to mpirun
    // cross the bridge; the benchmark's megabytes go through shared memory.
    for (host, tx) in tx_bytes(&run) {
        assert!(tx < 1 << 20, "{host} sent {tx} bytes over the bridge");
    }
}

#[test]
fn two_hosts_one_rank_each_talk_over_the_bridge() {
    let Some(_lock) = guard("two_hosts_one_rank_each_talk_over_the_bridge") else {
        return;
    };
    let (run, json) = suite(2, 1, "2V/1C vcluster ranks_per_host=1");
    // The ping-pong bandwidth test alone moves megabytes each way.
    for (host, tx) in tx_bytes(&run) {
        assert!(tx > 4 << 20, "{host} sent only {tx} bytes over the bridge");
    }
    // Without delay the latency is far below the delay test's.
    let latency = min_ping_pong_usec(&json);
    assert!(latency < DELAY_US / 2.0, "{latency} usec without delay");
}

fn min_ping_pong_usec(json: &serde_json::Value) -> f64 {
    json["summary"]["MinPingPongLatency_usec"]
        .as_f64()
        .expect("MinPingPongLatency_usec in the summary")
}

/// The "vcluster: relay ..." or "vcluster: netem ..." lines `down` prints
/// for each host, with the frames each host's egress lost.
fn egress_losses(run: &Run) -> Vec<(String, u64)> {
    run.stderr
        .lines()
        .filter_map(|l| {
            let l = l.strip_prefix("vcluster: ")?;
            let number_before = |text: &str, word: &str| -> u64 {
                let words: Vec<&str> = text.split_whitespace().collect();
                let at = words.iter().position(|w| *w == word).unwrap();
                words[at - 1].parse().unwrap()
            };
            if let Some(rest) = l.strip_prefix("relay ") {
                // "relay P-vhI: vhI -> vhIr: N frames (B bytes) forwarded,
                // L lost, ...; vhIr -> vhI: ..."
                let egress = rest.split(';').next().unwrap();
                Some((l.to_string(), number_before(egress, "lost,")))
            } else if let Some(rest) = l.strip_prefix("netem ") {
                // "netem P-vhI: Sent B bytes N pkt (dropped L, ..."
                let dropped = rest.split("(dropped ").nth(1)?;
                Some((l.to_string(), dropped.split(',').next()?.parse().ok()?))
            } else {
                None
            }
        })
        .collect()
}

/// The latency/bandwidth test on 2 hosts x 1 rank with `vcluster.sh` options
/// `opts`; checks it verified and its placement facts, and returns it with
/// its results document and the delay implementation that applied (netem
/// or relay).
fn two_hosts_with(
    opts: &[&str],
    tests: &str,
    facts: serde_json::Value,
) -> (Run, serde_json::Value, String) {
    let dir = workdir(200, 1, 2);
    let mut args = vec!["run", "--hosts", "2", "--ranks-per-host", "1"];
    args.extend(opts);
    args.extend([
        "--timeout",
        MPIRUN_TIMEOUT_S,
        "--bin",
        RHPCC,
        "--",
        "--tests",
        tests,
        "--quiet",
    ]);
    let run = vcluster(dir.path(), &args);
    assert_nothing_left();
    assert_eq!(
        run.status,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let json = run.json();
    assert_eq!(json["success"], true);
    let got = &json["placement_facts"];
    let how = got["delay_impl"].as_str().unwrap_or_default().to_string();
    let fell_back = run.stderr.contains("this kernel has no tc netem");
    assert!(
        (how == "relay" && (fell_back || opts.contains(&"relay")))
            || (how == "netem" && !fell_back),
        "delay_impl {how}, stderr:\n{}",
        run.stderr
    );
    for (key, want) in facts.as_object().unwrap() {
        assert_eq!(&got[key], want, "{key} in {got}");
    }
    assert_eq!(got["virtual_cluster"], true);
    (run, json, how)
}

#[test]
fn delay_adds_to_the_ping_pong_latency() {
    let Some(_lock) = guard("delay_adds_to_the_ping_pong_latency") else {
        return;
    };
    relay_bin();
    let (run, json, how) = two_hosts_with(
        &["--delay", DELAY],
        "latbw",
        serde_json::json!({"delay": DELAY, "loss": null, "hosts": 2, "ranks_per_host": 1}),
    );
    // Each host delays what it sends: one way takes the delay once, a
    // ping-pong's latency (half its round trip) at least that. A clear
    // margin above: less than twice the delay.
    let latency = min_ping_pong_usec(&json);
    assert!(
        (0.95 * DELAY_US..2.0 * DELAY_US).contains(&latency),
        "{latency} usec with a delay of {DELAY} by {how}"
    );
    let losses = egress_losses(&run);
    assert_eq!(losses.len(), 2, "{}", run.stderr);
    for (line, lost) in losses {
        assert!(line.starts_with(&format!("{how} ")), "{line}");
        // The relay counts random losses apart from queue overflows; netem's
        // "dropped" counts both, and its 1000-packet queue may overflow.
        if how == "relay" {
            assert_eq!(lost, 0, "{line}");
        }
    }
}

#[test]
fn loss_drops_frames_and_the_run_completes() {
    let Some(_lock) = guard("loss_drops_frames_and_the_run_completes") else {
        return;
    };
    relay_bin();
    // Every host's egress loses 10% of its frames: hundreds of frames in a
    // small STREAM run (its traffic is the launch and a few reductions),
    // so each host loses some, and TCP resends them.
    let (run, _, _) = two_hosts_with(
        &["--loss", "10%", "--delay-impl", "relay"],
        "stream",
        serde_json::json!({"delay": null, "loss": "10%", "delay_impl": "relay"}),
    );
    let losses = egress_losses(&run);
    assert_eq!(losses.len(), 2, "{}", run.stderr);
    for (line, lost) in losses {
        assert!(line.starts_with("relay "), "{line}");
        assert!(lost > 0, "{line}");
    }
}

/// Processes of this tests' cluster (by the state directory in their
/// environment) whose command line contains `word`.
fn cluster_processes(word: &str) -> Vec<String> {
    let mark = format!("RHPCC_VC_STATE=/run/{}-vcluster\0", *PREFIX);
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let env = std::fs::read(entry.path().join("environ")).ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (String::from_utf8_lossy(&env).contains(&mark) && cmdline.contains(word))
                .then_some(cmdline)
        })
        .collect()
}

#[test]
fn relay_setup_is_idempotent_and_goes_with_down() {
    let Some(_lock) = guard("relay_setup_is_idempotent_and_goes_with_down") else {
        return;
    };
    relay_bin();
    let dir = tempfile::tempdir().unwrap();
    let status = || vcluster(dir.path(), &["status"]).stdout;
    let up = |args: &[&str]| {
        let run = vcluster(dir.path(), args);
        if run.status != Some(0) {
            down();
            panic!("{args:?} failed:\n{}", run.stderr);
        }
    };
    let net = format!("{}-net", *PREFIX);
    let links = || sh("ip", &["-n", &net, "-o", "link", "show"]);
    let relayed = [
        "up",
        "--hosts",
        "2",
        "--delay",
        "1ms",
        "--delay-impl",
        "relay",
    ];
    up(&relayed);
    let first = status();
    let first_links = links();
    let first_relays = cluster_processes("rhpcc-vcdelay");
    // The same relays stay (their pids are in the status).
    up(&relayed);
    let second = status();
    // Without delay, the hosts' veth ends are bridge ports again.
    up(&["up", "--hosts", "2"]);
    let plain = status();
    let plain_links = links();
    let plain_relays = cluster_processes("rhpcc-vcdelay");
    up(&relayed);
    down();
    assert_nothing_left();

    assert_eq!(second, first);
    for i in 0..2 {
        let host = format!("{}-vh{i} 10.213.0.{} cpus=", *PREFIX, i + 1);
        assert!(first.contains(&host), "{first}");
        assert!(plain.contains(&host), "{plain}");
    }
    assert_eq!(
        first
            .matches("delay_impl=relay delay=1ms loss=0% relay=running,pid=")
            .count(),
        2,
        "{first}"
    );
    assert_eq!(first_relays.len(), 2, "{first_relays:?}");
    for i in 0..2 {
        assert!(
            first_relays
                .iter()
                .any(|c| c.ends_with(&format!(" --delay 1ms vh{i} vh{i}r "))),
            "{first_relays:?}"
        );
        let port = |text: &str, dev: &str| {
            text.lines().any(|l| {
                l.contains(&format!(": {dev}@")) && l.contains(&format!("master {}-br0", *PREFIX))
            })
        };
        // Relayed: the second pair's end is the port; plain: the host's.
        assert!(port(&first_links, &format!("vh{i}b")), "{first_links}");
        assert!(!port(&first_links, &format!("vh{i}")), "{first_links}");
        assert!(port(&plain_links, &format!("vh{i}")), "{plain_links}");
        assert!(!plain_links.contains(&format!("vh{i}r")), "{plain_links}");
    }
    assert_eq!(
        plain
            .matches("delay_impl=none delay=0ms loss=0% qdisc=")
            .count(),
        2,
        "{plain}"
    );
    assert!(plain_relays.is_empty(), "{plain_relays:?}");
}

#[test]
fn missing_relay_is_refused() {
    let Some(_lock) = guard("missing_relay_is_refused") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let up = vcluster_with(
        dir.path(),
        &[
            "up",
            "--hosts",
            "2",
            "--delay",
            "1ms",
            "--delay-impl",
            "relay",
        ],
        &[("RHPCC_VCDELAY", "/nonexistent/rhpcc-vcdelay")],
    );
    assert_nothing_left();
    assert_eq!(up.status, Some(2), "{}", up.stderr);
    assert!(
        up.stderr.contains(
            "the userspace relay '/nonexistent/rhpcc-vcdelay' is missing (cargo build --release"
        ),
        "{}",
        up.stderr
    );
}

/// `rhpcc micro disk` on 2 virtual hosts of 2 ranks: one writer per host,
/// both at once; they share the machine's filesystem (so each needs room
/// for both files) and its device counter (so they make one ratio).
#[test]
fn micro_disk_writes_once_per_host() {
    let Some(_lock) = guard("micro_disk_writes_once_per_host") else {
        return;
    };
    // (hosts, ranks per host, the writing ranks)
    for (hosts, writers) in [(2usize, vec![0u64, 2]), (1, vec![0])] {
        let out = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let run = vcluster(
            out.path(),
            &[
                "run",
                "--hosts",
                &hosts.to_string(),
                "--ranks-per-host",
                "2",
                "--timeout",
                MPIRUN_TIMEOUT_S,
                "--bin",
                RHPCC,
                "--",
                "micro",
                "disk",
                "--dir",
                data.path().to_str().unwrap(),
                "--size",
                "1M",
                "--block-sizes",
                "4096",
                "--modes",
                "buffered,fsync",
                "--quiet",
            ],
        );
        assert_nothing_left();
        assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
        let text = std::fs::read_to_string(out.path().join("rhpcc-micro-disk.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let test = &doc["tests"][0];
        let hosts_doc = test["parameters"]["hosts"].as_array().unwrap();
        let names: Vec<_> = hosts_doc
            .iter()
            .map(|h| h["host"].as_str().unwrap().to_string())
            .collect();
        let want: Vec<_> = (0..hosts).map(|i| format!("{}-vh{i}", *PREFIX)).collect();
        assert_eq!(names, want);
        let ranks: Vec<_> = hosts_doc
            .iter()
            .map(|h| h["rank"].as_u64().unwrap())
            .collect();
        assert_eq!(ranks, writers, "the first rank of each host writes");
        for h in hosts_doc {
            assert_eq!(h["writers_on_filesystem"], hosts, "{h}");
        }
        for m in test["metrics"].as_array().unwrap() {
            let n = m["samples"].as_array().unwrap().len();
            let key = m["key"].as_str().unwrap();
            if key.ends_with("WriteRatio") {
                assert_eq!(n, 1, "one shared counter: {m}");
            } else {
                assert_eq!(n, hosts, "one sample per host: {m}");
                let v = m["value"].as_f64().unwrap();
                assert!(v > 0.0 && v.is_finite(), "{m}");
            }
        }
        assert!(test["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "MicroDisk_Fsync_MBs_4096"));
        assert_eq!(std::fs::read_dir(data.path()).unwrap().count(), 0);
    }
}

/// `rhpcc launch` (not a dry run) places the ranks from an inventory of the
/// running cluster: 2V/1C puts one rank on each virtual host, 1V/2C both on
/// the first, and each result carries the placement and its facts.
#[test]
fn launch_runs_placements_from_the_clusters_inventory() {
    let Some(_lock) = guard("launch_runs_placements_from_the_clusters_inventory") else {
        return;
    };
    for (hosts, cpus, placement, want_hosts) in [
        ("2", "1", "2V/1C", vec![0, 1]),
        ("1", "2", "1V/2C", vec![0]),
    ] {
        let out = tempfile::tempdir().unwrap();
        let json = out.path().join("cpu.json");
        let run = vcluster(
            out.path(),
            &[
                "launch",
                "--hosts",
                hosts,
                "--cpus-per-host",
                cpus,
                "--bin",
                RHPCC,
                "--",
                "--placement",
                placement,
                "--",
                "micro",
                "cpu",
                "--numbers",
                "2000",
                "--quiet",
                "--json",
                json.to_str().unwrap(),
            ],
        );
        assert_nothing_left();
        assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("rhpcc launch: 2 ranks on"),
            "{}",
            run.stderr
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(doc["placement"], placement);
        assert_eq!(doc["success"], true);
        let names: Vec<String> = want_hosts
            .iter()
            .map(|i| format!("{}-vh{i}", *PREFIX))
            .collect();
        assert_eq!(doc["environment"]["hostnames"], serde_json::json!(names));
        let facts = &doc["placement_facts"];
        assert_eq!(facts["kind"], "vms", "{facts}");
        assert_eq!(facts["vms_per_node"], want_hosts.len(), "{facts}");
        assert_eq!(
            facts["cores_per_vm"],
            cpus.parse::<u64>().unwrap(),
            "{facts}"
        );
        assert_eq!(facts["hypervisor"], "netns", "{facts}");
        // One task per rank, each timed.
        let secs = doc["tests"][0]["metrics"][0]["samples"].as_array().unwrap();
        assert_eq!(secs.len(), 2);
        for s in secs {
            let s = s.as_f64().unwrap();
            assert!(s > 0.0 && s < 60.0, "{secs:?}");
        }
    }
}

#[test]
fn failed_run_still_tears_down() {
    let Some(_lock) = guard("failed_run_still_tears_down") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = vcluster(
        dir.path(),
        &[
            "run",
            "--hosts",
            "2",
            "--ranks-per-host",
            "1",
            "--timeout",
            MPIRUN_TIMEOUT_S,
            "--bin",
            RHPCC,
            "--",
            "--tests",
            "no-such-test",
        ],
    );
    assert_nothing_left();
    assert_eq!(run.status, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("no-such-test"),
        "stderr:\n{}",
        run.stderr
    );
}

#[test]
fn interrupted_run_still_tears_down() {
    let Some(_lock) = guard("interrupted_run_still_tears_down") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Ranks that sleep stand for a long benchmark ("sh -c CMD" takes the
    // appended --placement LABEL as $0 and $1).
    let mut child = Command::new("bash")
        .args([SCRIPT, "run", "--hosts", "2", "--ranks-per-host", "1"])
        .args(["--timeout", MPIRUN_TIMEOUT_S, "--bin", "/bin/sh", "--"])
        .args(["-c", "sleep 120"])
        .env("RHPCC_VC_PREFIX", &*PREFIX)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vcluster.sh starts");
    // Interrupt once the ranks run (the hostfile is written just before
    // mpirun starts).
    let hostfile = format!("/run/{}-vcluster/hostfile", *PREFIX);
    let start = Instant::now();
    while !Path::new(&hostfile).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "cluster not up in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            down();
            panic!("vcluster.sh did not end within 60 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert_nothing_left();
    assert_eq!(
        status.code(),
        Some(143),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn up_is_idempotent_and_down_can_repeat() {
    let Some(_lock) = guard("up_is_idempotent_and_down_can_repeat") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let status = || vcluster(dir.path(), &["status"]).stdout;
    let up = |args: &[&str]| {
        let run = vcluster(dir.path(), args);
        if run.status != Some(0) {
            down();
            panic!("{args:?} failed:\n{}", run.stderr);
        }
    };
    up(&["up", "--hosts", "3", "--cpus-per-host", "1"]);
    let first = status();
    up(&["up", "--hosts", "3", "--cpus-per-host", "1"]);
    assert_eq!(status(), first);
    assert!(first.contains(&format!("{}-vh2 10.213.0.3 cpus=", *PREFIX)));
    // Shrinking removes the hosts beyond the new count.
    up(&["up", "--hosts", "1"]);
    let shrunk = status();
    let namespaces = sh("ip", &["netns", "list"]);
    down();
    assert!(
        shrunk.contains(&format!("{}-vh0 10.213.0.1 cpus=", *PREFIX)),
        "{shrunk}"
    );
    assert!(
        !namespaces.contains(&format!("{}-vh1", *PREFIX)),
        "{namespaces}"
    );
    assert_nothing_left();
    down();
    assert_nothing_left();
}

#[test]
fn netem_is_applied_or_refused_cleanly() {
    let Some(_lock) = guard("netem_is_applied_or_refused_cleanly") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let up = vcluster(
        dir.path(),
        &[
            "up",
            "--hosts",
            "2",
            "--delay",
            "2ms",
            "--loss",
            "0.5%",
            "--delay-impl",
            "netem",
        ],
    );
    if up.status == Some(0) {
        let qdiscs: Vec<String> = (0..2)
            .map(|i| {
                sh(
                    "tc",
                    &[
                        "-n",
                        &format!("{}-vh{i}", *PREFIX),
                        "qdisc",
                        "show",
                        "dev",
                        "eth0",
                    ],
                )
            })
            .collect();
        let status = vcluster(dir.path(), &["status"]).stdout;
        down();
        assert_nothing_left();
        assert_eq!(
            status
                .matches("delay_impl=netem delay=2ms loss=0.5% qdisc=qdisc netem")
                .count(),
            2,
            "{status}"
        );
        for q in qdiscs {
            assert!(
                q.contains("netem") && q.contains("delay 2ms") && q.contains("loss 0.5%"),
                "{q}"
            );
        }
    } else {
        // A kernel without sch_netem: a clear refusal, and nothing half made.
        let _ = writeln!(
            std::io::stderr(),
            "vcluster::netem: this kernel has no netem; checking the refusal instead"
        );
        assert_nothing_left();
        assert_eq!(up.status, Some(2));
        assert!(
            up.stderr.contains("need tc netem, which this kernel lacks"),
            "{}",
            up.stderr
        );
    }
}

#[test]
fn subnet_in_use_is_refused() {
    let Some(_lock) = guard("subnet_in_use_is_refused") else {
        return;
    };
    // A scratch namespace stands for a host already using 10.213.0.0/24.
    struct Scratch(String);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
    let scratch = Scratch(format!("{}-scratch", *PREFIX));
    let ip = |args: &[&str]| {
        assert!(Command::new("ip").args(args).status().unwrap().success());
    };
    let ns = scratch.0.as_str();
    ip(&["netns", "add", ns]);
    ip(&[
        "-n", ns, "link", "add", "s0", "type", "veth", "peer", "name", "s1",
    ]);
    ip(&["-n", ns, "addr", "add", "10.213.0.77/16", "dev", "s0"]);
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "bash", SCRIPT, "up", "--hosts", "1"])
        .env("RHPCC_VC_PREFIX", &*PREFIX)
        .output()
        .unwrap();
    drop(scratch);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("subnet 10.213.0.0/24 is already in use"),
        "{stderr}"
    );
    assert_nothing_left();
}
