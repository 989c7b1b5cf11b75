//! A small synthetic comparison for the tests: placements `native` and
//! `vm`, three run documents each, written as JSON literals and read as
//! [`super::load`] reads files. HPL ran natively only.

use serde_json::json;

use super::group::{compare, Comparison};
use super::load::{read_document, Loaded};

pub fn comparison() -> Comparison {
    let runs = [
        ("native", 1.0, 10.0, 0.010),
        ("native", 1.1, 11.0, 0.011),
        ("native", 0.9, 12.0, 0.012),
        ("vm", 0.5, 20.0, -1.0),
        ("vm", 0.6, 22.0, -1.0),
        ("vm", 0.4, 24.0, -1.0),
    ];
    let mut loaded = Loaded::default();
    for (i, (placement, ptrans, latency, hpl)) in runs.into_iter().enumerate() {
        let doc = json!({
            "schema_version": 1,
            "tool": {"name": "rhpcc", "version": "0.1.0", "git_revision": "test"},
            "placement": placement,
            "success": true,
            "tests": [],
            "summary": {
                "PTRANS_GBs": ptrans,
                "MinPingPongLatency_usec": latency,
                "HPL_Tflops": hpl,
                "HPL_cpfact": "C"
            }
        });
        read_document(&doc, &format!("run-{i}.json"), &mut loaded).unwrap();
    }
    assert!(loaded.warnings.is_empty());
    compare(&loaded.runs, None).unwrap()
}
