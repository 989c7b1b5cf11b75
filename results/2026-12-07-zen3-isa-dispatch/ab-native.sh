#!/usr/bin/env bash
# A/B on the 2-vCPU Zen 3 VM: the last build with -C target-cpu=native
# (commit c335f7b, /tmp/rhpcc-native) against the portable build with run-time
# dispatch (/tmp/rhpcc-portable), whole suite, N=8000 NB=192 1x2, 2 ranks,
# alternating, 5 pairs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo 0 > /proc/sys/kernel/sched_autogroup_enabled || true
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled || true' EXIT
args="--tests all -N 8000 --nb 192 -P 1 -Q 2 --quiet"
"$here/ab.py" 5 /tmp/ab-native \
  native "mpirun -np 2 /tmp/rhpcc-native $args" \
  portable "mpirun -np 2 /tmp/rhpcc-portable $args" \
  HPL_Tflops StarDGEMM_Gflops SingleDGEMM_Gflops PTRANS_GBs \
  MPIRandomAccess_GUPs MPIRandomAccess_LCG_GUPs StarRandomAccess_GUPs SingleRandomAccess_GUPs \
  StarSTREAM_Copy StarSTREAM_Triad SingleSTREAM_Copy SingleSTREAM_Triad \
  MPIFFT_Gflops StarFFT_Gflops SingleFFT_Gflops \
  RandomlyOrderedRingBandwidth_GBytes RandomlyOrderedRingLatency_usec
