//! `rhpcc compare`: read results documents, group them by placement and
//! report, per metric, the mean, 95% confidence interval, min/max over the
//! repeats and the ratio to the baseline (native) placement with its
//! uncertainty, as a table on standard output, as `report.md`, and as one
//! SVG plot per figure.
//!
//! [`load`] reads the documents, [`group`] groups them and computes
//! [`stats`] for each [`metrics`] figure, [`report`] writes the tables and
//! [`plot`] the plots. No MPI: this runs on a laptop holding the results.

#[cfg(test)]
mod fixture;
pub mod group;
pub mod load;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::CompareArgs;
use crate::report::atomic;

/// Format of the report printed on standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned plain text.
    Text,
    /// The Markdown written to `report.md`.
    Md,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] load::LoadError),
    #[error(transparent)]
    Baseline(#[from] group::BaselineNotFound),
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Plot(String),
}

/// What [`write()`] produced.
pub struct Written {
    pub report: PathBuf,
    pub plots: Vec<PathBuf>,
}

/// Write `report.md` and one `<figure>.svg` per figure into `dir` (created
/// if missing), each atomically, and remove the plots of figures this
/// comparison lacks.
pub fn write(c: &group::Comparison, dir: &Path) -> Result<Written, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut plots = Vec::new();
    for f in &c.figures {
        let path = dir.join(format!("{}.svg", f.def.id));
        let svg = plot::svg(c, f).map_err(Error::Plot)?;
        atomic::write(&path, svg.as_bytes()).map_err(io(&path))?;
        plots.push(path);
    }
    // A plot left from an earlier comparison into the same directory would
    // pass for part of this one.
    for def in metrics::FIGURES {
        if !c.figures.iter().any(|f| f.def.id == def.id) {
            let path = dir.join(format!("{}.svg", def.id));
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
                _ => {}
            }
        }
    }
    let report = dir.join("report.md");
    atomic::write(&report, report::markdown(c).as_bytes()).map_err(io(&report))?;
    Ok(Written { report, plots })
}

/// The `compare` subcommand.
pub fn main(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::load(&args.paths)?;
    for w in &loaded.warnings {
        eprintln!("rhpcc: warning: {w}");
    }
    let c = group::compare(&loaded.runs, args.baseline.as_deref())?;
    let written = write(&c, &args.out)?;
    print!(
        "{}",
        match args.format {
            Format::Text => report::text(&c),
            Format::Md => report::markdown(&c),
        }
    );
    eprintln!(
        "Wrote {} and {} plots in {}.",
        written.report.display(),
        written.plots.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
