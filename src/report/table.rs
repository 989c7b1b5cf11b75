//! The readable summary table printed on rank 0 at the end of a run.

use super::TestResult;

/// One row per metric: test, metric, value with unit, and the test's verdict.
pub fn render(tests: &[TestResult], success: bool) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "Test".into(),
        "Metric".into(),
        "Value".into(),
        "Verification".into(),
    ]];
    for t in tests {
        let verdict = if t.verification.is_empty() {
            "-".to_string()
        } else if t.passed() {
            "passed".to_string()
        } else {
            "FAILED".to_string()
        };
        for (i, m) in t.metrics.iter().enumerate() {
            rows.push([
                if i == 0 {
                    t.name.to_string()
                } else {
                    String::new()
                },
                m.name.clone(),
                format!("{} {}", sig(m.value), m.unit),
                if i == 0 {
                    verdict.clone()
                } else {
                    String::new()
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 6 + widths[3].max(12)));
            out.push('\n');
        }
    }
    out.push_str(if success {
        "All verifications passed.\n"
    } else {
        "VERIFICATION FAILED: see hpccoutf.txt.\n"
    });
    out
}

/// Four significant digits, no exponent for everyday magnitudes.
fn sig(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    }
}
