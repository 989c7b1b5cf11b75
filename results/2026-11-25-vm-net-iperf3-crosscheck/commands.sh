#!/usr/bin/env bash
# The cross-check (two rounds) of rhpcc micro net against iperf3, as run (from the
# repository root, as root, holding the virtual cluster's lock):
#   flock /tmp/rhpcc-vcluster.lock bash results/2026-11-25-vm-net-iperf3-crosscheck/commands.sh
set -euo pipefail
out=results/2026-11-25-vm-net-iperf3-crosscheck/raw
bin=${RHPCC:-target-dev/debug/rhpcc}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export RHPCC_VC_PREFIX=rnx
vc=launch/vcluster.sh

for round in 1 2; do
# 1. Loopback, this host: iperf3, then rhpcc (one flow, 16 KiB writes, 5 s).
iperf3 -s -B 127.0.0.1 -p 5201 -1 >"$out/loopback-iperf3-server-$round.txt" 2>&1 &
server=$!
sleep 1
iperf3 -c 127.0.0.1 -p 5201 -l 16K -t 5 -V >"$out/loopback-iperf3-$round.txt" 2>&1
wait "$server"
mpirun -np 2 "$bin" micro net --duration 5 --pairs 1 --placement loopback \
    --json "$out/loopback-rhpcc-$round.json" >"$out/loopback-rhpcc-$round.txt" 2>&1

# 2. Two virtual hosts (vh0 10.213.0.1 sends, vh1 10.213.0.2 receives), each
#    process on its host's CPU as vcluster.sh binds ranks: iperf3, then rhpcc.
$vc up --hosts 2 --cpus-per-host 1 2>"$out/vcluster-up-$round.txt"
cpu0=$(awk 'NR==1 {print $3}' "/run/$RHPCC_VC_PREFIX-vcluster/hosts")
cpu1=$(awk 'NR==2 {print $3}' "/run/$RHPCC_VC_PREFIX-vcluster/hosts")
ip netns exec rnx-vh1 taskset -c "$cpu1" iperf3 -s -B 10.213.0.2 -p 5201 -1 \
    >"$out/vhosts-iperf3-server-$round.txt" 2>&1 &
server=$!
sleep 1
ip netns exec rnx-vh0 taskset -c "$cpu0" iperf3 -c 10.213.0.2 -p 5201 -l 16K -t 5 -V \
    >"$out/vhosts-iperf3-$round.txt" 2>&1
wait "$server"
$vc down
$vc run --hosts 2 --ranks-per-host 1 --cpus-per-host 1 --placement vhosts --bin "$bin" -- \
    micro net --duration 5 --pairs 1 --json "$PWD/$out/vhosts-rhpcc-$round.json" \
    >"$out/vhosts-rhpcc-$round.txt" 2>&1
done
