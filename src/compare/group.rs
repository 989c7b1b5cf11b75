//! Grouping run documents by placement and computing, per metric and
//! placement, the statistics of [`super::stats`] and the ratio to the
//! baseline placement.

use std::collections::BTreeMap;

use super::load::{RunDoc, KIND};
use super::metrics::{FigureDef, MetricDef, FIGURES};
use super::stats::{self, Ratio, Summary};

/// The placement label taken as baseline when none is named.
pub const DEFAULT_BASELINE: &str = "native";

/// One placement: its label and how many run documents it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub label: String,
    pub documents: usize,
}

/// One metric in one placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// None when no document of the placement has the metric.
    pub summary: Option<Summary>,
    /// Ratio of this placement's mean to the baseline's; None for the
    /// baseline itself, without a baseline, or when either has no value.
    pub ratio: Option<Ratio>,
}

#[derive(Debug)]
pub struct MetricResult {
    pub def: &'static MetricDef,
    /// One per placement, in [`Comparison::placements`] order.
    pub cells: Vec<Cell>,
}

#[derive(Debug)]
pub struct FigureResult {
    pub def: &'static FigureDef,
    /// The figure's metrics that at least one document has.
    pub metrics: Vec<MetricResult>,
}

#[derive(Debug)]
pub struct Comparison {
    /// The baseline first, then the others by label.
    pub placements: Vec<Placement>,
    /// Index of the baseline in `placements`, if there is one.
    pub baseline: Option<usize>,
    /// Figures with at least one metric present.
    pub figures: Vec<FigureResult>,
    /// Per placement (same order), how it was placed: field -> value, or
    /// `varies: a, b` when its documents disagree.
    pub layouts: Vec<BTreeMap<String, String>>,
    /// Remarks for the reader: absent metrics, gaps, missing baseline,
    /// placements that did different work.
    pub notes: Vec<String>,
}

/// Merge the documents' maps field by field: one value, or the distinct
/// values as `varies: a, b`.
fn merge<'a>(maps: impl Iterator<Item = &'a BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in maps {
        for (k, v) in m {
            let vs = seen.entry(k.clone()).or_default();
            if !vs.contains(v) {
                vs.push(v.clone());
            }
        }
    }
    seen.into_iter()
        .map(|(k, vs)| {
            let v = if vs.len() == 1 {
                vs[0].clone()
            } else {
                format!("varies: {}", vs.join(", "))
            };
            (k, v)
        })
        .collect()
}

/// `field = a (p1, p2) / b (p3)` when the `(value, placement)` pairs hold
/// more than one value (each placement listed once per value), else `None`.
fn field_values<'a>(
    field: &str,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let mut values: Vec<(&str, Vec<&str>)> = Vec::new();
    for (v, label) in pairs {
        match values.iter_mut().find(|(x, _)| *x == v) {
            Some((_, ps)) if ps.contains(&label) => {}
            Some((_, ps)) => ps.push(label),
            None => values.push((v, vec![label])),
        }
    }
    (values.len() > 1).then(|| {
        let list: Vec<String> = values
            .iter()
            .map(|(v, ps)| format!("{v} ({})", ps.join(", ")))
            .collect();
        format!("{field} = {}", list.join(" / "))
    })
}

/// Notes on setup fields that differ between placements of one kind of
/// run: the ratios would then compare different work.
fn setup_notes(runs: &[RunDoc], placements: &[Placement]) -> Vec<String> {
    let mut kinds: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.setup.get(KIND).map(String::as_str))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut notes = Vec::new();
    for kind in kinds {
        let of_kind: Vec<&RunDoc> = runs
            .iter()
            .filter(|r| r.setup.get(KIND).map(String::as_str) == Some(kind))
            .collect();
        let mut fields: Vec<&String> = of_kind.iter().flat_map(|r| r.setup.keys()).collect();
        fields.sort_unstable();
        fields.dedup();
        let differing: Vec<String> = fields
            .into_iter()
            .filter_map(|field| {
                let pairs = placements.iter().flat_map(|p| {
                    of_kind
                        .iter()
                        .filter(move |r| r.placement == p.label)
                        .map(move |r| {
                            let v = r.setup.get(field).map_or("(absent)", String::as_str);
                            (v, p.label.as_str())
                        })
                });
                field_values(field, pairs)
            })
            .collect();
        if !differing.is_empty() {
            notes.push(format!(
                "Warning: the {kind} documents were not all made with the same setup, so \
                 their ratios compare different work: {}.",
                differing.join("; ")
            ));
        }
    }
    notes
}

