#!/usr/bin/env bash
# A virtual cluster on one machine: K "virtual hosts", each a network
# namespace with its own address and CPU set, joined by a Linux bridge
# through veth pairs (the path a VM's tap device takes through a software
# bridge), with optional delay and loss on each host's egress (tc netem or,
# where the kernel lacks it, the userspace relay rhpcc-vcdelay). mpirun
# starts ranks in them through an rsh agent that wraps `ip netns exec`, so
# ranks on different virtual hosts talk TCP over the bridge and ranks on one
# host use shared memory, as across and within VMs. See launch/README.md.
#
# Usage:
#   launch/vcluster.sh up --hosts K [--cpus-per-host C] [--delay D] [--loss L]
#       [--delay-impl auto|netem|relay]
#   launch/vcluster.sh down
#   launch/vcluster.sh status
#   launch/vcluster.sh run --hosts K --ranks-per-host R [up options]
#       [--placement LABEL] [--bind core|none] [--timeout S] [--bin PATH]
#       -- [rhpcc options]
#   launch/vcluster.sh launch --hosts K [up options] [--bin PATH]
#       -- [rhpcc launch options, e.g. --placement 2V/1C -- micro cpu]
# Common options (also from the environment): --prefix NAME
# (RHPCC_VC_PREFIX, default rhpcc), --subnet A.B.C.0/24 (RHPCC_VC_SUBNET,
# default 10.213.0.0/24).
#
# Layout, for prefix P and subnet A.B.C.0/24:
#   namespace P-net   the "hypervisor": bridge P-br0 (A.B.C.254) with the
#                     host ends vh0, vh1, ... of the veth pairs; mpirun runs
#                     here. With the relay, vhI is no bridge port: the relay
#                     (a process here) joins it to vhIr, whose veth peer
#                     vhIb is the port.
#   namespace P-vhI   virtual host I: lo and eth0 (A.B.C.(I+1)), netem on
#                     eth0's egress; its processes see hostname P-vhI and run
#                     on its CPU set
#   /run/P-vcluster/  hosts table (address, namespace, CPUs, delay), config,
#                     hostfile, the relays' pid files and logs
# Nothing is added to the root namespace: every interface, address and
# route lives in these namespaces, so no traffic can leave them, and
# deleting the namespaces removes everything.
#
# Needs root, iproute2 (ip, tc) and util-linux (unshare, taskset); the relay
# needs target/release/rhpcc-vcdelay (cargo build --release) or
# $RHPCC_VCDELAY.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

die() {
    echo "vcluster: $*" >&2
    exit 2
}
say() { echo "vcluster: $*" >&2; }

usage() {
    sed -n '/^# Usage:/,/^# default 10/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- options ----------------------------------------------------------------

prefix=${RHPCC_VC_PREFIX:-rhpcc}
subnet=${RHPCC_VC_SUBNET:-10.213.0.0/24}
hosts=
ranks_per_host=
cpus_per_host=
delay=
loss=
placement=
bind=
timeout_s=0
bin=${RHPCC_BIN:-$root/target/release/rhpcc}
vcdelay=${RHPCC_VCDELAY:-$root/target/release/rhpcc-vcdelay}
delay_impl_opt=auto
rhpcc_args=()

(($# >= 1)) || usage
cmd=$1
shift
while (($#)); do
    case $1 in
    --hosts) hosts=${2:?--hosts needs a value} && shift ;;
    --ranks-per-host) ranks_per_host=${2:?--ranks-per-host needs a value} && shift ;;
    --cpus-per-host) cpus_per_host=${2:?--cpus-per-host needs a value} && shift ;;
    --delay) delay=${2:?--delay needs a value} && shift ;;
    --loss) loss=${2:?--loss needs a value} && shift ;;
    --delay-impl) delay_impl_opt=${2:?--delay-impl needs a value} && shift ;;
    --placement) placement=${2:?--placement needs a value} && shift ;;
    --bind) bind=${2:?--bind needs a value} && shift ;;
    --timeout) timeout_s=${2:?--timeout needs a value} && shift ;;
    --bin) bin=${2:?--bin needs a value} && shift ;;
    --prefix) prefix=${2:?--prefix needs a value} && shift ;;
    --subnet) subnet=${2:?--subnet needs a value} && shift ;;
    --)
        shift
        rhpcc_args=("$@")
        break
        ;;
    -h | --help) usage ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# Bridge names are at most 15 characters: P-br0 leaves 11 for P.
