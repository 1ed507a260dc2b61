#!/usr/bin/env bash
# Builds the 1C add-in and packs target/onec/DiskBridge.zip: MANIFEST.XML and the components it
# names, all at the root of the archive. The same zip serves 1C (as a common template or a file)
# and OneScript (AttachAddIn with the zip's path).
#
#   bindings/onec/package.sh            release build for this machine, plus every component
#                                       cross-built into target/<triple>/release or
#                                       target/cross/<triple>/release (docs/1c.md)
#   bindings/onec/package.sh --no-build only components already built there
#   bindings/onec/package.sh --from DIR the stripped components of scripts/build-release.sh
#                                       (DIR/windows-x86_64/diskbridge_onec.dll, ...): the release
#   bindings/onec/package.sh --debug    debug build for this machine only (what the tests pack)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

profile=release
build=yes
from=""
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  --no-build) build=no ;;
  --from) build=no; from=$(cd "${2:?--from needs a folder}" && pwd) ;;
  *) echo "usage: $0 [--debug | --no-build | --from DIR]" >&2; exit 2 ;;
esac

# os, arch (MANIFEST.XML values), folder in DIR of --from, Rust targets that build it (the first
# one found is packed), built file name, name inside the zip.
components=(
  "Windows i386 windows-i386 i686-win7-windows-gnu,i686-pc-windows-gnu,i686-pc-windows-msvc diskbridge_onec.dll DiskBridge_Windows_i386.dll"
  "Windows x86_64 windows-x86_64 x86_64-win7-windows-gnu,x86_64-pc-windows-gnu,x86_64-pc-windows-msvc diskbridge_onec.dll DiskBridge_Windows_x86_64.dll"
  "Linux i386 linux-i386 i686-unknown-linux-gnu libdiskbridge_onec.so DiskBridge_Linux_i386.so"
  "Linux x86_64 linux-x86_64 x86_64-unknown-linux-gnu libdiskbridge_onec.so DiskBridge_Linux_x86_64.so"
)

native=""
if [ "$build" = yes ]; then
  case "$(uname -s) $(uname -m)" in
    "Linux x86_64") native=x86_64-unknown-linux-gnu ;;
    "Linux i686") native=i686-unknown-linux-gnu ;;
    *) echo "this script builds on Linux; elsewhere build with cargo (docs/1c.md) and use --no-build" >&2; exit 2 ;;
  esac
  if [ "$profile" = release ]; then
    cargo build --release -p diskbridge-onec
  else
    cargo build -p diskbridge-onec
  fi
fi

out="$root/target/onec"
stage="$out/stage"
rm -rf "$stage" "$out/DiskBridge.zip"
mkdir -p "$stage"
manifest=()
# The first existing file among the places a target's release build lands.
built_for() {
  local triples=$1 built=$2 triple dir
  for triple in ${triples//,/ }; do
    if [ "$triple" = "$native" ]; then
      echo "target/$profile/$built"
      return
    fi
    for dir in "target/$triple/release" "target/cross/$triple/release" "target/cross-linux/$triple/release"; do
      [ -f "$dir/$built" ] && { echo "$dir/$built"; return; }
    done
  done
}

for component in "${components[@]}"; do
  read -r os arch folder triples built packed <<<"$component"
  if [ -n "$from" ]; then
    source="$from/$folder/$built"
  elif [ "$profile" = release ]; then
    source=$(built_for "$triples" "$built")
  elif [ "${triples%%,*}" = "$native" ]; then
    source="target/$profile/$built"
  else
    continue
  fi
  [ -n "$source" ] && [ -f "$source" ] || continue
  cp "$source" "$stage/$packed"
  # Release libraries keep line tables for backtraces; the shipped copy does without them
  # (--from's are stripped already).
  if [ "$profile" = release ] && [ -z "$from" ]; then
    case "$os $arch" in
      "Windows x86_64") strip_tool=x86_64-w64-mingw32-strip ;;
      "Windows i386") strip_tool=i686-w64-mingw32-strip ;;
      *) strip_tool="strip" ;;
    esac
    if command -v "$strip_tool" >/dev/null 2>&1; then
      "$strip_tool" --strip-all "$stage/$packed"
    fi
  fi
  manifest+=("  <component os=\"$os\" arch=\"$arch\" type=\"native\" path=\"$packed\"/>")
  echo "$os $arch: $source"
done
if [ ${#manifest[@]} -eq 0 ]; then
  echo "no component is built: see docs/1c.md" >&2
  exit 1
fi
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<bundle xmlns="http://v8.1c.ru/8.2/addin/bundle" name="DiskBridge">'
  printf '%s\n' "${manifest[@]}"
  echo '</bundle>'
} >"$stage/MANIFEST.XML"

# Flat archive, no extra attributes: `zip` when installed, Python's zipfile otherwise.
if command -v zip >/dev/null 2>&1; then
  (cd "$stage" && zip -q -X -j "$out/DiskBridge.zip" MANIFEST.XML DiskBridge_*)
else
  python3 - "$stage" "$out/DiskBridge.zip" <<'EOF'
import pathlib, sys, zipfile
stage, target = pathlib.Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(stage.iterdir()):
        archive.write(path, path.name)
EOF
fi
rm -rf "$stage"
echo "$out/DiskBridge.zip"
