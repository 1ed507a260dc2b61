#!/usr/bin/env bash
# Benchmarks (not part of the tests): transfers through the C ABI beside curl against a sandbox
# started here, in one run. Usage: scripts/bench.sh [SIZE_MIB] [ROUNDS] [LINK_MB_PER_S] [STEPS]
# (defaults 1024, 3, 0: loopback's own speed, and `all`; 25 holds every connection to 25 MB/s;
# STEPS `download` leaves the uploads out).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p diskbridge-sandbox
cargo build --release --example bench_yadisk
target/release/examples/bench_yadisk "${1:-1024}" target/release/diskbridge-sandbox "${2:-3}" "${3:-0}" "${4:-all}"
