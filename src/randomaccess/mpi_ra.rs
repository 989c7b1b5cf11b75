//! MPIRandomAccess and MPIRandomAccess_LCG (HPCC's `MPIRandomAccess.c`,
//! `MPIRandomAccessLCG.c`, `time_bound.c`): table size, time bound, the
//! timed update loop, verification, and HPCC's section and keys.

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use serde_json::json;

use rhpcc_kernels::randomaccess::table::log_table_size;
use rhpcc_kernels::randomaccess::{
    init_table, passes, reset_table, AnyLayout, Distribution, Layout, Pow2Layout, Stream,
};

use super::update::{Share, MAX_PENDING, POLL_EVERY};
use super::{check, corrupt, cpu_seconds, names, stream_name, threads_note, update, verdict};
use crate::config::{Config, TestId};
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

/// HPCC's `TIME_BOUND`, seconds.
pub const TIME_BOUND: f64 = 60.0;

/// HPCC's `RA_SAMPLE_FACTOR`: the sampling run does 1/100 of the updates.
pub const RA_SAMPLE_FACTOR: u64 = 100;

/// HPCC's `HPCC_RA_ALGORITHM` for its standard algorithm.
const ALGORITHM: i64 = 0;

const TIMING_RULES: &str = "MPI_Barrier, the update loop on every rank, MPI_Barrier; the time is \
    rank 0's MPI_Wtime difference; GUP/s = executed updates / time / 1e9. Before it, a sampling \
    run of 1% of each rank's updates estimates how many fit in the time bound; every rank \
    executes the smallest estimate over ranks, at most 4 x its table part. The verification \
    replay is timed separately (CheckTime) and not counted.";

/// What one rank measured and found.
struct Outcome {
    /// This rank's executed updates (`ProcNumUpdates`).
    proc_updates: u64,
    /// Updates in the sampling run of this rank.
    sampled: u64,
    cpu: f64,
    real: f64,
    check_cpu: f64,
    check_real: f64,
    /// Errors over all ranks.
    errors: u64,
}

/// Sampling run, timed loop and verification on this rank's `table`.
fn measure<S: Stream, L: Layout>(
    comm: &SimpleCommunicator,
    table: &mut [u64],
    share: Share<L>,
    time_bound: f64,
    inject: bool,
) -> Outcome {
    let local = table.len() as u64;

    // Time bound: time a run of 1% of the updates, scale to the bound.
    let sampled = 4 * local / RA_SAMPLE_FACTOR;
    let t = mpi::time();
    update::run::<S, L>(comm, table, share, sampled);
    let t = mpi::time() - t;
    // Saturating conversions; a rank with nothing to sample sets no limit.
    let estimate = if sampled == 0 {
        u64::MAX
    } else {
        (time_bound / (t / sampled as f64)) as u64
    };
    let mut smallest = 0u64;
    comm.all_reduce_into(&estimate, &mut smallest, SystemOperation::min());
    let proc_updates = smallest.min(4 * local);

    reset_table(table, share.start);
    comm.barrier();
    let (cpu0, t0) = (cpu_seconds(), mpi::time());
    update::run::<S, L>(comm, table, share, proc_updates);
    comm.barrier();
    let (cpu, real) = (cpu_seconds() - cpu0, mpi::time() - t0);

    if inject {
        corrupt(table);
    }
    let (cpu0, t0) = (cpu_seconds(), mpi::time());
    let mine = check::run::<S, L>(comm, table, share, proc_updates);
    let mut errors = 0u64;
    comm.all_reduce_into(&mine, &mut errors, SystemOperation::sum());
    let (check_cpu, check_real) = (cpu_seconds() - cpu0, mpi::time() - t0);
    Outcome {
        proc_updates,
        sampled,
        cpu,
        real,
        check_cpu,
        check_real,
        errors,
    }
}

