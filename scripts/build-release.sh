#!/usr/bin/env bash
# The release build: every component this machine can make, stripped, in target/release-artifacts/
# (docs/windows-build.md says how and why):
#
#   windows-x86_64/  diskbridge.dll, libdiskbridge.dll.a, diskbridge_onec.dll, diskbridge.exe  (PE32+)
#   windows-i386/    the same, 32-bit                                                          (PE32)
#   linux-x86_64/    libdiskbridge.so, libdiskbridge_onec.so, diskbridge   (ELF, glibc 2.17 and newer)
#   linux-i386/      libdiskbridge.so, libdiskbridge_onec.so, diskbridge   (ELF 32-bit, glibc 2.17; when it builds)
#   include/diskbridge.h
#   DiskBridge.zip   the 1C add-in: MANIFEST.XML and the four components (bindings/onec/package.sh)
#   wheels/          diskbridge-<version>-py3-none-{manylinux_2_17_x86_64.manylinux2014_x86_64,win_amd64,win32}.whl
#   SHA256SUMS
#
#   scripts/build-release.sh           build everything, then check it (--check)
#   scripts/build-release.sh --check   check what is there: file types, exports, imports, the glibc
#                                      floor, the zip's manifest, the wheels; then run the Windows
#                                      tests of both architectures under Wine (scripts/test-windows.sh)
#   --no-wine                          skip the Wine tests
#
# WINDOWS_BASELINE=win7 (the default) builds the *-win7-windows-gnu targets, which run on Windows 7
# / Server 2008 R2 and every later Windows; WINDOWS_BASELINE=win10 builds *-pc-windows-gnu (Windows
# 10 / Server 2016 and later), from rustup's standard library when it is installed.
# Linux builds go through cargo-zigbuild and zig (from PyPI, into target/tools/zig) against glibc
# 2.17. Packages missing for any of it are installed with apt (sudo when not root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.sh

build=yes
wine_tests=yes
for arg in "$@"; do
  case "$arg" in
    --check) build=no ;;
    --no-wine) wine_tests=no ;;
    *) echo "usage: $0 [--check] [--no-wine]" >&2; exit 2 ;;
  esac
done

baseline=${WINDOWS_BASELINE:-win7}
case "$baseline" in
  win7) windows_vendor=win7 ;;
  win10) windows_vendor=pc ;;
  *) echo "WINDOWS_BASELINE is win7 or win10, not $baseline" >&2; exit 2 ;;
