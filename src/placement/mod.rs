//! Placement: where the ranks of a run go, from an inventory of nodes and
//! VMs ([`inventory`]) and a placement spec ([`spec`]), mapped by the pure
//! function [`plan::plan`] onto the MPI launcher's files and command line.
//!
//! [`launch`] is `rhpcc launch`: it writes those files and starts (or
//! prints) `mpirun ... rhpcc run --placement LABEL --placement-facts JSON`,
//! so that every results document records the placement. It never
//! initializes MPI itself.

pub mod inventory;
pub mod plan;
pub mod spec;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

pub use inventory::Inventory;
pub use plan::{plan, FilePaths, LaunchPlan, Mpi};
pub use spec::Placement;

/// Whether `rhpcc launch` has the MPI launcher bind ranks to cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Bind {
    /// Rank k of a host on its core k.
    Core,
    /// No binding by the launcher.
    None,
}

use crate::cli::LaunchArgs;
use crate::report::atomic;

/// Options of `rhpcc run` that `launch` sets itself.
const OWN_RUN_OPTIONS: [&str; 2] = ["--placement", "--placement-facts"];

/// `rhpcc launch`: plan, write the files, then run or print the command.
pub fn launch(args: &LaunchArgs) -> anyhow::Result<ExitCode> {
    for a in &args.run_args {
        let name = a.split('=').next().unwrap_or(a);
        if OWN_RUN_OPTIONS.contains(&name) {
            bail!("{name} after `--`: rhpcc launch sets it from --placement and the inventory; give the placement to launch instead");
        }
    }
    let placement = Placement::parse(&args.placement)?;
    let inv = Inventory::load(&args.inventory)?;
    let plan = plan(&inv, &placement)
        .with_context(|| format!("inventory {}", args.inventory.display()))?;

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("--out: creating {}", args.out.display()))?;
    let path = |name: &str| args.out.join(name);
    let files = FilePaths {
        openmpi_hostfile: path("hostfile").display().to_string(),
        rankfile: path("rankfile").display().to_string(),
        mpich_hostfile: path("hosts.mpich").display().to_string(),
    };
    let mut facts = serde_json::to_string_pretty(&plan.facts())?;
    facts.push('\n');
    let contents = [
        (&files.openmpi_hostfile, plan.openmpi_hostfile()),
        (&files.rankfile, plan.rankfile()),
        (&files.mpich_hostfile, plan.mpich_hostfile()),
        (&path("placement.json").display().to_string(), facts),
    ];
    for (file, text) in &contents {
        atomic::write(Path::new(file), text.as_bytes())
            .with_context(|| format!("writing {file}"))?;
    }

    let bin = match &args.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .context("finding this executable's path (give --bin)")?
            .display()
            .to_string(),
    };
    let launcher = plan::Launcher {
        mpi: args.mpi,
        bind: args.bind == Bind::Core,
        wrap: args.wrap.clone(),
    };
    let argv = plan.command(&launcher, &files, &bin, &args.run_args);
    if args.dry_run {
        let shown: &[_] = match args.mpi {
            Mpi::Openmpi if !launcher.bind => &contents[..1],
            Mpi::Openmpi => &contents[..2],
            Mpi::Mpich => &contents[2..3],
        };
        for (file, text) in shown {
            println!("# {file}");
            print!("{text}");
        }
        println!("# command");
        println!("{}", plan::shell_line(&argv));
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "rhpcc launch: {} ranks on {} hosts: {}",
        plan.ranks(),
        plan.hosts.len(),
        plan::shell_line(&argv)
    );
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .with_context(|| format!("starting {}", argv[0]))?;
    Ok(match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => {
            use std::os::unix::process::ExitStatusExt;
            ExitCode::from(128 + status.signal().unwrap_or(0) as u8)
        }
    })
}
