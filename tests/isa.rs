//! One binary for every x86-64 CPU: the release binary runs and verifies
//! every test on emulated CPUs older than the build machine's (Debian's
//! `qemu-user`, as an MPI singleton), and `--isa` forces each level this
//! CPU runs, on every rank, or stops the job when some rank lacks it.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{mpirun, singleton, RHPCC};
use rhpcc_kernels::isa::{Isa, Simd};
use serde_json::Value;

/// Every test of the suite, small.
const ALL_SMALL: &[&str] = &[
    "--tests",
    "stream,ptrans,randomaccess,fft,dgemm,latbw,hpl",
    "-N",
    "600",
    "--quiet",
];

/// Every test in the document passed, and the run says so.
fn assert_all_verified(json: &Value, what: &str) {
    assert_eq!(json["success"], true, "{what}: run failed");
    let tests = json["tests"].as_array().expect("tests");
    let names: Vec<&str> = tests.iter().filter_map(|t| t["name"].as_str()).collect();
    for want in [
        "MPIRandomAccess",
        "PTRANS",
        "StarDGEMM",
        "StarSTREAM",
        "MPIFFT",
        "LatencyBandwidth",
        "HPL",
    ] {
        assert!(names.contains(&want), "{what}: no {want} in {names:?}");
    }
    for t in tests {
        assert_eq!(t["passed"], true, "{what}: {} failed", t["name"]);
    }
}

fn qemu_run(model: &str, dir: &Path) -> (Option<i32>, String) {
    let mut child = Command::new("qemu-x86_64")
        .arg("-cpu")
        .arg(model)
        .arg(RHPCC)
        .args(ALL_SMALL)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("qemu-x86_64 starts (launch/ensure-deps.sh installs qemu-user)");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("{model}: no result after 300 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CPU models emulated, and the best level the binary should see on
/// each: a CPU without AVX, and one with AVX2 but without AVX-512 (QEMU's
/// emulation has no AVX-512 at all).
#[cfg(target_arch = "x86_64")]
#[test]
fn the_release_binary_verifies_on_emulated_older_cpus() {
    for (model, best) in [("Nehalem", "portable"), ("Skylake-Server", "avx2")] {
        let dir = tempfile::tempdir().unwrap();
        let (status, stderr) = qemu_run(model, dir.path());
        assert_eq!(status, Some(0), "{model}: {stderr}");
        let text = std::fs::read_to_string(dir.path().join("rhpcc-results.json")).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_all_verified(&json, model);
        let cpu = &json["environment"]["cpu"];
        assert_eq!(cpu["best_isa"], best, "{model}: {cpu}");
        assert_eq!(cpu["isa"], best, "{model}: {cpu}");
        assert_eq!(cpu["flags"]["avx512f"], false, "{model}: {cpu}");
        assert_eq!(cpu["flags"]["avx"], best != "portable", "{model}: {cpu}");
        assert_eq!(cpu["kernels"]["stream"], best, "{model}: {cpu}");
        assert_eq!(cpu["kernels"]["gemm"], format!("faer {best}"), "{model}");
        // HPL's efficiency is against the peak of the code that ran.
        let hpl = json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "HPL")
            .unwrap();
        assert_eq!(hpl["parameters"]["peak_probe"]["isa"], best, "{model}");
    }
}

/// Each level this CPU runs, forced with --isa (and with RHPCC_ISA) on two
/// ranks: the kernels run at it, say so, and verify.
#[test]
fn every_supported_level_can_be_forced() {
    for simd in Simd::all_supported() {
        let level = simd.isa().name();
        let dir = tempfile::tempdir().unwrap();
        let run = mpirun(
            2,
            dir.path(),
            &[
                "--isa",
                level,
                "--tests",
                "stream,ptrans,fft",
                "-N",
                "1000",
                "--stream-stores",
                "streaming",
                "--quiet",
            ],
        );
        assert_eq!(run.status, Some(0), "{level}: {}", run.stderr);
        let json = run.json();
        assert_eq!(json["success"], true);
        let cpu = &json["environment"]["cpu"];
        assert_eq!(cpu["isa"], level, "{cpu}");
        assert_eq!(cpu["isa_requested"], level);
        assert_eq!(cpu["kernels"]["stream"], level);
        assert_eq!(cpu["kernels"]["ptrans_tiles"], level);
        let fft = if simd.isa() >= Isa::Avx2 {
            "rustfft avx"
        } else {
            "rustfft sse"
        };
        assert_eq!(cpu["kernels"]["fft"], fft);
        assert!(
            run.outf().contains(&format!(
                "non-temporal (streaming) stores, {level} kernels)\n"
            )),
            "{level}: STREAM section does not name its code"
        );
    }
    // The environment variable does the same as the option.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(RHPCC);
    cmd.args(["--tests", "stream", "-N", "500", "--quiet"])
        .env("RHPCC_ISA", "portable")
        .current_dir(dir.path());
    assert!(cmd.status().unwrap().success());
    let text = std::fs::read_to_string(dir.path().join("rhpcc-results.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["environment"]["cpu"]["isa"], "portable");
}

/// A level above the CPU's stops every rank before any test, naming it.
#[test]
fn a_level_the_cpu_lacks_is_refused_on_every_rank() {
    let best = Isa::best();
    for isa in Isa::ALL.into_iter().filter(|i| *i > best) {
        let dir = tempfile::tempdir().unwrap();
        let run = mpirun(2, dir.path(), &["--isa", isa.name(), "--tests", "stream"]);
        assert_eq!(run.status, Some(2), "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("--isa {}", isa.name()))
                && run.stderr.contains("rank 0 on")
                && run.stderr.contains("rank 1 on")
                && run.stderr.contains(&format!("has up to {best}")),
            "{}",
            run.stderr
        );
        assert!(!dir.path().join("hpccoutf.txt").exists());
    }
    // Not a level at all: clap names the option and the choices.
    let dir = tempfile::tempdir().unwrap();
    let run = singleton(dir.path(), &["--isa", "sse9"]);
    assert_eq!(run.status, Some(2));
    assert!(run.stderr.contains("--isa") && run.stderr.contains("avx2"));
}
