//! A progress line for long runs, on rank 0's standard error, when that is a
//! terminal or when asked for (`--progress`: under mpirun a rank's stderr is
//! always a pipe). Redrawn at most twice a second, so it costs nothing
//! measurable inside timed regions.

use std::io::{IsTerminal, Write};

const INTERVAL_S: f64 = 0.5;

pub struct Progress {
    label: String,
    enabled: bool,
    last: f64,
}

impl Progress {
    /// A progress line labelled `label`, shown only on `root`, and there if
    /// `forced` or standard error is a terminal.
    pub fn new(label: impl Into<String>, root: bool, forced: bool) -> Progress {
        Progress {
            label: label.into(),
            enabled: root && (forced || std::io::stderr().is_terminal()),
            last: f64::NEG_INFINITY,
        }
    }

    /// Report `fraction` (0 to 1) of the work done.
    pub fn update(&mut self, fraction: f64) {
        if !self.enabled {
            return;
        }
        let now = mpi::time();
        if now - self.last < INTERVAL_S {
            return;
        }
        self.last = now;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{}: {:5.1}%",
            self.label,
            100.0 * fraction.clamp(0.0, 1.0)
        );
        let _ = err.flush();
    }

    /// Erase the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last > f64::NEG_INFINITY {
            let width = self.label.len() + 8;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(width));
            let _ = err.flush();
        }
    }
}
