//! `rhpcc micro cpu|disk|net`: the paper's micro-benchmarks, each resource
//! measured alone before HPCC (CPU, disk write, TCP network), in the same
//! results documents as `rhpcc run` so that `rhpcc launch` places them and
//! `rhpcc compare` reports them beside HPCC's figures.
//!
//! They run under `mpirun` like the suite (alone they are a single rank);
//! MPI only coordinates: which rank works on which host, barriers around
//! the timed parts, and the gathering of figures on rank 0. The measured
//! work itself is plain computation ([`cpu`]), file writes ([`disk`]) or TCP
//! sockets between the hosts ([`net`]).
//!
//! A micro-benchmark returns one [`TestResult`] per repetition, whose
//! metrics carry `Micro*` keys (listed with their figures in
//! [`crate::compare::metrics`]); rank 0 writes the run document (or the
//! series of them with `--repeat`) and prints the table. An error on any
//! rank stops every rank, reported once by rank 0 ([`agree_all`]).

pub mod cpu;
pub mod disk;
pub mod net;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mpi::traits::*;
use serde_json::{json, Value};

use crate::report::{atomic, json as rjson, table, TestResult};
use crate::world::{SilentFailure, World};

/// Which micro-benchmark (`rhpcc micro <kind>`).
#[derive(Debug, Clone, Subcommand)]
pub enum MicroCommand {
    /// CPU: a compute kernel split over every core of each host (rayon),
    /// timed; the paper's Figure 3.
    Cpu(cpu::Args),
    /// Disk write: a large file written with block sizes from 64 B to
    /// 256 KiB, buffered, with fsync, and with O_DIRECT; the paper's
    /// Figure 4.
    Disk(disk::Args),
    /// TCP network: streams of 16 KiB writes between two hosts, 1 to 8
    /// concurrent pairs, throughput and CPU cost of each side; the paper's
    /// Table 1 and Figures 7, 9, 10.
    Net(net::Args),
}

/// Options every micro-benchmark takes (as `rhpcc run` does).
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// JSON results document (default `rhpcc-micro-<kind>.json`).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Free-text label of the placement this run is in, stored in the JSON
    /// (e.g. `native`, `1V/4C`, `4V/1C`).
    #[arg(long, value_name = "LABEL")]
    pub placement: Option<String>,

    /// Facts of the placement (a JSON object), stored as the results'
    /// `placement_facts`; `rhpcc launch` sets it from the inventory.
    #[arg(long, value_name = "JSON")]
    pub placement_facts: Option<String>,

    /// Run the benchmark R times in this job and keep every run (a series
    /// document of R run documents, rewritten after each repetition).
    #[arg(long, value_name = "R", default_value_t = 1)]
    pub repeat: usize,

    /// Do not print the section text and the table.
    #[arg(long)]
    pub quiet: bool,
}

impl Common {
    /// The options as the command line leaves them by default, but quiet.
    #[cfg(test)]
    pub fn for_tests() -> Common {
        Common {
            json: None,
            placement: None,
            placement_facts: None,
            repeat: 1,
            quiet: true,
        }
    }
}

impl MicroCommand {
    pub fn name(&self) -> &'static str {
        match self {
            MicroCommand::Cpu(_) => "cpu",
            MicroCommand::Disk(_) => "disk",
            MicroCommand::Net(_) => "net",
        }
    }

    fn common(&self) -> &Common {
        match self {
            MicroCommand::Cpu(a) => &a.common,
            MicroCommand::Disk(a) => &a.common,
            MicroCommand::Net(a) => &a.common,
        }
    }

    /// The benchmark's own options for the JSON's `parameters`.
    fn parameters(&self) -> Value {
        match self {
            MicroCommand::Cpu(a) => a.parameters(),
            MicroCommand::Disk(a) => a.parameters(),
            MicroCommand::Net(a) => a.parameters(),
        }
    }

    fn run(&self, world: &World) -> anyhow::Result<TestResult> {
        match self {
            MicroCommand::Cpu(a) => cpu::run(world, a),
            MicroCommand::Disk(a) => disk::run(world, a),
            MicroCommand::Net(a) => net::run(world, a),
        }
    }
}

/// The options shared by every micro-benchmark, checked.
struct Checked {
    json: PathBuf,
    placement_facts: Option<Value>,
}

fn check(cmd: &MicroCommand) -> anyhow::Result<Checked> {
    let c = cmd.common();
    if c.repeat < 1 {
        bail!("--repeat: expected an integer >= 1, got {}", c.repeat);
    }
    let placement_facts = crate::config::placement_facts(c.placement_facts.as_deref())?;
    let json = c
        .json
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("rhpcc-micro-{}.json", cmd.name())));
    let dir = match json.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("--json: directory {} does not exist", dir.display());
    }
    Ok(Checked {
        json,
        placement_facts,
    })
}

