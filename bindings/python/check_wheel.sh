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

"$sandbox" --port 0 >"$venv/sandbox.out" &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$venv/sandbox.out" ] && break
  sleep 0.1
done

cd "$venv"
# A clean environment whose PATH is the venv's bin alone: no cargo, no rustc, no DISKBRIDGE_LIBRARY.
clean=(env -i HOME="$venv" PATH="$venv/bin" DISKBRIDGE_SANDBOX="$(head -n1 sandbox.out)")
"${clean[@]}" python -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
"${clean[@]}" python - <<'PY'
import os
import shutil
import sys

assert shutil.which("cargo") is None and shutil.which("rustc") is None, "cargo or rustc is on PATH"
import diskbridge

package = os.path.dirname(diskbridge.__file__)
assert package.startswith(sys.prefix), f"imported {package}, not the installed package"
client = diskbridge.Client()
assert os.path.dirname(client.library_path) == package, f"loaded {client.library_path}, not the bundled library"
assert client.library.version()["version"] == diskbridge.__version__
code = client.yandex_id.get_confirmation_code(client_id="sandbox-yandex-client")
assert code["user_code"] and code["device_code"], code
print(f"wheel: diskbridge {diskbridge.__version__} in a fresh venv without cargo loads its own "
      f"{os.path.basename(client.library_path)} and answered a sandbox call")
PY
