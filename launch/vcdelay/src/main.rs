//! `rhpcc-vcdelay [--delay D] [--loss L] [--limit BYTES] HOST_SIDE BRIDGE_SIDE`:
//! see the library's documentation and `launch/README.md`.

use std::process::ExitCode;

use rhpcc_vcdelay::relay::{self, End};
use rhpcc_vcdelay::spec::{parse_args, Command, USAGE};

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(opts)) => opts,
        Err(e) => {
            eprintln!("rhpcc-vcdelay: {e}");
            return ExitCode::from(2);
        }
    };
    match relay::run(&opts) {
        Ok(End::Signal(_)) => ExitCode::SUCCESS,
        Ok(End::InterfaceGone(name)) => {
            eprintln!("rhpcc-vcdelay: interface {name} is gone; ending");
            ExitCode::SUCCESS
        }
        Ok(End::Failed(why)) => {
            eprintln!("rhpcc-vcdelay: {why}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("rhpcc-vcdelay: {e}");
            ExitCode::from(2)
        }
    }
}
