//! Helpers for integration tests that run the built `rhpcc` binary, alone
//! (an MPI singleton) or under `mpirun`.

#![allow(dead_code)]

pub mod vcluster;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const RHPCC: &str = env!("CARGO_BIN_EXE_rhpcc");

/// Longest a single run may take before the test calls it a hang.
const TIMEOUT: Duration = Duration::from_secs(180);

pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
}

impl Run {
    pub fn outf(&self) -> String {
        std::fs::read_to_string(self.dir.join("hpccoutf.txt")).unwrap_or_else(|e| {
            panic!(
                "hpccoutf.txt not written ({e}); exit status {:?}\nstdout:\n{}\nstderr:\n{}",
                self.status, self.stdout, self.stderr
            )
        })
    }

    pub fn json(&self) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.dir.join("rhpcc-results.json")).expect("JSON written");
        serde_json::from_str(&text).expect("JSON parses")
    }

    /// The summary block of hpccoutf.txt as key -> value text.
    pub fn summary(&self) -> BTreeMap<String, String> {
        summary_of(&self.outf())
    }
}

/// The body of section `name` of an hpccoutf.txt text (between its
/// `Begin of <name> section.` and `End of <name> section.` lines).
pub fn section(text: &str, name: &str) -> String {
    let begin = format!("Begin of {name} section.\n");
    let end = format!("End of {name} section.");
    let from = text
        .find(&begin)
        .unwrap_or_else(|| panic!("no {name} section"))
        + begin.len();
    let to = from + text[from..].find(&end).unwrap();
    text[from..to].to_string()
}

pub fn summary_of(text: &str) -> BTreeMap<String, String> {
    section(text, "Summary")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn wait(mut cmd: Command, dir: &Path) -> Run {
    cmd.current_dir(dir)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("command starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "run hung for {TIMEOUT:?} (ranks did not all exit)\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        dir: dir.to_path_buf(),
    }
}

/// Run `rhpcc args` under `mpirun -np ranks` in `dir`.
pub fn mpirun(ranks: usize, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new("mpirun");
    cmd.args(["--oversubscribe", "-np", &ranks.to_string(), RHPCC])
        .args(args);
    wait(cmd, dir)
}

/// Run `rhpcc args` without mpirun (an MPI singleton).
pub fn singleton(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(RHPCC);
    cmd.args(args);
    wait(cmd, dir)
}

/// A fresh directory holding `hpccinf.txt` for problem size `n` and grid
/// `p` x `q` (the reference's input file otherwise).
pub fn workdir(n: usize, p: usize, q: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = include_str!("../data/hpccinf_N1000_1x2.txt")
        .replace("1000         Ns", &format!("{n}         Ns"))
        .replace("1            Ps", &format!("{p}            Ps"))
        .replace("2            Qs", &format!("{q}            Qs"));
    std::fs::write(dir.path().join("hpccinf.txt"), text).unwrap();
    dir
}

/// Parse a summary value as a number.
pub fn num(s: &BTreeMap<String, String>, key: &str) -> f64 {
    s.get(key)
        .unwrap_or_else(|| panic!("summary key {key} missing"))
        .parse()
        .unwrap_or_else(|_| panic!("summary key {key} is not a number"))
}
