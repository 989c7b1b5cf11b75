//! Command line (clap derive). Parsing only; `config` turns it into a
//! validated [`crate::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::compare::Format as CompareFormat;
use crate::config::StreamStores;

/// rhpcc: the HPC Challenge benchmark suite (HPCC 1.5) in Rust.
///
/// Run it under `mpirun`, e.g. `mpirun -np 4 rhpcc`; started on its own it
/// runs as a single rank. It reads HPCC's `hpccinf.txt`, writes HPCC's
/// `hpccoutf.txt` and a JSON results document, and prints a summary table.
#[derive(Debug, Parser)]
#[command(name = "rhpcc", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the benchmarks (the default when no subcommand is given).
    Run(RunArgs),
    /// Place a run on an inventory's hosts: write the MPI hostfile and
    /// rankfile, then start `mpirun ... rhpcc run` (or print it with
    /// --dry-run). No MPI in this process.
    Launch(LaunchArgs),
    /// Compare results documents between placements: per metric the mean,
    /// 95% confidence interval, min/max and the ratio to the baseline, as a
    /// table, a Markdown report and SVG plots. Needs no MPI.
    Compare(CompareArgs),
    /// The paper's micro-benchmarks, each resource alone: CPU, disk write,
    /// TCP network. Run under mpirun like the suite (or via `rhpcc launch
    /// ... -- micro <kind> ...`); results documents as `rhpcc run`'s.
    #[command(subcommand)]
    Micro(crate::micro::MicroCommand),
}

/// Arguments of `rhpcc launch` (see `launch/README.md`).
#[derive(Debug, Clone, Args)]
pub struct LaunchArgs {
    /// Inventory of nodes and their VMs (TOML; see
    /// `launch/inventory.example.toml`).
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,

    /// `native`, `native/<C>C`, `<V>V/<C>C` (V VMs per node with C cores
    /// each, one rank per core) or `host:ranks,...` with inventory names.
    #[arg(long, value_name = "SPEC")]
    pub placement: String,

    /// Write the files and print them and the command, without running it.
    #[arg(long)]
    pub dry_run: bool,

    /// Directory for the hostfiles, the rankfile and placement.json
    /// (created if missing; files replaced atomically).
    #[arg(long, value_name = "DIR", default_value = "rhpcc-launch")]
    pub out: PathBuf,

    /// The MPI launcher: Open MPI's mpirun (hostfile and rankfile) or
    /// MPICH's hydra mpiexec (hostfile, -bind-to core).
    #[arg(long, value_enum, default_value_t = crate::placement::Mpi::Openmpi)]
    pub mpi: crate::placement::Mpi,

    /// `core`: bind rank k of a host to its core k (Open MPI's rankfile,
    /// MPICH's `-bind-to core`); `none`: no binding by the launcher (for a
    /// `--wrap` program that binds, or threaded ranks).
    #[arg(long, value_enum, default_value_t = crate::placement::Bind::Core)]
    pub bind: crate::placement::Bind,

    /// A program (with its arguments, one per `--wrap`) that starts rhpcc on
    /// every rank, e.g. `--wrap numactl --wrap --localalloc`, or the virtual
    /// cluster's binding wrapper.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub wrap: Vec<String>,

    /// The rhpcc binary as the hosts see it. Default: this executable's
    /// path, which must then be the same on every host.
    #[arg(long, value_name = "PATH")]
    pub bin: Option<String>,

    /// Options for `rhpcc run` on the hosts (after `--`).
    #[arg(last = true, value_name = "RUN OPTIONS")]
    pub run_args: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Results documents (run or series) or directories of them, searched
    /// recursively for `*.json`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Placement label the others are compared with (default: `native`,
    /// when present).
    #[arg(long, value_name = "LABEL")]
    pub baseline: Option<String>,

    /// Directory for `report.md` and one SVG plot per figure (created if
    /// missing; files replaced atomically).
    #[arg(long, value_name = "DIR", default_value = "rhpcc-compare")]
    pub out: PathBuf,

    /// Format of the report printed on standard output.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// HPCC input file. Default: `hpccinf.txt` in the working directory if
    /// it exists, otherwise HPCC's defaults sized from memory.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// HPCC-format output file (replaced atomically, not appended to).
    #[arg(short, long, value_name = "FILE", default_value = "hpccoutf.txt")]
    pub output: PathBuf,

