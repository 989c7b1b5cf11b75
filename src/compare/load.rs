//! Reading results documents: single run documents, series documents
//! (`rhpcc run --repeat R`) and directories of either, searched recursively
//! for `*.json`.
//!
//! A run document is recognised by `"tool": {"name": "rhpcc"}`, a series by
//! `"kind": "series"` (`{"schema_version": 1, "kind": "series", "placement":
//! LABEL, "runs": [run document, ...]}`). Both must have `schema_version` 1
//! ([`crate::report::json::SCHEMA_VERSION`]); another version is refused,
//! naming the file, since its fields may mean something else. Other JSON
//! files met in a directory (a benchmark script's `summary.json`) are
//! skipped with a warning; run documents whose `success` is false are
//! skipped with a warning, since a failed verification makes their figures
//! meaningless.
//!
//! Each run document gives one sample per metric: the value of its HPCC key
//! in `summary`, or failing that in `tests[].metrics[]`. HPCC's "not run"
//! value -1, a text value or an absent key mean no sample.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::metrics;
use crate::report::json::{MAX_PLACEMENT_LABEL as MAX_LABEL, SCHEMA_VERSION};

/// Label of run documents without a `placement`.
pub const UNLABELLED: &str = "unlabelled";

/// One run document: one sample of each metric it has.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDoc {
    pub placement: String,
    /// The file, with `#runs[i]` for a run inside a series.
    pub origin: String,
    /// Values of the compared keys, in the key's own unit.
    pub values: BTreeMap<&'static str, f64>,
    /// What the run did, flattened to `path -> value` (its kind, ranks,
    /// threads, HPCC's input or the micro-benchmark's options), to check
    /// that the placements compared did the same work.
    pub setup: BTreeMap<String, String>,
    /// How it was placed: hosts, ranks per host and the scalar fields of
    /// `placement_facts`, for the report's table of placements.
    pub layout: BTreeMap<String, String>,
}

/// The setup key naming what kind of run a document is (`hpcc` or
/// `micro <kind>`); setups are compared within one kind only.
pub const KIND: &str = "kind";

/// `path -> value` for every leaf of `v` under `prefix` (arrays whole).
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, x, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.into(), s.clone());
        }
        other => {
            out.insert(prefix.into(), other.to_string());
        }
    }
}

/// [`RunDoc::setup`] of a run document.
fn setup_of(doc: &Value) -> BTreeMap<String, String> {
    let mut setup = BTreeMap::new();
    let params = doc.get("parameters").unwrap_or(&Value::Null);
    let kind = match params.get("micro").and_then(Value::as_str) {
        Some(m) => format!("micro {m}"),
        None => "hpcc".into(),
    };
    setup.insert(KIND.into(), kind);
    for (key, field) in [
        ("ranks", "comm_world_procs"),
        ("threads per rank", "threads_per_rank"),
    ] {
        if let Some(v) = doc.pointer(&format!("/environment/{field}")) {
            setup.insert(key.into(), v.to_string());
        }
    }
    for part in ["input", "options"] {
        if let Some(v) = params.get(part) {
            flatten(part, v, &mut setup);
        }
    }
    setup
}

/// Layout fields naming the code a run's figures came from: the level of
/// rhpcc's own kernels and faer's GEMM's (`environment.cpu`; a list when
/// ranks differ).
pub const CODE_FIELDS: &[&str] = &["isa", "gemm"];

/// [`RunDoc::layout`] of a run document.
fn layout_of(doc: &Value) -> BTreeMap<String, String> {
    let mut layout = BTreeMap::new();
    let cpu = doc.pointer("/environment/cpu");
    for (field, path) in CODE_FIELDS.iter().zip(["/isa", "/kernels/gemm"]) {
        match cpu.and_then(|c| c.pointer(path)) {
            Some(Value::String(s)) => {
                layout.insert(field.to_string(), s.clone());
            }
            Some(v @ Value::Array(_)) => {
                layout.insert(field.to_string(), v.to_string());
            }
            _ => {}
        }
    }
    if let Some(hosts) = doc
        .pointer("/environment/ranks_per_host")
        .and_then(Value::as_object)
    {
        layout.insert("hosts".into(), hosts.len().to_string());
        let mut counts: Vec<String> = hosts.values().map(Value::to_string).collect();
        counts.dedup();
        layout.insert("ranks per host".into(), counts.join("/"));
    }
    if let Some(facts) = doc.get("placement_facts").and_then(Value::as_object) {
        for (k, v) in facts {
            match v {
                Value::String(s) => {
                    layout.insert(k.clone(), s.clone());
                }
                Value::Number(_) | Value::Bool(_) => {
                    layout.insert(k.clone(), v.to_string());
                }
                // Per-host lists and nulls (facts the hosts do not share)
                // are in the documents.
                _ => {}
            }
        }
    }
    layout.remove("placement");
    layout
}

