# shellcheck shell=bash
# Sourced by scripts/test.sh, scripts/build-release.sh and scripts/test-windows.sh: installs what
# the tests and the cross-builds need with apt when it is missing, and defines `xcargo TARGET
# ARGS...`, cargo for one target (docs/windows-build.md §2). The Linux build of a developer is not
# touched: everything here is set inside `xcargo`'s subshell.
#
# Windows targets come from rustup when it has the target's standard library installed, and
# otherwise from Debian's rustc-web (1.96) with its library sources (rust-web-src): cargo builds
# std itself (-Zbuild-std, allowed on a stable compiler by RUSTC_BOOTSTRAP=1). The *-win7-*
# targets, which rustup does not ship, always take the second route. mingw-w64 links.

root=${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Cross-builds keep their own target folder: another compiler, another std.
cross_dir="$root/target/cross"

# apt-get as root, or through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=no
# Installs the Debian packages among "$@" that are not installed yet.
need_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing with apt: ${missing[*]}"
  if [ "$apt_updated" = no ]; then
    # An index that fails to download is reported by apt; the install below says if it mattered.
    as_root apt-get update -qq || echo "apt-get update reported errors (above)"
    apt_updated=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The mingw-w64 triple prefix of a Windows target.
mingw_prefix() {
  case "$1" in
    x86_64-*) echo x86_64-w64-mingw32 ;;
    i686-*) echo i686-w64-mingw32 ;;
    *) echo "not a Windows target: $1" >&2; return 1 ;;
  esac
}

# Whether rustup has the standard library of target $1 (then no -Zbuild-std is needed).
rustup_has() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$1"
}

# The packages of the Windows route for target $1.
need_windows_toolchain() {
  local target=$1 gcc="gcc-mingw-w64-x86-64"
  case "$target" in i686-*) gcc="gcc-mingw-w64-i686" ;; esac
  if rustup_has "$target"; then
    need_packages "$gcc"
  else
    need_packages rustc-web cargo-web rust-web-src "$gcc"
  fi
}

# rsbegin.o and rsend.o, which i686 Windows targets link from their sysroot and -Zbuild-std does
# not make: compiled once from the packaged sources, found through -L native (§2.3).
rtstartup_dir() {
  local target=$1 dir="$cross_dir/rtstartup/$1" src f
  src="$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/rtstartup"
  for f in rsbegin rsend; do
    if [ ! -f "$dir/$f.o" ]; then
      mkdir -p "$dir"
      RUSTC_BOOTSTRAP=1 /usr/bin/rustc --target "$target" --emit=obj -o "$dir/$f.o" "$src/$f.rs"
    fi
  done
  echo "$dir"
}

# cargo for one Windows target, e.g. `xcargo x86_64-win7-windows-gnu build --release -p diskbridge`.
# Artifacts land in target/cross/<target>/<profile>/.
xcargo() {
  local target=$1 command=$2
  shift 2
  (
    local prefix upper
    prefix=$(mingw_prefix "$target")
    upper=$(echo "$target" | tr 'a-z-' 'A-Z_')
    export CARGO_TARGET_DIR="$cross_dir"
    export "CARGO_TARGET_${upper}_LINKER=$prefix-gcc"
    if rustup_has "$target"; then
      exec nice -n 10 cargo "$command" --target "$target" "$@"
    fi
    # Debian's rustc and cargo (in /usr/bin) before rustup's.
    export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
    local std=std,panic_unwind
    [ "$command" = test ] && std=std,panic_unwind,test
    case "$target" in
      i686-*) export "CARGO_TARGET_${upper}_RUSTFLAGS=-L native=$(rtstartup_dir "$target")" ;;
    esac
    exec nice -n 10 cargo "$command" -Zbuild-std="$std" --target "$target" "$@"
  )
}
