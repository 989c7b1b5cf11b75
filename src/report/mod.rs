//! Reporting: what a benchmark driver hands back, and the three views of it
//! (HPCC's `hpccoutf.txt`, the JSON results document, the terminal table).
//!
//! Drivers compute on every rank and return a [`TestResult`]; only rank 0's
//! copy is reported. Nothing here talks to MPI.

pub mod atomic;
pub mod cfmt;
pub mod hpccoutf;
pub mod json;
pub mod table;

use serde::Serialize;

/// One figure a test measured, with its raw samples.
///
/// `value` is the figure HPCC reports (for STREAM the rate from the best
/// time); `samples` are the per-repetition rates it was chosen from, in run
/// order, so that a reader can judge the spread.
#[derive(Clone, Debug, Serialize)]
pub struct Metric {
    /// Short name within the test, e.g. `Triad` or `MaxPingPongLatency`.
    pub name: String,
    /// HPCC summary key carrying this figure, if any.
    pub key: Option<String>,
    /// Unit, spelled out: `GB/s`, `usec`, `Gflop/s`, `GUP/s`, `s`.
    pub unit: &'static str,
    /// Whether larger is better (bandwidth, rate) or smaller (latency, time).
    pub higher_is_better: bool,
    pub value: f64,
    pub samples: Vec<f64>,
}

impl Metric {
    pub fn new(name: impl Into<String>, unit: &'static str, value: f64) -> Self {
        Metric {
            name: name.into(),
            key: None,
            unit,
            higher_is_better: true,
            value,
            samples: Vec::new(),
        }
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn lower_is_better(mut self) -> Self {
        self.higher_is_better = false;
        self
    }

    pub fn samples(mut self, samples: Vec<f64>) -> Self {
        self.samples = samples;
        self
    }
}

/// The verdict of a benchmark's self-check, e.g. STREAM's average relative
/// error or HPL's scaled residual: `passed` iff `value <= threshold` (or the
/// check's own rule, stated in `rule`).
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub rule: &'static str,
    pub passed: bool,
}

/// A value in HPCC's summary block, printed with the C format HPCC uses for
/// that key.
#[derive(Clone, Debug, PartialEq)]
pub enum SummaryValue {
    /// `%g`
    G(f64),
    /// `%d`
    Int(i64),
    /// `%e`
    E(f64),
    /// `%c` or `%s`
    Text(String),
}

impl SummaryValue {
    pub fn render(&self) -> String {
        match self {
            SummaryValue::G(v) => cfmt::g(*v),
            SummaryValue::Int(v) => v.to_string(),
            SummaryValue::E(v) => cfmt::e(*v),
            SummaryValue::Text(s) => s.clone(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SummaryValue::G(v) | SummaryValue::E(v) => Some(*v),
            SummaryValue::Int(v) => Some(*v as f64),
            SummaryValue::Text(_) => None,
        }
    }
}

/// Everything one HPCC test (a `Begin of <name> section.` block) produced.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// HPCC's section name: `StarSTREAM`, `LatencyBandwidth`, ...
    pub name: &'static str,
    /// The section's body as HPCC prints it (without the Begin/End lines).
    pub section: String,
    /// Summary keys this test sets, in any order.
    pub summary: Vec<(&'static str, SummaryValue)>,
    pub metrics: Vec<Metric>,
    pub verification: Vec<Verification>,
    /// How the test was timed (warm-up, barriers, repetitions, reduction
    /// across ranks), stored in the JSON.
    pub timing_rules: &'static str,
    /// Test-specific parameters for the JSON (sizes, ranks, ...).
    pub parameters: serde_json::Value,
}

impl TestResult {
    /// True when every verification of this test passed.
    pub fn passed(&self) -> bool {
        self.verification.iter().all(|v| v.passed)
    }
}