[[ $prefix =~ ^[a-z][a-z0-9]{0,10}$ ]] ||
    die "--prefix '$prefix': expected a lower-case letter then up to 10 letters or digits"
[[ $subnet =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.0/24$ ]] ||
    die "--subnet '$subnet': expected A.B.C.0/24"
net3="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
o1=${BASH_REMATCH[1]} o2=${BASH_REMATCH[2]} o3=${BASH_REMATCH[3]}
((o1 <= 255 && o2 <= 255 && o3 <= 255)) || die "--subnet '$subnet': octet above 255"
# Private ranges only (RFC 1918), so that no address here is anyone else's.
((o1 == 10 || (o1 == 172 && o2 >= 16 && o2 <= 31) || (o1 == 192 && o2 == 168))) ||
    die "--subnet '$subnet': expected a private range (10/8, 172.16/12, 192.168/16)"

net_ns=$prefix-net
bridge=$prefix-br0
bridge_addr=$net3.254
state=/run/$prefix-vcluster
vh_ns() { echo "$prefix-vh$1"; }
vh_addr() { echo "$net3.$(($1 + 1))"; }

if [[ -n $hosts ]]; then
    if ! is_count "$hosts" || ((hosts > 253)); then
        die "--hosts '$hosts': expected 1 to 253"
    fi
fi
if [[ -n $ranks_per_host ]]; then
    is_count "$ranks_per_host" || die "--ranks-per-host '$ranks_per_host': expected a count >= 1"
fi
if [[ -n $cpus_per_host ]]; then
    is_count "$cpus_per_host" || die "--cpus-per-host '$cpus_per_host': expected a count >= 1"
fi
# tc's own syntax: a time with unit, a percentage.
if [[ -n $delay ]]; then
    [[ $delay =~ ^[0-9]+(\.[0-9]+)?(us|usec|ms|msec|s|sec)$ ]] ||
        die "--delay '$delay': expected a time with its unit, e.g. 500us, 1ms"
fi
if [[ -n $loss ]]; then
    [[ $loss =~ ^[0-9]+(\.[0-9]+)?%$ ]] || die "--loss '$loss': expected a percentage, e.g. 0.1%"
fi
[[ $delay_impl_opt == auto || $delay_impl_opt == netem || $delay_impl_opt == relay ]] ||
    die "--delay-impl '$delay_impl_opt': expected auto, netem or relay"
[[ -z $bind || $bind == core || $bind == none ]] || die "--bind '$bind': expected core or none"
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout '$timeout_s': expected seconds (0: none)"

# --- state ------------------------------------------------------------------

# Namespaces of this prefix, virtual hosts and the hypervisor's.
our_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$prefix-(net|vh[0-9]+)$" || true
}

ip_to_int() {
    local IFS=.
    # shellcheck disable=SC2086 # split on dots
    set -- $1
    echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4))
}

# Refuse a subnet that the root namespace already has an address or a route
# in (other than the default route): the cluster itself would not clash,
# being sealed in its namespaces, but the user would be mixing two networks
# under one name.
check_range_free() {
    local base=$(($(ip_to_int "$net3.0"))) cidr a len mask other
    while read -r cidr; do
        [[ $cidr == default || -z $cidr ]] && continue
        [[ $cidr == */* ]] || cidr=$cidr/32
        a=${cidr%/*} len=${cidr#*/}
        ((len < 24)) || len=24
        mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
        other=$(ip_to_int "$a")
        if (((other & mask) == (base & mask))); then
            die "subnet $subnet is already in use on this host ($cidr in the namespace this runs in); choose another with --subnet or RHPCC_VC_SUBNET"
        fi
    done < <(
        ip -4 -o addr show | awk '{print $4}'
        ip -4 route show table all | awk '$1 != "broadcast" && $1 != "local" {print $1}'
    )
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, veth, bridge)"
    for tool in ip tc unshare taskset; do
        command -v "$tool" >/dev/null || die "'$tool' not found (install iproute2 and util-linux)"
    done
    ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here"
}

