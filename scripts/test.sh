#!/usr/bin/env bash
# The one test command: formatting, lints, the import-cycle check of src/, every Rust test (library through the C ABI, sandbox,
# the 1C add-in's tables), the tour (README's first command), the C tests and example under valgrind, the 1C add-in's zip and its
# test host under valgrind, the Python tests and a wheel installed offline, the Windows x86_64
# build under Wine (C tests, the 1C host with MSVC's layout, the CLI), the whole-run secret audit,
# the freshness of the generated files (header, exports, docs; scripts/regenerate.sh --check) and
# the rule that no file cites a file outside the repository. Every test talks to 127.0.0.1 only;
# the check of `pip install ./bindings/python` fetches setuptools from the package index, and the
# python caldav client test installs caldav from it.
# Missing tools (valgrind, curl, python3-venv; for the Windows step Debian's rustc-web and rust-web-src, mingw-w64 and
# Wine) are installed with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

# Every library log line of the run goes to one file, and every sandbox records what secrets it
# handed out, so the last step can prove no secret reached a log line or an error message.
audit="$root/target/test-audit"
rm -rf "$audit" && mkdir -p "$audit"
export DISKBRIDGE_LOG_FILE="$audit/library.log"
export DISKBRIDGE_LOG_LEVEL=debug
export DISKBRIDGE_SANDBOX_SECRETS_FILE="$audit/secrets.txt"
# The randomized test of diskbridge_call (tests/fuzz.rs) runs this long, from its fixed seed.
export DISKBRIDGE_FUZZ_SECONDS="${DISKBRIDGE_FUZZ_SECONDS:-30}"
unset DISKBRIDGE_SANDBOX

# Installing what is missing with apt, and the cross-build tools of the Windows step.
. scripts/toolchain.sh

# valgrind for the C and 1C tests; curl is one of the independent clients the sandbox is tested
# with; the Python steps make virtual environments, and `python3 -m venv` needs ensurepip, which
# Debian ships apart.
missing=()
for tool in valgrind curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] || { step "installing ${missing[*]}"; need_packages "${missing[@]}"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "no import cycles among the modules of src/"
python3 scripts/check-imports.py

step "cargo build (library, sandbox binary, examples)"
cargo build --workspace --all-targets

step "generated files are fresh (header, exports, docs, the 1C member table)"
scripts/regenerate.sh --check

step "Rust tests"
cargo test --workspace

step "the tour (the README's first command) against its embedded sandbox"
cargo run --quiet --example tour > "$root/target/tour.out" || { tail -n 20 "$root/target/tour.out"; exit 1; }
tail -n 1 "$root/target/tour.out"

step "C tests and example under valgrind"
bindings/c/run-tests.sh

step "1C add-in: the zip, and the test host under valgrind"
bindings/onec/run-tests.sh

step "Python tests (unittest against the sandbox) and pip install ./bindings/python"
bindings/python/run-tests.sh

step "python caldav against the sandbox's CalDAV listener (a virtual environment from the package index)"
sandbox/tests/clients/run-caldav.sh

# The Windows target the release ships (scripts/build-release.sh); i686 is tested by the release
# build's check (docs/windows-build.md says why not here).
windows_target=x86_64-win7-windows-gnu
step "Windows x86_64 ($windows_target): build, then under Wine the C tests, the 1C host (MSVC layout), the CLI"
need_windows_toolchain "$windows_target"
xcargo "$windows_target" build --locked --release -p diskbridge -p diskbridge-onec -p diskbridge-cli -p diskbridge-onec-host
windows_built="$root/target/cross/$windows_target/release"
scripts/test-windows.sh x86_64 "$windows_built" "$windows_built/onec-host.exe"

step "secret audit of the whole run"
# --workspace: the same feature set as the other test builds, so nothing is compiled again.
cargo test --workspace --test secret_audit -- --ignored --exact whole_run_audit

# Last, so that a stray citation does not hide the result of any test above.
step "every citation points inside the repository"
scripts/check-citations.sh

echo
echo "all test suites passed"
