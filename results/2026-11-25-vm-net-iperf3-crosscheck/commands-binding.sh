#!/usr/bin/env bash
# Loopback only, binding alike on both sides (run right after commands.sh,
# same way): mpirun binds 2 ranks to a core each, iperf3 floats. Here
# iperf3 pinned (client CPU 0, server CPU 1, -A 0,1) against rhpcc as bound
# by mpirun, then iperf3 floating against rhpcc with --bind-to none.
set -euo pipefail
out=results/2026-11-25-vm-net-iperf3-crosscheck/raw
bin=${RHPCC:-target-dev/debug/rhpcc}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
iperf3 -s -B 127.0.0.1 -p 5201 -1 >/dev/null 2>&1 &
server=$!
sleep 1
iperf3 -c 127.0.0.1 -p 5201 -l 16K -t 5 -V -A 0,1 >"$out/binding-iperf3-pinned.txt" 2>&1
wait "$server"
mpirun -np 2 "$bin" micro net --duration 5 --pairs 1 --placement loopback-bound \
    --json "$out/binding-rhpcc-bound.json" >"$out/binding-rhpcc-bound.txt" 2>&1
iperf3 -s -B 127.0.0.1 -p 5201 -1 >/dev/null 2>&1 &
server=$!
sleep 1
iperf3 -c 127.0.0.1 -p 5201 -l 16K -t 5 -V >"$out/binding-iperf3-floating.txt" 2>&1
wait "$server"
mpirun --bind-to none -np 2 "$bin" micro net --duration 5 --pairs 1 --placement loopback-unbound \
    --json "$out/binding-rhpcc-unbound.json" >"$out/binding-rhpcc-unbound.txt" 2>&1