esac
out="$root/target/release-artifacts"
step() { printf '\n==> %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# ------------------------------------------------------------------------------------------------
# Building

# Windows: the core DLL (with its import library), the add-in, the CLI, and (for the tests) the
# 1C host, in one cargo run per target so the standard library is built once.
build_windows() {
  local arch=$1 platform=$2 target="$1-$windows_vendor-windows-gnu" started
  started=$(date +%s)
  step "Windows $arch ($target)"
  need_windows_toolchain "$target"
  xcargo "$target" build --locked --release -p diskbridge -p diskbridge-onec -p diskbridge-cli -p diskbridge-onec-host
  local built="$cross_dir/$target/release" dest="$out/$platform" strip
  strip="$(mingw_prefix "$target")-strip"
  mkdir -p "$dest"
  cp "$built/diskbridge.dll" "$built/libdiskbridge.dll.a" "$built/diskbridge_onec.dll" "$built/diskbridge.exe" "$dest/"
  "$strip" --strip-all "$dest/diskbridge.dll" "$dest/diskbridge_onec.dll" "$dest/diskbridge.exe"
  echo "Windows $arch: $(elapsed "$started")"
}

# cargo-zigbuild and zig from PyPI, in a virtual environment of their own under target/.
zig_tools() {
  local venv="$root/target/tools/zig"
  if [ ! -x "$venv/bin/cargo-zigbuild" ] || [ ! -x "$venv/bin/python-zig" ]; then
    need_packages python3-venv
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check cargo-zigbuild ziglang
  fi
  echo "$venv/bin"
}

# Linux against glibc 2.17: the library, the add-in and the CLI. x86_64 uses the cargo on PATH
# (rustup's); i686 has no standard library there, so Debian's rustc-web builds it (-Zbuild-std).
build_linux() {
  local arch=$1 platform=$2 target="$1-unknown-linux-gnu" started tools
  started=$(date +%s)
  step "Linux $arch ($target, glibc 2.17)"
  tools=$(zig_tools)
  local packages=(-p diskbridge -p diskbridge-onec -p diskbridge-cli)
  (
    # A target folder of its own, so a Linux and a Windows build can run side by side.
    export PATH="$tools:$PATH" CARGO_TARGET_DIR="$root/target/cross-linux"
    if [ "$arch" = x86_64 ] && { ! command -v rustup >/dev/null 2>&1 || rustup_has "$target"; }; then
      exec nice -n 10 cargo-zigbuild zigbuild --locked --release --target "$target.2.17" "${packages[@]}"
    fi
    need_packages rustc-web cargo-web rust-web-src
    export PATH="$tools:/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
    exec nice -n 10 cargo-zigbuild zigbuild --locked --release -Zbuild-std=std,panic_unwind \
      --target "$target.2.17" "${packages[@]}"
  ) || return 1
  local built="$root/target/cross-linux/$target/release" dest="$out/$platform"
  mkdir -p "$dest"
  cp "$built/libdiskbridge.so" "$built/libdiskbridge_onec.so" "$built/diskbridge" "$dest/"
  strip --strip-all "$dest/libdiskbridge.so" "$dest/libdiskbridge_onec.so" "$dest/diskbridge"
  echo "Linux $arch: $(elapsed "$started")"
}

if [ "$build" = yes ]; then
  rm -rf "$out"
  mkdir -p "$out/include"
  total=$(date +%s)
  build_linux x86_64 linux-x86_64
  build_windows x86_64 windows-x86_64
  build_windows i686 windows-i386
  # Linux x86 goes through Debian's compiler, -Zbuild-std and zig together: it is built when it
  # can be, and said so when not. Last, so that a failure costs none of the other components.
  build_linux i686 linux-i386 || { rm -rf "$out/linux-i386"; echo "Linux i386: NOT BUILT (the errors are above); the release goes on without it"; }
  cp include/diskbridge.h "$out/include/"
  step "1C add-in zip"
  bindings/onec/package.sh --from "$out"
  mv target/onec/DiskBridge.zip "$out/DiskBridge.zip"
  step "Python wheels"
  python3 bindings/python/build_wheels.py "$out" "$out/wheels"
  (cd "$out" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)
  echo "built in $(elapsed "$total")"
fi

# ------------------------------------------------------------------------------------------------
# Checking

failures=0
fail() { echo "CHECK FAILED: $*"; failures=$((failures + 1)); }

# check_type FILE PATTERN: `file` says what the file is.
check_type() {
  local description
  description=$(file -b "$1")
  # shellcheck disable=SC2053 # $2 is a glob pattern
  [[ "$description" == $2 ]] || fail "$1 is '$description', expected '$2'"
  printf '%-46s %10s  %s\n' "${1#"$out"/}" "$(stat -c %s "$1")" "$description"
}

# check_exports FILE SYMBOL...: the file exports every symbol (objdump's export table for PE,
# the dynamic symbol table for ELF).
check_exports() {
  local file=$1 exports symbol
  shift
  case "$(file -b "$file")" in
    PE*) exports=$(objdump -p "$file" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk '{print $NF}') ;;
    *) exports=$(objdump -T "$file" | awk '$4 != "*UND*" {print $NF}') ;;
  esac
  for symbol in "$@"; do
    grep -qx "$symbol" <<<"$exports" || fail "$file does not export $symbol"
  done
}

# The DLLs every Windows binary may import: system components present on every Windows of the
# baseline. No mingw runtime DLL (libgcc_s, libwinpthread) and no Visual C++ redistributable.
windows_allowed="kernel32.dll ntdll.dll msvcrt.dll ws2_32.dll userenv.dll advapi32.dll bcrypt.dll crypt32.dll secur32.dll"
[ "$baseline" = win10 ] && windows_allowed="$windows_allowed bcryptprimitives.dll api-ms-win-core-synch-l1-2-0.dll"

check_imports_windows() {
  local file=$1 dll
  for dll in $(objdump -p "$file" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z'); do
    [[ " $windows_allowed " == *" $dll "* ]] || fail "$file imports $dll, not a system DLL of the $baseline baseline"
  done
}

# The Linux libraries may need only what every glibc system has, and glibc no newer than 2.17.
check_linux() {
  local file=$1 needed floor
  for needed in $(objdump -p "$file" | sed -n 's/^\s*NEEDED\s*//p'); do
    case "$needed" in
      libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | libgcc_s.so.1 | ld-linux*.so.*) ;;
      *) fail "$file needs $needed" ;;
    esac
  done
  floor=$(objdump -T "$file" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n1)
  printf '%-46s needs %s\n' "${file#"$out"/}" "${floor:-no versioned glibc symbol}"
  [ -z "$floor" ] || [ "$(printf '%s\nGLIBC_2.17\n' "$floor" | sort -V | tail -n1)" = GLIBC_2.17 ] ||
    fail "$file needs $floor, newer than glibc 2.17"
}

core_exports=(diskbridge_call diskbridge_call_with_progress diskbridge_free diskbridge_version)
addin_exports=(GetClassNames GetClassObject DestroyObject SetPlatformCapabilities GetAttachType)