/// What [`load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub runs: Vec<RunDoc>,
    /// Files skipped and why, one line each.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not valid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{origin}: schema_version {found}, but this rhpcc reads results documents of \
         schema_version {SCHEMA_VERSION} only; compare documents of different versions \
         with the rhpcc that wrote them"
    )]
    SchemaVersion { origin: String, found: String },
    #[error("{origin}: {what}")]
    Malformed { origin: String, what: String },
    #[error("no rhpcc results documents in {0}")]
    NoDocuments(String),
}

/// Read every results document under `paths` (files or directories).
pub fn load(paths: &[PathBuf]) -> Result<Loaded, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|source| LoadError::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    // Each file once, however it was reached (two paths given, a link).
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    let mut loaded = Loaded::default();
    for f in &files {
        let text = fs::read_to_string(f).map_err(|source| LoadError::Io {
            path: f.clone(),
            source,
        })?;
        let doc: Value = serde_json::from_str(&text).map_err(|source| LoadError::Json {
            path: f.clone(),
            source,
        })?;
        read_document(&doc, &f.display().to_string(), &mut loaded)?;
    }
    if loaded.runs.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::NoDocuments(names.join(", ")));
    }
    Ok(loaded)
}

/// The `*.json` files under `dir`, recursively, in name order. Symbolic
/// links to directories are not followed (a link to `.` would loop and
/// count every document again); links to files are read.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        let real_dir = fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_dir());
        if real_dir {
            walk(&p, out)?;
        } else if p.is_dir() {
            // A link to a directory: skipped.
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Add the run documents in `doc` (read from `origin`) to `loaded`.
pub fn read_document(doc: &Value, origin: &str, loaded: &mut Loaded) -> Result<(), LoadError> {
    let is_series = doc.get("kind").and_then(Value::as_str) == Some("series");
    let is_run = doc.pointer("/tool/name").and_then(Value::as_str) == Some("rhpcc");
    if !is_series && !is_run {
        loaded.warnings.push(format!(
            "{origin}: not an rhpcc results document (neither \"tool\": {{\"name\": \"rhpcc\"}} \
             nor \"kind\": \"series\"); skipped"
        ));
        return Ok(());
    }
    check_version(doc, origin)?;
    if is_run {
        return read_run(doc, origin, None, loaded);
    }
    let label = doc.get("placement").and_then(Value::as_str);
    let runs = doc
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| LoadError::Malformed {
            origin: origin.into(),
            what: "a series document without a \"runs\" array".into(),
        })?;
    for (i, run) in runs.iter().enumerate() {
        let origin = format!("{origin}#runs[{i}]");
        if run.pointer("/tool/name").and_then(Value::as_str) != Some("rhpcc") {
            return Err(LoadError::Malformed {
                origin,
                what: "not an rhpcc run document".into(),
            });
        }
        check_version(run, &origin)?;
        read_run(run, &origin, label, loaded)?;
    }
    Ok(())
}

fn check_version(doc: &Value, origin: &str) -> Result<(), LoadError> {
    match doc.get("schema_version") {
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION.into()) => Ok(()),
        Some(v) => Err(LoadError::SchemaVersion {
            origin: origin.into(),
            found: v.to_string(),
        }),
        None => Err(LoadError::Malformed {
            origin: origin.into(),
            what: "no \"schema_version\"".into(),
        }),
    }
}

