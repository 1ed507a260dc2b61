#!/usr/bin/env bash
# Runs the Windows builds under Wine against the Linux sandbox on 127.0.0.1:
#   - the project's C tests (bindings/c/test_abi.c) linked against diskbridge.dll;
#   - bindings/c/test_windows.c: Windows file-name rules in a downloaded tree, and FreeLibrary
#     after calls that started the runtime (the DLL pins itself), the process living on;
#   - the 1C test host (bindings/onec/host) built for Windows, with MSVC's C++ layout, driving
#     diskbridge_onec.dll as 1C does (DestroyObject) and as OneScript does (the deleting
#     destructor, then FreeLibrary), with a Disk upload and download of binary data;
#   - the command line diskbridge.exe: --version, and an upload and download through the sandbox.
#
#   scripts/test-windows.sh ARCH DIR HOST_EXE
#     ARCH      x86_64 or i686
#     DIR       a folder holding diskbridge.dll (and libdiskbridge.dll.a), diskbridge_onec.dll and
#               diskbridge.exe of that architecture
#     HOST_EXE  onec-host.exe built for the same target
# Needs target/debug/diskbridge-sandbox (cargo build -p diskbridge-sandbox). Installs wine (and
# the i386 architecture with wine32 for i686) and mingw-w64 with apt when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.sh

[ $# -eq 3 ] || { echo "usage: $0 x86_64|i686 DIR HOST_EXE" >&2; exit 2; }
arch=$1
dir=$(cd "$2" && pwd)
host_exe=$3
case "$arch" in
  x86_64) prefix=x86_64-w64-mingw32; gcc_package="gcc-mingw-w64-x86-64" ;;
  i686) prefix=i686-w64-mingw32; gcc_package="gcc-mingw-w64-i686" ;;
  *) echo "unknown architecture $arch" >&2; exit 2 ;;
esac

# wine32:i386 when the i386 index of the security suite cannot be fetched (docs/windows-build.md
# §6.6): amd64 libraries installed from that suite are newer than any i386 build apt knows of,
# and Multi-Arch libraries must match. So install from the release suite alone (-t), and pin each
# library apt names as unmatched at the version its i386 index has, on both architectures (a
# downgrade of the security update, reported by apt). A few rounds of apt's simulation find them.
install_wine32_without_security_index() {
  local args=(wine32:i386) codename out round name version removed
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || return 1
  for round in 1 2 3 4 5 6; do
    out=$(apt-get install -s -t "$codename" --no-install-recommends "${args[@]}" 2>&1) || true
    removed=$(sed -n 's/^Remv \([^ ]*\) .*/\1/p' <<<"$out")
    if grep -q '^Inst ' <<<"$out" && [ -z "$removed" ]; then
      echo "apt (round $round): installing ${args[*]} from $codename alone"
      grep -A2 DOWNGRADED <<<"$out" || true
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades -t "$codename" \
        --no-install-recommends "${args[@]}" >/dev/null
      return
    fi
    for name in $(sed -n 's/.*Depends: \([^ :]*\):i386 .*not going to be installed.*/\1/p' <<<"$out" | sort -u); do
      version=$(apt-cache policy "$name:i386" | sed -n 's/^  Candidate: //p')
      [ -n "$version" ] && [ "$version" != "(none)" ] && args+=("$name=$version" "$name:i386=$version")
    done
    # What apt would remove to get there is asked for again, so it stays.
    for name in $removed; do
      name=${name%:amd64}
      [[ " ${args[*]} " == *" $name"[=\ ]* ]] || args+=("$name")
    done
  done
  echo "apt found no way to install wine32:i386 from $codename alone:"
  tail -n 20 <<<"$out"
  return 1
}

need_packages wine64 wine "$gcc_package"
if [ "$arch" = i686 ] && ! dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "install ok installed"; then
  # 32-bit programs need Wine's 32-bit half, from the i386 architecture.
  added=no
  dpkg --print-foreign-architectures | grep -qx i386 || { as_root dpkg --add-architecture i386; apt_updated=no; added=yes; }
  if ! need_packages wine32:i386 && ! install_wine32_without_security_index; then
    # Leave apt as it was: an i386 index that cannot be fetched would fail every apt-get update.
    [ "$added" = no ] || as_root dpkg --remove-architecture i386 || true
    echo "NOT TESTED: wine32:i386 could not be installed (apt's errors above), so the i686 build cannot run under Wine here"
    exit 3
  fi
fi

work="$root/target/wine-tests/$arch"
rm -rf "$work" && mkdir -p "$work"
cp "$dir/diskbridge.dll" "$dir/diskbridge_onec.dll" "$dir/diskbridge.exe" "$host_exe" "$work/"

