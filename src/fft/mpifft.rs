//! MPIFFT: one transform of length `n` spread over `P` ranks in blocks of
//! `n / P`, input and output in natural order (HPCC `FFT/mpifft.c` with
//! FFTE's `pzfft1d`), through the steps of
//! [`rhpcc_kernels::fft::sixstep`] and three `MPI_Alltoall` exchanges.
//!
//! The forward transform records FFTE's eight timestamps; HPCC's
//! `MPIFFT_time<i>` is the difference of timestamps `i + 1` and `i`:
//! - time0: conjugation of the input (FFTE's inverse only; nothing here);
//! - time1: local transpose and the first `MPI_Alltoall`;
//! - time2: the first batch of FFTs with the twiddles;
//! - time3: the second `MPI_Alltoall`;
//! - time4: the second batch of FFTs;
//! - time5: the third `MPI_Alltoall` and the local transpose into natural
//!   order;
//! - time6: scaling (FFTE's inverse only; rhpcc's inverse scales in the
//!   transpose).

use mpi::collective::SystemOperation;
use mpi::topology::{Color, Communicator, SimpleCommunicator};
use mpi::traits::*;
use rayon::ThreadPool;
use rhpcc_kernels::fft::sixstep::{Plan, Shape};
use rhpcc_kernels::fft::{self as k, Complex64, FftDirection};
use serde_json::json;

use super::{e9, gflops, mpi_size, nan_to_inf, touched};
use crate::config::{Config, TestId};
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const TIMING_RULES: &str = "One timed forward transform (MPI_Wtime on rank 0 around it, no \
    barrier, as HPCC's mpifft.c); the plans (FFT plans, twiddle tables, workspaces) are made \
    before it and timed apart as Tuning; rate 5 n log2(n) / t from rank 0's time. \
    MPIFFT_time0..6: rank 0's pieces of that transform (0 input conjugation, inverse only; \
    1 local transpose and first MPI_Alltoall; 2 first FFT batch with twiddles; 3 second \
    MPI_Alltoall; 4 second FFT batch; 5 third MPI_Alltoall and final transpose; 6 scaling, \
    inverse only).";

/// FFTE's timestamps of one transform.
const STAMPS: usize = 8;

/// What rank 0 of the MPIFFT communicator measured, as broadcast to every
/// rank.
struct Outcome {
    gflops: f64,
    max_err: f64,
    /// Generation, tuning, forward, inverse (HPCC's t0..t3), seconds.
    generation: f64,
    tuning: f64,
    computing: f64,
    inverse: f64,
    pieces: [f64; STAMPS - 1],
}

impl Outcome {
    const LEN: usize = 6 + STAMPS - 1;

    /// HPCC's values on ranks that did not compute.
    fn not_run() -> Self {
        Outcome::from_array(&[
            -1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ])
    }

    fn to_array(&self) -> [f64; Self::LEN] {
        let mut a = [0.0; Self::LEN];
        a[..6].copy_from_slice(&[
            self.gflops,
            self.max_err,
            self.generation,
            self.tuning,
            self.computing,
            self.inverse,
        ]);
        a[6..].copy_from_slice(&self.pieces);
        a
    }

    fn from_array(a: &[f64; Self::LEN]) -> Self {
        Outcome {
            gflops: a[0],
            max_err: a[1],
            generation: a[2],
            tuning: a[3],
            computing: a[4],
            inverse: a[5],
            pieces: std::array::from_fn(|i| a[6 + i]),
        }
    }
}

/// One exchange: block `s` of `send` to rank `s`, received into `recv`.
/// On one rank the buffers trade places instead of being copied.
fn exchange(comm: &SimpleCommunicator, send: &mut Vec<Complex64>, recv: &mut Vec<Complex64>) {
    if comm.size() == 1 {
        std::mem::swap(send, recv);
    } else {
        comm.all_to_all_into(k::as_reals(send), k::as_reals_mut(recv));
    }
}

