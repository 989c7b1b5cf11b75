#!/usr/bin/env python3
"""A/B of two programs writing hpccoutf-style summaries, alternating A B A B.

usage: ab.py REPS OUTDIR NAME_A 'CMD_A' NAME_B 'CMD_B' KEY...

Each command runs in OUTDIR/<name>-<rep>/ (it must write hpccoutf.txt there);
prints every pair's figures and, per key, both medians and the median of the
pair-by-pair ratios B/A.
"""
import os, shlex, statistics, subprocess, sys

reps, outdir, na, ca, nb, cb, *keys = sys.argv[1:]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")

def run(name, cmd, rep):
    d = os.path.join(outdir, f"{name}-{rep}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "log.txt"), "w") as log:
        rc = subprocess.call(shlex.split(cmd), cwd=d, env=env, stdout=log, stderr=subprocess.STDOUT)
    text = open(os.path.join(d, "hpccoutf.txt")).read()
    block = text.split("Begin of Summary section.")[1].split("End of Summary section.")[0]
    vals = dict(l.split("=", 1) for l in block.strip().splitlines() if "=" in l)
    return rc, {k: float(vals[k]) for k in keys if k in vals}

got = {na: [], nb: []}
for rep in range(int(reps)):
    for name, cmd in ((na, ca), (nb, cb)):
        rc, v = run(name, cmd, rep)
        got[name].append(v)
        print(f"rep {rep} {name} rc={rc} " + " ".join(f"{k}={v.get(k)}" for k in keys), flush=True)

print(f"\n| key | {na} median | {nb} median | median ratio {nb}/{na} | pair ratios |")
print("|---|---|---|---|---|")
for k in keys:
    a = [r[k] for r in got[na] if k in r]
    b = [r[k] for r in got[nb] if k in r]
    if not a or not b:
        continue
    ratios = [y / x for x, y in zip(a, b) if x > 0]
    print(f"| {k} | {statistics.median(a):.4g} | {statistics.median(b):.4g} | "
          f"{statistics.median(ratios):.3f} | {' '.join(f'{r:.2f}' for r in ratios)} |")
