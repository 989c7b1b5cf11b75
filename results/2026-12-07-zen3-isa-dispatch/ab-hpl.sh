#!/usr/bin/env bash
# A/B on the 2-vCPU Zen 3 VM: HPL and DGEMM, N=8000 NB=192 on 1x2 and 2x1,
# the native build (c335f7b, /tmp/rhpcc-native) against the portable build
# (/tmp/rhpcc-portable2), 2 ranks, alternating, 5 pairs per grid.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo 0 > /proc/sys/kernel/sched_autogroup_enabled || true
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled || true' EXIT
for grid in "1 2" "2 1"; do
  set -- $grid
  echo "== ${1}x${2}"
  args="--tests hpl,dgemm -N 8000 --nb 192 -P $1 -Q $2 --quiet"
  "$here/ab.py" 5 /tmp/ab-hpl-${1}x${2} \
    native "mpirun -np 2 /tmp/rhpcc-native $args" \
    portable "mpirun -np 2 /tmp/rhpcc-portable2 $args" \
    HPL_Tflops StarDGEMM_Gflops SingleDGEMM_Gflops
done