check_windows() {
  local platform=$1 pe=$2 machine=$3 dir="$out/$1" file
  for file in diskbridge.dll diskbridge_onec.dll; do
    check_type "$dir/$file" "$pe executable (DLL) (console) $machine*"
    check_imports_windows "$dir/$file"
  done
  check_type "$dir/diskbridge.exe" "$pe executable (console) $machine*"
  check_imports_windows "$dir/diskbridge.exe"
  check_type "$dir/libdiskbridge.dll.a" "current ar archive"
  check_exports "$dir/diskbridge.dll" "${core_exports[@]}"
  check_exports "$dir/diskbridge_onec.dll" "${addin_exports[@]}"
}

check_linux_platform() {
  local platform=$1 elf=$2 machine=$3 dir="$out/$1"
  check_type "$dir/libdiskbridge.so" "$elf shared object, $machine*"
  check_type "$dir/libdiskbridge_onec.so" "$elf shared object, $machine*"
  check_type "$dir/diskbridge" "$elf pie executable, $machine*"
  check_exports "$dir/libdiskbridge.so" "${core_exports[@]}"
  check_exports "$dir/libdiskbridge_onec.so" "${addin_exports[@]}"
  check_linux "$dir/libdiskbridge.so"
  check_linux "$dir/libdiskbridge_onec.so"
  check_linux "$dir/diskbridge"
}

step "checking target/release-artifacts"
need_packages file binutils binutils-mingw-w64-x86-64
check_windows windows-x86_64 PE32+ x86-64
check_windows windows-i386 PE32 "Intel 80386"
check_linux_platform linux-x86_64 "ELF 64-bit LSB" x86-64
if [ -d "$out/linux-i386" ]; then
  check_linux_platform linux-i386 "ELF 32-bit LSB" "Intel 80386"
else
  echo "linux-i386: not built, so not in the zip"
fi
if [ "$baseline" = win7 ]; then
  for file in "$out"/windows-*/*.dll "$out"/windows-*/*.exe; do
    imports=$(objdump -p "$file" | sed -n 's/^\s*DLL Name: //p')
    grep -qix -e bcryptprimitives.dll -e api-ms-win-core-synch-l1-2-0.dll <<<"$imports" &&
      fail "$file imports a DLL of Windows 10 and later"
  done
fi
python3 - "$out" <<'EOF' || fail "the zip or the wheels"
import hashlib, base64, pathlib, sys, zipfile
import xml.etree.ElementTree as ET

out = pathlib.Path(sys.argv[1])
namespace = "{http://v8.1c.ru/8.2/addin/bundle}"
with zipfile.ZipFile(out / "DiskBridge.zip") as archive:
    names = archive.namelist()
    bundle = ET.fromstring(archive.read("MANIFEST.XML"))
    listed = {(c.get("os"), c.get("arch")): c.get("path") for c in bundle.findall(namespace + "component")}
    want = {("Windows", "x86_64"), ("Windows", "i386"), ("Linux", "x86_64")}
    if (out / "linux-i386").is_dir():
        want.add(("Linux", "i386"))
    assert set(listed) == want, f"MANIFEST.XML lists {sorted(listed)}"
    assert sorted(names) == sorted(["MANIFEST.XML", *listed.values()]), names
    magic = {"Windows": b"MZ", "Linux": b"\x7fELF"}
    for (os_name, arch), path in sorted(listed.items()):
        assert archive.read(path)[:4].startswith(magic[os_name]), path
        print(f"DiskBridge.zip: {os_name} {arch} -> {path}")
wheels = sorted((out / "wheels").glob("*.whl"))
tags = {w.name.split("-", 2)[2] for w in wheels}
expected = {"py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "py3-none-win_amd64.whl", "py3-none-win32.whl"}
assert tags == expected, tags
for wheel in wheels:
    with zipfile.ZipFile(wheel) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        for line in archive.read(record).decode().splitlines():
            path, digest, size = line.rsplit(",", 2)
            if not digest:
                continue
            data = archive.read(path)
            actual = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert actual == digest and int(size) == len(data), f"{wheel.name}: {path} differs from RECORD"
        libraries = [n for n in archive.namelist() if n.startswith("diskbridge/") and n.endswith((".so", ".dll"))]
        assert len(libraries) == 1, libraries
        print(f"{wheel.name}: RECORD matches, carries {libraries[0]}")
EOF
[ "$failures" -eq 0 ] || { echo "$failures checks failed"; exit 1; }
echo "every artifact checked"

if [ "$wine_tests" = yes ]; then
  step "Windows tests under Wine, both architectures"
  [ -x target/debug/diskbridge-sandbox ] || cargo build -p diskbridge-sandbox
  for pair in "x86_64 windows-x86_64" "i686 windows-i386"; do
    read -r arch platform <<<"$pair"
    target="$arch-$windows_vendor-windows-gnu"
    scripts/test-windows.sh "$arch" "$out/$platform" "$cross_dir/$target/release/onec-host.exe"
  done
fi
