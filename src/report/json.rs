//! The JSON results document.
//!
//! One document per run, written atomically beside `hpccoutf.txt`. Its
//! `schema_version` changes whenever a field changes meaning or disappears;
//! new fields may appear without a version change.
//!
//! # Schema (version 1)
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "tool": { "name": "rhpcc", "version": "0.1.0", "git_revision": "3f2c1e9" },
//!   "started_at_unix": 1795547239,
//!   "placement": "4V/1C",
//!   "placement_facts": {
//!     "placement": "4V/1C", "kind": "vms", "nodes": 2, "node_names": ["n1", "n2"],
//!     "vms_per_node": 4, "cores_per_vm": 1, "ranks_per_host": 1, "ranks": 8,
//!     "hypervisor": "kvm", "nic": "virtio", "disk": "virtio-blk",
//!     "hosts": [
//!       { "name": "n1-s0", "address": "10.0.1.10", "node": "n1", "vm": true, "cores": 1,
//!         "ranks": 1, "hypervisor": "kvm", "nic": "virtio", "disk": "virtio-blk", "facts": {} }
//!     ]
//!   },
//!   "success": true,
//!   "environment": {
//!     "hostnames": ["vm"],
//!     "ranks_per_host": { "vm": 2 },
//!     "comm_world_procs": 2,
//!     "threads_per_rank": 1,
//!     "mpi_library": "Open MPI v4.1.4, ...",
//!     "mpi_version": "3.1",
//!     "cpu_model": "Intel(R) Xeon(R) ...",
//!     "mpi_wtick_s": 1e-9
//!   },
//!   "parameters": { "source": "hpccinf.txt", "input": { "ns": [8000], "nbs": [192], "...": "..." } },
//!   "tests": [
//!     {
//!       "name": "StarSTREAM",
//!       "passed": true,
//!       "verification": [
//!         { "name": "avg relative error, a[]", "value": 0.0, "threshold": 1e-13,
//!           "rule": "value <= threshold", "passed": true }
//!       ],
//!       "metrics": [
//!         { "name": "Triad", "key": "StarSTREAM_Triad", "unit": "GB/s",
//!           "higher_is_better": true, "value": 13.4,
//!           "samples": [12.9, 13.4, 13.1], "min": 12.9, "median": 13.1, "max": 13.4 }
//!       ],
//!       "timing_rules": "NTIMES=10, first iteration dropped, ...",
//!       "parameters": { "vector_size": 10666666 }
//!     }
//!   ],
//!   "summary": { "StarSTREAM_Triad": 13.4, "HPL_cpfact": "-" }
//! }
//! ```
//!
//! `summary` holds every key of `hpccoutf.txt`'s summary block with the same
//! value (numbers as numbers, letters as strings); -1 means "not run", as in
//! HPCC. In `metrics`, `value` is the figure HPCC reports, `samples` the raw
//! per-repetition figures it was chosen from (empty when the test has only
//! one), and `min`/`median`/`max` are over `samples`.
//!
//! `placement` is the free-text label of `--placement`. `placement_facts`
//! is the JSON object of `--placement-facts`, present only when given:
//! `rhpcc launch` gives it from an inventory (see `src/placement/plan.rs`):
//! the nodes, VMs per node, cores per VM, ranks per host and total, and the
//! hypervisor, NIC and disk driver when every host shares one (null
//! otherwise; `kind` is `native`, `vms` or `explicit`), plus every host with
//! its own facts. `launch/vcluster.sh run` gives `{"virtual_cluster": true,
//! "hosts", "cpus_per_host", "ranks_per_host", "delay", "loss",
//! "delay_impl"}` (delay and loss as given, e.g. `"2ms"`, `"0.1%"`;
//! `delay_impl` `"netem"` or `"relay"`; null where none).
//!
//! # Series (`rhpcc run --repeat R`, R > 1)
//!
//! ```json
//! { "schema_version": 1, "kind": "series", "placement": "4V/1C", "runs": [ { "...": "..." } ] }
//! ```
//!
//! `runs` holds one complete run document (above) per repetition, in order.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Metric, SummaryValue, TestResult, Verification};

/// Version of the layout documented above.
pub const SCHEMA_VERSION: u32 = 1;

/// Longest placement label a run takes (`--placement`) and `rhpcc compare`
/// reads: its tables pad to the longest label.
pub const MAX_PLACEMENT_LABEL: usize = 200;

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    pub git_revision: &'static str,
}

#[derive(Serialize)]
pub struct Environment {
    pub hostnames: Vec<String>,
    pub ranks_per_host: Map<String, Value>,
    pub comm_world_procs: usize,
    pub threads_per_rank: usize,
    pub mpi_library: String,
    pub mpi_version: String,
    pub cpu_model: String,
    /// CPU flags, instruction-set levels and each kernel's code path
    /// (`cpu::environment` of the rhpcc crate).
    pub cpu: Value,
    pub mpi_wtick_s: f64,
}