fn read_run(
    doc: &Value,
    origin: &str,
    series_label: Option<&str>,
    loaded: &mut Loaded,
) -> Result<(), LoadError> {
    let summary = doc.get("summary").and_then(Value::as_object);
    let tests = doc.get("tests").and_then(Value::as_array);
    if summary.is_none() && tests.is_none() {
        return Err(LoadError::Malformed {
            origin: origin.into(),
            what: "a run document with neither a \"summary\" object nor a \"tests\" array \
                   (truncated or hand-edited?)"
                .into(),
        });
    }
    if doc.get("success").and_then(Value::as_bool) == Some(false) {
        loaded.warnings.push(format!(
            "{origin}: the run failed a verification (\"success\": false); skipped"
        ));
        return Ok(());
    }
    let placement = match doc
        .get("placement")
        .and_then(Value::as_str)
        .or(series_label)
    {
        Some(l) if l.trim().chars().count() > MAX_LABEL => {
            return Err(LoadError::Malformed {
                origin: origin.into(),
                what: format!(
                    "its placement label is {} characters long; labels of at most {MAX_LABEL} \
                     are compared",
                    l.trim().chars().count()
                ),
            })
        }
        Some(l) if !l.trim().is_empty() => l.trim().to_string(),
        _ => {
            loaded.warnings.push(format!(
                "{origin}: no \"placement\" label (run with --placement LABEL); \
                 counted as \"{UNLABELLED}\""
            ));
            UNLABELLED.to_string()
        }
    };
    let from_tests = |key: &str| {
        tests?
            .iter()
            .filter_map(|t| t.get("metrics")?.as_array())
            .flatten()
            .find(|m| m.get("key").and_then(Value::as_str) == Some(key))?
            .get("value")?
            .as_f64()
    };
    let values = metrics::all_keys()
        .filter_map(|key| {
            let v = summary
                .and_then(|s| s.get(key))
                .and_then(Value::as_f64)
                .or_else(|| from_tests(key))?;
            // -1 is HPCC's "not run".
            (v.is_finite() && v != -1.0).then_some((key, v))
        })
        .collect();
    loaded.runs.push(RunDoc {
        placement,
        origin: origin.into(),
        values,
        setup: setup_of(doc),
        layout: layout_of(doc),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_label_is_an_error_naming_the_document() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.json", &run(&"x".repeat(70_000), 1.0));
        let e = load(&[p]).unwrap_err().to_string();
        assert!(
            e.contains("a.json") && e.contains("70000 characters"),
            "{e}"
        );
    }

    #[test]
    fn symlinks_neither_loop_nor_count_twice() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", &run("native", 1.0));
        std::os::unix::fs::symlink(".", dir.path().join("loop")).unwrap();
        std::os::unix::fs::symlink("a.json", dir.path().join("b.json")).unwrap();
        let a = dir.path().join("a.json");
        let l = load(&[dir.path().to_path_buf(), a]).unwrap();
        assert_eq!(l.runs.len(), 1, "{:?}", l.runs);
    }

    #[test]
    fn layout_names_the_code_that_ran() {
        let doc = serde_json::json!({
            "environment": {
                "ranks_per_host": { "a": 2 },
                "cpu": { "isa": "avx2", "kernels": { "gemm": "faer avx2" } }
            }
        });
        let l = layout_of(&doc);
        assert_eq!(l["isa"], "avx2");
        assert_eq!(l["gemm"], "faer avx2");
        let mixed = serde_json::json!({
            "environment": { "cpu": { "isa": ["avx2", "portable"] } }
        });
        assert_eq!(layout_of(&mixed)["isa"], r#"["avx2","portable"]"#);
        assert!(!layout_of(&serde_json::json!({})).contains_key("isa"));
    }
    use serde_json::json;

    fn run(placement: &str, triad: f64) -> Value {
        json!({
            "schema_version": 1,
            "tool": {"name": "rhpcc", "version": "0.1.0", "git_revision": "x"},
            "placement": placement,
            "success": true,
            "tests": [{"name": "StarSTREAM", "passed": true, "metrics": [
                {"name": "Triad", "key": "StarSTREAM_Triad", "unit": "GB/s",
                 "higher_is_better": true, "value": triad, "samples": []}
            ]}],
            "summary": {"StarSTREAM_Triad": triad, "HPL_Tflops": -1, "HPL_cpfact": "-"}
        })
    }

    fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
        let p = dir.join(name);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        p
    }

    #[test]
    fn single_document() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.json", &run("native", 12.5));
        let l = load(std::slice::from_ref(&p)).unwrap();
        assert_eq!(l.runs.len(), 1);
        assert_eq!(l.runs[0].placement, "native");
        assert_eq!(l.runs[0].origin, p.display().to_string());
        // -1 (not run) is no sample.
        assert_eq!(
            l.runs[0].values,
            BTreeMap::from([("StarSTREAM_Triad", 12.5)])
        );
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn value_from_tests_when_summary_lacks_it() {
        let mut doc = run("native", 7.0);
        doc["summary"] = json!({});
        let mut l = Loaded::default();
        read_document(&doc, "x.json", &mut l).unwrap();
        assert_eq!(l.runs[0].values["StarSTREAM_Triad"], 7.0);
    }

    #[test]
    fn series_document() {
        let dir = tempfile::tempdir().unwrap();
        let mut r0 = run("4V/1C", 1.0);
        r0["placement"] = Value::Null;
        let series = json!({"schema_version": 1, "kind": "series", "placement": "4V/1C",
                            "runs": [r0, run("4V/1C", 2.0), run("4V/1C", 3.0)]});
        let p = write(dir.path(), "s.json", &series);
        let l = load(std::slice::from_ref(&p)).unwrap();
        assert_eq!(l.runs.len(), 3);
        assert!(l.runs.iter().all(|r| r.placement == "4V/1C"));
        assert_eq!(l.runs[2].origin, format!("{}#runs[2]", p.display()));
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    }

    #[test]
    fn directory_recursively_skipping_other_json() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "native/raw/rhpcc-1.json", &run("native", 1.0));
        write(dir.path(), "native/raw/rhpcc-2.json", &run("native", 2.0));
        write(dir.path(), "native/summary.json", &json!({"date": "today"}));
        fs::write(dir.path().join("native/notes.txt"), "not json").unwrap();
        write(dir.path(), "vm/r.json", &run("1V/4C", 3.0));
        let l = load(&[dir.path().to_path_buf()]).unwrap();
        let got: Vec<_> = l
            .runs
            .iter()
            .map(|r| (r.placement.as_str(), r.values["StarSTREAM_Triad"]))
            .collect();
        assert_eq!(got, [("native", 1.0), ("native", 2.0), ("1V/4C", 3.0)]);
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("summary.json: not an rhpcc results document"));
    }

    #[test]
    fn wrong_schema_version_is_refused_naming_file_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = run("native", 1.0);
        doc["schema_version"] = json!(2);
        let p = write(dir.path(), "v2.json", &doc);
        let e = load(&[p]).unwrap_err().to_string();
        assert!(e.contains("v2.json: schema_version 2"), "{e}");
        assert!(e.contains("schema_version 1 only"), "{e}");

        let mut inner = run("native", 1.0);
        inner["schema_version"] = json!("1");
        let series = json!({"schema_version": 1, "kind": "series", "runs": [inner]});
        let p = write(dir.path(), "s.json", &series);
        let e = load(&[p]).unwrap_err().to_string();
        assert!(e.contains("s.json#runs[0]: schema_version \"1\""), "{e}");
    }

    #[test]
    fn malformed_documents_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.json");
        fs::write(&p, "{\"schema_version\": 1, \"tool\"").unwrap();
        let e = load(&[p]).unwrap_err().to_string();
        assert!(
            e.contains("cut.json: not valid JSON") && e.contains("line 1"),
            "{e}"
        );

        let p = write(
            dir.path(),
            "bare.json",
            &json!({"schema_version": 1, "tool": {"name": "rhpcc"}}),
        );
        let e = load(&[p]).unwrap_err().to_string();
        assert!(e.contains("bare.json: a run document with neither"), "{e}");

        let p = write(
            dir.path(),
            "s.json",
            &json!({"schema_version": 1, "kind": "series"}),
        );
        let e = load(&[p]).unwrap_err().to_string();
        assert!(e.contains("s.json: a series document without"), "{e}");

        let e = load(&[dir.path().join("absent.json")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent.json: No such file"), "{e}");
    }

    #[test]
    fn nothing_to_compare_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "other.json", &json!([1, 2]));
        let e = load(&[dir.path().to_path_buf()]).unwrap_err().to_string();
        assert!(e.starts_with("no rhpcc results documents in"), "{e}");
    }

    #[test]
    fn failed_and_unlabelled_runs_warn() {
        let mut l = Loaded::default();
        let mut failed = run("native", 1.0);
        failed["success"] = json!(false);
        read_document(&failed, "f.json", &mut l).unwrap();
        let mut bare = run("", 1.0);
        bare.as_object_mut().unwrap().remove("placement");
        read_document(&bare, "u.json", &mut l).unwrap();
        assert_eq!(l.runs.len(), 1);
        assert_eq!(l.runs[0].placement, UNLABELLED);
        assert!(l.warnings[0].starts_with("f.json: the run failed"));
        assert!(l.warnings[1].starts_with("u.json: no \"placement\""));
    }
}