    /// JSON results document.
    #[arg(long, value_name = "FILE", default_value = "rhpcc-results.json")]
    pub json: PathBuf,

    /// Tests to run, comma-separated: randomaccess (or gups), ptrans, dgemm, stream, fft,
    /// latbw, hpl (aliases: the HPCC section names such as MPIRandomAccess, PTRANS,
    /// StarDGEMM, SingleSTREAM, MPIFFT, StarFFT, LatencyBandwidth), or `all`.
    #[arg(
        short,
        long,
        value_name = "LIST",
        default_value = "all",
        value_delimiter = ','
    )]
    pub tests: Vec<String>,

    /// Override the problem size N (replaces the file's list of Ns).
    #[arg(short = 'N', long = "n", value_name = "N")]
    pub n: Option<usize>,

    /// Override the block size NB (replaces the file's list of NBs).
    #[arg(long, value_name = "NB")]
    pub nb: Option<usize>,

    /// Override the grid's process rows P (needs --q too).
    #[arg(short = 'P', long = "p", value_name = "P", requires = "q")]
    pub p: Option<usize>,

    /// Override the grid's process columns Q (needs --p too).
    #[arg(short = 'Q', long = "q", value_name = "Q", requires = "p")]
    pub q: Option<usize>,

    /// Memory per rank in MiB used to size N when no input file gives it
    /// (HPCC reads it from `hpccmemf.txt`; default 512, at most half of the
    /// node's available memory per rank).
    #[arg(long, value_name = "MIB")]
    pub mem_per_rank_mib: Option<u64>,

    /// Threads per rank for the kernels (rayon). HPCC's default is 1.
    #[arg(long, value_name = "T", default_value_t = 1)]
    pub threads: usize,

    /// Free-text label of the placement this run is in, stored in the JSON
    /// (e.g. `native`, `1V/4C`, `4V/1C`).
    #[arg(long, value_name = "LABEL")]
    pub placement: Option<String>,

    /// Facts of the placement (a JSON object), stored as the results'
    /// `placement_facts`; `rhpcc launch` sets it from the inventory.
    #[arg(long, value_name = "JSON")]
    pub placement_facts: Option<String>,

    /// Run the selected tests R times in this MPI job and keep every run:
    /// with R > 1 the JSON file holds a series document of R run
    /// documents (rewritten after each repetition) and the HPCC-format
    /// output is that of the last repetition.
    #[arg(long, value_name = "R", default_value_t = 1)]
    pub repeat: usize,

    /// STREAM's stores: `auto` (non-temporal for arrays of 2^20 elements or
    /// more, on x86-64), `cached` (ordinary stores, as the reference) or
    /// `streaming`.
    #[arg(long, value_enum, default_value_t = StreamStores::Auto)]
    pub stream_stores: StreamStores,

    /// Instruction-set level of rhpcc's own vector code (STREAM, the PTRANS
    /// tiles, rustfft's path): `auto`, the best each CPU has, or a lower
    /// level to force (`avx2`, `portable`; `avx512`). A level some rank's
    /// CPU lacks stops the run. faer's GEMM (HPL, DGEMM) and the FMA peak
    /// probe that HPL's efficiency divides by keep the CPU's own level.
    #[arg(long, value_enum, env = "RHPCC_ISA", default_value_t = crate::config::IsaChoice::Auto)]
    pub isa: crate::config::IsaChoice,

    /// Show a progress line for long tests on rank 0's standard error. On by
    /// itself when that is a terminal, which it never is under mpirun (Open
    /// MPI pipes the ranks' stderr), hence this flag.
    #[arg(long)]
    pub progress: bool,

    /// Do not print the summary table.
    #[arg(long)]
    pub quiet: bool,

    /// Testing only: make the named test's verification fail, to check that
    /// a failed verification fails the run.
    #[arg(long, value_name = "TEST", hide = true)]
    pub inject_fault: Option<String>,

    /// Testing only: MPIRandomAccess's time bound in seconds instead of
    /// HPCC's 60.
    #[arg(long, value_name = "SECONDS", hide = true)]
    pub ra_time_bound: Option<f64>,
}
