//! FFT drivers: HPCC's MPIFFT (one transform distributed over the ranks),
//! StarFFT (every rank its own transform at once) and SingleFFT (one random
//! rank), after HPCC's `FFT/mpifft.c`, `FFT/onecpu.c` and `FFT/tstfft.c`.
//!
//! Rules followed, as HPCC built with its own FFTE (no FFTW), the build the
//! reference outputs come from:
//! - input from HPCC's generator `HPCC_bcnrand` (bit for bit): StarFFT and
//!   SingleFFT seed it with 0 on every rank, MPIFFT with
//!   `53 * rank * 2 * (n / P)` on each rank;
//! - sizes: StarFFT and SingleFFT use `HPCC_LocalVectorSize(params, 2, 16,
//!   1)` (two vectors of complex doubles, a power of two); MPIFFT takes the
//!   largest power of two `P` not above the number of ranks, `locN =
//!   HPCC_LocalVectorSize(params, 4 P, 16, 1)` and `n = locN P^2`; ranks
//!   from `P` on wait idle, as HPCC's;
//! - the plan (FFT plans, twiddle tables, workspaces) is made before the
//!   transform and timed apart as `Tuning`; one forward transform is timed
//!   (`MPI_Wtime` around it, no barrier), the rate is `5 n log2(n) / t`;
//!   MPIFFT reports rank 0's time, StarFFT the minimum, average and maximum
//!   of the ranks' rates (`StarFFT_Gflops` is the average);
//! - verification: the inverse transform (a plan of its own, made untimed)
//!   of the forward one against the regenerated input,
//!   `max |x - x0| / ln(n) / eps` below the input's threshold with `eps =
//!   2^-53` (MPIFFT: the maximum over its ranks); a failure fails the run;
//! - `MPIFFT_time0..6`: rank 0's pieces of the forward transform, the
//!   differences of FFTE's eight timestamps in `pzfft1d` (see
//!   [`mpifft`]);
//! - `Node(s) with error` counts the ranks whose verification failed (HPCC
//!   counts ranks that could not open the output file).
//!
//! Not as HPCC (stated in the sections as `rhpcc:` lines): the local FFTs
//! are rustfft's, not FFTE's, and MPIFFT splits `n` into two factors
//! `n1 x n2` where FFTE's `pzfft1d` uses three (`nx x ny x nz`); the
//! exchanges are the same three `MPI_Alltoall` calls.

pub mod mpifft;
pub mod onecpu;

use rhpcc_kernels::fft::{self as k, Complex64};

use crate::config::Config;
use crate::report::TestResult;
use crate::stream::local_vector_size;
use crate::world::World;

/// Bytes of one complex double (`sizeof(fftw_complex)`).
const COMPLEX_BYTES: u64 = 16;

/// StarFFT's and SingleFFT's length: two vectors of complex doubles in
/// `HPLMaxProcMem`, a power of two.
pub fn local_size(hpl_max_proc_mem: u64) -> usize {
    local_vector_size(hpl_max_proc_mem, 2, COMPLEX_BYTES, true)
}

/// MPIFFT's rank count and global length for a job of `size` ranks: the
/// largest power of two `P <= size`, and `n = locN P^2` with four vectors of
/// `n / P` complex doubles per rank. (HPCC halves `P` while `locN` is 0,
/// which `HPCC_LocalVectorSize` never returns for powers of two.)
pub fn mpi_size(hpl_max_proc_mem: u64, size: usize) -> (usize, usize) {
    let procs = 1usize << (usize::BITS - 1 - size.max(1).leading_zeros());
    let loc = local_vector_size(hpl_max_proc_mem, 4 * procs as u64, COMPLEX_BYTES, true);
    (procs, loc * procs * procs)
}

/// A vector of `len` complex values, written now (not left as a zeroed
/// allocation) so that its pages are mapped before any timed transform.
fn touched(len: usize) -> Vec<Complex64> {
    vec![Complex64::new(1.0, 1.0); len]
}

/// `value` for an MPI MAX reduction: NaN (a broken transform) becomes
/// infinity, which every comparison orders.
fn nan_to_inf(value: f64) -> f64 {
    if value.is_nan() {
        f64::INFINITY
    } else {
        value
    }
}

/// HPCC's rate: `5 n log2(n) / t` Gflop/s, -1 when the time is not positive.
fn gflops(n: usize, t: f64) -> f64 {
    if t > 0.0 {
        1e-9 * k::flops(n) / t
    } else {
        -1.0
    }
}

/// HPCC's `%9.3e`.
fn e9(v: f64) -> String {
    format!("{:>9}", crate::report::cfmt::e_prec(v, 3))
}

/// Run MPIFFT, StarFFT and SingleFFT, in HPCC's order.
pub fn run(world: &World, cfg: &Config) -> Vec<TestResult> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .expect("rayon pool");
    let pool = (cfg.threads > 1).then_some(&pool);
    let mut results = vec![mpifft::run(world, cfg, pool)];
    results.extend(onecpu::run(world, cfg, pool));
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_hpcc() {
        // N=1000 on 2 ranks (the reference's run): HPLMaxProcMem = 4e6.
        assert_eq!(local_size(4_000_000), 65536);
        assert_eq!(mpi_size(4_000_000, 2), (2, 65536));
        // N=8000 on 2 ranks: FFT_N = MPIFFT_N = 4194304 in the reference.
        assert_eq!(local_size(256_000_000), 4_194_304);
        assert_eq!(mpi_size(256_000_000, 2), (2, 4_194_304));
        // Three ranks: MPIFFT on two.
        assert_eq!(mpi_size(4_000_000, 3).0, 2);
        assert_eq!(mpi_size(4_000_000, 1), (1, 32768));
        assert_eq!(mpi_size(4_000_000, 7).0, 4);
        assert_eq!(mpi_size(4_000_000, 8).0, 8);
        // Tiny memory: locN = 1 still gives n = P^2.
        assert_eq!(mpi_size(10, 4), (4, 16));
    }

    #[test]
    fn helpers() {
        assert_eq!(e9(1.691e-15), "1.691e-15");
        assert_eq!(e9(0.0), "0.000e+00");
        assert_eq!(gflops(1024, 0.0), -1.0);
        assert!((gflops(1 << 20, 1.0) - 0.1048576).abs() < 1e-12);
        assert_eq!(nan_to_inf(f64::NAN), f64::INFINITY);
        assert_eq!(nan_to_inf(2.0), 2.0);
        assert!(touched(3).iter().all(|v| v.re == 1.0));
    }
}
