use std::path::Path;

use clap::Parser;

use super::*;
use crate::cli::Cli;

fn args(extra: &[&str]) -> RunArgs {
    let mut argv = vec!["rhpcc"];
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).unwrap().run
}

fn job(size: usize, mem_gib: u64) -> JobShape {
    JobShape {
        size,
        hosts: vec![HostShape {
            name: "node0".into(),
            ranks: size,
            mem_available: mem_gib << 30,
        }],
    }
}

fn write_input(dir: &Path, n: &str, grid: (&str, &str)) -> std::path::PathBuf {
    let text = include_str!("../../tests/data/hpccinf_N1000_1x2.txt")
        .replace("1000         Ns", &format!("{n}         Ns"))
        .replace("1            Ps", &format!("{}            Ps", grid.0))
        .replace("2            Qs", &format!("{}            Qs", grid.1));
    let path = dir.join("hpccinf.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn hpcc_default_grid() {
    assert_eq!(default_grid(1), (1, 1));
    assert_eq!(default_grid(2), (1, 2));
    assert_eq!(default_grid(4), (2, 2));
    assert_eq!(default_grid(6), (2, 3));
    assert_eq!(default_grid(7), (1, 7));
    assert_eq!(default_grid(12), (3, 4));
    // A prime of 20 or more drops one rank: 23 -> 22 = 2 x 11.
    assert_eq!(default_grid(23), (2, 11));
}

#[test]
fn hpcc_default_n_is_multiple_of_2nb() {
    // HPCC's own default of 64 MiB per process on 2 ranks.
    assert_eq!(default_n(2, 64 << 20, 80), 3520);
    let n = default_n(4, 512 << 20, 80);
    assert_eq!(n % 160, 0);
    assert!(8 * n * n / 4 <= 512 << 20);
}

#[test]
fn no_file_gives_hpcc_defaults_sized_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = resolve(&args(&[]), &job(4, 16), dir.path()).unwrap();
    assert_eq!(cfg.input.grids, vec![(2, 2)]);
    assert_eq!(cfg.input.nbs, vec![80]);
    assert_eq!(cfg.input.ns, vec![default_n(4, 512 << 20, 80)]);
    assert!(cfg.input_source.contains("512 MiB"));
    assert_eq!(cfg.tests, TestId::ALL.to_vec());
}

#[test]
fn default_memory_is_capped_by_available_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB available for 4 ranks: at most 128 MiB each.
    let cfg = resolve(&args(&[]), &job(4, 1), dir.path()).unwrap();
    assert_eq!(cfg.input.ns, vec![default_n(4, 128 << 20, 80)]);
}

#[test]
fn hpccmemf_sets_memory_per_rank() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hpccmemf.txt"), "Total=256\n").unwrap();
    let cfg = resolve(&args(&[]), &job(2, 16), dir.path()).unwrap();
    assert_eq!(cfg.input.ns, vec![default_n(2, 128 << 20, 80)]);
}

#[test]
fn hpccinf_in_working_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_input(dir.path(), "1000", ("1", "2"));
    let cfg = resolve(&args(&[]), &job(2, 16), dir.path()).unwrap();
    assert_eq!(cfg.input.ns, vec![1000]);
    assert_eq!(cfg.input.grids, vec![(1, 2)]);
}

#[test]
fn flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_input(dir.path(), "1000", ("1", "2"));
    let a = args(&[
        "--input",
        path.to_str().unwrap(),
        "--n",
        "2000",
        "--nb",
        "64",
        "-P",
        "2",
        "-Q",
        "1",
        "--tests",
        "StarSTREAM",
    ]);
    let cfg = resolve(&a, &job(2, 16), dir.path()).unwrap();
    assert_eq!(cfg.input.ns, vec![2000]);
    assert_eq!(cfg.input.nbs, vec![64]);
    assert_eq!(cfg.input.grids, vec![(2, 1)]);
    assert_eq!(cfg.tests, vec![TestId::Stream]);
    assert!(cfg.input_source.contains("--n"));
}

#[test]
fn grid_larger_than_job_is_refused_naming_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_input(dir.path(), "1000", ("2", "2"));
    let e = resolve(
        &args(&["-i", path.to_str().unwrap()]),
        &job(2, 16),
        dir.path(),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        ConfigError::TooFewRanks {
            needed: 4,
            have: 2,
            ..
        }
    ));
    assert!(e.to_string().contains("lines 11-12"), "{e}");
    // A smaller grid than the job is fine: extra ranks sit idle in HPL.
    let path = write_input(dir.path(), "1000", ("1", "1"));
    assert!(resolve(
        &args(&["-i", path.to_str().unwrap()]),
        &job(2, 16),
        dir.path()
    )
    .is_ok());
}

#[test]
fn problem_that_cannot_fit_is_refused_naming_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_input(dir.path(), "200000", ("1", "2"));
    let e = resolve(
        &args(&["-i", path.to_str().unwrap()]),
        &job(2, 16),
        dir.path(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ConfigError::Memory { n: 200000, .. }), "{msg}");
    assert!(msg.contains("node0") && msg.contains("N=200000"), "{msg}");
}

