#!/usr/bin/env bash
# Binds one MPI rank inside its virtual host's CPU set, then runs it:
#   vcluster-bind.sh core|none PROGRAM [ARGS...]
# core: local rank r (OMPI_COMM_WORLD_LOCAL_RANK) on the (r mod C)-th of the
#       C CPUs this process may use (the host's set, from vcluster-agent.sh),
#       as mpirun's --bind-to core would do inside a VM with C vCPUs;
# none: free on all of the host's CPUs (for ranks with several threads).
# Open MPI's own binding cannot serve: it maps every host with the first
# host's view of the CPUs and would bind ranks outside their host's set.
set -euo pipefail

mode=${1:?vcluster-bind: usage: $0 core|none PROGRAM [ARGS...]}
shift
case $mode in
none) exec "$@" ;;
core) ;;
*)
    echo "vcluster-bind: mode '$mode': expected core or none" >&2
    exit 2
    ;;
esac

cpus=()
list=$(taskset -pc $$)
IFS=, read -ra parts <<<"${list##*: }"
for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then
        mapfile -t -O "${#cpus[@]}" cpus < <(seq "${part%-*}" "${part#*-}")
    else
        cpus+=("$part")
    fi
done
local_rank=${OMPI_COMM_WORLD_LOCAL_RANK:-0}
exec taskset -c "${cpus[local_rank % ${#cpus[@]}]}" "$@"
