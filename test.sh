#!/usr/bin/env bash
# The whole test suite: install what is missing, check formatting, lints
# and that the docs build without warnings, then run every unit and
# integration test (integration tests start the release binary under mpirun
# with 1, 2 and 4 ranks, and, as root, on a virtual cluster of network
# namespaces: tests/vcluster.rs).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
launch/ensure-deps.sh
cargo fmt --all --check
cargo clippy --release --workspace --all-targets --quiet -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
cargo test --release --workspace
