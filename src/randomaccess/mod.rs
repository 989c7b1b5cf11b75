//! RandomAccess (GUPS) drivers: HPCC's MPIRandomAccess, StarRandomAccess
//! and SingleRandomAccess, each with the standard GF(2) stream and with the
//! LCG stream (the `_LCG` sections), in HPCC's order ([`PARTS`]). The
//! kernels (streams, table sizes and distribution, the single-process
//! update, the send buckets) are in `rhpcc_kernels::randomaccess`.
//!
//! Rules followed (HPCC 1.5's `RandomAccess/`):
//! - Star/Single: a table of `2^floor(log2(HPLMaxProcMem / 8))` words per
//!   rank, initialized to `table[i] = i`, gets `4 x size` updates
//!   `table[index(a)] ^= a` from the stream in 128 interleaved lanes
//!   (`core_single_cpu.c`), timed with `MPI_Wtime` around the update alone;
//!   GUP/s = updates / time / 1e9. Star runs on every rank at once and
//!   reports min/avg/max over ranks (the average is the summary value);
//!   Single runs on one random rank other than 0, chosen as HPCC does.
//! - MPI: one table of `2^floor(log2(HPLMaxProcMem x ranks / 8))` words
//!   spread over all ranks (equal parts for a power-of-two rank count, else
//!   parts differing by at most one word); each rank generates its share of
//!   the stream from HPCC's jump-ahead to `a(4 start)`, sends updates for
//!   other ranks in buckets of at most 1024 pending updates with
//!   non-blocking sends and receives, and applies arriving ones
//!   ([`update`], [`exchange`]). The loop runs between two barriers; rank
//!   0's time gives GUP/s = executed updates / time / 1e9.
//! - Time bound (`RA_TIME_BOUND`, on by default in HPCC): before the timed
//!   loop, a sampling run of `4 x local size / 100` updates estimates how many
//!   updates fit in the bound; each rank executes the smallest estimate over
//!   ranks, at most `4 x local size`. The bound is `max(0.25 x HPL time,
//!   60 s)`; HPL runs after RandomAccess, so its time is still -1 and the
//!   bound is 60 s (`--ra-time-bound` overrides it, for testing).
//! - Verification, as HPCC: the same updates are applied again (on one
//!   process for Star/Single; routed with rounds of `MPI_Alltoall` for MPI,
//!   [`check`]); a word that does not hold its initial value is an error,
//!   and the test passes when errors <= 1% of the table size.
//! - CPU times in the sections are the process's user time (HPCC's
//!   `HPL_timer_cputime`), read from `/proc/self/stat` in 10 ms ticks.
//!
//! Differences from HPCC, also printed as `rhpcc:` lines in the sections:
//! - MPI: arriving messages are tested for every [`update::POLL_EVERY`]
//!   generated updates instead of before each one (same limits on pending
//!   updates); a receive matched before the last FINISHED message is applied
//!   instead of dropped ([`exchange`]).
//! - Star/Single: the next 128 updates are prefetched while the current
//!   128 are applied (HPCC's rules allow looking 1024 ahead).
//! - RandomAccess runs one thread per rank; `--threads` does not apply.
//! - "Node(s) with error" counts ranks whose verification failed (HPCC
//!   counts ranks that could not allocate their table, and a failed
//!   verification shows only in `Success`).

pub mod check;
pub mod exchange;
pub mod mpi_ra;
pub mod star;
pub mod update;

use rhpcc_kernels::randomaccess::{Gf2, Lcg, Stream};

use crate::config::Config;
use crate::report::TestResult;
use crate::world::World;

/// The RandomAccess sections in HPCC's order, each a function returning its
/// results: MPI, then Star and Single, for the GF(2) stream and then the
/// LCG stream.
pub const PARTS: [fn(&World, &Config) -> Vec<TestResult>; 4] = [
    mpi_ra::run::<Gf2>,
    star::run::<Gf2>,
    mpi_ra::run::<Lcg>,
    star::run::<Lcg>,
];

/// HPCC's section names and summary keys for one stream.
pub(crate) struct Names {
    pub mpi: &'static str,
    pub star: &'static str,
    pub single: &'static str,
    pub n: &'static str,
    pub star_gups: &'static str,
    pub single_gups: &'static str,
    pub mpi_n: &'static str,
    pub mpi_time: &'static str,
    pub mpi_check_time: &'static str,
    pub mpi_errors: &'static str,
    pub mpi_errors_fraction: &'static str,
    pub mpi_exe_updates: &'static str,
    pub mpi_gups: &'static str,
    pub mpi_time_bound: &'static str,
    pub mpi_algorithm: &'static str,
}

