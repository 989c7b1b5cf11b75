#!/usr/bin/env bash
# A/B on the 2-vCPU Zen 3 VM: DGEMM only (matrices sized as for N=8000), the
# native build (c335f7b, /tmp/rhpcc-native) against the portable build
# (/tmp/rhpcc-portable2), 2 ranks, alternating, 10 pairs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo 0 > /proc/sys/kernel/sched_autogroup_enabled || true
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled || true' EXIT
args="--tests dgemm -N 8000 --nb 192 -P 1 -Q 2 --quiet"
"$here/ab.py" 10 /tmp/ab-dgemm \
  native "mpirun -np 2 /tmp/rhpcc-native $args" \
  portable "mpirun -np 2 /tmp/rhpcc-portable2 $args" \
  StarDGEMM_Gflops SingleDGEMM_Gflops
