//! The comparison as text (terminal) and Markdown (`report.md`): per figure
//! a table with, per metric and placement, the number of samples, mean, 95%
//! confidence interval, min, max and the ratio to the baseline with the
//! half-width of its 95% interval and a verdict.

use super::group::{Cell, Comparison, FigureResult};
use super::metrics::FigureDef;

/// How the statistics are computed, for the reader of either format.
const METHOD: &str = "Each run document is one sample. mean: arithmetic mean over the samples; \
95% CI: mean ± t(0.975, n-1) × s/√n (Student's t, s the sample standard deviation); \
min and max over the samples; ratio: placement mean / baseline mean, ± the half-width of its \
approximate 95% interval, t(0.975, min(n)-1) × the delta-method standard error \
√((se_a/b)² + (a·se_b/b²)²). \"better\"/\"worse\" (by the metric's direction) when that \
interval excludes 1, else \"within noise\"; with one sample on either side the spread is \
unknown (n/a).";

/// Four significant digits; exponent notation outside 1e-3..1e6.
pub fn sig(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

const HEADER: [&str; 8] = [
    "metric",
    "placement",
    "n",
    "mean",
    "95% CI",
    "min",
    "max",
    "ratio",
];

/// The table rows of one figure (without header); the ratio column only
/// when there is a baseline.
fn rows(c: &Comparison, f: &FigureResult) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for m in &f.metrics {
        for (i, (p, cell)) in c.placements.iter().zip(&m.cells).enumerate() {
            let mut row = vec![
                if i == 0 {
                    m.def.label.into()
                } else {
                    String::new()
                },
                p.label.clone(),
            ];
            match &cell.summary {
                Some(s) => row.extend([
                    s.n.to_string(),
                    sig(s.mean),
                    s.ci95.map_or("n/a (n=1)".into(), |(lo, hi)| {
                        format!("[{}, {}]", sig(lo), sig(hi))
                    }),
                    sig(s.min),
                    sig(s.max),
                ]),
                None => row.extend([
                    "0".into(),
                    "missing (n=0)".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]),
            }
            if c.baseline.is_some() {
                row.push(ratio_cell(f.def, cell, Some(i) == c.baseline));
            }
            out.push(row);
        }
    }
    out
}

fn ratio_cell(def: &FigureDef, cell: &Cell, is_baseline: bool) -> String {
    if is_baseline {
        return if cell.summary.is_some() {
            "1 (baseline)".into()
        } else {
            "-".into()
        };
    }
    let Some(r) = &cell.ratio else {
        return "-".into();
    };
    match (r.half95, r.differs_from_one()) {
        (Some(h), Some(differs)) => {
            let verdict = if !differs {
                "within noise"
            } else if (r.value > 1.0) == def.higher_is_better {
                "better"
            } else {
                "worse"
            };
            format!(
                "{} ± {} ({}{verdict})",
                sig(r.value),
                sig(h),
                percent(r.value)
            )
        }
        _ => format!("{} ({}± n/a)", sig(r.value), percent(r.value)),
    }
}

/// The ratio as a difference in percent, `+3.1%` or `-12.0%`.
/// Followed by `, `; empty from 10 times the baseline on, where the ratio
/// itself reads better (`+423114.2%`).
fn percent(ratio: f64) -> String {
    if ratio.abs() >= 10.0 {
        return String::new();
    }
    format!("{:+.1}%, ", (ratio - 1.0) * 100.0)
}

fn header(c: &Comparison) -> Vec<String> {
    let mut h: Vec<String> = HEADER.iter().map(|s| s.to_string()).collect();
    match c.baseline {
        Some(b) => h[7] = format!("ratio to {}", c.placements[b].label),
        None => {
            h.pop();
        }
    }
    h
}

fn placements_line(c: &Comparison) -> String {
    let total: usize = c.placements.iter().map(|p| p.documents).sum();
    let list: Vec<String> = c
        .placements
        .iter()
        .map(|p| format!("{} ({})", p.label, p.documents))
        .collect();
    format!(
        "{total} run documents in {} placements: {}; baseline: {}.",
        c.placements.len(),
        list.join(", "),
        c.baseline
            .map_or("none".into(), |b| c.placements[b].label.clone())
    )
}

