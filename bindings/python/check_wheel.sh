#!/usr/bin/env bash
# Installs a Linux wheel (bindings/python/build_wheels.py) into a fresh virtual environment with
# no index (nothing is fetched) and no cargo or rustc on PATH, and checks from outside the
# repository that the installed package loads the library the wheel carries and works: the
# version, and a Yandex device-code request to a sandbox started for the check.
#
#   bindings/python/check_wheel.sh WHEEL SANDBOX_BINARY
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 WHEEL SANDBOX_BINARY" >&2; exit 2; }
wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
sandbox=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/target/wheel-venv"
rm -rf "$venv"
python3 -m venv "$venv"

# PATH without any folder that holds cargo or rustc: the wheel must need no Rust.
clean_path=""
IFS=: read -r -a folders <<<"$PATH"
for folder in "${folders[@]}"; do
  [ -x "$folder/cargo" ] || [ -x "$folder/rustc" ] || clean_path="${clean_path:+$clean_path:}$folder"
done

"$sandbox" --port 0 >"$venv/sandbox.out" &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$venv/sandbox.out" ] && break
  sleep 0.1
done

cd "$venv"
env -u DISKBRIDGE_LIBRARY -u CARGO_TARGET_DIR PATH="$clean_path" DISKBRIDGE_SANDBOX="$(head -n1 sandbox.out)" sh -c '
  ! command -v cargo >/dev/null && ! command -v rustc >/dev/null || { echo "cargo is still on PATH"; exit 1; }
  "$0/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$1"
  "$0/bin/python" - <<"PY"
import os
import sys

import diskbridge

package = os.path.dirname(diskbridge.__file__)
assert package.startswith(sys.prefix), f"imported {package}, not the installed package"
client = diskbridge.Client()
assert os.path.dirname(client.library_path) == package, f"loaded {client.library_path}, not the bundled library"
assert client.library.version()["version"] == diskbridge.__version__
code = client.yandex_id.get_confirmation_code(client_id="sandbox-yandex-client")
assert code["user_code"] and code["device_code"], code
print(f"wheel: diskbridge {diskbridge.__version__} in a fresh venv loads its own {os.path.basename(client.library_path)}"
      " and answered a sandbox call")
PY
' "$venv" "$wheel"
