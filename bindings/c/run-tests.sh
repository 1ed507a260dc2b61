#!/usr/bin/env bash
# Builds the C tests and the example with warnings as errors against the debug library, starts a
# sandbox, and runs both under valgrind (errors and definite/indirect leaks fail the run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lib="$root/target/debug"
out="$root/target/c-tests"
mkdir -p "$out"
cflags=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wpedantic -g -I"$root/include")
libs=(-L"$lib" -ldiskbridge -Wl,-rpath,"$lib" -lpthread)
cc "${cflags[@]}" "$root/bindings/c/test_abi.c" -o "$out/test_abi" "${libs[@]}"
cc "${cflags[@]}" "$root/bindings/c/example.c" -o "$out/example" "${libs[@]}"

# Emptied first: the background start may truncate it only after the loop below first looks,
# which would read the previous run's address.
: > "$out/sandbox.out"
"$lib/diskbridge-sandbox" --port 0 > "$out/sandbox.out" &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$out/sandbox.out" ] && break
  sleep 0.1
done
export DISKBRIDGE_SANDBOX
DISKBRIDGE_SANDBOX=$(head -n1 "$out/sandbox.out")

valgrind_flags=(--quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
                --show-leak-kinds=definite,indirect --track-origins=yes)
echo "C example:"
valgrind "${valgrind_flags[@]}" "$out/example"
echo "C ABI tests:"
valgrind "${valgrind_flags[@]}" "$out/test_abi"
