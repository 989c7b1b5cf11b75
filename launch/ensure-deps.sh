#!/usr/bin/env bash
# Installs the Debian packages rhpcc needs when they are missing: Open MPI
# (runtime and headers), libclang for rsmpi's bindgen, iproute2 (ip, tc)
# for the virtual cluster of launch/vcluster.sh and its tests, and qemu-user
# (qemu-x86_64), with which tests/isa.rs runs the binary on older CPU models. As root it
# runs apt-get; otherwise it prints the exact command and fails.
#
# Usage: launch/ensure-deps.sh [extra-package ...]
set -euo pipefail

packages=(openmpi-bin libopenmpi-dev libclang-dev pkg-config iproute2 qemu-user "$@")
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "ensure-deps: installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "ensure-deps: missing packages; run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v cargo >/dev/null; then
    echo "ensure-deps: cargo not found; install Rust (https://rustup.rs) first" >&2
    exit 1
fi