# CPUs this process may run on, one per line, from its affinity list.
allowed_cpus() {
    local list part
    list=$(taskset -pc $$)
    list=${list##*: }
    for part in ${list//,/ }; do
        if [[ $part == *-* ]]; then
            seq "${part%-*}" "${part#*-}"
        else
            echo "$part"
        fi
    done
}

# Writes a netns sysctl through /proc (procps may be absent).
ns_sysctl() { ip netns exec "$1" sh -c "echo $3 > /proc/sys/${2//.//}"; }

new_ns() {
    local ns=$1
    if ! ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
        ip netns add "$ns"
    fi
    ip -n "$ns" link set lo up
    ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6 1
    ns_sysctl "$ns" net.ipv6.conf.default.disable_ipv6 1
}

# How --delay and --loss are applied: none (neither given), netem, or relay
# (the userspace relay rhpcc-vcdelay); decided by up_checks.
delay_impl=none
netem_missing=
# CPUs per virtual host, set by up.
per=

# Whether tc netem works here, tried on the loopback of a throwaway network
# namespace that goes when tc ends.
netem_works() { unshare --net tc qdisc add dev lo root netem delay 1ms 2>/dev/null; }

choose_delay_impl() {
    delay_impl=none
    [[ -n $delay || -n $loss ]] || return 0
    case $delay_impl_opt in
    netem)
        netem_works ||
            die "--delay/--loss need tc netem, which this kernel lacks (try 'modprobe sch_netem', or --delay-impl relay)"
        delay_impl=netem
        ;;
    relay) delay_impl=relay ;;
    auto)
        if netem_works; then
            delay_impl=netem
        else
            delay_impl=relay netem_missing=1
        fi
        ;;
    esac
    if [[ $delay_impl == relay && ! -x $vcdelay ]]; then
        die "--delay/--loss: ${netem_missing:+this kernel lacks tc netem and }the userspace relay '$vcdelay' is missing (cargo build --release, or RHPCC_VCDELAY=PATH)"
    fi
}

# Refusals that come before anything is made, so that nothing needs undoing.
up_checks() {
    need_root
    [[ -n $hosts ]] || die "up needs --hosts K"
    if [[ ! -d $state && -n $(our_namespaces) ]]; then
        die "namespaces named $prefix-* exist but were not set up by this script ($(our_namespaces | tr '\n' ' ')); remove them with 'launch/vcluster.sh down --prefix $prefix' or choose another --prefix"
    fi
    check_range_free
    choose_delay_impl
}

# --- the userspace relay ------------------------------------------------------
# Host I's relay runs in P-net between vhI (the host's veth end, no bridge
# port) and vhIr (whose veth peer vhIb is the port); its pid and log are in
# the state directory.

relay_pidfile() { echo "$state/relay-vh$1.pid"; }
relay_log() { echo "$state/relay-vh$1.log"; }

# A process that has not ended (a zombie has).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Host I's relay's pid, if it runs.
relay_pid() {
    local pid
    pid=$(cat "$(relay_pidfile "$1")" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" &&
        [[ $(ip netns identify "$pid" 2>/dev/null) == "$net_ns" ]] || return 1
    echo "$pid"
}

relay_command() {
    relay_cmd=("$vcdelay" ${delay:+--delay "$delay"} ${loss:+--loss "$loss"} "vh$1" "vh$1r")
}

# Ends host I's relay; it prints what it forwarded and lost to its log.
stop_relay() {
    local pid
    if pid=$(relay_pid "$1"); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in {1..20}; do
            alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(relay_pidfile "$1")"
}

# Starts host I's relay unless the same one runs; waits until it relays.
start_relay() {
    local i=$1 pid log
    log=$(relay_log "$i")
    relay_command "$i"
    if pid=$(relay_pid "$i") &&
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == "${relay_cmd[*]} " ]]; then
        return 0
    fi
    stop_relay "$i"
    # The state directory in its environment marks it as this cluster's, as
    # it does mpirun's.
    ip netns exec "$net_ns" env RHPCC_VC_STATE="$state" "${relay_cmd[@]}" </dev/null >"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$(relay_pidfile "$i")"
    for _ in {1..50}; do
        grep -qs '^rhpcc-vcdelay: relaying' "$log" && return 0
        alive "$pid" || break
        sleep 0.1
    done
    die "the relay of host $i did not start: $(cat "$log")"
}

