#!/usr/bin/env python3
"""Summarise a bench/compare.sh run: reference hpcc against rhpcc.

Reads <out>/raw/{ref,rhpcc}-<i>.txt (HPCC output files) and <out>/raw/runs.tsv,
writes <out>/summary.md and <out>/summary.json and prints the Markdown table.
Standard library only. Exit status: 0 when every run succeeded, 3 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

HIGHER = "higher"
LOWER = "lower"

# (summary key, unit, better direction). Order = table order.
METRICS: list[tuple[str, str, str]] = [
    ("HPL_Tflops", "Tflop/s", HIGHER),
    ("HPL_time", "s", LOWER),
    ("StarDGEMM_Gflops", "Gflop/s", HIGHER),
    ("SingleDGEMM_Gflops", "Gflop/s", HIGHER),
    ("PTRANS_GBs", "GB/s", HIGHER),
    ("PTRANS_time", "s", LOWER),
    ("MPIRandomAccess_GUPs", "GUP/s", HIGHER),
    ("MPIRandomAccess_LCG_GUPs", "GUP/s", HIGHER),
    ("StarRandomAccess_GUPs", "GUP/s", HIGHER),
    ("SingleRandomAccess_GUPs", "GUP/s", HIGHER),
    ("StarRandomAccess_LCG_GUPs", "GUP/s", HIGHER),
    ("SingleRandomAccess_LCG_GUPs", "GUP/s", HIGHER),
    ("StarSTREAM_Copy", "GB/s", HIGHER),
    ("StarSTREAM_Scale", "GB/s", HIGHER),
    ("StarSTREAM_Add", "GB/s", HIGHER),
    ("StarSTREAM_Triad", "GB/s", HIGHER),
    ("SingleSTREAM_Copy", "GB/s", HIGHER),
    ("SingleSTREAM_Scale", "GB/s", HIGHER),
    ("SingleSTREAM_Add", "GB/s", HIGHER),
    ("SingleSTREAM_Triad", "GB/s", HIGHER),
    ("StarFFT_Gflops", "Gflop/s", HIGHER),
    ("SingleFFT_Gflops", "Gflop/s", HIGHER),
    ("MPIFFT_Gflops", "Gflop/s", HIGHER),
    ("MinPingPongLatency_usec", "us", LOWER),
    ("AvgPingPongLatency_usec", "us", LOWER),
    ("MaxPingPongLatency_usec", "us", LOWER),
    ("NaturallyOrderedRingLatency_usec", "us", LOWER),
    ("RandomlyOrderedRingLatency_usec", "us", LOWER),
    ("MinPingPongBandwidth_GBytes", "GB/s", HIGHER),
    ("AvgPingPongBandwidth_GBytes", "GB/s", HIGHER),
    ("MaxPingPongBandwidth_GBytes", "GB/s", HIGHER),
    ("NaturallyOrderedRingBandwidth_GBytes", "GB/s", HIGHER),
    ("RandomlyOrderedRingBandwidth_GBytes", "GB/s", HIGHER),
]

# Problem sizes and layouts that must agree for the comparison to be fair.
SIZE_KEYS = [
    "CommWorldProcs",
    "HPL_N",
    "HPL_NB",
    "HPL_nprow",
    "HPL_npcol",
    "DGEMM_N",
    "PTRANS_n",
    "PTRANS_nb",
    "PTRANS_nprow",
    "PTRANS_npcol",
    "MPIRandomAccess_N",
    "MPIRandomAccess_ExeUpdates",
    "MPIRandomAccess_LCG_N",
    "MPIRandomAccess_LCG_ExeUpdates",
    "RandomAccess_N",
    "RandomAccess_LCG_N",
    "STREAM_VectorSize",
    "STREAM_Threads",
    "FFT_N",
    "MPIFFT_N",
    "MPIFFT_Procs",
]

PROGRAMS = ("ref", "rhpcc")
NUM_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.I)


def parse_summary(path: str) -> dict[str, str] | None:
    """key -> raw value string of the (last) Summary section, or None if absent."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    result = None
    current: dict[str, str] | None = None
    for line in lines:
        s = line.strip()
        if s == "Begin of Summary section.":
            current = {}
        elif s == "End of Summary section.":
            if current is not None:
                result = current
            current = None
        elif current is not None and "=" in s:
            k, v = s.split("=", 1)
            current[k.strip()] = v.strip()
    return result


def to_float(v: str | None) -> float | None:
    if v is None or not NUM_RE.match(v):
        return None
    return float(v)


def metric_value(summary: dict[str, str] | None, key: str) -> float | None:
    """Value of a metric, None when absent, -1 ("not run") or not a finite number."""
    if summary is None:
        return None
    x = to_float(summary.get(key))
    if x is None or x == -1 or not math.isfinite(x):
        return None
    return x


def fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.4g}"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:.0f}"


def fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def read_runs(path: str) -> list[dict]:
    runs = []
    try:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                runs.append(
                    {
                        "program": row["program"],
                        "rep": int(row["rep"]),
                        "rc": int(row["rc"]),
                        "wall_s": float(row["wall_s"]),
                        "success": row["success"],
                    }
                )
    except OSError:
        pass
    return runs


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