/// The distributed transform `input -> output` (`input` and `work` are left
/// scrambled), with FFTE's timestamps. MPI is called from this thread only;
/// the local steps run on `pool` when there is one.
fn transform(
    comm: &SimpleCommunicator,
    plan: &mut Plan,
    pool: Option<&ThreadPool>,
    input: &mut Vec<Complex64>,
    output: &mut [Complex64],
    work: &mut Vec<Complex64>,
) -> [f64; STAMPS] {
    fn local(pool: Option<&ThreadPool>, f: impl FnOnce() + Send) {
        match pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }
    let mut t = [0.0; STAMPS];
    t[0] = mpi::time();
    // FFTE conjugates the inverse's input here; rhpcc's inverse plan has
    // conjugated twiddles instead.
    t[1] = mpi::time();
    if comm.size() > 1 {
        local(pool, || plan.pack(input, work));
        exchange(comm, work, input);
    }
    t[2] = mpi::time();
    local(pool, || plan.stage1(input, work));
    t[3] = mpi::time();
    exchange(comm, work, input);
    t[4] = mpi::time();
    local(pool, || plan.stage2(input, work));
    t[5] = mpi::time();
    exchange(comm, work, input);
    local(pool, || plan.unpack(input, output));
    t[6] = mpi::time();
    // FFTE scales the inverse here; rhpcc's scales in the transpose above.
    t[7] = mpi::time();
    t
}

/// HPCC's `MPIFFT0` on the computing ranks.
fn compute(
    comm: &SimpleCommunicator,
    n: usize,
    threads: usize,
    pool: Option<&ThreadPool>,
    corrupt: bool,
) -> Outcome {
    let rank = comm.rank() as usize;
    let procs = comm.size() as usize;
    let shape = Shape::new(n, procs).expect("HPCC's MPIFFT sizes split over P ranks");
    let len = shape.local_len();
    let seed = 53 * rank as u64 * 2 * len as u64;

    let start = mpi::time();
    let mut plan = Plan::new(shape, rank, FftDirection::Forward, threads);
    let tuning = mpi::time() - start;

    let mut a = touched(len);
    let mut b = touched(len);
    let mut w = touched(len);

    let start = mpi::time();
    k::bcnrand::bcnrand(seed, k::as_reals_mut(&mut a));
    let generation = mpi::time() - start;

    let start = mpi::time();
    let stamps = transform(comm, &mut plan, pool, &mut a, &mut b, &mut w);
    let computing = mpi::time() - start;
    drop(plan);

    let mut plan = Plan::new(shape, rank, FftDirection::Inverse, threads);
    let start = mpi::time();
    transform(comm, &mut plan, pool, &mut b, &mut a, &mut w);
    let inverse = mpi::time() - start;
    drop(plan);

    if corrupt && rank == 0 {
        a[0].re += 1.0;
    }
    k::bcnrand::bcnrand(seed, k::as_reals_mut(&mut b));
    let local = nan_to_inf(k::max_error(&a, &b));
    let mut max_err = 0.0;
    comm.all_reduce_into(&local, &mut max_err, SystemOperation::max());

    Outcome {
        gflops: gflops(n, computing),
        max_err,
        generation,
        tuning,
        computing,
        inverse,
        pieces: std::array::from_fn(|i| stamps[i + 1] - stamps[i]),
    }
}