macro_rules! names {
    ($sfx:literal) => {
        Names {
            mpi: concat!("MPIRandomAccess", $sfx),
            star: concat!("StarRandomAccess", $sfx),
            single: concat!("SingleRandomAccess", $sfx),
            n: concat!("RandomAccess", $sfx, "_N"),
            star_gups: concat!("StarRandomAccess", $sfx, "_GUPs"),
            single_gups: concat!("SingleRandomAccess", $sfx, "_GUPs"),
            mpi_n: concat!("MPIRandomAccess", $sfx, "_N"),
            mpi_time: concat!("MPIRandomAccess", $sfx, "_time"),
            mpi_check_time: concat!("MPIRandomAccess", $sfx, "_CheckTime"),
            mpi_errors: concat!("MPIRandomAccess", $sfx, "_Errors"),
            mpi_errors_fraction: concat!("MPIRandomAccess", $sfx, "_ErrorsFraction"),
            mpi_exe_updates: concat!("MPIRandomAccess", $sfx, "_ExeUpdates"),
            mpi_gups: concat!("MPIRandomAccess", $sfx, "_GUPs"),
            mpi_time_bound: concat!("MPIRandomAccess", $sfx, "_TimeBound"),
            mpi_algorithm: concat!("MPIRandomAccess", $sfx, "_Algorithm"),
        }
    };
}

const GF2_NAMES: Names = names!("");
const LCG_NAMES: Names = names!("_LCG");

pub(crate) fn names<S: Stream>() -> &'static Names {
    if S::SUFFIX == Lcg::SUFFIX {
        &LCG_NAMES
    } else {
        &GF2_NAMES
    }
}

/// The stream's name for the JSON parameters.
pub(crate) fn stream_name<S: Stream>() -> &'static str {
    if S::SUFFIX == Lcg::SUFFIX {
        "LCG: a(i+1) = 6364136223846793005 a(i) + 1 mod 2^64, index = top bits"
    } else {
        "GF(2): a(i+1) = (a(i) << 1) xor (a(i) < 0 ? 7 : 0), index = low bits"
    }
}

/// Every `INJECT_STRIDE`-th word is corrupted by `--inject-fault
/// randomaccess`: over 1% of the table, so verification fails.
pub(crate) const INJECT_STRIDE: usize = 16;

/// Flip a bit in every [`INJECT_STRIDE`]-th word (`--inject-fault`).
pub(crate) fn corrupt(table: &mut [u64]) {
    for w in table.iter_mut().step_by(INJECT_STRIDE) {
        *w ^= 1;
    }
}

/// `rhpcc:` line printed when `--threads` asks for more than one thread.
pub(crate) fn threads_note(cfg: &Config) -> String {
    if cfg.threads > 1 {
        format!(
            "rhpcc: RandomAccess runs one thread per rank (--threads {} is not used here)\n",
            cfg.threads
        )
    } else {
        String::new()
    }
}

/// HPCC's "passed"/"failed" word for `errors` in a table of `size` words.
pub(crate) fn verdict(errors: u64, size: u64) -> &'static str {
    if rhpcc_kernels::randomaccess::passes(errors, size) {
        "passed"
    } else {
        "failed"
    }
}

/// User CPU time of this process in seconds (HPCC's `HPL_timer_cputime`,
/// `getrusage`'s `ru_utime`): `utime` of `/proc/self/stat`, in the kernel's
/// fixed 100 ticks per second; 0 where it cannot be read.
pub(crate) fn cpu_seconds() -> f64 {
    const TICKS_PER_SECOND: f64 = 100.0;
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces): state
            // is field 3, utime field 14.
            let rest = &s[s.rfind(')')? + 1..];
            rest.split_whitespace().nth(11)?.parse::<u64>().ok()
        })
        .map_or(0.0, |ticks| ticks as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_hpccs_keys() {
        let keys = crate::report::hpccoutf::summary_keys();
        for n in [&GF2_NAMES, &LCG_NAMES] {
            for k in [
                n.n,
                n.star_gups,
                n.single_gups,
                n.mpi_n,
                n.mpi_time,
                n.mpi_check_time,
                n.mpi_errors,
                n.mpi_errors_fraction,
                n.mpi_exe_updates,
                n.mpi_gups,
                n.mpi_time_bound,
                n.mpi_algorithm,
            ] {
                assert!(keys.contains(&k), "{k} is not an HPCC summary key");
            }
        }
        assert_eq!(names::<Lcg>().mpi, "MPIRandomAccess_LCG");
        assert_eq!(names::<Gf2>().single, "SingleRandomAccess");
    }

    #[test]
    fn cpu_time_advances_with_work() {
        // Busy work until 20 ms of CPU time show (or 10 s of wall time pass,
        // on a machine too loaded to give it).
        let t0 = cpu_seconds();
        let mut x = 1u64;
        let start = std::time::Instant::now();
        while cpu_seconds() < t0 + 0.02 && start.elapsed().as_secs() < 10 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
            }
        }
        assert!(cpu_seconds() >= t0 + 0.02, "{t0} -> {}", cpu_seconds());
    }
}
