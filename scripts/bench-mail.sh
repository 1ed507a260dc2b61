#!/usr/bin/env bash
# Benchmark (not part of the tests): YandexMail.BackupMailbox of COUNT messages (default 10,000,
# 2–50 KiB each) from a sandbox started here, and the incremental second run.
# Usage: scripts/bench-mail.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p diskbridge-sandbox
cargo build --release --example bench_mail
target/release/examples/bench_mail "${1:-10000}" target/release/diskbridge-sandbox
