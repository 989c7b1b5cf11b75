//! MPIFFT, StarFFT and SingleFFT under mpirun on 1 to 4 ranks: every
//! transform verifies, every FFT key is present with HPCC's sizes and sane
//! values, and a corrupted result fails the run.

mod common;

use common::{mpirun, num, workdir, Run};

/// `HPCC_LocalVectorSize(params, vecs, 16, 1)`: the largest power of two
/// of complex doubles that `vecs` vectors fit in `mem` bytes (at least 1).
fn pow2_vectors(mem: usize, vecs: usize) -> usize {
    let words = mem / 16 / vecs;
    if words < 2 {
        1
    } else {
        1 << words.ilog2()
    }
}

/// Sizes HPCC derives for HPL order `n` on a grid of `grid_procs` ranks in a
/// job of `ranks`: (FFT_N, MPIFFT_Procs, MPIFFT_N).
fn hpcc_sizes(n: usize, grid_procs: usize, ranks: usize) -> (usize, usize, usize) {
    let mem = 8 * n * n / grid_procs;
    let procs = 1 << ranks.ilog2();
    let fft_n = pow2_vectors(mem, 2);
    (fft_n, procs, pow2_vectors(mem, 4 * procs) * procs * procs)
}

const TIME_KEYS: [&str; 7] = [
    "MPIFFT_time0",
    "MPIFFT_time1",
    "MPIFFT_time2",
    "MPIFFT_time3",
    "MPIFFT_time4",
    "MPIFFT_time5",
    "MPIFFT_time6",
];

/// Gflop/s figures from a section's `<label> <value>` lines.
fn section_value(out: &str, section: &str, label: &str) -> f64 {
    common::section(out, section)
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("{section}: no line '{label}'"))
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{section}: '{label}' not a number"))
}

fn check_fft(run: &Run, n: usize, grid_procs: usize, ranks: usize) {
    assert_eq!(run.status, Some(0), "stderr:\n{}", run.stderr);
    let s = run.summary();
    let out = run.outf();
    assert_eq!(s["Success"], "1");
    let (fft_n, procs, mpi_n) = hpcc_sizes(n, grid_procs, ranks);

    assert_eq!(s["FFT_API"], rhpcc_kernels::fft::API);
    assert_eq!(num(&s, "FFT_N"), fft_n as f64);
    assert_eq!(num(&s, "MPIFFT_N"), mpi_n as f64);
    assert_eq!(num(&s, "MPIFFT_Procs"), procs as f64);
    for k in ["StarFFT_Gflops", "SingleFFT_Gflops", "MPIFFT_Gflops"] {
        let v = num(&s, k);
        assert!(v > 1e-3 && v < 1e4, "{k}={v}");
    }
    // HPCC's bound: max|x - x0| / ln(n) / eps < 16 (the input's threshold).
    let err = num(&s, "MPIFFT_maxErr");
    let bound = 16.0 * (mpi_n as f64).ln() * f64::EPSILON / 2.0;
    assert!(
        err > 0.0 && err < bound,
        "MPIFFT_maxErr={err} bound {bound}"
    );

    // The pieces lie inside the timed forward transform.
    let t = 5.0 * mpi_n as f64 * (mpi_n as f64).log2() / num(&s, "MPIFFT_Gflops") / 1e9;
    let pieces: Vec<f64> = TIME_KEYS.iter().map(|k| num(&s, k)).collect();
    assert!(pieces.iter().all(|&p| p >= 0.0), "{pieces:?}");
    assert!(
        pieces[2] > 0.0 && pieces[4] > 0.0,
        "FFT batches timed: {pieces:?}"
    );
    let sum: f64 = pieces.iter().sum();
    assert!(
        sum <= t * (1.0 + 1e-4) + 1e-8,
        "pieces {sum} > transform {t}"
    );

    // Sections in HPCC's order and layout.
    let at = |what: &str| out.find(what).unwrap_or_else(|| panic!("missing {what}"));
    assert!(at("Begin of MPIFFT section.") < at("Begin of StarFFT section."));
    assert!(at("Begin of StarFFT section.") < at("Begin of SingleFFT section."));
    assert_eq!(
        section_value(&out, "MPIFFT", "Number of nodes:"),
        procs as f64
    );
    assert_eq!(section_value(&out, "MPIFFT", "Vector size:"), mpi_n as f64);
    assert_eq!(section_value(&out, "StarFFT", "Vector size:"), fft_n as f64);
    assert_eq!(section_value(&out, "StarFFT", "Node(s) with error"), 0.0);
    assert_eq!(section_value(&out, "SingleFFT", "Node(s) with error"), 0.0);
    let selected = section_value(&out, "SingleFFT", "Node selected");
    if ranks > 1 {
        assert!(selected >= 1.0 && selected < ranks as f64, "{selected}");
    } else {
        assert_eq!(selected, 0.0);
    }
    let min = section_value(&out, "StarFFT", "Minimum Gflop/s");
    let max = section_value(&out, "StarFFT", "Maximum Gflop/s");
    let avg = num(&s, "StarFFT_Gflops");
    assert!(min <= avg * (1.0 + 1e-5) && avg <= max * (1.0 + 1e-5));
    assert_eq!(
        out.contains("idle, as in HPCC"),
        procs < ranks,
        "idle ranks are named only when there are some"
    );

    let json = run.json();
    for name in ["MPIFFT", "StarFFT", "SingleFFT"] {
        let t = json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} in JSON"));
        assert_eq!(t["passed"], true, "{name}");
        let v = &t["verification"][0];
        assert!(v["value"].as_f64().unwrap() < v["threshold"].as_f64().unwrap());
    }
}

