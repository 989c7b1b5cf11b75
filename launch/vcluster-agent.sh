#!/usr/bin/env bash
# Open MPI's rsh agent for launch/vcluster.sh: Open MPI runs
# `<agent> <host> <command words...>` as it would run ssh, with <host> one of
# the hostfile's addresses and the words forming one shell command line
# (orted and its options, quoted for a shell). Instead of logging in, this
# runs the command line in that address's virtual host: its network
# namespace, its CPU set (taskset; children inherit it) and its own UTS
# namespace with the host's name, so that MPI_Get_processor_name tells the
# virtual hosts apart.
#
# The hosts table comes from $RHPCC_VC_STATE/hosts (lines "address namespace
# cpu-list"), exported by vcluster.sh to mpirun and inherited from there by
# every orted, so a tree spawn from a virtual host finds it too.
set -euo pipefail

state=${RHPCC_VC_STATE:?vcluster-agent: RHPCC_VC_STATE is not set (run through launch/vcluster.sh)}
(($# >= 2)) || {
    echo "vcluster-agent: usage: $0 HOST COMMAND..." >&2
    exit 2
}
host=$1
shift

while read -r addr ns cpus _; do
    if [[ $addr == "$host" ]]; then
        # shellcheck disable=SC2016 # expanded by the inner shell
        exec ip netns exec "$ns" taskset -c "$cpus" \
            unshare --uts sh -c 'hostname "$0" && exec sh -c "$1"' "$ns" "$*"
    fi
done <"$state/hosts"

echo "vcluster-agent: host '$host' is not in $state/hosts" >&2
exit 2