/// Run MPIRandomAccess with stream `S` on every rank.
pub fn run<S: Stream>(world: &World, cfg: &Config) -> Vec<TestResult> {
    let names = names::<S>();
    // A private communicator: the loop's any-source, any-tag receives see
    // only its own messages.
    let comm = world.comm.duplicate();
    comm.barrier();
    let procs = world.size as u64;
    let rank = world.rank as u64;

    let words = cfg.input.hpl_max_proc_mem() as f64 * procs as f64 / 8.0;
    // At least one word per rank (only tiny inputs need this).
    let log_size = log_table_size(words).max(procs.next_power_of_two().trailing_zeros());
    let d = Distribution::new(log_size, procs);
    let start = d.start(rank);
    let mut table = init_table(d.local_size(rank) as usize, start);
    let time_bound = cfg.ra_time_bound.unwrap_or(TIME_BOUND);
    let inject = cfg.inject_fault == Some(TestId::RandomAccess);

    let o = if d.power_of_two() {
        let share = Share::new(Pow2Layout::new(&d), &d, world.rank);
        measure::<S, _>(&comm, &mut table, share, time_bound, inject)
    } else {
        let share = Share::new(AnyLayout::new(&d, rank), &d, world.rank);
        measure::<S, _>(&comm, &mut table, share, time_bound, inject)
    };
    drop(table);

    let default_updates = 4 * d.size;
    // Rank 0's figures, as HPCC prints them.
    let executed = (o.proc_updates * procs).min(default_updates);
    let gups = 1e-9 * executed as f64 / o.real;
    let passed = passes(o.errors, d.size);

    let mut text = String::new();
    text.push_str(&format!(
        "Running on {procs} processors{}\n",
        if d.power_of_two() {
            " (PowerofTwo)"
        } else {
            ""
        }
    ));
    text.push_str(&format!(
        "Total Main table size = 2^{log_size} = {} words\n",
        d.size
    ));
    match d.log_procs {
        Some(lp) => text.push_str(&format!(
            "PE Main table size = 2^{} = {} words/PE\n",
            log_size - lp,
            d.size / procs
        )),
        None => text.push_str(&format!(
            "PE Main table size = (2^{log_size})/{procs}  = {} words/PE MAX\n",
            d.local_size(0)
        )),
    }
    text.push_str(&format!(
        "Default number of updates (RECOMMENDED) = {default_updates}\n"
    ));
    text.push_str(&format!(
        "Number of updates EXECUTED = {executed} (for a TIME BOUND of {time_bound:.2} secs)\n"
    ));
    text.push_str(&format!("CPU time used = {:.6} seconds\n", o.cpu));
    text.push_str(&format!("Real time used = {:.6} seconds\n", o.real));
    text.push_str(&format!(
        "{gups:.9} Billion(10^9) Updates    per second [GUP/s]\n"
    ));
    text.push_str(&format!(
        "{:.9} Billion(10^9) Updates/PE per second [GUP/s]\n",
        gups / procs as f64
    ));
    text.push_str(&format!(
        "Verification:  CPU time used = {:.6} seconds\n",
        o.check_cpu
    ));
    text.push_str(&format!(
        "Verification:  Real time used = {:.6} seconds\n",
        o.check_real
    ));
    text.push_str(&format!(
        "Found {} errors in {} locations ({}).\n",
        o.errors,
        d.size,
        verdict(o.errors, d.size)
    ));
    text.push_str(&format!(
        "rhpcc: arriving updates are tested for every {POLL_EVERY} generated updates \
         (HPCC: before each), with at most {MAX_PENDING} pending as in HPCC; a receive \
         matched before the last FINISHED message is applied, not dropped\n"
    ));
    text.push_str(&threads_note(cfg));

    let summary = vec![
        (names.mpi_n, SummaryValue::Int(d.size as i64)),
        (names.mpi_time, SummaryValue::G(o.real)),
        (names.mpi_check_time, SummaryValue::G(o.check_real)),
        (names.mpi_errors, SummaryValue::Int(o.errors as i64)),
        (
            names.mpi_errors_fraction,
            SummaryValue::G(o.errors as f64 / d.size as f64),
        ),
        (names.mpi_exe_updates, SummaryValue::Int(executed as i64)),
        (names.mpi_gups, SummaryValue::G(gups)),
        (names.mpi_time_bound, SummaryValue::G(time_bound)),
        (names.mpi_algorithm, SummaryValue::Int(ALGORITHM)),
    ];
    let metrics = vec![
        Metric::new("GUPs", "GUP/s", gups)
            .key(names.mpi_gups)
            .samples(vec![gups]),
        Metric::new("time", "s", o.real)
            .key(names.mpi_time)
            .lower_is_better()
            .samples(vec![o.real]),
        Metric::new("CheckTime", "s", o.check_real)
            .key(names.mpi_check_time)
            .lower_is_better()
            .samples(vec![o.check_real]),
    ];
    let verification = vec![Verification {
        name: "table words wrong after replaying the updates".into(),
        value: o.errors as f64,
        threshold: 0.01 * d.size as f64,
        rule: "value <= threshold",
        passed,
    }];
    let parameters = json!({
        "stream": stream_name::<S>(),
        "table_size": d.size,
        "log2_table_size": log_size,
        "ranks": procs,
        "power_of_two": d.power_of_two(),
        "rank0_local_size": d.local_size(0),
        "default_updates": default_updates,
        "executed_updates": executed,
        "rank0_sampled_updates": o.sampled,
        "time_bound_s": time_bound,
        "max_pending_updates": MAX_PENDING,
        "poll_every_updates": POLL_EVERY,
        "algorithm": ALGORITHM,
    });
    vec![TestResult {
        name: names.mpi,
        section: text,
        summary,
        metrics,
        verification,
        timing_rules: TIMING_RULES,
        parameters,
    }]
}