# The test programs, with warnings as errors like their Linux builds. test_abi uses pthreads:
# the posix flavour of mingw-w64 gcc, with winpthreads linked statically; it links to the DLL
# through its import library.
cflags=(-std=c11 -Wall -Wextra -Werror -Wpedantic -O1 -I"$root/include" -I"$root/bindings/c")
"$prefix-gcc-posix" "${cflags[@]}" -static "$root/bindings/c/test_abi.c" "$dir/libdiskbridge.dll.a" \
  -o "$work/test_abi.exe" -lws2_32
"$prefix-gcc" "${cflags[@]}" "$root/bindings/c/test_windows.c" -o "$work/test_windows.exe" -lws2_32

# Wine 8 has no bcryptprimitives.dll, which the Windows 10 baseline DLLs import: a test-only
# stand-in beside the programs (docs/windows-build.md §6.6). The win7 builds do not need it.
imports=$("$prefix-objdump" -p "$work/diskbridge.dll" | sed -n 's/^\s*DLL Name: //p')
if grep -qix bcryptprimitives.dll <<<"$imports"; then
  "$prefix-gcc" -shared -O1 -Wl,--kill-at "$root/scripts/wine/bcryptprimitives.c" \
    -o "$work/bcryptprimitives.dll" -lbcrypt
  echo "Wine: bcryptprimitives.dll stand-in built (the DLLs have the Windows 10 baseline)"
fi

# A Wine prefix of the project's own; a prefix made before wine32 was installed cannot run
# 32-bit programs, hence one per kind.
kind=64
dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "install ok installed" && kind=wow64
export WINEPREFIX="$root/target/wine/prefix-$kind" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wine wineboot --init >/dev/null 2>&1
  wineserver -w
fi

# Each program gets a sandbox of its own (a fresh account), on 127.0.0.1 where Wine reaches it.
sandbox_pid=""
stop_sandbox() {
  [ -z "$sandbox_pid" ] || { kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; }
  sandbox_pid=""
}
start_sandbox() {
  stop_sandbox
  local printed="$work/sandbox-$1.out"
  "$root/target/debug/diskbridge-sandbox" --port 0 >"$printed" &
  sandbox_pid=$!
  for _ in $(seq 100); do
    [ -s "$printed" ] && break
    sleep 0.1
  done
  url=$(head -n1 "$printed")
}
trap 'stop_sandbox; wineserver -k 2>/dev/null || true' EXIT

cd "$work"
echo "Wine ($arch): C ABI tests (bindings/c/test_abi.c) against diskbridge.dll"
start_sandbox c
DISKBRIDGE_SANDBOX=$url wine test_abi.exe

echo "Wine ($arch): Windows names in a downloaded tree; FreeLibrary after the runtime started"
start_sandbox names
wine test_windows.exe diskbridge.dll "$url"

echo "Wine ($arch): the 1C host (MSVC layout) drives diskbridge_onec.dll"
start_sandbox onec
wine "$(basename "$host_exe")" diskbridge_onec.dll "$url"

echo "Wine ($arch): diskbridge.exe"
start_sandbox cli
version=$(wine diskbridge.exe --version | tr -d '\r')
expected="diskbridge $(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
[ "$version" = "$expected" ] || { echo "diskbridge.exe --version said '$version', not '$expected'"; exit 1; }
# A token from the sandbox's implicit flow (the redirect carries it in the fragment).
token=$(python3 - "$url" <<'EOF'
import http.client, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
connection.request("GET", "/yandex-oauth/authorize?response_type=token&client_id=sandbox-yandex-client")
location = connection.getresponse().getheader("Location") or ""
print(urllib.parse.parse_qs(urllib.parse.urlsplit(location).fragment)["access_token"][0])
EOF
)
head -c 3000000 /dev/urandom >cli-upload.bin
wine diskbridge.exe --sandbox "$url" yadisk UploadFile --token "$token" --path app:/cli.bin --file cli-upload.bin \
  --rewrite true >cli-upload.json
wine diskbridge.exe --sandbox "$url" yadisk DownloadFile --token "$token" --path app:/cli.bin --out cli-download.bin \
  >cli-download.json
cmp cli-upload.bin cli-download.bin
info=$(wine diskbridge.exe --sandbox "$url" yadisk GetDiskInformation --token "$token")
case "$info" in *'"used_space"'*) ;; *) echo "GetDiskInformation: $info"; exit 1 ;; esac
echo "diskbridge.exe: $version; 3 MB uploaded and downloaded byte for byte; GetDiskInformation answered"
echo "Wine ($arch): all Windows tests passed"
