#!/usr/bin/env bash
# A/B on the 2-vCPU Zen 3 VM: FFT only (vectors sized as for N=8000), the
# native build (c335f7b, /tmp/rhpcc-native) against the portable build
# (/tmp/rhpcc-portable2), 2 ranks, alternating, 8 pairs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo 0 > /proc/sys/kernel/sched_autogroup_enabled || true
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled || true' EXIT
args="--tests fft -N 8000 --nb 192 -P 1 -Q 2 --quiet"
"$here/ab.py" 8 /tmp/ab-fft \
  native "mpirun -np 2 /tmp/rhpcc-native $args" \
  portable "mpirun -np 2 /tmp/rhpcc-portable2 $args" \
  MPIFFT_Gflops StarFFT_Gflops SingleFFT_Gflops