HPL_LINE = re.compile(
    r"^(W[RC]\d\d[LCR]\d+[LCR]\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*$"
)


def parse_hpl_lines(path: str) -> dict[str, float]:
    """Gflop/s of every HPL test line (`T/V N NB P Q Time Gflops`), keyed
    `HPL <T/V> N=<n> NB=<nb> <P>x<Q>`; the first of duplicate keys wins."""
    out: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = HPL_LINE.match(line.rstrip("\n"))
                if not m:
                    continue
                code, n, nb, p, q, _time, gflops = m.groups()
                key = f"HPL {code} N={n} NB={nb} {p}x{q}"
                g = to_float(gflops)
                if g is not None and key not in out:
                    out[key] = g
    except OSError:
        pass
    return out


def make_row(key: str, unit: str, direction: str, samples: dict, programs, ref_only: bool) -> dict | None:
    """One table row from per-rep samples; None unless every program has a value."""
    if not all(any(v is not None for v in samples[p]) for p in programs):
        return None
    ref_vals = [v for v in samples["ref"] if v is not None]
    row = {
        "key": key,
        "unit": unit,
        "better": direction,
        "samples": samples,
        "ref_median": median(ref_vals),
        "ref_min": min(ref_vals),
        "ref_max": max(ref_vals),
    }
    if ref_only:
        return row
    rh_vals = [v for v in samples["rhpcc"] if v is not None]
    ratios = [r / f for f, r in zip(samples["ref"], samples["rhpcc"]) if f is not None and r is not None and f != 0]
    rm = median(ratios)
    better = None
    mixed = False
    if rm is not None:
        better = rm > 1 if direction == HIGHER else rm < 1
        mixed = min(ratios) < 1 < max(ratios)
    row.update(
        {
            "rhpcc_median": median(rh_vals),
            "ratios": ratios,
            "ratio_median": rm,
            "ratio_min": min(ratios) if ratios else None,
            "ratio_max": max(ratios) if ratios else None,
            "rhpcc_better": better,
            "ratio_straddles_1": mixed,
        }
    )
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--ranks", type=int, required=True)
    ap.add_argument("--reps", type=int, required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--ref-blas", default="unknown")
    ap.add_argument("--mpirun-flags", default="")
    ap.add_argument("--rhpcc", default="")
    ap.add_argument("--rhpcc-args", default="")
    ap.add_argument("--ref-only", action="store_true")
    a = ap.parse_args()

    raw = os.path.join(a.out, "raw")
    programs = ("ref",) if a.ref_only else PROGRAMS
    runs = read_runs(os.path.join(raw, "runs.tsv"))
    run_info = {(r["program"], r["rep"]): r for r in runs}

    # Parse every output; a missing file counts as a failed run.
    summaries: dict[str, list[dict[str, str] | None]] = {}
    failures: list[str] = []
    for p in programs:
        summaries[p] = []
        for i in range(1, a.reps + 1):
            path = os.path.join(raw, f"{p}-{i}.txt")
            s = parse_summary(path)
            summaries[p].append(s)
            info = run_info.get((p, i))
            problems = []
            if info is None:
                problems.append("not run")
            elif info["rc"] != 0:
                problems.append(f"exit code {info['rc']}")
            if s is None:
                problems.append("no Summary section" if os.path.exists(path) else "no hpccoutf.txt")
            elif s.get("Success") != "1":
                problems.append(f"Success={s.get('Success', 'missing')}")
            if problems:
                failures.append(f"{p} rep {i}: " + ", ".join(problems))

    # Metrics present in both programs (or in the reference, with --ref-only),
    # then every HPL test line (one per N, NB, grid and variant of the input).
    rows = []
    for key, unit, direction in METRICS:
        samples = {p: [metric_value(s, key) for s in summaries[p]] for p in programs}
        row = make_row(key, unit, direction, samples, programs, a.ref_only)
        if row is not None:
            rows.append(row)
    hpl = {p: [parse_hpl_lines(os.path.join(raw, f"{p}-{i}.txt")) for i in range(1, a.reps + 1)] for p in programs}
    hpl_keys: list[str] = []
    for p in programs:
        for d in hpl[p]:
            hpl_keys += [k for k in d if k not in hpl_keys]
    if len(hpl_keys) > 1:
        for key in hpl_keys:
            samples = {p: [d.get(key) for d in hpl[p]] for p in programs}
            row = make_row(key, "Gflop/s", HIGHER, samples, programs, a.ref_only)
            if row is not None:
                rows.append(row)

    # Sizes must agree (across reps and between the programs).
    warnings = []
    size_checks = {}
    for key in SIZE_KEYS:
        vals = {p: sorted({s[key] for s in summaries[p] if s is not None and key in s}) for p in programs}
        if not any(vals.values()):
            continue
        size_checks[key] = vals
        for p in programs:
            if len(vals[p]) > 1:
                warnings.append(f"{key} differs between reps of {p}: {', '.join(vals[p])}")
        if not a.ref_only and vals["ref"] and vals["rhpcc"] and vals["ref"] != vals["rhpcc"]:
            warnings.append(
                f"SIZE MISMATCH {key}: reference {', '.join(vals['ref'])} vs rhpcc {', '.join(vals['rhpcc'])}"
            )

    # ---- Markdown
    with open(a.input, encoding="utf-8", errors="replace") as f:
        input_text = f.read()
    now = dt.datetime.now().astimezone()
    host = platform.node()
    model = cpu_model()
    nproc = os.cpu_count()

    if a.ref_only:
        header = "| metric | unit | better | n | reference median | reference min–max |\n|---|---|---|---|---|---|"
        lines = [
            f"| {r['key']} | {r['unit']} | {r['better']} | "
            f"{sum(v is not None for v in r['samples']['ref'])} | {fmt(r['ref_median'])} | "
            f"{fmt(r['ref_min'])}–{fmt(r['ref_max'])} |"
            for r in rows
        ]
    else:
        header = (
            "| metric | unit | better | pairs | reference median | rhpcc median | "
            "ratio rhpcc/ref (median) | ratio min–max | rhpcc better? |\n"
            "|---|---|---|---|---|---|---|---|---|"
        )
        lines = []
        for r in rows:
            if r["rhpcc_better"] is None:
                verdict = "—"
            else:
                verdict = "yes" if r["rhpcc_better"] else "no"
                if r["ratio_straddles_1"]:
                    verdict += " (mixed)"
            lines.append(
                f"| {r['key']} | {r['unit']} | {r['better']} | {len(r['ratios'])} | "
                f"{fmt(r['ref_median'])} | {fmt(r['rhpcc_median'])} | {fmt_ratio(r['ratio_median'])} | "
                f"{fmt_ratio(r['ratio_min'])}–{fmt_ratio(r['ratio_max'])} | {verdict} |"
            )
    table = header + "\n" + "\n".join(lines) if lines else header + "\n| (no metric present in both) |"

    notes = []
    if failures:
        notes.append("**FAILED RUNS** (their numbers, where a Summary section exists, are still used):")
        notes += [f"- {x}" for x in failures]
        notes.append("")
    if warnings:
        notes.append("**Warnings:**")
        notes += [f"- {w}" for w in warnings]
        notes.append("")

    wall = {p: [run_info[(p, i)]["wall_s"] for i in range(1, a.reps + 1) if (p, i) in run_info] for p in programs}
    wall_line = "; ".join(f"{p}: median {fmt(median(wall[p]))} s" for p in programs if wall[p])

    md = [
        "# rhpcc vs reference HPCC: side-by-side benchmark",
        "",
        f"- Date: {now.isoformat(timespec='seconds')}",
        f"- Machine: {host}, {model}, nproc={nproc}",
        f"- Command: `{a.command}`",
        f"- Ranks: {a.ranks} (mpirun flags: `{a.mpirun_flags or 'none'}`, Open MPI default binding); reps: {a.reps}"
        + (", reference only" if a.ref_only else ", alternating ref, rhpcc, ref, rhpcc, ..."),
        f"- Reference: Debian `hpcc` 1.5.0; BLAS: {a.ref_blas}",
    ]
    if not a.ref_only:
        md.append(f"- rhpcc: `{a.rhpcc}` {('args: `' + a.rhpcc_args + '`') if a.rhpcc_args else ''}".rstrip())
    md += [
        f"- Wall time per run (incl. mpirun start): {wall_line}",
        "",
        ("" if a.ref_only else
         "Ratios are rhpcc/reference for rep i of each, then the median and range over the pairs. "
         "For 'higher' metrics a ratio above 1 favours rhpcc, for 'lower' ones below 1. "
         "'(mixed)' means the pairs disagree. ")
        + "This is a benchmark on a shared, noisy machine: "
        "only ratios measured side by side in one run mean anything.",
        "",
    ]
    md += notes
    md += [table, "", f"Input file `{a.input}`:", "", "```", input_text.rstrip("\n"), "```", ""]
    md_text = "\n".join(md)
    with open(os.path.join(a.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write(md_text)

    # ---- JSON
    doc = {
        "date": now.isoformat(timespec="seconds"),
        "host": host,
        "cpu_model": model,
        "nproc": nproc,
        "command": a.command,
        "ranks": a.ranks,
        "reps": a.reps,
        "ref_only": a.ref_only,
        "mpirun_flags": a.mpirun_flags,
        "input_file": a.input,
        "input_text": input_text,
        "reference": {"program": "hpcc (Debian 1.5.0)", "blas": a.ref_blas},
        "rhpcc": None if a.ref_only else {"path": a.rhpcc, "args": a.rhpcc_args},
        "runs": runs,
        "failures": failures,
        "warnings": warnings,
        "size_checks": size_checks,
        "metrics": rows,
    }
    with open(os.path.join(a.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    print()
    for n in notes:
        print(n)
    print(table)
    return 3 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
