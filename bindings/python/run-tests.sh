#!/usr/bin/env bash
# Runs the Python tests (the standard library's unittest; each test class starts its own sandbox
# on 127.0.0.1) against the debug library and sandbox binary, then checks that
# `pip install ./bindings/python` works in a fresh virtual environment under target/ and that the
# installed package loads the library named by DISKBRIDGE_LIBRARY. The install is the one step
# that leaves the machine: pip fetches setuptools, the build backend, from the package index.
# Last, a wheel made by build_wheels.py around the debug library is installed offline into a fresh
# environment without cargo and must load the library it carries (check_wheel.sh; the release
# wheels, around the glibc 2.17 library, are checked the same way by scripts/build-release.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v python3 >/dev/null || { echo "python3 (3.8 or newer) is needed for the Python tests"; exit 1; }
export DISKBRIDGE_LIBRARY="$root/target/debug/libdiskbridge.so"
export DISKBRIDGE_SANDBOX_BINARY="$root/target/debug/diskbridge-sandbox"

python3 -m unittest discover -s bindings/python/tests -v

echo "pip install ./bindings/python:"
venv="$root/target/python-venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ./bindings/python
cd "$venv"
"$venv/bin/python" - <<'PY'
import os
import sys

import diskbridge

assert diskbridge.__file__.startswith(sys.prefix), f"imported {diskbridge.__file__}, not the installed package"
client = diskbridge.Client()
assert client.library_path == os.environ["DISKBRIDGE_LIBRARY"], client.library_path
assert client.library.version()["version"] == diskbridge.__version__
print(f"installed diskbridge {diskbridge.__version__} in {sys.prefix} loads {client.library_path}")
PY

echo "a wheel carrying the library, installed offline into a fresh venv:"
stage="$root/target/wheel-stage"
rm -rf "$stage" && mkdir -p "$stage/linux-x86_64"
cp "$root/target/debug/libdiskbridge.so" "$stage/linux-x86_64/"
python3 "$root/bindings/python/build_wheels.py" "$stage" "$stage/wheels"
"$root/bindings/python/check_wheel.sh" "$stage"/wheels/*manylinux*.whl "$DISKBRIDGE_SANDBOX_BINARY"
