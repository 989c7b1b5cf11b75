//! The `run` command: configure on rank 0, broadcast, run the selected
//! tests in HPCC's order, and report on rank 0.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{json, Map, Value};

use crate::cli::{Cli, Command, RunArgs};
use crate::config::{self, Config, TestId};
use crate::report::hpccoutf::{HpccOutf, JobFacts};
use crate::report::Metric;
use crate::report::{atomic, json as rjson, table, SummaryValue, TestResult};
use crate::world::World;
use crate::{dgemm, fft, hpl, latbw, peak, ptrans, randomaccess, stream};

/// Exit status when a verification failed.
const EXIT_VERIFICATION: u8 = 1;
/// Exit status when the configuration was refused.
const EXIT_CONFIG: u8 = 2;

pub fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    let args = match cli.command {
        Some(Command::Run(args)) => args,
        Some(Command::Launch(args)) => return crate::placement::launch(&args),
        Some(Command::Compare(args)) => return crate::compare::main(&args),
        Some(Command::Micro(cmd)) => return crate::micro::main(&cmd),
        None => cli.run,
    };
    run(&args)
}

/// Resolve the configuration on rank 0 and share it (or its error) with
/// every rank, so that a bad input stops all ranks together.
fn configure(world: &World, args: &RunArgs) -> Result<Config, String> {
    let payload = world.is_root().then(|| {
        let cwd = std::env::current_dir().unwrap_or_default();
        let result = config::resolve(args, &world.shape, &cwd).map_err(|e| e.to_string());
        serde_json::to_vec(&result).expect("configuration serializes")
    });
    let bytes = world.broadcast_bytes(payload);
    serde_json::from_slice::<Result<Config, String>>(&bytes).expect("configuration deserializes")
}

fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let world = World::init()?;
    let cfg = match configure(&world, args) {
        Ok(cfg) => cfg,
        Err(msg) => {
            if world.is_root() {
                eprintln!("rhpcc: error: {msg}");
            }
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let cpu = match crate::cpu::choose(&world, cfg.isa) {
        Ok(cpu) => cpu,
        Err(msg) => {
            if world.is_root() {
                eprintln!("rhpcc: error: {msg}");
            }
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    // Rank 0's run documents so far, for the series of `--repeat`.
    let mut series: Vec<String> = Vec::new();
    let mut success = true;
    for repetition in 0..cfg.repeat {
        if world.is_root() && cfg.repeat > 1 && !cfg.quiet {
            println!("Repetition {} of {}", repetition + 1, cfg.repeat);
        }
        success &= run_once(&world, &cfg, &cpu, &mut series)?;
    }
    Ok(if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_VERIFICATION)
    })
}

/// One run of the selected tests; true when every verification passed.
fn run_once(
    world: &World,
    cfg: &Config,
    cpu: &crate::cpu::JobCpu,
    series: &mut Vec<String>,
) -> anyhow::Result<bool> {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());

    let (min_procs, max_procs) = cfg.input.grid_procs_range();
    let facts = JobFacts {
        comm_world_procs: world.size,
        mpi_wtick: world.tick(),
        hpl_max_procs: max_procs,
        hpl_min_procs: min_procs,
        hostname: world.rank_hosts[0].clone(),
    };
    let mut out = HpccOutf::new(&facts, &cfg.input_source);
    let mut results: Vec<TestResult> = Vec::new();

    let mut record =
        |world: &World, out: &mut HpccOutf, new: Vec<TestResult>| -> anyhow::Result<()> {
            let written = if world.is_root() {
                for t in &new {
                    out.push_section(t.name, &t.section);
                }
                atomic::write(&cfg.output, out.text().as_bytes())
                    .with_context(|| format!("writing {}", cfg.output.display()))
            } else {
                Ok(())
            };
            // Every rank stops together if rank 0 could not write.
            world.agree(written)?;
            results.extend(new);
            Ok(())
        };

    if cfg.runs(TestId::RandomAccess) {
        for part in randomaccess::PARTS {
            record(world, &mut out, part(world, cfg))?;
        }
    }
    if cfg.runs(TestId::Ptrans) {
        record(world, &mut out, vec![ptrans::run(world, cfg)])?;
    }
    if cfg.runs(TestId::Dgemm) {
        record(world, &mut out, dgemm::run(world, cfg))?;
    }
    if cfg.runs(TestId::Stream) {
        record(world, &mut out, stream::run(world, cfg))?;
    }
    if cfg.runs(TestId::Fft) {
        record(world, &mut out, fft::run(world, cfg))?;
    }
    if cfg.runs(TestId::LatencyBandwidth) {
        record(world, &mut out, vec![latbw::run(world, cfg)])?;
    }
    if cfg.runs(TestId::Hpl) {
        let mut result = hpl::run(world, cfg);
        add_peak_share(&mut result, &peak::probe(world, cfg.threads));
        record(world, &mut out, vec![result])?;
    }

    let success = results.iter().all(TestResult::passed);
    // Every rank waits here until rank 0 has written its files: a rank that
    // exits non-zero (failed verification) makes mpirun kill the others.
    let written = if world.is_root() {
        write_reports(
            world, cfg, cpu, &mut out, &facts, &results, success, started, series,
        )
    } else {
        Ok(())
    };
    world.agree(written)?;
    Ok(success)
}

