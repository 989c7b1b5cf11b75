//! Run configuration: `hpccinf.txt` (or HPCC's defaults) plus command-line
//! overrides, validated once against the MPI job before any benchmark runs.
//!
//! [`resolve`] is pure: it takes the parsed arguments and a description of
//! the job ([`JobShape`]) and returns a [`Config`] that is valid for that job,
//! or an error naming the file line or flag at fault.

pub mod hpccinf;
mod outputs;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cli::RunArgs;
use crate::report::json::MAX_PLACEMENT_LABEL;
pub use hpccinf::{Bcast, Fact, HpccInput, InputError, Pmap, Swap};

/// One HPCC test family that rhpcc can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestId {
    /// PTRANS, the parallel matrix transpose.
    Ptrans,
    /// StarDGEMM and SingleDGEMM.
    Dgemm,
    /// StarSTREAM and SingleSTREAM.
    Stream,
    /// MPIRandomAccess, StarRandomAccess and SingleRandomAccess, each with
    /// the GF(2) and the LCG stream.
    RandomAccess,
    /// MPIFFT, StarFFT and SingleFFT.
    Fft,
    /// HPCC's b_eff-derived latency and bandwidth test.
    LatencyBandwidth,
    /// HPL (run last, as in HPCC).
    Hpl,
}

impl TestId {
    pub const ALL: [TestId; 7] = [
        TestId::RandomAccess,
        TestId::Ptrans,
        TestId::Dgemm,
        TestId::Stream,
        TestId::Fft,
        TestId::LatencyBandwidth,
        TestId::Hpl,
    ];
}

/// The tests a `--tests` name selects; an unknown name is an error, not a
/// silent skip.
fn parse_test(name: &str) -> Result<Vec<TestId>, ConfigError> {
    let lower = name.trim().to_ascii_lowercase();
    Ok(match lower.as_str() {
        "all" => TestId::ALL.to_vec(),
        "dgemm" | "stardgemm" | "singledgemm" => vec![TestId::Dgemm],
        "stream" | "starstream" | "singlestream" => vec![TestId::Stream],
        "fft" | "mpifft" | "starfft" | "singlefft" => vec![TestId::Fft],
        "latbw" | "latencybandwidth" | "pingpong" | "ring" => vec![TestId::LatencyBandwidth],
        "hpl" => vec![TestId::Hpl],
        "randomaccess"
        | "gups"
        | "mpirandomaccess"
        | "starrandomaccess"
        | "singlerandomaccess"
        | "randomaccess_lcg"
        | "mpirandomaccess_lcg"
        | "starrandomaccess_lcg"
        | "singlerandomaccess_lcg" => vec![TestId::RandomAccess],
        "ptrans" => vec![TestId::Ptrans],
        _ => return Err(ConfigError::UnknownTest(name.to_string())),
    })
}

/// How STREAM writes its results (`--stream-stores`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum StreamStores {
    Auto,
    Cached,
    Streaming,
}

/// `--isa`: the kernels' level, or `auto` for the best the CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum IsaChoice {
    Auto,
    Avx512,
    Avx2,
    Portable,
}

impl IsaChoice {
    /// The level asked for, `None` for `auto`.
    pub fn level(self) -> Option<rhpcc_kernels::isa::Isa> {
        match self {
            IsaChoice::Auto => None,
            IsaChoice::Avx512 => Some(rhpcc_kernels::isa::Isa::Avx512),
            IsaChoice::Avx2 => Some(rhpcc_kernels::isa::Isa::Avx2),
            IsaChoice::Portable => Some(rhpcc_kernels::isa::Isa::Portable),
        }
    }

    pub fn name(self) -> &'static str {
        self.level().map_or("auto", rhpcc_kernels::isa::Isa::name)
    }
}

/// A host of the job: its name, how many ranks run on it, and its memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostShape {
    pub name: String,
    pub ranks: usize,
    /// `MemAvailable` from `/proc/meminfo`, bytes (0 if unknown).
    pub mem_available: u64,
}

/// What the MPI job looks like, gathered before configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobShape {
    pub size: usize,
    pub hosts: Vec<HostShape>,
}

/// A complete, validated configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub input: HpccInput,
    /// Where the parameters came from, for the reports.
    pub input_source: String,
    pub tests: Vec<TestId>,
    pub output: PathBuf,
    pub json: PathBuf,
    pub threads: usize,
    pub placement: Option<String>,
    /// `--placement-facts`: the placement's facts, a JSON object.
    pub placement_facts: Option<serde_json::Value>,
    /// Runs of the selected tests in this job (`--repeat`, >= 1).
    pub repeat: usize,
    pub quiet: bool,
    pub progress: bool,
    pub stream_stores: StreamStores,
    /// `--isa`: the kernels' instruction-set level, applied on every rank.
    pub isa: IsaChoice,
    /// Test-only: the test whose verification is made to fail.
    pub inject_fault: Option<TestId>,
    /// Time bound of MPIRandomAccess in seconds, replacing HPCC's 60 s
    /// (testing only).
    pub ra_time_bound: Option<f64>,
}

