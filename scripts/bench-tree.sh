#!/usr/bin/env bash
# Benchmark (not part of the tests): folder trees of many small files through the C ABI against a
# sandbox started here, with a round-trip time on every request. Usage:
# scripts/bench-tree.sh [FILES] [RTT_MS] (defaults 1000 and 50).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p diskbridge-sandbox
cargo build --release --example bench_tree
target/release/examples/bench_tree "${1:-1000}" "${2:-50}" target/release/diskbridge-sandbox
