#!/usr/bin/env bash
# Benchmark (not part of the tests): folder trees of many small files through the C ABI against a
# sandbox started in the benchmark's process, with a round-trip time on every request. Usage:
# scripts/bench-tree.sh [FILES] [RTT_MS] (defaults 1000 and 50).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example bench_tree
target/release/examples/bench_tree "${1:-1000}" "${2:-50}"