impl Config {
    pub fn runs(&self, test: TestId) -> bool {
        self.tests.contains(&test)
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{flag}: expected {expected}, found '{found}'")]
    Flag {
        flag: &'static str,
        expected: String,
        found: String,
    },
    #[error("N={n} from {origin} gives each rank {mem} bytes (HPCC's 8 N^2 / procs), too few for the tests sized from it ({tests}): use N >= {min_n}, or run only --tests hpl,latbw at this N")]
    TooSmall {
        n: usize,
        mem: u64,
        tests: String,
        min_n: usize,
        origin: String,
    },
    #[error("{flag} {path}: {why}")]
    Output {
        flag: &'static str,
        path: String,
        why: String,
    },
    #[error("--tests: unknown test '{0}' (known: randomaccess, ptrans, dgemm, stream, fft, latbw, hpl, all)")]
    UnknownTest(String),
    #[error("process grid {p} x {q} from {origin} needs {needed} MPI ranks, but the job has only {have}; start more ranks (mpirun -np {needed}) or choose a smaller grid")]
    TooFewRanks {
        p: usize,
        q: usize,
        origin: String,
        needed: usize,
        have: usize,
    },
    #[error("problem too large for memory: N={n} needs {per_rank_gib:.2} GiB per rank (8 N^2 / {procs} ranks), {need_gib:.2} GiB for the {ranks} ranks on host '{host}', which has {avail_gib:.2} GiB available (MemAvailable); lower N in {origin}")]
    Memory {
        n: usize,
        procs: usize,
        per_rank_gib: f64,
        ranks: usize,
        host: String,
        need_gib: f64,
        avail_gib: f64,
        origin: String,
    },
    #[error("PTRANS problem too large for memory: N={n} NB={nb} on {p} x {q} needs {per_rank_gib:.2} GiB per rank (A, C and message buffers), {need_gib:.2} GiB for the {ranks} ranks on host '{host}', which has {avail_gib:.2} GiB available (MemAvailable); lower the PTRANS sizes (lines 33-34) or N in {origin}")]
    PtransMemory {
        n: usize,
        nb: usize,
        p: usize,
        q: usize,
        per_rank_gib: f64,
        ranks: usize,
        host: String,
        need_gib: f64,
        avail_gib: f64,
        origin: String,
    },
}

/// Default memory per rank used to size N without an input file, MiB.
pub const DEFAULT_MEM_PER_RANK_MIB: u64 = 512;

/// HPCC's share of the per-rank memory given to the HPL matrix.
const HPCC_MEM_FACTOR: f64 = 0.8;

/// Share of a host's available memory a run may plan to use.
const MEM_USABLE: f64 = 0.9;

/// HPCC's default process grid (`HPCC_ProcessGrid`): the most nearly square
/// P x Q with P <= Q over all ranks; a prime count of 20 or more uses one
/// rank fewer.
pub fn default_grid(size: usize) -> (usize, usize) {
    let mut nproc = size.max(1);
    loop {
        let mut i = (nproc as f64).sqrt() as usize;
        while i > 1 {
            let q = nproc / i;
            let p = nproc / q;
            if p * q == nproc {
                return (p, q);
            }
            i -= 1;
        }
        if nproc < 20 {
            return (1, nproc);
        }
        nproc -= 1;
    }
}

/// HPCC's default N for `procs` ranks with `mem_per_rank` bytes each: the
/// matrix takes 80% of the memory, N a multiple of 2 NB.
pub fn default_n(procs: usize, mem_per_rank: u64, nb: usize) -> usize {
    let words = HPCC_MEM_FACTOR * procs as f64 * (mem_per_rank / 8) as f64;
    let n = (words.sqrt() as usize) / (2 * nb) * (2 * nb);
    n.max(2 * nb)
}

/// Per-rank memory from HPCC's optional `hpccmemf.txt` (`Total=`, `Thread=`
/// or `Process=` followed by MiB), bytes.
pub fn read_memfile(path: &Path, size: usize, threads: usize) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?;
    let (mult, val) = if let Some(v) = line.strip_prefix("Total=") {
        (1.0 / size as f64, v)
    } else if let Some(v) = line.strip_prefix("Thread=") {
        (threads as f64, v)
    } else if let Some(v) = line.strip_prefix("Process=") {
        (1.0, v)
    } else {
        return None;
    };
    let mib: f64 = val.trim().parse().ok()?;
    Some((mib * mult * 1024.0 * 1024.0) as u64)
}