/// A note when the placements' kernels ran different instruction sets
/// (`isa`, `gemm` of [`super::load::CODE_FIELDS`]): their figures then
/// compare different code, not only different placements.
fn code_notes(layouts: &[BTreeMap<String, String>], placements: &[Placement]) -> Vec<String> {
    let differing: Vec<String> = super::load::CODE_FIELDS
        .iter()
        .filter_map(|field| {
            let pairs = layouts
                .iter()
                .zip(placements)
                .filter_map(|(layout, p)| Some((layout.get(*field)?.as_str(), p.label.as_str())));
            field_values(field, pairs)
        })
        .collect();
    if differing.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "Note: the placements did not all run the same instruction set, so their figures \
         compare different code as well as different placements: {} (a guest's CPU model \
         may hide AVX2 or AVX-512; rhpcc --isa forces a common level for rhpcc's own kernels).",
        differing.join("; ")
    )]
}

#[derive(Debug, thiserror::Error)]
#[error(
    "--baseline {label:?}: no run document has that placement; the placements are: {}",
    available.join(", ")
)]
pub struct BaselineNotFound {
    pub label: String,
    pub available: Vec<String>,
}

/// Group `runs` by placement and compare them with the placement labelled
/// `baseline` (None: [`DEFAULT_BASELINE`] if present, else no ratios).
pub fn compare(runs: &[RunDoc], baseline: Option<&str>) -> Result<Comparison, BaselineNotFound> {
    let mut labels: Vec<String> = runs.iter().map(|r| r.placement.clone()).collect();
    labels.sort();
    labels.dedup();
    let mut notes = Vec::new();
    let wanted = baseline.unwrap_or(DEFAULT_BASELINE);
    let base = match labels.iter().position(|l| l == wanted) {
        Some(i) => {
            let l = labels.remove(i);
            labels.insert(0, l);
            Some(0)
        }
        None if baseline.is_some() => {
            return Err(BaselineNotFound {
                label: wanted.into(),
                available: labels,
            })
        }
        None => {
            notes.push(format!(
                "No placement is labelled \"{DEFAULT_BASELINE}\", so there are no ratios; \
                 name the baseline with --baseline LABEL."
            ));
            None
        }
    };
    let placements: Vec<Placement> = labels
        .iter()
        .map(|l| Placement {
            label: l.clone(),
            documents: runs.iter().filter(|r| &r.placement == l).count(),
        })
        .collect();

    let mut figures = Vec::new();
    let mut absent = Vec::new();
    for def in FIGURES {
        let mut metrics = Vec::new();
        let mut missing = Vec::new();
        for m in def.metrics {
            let summaries: Vec<Option<Summary>> = placements
                .iter()
                .map(|p| {
                    let xs: Vec<f64> = runs
                        .iter()
                        .filter(|r| r.placement == p.label)
                        .filter_map(|r| r.values.get(m.key))
                        .map(|v| v * m.scale)
                        .collect();
                    stats::summarize(&xs)
                })
                .collect();
            if summaries.iter().all(Option::is_none) {
                missing.push(m);
                continue;
            }
            for (p, s) in placements.iter().zip(&summaries) {
                let n = s.as_ref().map_or(0, |s| s.n);
                if n == 0 {
                    notes.push(format!(
                        "{} ({}): no value in the {} documents of placement {} \
                         (not run, or -1): missing (n=0).",
                        m.label, m.key, p.documents, p.label
                    ));
                } else if n < p.documents {
                    notes.push(format!(
                        "{} ({}): placement {} has a value in {n} of its {} documents \
                         (the others did not run it, or report -1).",
                        m.label, m.key, p.label, p.documents
                    ));
                }
            }
            let cells = summaries
                .iter()
                .enumerate()
                .map(|(i, s)| Cell {
                    ratio: match (base, s, base.and_then(|b| summaries[b].as_ref())) {
                        (Some(b), Some(s), Some(bs)) if b != i => stats::ratio(s, bs),
                        _ => None,
                    },
                    summary: s.clone(),
                })
                .collect();
            metrics.push(MetricResult { def: m, cells });
        }
        if metrics.is_empty() {
            absent.extend(missing.iter().map(|m| m.key));
        } else {
            // A figure shown without some of its metrics (block sizes not
            // chosen, a variant not run): said once, by label.
            if !missing.is_empty() {
                let labels: Vec<&str> = missing.iter().map(|m| m.label).collect();
                notes.push(format!(
                    "{}: {} in no document (not run, or -1).",
                    def.title,
                    labels.join("; ")
                ));
            }
            figures.push(FigureResult { def, metrics });
        }
    }
    // Keys of a family no document has (the micro-benchmarks in a
    // comparison of HPCC runs, the disk's in one of CPU runs, or the
    // reverse) are not news. A family: all of HPCC, or one micro-benchmark
    // (`MicroCPU`, `MicroDisk`: the key up to its first `_`).
    let family = |k: &'static str| {
        if k.starts_with("Micro") {
            k.split('_').next().unwrap_or(k)
        } else {
            "HPCC"
        }
    };
    let present_families: Vec<&str> = figures
        .iter()
        .flat_map(|f| f.metrics.iter().map(|m| family(m.def.key)))
        .collect();
    absent.retain(|k| present_families.contains(&family(k)));
    if !absent.is_empty() {
        notes.push(format!(
            "Not in any document (not run, or -1): {}.",
            absent.join(", ")
        ));
    }
    notes.extend(setup_notes(runs, &placements));
    let layouts: Vec<BTreeMap<String, String>> = placements
        .iter()
        .map(|p| {
            merge(
                runs.iter()
                    .filter(|r| r.placement == p.label)
                    .map(|r| &r.layout),
            )
        })
        .collect();
    notes.extend(code_notes(&layouts, &placements));
    Ok(Comparison {
        placements,
        baseline: base,
        figures,
        layouts,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn doc(placement: &str, values: &[(&'static str, f64)]) -> RunDoc {
        RunDoc {
            placement: placement.into(),
            origin: "t".into(),
            values: values.iter().copied().collect::<BTreeMap<_, _>>(),
            setup: BTreeMap::new(),
            layout: BTreeMap::new(),
        }
    }

    fn with_setup(mut d: RunDoc, setup: &[(&str, &str)], layout: &[(&str, &str)]) -> RunDoc {
        let own = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        d.setup = own(setup);
        d.layout = own(layout);
        d
    }

    #[test]
    fn different_work_between_placements_is_flagged() {
        let hpcc = |p: &str, n: &str, hosts: &str| {
            with_setup(
                doc(p, &[("HPL_Tflops", 0.01)]),
                &[(KIND, "hpcc"), ("ranks", "2"), ("input.ns", n)],
                &[("hosts", hosts)],
            )
        };
        let micro = |p: &str, numbers: &str| {
            with_setup(
                doc(p, &[("MicroCPU_Seconds", 1.0)]),
                &[(KIND, "micro cpu"), ("options.numbers", numbers)],
                &[],
            )
        };
        // Same work everywhere (micro cpu differs from hpcc, which is fine).
        let same = [
            hpcc("native", "[8000]", "1"),
            hpcc("2V/1C", "[8000]", "2"),
            micro("native", "100"),
            micro("2V/1C", "100"),
        ];
        let c = compare(&same, None).unwrap();
        assert!(
            !c.notes.iter().any(|n| n.starts_with("Warning")),
            "{:?}",
            c.notes
        );
        assert_eq!(c.layouts[0]["hosts"], "1");
        assert_eq!(c.layouts[1]["hosts"], "2");

        let differ = [
            hpcc("native", "[8000]", "1"),
            hpcc("native", "[8000]", "2"),
            hpcc("2V/1C", "[6000]", "2"),
            micro("native", "100"),
            micro("2V/1C", "100"),
        ];
        let c = compare(&differ, None).unwrap();
        let warnings: Vec<_> = c
            .notes
            .iter()
            .filter(|n| n.starts_with("Warning"))
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("the hpcc documents")
                && warnings[0].contains("input.ns = [8000] (native) / [6000] (2V/1C)"),
            "{}",
            warnings[0]
        );
        assert_eq!(c.layouts[0]["hosts"], "varies: 1, 2");
    }

    #[test]
    fn different_instruction_sets_are_noted() {
        let run = |p: &str, isa: &str, gemm: &str| {
            with_setup(
                doc(p, &[("HPL_Tflops", 0.01)]),
                &[(KIND, "hpcc")],
                &[("isa", isa), ("gemm", gemm)],
            )
        };
        let same = [
            run("native", "avx2", "faer avx2"),
            run("2V/1C", "avx2", "faer avx2"),
        ];
        let c = compare(&same, None).unwrap();
        assert!(!c.notes.iter().any(|n| n.contains("instruction set")));

        let differ = [
            run("native", "avx512", "faer avx512"),
            run("1V/2C", "avx512", "faer avx512"),
            run("2V/1C", "portable", "faer portable"),
        ];
        let c = compare(&differ, None).unwrap();
        let notes: Vec<_> = c
            .notes
            .iter()
            .filter(|n| n.contains("instruction set"))
            .collect();
        assert_eq!(notes.len(), 1, "{:?}", c.notes);
        assert!(
            notes[0].contains("isa = avx512 (native, 1V/2C) / portable (2V/1C)")
                && notes[0].contains("gemm = faer avx512 (native, 1V/2C) / faer portable (2V/1C)"),
            "{}",
            notes[0]
        );
    }

    #[test]
    fn groups_orders_and_scales() {
        let runs = [
            doc("4V/1C", &[("HPL_Tflops", 0.009)]),
            doc("native", &[("HPL_Tflops", 0.010)]),
            doc("1V/4C", &[("HPL_Tflops", 0.008)]),
            doc("native", &[("HPL_Tflops", 0.012)]),
        ];
        let c = compare(&runs, None).unwrap();
        let labels: Vec<_> = c.placements.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["native", "1V/4C", "4V/1C"]);
        assert_eq!(c.placements[0].documents, 2);
        assert_eq!(c.baseline, Some(0));
        let hpl = c.figures.iter().find(|f| f.def.id == "hpl").unwrap();
        assert_eq!(c.figures.len(), 1);
        let cells = &hpl.metrics[0].cells;
        // Tflop/s shown as Gflop/s.
        assert!((cells[0].summary.as_ref().unwrap().mean - 11.0).abs() < 1e-9);
        assert!(cells[0].ratio.is_none());
        assert!((cells[1].ratio.as_ref().unwrap().value - 8.0 / 11.0).abs() < 1e-12);
        // A single document: a ratio without uncertainty.
        assert!(cells[1].ratio.as_ref().unwrap().se.is_none());
        assert!(c
            .notes
            .iter()
            .any(|n| n.starts_with("Not in any document") && n.contains("PTRANS_GBs")));
    }

    #[test]
    fn metric_missing_in_one_placement() {
        let runs = [
            doc("native", &[("PTRANS_GBs", 1.0), ("HPL_Tflops", 0.01)]),
            doc("vm", &[("HPL_Tflops", 0.01)]),
            doc("vm", &[("HPL_Tflops", 0.01), ("PTRANS_GBs", 0.5)]),
        ];
        let c = compare(&runs, None).unwrap();
        let ptrans = c.figures.iter().find(|f| f.def.id == "ptrans").unwrap();
        assert_eq!(ptrans.metrics[0].cells[1].summary.as_ref().unwrap().n, 1);
        assert!(c
            .notes
            .iter()
            .any(|n| n.contains("placement vm has a value in 1 of its 2 documents")));
        let runs = [doc("native", &[("HPL_Tflops", 0.01)]), doc("vm", &[])];
        let c = compare(&runs, None).unwrap();
        let cell = &c.figures[0].metrics[0].cells[1];
        assert_eq!(cell.summary, None);
        assert_eq!(cell.ratio, None);
    }

    #[test]
    fn absent_keys_of_other_micro_benchmarks_are_not_news() {
        let runs = [doc("native", &[(crate::micro::disk::KEYS_FSYNC[6], 80.0)])];
        let c = compare(&runs, None).unwrap();
        let note = c
            .notes
            .iter()
            .find(|n| n.starts_with("Not in any document"))
            .unwrap();
        // Other disk figures not run are news; the CPU's keys and HPCC's
        // not; the fsync figure's other block sizes by label, once.
        assert!(note.contains("MicroDisk_Buffered_MBs_64"), "{note}");
        assert!(!note.contains("MicroDisk_Fsync_MBs"), "{note}");
        assert!(
            c.notes.iter().any(|n| n.starts_with(
                "Disk write with fsync before close, by block size: 64 B; 128 B; 256 B;"
            ) && n.ends_with("in no document (not run, or -1).")),
            "{:?}",
            c.notes
        );
        assert!(
            !note.contains("MicroCPU") && !note.contains("HPL"),
            "{note}"
        );
    }

    #[test]
    fn baselines() {
        let runs = [
            doc("a", &[("HPL_Tflops", 1.0)]),
            doc("b", &[("HPL_Tflops", 2.0)]),
        ];
        let c = compare(&runs, None).unwrap();
        assert_eq!(c.baseline, None);
        assert!(c.notes[0].contains("--baseline"));
        assert!(c.figures[0].metrics[0]
            .cells
            .iter()
            .all(|c| c.ratio.is_none()));
        let c = compare(&runs, Some("b")).unwrap();
        assert_eq!(c.placements[0].label, "b");
        let r = c.figures[0].metrics[0].cells[1].ratio.as_ref().unwrap();
        assert_eq!(r.value, 0.5);
        let e = compare(&runs, Some("native")).unwrap_err().to_string();
        assert_eq!(
            e,
            "--baseline \"native\": no run document has that placement; the placements are: a, b"
        );
    }
}