#[test]
fn one_rank() {
    let dir = workdir(400, 1, 1);
    let run = mpirun(1, dir.path(), &["--tests", "fft"]);
    check_fft(&run, 400, 1, 1);
    // Only the FFT family ran.
    let out = run.outf();
    assert!(!out.contains("Begin of StarSTREAM section."));
    assert_eq!(run.summary()["StarSTREAM_Triad"], "-1");
}

#[test]
fn two_ranks() {
    let dir = workdir(400, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "MPIFFT"]);
    check_fft(&run, 400, 2, 2);
}

#[test]
fn three_ranks_run_mpifft_on_two() {
    let dir = workdir(400, 1, 3);
    let run = mpirun(3, dir.path(), &["--tests", "starfft"]);
    check_fft(&run, 400, 3, 3);
    assert!(run.outf().contains("rhpcc: rank 2 idle"));
}

#[test]
fn four_ranks() {
    let dir = workdir(400, 2, 2);
    let run = mpirun(4, dir.path(), &["--tests", "SingleFFT"]);
    check_fft(&run, 400, 4, 4);
}

#[test]
fn threads_split_the_transforms() {
    let dir = workdir(400, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "fft", "--threads", "2"]);
    check_fft(&run, 400, 2, 2);
    assert!(run.outf().contains("six-step over 2 threads"));
}

#[test]
fn injected_fault_fails_the_run() {
    let dir = workdir(400, 1, 2);
    let run = mpirun(2, dir.path(), &["--tests", "fft", "--inject-fault", "fft"]);
    assert_eq!(run.status, Some(1), "stderr:\n{}", run.stderr);
    let s = run.summary();
    assert_eq!(s["Success"], "0");
    assert!(num(&s, "MPIFFT_maxErr") >= 1.0);
    let out = run.outf();
    assert_eq!(section_value(&out, "StarFFT", "Node(s) with error"), 1.0);
    assert_eq!(section_value(&out, "SingleFFT", "Node(s) with error"), 1.0);
    let json = run.json();
    assert_eq!(json["success"], false);
    for t in json["tests"].as_array().unwrap() {
        assert_eq!(t["passed"], false, "{}", t["name"]);
    }
}