/// Build and validate the configuration for a job of shape `job`.
/// `cwd_input` is where to look for `hpccinf.txt` and `hpccmemf.txt` when
/// `--input` is not given.
pub fn resolve(args: &RunArgs, job: &JobShape, cwd: &Path) -> Result<Config, ConfigError> {
    let tests = {
        let mut t = Vec::new();
        for name in &args.tests {
            for id in parse_test(name)? {
                if !t.contains(&id) {
                    t.push(id);
                }
            }
        }
        if t.is_empty() {
            return Err(ConfigError::Flag {
                flag: "--tests",
                expected: "at least one test".into(),
                found: String::new(),
            });
        }
        t
    };
    if let Some(t) = args.ra_time_bound {
        if !(t > 0.0 && t.is_finite()) {
            return Err(flag("--ra-time-bound", "a number of seconds > 0", t));
        }
    }
    if args.threads < 1 {
        return Err(flag("--threads", "an integer >= 1", args.threads));
    }
    if args.repeat < 1 {
        return Err(flag("--repeat", "an integer >= 1", args.repeat));
    }
    let placement_facts = placement_facts(args.placement_facts.as_deref())?;
    if let Some(label) = &args.placement {
        let len = label.trim().chars().count();
        if len > MAX_PLACEMENT_LABEL {
            return Err(flag(
                "--placement",
                &format!("a label of at most {MAX_PLACEMENT_LABEL} characters"),
                format!("{len} characters"),
            ));
        }
    }
    for (name, v) in [
        ("--n", args.n),
        ("--nb", args.nb),
        ("--p", args.p),
        ("--q", args.q),
    ] {
        if v == Some(0) {
            return Err(flag(name, "an integer >= 1", 0));
        }
    }

    let default_file = cwd.join("hpccinf.txt");
    let file = match &args.input {
        Some(p) => Some(p.clone()),
        None if default_file.exists() => Some(default_file),
        None => None,
    };

    let memfile = cwd.join("hpccmemf.txt");
    let inputs: Vec<&Path> = file
        .iter()
        .map(PathBuf::as_path)
        .chain(memfile.exists().then_some(memfile.as_path()))
        .collect();
    outputs::check(
        &[("--output", &args.output), ("--json", &args.json)],
        &inputs,
        cwd,
    )?;

    let (mut input, mut source) = match &file {
        Some(path) => (hpccinf::parse_file(path)?, path.display().to_string()),
        None => {
            let (p, q) = default_grid(job.size);
            let mem = default_mem_per_rank(args, job, cwd);
            let nb = args.nb.unwrap_or(hpccinf::DEFAULT_NB);
            let n = default_n(p * q, mem, nb);
            (
                HpccInput::defaults(n, p, q),
                format!(
                    "HPCC defaults (N sized from {} MiB per rank)",
                    mem / (1024 * 1024)
                ),
            )
        }
    };

    let mut overridden = Vec::new();
    if let Some(n) = args.n {
        input.ns = vec![n];
        overridden.push("--n");
    }
    if let Some(nb) = args.nb {
        input.nbs = vec![nb];
        overridden.push("--nb");
    }
    if let (Some(p), Some(q)) = (args.p, args.q) {
        input.grids = vec![(p, q)];
        overridden.push("--p/--q");
    }
    if !overridden.is_empty() {
        source = format!("{source} with {}", overridden.join(", "));
    }

    for &(p, q) in &input.grids {
        if p * q > job.size {
            let from = if args.p.is_some() {
                "--p/--q".to_string()
            } else {
                match &file {
                    Some(f) => format!("{} lines 11-12", f.display()),
                    None => "HPCC defaults".to_string(),
                }
            };
            return Err(ConfigError::TooFewRanks {
                p,
                q,
                origin: from,
                needed: p * q,
                have: job.size,
            });
        }
    }

    check_memory(&input, job, &source)?;
    check_smallest(&input, &tests, &source)?;
    if tests.contains(&TestId::Ptrans) {
        check_ptrans_memory(&input, job, &source)?;
    }

    Ok(Config {
        input,
        input_source: source,
        tests,
        output: args.output.clone(),
        json: args.json.clone(),
        threads: args.threads,
        placement: args.placement.clone(),
        placement_facts,
        repeat: args.repeat,
        quiet: args.quiet,
        progress: args.progress,
        stream_stores: args.stream_stores,
        isa: args.isa,
        inject_fault: args
            .inject_fault
            .as_deref()
            .map(|t| parse_test(t).map(|v| v[0]))
            .transpose()?,
        ra_time_bound: args.ra_time_bound,
    })
}