/// How each placement was laid out (hosts, ranks per host, the facts of
/// `rhpcc launch` or the virtual cluster): header and one row per
/// placement; None when the documents say nothing about it.
fn layout_table(c: &Comparison) -> Option<Vec<Vec<String>>> {
    const FIRST: [&str; 2] = ["hosts", "ranks per host"];
    let mut fields: Vec<&str> = c
        .layouts
        .iter()
        .flat_map(|l| l.keys().map(String::as_str))
        .filter(|k| !FIRST.contains(k))
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let fields: Vec<&str> = FIRST
        .iter()
        .copied()
        .filter(|f| c.layouts.iter().any(|l| l.contains_key(*f)))
        .chain(fields)
        .collect();
    if fields.is_empty() {
        return None;
    }
    let mut table = vec![std::iter::once("placement")
        .chain(fields.iter().copied())
        .map(String::from)
        .collect::<Vec<_>>()];
    for (p, l) in c.placements.iter().zip(&c.layouts) {
        let mut row = vec![p.label.clone()];
        row.extend(
            fields
                .iter()
                .map(|f| l.get(*f).cloned().unwrap_or_else(|| "-".into())),
        );
        table.push(row);
    }
    Some(table)
}

/// `table` (header first) with aligned columns and a rule under the header;
/// columns for which `right(j)` holds are right-aligned.
fn aligned(table: &[Vec<String>], right: impl Fn(usize) -> bool) -> String {
    let cols = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|j| {
            table
                .iter()
                .map(|r| r[j].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in table.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(j, (cell, w))| {
                if right(j) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// Plain text with aligned columns, for the terminal.
pub fn text(c: &Comparison) -> String {
    let mut out = format!("{}\n", placements_line(c));
    if let Some(t) = layout_table(c) {
        out.push_str("\nPlacements\n");
        out.push_str(&aligned(&t, |_| false));
    }
    let head = header(c);
    for f in &c.figures {
        let mut table = vec![head.clone()];
        table.extend(rows(c, f));
        out.push_str(&format!(
            "\n{} [{}, {}]\n",
            f.def.title,
            f.def.unit,
            f.def.direction()
        ));
        // Numbers right-aligned, words left-aligned.
        out.push_str(&aligned(&table, |j| {
            (2..4).contains(&j) || j == 5 || j == 6
        }));
    }
    out.push_str("\nNotes:\n");
    for n in &c.notes {
        out.push_str(&format!("- {n}\n"));
    }
    out.push_str(&format!("- {METHOD}\n"));
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Markdown, linking each figure's plot `<id>.svg` beside it.
pub fn markdown(c: &Comparison) -> String {
    let mut out = format!("# rhpcc comparison\n\n{}\n", md_escape(&placements_line(c)));
    if let Some(t) = layout_table(c) {
        out.push_str("\n## Placements\n\n");
        for (i, r) in t.iter().enumerate() {
            let cells: Vec<String> = r.iter().map(|s| md_escape(s)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
            if i == 0 {
                out.push_str(&format!("|{}\n", " --- |".repeat(r.len())));
            }
        }
    }
    let head = header(c);
    let align: Vec<&str> = (0..head.len())
        .map(|j| if (2..7).contains(&j) { "---:" } else { "---" })
        .collect();
    for f in &c.figures {
        out.push_str(&format!(
            "\n## {}\n\n{}, {}.\n\n![{}]({}.svg)\n\n| {} |\n| {} |\n",
            f.def.title,
            f.def.unit,
            f.def.direction(),
            f.def.title,
            f.def.id,
            head.join(" | "),
            align.join(" | ")
        ));
        for r in rows(c, f) {
            let cells: Vec<String> = r.iter().map(|s| md_escape(s)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out.push_str("\n## Notes\n\n");
    for n in &c.notes {
        out.push_str(&format!("- {}\n", md_escape(n)));
    }
    out.push_str(&format!("- {METHOD}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_in_percent_below_ten_times() {
        assert_eq!(percent(0.5), "-50.0%, ");
        assert_eq!(percent(1.031), "+3.1%, ");
        assert_eq!(percent(9.99), "+899.0%, ");
        assert_eq!(percent(4232.0), "");
    }

    #[test]
    fn four_significant_digits() {
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(12.3456), "12.35");
        assert_eq!(sig(0.253733), "0.2537");
        assert_eq!(sig(1234.56), "1235");
        assert_eq!(sig(-2.5), "-2.500");
        assert_eq!(sig(0.0001234), "1.234e-4");
        assert_eq!(sig(2.5e7), "2.500e7");
    }

    #[test]
    fn markdown_tables_links_and_notes() {
        let md = markdown(&crate::compare::fixture::comparison());
        assert!(md.starts_with(
            "# rhpcc comparison\n\n6 run documents in 2 placements: native (3), vm (3); \
             baseline: native.\n"
        ));
        for want in [
            "\n## PTRANS: aggregate network bandwidth\n\nGB/s, higher is better.\n\n\
             ![PTRANS: aggregate network bandwidth](ptrans.svg)\n\n\
             | metric | placement | n | mean | 95% CI | min | max | ratio to native |\n\
             | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n\
             | PTRANS | native | 3 | 1.000 | [0.7516, 1.248] | 0.9000 | 1.100 | 1 (baseline) |\n\
             |  | vm | 3 | 0.5000 | [0.2516, 0.7484] | 0.4000 | 0.6000 | 0.5000 ± 0.2777 (-50.0%, worse) |\n",
            "|  | vm | 0 | missing (n=0) | - | - | - | - |\n",
            "\n## Notes\n\n- Node-to-node latency: avg ping-pong; natural ring; random ring in no document",
            "\n- HPL (HPL_Tflops): no value in the 3 documents of placement vm",
        ] {
            assert!(md.contains(want), "{want}\nnot in\n{md}");
        }
    }

    #[test]
    fn placements_table_when_documents_say_how_they_were_placed() {
        let mut c = crate::compare::fixture::comparison();
        assert!(!text(&c).contains("Placements"));
        let facts = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        c.layouts = vec![
            facts(&[("hosts", "1"), ("ranks per host", "2")]),
            facts(&[
                ("hosts", "2"),
                ("ranks per host", "1"),
                ("hypervisor", "kvm"),
            ]),
        ];
        let want = "\nPlacements\n\
                    placement  hosts  ranks per host  hypervisor\n\
                    ---------  -----  --------------  ----------\n\
                    native     1      2               -\n\
                    vm         2      1               kvm\n";
        assert!(text(&c).contains(want), "{}", text(&c));
        assert!(markdown(&c).contains(
            "\n## Placements\n\n| placement | hosts | ranks per host | hypervisor |\n\
             | --- | --- | --- | --- |\n| native | 1 | 2 | - |\n| vm | 2 | 1 | kvm |\n"
        ));
    }

    #[test]
    fn text_snapshot() {
        let got = text(&crate::compare::fixture::comparison());
        // Worked by hand: PTRANS native 1.0 ± 4.3027 × 0.1/√3; ratio 0.5 ±
        // 4.3027 × √((0.0577/1)² + (0.5 × 0.0577/1)²) = 0.2777; latency
        // ratio 22/11 = 2 ± 4.3027 × √((1.155/11)² + (2 × 0.577/11)²) = 0.6388,
        // worse since lower latency is better. Differences -50% and +100%.
        let want = r#"6 run documents in 2 placements: native (3), vm (3); baseline: native.

PTRANS: aggregate network bandwidth [GB/s, higher is better]
metric  placement  n    mean  95% CI               min     max  ratio to native
------  ---------  -  ------  ----------------  ------  ------  -------------------------------
PTRANS  native     3   1.000  [0.7516, 1.248]   0.9000   1.100  1 (baseline)
        vm         3  0.5000  [0.2516, 0.7484]  0.4000  0.6000  0.5000 ± 0.2777 (-50.0%, worse)

Node-to-node latency [usec, lower is better]
metric         placement  n   mean  95% CI            min    max  ratio to native
-------------  ---------  -  -----  --------------  -----  -----  -------------------------------
min ping-pong  native     3  11.00  [8.516, 13.48]  10.00  12.00  1 (baseline)
               vm         3  22.00  [17.03, 26.97]  20.00  24.00  2.000 ± 0.6388 (+100.0%, worse)

HPL (LINPACK): overall performance [Gflop/s, higher is better]
metric  placement  n           mean  95% CI            min    max  ratio to native
------  ---------  -  -------------  --------------  -----  -----  ---------------
HPL     native     3          11.00  [8.516, 13.48]  10.00  12.00  1 (baseline)
        vm         0  missing (n=0)  -                   -      -  -

Notes:
- Node-to-node latency: avg ping-pong; natural ring; random ring in no document (not run, or -1).
- HPL (HPL_Tflops): no value in the 3 documents of placement vm (not run, or -1): missing (n=0).
- Not in any document (not run, or -1): StarSTREAM_Copy, StarSTREAM_Scale, StarSTREAM_Add, StarSTREAM_Triad, SingleSTREAM_Copy, SingleSTREAM_Scale, SingleSTREAM_Add, SingleSTREAM_Triad, MinPingPongBandwidth_GBytes, AvgPingPongBandwidth_GBytes, NaturallyOrderedRingBandwidth_GBytes, RandomlyOrderedRingBandwidth_GBytes, MPIRandomAccess_GUPs, MPIRandomAccess_LCG_GUPs, StarDGEMM_Gflops, SingleDGEMM_Gflops, MPIFFT_Gflops, StarFFT_Gflops, SingleFFT_Gflops.
- Each run document is one sample. mean: arithmetic mean over the samples; 95% CI: mean ± t(0.975, n-1) × s/√n (Student's t, s the sample standard deviation); min and max over the samples; ratio: placement mean / baseline mean, ± the half-width of its approximate 95% interval, t(0.975, min(n)-1) × the delta-method standard error √((se_a/b)² + (a·se_b/b²)²). "better"/"worse" (by the metric's direction) when that interval excludes 1, else "within noise"; with one sample on either side the spread is unknown (n/a).
"#;
        assert_eq!(got, want, "\n{got}");
    }
}
