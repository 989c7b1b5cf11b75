//! Bad input under mpirun: a clear error on rank 0 naming what is wrong,
//! a non-zero exit, no panic, and no rank left hanging.

mod common;

use common::{mpirun, workdir};

fn refuse(ranks: usize, dir: &std::path::Path, args: &[&str], needle: &str) {
    let run = mpirun(ranks, dir, args);
    assert_ne!(run.status, Some(0), "should fail: {args:?}");
    assert!(
        run.stderr.contains(needle),
        "stderr should mention {needle:?}:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // Reported once, by rank 0, not by every rank.
    assert_eq!(
        run.stderr.matches("rhpcc: error:").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        !dir.join("hpccoutf.txt").exists(),
        "no output for a refused run"
    );
}

fn edit(dir: &std::path::Path, line: usize, text: &str) {
    let path = dir.join("hpccinf.txt");
    let old = std::fs::read_to_string(&path).unwrap();
    let new: Vec<&str> = old
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { text } else { l })
        .collect();
    std::fs::write(path, new.join("\n")).unwrap();
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    refuse(2, dir.path(), &["--input", "nope.txt"], "nope.txt");
}

#[test]
fn truncated_file() {
    let dir = workdir(1000, 1, 2);
    let path = dir.path().join("hpccinf.txt");
    let text: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .take(12)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, text).unwrap();
    refuse(2, dir.path(), &[], "ends after line 12");
}

#[test]
fn non_number() {
    let dir = workdir(1000, 1, 2);
    edit(dir.path(), 6, "10x0 Ns");
    refuse(2, dir.path(), &[], "hpccinf.txt:6:");
}

#[test]
fn count_larger_than_values() {
    let dir = workdir(1000, 1, 2);
    edit(dir.path(), 7, "3 # of NBs");
    refuse(2, dir.path(), &[], "hpccinf.txt:8:");
}

#[test]
fn n_and_nb_below_one() {
    let dir = workdir(1000, 1, 2);
    edit(dir.path(), 6, "0 Ns");
    refuse(2, dir.path(), &[], "hpccinf.txt:6:");
    let dir = workdir(1000, 1, 2);
    edit(dir.path(), 8, "0 NBs");
    refuse(2, dir.path(), &[], "hpccinf.txt:8:");
    let dir = workdir(1000, 1, 2);
    refuse(2, dir.path(), &["--n", "0"], "--n");
}

#[test]
fn threshold_not_positive() {
    let dir = workdir(1000, 1, 2);
    edit(dir.path(), 13, "-1.0 threshold");
    refuse(2, dir.path(), &[], "hpccinf.txt:13:");
    // Not a finite number either: refused at parse time, not a panic later.
    edit(dir.path(), 13, "inf threshold");
    refuse(2, dir.path(), &[], "hpccinf.txt:13:");
}

#[test]
fn grid_larger_than_job() {
    let dir = workdir(1000, 2, 2);
    refuse(2, dir.path(), &[], "needs 4 MPI ranks");
    let dir = workdir(1000, 1, 2);
    refuse(2, dir.path(), &["-P", "3", "-Q", "1"], "--p/--q");
}

#[test]
fn problem_too_large_for_memory() {
    let dir = workdir(10_000_000, 1, 2);
    refuse(2, dir.path(), &[], "too large for memory");
}

#[test]
fn unknown_test_name() {
    let dir = workdir(1000, 1, 2);
    refuse(2, dir.path(), &["--tests", "stream,bogus"], "bogus");
}

#[test]
fn output_directory_missing() {
    let dir = workdir(1000, 1, 2);
    refuse(
        2,
        dir.path(),
        &["--output", "no/such/dir/out.txt"],
        "--output",
    );
}

#[test]
fn outputs_that_would_destroy_or_lose_files_are_refused_before_the_work() {
    // Each is refused by rank 0 before the first test (HPL would take
    // seconds; the refusal comes at once), once, with exit 2.
    let dir = workdir(600, 1, 2);
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    for (args, needle) in [
        (&["--output", "taken"][..], "--output taken: is a directory"),
        (
            &["--output", "same.txt", "--json", "./same.txt"][..],
            "--json ./same.txt: is the same file as --output same.txt",
        ),
        (
            &["--output", "hpccinf.txt"][..],
            "--output hpccinf.txt: is the input file",
        ),
        (
            &["--json", "/dev/null"][..],
            "--json /dev/null: is a device node",
        ),
        (
            &["--output", "/proc/hpccoutf.txt"][..],
            "--output /proc/hpccoutf.txt: cannot create a file in /proc",
        ),
    ] {
        let mut all = vec!["--tests", "hpl"];
        all.extend_from_slice(args);
        let run = mpirun(2, dir.path(), &all);
        assert_eq!(run.status, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.matches("rhpcc: error:").count(),
            1,
            "{}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("HPL"),
            "{args:?} ran HPL: {}",
            run.stdout
        );
    }
    // The input is intact, nothing was written, and /dev/null is still a
    // device.
    let input = std::fs::read_to_string(dir.path().join("hpccinf.txt")).unwrap();
    assert!(input.contains("Ns"));
    assert!(!dir.path().join("hpccoutf.txt").exists());
    assert!(!dir.path().join("same.txt").exists());
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn option_errors_are_printed_once_under_mpirun() {
    let dir = workdir(600, 1, 2);
    let run = mpirun(2, dir.path(), &["-N", "-5"]);
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("unexpected argument '-5'").count(),
        1,
        "{}",
        run.stderr
    );
    let run = mpirun(2, dir.path(), &["--isa", "sse9"]);
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.matches("invalid value 'sse9'").count(), 1);
    let run = mpirun(2, dir.path(), &["--version"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.matches("rhpcc ").count(), 1, "{}", run.stdout);
}

#[test]
fn sizes_too_small_or_too_large_are_refused_not_run() {
    let dir = workdir(1000, 1, 2);
    // 8 N^2 / 2 = 36 bytes per rank: too few for STREAM, DGEMM, FFT, ...
    refuse(2, dir.path(), &["-N", "3"], "use N >= 6");
    // HPL alone runs and verifies at any N.
    let run = mpirun(2, dir.path(), &["-N", "3", "--tests", "hpl,latbw"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(run.outf().contains("Success=1"));
    std::fs::remove_file(dir.path().join("hpccoutf.txt")).unwrap();
    // 8 N^2 does not wrap around to a small size.
    refuse(
        2,
        dir.path(),
        &["-N", "4294967296"],
        "problem too large for memory",
    );
}

#[test]
fn an_overlong_placement_label_is_refused() {
    let dir = workdir(600, 1, 2);
    let label = "x".repeat(70_000);
    refuse(
        2,
        dir.path(),
        &["--tests", "stream", "--placement", &label],
        "--placement: expected a label of at most 200 characters, found '70000 characters'",
    );
}
