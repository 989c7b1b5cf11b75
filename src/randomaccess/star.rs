//! StarRandomAccess and SingleRandomAccess, with either stream (HPCC's
//! `core_single_cpu.c`, `star_single_cpu.c`, `single_cpu.c` and their
//! `_lcg` twins).

use mpi::collective::SystemOperation;
use mpi::traits::*;
use serde_json::json;

use rhpcc_kernels::randomaccess::table::log_table_size;
use rhpcc_kernels::randomaccess::{count_errors, init_table, passes, single, Stream};

use super::{corrupt, cpu_seconds, names, stream_name, threads_note, verdict};
use crate::config::{Config, TestId};
use crate::report::{Metric, SummaryValue, TestResult, Verification};
use crate::world::World;

const TIMING_RULES: &str = "Each rank on its own: MPI_Wtime around the update of its table \
    (no barrier inside, as HPCC); GUP/s = 4 x table size / time / 1e9. Star: all ranks at once \
    (after one barrier), min/avg/max over ranks, the average reported; Single: one random rank \
    other than 0 while the others wait. Verification (replay) is not timed.";

/// One rank's run of HPCC's `HPCC_RandomAccess`.
struct Outcome {
    gups: f64,
    errors: u64,
    /// What HPCC prints when this rank is rank 0.
    text: String,
}

fn run_once<S: Stream>(log_size: u32, inject: bool) -> Outcome {
    let size = 1u64 << log_size;
    let nupdate = 4 * size;
    let mut table = init_table(size as usize, 0);
    let mut text = format!("Main table size   = 2^{log_size} = {size} words\n");
    text.push_str(&format!("Number of updates = {nupdate}\n"));

    let (cpu0, t0) = (cpu_seconds(), mpi::time());
    single::update::<S>(&mut table);
    let (cpu, real) = (cpu_seconds() - cpu0, mpi::time() - t0);
    let gups = 1e-9 * nupdate as f64 * if real > 0.0 { 1.0 / real } else { -1.0 };
    text.push_str(&format!("CPU time used  = {cpu:.6} seconds\n"));
    text.push_str(&format!("Real time used = {real:.6} seconds\n"));
    text.push_str(&format!(
        "{gups:.9} Billion(10^9) Updates    per second [GUP/s]\n"
    ));

    if inject {
        corrupt(&mut table);
    }
    single::replay::<S>(&mut table, nupdate);
    let errors = count_errors(&table, 0);
    text.push_str(&format!(
        "Found {errors} errors in {size} locations ({}).\n",
        verdict(errors, size)
    ));
    Outcome { gups, errors, text }
}

fn verification(errors: u64, size: u64, what: &str) -> Verification {
    Verification {
        name: format!("table words wrong after replaying the updates ({what})"),
        value: errors as f64,
        threshold: 0.01 * size as f64,
        rule: "value <= threshold",
        passed: passes(errors, size),
    }
}

/// Run StarRandomAccess then SingleRandomAccess with stream `S`.
pub fn run<S: Stream>(world: &World, cfg: &Config) -> Vec<TestResult> {
    let names = names::<S>();
    let log_size = log_table_size(cfg.input.hpl_max_proc_mem() as f64 / 8.0);
    let size = 1u64 << log_size;
    let inject = cfg.inject_fault == Some(TestId::RandomAccess);
    let note = threads_note(cfg);
    let params = json!({
        "stream": stream_name::<S>(),
        "table_size": size,
        "log2_table_size": log_size,
        "updates": 4 * size,
        "lanes": single::LANES,
    });

    // StarRandomAccess: every rank at once.
    world.comm.barrier();
    let mine = run_once::<S>(log_size, inject);
    let mut rates = vec![0.0f64; world.size];
    world.comm.all_gather_into(&mine.gups, &mut rates[..]);
    let failed = i32::from(!passes(mine.errors, size));
    let mut failed_ranks = 0i32;
    world
        .comm
        .all_reduce_into(&failed, &mut failed_ranks, SystemOperation::sum());
    let mut worst = 0u64;
    world
        .comm
        .all_reduce_into(&mine.errors, &mut worst, SystemOperation::max());
    let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let max = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let avg = rates.iter().sum::<f64>() / rates.len() as f64;
    let mut body = mine.text;
    body.push_str(&format!("Node(s) with error {failed_ranks}\n"));
    body.push_str(&format!("Minimum GUP/s {min:.6}\n"));
    body.push_str(&format!("Average GUP/s {avg:.6}\n"));
    body.push_str(&format!("Maximum GUP/s {max:.6}\n"));
    body.push_str(&note);
    let star = TestResult {
        name: names.star,
        section: body,
        summary: vec![
            (names.n, SummaryValue::Int(size as i64)),
            (names.star_gups, SummaryValue::G(avg)),
        ],
        metrics: vec![Metric::new("GUPs", "GUP/s", avg)
            .key(names.star_gups)
            .samples(rates)],
        verification: vec![verification(worst, size, "worst rank")],
        timing_rules: TIMING_RULES,
        parameters: params.clone(),
    };

    // SingleRandomAccess: one rank, the others wait in the broadcast.
    world.comm.barrier();
    let chosen = world.pick_single_rank();
    let mut buf = [0.0f64; 2];
    let mut text = String::new();
    if world.rank == chosen {
        let o = run_once::<S>(log_size, inject);
        buf = [o.gups, o.errors as f64];
        text = o.text;
    }
    world
        .comm
        .process_at_rank(chosen as i32)
        .broadcast_into(&mut buf[..]);
    let [gups, errors] = buf;
    let errors = errors as u64;
    // HPCC prints the run's own lines only when rank 0 ran it.
    let mut body = if world.rank == chosen {
        text
    } else {
        String::new()
    };
    body.push_str(&format!(
        "Node(s) with error {}\n",
        i32::from(!passes(errors, size))
    ));
    body.push_str(&format!("Node selected {chosen}\n"));
    body.push_str(&format!("Single GUP/s {gups:.6}\n"));
    body.push_str(&note);
    let mut single_params = params;
    single_params["rank"] = json!(chosen);
    let single = TestResult {
        name: names.single,
        section: body,
        summary: vec![
            (names.n, SummaryValue::Int(size as i64)),
            (names.single_gups, SummaryValue::G(gups)),
        ],
        metrics: vec![Metric::new("GUPs", "GUP/s", gups)
            .key(names.single_gups)
            .samples(vec![gups])],
        verification: vec![verification(errors, size, "selected rank")],
        timing_rules: TIMING_RULES,
        parameters: single_params,
    };
    vec![star, single]
}
