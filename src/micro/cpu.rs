//! `rhpcc micro cpu`: a CPU-bound kernel on every core, timed (the paper's
//! Figure 3: the same application natively and inside VMs with the same
//! core count, the difference in percent).
//!
//! The kernel counts the primes in a fixed range of 32-bit integers by trial
//! division: integer arithmetic and branches only, a working set of a few
//! registers, no memory traffic and no communication, so its time is the
//! CPU's (and the hypervisor's scheduling of it) alone. Every rank runs
//! `--threads` tasks at once on a rayon pool of that many threads, each task
//! the same range, so a host's cores each do one equal share and the work
//! grows linearly with cores (one rank per core in a placement: a host with
//! C cores runs C tasks). All ranks start together after a barrier.
//!
//! Each task's count is checked against a segmented sieve of the same range
//! (computed before the timing); a wrong count fails the run.

use clap::Args as ClapArgs;
use mpi::traits::*;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::{all_gather_f64, Common};
use crate::report::{Metric, TestResult, Verification};
use crate::world::World;

/// Summary keys of this test (see `compare::metrics`).
pub const KEY_SECONDS: &str = "MicroCPU_Seconds";
pub const KEY_RATE_PER_CORE: &str = "MicroCPU_MnumsPerCore";

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Numbers each task tests for primality (the range starts at
    /// `--start`). The default takes about a second per task on a current
    /// core.
    #[arg(long, value_name = "COUNT", default_value_t = 400_000)]
    pub numbers: u32,

    /// First number of the range.
    #[arg(long, value_name = "N", default_value_t = 1_000_000_000)]
    pub start: u32,

    /// Tasks (and rayon threads) per rank: one per core the rank has.
    #[arg(long, value_name = "T", default_value_t = 1)]
    pub threads: usize,

    /// Testing only: report a wrong count, to check that a failed
    /// verification fails the run.
    #[arg(long, hide = true)]
    pub inject_fault: bool,

    #[command(flatten)]
    pub common: Common,
}

impl Args {
    pub fn parameters(&self) -> Value {
        json!({ "numbers": self.numbers, "start": self.start, "threads_per_rank": self.threads })
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.threads < 1 {
            anyhow::bail!("--threads: expected an integer >= 1, got {}", self.threads);
        }
        if self.numbers < 1 {
            anyhow::bail!("--numbers: expected an integer >= 1, got 0");
        }
        if self.start.checked_add(self.numbers).is_none() {
            anyhow::bail!(
                "--start {} + --numbers {} passes 2^32 - 1, the kernel's integer range",
                self.start,
                self.numbers
            );
        }
        Ok(())
    }
}

