#!/usr/bin/env bash
# A/B: HPL Gflop/s of the old and new rhpcc, alternating.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo 0 > /proc/sys/kernel/sched_autogroup_enabled
trap 'echo 1 > /proc/sys/kernel/sched_autogroup_enabled' EXIT
cd /tmp && mkdir -p ab && cd ab
for grid in "2 1"; do
  set -- $grid
  for rep in 1 2 3 4; do
    for v in s2 new; do
      mpirun -np 2 /tmp/rhpcc-$v --tests hpl -N 4000 --nb 192 -P $1 -Q $2 --quiet -o out-$v.txt --json out-$v.json >/dev/null 2>&1
      echo "${1}x${2} $rep $v $(grep '^HPL_Tflops=' out-$v.txt | cut -d= -f2)"
    done
  done
done
