//! `rhpcc launch` on the example inventory (no MPI: a dry run and the
//! refusals), and `rhpcc run --repeat` under mpirun writing a series.

mod common;

use std::path::Path;
use std::process::Command;

use common::{mpirun, workdir, RHPCC};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/launch/inventory.example.toml");

fn launch(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(RHPCC)
        .arg("launch")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("rhpcc starts");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dry_run_prints_and_writes_the_files_and_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = launch(
        dir.path(),
        &[
            "--inventory",
            EXAMPLE,
            "--placement",
            "4V/1C",
            "--dry-run",
            "--out",
            "plan",
            "--bin",
            "/opt/rhpcc",
            "--",
            "--tests",
            "stream",
        ],
    );
    assert_eq!(status, Some(0), "stderr:\n{stderr}");
    let hostfile: String = (1..=8).map(|i| format!("10.0.2.{i} slots=1\n")).collect();
    let rankfile: String = (1..=8)
        .map(|i| format!("rank {}=10.0.2.{i} slot=0\n", i - 1))
        .collect();
    let (files, command) = stdout.split_once("# command\n").expect("command section");
    assert_eq!(
        files,
        format!("# plan/hostfile\n{hostfile}# plan/rankfile\n{rankfile}")
    );
    let facts = std::fs::read_to_string(dir.path().join("plan/placement.json")).unwrap();
    let facts: serde_json::Value = serde_json::from_str(&facts).unwrap();
    assert_eq!(
        command,
        format!(
            "mpirun -np 8 --hostfile plan/hostfile --rankfile plan/rankfile /opt/rhpcc run \
             --placement 4V/1C --placement-facts '{facts}' --tests stream\n"
        )
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join("plan").join(f)).unwrap();
    assert_eq!(read("hostfile"), hostfile);
    assert_eq!(read("rankfile"), rankfile);
    assert_eq!(read("hosts.mpich").lines().next(), Some("10.0.2.1:1"));
    assert_eq!(facts["vms_per_node"], 4);
    assert_eq!(facts["cores_per_vm"], 1);
    assert_eq!(facts["nodes"], 2);
    assert_eq!(facts["hypervisor"], "kvm");
    assert_eq!(facts["nic"], "virtio");
    assert_eq!(facts["disk"], "virtio-blk");
    assert_eq!(facts["hosts"][4]["node"], "node2");

    let (status, stdout, stderr) = launch(
        dir.path(),
        &[
            "--inventory",
            EXAMPLE,
            "--placement",
            "1V/4C",
            "--mpi",
            "mpich",
            "--dry-run",
            "--bin",
            "rhpcc",
        ],
    );
    assert_eq!(status, Some(0), "stderr:\n{stderr}");
    assert!(
        stdout.starts_with(
            "# rhpcc-launch/hosts.mpich\n10.0.1.1:4\n10.0.1.2:4\n# command\n\
             mpiexec -f rhpcc-launch/hosts.mpich -n 8 -bind-to core rhpcc run --placement 1V/4C "
        ),
        "{stdout}"
    );
}

#[test]
fn launch_refuses_what_it_cannot_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--placement", "2V/4C"],
            "node 'node1' has 1 VM(s) with exactly 4 core(s) (node1-vm4c), the placement needs 2",
        ),
        (&["--placement", "4X"], "--placement: expected `native`"),
        (
            &["--placement", "native", "--", "--placement", "x"],
            "--placement after `--`",
        ),
        (
            &["--placement", "native", "--inventory", "/nonexistent.toml"],
            "inventory /nonexistent.toml: cannot read",
        ),
    ];
    for (args, message) in cases {
        let mut argv = vec!["--inventory", EXAMPLE, "--dry-run"];
        argv.extend_from_slice(args);
        // A repeated --inventory: clap refuses it, so put the missing one alone.
        if args.contains(&"/nonexistent.toml") {
            argv.drain(..2);
        }
        let (status, _, stderr) = launch(dir.path(), &argv);
        assert_eq!(status, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert!(
        !dir.path().join("rhpcc-launch").exists(),
        "nothing written when refused"
    );
}

#[test]
fn repeat_writes_a_series_of_complete_runs() {
    let dir = workdir(1000, 1, 2);
    let facts = r#"{"nodes": 1, "vms_per_node": 0}"#;
    let run = mpirun(
        2,
        dir.path(),
        &[
            "--tests",
            "stream,latbw",
            "--repeat",
            "2",
            "--placement",
            "native",
            "--placement-facts",
            facts,
            "--quiet",
        ],
    );
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["kind"], "series");
    assert_eq!(doc["placement"], "native");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        assert_eq!(r["schema_version"], 1);
        assert_eq!(r["success"], true);
        assert_eq!(r["placement"], "native");
        assert_eq!(r["placement_facts"]["vms_per_node"], 0);
        let names: Vec<&str> = r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"StarSTREAM"), "{names:?}");
        assert!(names.contains(&"LatencyBandwidth"), "{names:?}");
        let triad = r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["metrics"].as_array().unwrap())
            .find(|m| m["key"] == "StarSTREAM_Triad")
            .expect("Triad metric");
        assert!(!triad["samples"].as_array().unwrap().is_empty());
        assert!(r["summary"]["StarSTREAM_Triad"].as_f64().unwrap() > 0.0);
    }
    // hpccoutf.txt is one complete run (the last), not two appended.
    assert_eq!(run.outf().matches("Begin of Summary section.").count(), 1);

    let run = mpirun(1, dir.path(), &["--tests", "stream", "--repeat", "0"]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr
            .contains("--repeat: expected an integer >= 1, found '0'"),
        "{}",
        run.stderr
    );
}

#[test]
fn single_run_document_has_no_series_and_no_facts() {
    let dir = workdir(1000, 1, 1);
    let run = mpirun(1, dir.path(), &["--tests", "stream", "--quiet"]);
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let doc = run.json();
    assert!(doc.get("kind").is_none());
    assert!(doc.get("placement_facts").is_none());
    assert_eq!(doc["tests"][0]["name"], "StarSTREAM");
}
