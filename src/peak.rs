//! The floating-point peak of the job, measured in the same run on the same
//! ranks as HPL, so that HPL's rate can be given as a share of it (on a VM,
//! efficiency says more than a rate).
//!
//! The probe runs at the instruction-set level of faer's GEMM, which does
//! HPL's flops ([`rhpcc_kernels::isa::gemm_isa`]; `--isa` does not reach
//! faer), so that HPL's share of it never passes 100 %.
//!
//! Rules: all ranks start together after a barrier; each rank runs
//! [`rhpcc_kernels::peak::fma_chains`] on each of its `threads` threads,
//! sized to about 0.1 s, three times, and keeps its best rate; the rates
//! are gathered to every rank. Running all ranks at once matters: cores
//! that share a host (or a hypervisor) are measured under the same load as
//! in HPL.

use mpi::traits::*;
use rayon::prelude::*;
use rhpcc_kernels::isa::{self, Isa, Simd};
use rhpcc_kernels::peak;

use crate::world::World;

/// Seconds one timed repeat aims for.
const TARGET_S: f64 = 0.1;
const REPEATS: usize = 3;

/// What the probe measured.
pub struct Peak {
    /// Each rank's best FMA rate in Gflop/s, indexed by world rank.
    pub rank_gflops: Vec<f64>,
    /// The level it ran at on this rank.
    pub isa: Isa,
}

/// The level the probe runs at on this CPU: faer's GEMM's.
pub fn probe_level() -> Simd {
    Simd::new(isa::gemm_isa()).unwrap_or_else(isa::active)
}

/// Measure every rank's peak (collective).
pub fn probe(world: &World, threads: usize) -> Peak {
    let simd = probe_level();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    let run = |iters: u64| -> f64 {
        let t0 = mpi::time();
        let sink: f64 = pool.install(|| {
            (0..threads)
                .into_par_iter()
                .map(|_| peak::fma_chains(simd, iters))
                .sum()
        });
        std::hint::black_box(sink);
        mpi::time() - t0
    };
    // Calibrate on this rank alone, then measure with every rank busy.
    let mut iters = 1u64 << 16;
    loop {
        let t = run(iters);
        if t >= TARGET_S / 10.0 || iters >= 1 << 40 {
            iters = ((iters as f64) * TARGET_S / t.max(1e-9)).ceil() as u64;
            break;
        }
        iters *= 4;
    }
    world.comm.barrier();
    let best = (0..REPEATS)
        .map(|_| run(iters))
        .fold(f64::INFINITY, f64::min);
    let mine = peak::flops(simd.isa(), iters) * threads as f64 / best / 1e9;
    let mut all = vec![0.0f64; world.size];
    world.comm.all_gather_into(&mine, &mut all[..]);
    Peak {
        rank_gflops: all,
        isa: simd.isa(),
    }
}