/// `--placement-facts`: a JSON object (of `rhpcc run` and `rhpcc micro`).
pub fn placement_facts(text: Option<&str>) -> Result<Option<serde_json::Value>, ConfigError> {
    match text.map(serde_json::from_str::<serde_json::Value>) {
        None => Ok(None),
        Some(Ok(v)) if v.is_object() => Ok(Some(v)),
        Some(_) => Err(flag(
            "--placement-facts",
            "a JSON object",
            text.unwrap_or_default(),
        )),
    }
}

fn flag(flag: &'static str, expected: &str, found: impl ToString) -> ConfigError {
    ConfigError::Flag {
        flag,
        expected: expected.into(),
        found: found.to_string(),
    }
}

fn default_mem_per_rank(args: &RunArgs, job: &JobShape, cwd: &Path) -> u64 {
    const MIB: u64 = 1024 * 1024;
    if let Some(mib) = args.mem_per_rank_mib {
        return mib * MIB;
    }
    if let Some(bytes) = read_memfile(&cwd.join("hpccmemf.txt"), job.size, args.threads) {
        return bytes;
    }
    let cap = job
        .hosts
        .iter()
        .filter(|h| h.mem_available > 0)
        .map(|h| h.mem_available / 2 / h.ranks.max(1) as u64)
        .min()
        .unwrap_or(u64::MAX);
    (DEFAULT_MEM_PER_RANK_MIB * MIB).min(cap)
}

/// PTRANS's largest case must fit too: its sizes can come from lines 33-34
/// of the input, beyond HPL's.
fn check_ptrans_memory(input: &HpccInput, job: &JobShape, source: &str) -> Result<(), ConfigError> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let Some((case, per_rank)) = crate::ptrans::cases(input)
        .into_iter()
        .map(|c| (c, crate::ptrans::bytes_per_rank(&c)))
        .max_by_key(|&(_, b)| b)
    else {
        return Ok(());
    };
    for host in job.hosts.iter().filter(|h| h.mem_available > 0) {
        let need = per_rank as f64 * host.ranks as f64;
        if need > MEM_USABLE * host.mem_available as f64 {
            return Err(ConfigError::PtransMemory {
                n: case.n,
                nb: case.nb,
                p: case.p,
                q: case.q,
                per_rank_gib: per_rank as f64 / GIB,
                ranks: host.ranks,
                host: host.name.clone(),
                need_gib: need / GIB,
                avail_gib: host.mem_available as f64 / GIB,
                origin: source.to_string(),
            });
        }
    }
    Ok(())
}

/// Bytes of `HPLMaxProcMem` below which the tests sized from it (STREAM,
/// DGEMM, FFT, RandomAccess, PTRANS) get vectors too short to measure or
/// verify (an FFT of length 1, a DGEMM of order 0, STREAM on 0 elements).
pub const MIN_PROC_MEM: u64 = 128;

/// Refuse an N too small for the memory-sized tests selected (HPL and the
/// latency/bandwidth test run at any N).
fn check_smallest(input: &HpccInput, tests: &[TestId], source: &str) -> Result<(), ConfigError> {
    let sized: Vec<&str> = tests
        .iter()
        .filter_map(|t| match t {
            TestId::Stream => Some("stream"),
            TestId::Dgemm => Some("dgemm"),
            TestId::Fft => Some("fft"),
            TestId::RandomAccess => Some("randomaccess"),
            TestId::Ptrans => Some("ptrans"),
            TestId::Hpl | TestId::LatencyBandwidth => None,
        })
        .collect();
    let mem = input.hpl_max_proc_mem();
    if sized.is_empty() || mem >= MIN_PROC_MEM {
        return Ok(());
    }
    let procs = input.grid_procs_range().0.max(1) as f64;
    let min_n = (MIN_PROC_MEM as f64 * procs / 8.0).sqrt().ceil() as usize;
    Err(ConfigError::TooSmall {
        n: input.max_n(),
        mem,
        tests: sized.join(","),
        min_n,
        origin: source.to_string(),
    })
}

/// Every rank of the job holds HPCC's `HPLMaxProcMem` at once (the Star
/// tests run on all ranks), so each host needs that times its rank count.
fn check_memory(input: &HpccInput, job: &JobShape, source: &str) -> Result<(), ConfigError> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    // In floating point: 8 N^2 overflows 64 bits from N = 2^30.5.
    let n = input.max_n() as f64;
    let per_rank = n * n * 8.0 / input.grid_procs_range().0.max(1) as f64;
    for host in &job.hosts {
        if host.mem_available == 0 {
            continue;
        }
        let need = per_rank * host.ranks as f64;
        if need > MEM_USABLE * host.mem_available as f64 {
            return Err(ConfigError::Memory {
                n: input.max_n(),
                procs: input.grid_procs_range().0,
                per_rank_gib: per_rank / GIB,
                ranks: host.ranks,
                host: host.name.clone(),
                need_gib: need / GIB,
                avail_gib: host.mem_available as f64 / GIB,
                origin: source.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
