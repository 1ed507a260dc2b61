#!/usr/bin/env bash
# Benchmarks (not part of the tests): transfers through the C ABI beside curl against a sandbox
# started here, in one run. Usage: scripts/bench.sh [SIZE_MIB] [ROUNDS] (defaults 1024 and 3).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p diskbridge-sandbox
cargo build --release --example bench_yadisk
target/release/examples/bench_yadisk "${1:-1024}" target/release/diskbridge-sandbox "${2:-3}"