/// Whether `n` is prime, by trial division with odd divisors.
fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3u32;
    while d <= n / d {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// The timed kernel: primes in `[start, start + count)` by trial division.
pub fn count_by_division(start: u32, count: u32) -> u64 {
    (start..start + count).filter(|&n| is_prime(n)).count() as u64
}

/// The check: primes in `[start, start + count)` by a segmented sieve.
pub fn count_by_sieve(start: u32, count: u32) -> u64 {
    let end = u64::from(start) + u64::from(count);
    let mut limit = (end as f64).sqrt() as u64 + 1;
    while limit * limit < end {
        limit += 1;
    }
    let mut small = vec![true; limit as usize + 1];
    let mut seg = vec![true; count as usize];
    for p in 2..=limit {
        if !small[p as usize] {
            continue;
        }
        let mut m = p * p;
        while m <= limit {
            small[m as usize] = false;
            m += p;
        }
        let first = (u64::from(start).div_ceil(p) * p).max(p * p);
        let mut m = first;
        while m < end {
            seg[(m - u64::from(start)) as usize] = false;
            m += p;
        }
    }
    seg.iter()
        .enumerate()
        .filter(|&(i, &is)| is && u64::from(start) + i as u64 >= 2)
        .count() as u64
}

pub fn run(world: &World, args: &Args) -> anyhow::Result<TestResult> {
    args.check()?;
    let expected = count_by_sieve(args.start, args.numbers);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    // Start the pool's threads before the clock does.
    pool.broadcast(|_| ());
    world.comm.barrier();
    let tasks: Vec<(u64, f64)> = pool.install(|| {
        (0..args.threads)
            .into_par_iter()
            .map(|_| {
                let t0 = std::time::Instant::now();
                let c = count_by_division(args.start, args.numbers);
                (c, t0.elapsed().as_secs_f64())
            })
            .collect()
    });
    let mut mine: Vec<f64> = Vec::with_capacity(2 * args.threads);
    for (count, secs) in &tasks {
        let count = if args.inject_fault { count + 1 } else { *count };
        mine.push(count as f64);
        mine.push(*secs);
    }
    let all = all_gather_f64(world, &mine);
    let (counts, secs): (Vec<f64>, Vec<f64>) = all
        .iter()
        .flat_map(|r| r.chunks(2).map(|c| (c[0], c[1])))
        .unzip();
    let wrong = counts.iter().filter(|&&c| c != expected as f64).count();
    let cores = secs.len();
    let slowest = secs.iter().copied().fold(0.0, f64::max);
    let rates: Vec<f64> = secs
        .iter()
        .map(|s| f64::from(args.numbers) / s / 1e6)
        .collect();
    let mean_rate = rates.iter().sum::<f64>() / cores as f64;

    let section = format!(
        "Primes in [{start}, {end}) by trial division, {threads} task(s) per rank, {cores} core(s) in all\n\
         Expected count (segmented sieve): {expected}\n\
         Slowest task: {slowest:.4} s\n\
         Mean rate per core: {mean_rate:.4} M numbers/s\n\
         Tasks with a wrong count: {wrong}\n",
        start = args.start,
        end = u64::from(args.start) + u64::from(args.numbers),
        threads = args.threads,
    );
    Ok(TestResult {
        name: "MicroCPU",
        section,
        summary: Vec::new(),
        metrics: vec![
            Metric::new("Seconds", "s", slowest)
                .key(KEY_SECONDS)
                .lower_is_better()
                .samples(secs.clone()),
            Metric::new("RatePerCore", "M numbers/s", mean_rate)
                .key(KEY_RATE_PER_CORE)
                .samples(rates),
        ],
        verification: vec![Verification {
            name: "tasks whose prime count differs from the sieve's".into(),
            value: wrong as f64,
            threshold: 0.0,
            rule: "value <= threshold",
            passed: wrong == 0,
        }],
        timing_rules: "all ranks start after a barrier; each task timed alone (wall clock); \
                       Seconds = the slowest task, RatePerCore = mean over tasks; samples per task",
        parameters: json!({
            "numbers": args.numbers,
            "start": args.start,
            "threads_per_rank": args.threads,
            "cores": cores,
            "expected_count": expected,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_and_sieve_agree() {
        // pi(100) = 25, pi(10^4) = 1229, pi(10^6) - pi(999_000) = 75.
        assert_eq!(count_by_division(0, 100), 25);
        assert_eq!(count_by_sieve(0, 100), 25);
        assert_eq!(count_by_sieve(0, 10_000), 1229);
        for (s, c) in [
            (999_000, 1000),
            (1_000_000_000, 5000),
            (u32::MAX - 300, 300),
        ] {
            assert_eq!(
                count_by_division(s, c),
                count_by_sieve(s, c),
                "[{s}, {s}+{c})"
            );
        }
    }

    #[test]
    fn range_past_u32_is_refused() {
        let args = Args {
            numbers: 10,
            start: u32::MAX - 5,
            threads: 1,
            inject_fault: false,
            common: Common::for_tests(),
        };
        let e = args.check().unwrap_err().to_string();
        assert!(e.contains("--start") && e.contains("2^32"), "{e}");
    }
}
