//! Running `launch/vcluster.sh` from the tests: one cluster per test
//! process under [`PREFIX`], one test at a time ([`guard`], which also says
//! why the tests cannot run here: they need root and network namespaces),
//! calls with a time bound that tear down on a hang, and the checks that
//! nothing is left.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::{Run, RHPCC};

/// Names everything of the tests' cluster: `rt<pid>`, not the default
/// `rhpcc`, so that a developer's own cluster and test runs in other
/// checkouts are left alone.
pub static PREFIX: LazyLock<String> = LazyLock::new(|| format!("rt{}", std::process::id()));
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/launch/vcluster.sh");
/// Longest a script call may take; mpirun gets less (`--timeout`), so the
/// script's own teardown runs first.
pub const TIMEOUT: Duration = Duration::from_secs(240);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Why these tests cannot run here, if they cannot; probed once.
static SKIP: LazyLock<Option<String>> = LazyLock::new(skip_reason);

/// Why tests that build network namespaces cannot run here, if they
/// cannot: not root, or `ip netns add` fails (an unprivileged container).
fn skip_reason() -> Option<String> {
    let probe = &format!("{}-probe", *PREFIX);
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root (network namespaces need root)".into());
    }
    match Command::new("ip").args(["netns", "add", probe]).output() {
        Ok(out) if out.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", probe]).status();
            None
        }
        Ok(out) => Some(format!(
            "'ip netns add' fails: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("'ip' not found ({e}); install iproute2")),
    }
}

/// Holds the lock for a test, or says why the test is skipped.
pub fn guard(test: &str) -> Option<std::sync::MutexGuard<'static, ()>> {
    if let Some(why) = &*SKIP {
        // Straight to stderr: the test harness would hide eprintln! output.
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
        return None;
    }
    Some(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()))
}

pub fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().expect("command runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `vcluster.sh <args>` with the tests' prefix in `dir`; a call that
/// hangs is sent SIGTERM (whose trap tears down), then killed.
pub fn vcluster(dir: &Path, args: &[&str]) -> Run {
    vcluster_with(dir, args, &[])
}

/// `vcluster` with more environment variables.
pub fn vcluster_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let relay = Path::new(RHPCC).with_file_name("rhpcc-vcdelay");
    let mut child = Command::new("bash")
        .arg(SCRIPT)
        .args(args)
        .env("RHPCC_VC_PREFIX", &*PREFIX)
        .env("RHPCC_VCDELAY", relay)
        .env_remove("RHPCC_VC_SUBNET")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vcluster.sh starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > TIMEOUT {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            std::thread::sleep(Duration::from_secs(20));
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            down();
            panic!(
                "vcluster.sh {args:?} hung for {TIMEOUT:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir: dir.to_path_buf(),
    }
}

pub fn down() {
    let out = Command::new("bash")
        .args([SCRIPT, "down"])
        .env("RHPCC_VC_PREFIX", &*PREFIX)
        .output()
        .expect("vcluster.sh down starts");
    assert!(
        out.status.success(),
        "vcluster.sh down failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Nothing of the prefix remains: namespaces (and with them the bridge and
/// the veth pairs), links in this namespace, the state directory, processes.
pub fn assert_nothing_left() {
    let namespaces = sh("ip", &["netns", "list"]);
    assert!(
        !namespaces.contains(&format!("{}-", *PREFIX)),
        "namespaces left:\n{namespaces}"
    );
    let links = sh("ip", &["-o", "link", "show"]);
    assert!(!links.contains(PREFIX.as_str()), "links left:\n{links}");
    let state = format!("/run/{}-vcluster", *PREFIX);
    assert!(!Path::new(&state).exists(), "{state} left");
    // mpirun, orted, the ranks and the relays carry the state directory in
    // their environment.
    let mark = format!("RHPCC_VC_STATE={state}\0");
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(env) = std::fs::read(entry.path().join("environ")) {
            let env = String::from_utf8_lossy(&env);
            assert!(!env.contains(&mark), "process {:?} left", entry.file_name());
        }
    }
}

/// Bytes each virtual host sent over its eth0 during the run, from the
/// script's "traffic" lines.
pub fn tx_bytes(run: &Run) -> Vec<(String, u64)> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("vcluster: traffic "))
        .map(|l| {
            let mut words = l.split_whitespace();
            let host = words.next().unwrap().to_string();
            let tx = words.next().unwrap().strip_prefix("tx_bytes=").unwrap();
            (host, tx.parse().unwrap())
        })
        .collect()
}
