//! `rhpcc compare` as a user runs it: the built binary on a directory of
//! synthetic results documents (no MPI), and on bad input.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

const RHPCC: &str = env!("CARGO_BIN_EXE_rhpcc");

fn run_doc(placement: &str, scale: f64, i: usize) -> Value {
    let jitter = 1.0 + 0.01 * i as f64;
    let triad = 40.0 * scale * jitter;
    json!({
        "schema_version": 1,
        "tool": {"name": "rhpcc", "version": "0.1.0", "git_revision": "test"},
        "started_at_unix": 1_795_547_239 + i,
        "placement": placement,
        "success": true,
        "environment": {"hostnames": ["n1", "n2"], "comm_world_procs": 4},
        "parameters": {},
        "tests": [{"name": "StarSTREAM", "passed": true, "verification": [], "metrics": [
            {"name": "Triad", "key": "StarSTREAM_Triad", "unit": "GB/s",
             "higher_is_better": true, "value": triad, "samples": []}
        ]}],
        "summary": {
            "HPL_Tflops": 0.1 * scale * jitter,
            "PTRANS_GBs": 2.0 * scale * jitter,
            "StarSTREAM_Copy": 35.0 * scale * jitter,
            "StarSTREAM_Triad": triad,
            "MinPingPongLatency_usec": 20.0 / scale * jitter,
            "MPIRandomAccess_GUPs": -1,
            "HPL_cpfact": "C"
        }
    })
}

fn write(path: &Path, v: &Value) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn compare(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(RHPCC)
        .arg("compare")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("rhpcc starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

/// Three native run documents, a series of three `4V/1C` runs, and a
/// foreign JSON file.
fn inputs(dir: &Path) {
    for i in 0..3 {
        write(
            &dir.join(format!("in/native/rhpcc-{i}.json")),
            &run_doc("native", 1.0, i),
        );
    }
    let runs: Vec<Value> = (0..3).map(|i| run_doc("4V/1C", 0.8, i)).collect();
    write(
        &dir.join("in/vm/series.json"),
        &json!({"schema_version": 1, "kind": "series", "placement": "4V/1C", "runs": runs}),
    );
    write(&dir.join("in/summary.json"), &json!({"date": "today"}));
}

#[test]
fn compares_a_directory_and_writes_report_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    // MPI_Init would fail with this setting: compare must not call it.
    let out = Command::new(RHPCC)
        .args(["compare", "--out", "report", "in"])
        .env("OMPI_MCA_pml", "no-such-component")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("summary.json: not an rhpcc results document"),
        "{stderr}"
    );
    assert!(
        stdout.starts_with(
            "6 run documents in 2 placements: native (3), 4V/1C (3); baseline: native."
        ),
        "{stdout}"
    );
    assert!(stdout.contains("ratio to native"), "{stdout}");
    // 0.8 of native, far outside three runs' 1% noise.
    assert!(stdout.contains("0.8000 ± "), "{stdout}");
    assert!(stdout.contains("(-20.0%, worse)"), "{stdout}");
    assert!(stdout.contains("MPIRandomAccess_GUPs"), "{stdout}");

    let report = fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    assert!(report.starts_with("# rhpcc comparison"), "{report}");
    assert!(report.contains("## HPL (LINPACK): overall performance"));
    assert!(report.contains("![PTRANS: aggregate network bandwidth](ptrans.svg)"));
    let mut svgs: Vec<String> = fs::read_dir(dir.path().join("report"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    svgs.sort();
    assert_eq!(
        svgs,
        ["hpl.svg", "latency.svg", "ptrans.svg", "stream-star.svg"]
    );
    // plotters puts each text on its own line inside <text>.
    let stream = fs::read_to_string(dir.path().join("report/stream-star.svg"))
        .unwrap()
        .replace('\n', "");
    for label in [">native<", ">4V/1C<", ">GB/s<", ">Copy<", ">Triad<"] {
        assert!(stream.contains(label), "{label} not in the plot");
    }

    // A rerun with fewer figures leaves no stale plot behind.
    let mut only_ptrans = run_doc("native", 1.0, 0);
    only_ptrans["tests"] = json!([]);
    only_ptrans["summary"] = json!({"PTRANS_GBs": 2.0});
    write(&dir.path().join("ptrans.json"), &only_ptrans);
    let out = compare(dir.path(), &["--out", "report", "ptrans.json"]);
    assert_eq!(out.status.code(), Some(0));
    let left: Vec<_> = fs::read_dir(dir.path().join("report"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(dir.path().join("report/ptrans.svg").exists());

    // Markdown on standard output is the report itself.
    let out = compare(dir.path(), &["--format", "md", "--out", "report", "in"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), report);
}

#[test]
fn another_baseline() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    let out = compare(dir.path(), &["--baseline", "4V/1C", "--out", "o", "in"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ratio to 4V/1C"), "{stdout}");
    assert!(stdout.contains("1.250 ± "), "{stdout}");
}

fn refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(needle),
        "stderr lacks {needle:?}:\n{stderr}"
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    let mut v2 = run_doc("native", 1.0, 9);
    v2["schema_version"] = json!(2);
    write(&dir.path().join("in/native/new.json"), &v2);
    let out = compare(dir.path(), &["--out", "o", "in"]);
    refused(
        &out,
        "rhpcc: error: in/native/new.json: schema_version 2, but this rhpcc reads",
    );
    assert!(
        !dir.path().join("o").exists(),
        "nothing written for refused input"
    );

    let out = compare(dir.path(), &["--out", "o", "in/vm", "--baseline", "kvm"]);
    refused(
        &out,
        "--baseline \"kvm\": no run document has that placement; the placements are: 4V/1C",
    );

    let out = compare(dir.path(), &["--out", "o", "in/missing.json"]);
    refused(&out, "in/missing.json: No such file or directory");

    fs::write(dir.path().join("cut.json"), "{\"schema_version\": 1,").unwrap();
    let out = compare(dir.path(), &["cut.json"]);
    refused(&out, "cut.json: not valid JSON");

    let out = compare(dir.path(), &[]);
    refused(&out, "<PATH>");
}