# Makes what is missing and corrects what differs, so a second call with the
# same options changes nothing; hosts beyond --hosts are removed.
up() {
    mapfile -t cpus < <(allowed_cpus)
    local ncpu=${#cpus[@]}
    per=${cpus_per_host:-$((ncpu / hosts > 0 ? ncpu / hosts : 1))}
    ((hosts * per <= ncpu)) ||
        say "warning: $hosts hosts x $per CPUs > $ncpu CPUs available: hosts share CPUs"
    [[ -n $netem_missing ]] &&
        say "this kernel has no tc netem: --delay/--loss are applied by the userspace relay $vcdelay, which adds latency of its own (launch/README.md)"

    mkdir -p "$state"
    new_ns "$net_ns"
    if ! ip -n "$net_ns" link show "$bridge" >/dev/null 2>&1; then
        ip -n "$net_ns" link add "$bridge" type bridge forward_delay 0 stp_state 0
        # Its own address fixed, so that it does not follow its ports' (the
        # hosts' static neighbour entries below name it).
        ip -n "$net_ns" link set "$bridge" address \
            "$(ip netns exec "$net_ns" cat "/sys/class/net/$bridge/address")"
    fi
    ip -n "$net_ns" addr flush dev "$bridge"
    ip -n "$net_ns" addr add "$bridge_addr/24" dev "$bridge"
    ip -n "$net_ns" link set "$bridge" up

    local i j ns list fresh dev table=()
    for ((i = 0; i < hosts; i++)); do
        ns=$(vh_ns "$i")
        new_ns "$ns"
        fresh=
        if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
            ip -n "$net_ns" link del "vh$i" 2>/dev/null || true
            ip -n "$net_ns" link add "vh$i" type veth peer name eth0 netns "$ns"
            fresh=1
        fi
        ip -n "$ns" addr flush dev eth0
        ip -n "$ns" addr add "$(vh_addr "$i")/24" dev eth0
        ip -n "$ns" link set eth0 up
        if [[ $delay_impl == relay ]]; then
            tc -n "$ns" qdisc del dev eth0 root 2>/dev/null || true
            if ! ip -n "$net_ns" link show "vh${i}r" >/dev/null 2>&1; then
                ip -n "$net_ns" link del "vh${i}b" 2>/dev/null || true
                ip -n "$net_ns" link add "vh${i}r" type veth peer name "vh${i}b"
                fresh=1
            fi
            # A relay bound to interfaces made again would be relaying
            # between the old ones.
            [[ -n $fresh ]] && stop_relay "$i"
            ip -n "$net_ns" link set "vh$i" nomaster
            # The relay's two interfaces: no address, and no ARP answered by
            # this namespace on them, so frames pass only through the relay;
            # promiscuous, so that no frame is filtered before it.
            for dev in "vh$i" "vh${i}r"; do
                ip -n "$net_ns" link set "$dev" arp off promisc on up
            done
            ip -n "$net_ns" link set "vh${i}b" master "$bridge" up
            start_relay "$i"
        else
            stop_relay "$i"
            ip -n "$net_ns" link del "vh${i}r" 2>/dev/null || true
            ip -n "$net_ns" link set "vh$i" arp on promisc off master "$bridge" up
            if [[ $delay_impl == netem ]]; then
                # shellcheck disable=SC2086 # absent options vanish
                tc -n "$ns" qdisc replace dev eth0 root netem ${delay:+delay $delay} ${loss:+loss $loss}
            else
                tc -n "$ns" qdisc del dev eth0 root 2>/dev/null || true
            fi
        fi
        list=
        for ((j = 0; j < per; j++)); do
            list+=${list:+,}${cpus[(i * per + j) % ncpu]}
        done
        table+=("$(vh_addr "$i") $ns $list delay_impl=$delay_impl delay=${delay:-0ms} loss=${loss:-0%}")
    done
    # Hosts beyond K from an earlier, larger cluster.
    for ns in $(our_namespaces); do
        if [[ $ns =~ ^$prefix-vh([0-9]+)$ ]] && ((BASH_REMATCH[1] >= hosts)); then
            kill_ns_processes "$ns"
            ip netns del "$ns"
            stop_relay "${BASH_REMATCH[1]}"
            ip -n "$net_ns" link del "vh${BASH_REMATCH[1]}r" 2>/dev/null || true
        fi
    done
    static_neighbours

    printf '%s\n' "${table[@]}" >"$state/hosts.tmp"
    mv "$state/hosts.tmp" "$state/hosts"
    printf 'hosts=%s cpus_per_host=%s delay=%s loss=%s delay_impl=%s\n' \
        "$hosts" "$per" "${delay:-0ms}" "${loss:-0%}" "$delay_impl" >"$state/config"
    local how=
    [[ $delay_impl == none ]] || how=" by $delay_impl"
    say "up: $hosts virtual hosts on $bridge ($subnet), $per CPU(s) each${delay:+, delay $delay}${loss:+, loss $loss}$how"
}

# With --loss, every host and the hypervisor know each other's link
# addresses in advance: the kernel gives up resolving an address after 3
# lost probes (at 20% loss each way, 1 resolution in 20), and a run would
# fail on it instead of measuring TCP under loss. Without, ARP as usual.
static_neighbours() {
    local i j ns macs=() bridge_mac
    for ((i = 0; i < hosts; i++)); do
        ip -n "$(vh_ns "$i")" neigh flush dev eth0 nud permanent
    done
    ip -n "$net_ns" neigh flush dev "$bridge" nud permanent
    [[ -n $loss ]] || return 0
    for ((i = 0; i < hosts; i++)); do
        macs[i]=$(ip netns exec "$(vh_ns "$i")" cat /sys/class/net/eth0/address)
    done
    bridge_mac=$(ip netns exec "$net_ns" cat "/sys/class/net/$bridge/address")
    for ((i = 0; i < hosts; i++)); do
        ns=$(vh_ns "$i")
        ip -n "$ns" neigh replace "$bridge_addr" lladdr "$bridge_mac" dev eth0 nud permanent
        for ((j = 0; j < hosts; j++)); do
            ((j == i)) ||
                ip -n "$ns" neigh replace "$(vh_addr "$j")" lladdr "${macs[j]}" dev eth0 nud permanent
        done
        ip -n "$net_ns" neigh replace "$(vh_addr "$i")" lladdr "${macs[i]}" dev "$bridge" nud permanent
    done
}

kill_ns_processes() {
    local pids
    pids=$(ip netns pids "$1" 2>/dev/null || true)
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $pids 2>/dev/null || true
    sleep 1
    pids=$(ip netns pids "$1" 2>/dev/null || true)
    if [[ -n $pids ]]; then
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
    fi
}

# What delayed and dropped frames on each host's egress: netem's counters,
# or each relay's last line as it ends.
delay_report() {
    local f i ns line
    [[ -f $state/config && $(cat "$state/config") == *delay_impl=netem* ]] &&
        for ns in $(our_namespaces); do
            [[ $ns == "$net_ns" ]] && continue
            line=$(tc -s -n "$ns" qdisc show dev eth0 2>/dev/null | grep -m1 '^ *Sent' || true)
            [[ -n $line ]] && say "netem $ns:$line"
        done
    for f in "$state"/relay-vh*.pid; do
        [[ -e $f ]] || continue
        i=${f##*/relay-vh} i=${i%.pid}
        stop_relay "$i"
        line=$(grep -h ' forwarded, ' "$(relay_log "$i")" 2>/dev/null | tail -n1 || true)
        say "relay $(vh_ns "$i"): ${line#rhpcc-vcdelay: }"
    done
}

down() {
    need_root
    local ns
    delay_report
    for ns in $(our_namespaces); do
        kill_ns_processes "$ns"
        ip netns del "$ns"
    done
    rm -rf "$state"
}

status() {
    if [[ ! -f $state/hosts ]]; then
        echo "no virtual cluster with prefix $prefix"
        return 0
    fi
    cat "$state/config"
    local addr ns cpus how relay pid
    while read -r addr ns cpus how; do
        relay=
        if [[ $how == delay_impl=relay* ]]; then
            if pid=$(relay_pid "${ns##*-vh}"); then
                relay=" relay=running,pid=$pid"
            else
                relay=" relay=NOT-RUNNING"
            fi
        fi
        printf '%s %s cpus=%s %s%s qdisc=%s\n' "$ns" "$addr" "$cpus" "$how" "$relay" \
            "$(tc -n "$ns" qdisc show dev eth0 | head -n1)"
    done <"$state/hosts"
}

# Bytes sent and received by each virtual host's eth0, "ns tx rx" per line.
traffic() {
    local ns
    while read -r _ ns _; do
        echo "$ns" \
            "$(ip netns exec "$ns" cat /sys/class/net/eth0/statistics/tx_bytes)" \
            "$(ip netns exec "$ns" cat /sys/class/net/eth0/statistics/rx_bytes)"
    done <"$state/hosts"
}

# A JSON string, or null for an empty one (the values here need no escapes:
# the option checks admit none).
json_or_null() {
    if [[ -n $1 ]]; then
        printf '"%s"' "$1"
    else
        printf null
    fi
}

child=
on_signal() {
    if [[ -n $child ]]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" || true
    fi
    exit "$1"
}

run() {
    [[ -n $hosts ]] || die "run needs --hosts K"
    [[ -n $ranks_per_host ]] || die "run needs --ranks-per-host R"
    [[ -x $bin ]] || die "rhpcc binary '$bin' not found (cargo build --release, or --bin PATH)"
    [[ $here != *[[:space:]]* ]] || die "the repository path '$root' has white space, which Open MPI's rsh agent option cannot carry"
    need_root

    local arg user_label='' user_facts=''
    for arg in "${rhpcc_args[@]}"; do
        [[ $arg == --placement || $arg == --placement=* ]] && user_label=1
        [[ $arg == --placement-facts || $arg == --placement-facts=* ]] && user_facts=1
        [[ -z $bind && ($arg == --threads || $arg == --threads=*) ]] && bind=none
    done
    [[ -n $user_label && -n $placement ]] && die "--placement given both to vcluster.sh and to rhpcc"
    if [[ -z $user_label ]]; then
        local cpus
        cpus=${cpus_per_host:-$(($(allowed_cpus | wc -l) / hosts))}
        ((cpus > 0)) || cpus=1
        rhpcc_args+=(--placement "${placement:-${hosts}V/${cpus}C vcluster ranks_per_host=${ranks_per_host}${delay:+ delay=$delay}${loss:+ loss=$loss}}")
    fi

    up_checks
    # From here on, whatever happens, the cluster goes.
    trap down EXIT
    trap 'on_signal 130' INT
    trap 'on_signal 143' TERM
    up
    # How the results were made, unless the user says so.
    if [[ -z $user_facts ]]; then
        rhpcc_args+=(--placement-facts "$(printf '{"virtual_cluster": true, "hosts": %d, "cpus_per_host": %d, "ranks_per_host": %d, "delay": %s, "loss": %s, "delay_impl": %s}' \
            "$hosts" "$per" "$ranks_per_host" "$(json_or_null "$delay")" "$(json_or_null "$loss")" \
            "$(json_or_null "${delay_impl#none}")")")
    fi

    local addr
    : >"$state/hostfile"
    while read -r addr _; do
        echo "$addr slots=$ranks_per_host" >>"$state/hostfile"
    done <"$state/hosts"

    local mpi=(mpirun)
    ((timeout_s > 0)) && mpi=(timeout --kill-after=10 "$timeout_s" mpirun)
    [[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
    # shellcheck disable=SC2054 # the commas are Open MPI's
    mpi+=(
        -np $((hosts * ranks_per_host)) --hostfile "$state/hostfile"
        --mca plm rsh --mca plm_rsh_agent "$here/vcluster-agent.sh"
        # ob1 over the BTLs: shared memory within a host, TCP between hosts
        # (UCX's PML would choose its own transports).
        --mca pml ob1 --mca btl self,vader,tcp
        --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet"
        # Open MPI binds with the first host's view of the CPUs, outside
        # the others' sets; vcluster-bind.sh binds inside each host's set.
        --bind-to none
        "$here/vcluster-bind.sh" "${bind:-core}" "$bin" "${rhpcc_args[@]}"
    )

    local before after rc=0
    before=$(traffic)
    say "run: ${mpi[*]@Q}"
    ip netns exec "$net_ns" env RHPCC_VC_STATE="$state" "${mpi[@]}" &
    child=$!
    wait "$child" || rc=$?
    child=
    after=$(traffic)
    local n0 tx0 rx0 tx1 rx1
    while read -r n0 tx0 rx0 && read -r _ tx1 rx1 <&3; do
        say "traffic $n0 tx_bytes=$((tx1 - tx0)) rx_bytes=$((rx1 - rx0))"
    done <<<"$before" 3<<<"$after"
    ((rc == 124)) && say "mpirun ran past --timeout $timeout_s s"
    return "$rc"
}

# An inventory for `rhpcc launch` describing the running cluster: one node
# (the hypervisor namespace, at the bridge's address) whose VMs are the
# virtual hosts.
write_inventory() {
    local addr ns cpus
    {
        echo "# The virtual cluster $prefix, written by launch/vcluster.sh."
        echo "[[node]]"
        echo "name = \"$prefix-net\""
        echo "address = \"$net3.254\""
        echo "cores = $(allowed_cpus | wc -l)"
        echo "nic = \"bridge\""
        echo "disk = \"host\""
        while read -r addr ns cpus _; do
            echo "[[node.vm]]"
            echo "name = \"$ns\""
            echo "address = \"$addr\""
            echo "cores = $(($(tr -cd , <<<"${cpus#cpus=}" | wc -c) + 1))"
            echo "hypervisor = \"netns\""
            echo "nic = \"veth\""
            echo "disk = \"host\""
            echo "facts = { delay = \"${delay:-0ms}\", loss = \"${loss:-0%}\", delay_impl = \"$delay_impl\" }"
        done <"$state/hosts"
    } >"$state/inventory.toml"
}

# `rhpcc launch` inside the cluster: the inventory above, mpirun in the
# hypervisor namespace with the virtual cluster's transport settings (as
# Open MPI environment variables), binding by vcluster-bind.sh.
launch_in_cluster() {
    [[ -n $hosts ]] || die "launch needs --hosts K"
    [[ -x $bin ]] || die "rhpcc binary '$bin' not found (cargo build --release, or --bin PATH)"
    [[ $here != *[[:space:]]* ]] || die "the repository path '$root' has white space, which Open MPI's rsh agent option cannot carry"
    need_root
    up_checks
    trap down EXIT
    trap 'on_signal 130' INT
    trap 'on_signal 143' TERM
    up
    write_inventory
    local rc=0
    ip netns exec "$net_ns" env RHPCC_VC_STATE="$state" \
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        OMPI_MCA_plm=rsh OMPI_MCA_plm_rsh_agent="$here/vcluster-agent.sh" \
        OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp \
        OMPI_MCA_btl_tcp_if_include="$subnet" OMPI_MCA_oob_tcp_if_include="$subnet" \
        "$bin" launch --inventory "$state/inventory.toml" --out "$state/launch" \
        --bind none --wrap "$here/vcluster-bind.sh" --wrap core --bin "$bin" \
        "${rhpcc_args[@]}" &
    child=$!
    wait "$child" || rc=$?
    child=
    return "$rc"
}

case $cmd in
up)
    up_checks
    # A failed setup leaves nothing half made.
    trap 'rc=$?; ((rc == 0)) || down; exit $rc' EXIT
    up
    ;;
down) down ;;
status) status ;;
run) run ;;
launch) launch_in_cluster ;;
-h | --help) usage ;;
*) die "unknown command '$cmd' (up, down, status, run, launch)" ;;
esac