#[test]
fn ptrans_size_that_cannot_fit_is_refused_when_ptrans_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_input(dir.path(), "1000", ("1", "2"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("0                      \t\tNumber", "1 Number")
        .replace("1200 10000 30000", "100000");
    std::fs::write(&path, text).unwrap();
    let i = path.to_str().unwrap();
    let e = resolve(
        &args(&["-i", i, "--tests", "ptrans"]),
        &job(2, 16),
        dir.path(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            ConfigError::PtransMemory {
                n: 100000,
                nb: 80,
                p: 1,
                q: 2,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("node0") && msg.contains("lines 33-34"),
        "{msg}"
    );
    assert!(resolve(&args(&["-i", i, "--tests", "hpl"]), &job(2, 16), dir.path()).is_ok());
}

#[test]
fn bad_flags_and_tests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let j = job(2, 16);
    for bad in [["--n", "0"], ["--nb", "0"], ["--threads", "0"]] {
        assert!(matches!(
            resolve(&args(&bad), &j, dir.path()),
            Err(ConfigError::Flag { .. })
        ));
    }
    assert!(matches!(
        resolve(&args(&["--tests", "nonsense"]), &j, dir.path()),
        Err(ConfigError::UnknownTest(_))
    ));
    for name in ["ptrans", "PTRANS", "Ptrans"] {
        let cfg = resolve(&args(&["--tests", name]), &j, dir.path()).unwrap();
        assert_eq!(cfg.tests, vec![TestId::Ptrans]);
    }
    assert!(Cli::try_parse_from(["rhpcc", "--n", "-5"]).is_err());
    assert!(
        Cli::try_parse_from(["rhpcc", "-P", "2"]).is_err(),
        "P without Q"
    );
}

#[test]
fn repeat_and_placement_facts() {
    let dir = tempfile::tempdir().unwrap();
    let j = job(2, 16);
    let cfg = resolve(&args(&[]), &j, dir.path()).unwrap();
    assert_eq!((cfg.repeat, cfg.placement_facts), (1, None));
    let e = resolve(&args(&["--repeat", "0"]), &j, dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--repeat: expected an integer >= 1, found '0'"
    );
    let cfg = resolve(
        &args(&["--repeat", "3", "--placement-facts", r#"{"nodes": 2}"#]),
        &j,
        dir.path(),
    )
    .unwrap();
    assert_eq!(cfg.repeat, 3);
    assert_eq!(cfg.placement_facts, Some(serde_json::json!({"nodes": 2})));
    for bad in ["[1]", "{nodes", ""] {
        let e = resolve(&args(&["--placement-facts", bad]), &j, dir.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("--placement-facts: expected a JSON object, found '{bad}'")
        );
    }
}

#[test]
fn missing_input_file_is_an_error_naming_it() {
    let e = resolve(
        &args(&["--input", "/nonexistent/hpccinf.txt"]),
        &job(2, 16),
        Path::new("/"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/hpccinf.txt"));
}

#[test]
fn output_in_a_missing_directory_is_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--output", "--json"] {
        let e = resolve(&args(&[flag, "/nonexistent/x"]), &job(2, 16), dir.path()).unwrap_err();
        assert!(e.to_string().starts_with(flag), "{e}");
    }
}

#[test]
fn randomaccess_names_select_one_test() {
    let dir = tempfile::tempdir().unwrap();
    let j = job(2, 16);
    for name in [
        "randomaccess",
        "GUPS",
        "MPIRandomAccess",
        "StarRandomAccess",
        "singlerandomaccess",
        "RandomAccess_LCG",
        "MPIRandomAccess_LCG",
        "StarRandomAccess_LCG",
        "SingleRandomAccess_LCG",
    ] {
        let cfg = resolve(&args(&["--tests", name]), &j, dir.path()).unwrap();
        assert_eq!(cfg.tests, vec![TestId::RandomAccess], "{name}");
    }
    let cfg = resolve(
        &args(&["--tests", "gups,randomaccess", "--inject-fault", "gups"]),
        &j,
        dir.path(),
    )
    .unwrap();
    assert_eq!(cfg.tests, vec![TestId::RandomAccess]);
    assert_eq!(cfg.inject_fault, Some(TestId::RandomAccess));
    assert_eq!(cfg.ra_time_bound, None);
    let cfg = resolve(&args(&["--ra-time-bound", "0.5"]), &j, dir.path()).unwrap();
    assert_eq!(cfg.ra_time_bound, Some(0.5));
    for bad in ["0", "-1", "inf"] {
        assert!(matches!(
            resolve(&args(&[&format!("--ra-time-bound={bad}")]), &j, dir.path()),
            Err(ConfigError::Flag {
                flag: "--ra-time-bound",
                ..
            })
        ));
    }
}

#[test]
fn fft_is_selected_by_its_family_and_section_names() {
    let dir = tempfile::tempdir().unwrap();
    let j = job(2, 16);
    for name in ["fft", "FFT", "MPIFFT", "mpifft", "StarFFT", "singlefft"] {
        let cfg = resolve(&args(&["--tests", name]), &j, dir.path()).unwrap();
        assert_eq!(cfg.tests, vec![TestId::Fft], "{name}");
    }
    let cfg = resolve(
        &args(&["--tests", "StarFFT,SingleFFT,stream"]),
        &j,
        dir.path(),
    )
    .unwrap();
    assert_eq!(cfg.tests, vec![TestId::Fft, TestId::Stream]);
    let cfg = resolve(&args(&["--inject-fault", "MPIFFT"]), &j, dir.path()).unwrap();
    assert_eq!(cfg.inject_fault, Some(TestId::Fft));
    assert!(matches!(
        resolve(&args(&["--tests", "fftx"]), &j, dir.path()),
        Err(ConfigError::UnknownTest(_))
    ));
}
