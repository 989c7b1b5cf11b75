#!/usr/bin/env bash
# STREAM against the reference on the 2-vCPU Zen 3 VM (no AVX-512): Debian's
# hpcc 1.5.0 on Debian's OpenBLAS 0.3.21 (one thread per rank) against the
# portable rhpcc build at its automatic level (avx2) and forced to
# --isa portable, both on bench/inputs/N8000_NB192_1x2.txt, 2 ranks,
# alternating, 4 pairs each. The reference runs its whole suite (it cannot
# select tests); only STREAM's keys are compared.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
input=$(cd "$here/../../bench/inputs" && pwd)/N8000_NB192_1x2.txt
echo 0 > /proc/sys/kernel/sched_autogroup_enabled || true
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled || true' EXIT
ref="sh -c 'cp $input hpccinf.txt && exec mpirun -np 2 -x LD_LIBRARY_PATH=/tmp/refblas -x OPENBLAS_NUM_THREADS=1 hpcc'"
keys="StarSTREAM_Copy StarSTREAM_Scale StarSTREAM_Add StarSTREAM_Triad SingleSTREAM_Copy SingleSTREAM_Triad"
for isa in avx2 portable; do
  echo "== rhpcc --isa $isa"
  "$here/ab.py" 4 /tmp/ab-stream-$isa \
    reference "$ref" \
    rhpcc-$isa "mpirun -np 2 /tmp/rhpcc-portable2 --input $input --tests stream --isa $isa --quiet" \
    $keys
done
