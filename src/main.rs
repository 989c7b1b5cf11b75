use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = rhpcc::cli::Cli::parse();
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
