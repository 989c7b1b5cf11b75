//! `rhpcc micro disk` under mpirun: figures for every mode and block size
//! (or the reason they are absent), nothing left in `--dir` (also when the
//! run is stopped with SIGTERM), refusals before writing, and a corrupted
//! block failing the run.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{mpirun, Run, RHPCC};
use serde_json::Value;

const PAPER: [u64; 5] = [64, 512, 4096, 32768, 262144];
const MODES: [(&str, &str); 3] = [
    ("buffered", "Buffered"),
    ("fsync", "Fsync"),
    ("direct", "Direct"),
];

fn doc(run: &Run) -> Value {
    let path = run.dir.join("rhpcc-micro-disk.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} not written ({e}); exit {:?}\nstdout:\n{}\nstderr:\n{}",
            path.display(),
            run.status,
            run.stdout,
            run.stderr
        )
    });
    serde_json::from_str(&text).expect("JSON parses")
}

fn metric<'a>(test: &'a Value, key: &str) -> Option<&'a Value> {
    test["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// `rhpcc micro disk --dir data extra...` in a fresh working directory
/// (returned with the run, which reads its JSON from there).
fn disk(ranks: usize, data: &Path, extra: &[&str]) -> (tempfile::TempDir, Run) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["micro", "disk", "--dir", data.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = mpirun(ranks, out.path(), &args);
    (out, run)
}

/// Every key of the paper's sweep is there and positive, or (O_DIRECT
/// only) absent with the reason in the host's record; each ratio is there
/// or its absence is explained.
fn check_figures(run: &Run, hosts: usize) {
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let d = doc(run);
    assert_eq!(d["success"], true);
    let test = &d["tests"][0];
    assert_eq!(test["name"], "MicroDisk");
    assert_eq!(test["passed"], true, "{test:#}");
    let recs = test["parameters"]["hosts"].as_array().unwrap();
    assert_eq!(recs.len(), hosts, "one writer per host");
    let align = recs[0]["direct_alignment"].as_u64();
    for (mode, title) in MODES {
        for b in PAPER {
            let key = format!("MicroDisk_{title}_MBs_{b}");
            let direct_skips = mode == "direct" && align.is_none_or(|a| b % a != 0);
            match metric(test, &key) {
                Some(m) => {
                    assert!(
                        !direct_skips,
                        "{key} should be skipped (alignment {align:?})"
                    );
                    assert!(m["value"].as_f64().unwrap() > 0.0, "{m}");
                    assert_eq!(m["samples"].as_array().unwrap().len(), hosts, "{m}");
                }
                None => {
                    assert!(direct_skips, "{key} missing");
                    let step = recs[0]["steps"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|s| s["mode"] == mode && s["block"] == b)
                        .unwrap();
                    let why = step["skipped"].as_str().unwrap();
                    assert!(why.contains("O_DIRECT"), "{why}");
                }
            }
        }
        let key = format!("MicroDisk_{title}_DeviceWriteRatio");
        let sweep = recs[0]["sweeps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["mode"] == mode)
            .unwrap();
        match metric(test, &key) {
            Some(m) => {
                assert!(m["value"].as_f64().unwrap() > 0.0, "{m}");
                assert!(sweep["device_bytes"].as_u64().unwrap() > 0, "{sweep}");
            }
            None => {
                let why = sweep["device_absent"].as_str().unwrap_or("");
                assert!(!why.is_empty(), "{key} absent without a reason: {sweep}");
            }
        }
    }
}

#[test]
fn one_rank_writes_every_mode_and_leaves_nothing() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(1, data.path(), &["--size", "1M", "--quiet"]);
    check_figures(&run, 1);
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

#[test]
fn two_ranks_on_one_host_write_once() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(2, data.path(), &["--size", "1M"]);
    check_figures(&run, 1);
    // The section is printed: the read-back and the device count or why not.
    assert!(run.stdout.contains("Read-back:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("device bytes on") && run.stdout.contains("device counter:"),
        "{}",
        run.stdout
    );
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

#[test]
fn named_files_are_removed_too() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(
        1,
        data.path(),
        &[
            "--size",
            "1M",
            "--modes",
            "buffered",
            "--no-tmpfile",
            "--quiet",
        ],
    );
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let files = doc(&run)["tests"][0]["parameters"]["hosts"][0]["files"].clone();
    assert!(files.as_str().unwrap().starts_with("named"), "{files}");
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

#[test]
fn tmpfs_has_no_device_count_and_says_so() {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if !mounts
        .lines()
        .any(|l| l.contains(" /dev/shm ") && l.contains(" - tmpfs "))
    {
        eprintln!("skipped: /dev/shm is not a tmpfs here");
        return;
    }
    let data = tempfile::tempdir_in("/dev/shm").unwrap();
    let (_out, run) = disk(
        1,
        data.path(),
        &[
            "--size",
            "1M",
            "--block-sizes",
            "4096",
            "--modes",
            "buffered",
        ],
    );
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let test = &doc(&run)["tests"][0];
    assert!(metric(test, "MicroDisk_Buffered_MBs_4096").is_some());
    assert!(metric(test, "MicroDisk_Buffered_DeviceWriteRatio").is_none());
    let why = test["parameters"]["hosts"][0]["device_absent"]
        .as_str()
        .unwrap();
    assert!(why.contains("tmpfs"), "{why}");
    assert!(
        run.stdout.contains("device bytes on") && run.stdout.contains("not available"),
        "{}",
        run.stdout
    );
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

fn refused(run: &Run, needles: &[&str]) {
    assert_ne!(run.status, Some(0), "should fail:\n{}", run.stdout);
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "stderr lacks {n:?}:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.dir.join("rhpcc-micro-disk.json").exists());
}

#[test]
fn too_little_space_is_refused_before_writing() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(2, data.path(), &["--size", "1000T"]);
    let dir = std::fs::canonicalize(data.path()).unwrap();
    refused(
        &run,
        &[&format!("--dir {}", dir.display()), "free", "needed"],
    );
    assert_eq!(
        run.stderr.matches("rhpcc: error:").count(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

#[test]
fn bad_options_are_named() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(2, data.path(), &["--size", "1M", "--block-sizes", "64,100"]);
    refused(&run, &["--block-sizes", "'100'"]);
    let (_out, run) = disk(
        1,
        data.path(),
        &["--size", "1M", "--modes", "buffered,sync"],
    );
    refused(&run, &["--modes", "'sync'"]);
    let (_out, run) = disk(
        1,
        data.path(),
        &["--block-sizes", "all", "--size", "1000000"],
    );
    refused(&run, &["--size 1000000", "262144"]);
    let (_out, run) = disk(2, Path::new("/nonexistent-rhpcc-dir"), &["--size", "1M"]);
    refused(&run, &["--dir /nonexistent-rhpcc-dir: no such directory"]);
    assert_eq!(
        run.stderr.matches("rhpcc: error:").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn a_corrupted_block_fails_the_run() {
    let data = tempfile::tempdir().unwrap();
    let (_out, run) = disk(
        2,
        data.path(),
        &[
            "--size",
            "1M",
            "--block-sizes",
            "4096",
            "--inject-fault",
            "--quiet",
        ],
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let d = doc(&run);
    assert_eq!(d["success"], false);
    let v = &d["tests"][0]["verification"][0];
    assert_eq!(v["passed"], false, "{v}");
    // One corrupted block per file, one file per mode.
    assert_eq!(v["value"].as_f64().unwrap(), 3.0, "{v}");
    assert_eq!(entries(data.path()), Vec::<String>::new());
}

/// Whether some process has a descriptor on a file in `dir`.
fn open_in(dir: &Path) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        std::fs::read_dir(p.path().join("fd")).is_ok_and(|fds| {
            fds.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.starts_with(dir)))
        })
    })
}

fn free_bytes(dir: &Path) -> u64 {
    let c = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
    st.f_bavail * st.f_frsize
}

/// mpirun stopped with SIGTERM while a rank writes (a file of 1 GiB in
/// 64-byte writes, which takes many seconds): no file is left, with
/// O_TMPFILE and with named files, and no process keeps one open. (With
/// two ranks mpirun often SIGKILLs the writer before it handles SIGTERM,
/// which is why named files are unlinked as soon as they are open.)
#[test]
fn sigterm_mid_write_leaves_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(data.path()).unwrap();
    if free_bytes(&dir) < 3 << 30 {
        eprintln!("skipped: less than 3 GiB free in {}", dir.display());
        return;
    }
    for extra in [None, Some("--no-tmpfile")] {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("mpirun");
        cmd.args(["--oversubscribe", "-np", "2", RHPCC])
            .args(["micro", "disk", "--dir", dir.to_str().unwrap(), "--quiet"])
            .args(["--size", "1G", "--modes", "buffered", "--block-sizes", "64"])
            .args(extra)
            .current_dir(out.path())
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("mpirun starts");
        let start = Instant::now();
        while !open_in(&dir) {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "{extra:?}: the run ended ({status}) before writing was seen\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no write seen");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "mpirun did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Ranks may outlive mpirun by a moment.
        let start = Instant::now();
        while open_in(&dir) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{extra:?}: a process still holds a file"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(entries(&dir), Vec::<String>::new(), "{extra:?}");
    }
}