#[derive(Serialize)]
struct MetricOut<'a> {
    #[serde(flatten)]
    metric: &'a Metric,
    min: Option<f64>,
    median: Option<f64>,
    max: Option<f64>,
}

#[derive(Serialize)]
struct TestOut<'a> {
    name: &'a str,
    passed: bool,
    verification: &'a [Verification],
    metrics: Vec<MetricOut<'a>>,
    timing_rules: &'a str,
    parameters: &'a Value,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    started_at_unix: u64,
    placement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placement_facts: Option<&'a Value>,
    success: bool,
    environment: Environment,
    parameters: Value,
    tests: Vec<TestOut<'a>>,
    summary: Map<String, Value>,
}

/// Min, median and max of `xs` (None when empty).
pub fn stats(xs: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    if xs.is_empty() {
        return (None, None, None);
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (Some(v[0]), Some(median), Some(v[n - 1]))
}

pub struct Run<'a> {
    pub started_at_unix: u64,
    pub placement: Option<&'a str>,
    pub placement_facts: Option<&'a Value>,
    pub success: bool,
    pub environment: Environment,
    pub parameters: Value,
    pub tests: &'a [TestResult],
    /// The complete summary block, in order, as printed.
    pub summary: &'a [(&'static str, SummaryValue)],
}

/// Render the document (pretty-printed, trailing newline).
pub fn render(run: Run<'_>) -> String {
    let tests = run
        .tests
        .iter()
        .map(|t| TestOut {
            name: t.name,
            passed: t.passed(),
            verification: &t.verification,
            metrics: t
                .metrics
                .iter()
                .map(|m| {
                    let (min, median, max) = stats(&m.samples);
                    MetricOut {
                        metric: m,
                        min,
                        median,
                        max,
                    }
                })
                .collect(),
            timing_rules: t.timing_rules,
            parameters: &t.parameters,
        })
        .collect();
    let summary = run
        .summary
        .iter()
        .map(|(k, v)| {
            let val = match v {
                SummaryValue::Text(s) => Value::String(s.clone()),
                SummaryValue::Int(i) => Value::from(*i),
                other => other
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
            };
            (k.to_string(), val)
        })
        .collect();
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "rhpcc",
            version: env!("CARGO_PKG_VERSION"),
            git_revision: option_env!("RHPCC_GIT_REVISION").unwrap_or("unknown"),
        },
        started_at_unix: run.started_at_unix,
        placement: run.placement,
        placement_facts: run.placement_facts,
        success: run.success,
        environment: run.environment,
        parameters: run.parameters,
        tests,
        summary,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("results document serializes");
    s.push('\n');
    s
}

/// Render a series document around run documents made by [`render`]
/// (pretty-printed, trailing newline).
pub fn render_series(placement: Option<&str>, runs: &[String]) -> String {
    let label = serde_json::to_string(&placement).expect("label serializes");
    let mut s = format!(
        "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"kind\": \"series\",\n  \"placement\": {label},\n  \"runs\": ["
    );
    for (i, run) in runs.iter().enumerate() {
        s.push_str(if i == 0 { "\n" } else { ",\n" });
        // A pretty-printed document has no newline inside a string, so
        // indenting line by line keeps it intact.
        let body: Vec<String> = run.trim_end().lines().map(|l| format!("    {l}")).collect();
        s.push_str(&body.join("\n"));
    }
    s.push_str(if runs.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_odd_even_and_empty() {
        assert_eq!(stats(&[3.0, 1.0, 2.0]), (Some(1.0), Some(2.0), Some(3.0)));
        assert_eq!(
            stats(&[4.0, 1.0, 2.0, 3.0]),
            (Some(1.0), Some(2.5), Some(4.0))
        );
        assert_eq!(stats(&[]), (None, None, None));
    }

    #[test]
    fn series_holds_the_runs_as_they_are() {
        let runs = vec![
            "{\n  \"a\": \"x\\ny\",\n  \"b\": [\n    1\n  ]\n}\n".to_string(),
            "{\n  \"a\": 2\n}\n".to_string(),
        ];
        let text = render_series(Some("4V/1C"), &runs);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"schema_version": 1, "kind": "series", "placement": "4V/1C",
                "runs": [{"a": "x\ny", "b": [1]}, {"a": 2}]})
        );
        assert!(
            text.contains("\n    {\n      \"a\": 2\n    }\n  ]\n}\n"),
            "{text}"
        );
        let none: Value = serde_json::from_str(&render_series(None, &[])).unwrap();
        assert_eq!(none["placement"], Value::Null);
        assert_eq!(none["runs"], serde_json::json!([]));
    }
}
