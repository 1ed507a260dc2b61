#!/usr/bin/env bash
# python caldav 3.6.0 (from the package index, in a virtual environment under target/) against
# the sandbox binary's CalDAV listener: the flow of the Yandex 360 service-application guide.
# The other independent clients (imaplib, smtplib, curl) run in `cargo test` (sandbox/tests/clients.rs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
venv="$root/target/caldav-venv"
binary="${DISKBRIDGE_SANDBOX_BINARY:-$root/target/debug/diskbridge-sandbox}"
[ -x "$binary" ] || { echo "build the sandbox first: cargo build -p diskbridge-sandbox"; exit 1; }
if ! "$venv/bin/python" -c 'import sys, caldav; sys.exit(caldav.__version__ != "3.6.0")' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check caldav==3.6.0
fi
out=$(mktemp)
"$binary" --port 0 >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  [ -s "$out" ] && break
  sleep 0.1
done
url=$(head -n 1 "$out")
[ -n "$url" ] || { echo "the sandbox did not start"; exit 1; }
cd "$root/sandbox/tests/clients"
DISKBRIDGE_SANDBOX_URL="$url" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m unittest -v test_caldav
