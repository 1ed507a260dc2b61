#!/usr/bin/env bash
# Builds the 1C add-in and packs target/onec/DiskBridge.zip: MANIFEST.XML and the components it
# names, all at the root of the archive. The same zip serves 1C (as a common template or a file)
# and OneScript (AttachAddIn with the zip's path).
#
#   bindings/onec/package.sh            release build for this machine, plus every component
#                                       cross-built into target/<triple>/release (docs/1c.md)
#   bindings/onec/package.sh --no-build only components already built into target/<triple>/release
#                                       (a release made of four cross-builds)
#   bindings/onec/package.sh --debug    debug build for this machine only (what the tests pack)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

profile=release
build=yes
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  --no-build) build=no ;;
  *) echo "usage: $0 [--debug | --no-build]" >&2; exit 2 ;;
esac

# os, arch (MANIFEST.XML values), Rust target, built file name, name inside the zip.
components=(
  "Windows i386 i686-pc-windows-msvc diskbridge_onec.dll DiskBridge_Windows_i386.dll"
  "Windows x86_64 x86_64-pc-windows-msvc diskbridge_onec.dll DiskBridge_Windows_x86_64.dll"
  "Linux i386 i686-unknown-linux-gnu libdiskbridge_onec.so DiskBridge_Linux_i386.so"
  "Linux x86_64 x86_64-unknown-linux-gnu libdiskbridge_onec.so DiskBridge_Linux_x86_64.so"
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
for component in "${components[@]}"; do
  read -r os arch triple built packed <<<"$component"
  if [ "$triple" = "$native" ]; then
    source="target/$profile/$built"
  elif [ "$profile" = release ]; then
    source="target/$triple/release/$built"
  else
    continue
  fi
  [ -f "$source" ] || continue
  cp "$source" "$stage/$packed"
  # Release libraries keep line tables for backtraces; the shipped copy does without them.
  if [ "$profile" = release ] && [ "$os" = Linux ] && command -v strip >/dev/null 2>&1; then
    strip --strip-debug "$stage/$packed"
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
