use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match rhpcc::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Option errors come before MPI starts: under mpirun every rank
            // sees them; only the first rank prints (help and version too).
            if launcher_rank().is_none_or(|r| r == 0) {
                let _ = e.print();
            } else if e.exit_code() != 0 {
                // mpirun kills the job when the first rank fails: give the
                // first rank time to print before this one exits non-zero.
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match rhpcc::run::main(cli) {
        Ok(code) => code,
        Err(e) => {
            if e.downcast_ref::<rhpcc::world::SilentFailure>().is_none() {
                eprintln!("rhpcc: error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

/// This process's rank as the MPI launcher set it in the environment (Open
/// MPI, PMIx, MPICH's PMI, Slurm), before MPI is initialized.
fn launcher_rank() -> Option<u64> {
    [
        "OMPI_COMM_WORLD_RANK",
        "PMIX_RANK",
        "PMI_RANK",
        "SLURM_PROCID",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok()?.parse().ok())
}