/// Run MPIFFT on the first `P` ranks (the largest power of two in the job);
/// the others wait for rank 0's figures.
pub(super) fn run(world: &World, cfg: &Config, pool: Option<&ThreadPool>) -> TestResult {
    let (procs, n) = mpi_size(cfg.input.hpl_max_proc_mem(), world.size);
    let threshold = cfg.input.threshold;
    let corrupt = cfg.inject_fault == Some(TestId::Fft);
    let color = if world.rank < procs {
        Color::with_value(0)
    } else {
        Color::undefined()
    };
    let mut buf = match world.comm.split_by_color(color) {
        Some(comm) => compute(&comm, n, cfg.threads, pool, corrupt),
        None => Outcome::not_run(),
    }
    .to_array();
    world.comm.process_at_rank(0).broadcast_into(&mut buf[..]);
    let o = Outcome::from_array(&buf);
    let scaled = k::scaled_error(o.max_err, n);
    let shape = Shape::new(n, procs).expect("HPCC's MPIFFT sizes split over P ranks");

    let mut body = format!(
        "Number of nodes: {procs}\nVector size: {n:>20}\nGeneration time: {:9.3}\n\
         Tuning: {:9.3}\nComputing: {:9.3}\nInverse FFT: {:9.3}\nmax(|x-x0|): {}\n\
         Gflop/s: {:9.3}\n",
        o.generation,
        o.tuning,
        o.computing,
        o.inverse,
        e9(o.max_err),
        o.gflops
    );
    body.push_str(&format!(
        "rhpcc: local FFTs by {}; n split in two factors, {} x {}, where FFTE's pzfft1d \
         uses three; the same three MPI_Alltoall exchanges\n",
        k::API,
        shape.n1,
        shape.n2
    ));
    if procs < world.size {
        let idle = if procs + 1 == world.size {
            format!("rank {procs}")
        } else {
            format!("ranks {procs} to {}", world.size - 1)
        };
        body.push_str(&format!(
            "rhpcc: {idle} idle, as in HPCC (MPIFFT runs on a power-of-two number of ranks)\n"
        ));
    }

    const TIME_KEYS: [&str; STAMPS - 1] = [
        "MPIFFT_time0",
        "MPIFFT_time1",
        "MPIFFT_time2",
        "MPIFFT_time3",
        "MPIFFT_time4",
        "MPIFFT_time5",
        "MPIFFT_time6",
    ];
    let mut summary = vec![
        ("MPIFFT_N", SummaryValue::Int(n as i64)),
        ("MPIFFT_Gflops", SummaryValue::G(o.gflops)),
        ("MPIFFT_maxErr", SummaryValue::G(o.max_err)),
        ("MPIFFT_Procs", SummaryValue::Int(procs as i64)),
    ];
    let mut metrics = vec![Metric::new("Gflops", "Gflop/s", o.gflops)
        .key("MPIFFT_Gflops")
        .samples(vec![o.gflops])];
    for (i, key) in TIME_KEYS.into_iter().enumerate() {
        summary.push((key, SummaryValue::G(o.pieces[i])));
        metrics.push(
            Metric::new(format!("time{i}"), "s", o.pieces[i])
                .key(key)
                .lower_is_better()
                .samples(vec![o.pieces[i]]),
        );
    }
    TestResult {
        name: "MPIFFT",
        section: body,
        summary,
        metrics,
        verification: vec![Verification {
            name: "max|x - x0| / ln(n) / eps after the inverse of the forward transform".into(),
            value: scaled,
            threshold,
            rule: "value < threshold",
            passed: scaled < threshold,
        }],
        timing_rules: TIMING_RULES,
        parameters: json!({
            "n": n,
            "procs": procs,
            "idle_ranks": world.size - procs,
            "n1": shape.n1,
            "n2": shape.n2,
            "threads": cfg.threads,
            "fft_api": k::API,
            "threshold": threshold,
            "max_err": o.max_err,
            "generation_s": o.generation,
            "tuning_s": o.tuning,
            "inverse_s": o.inverse,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_survives_the_broadcast_layout() {
        let o = Outcome {
            gflops: 1.0,
            max_err: 2.0,
            generation: 3.0,
            tuning: 4.0,
            computing: 5.0,
            inverse: 6.0,
            pieces: [7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0],
        };
        let back = Outcome::from_array(&o.to_array());
        assert_eq!(back.to_array(), o.to_array());
        assert_eq!(back.pieces[6], 13.0);
        let idle = Outcome::not_run();
        assert_eq!((idle.gflops, idle.max_err), (-1.0, -1.0));
    }
}
