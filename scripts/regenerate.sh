#!/usr/bin/env bash
# The one regenerate command: refreshes every committed file derived from the method registry and
# the error catalogue —
#   src/ffi/exports.rs      one C export per method
#   include/diskbridge.h    cbindgen over src/ffi and cbindgen.toml
#   docs/methods.md         the method reference
#   docs/errors.md          the error catalogue
#   docs/1c.md              the add-in's member table (between its "members" markers)
# The files are made by tests (tests/generated.rs in the core crate, a unit test of the add-in's
# classes) that compare them with what the registry makes; DISKBRIDGE_BLESS=1 lets them rewrite.
#
#   scripts/regenerate.sh           rewrite what is stale, then list what changed (commit it)
#   scripts/regenerate.sh --check   write nothing; fail, naming every stale file (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/regenerate.sh [--check]" >&2; }
mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h | --help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac
[ $# -le 1 ] || { usage; exit 2; }

if [ "$mode" = write ]; then export DISKBRIDGE_BLESS=1; else unset DISKBRIDGE_BLESS; fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
# The generator tests, the core crate's first: the header is made from the exports just written.
# --workspace keeps the features (and so the build) the same as the rest of the test command's.
core_test=generated_files_are_fresh
onec_test=classes::tests::the_member_table_of_the_docs_is_generated_from_the_registry
cargo test --workspace --test generated -- --exact "$core_test" >>"$log" 2>&1 || failed=1
cargo test --workspace --lib -- --exact "$onec_test" >>"$log" 2>&1 || failed=1
# A renamed or moved generator test would match nothing and pass in silence: make sure both ran.
for name in "$core_test" "$onec_test"; do
  if ! grep -q "^test $name \.\.\. " "$log"; then
    cat "$log" >&2
    echo "scripts/regenerate.sh: the generator test $name did not run (renamed or moved? update this script)" >&2
    exit 1
  fi
done

stale=$(grep -o 'stale generated files: [^;]*' "$log" | sed 's/^stale generated files: //' | tr '\n' ',' | sed 's/,$//; s/,/, /g' || true)
if [ "$failed" = 1 ]; then
  if [ -n "$stale" ]; then
    echo "stale generated files: $stale" >&2
    echo "run scripts/regenerate.sh and commit the result" >&2
  else
    cat "$log" >&2
    echo "scripts/regenerate.sh: the generator tests failed (see above)" >&2
  fi
  exit 1
fi

if [ "$mode" = check ]; then
  echo "generated files are fresh"
else
  generated=(src/ffi/exports.rs include/diskbridge.h docs/methods.md docs/errors.md docs/1c.md)
  if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- "${generated[@]}"; then
    echo "regenerated (commit them):"
    git diff --stat -- "${generated[@]}"
  else
    echo "generated files were already fresh"
  fi
fi
