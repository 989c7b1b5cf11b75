#!/usr/bin/env bash
# One comparison of placements on this machine, made with the tool: the same
# rhpcc command natively (mpirun -np 2), on 1 virtual host with 2 cores and
# on 2 virtual hosts with 1 core each (launch/vcluster.sh, as root), each
# repeated in one job (--repeat), optionally the virtual placements again
# with a network delay, then `rhpcc compare` over all of them.
#
# Usage:
#   bench/placements.sh --out DIR [--repeat R] [--delay D] [--loss L]
#       [--label-suffix S] -- RHPCC-ARGS...
# RHPCC-ARGS is what follows `rhpcc`: run options (`--tests hpl -N 6000`) or
# a micro-benchmark (`micro cpu --numbers 400000`). Results go to DIR/raw/
# (one JSON per placement), the comparison to DIR (report.md, *.svg), and
# DIR/commands.txt lists every command run. Placement labels: native,
# 1V/2C, 2V/1C, and with --delay D: 1V/2C+D, 2V/1C+D (plus "+loss L").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
bin=${RHPCC_BIN:-$root/target/release/rhpcc}
out=
repeat=5
delay=
loss=
while (($#)); do
    case $1 in
    --out) out=$2 && shift ;;
    --repeat) repeat=$2 && shift ;;
    --delay) delay=$2 && shift ;;
    --loss) loss=$2 && shift ;;
    --) shift && break ;;
    *) echo "placements.sh: unknown option $1" >&2 && exit 2 ;;
    esac
    shift
done
[[ -n $out && $# -gt 0 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
[[ -x $bin ]] || { echo "placements.sh: $bin missing: cargo build --release" >&2; exit 2; }
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
log="$out/commands.txt"
: >"$log"

# rhpcc's arguments with the placement options inserted where they belong:
# after `micro <kind>` for a micro-benchmark, else at the front.
with_opts() {
    local label=$1 json=$2
    shift 2
    if [[ ${1:-} == micro ]]; then
        printf '%s\0' micro "$2" --placement "$label" --json "$json" --repeat "$repeat" --quiet "${@:3}"
    else
        printf '%s\0' --placement "$label" --json "$json" --repeat "$repeat" --quiet \
            -o "${json%.json}.txt" "$@"
    fi
}

run_native() {
    local args
    mapfile -d '' args < <(with_opts native "$out/raw/native.json" "$@")
    local cmd=(mpirun --allow-run-as-root -np 2 "$bin" "${args[@]}")
    echo "${cmd[*]}" >>"$log"
    "${cmd[@]}"
}

run_vcluster() {
    local hosts=$1 rph=$2 label=$3 file=$4
    shift 4
    local net=()
    [[ -n $delay && $label == *+* ]] && net+=(--delay "$delay")
    [[ -n $loss && $label == *+* ]] && net+=(--loss "$loss")
    local args
    mapfile -d '' args < <(with_opts "$label" "$out/raw/$file.json" "$@")
    local cmd=("$root/launch/vcluster.sh" run --hosts "$hosts" --ranks-per-host "$rph"
        --cpus-per-host "$rph" "${net[@]}" --bin "$bin" -- "${args[@]}")
    echo "${cmd[*]}" >>"$log"
    flock /tmp/rhpcc-vcluster.lock "${cmd[@]}"
}

run_native "$@"
run_vcluster 1 2 1V/2C v1x2 "$@"
run_vcluster 2 1 2V/1C v2x1 "$@"
if [[ -n $delay ]]; then
    suffix="+$delay${loss:+ loss $loss}"
    run_vcluster 1 2 "1V/2C$suffix" v1x2-delay "$@"
    run_vcluster 2 1 "2V/1C$suffix" v2x1-delay "$@"
fi
cmp=("$bin" compare --out "$out" "$out/raw")
echo "${cmp[*]}" >>"$log"
"${cmp[@]}"
