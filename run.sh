#!/usr/bin/env bash
# The main job: install what is missing, build in release, and run every
# implemented HPCC test under mpirun on all local cores. Writes hpccoutf.txt
# and rhpcc-results.json in the current directory and prints a summary.
#
# Usage: ./run.sh [rhpcc options]     e.g. ./run.sh --input hpccinf.txt
# Environment: RANKS (default: number of cores).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$root/launch/ensure-deps.sh"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"

ranks=${RANKS:-$(nproc)}
mpi_flags=()
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)
((ranks > $(nproc))) && mpi_flags+=(--oversubscribe)
# Open MPI binds each rank to one core when there are few ranks; a rank that
# runs several threads (--threads T) needs its threads free to spread.
for arg in "$@"; do
    [[ $arg == --threads* ]] && mpi_flags+=(--bind-to none) && break
done

exec mpirun "${mpi_flags[@]}" -np "$ranks" "$root/target/release/rhpcc" "$@"