/// Rank 0: finish `hpccoutf.txt`, write the JSON document (with `--repeat`
/// R > 1, the series of the runs so far) and print the table.
#[allow(clippy::too_many_arguments)]
fn write_reports(
    world: &World,
    cfg: &Config,
    cpu: &crate::cpu::JobCpu,
    out: &mut HpccOutf,
    facts: &JobFacts,
    results: &[TestResult],
    success: bool,
    started: u64,
    series: &mut Vec<String>,
) -> anyhow::Result<()> {
    let values: Vec<(&str, SummaryValue)> = results
        .iter()
        .flat_map(|t| t.summary.iter().map(|(k, v)| (*k, v.clone())))
        .collect();
    out.finish(facts, &values, success);
    atomic::write(&cfg.output, out.text().as_bytes())
        .with_context(|| format!("writing {}", cfg.output.display()))?;

    let summary = summary_pairs(out.text());
    let doc = rjson::render(rjson::Run {
        started_at_unix: started,
        placement: cfg.placement.as_deref(),
        placement_facts: cfg.placement_facts.as_ref(),
        success,
        environment: environment(world, cfg.threads, Some(cpu)),
        parameters: json!({ "source": cfg.input_source, "input": cfg.input, "tests": cfg.tests }),
        tests: results,
        summary: &summary,
    });
    let text = if cfg.repeat > 1 {
        series.push(doc);
        rjson::render_series(cfg.placement.as_deref(), series)
    } else {
        doc
    };
    atomic::write(&cfg.json, text.as_bytes())
        .with_context(|| format!("writing {}", cfg.json.display()))?;

    if !cfg.quiet {
        print!("{}", table::render(results, success));
        println!("Wrote {} and {}.", cfg.output.display(), cfg.json.display());
    }
    Ok(())
}

/// Add the FMA peak of the best HPL test's grid (its P x Q ranks are the
/// first P x Q of the world, whatever the mapping) and HPL's share of it,
/// to the metrics and as a closing line of the HPL section.
fn add_peak_share(hpl: &mut TestResult, probe: &peak::Peak) {
    let rank_peaks = &probe.rank_gflops[..];
    let get = |key| {
        hpl.summary
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_f64())
    };
    let (Some(p), Some(q), Some(tflops)) = (get("HPL_nprow"), get("HPL_npcol"), get("HPL_Tflops"))
    else {
        return;
    };
    let procs = ((p * q) as usize).min(rank_peaks.len());
    let peak: f64 = rank_peaks[..procs].iter().sum();
    hpl.metrics
        .push(Metric::new("FmaPeak", "Gflop/s", peak).samples(rank_peaks[..procs].to_vec()));
    let percent = 100.0 * tflops * 1e3 / peak;
    hpl.metrics.push(Metric::new("PercentOfPeak", "%", percent));
    let gemm = rhpcc_kernels::isa::gemm_isa();
    hpl.parameters["peak_probe"] = serde_json::json!({
        "rule": "all ranks at once after a barrier; per rank the best of 3 runs of about 0.1 s of independent FMA chains on each thread, at the instruction-set level of faer's GEMM; peak = sum over the best test's P x Q ranks",
        "per_rank_gflops": rank_peaks,
        "isa": probe.isa.name(),
    });
    hpl.parameters["gemm"] = serde_json::json!({ "engine": "faer", "isa": gemm.name() });
    hpl.section.push_str(&format!(
        "FMA peak probe ({} code, the level of faer's GEMM here: {}) of the {procs} ranks: {peak:.3} Gflop/s; HPL reached {percent:.1} % of it.\n",
        probe.isa, gemm
    ));
}

/// The summary block as printed, parsed back into typed pairs so that the
/// JSON carries exactly what `hpccoutf.txt` says.
fn summary_pairs(text: &str) -> Vec<(&'static str, SummaryValue)> {
    let keys = crate::report::hpccoutf::summary_keys();
    let block = text
        .split("Begin of Summary section.\n")
        .nth(1)
        .and_then(|s| s.split("End of Summary section.").next())
        .unwrap_or("");
    block
        .lines()
        .filter_map(|line| {
            let (k, v) = line.split_once('=')?;
            let key = keys.iter().find(|x| **x == k)?;
            let value = if let Ok(i) = v.parse::<i64>() {
                SummaryValue::Int(i)
            } else if let Ok(f) = v.parse::<f64>() {
                SummaryValue::G(f)
            } else {
                SummaryValue::Text(v.to_string())
            };
            Some((*key, value))
        })
        .collect()
}

/// The job's environment for a results document.
pub(crate) fn environment(
    world: &World,
    threads: usize,
    cpu: Option<&crate::cpu::JobCpu>,
) -> rjson::Environment {
    let mut ranks_per_host = Map::new();
    for h in &world.shape.hosts {
        ranks_per_host.insert(h.name.clone(), Value::from(h.ranks));
    }
    let (major, minor) = mpi::environment::version();
    rjson::Environment {
        hostnames: world.shape.hosts.iter().map(|h| h.name.clone()).collect(),
        ranks_per_host,
        comm_world_procs: world.size,
        threads_per_rank: threads,
        mpi_library: mpi::environment::library_version()
            .unwrap_or_default()
            .trim_end_matches('\0')
            .trim()
            .to_string(),
        mpi_version: format!("{major}.{minor}"),
        cpu_model: cpu_model(),
        cpu: crate::cpu::environment(cpu),
        mpi_wtick_s: world.tick(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