/// `rhpcc micro <kind>`.
pub fn main(cmd: &MicroCommand) -> anyhow::Result<ExitCode> {
    let world = World::init()?;
    let checked = match agree_all(&world, check(cmd)) {
        Ok(c) => c,
        Err(e) if e.is::<SilentFailure>() => return Ok(ExitCode::from(2)),
        Err(e) => return Err(e),
    };
    let common = cmd.common();
    let mut series: Vec<String> = Vec::new();
    let mut success = true;
    for repetition in 0..common.repeat {
        if world.is_root() && common.repeat > 1 && !common.quiet {
            println!("Repetition {} of {}", repetition + 1, common.repeat);
        }
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let result = agree_all(&world, cmd.run(&world))?;
        success &= result.passed();
        let written = if world.is_root() {
            write(
                &world,
                cmd,
                &checked,
                &result,
                success,
                started,
                &mut series,
            )
        } else {
            Ok(())
        };
        world.agree(written)?;
    }
    Ok(if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Rank 0: the run document (or the series so far), the section text and
/// the table.
fn write(
    world: &World,
    cmd: &MicroCommand,
    checked: &Checked,
    result: &TestResult,
    success: bool,
    started: u64,
    series: &mut Vec<String>,
) -> anyhow::Result<()> {
    let common = cmd.common();
    let threads = result
        .parameters
        .get("threads_per_rank")
        .and_then(Value::as_u64)
        .unwrap_or(1) as usize;
    let doc = rjson::render(rjson::Run {
        started_at_unix: started,
        placement: common.placement.as_deref(),
        placement_facts: checked.placement_facts.as_ref(),
        success,
        environment: crate::run::environment(world, threads, None),
        parameters: json!({ "micro": cmd.name(), "options": cmd.parameters() }),
        tests: std::slice::from_ref(result),
        summary: &[],
    });
    let text = if common.repeat > 1 {
        series.push(doc);
        rjson::render_series(common.placement.as_deref(), series)
    } else {
        doc
    };
    atomic::write(&checked.json, text.as_bytes())
        .with_context(|| format!("writing {}", checked.json.display()))?;
    if !common.quiet {
        // The section is the benchmark's own report (rhpcc run writes it to
        // hpccoutf.txt; a micro-benchmark has no such file).
        println!("{}:\n{}", result.name, result.section);
        print!("{}", table::render(std::slice::from_ref(result), success));
        println!("Wrote {}.", checked.json.display());
    }
    Ok(())
}

/// Make any rank's error everyone's: if some rank failed, the lowest such
/// rank's message is printed once by rank 0 and every rank returns
/// [`SilentFailure`], so no rank waits forever in a collective the failed
/// one never reaches. Every rank must call it at the same point. A
/// benchmark may call it at the end of each of its phases; the
/// [`SilentFailure`] it then returns is not reported a second time.
pub fn agree_all<T>(world: &World, outcome: anyhow::Result<T>) -> anyhow::Result<T> {
    let mine = if outcome.is_err() {
        world.rank as i32
    } else {
        i32::MAX
    };
    let mut first = i32::MAX;
    world
        .comm
        .all_reduce_into(&mine, &mut first, mpi::collective::SystemOperation::min());
    if first == i32::MAX {
        return outcome;
    }
    let first = first as usize;
    let message = |e: &anyhow::Error| format!("{e:#}");
    if first == world.rank && world.rank != 0 {
        let text = message(outcome.as_ref().err().expect("this rank failed"));
        world.comm.process_at_rank(0).send(text.as_bytes());
    } else if world.is_root() {
        let text = if first == 0 {
            let e = outcome.as_ref().err().expect("rank 0 failed");
            // An earlier agree_all (a phase inside the benchmark) has
            // reported it already.
            (!e.is::<SilentFailure>()).then(|| message(e))
        } else {
            let (bytes, _) = world.comm.process_at_rank(first as i32).receive_vec::<u8>();
            Some(format!("rank {first}: {}", String::from_utf8_lossy(&bytes)))
        };
        if let Some(text) = text {
            eprintln!("rhpcc: error: {text}");
        }
    }
    // Rank 0 has printed before anyone can exit.
    world.comm.barrier();
    Err(anyhow::anyhow!(SilentFailure))
}

/// The ranks of each host, hosts in order of their lowest rank.
pub fn host_ranks(world: &World) -> Vec<Vec<usize>> {
    let mut hosts: Vec<(String, Vec<usize>)> = Vec::new();
    for (r, h) in world.rank_hosts.iter().enumerate() {
        match hosts.iter_mut().find(|(name, _)| name == h) {
            Some((_, ranks)) => ranks.push(r),
            None => hosts.push((h.clone(), vec![r])),
        }
    }
    hosts.into_iter().map(|(_, r)| r).collect()
}

/// Every rank's `values` (all of the same length), indexed by rank.
pub fn all_gather_f64(world: &World, values: &[f64]) -> Vec<Vec<f64>> {
    let n = values.len();
    let mut all = vec![0.0f64; n * world.size];
    world.comm.all_gather_into(values, &mut all[..]);
    all.chunks(n.max(1)).map(<[f64]>::to_vec).collect()
}

/// Every rank's bytes (of any length), indexed by rank.
pub fn all_gather_bytes(world: &World, mine: &[u8]) -> Vec<Vec<u8>> {
    let len = mine.len() as u64;
    let mut lens = vec![0u64; world.size];
    world.comm.all_gather_into(&len, &mut lens[..]);
    lens.iter()
        .enumerate()
        .map(|(r, &n)| {
            let mut buf = if r == world.rank {
                mine.to_vec()
            } else {
                vec![0u8; n as usize]
            };
            if n > 0 {
                world
                    .comm
                    .process_at_rank(r as i32)
                    .broadcast_into(&mut buf[..]);
            }
            buf
        })
        .collect()
}
