#!/usr/bin/env bash
# Packs the debug add-in into target/onec/DiskBridge.zip, checks that the zip holds MANIFEST.XML
# and the Linux x86_64 component it names, and runs the test host on that very component under
# valgrind (errors, definite/indirect leaks, and any memory-manager block not freed fail the run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/target/onec"

"$root/bindings/onec/package.sh" --debug

check="$out/check"
rm -rf "$check" && mkdir -p "$check"
# Prints the path of the extracted Linux x86_64 component.
component=$(python3 - "$out/DiskBridge.zip" "$check" <<'EOF'
import sys, zipfile
import xml.etree.ElementTree as ET

archive, check = sys.argv[1], sys.argv[2]
namespace = "{http://v8.1c.ru/8.2/addin/bundle}"
with zipfile.ZipFile(archive) as zip_file:
    names = zip_file.namelist()
    assert "MANIFEST.XML" in names, f"no MANIFEST.XML at the root of the zip: {names}"
    bundle = ET.fromstring(zip_file.read("MANIFEST.XML"))
    assert bundle.tag == namespace + "bundle", bundle.tag
    components = bundle.findall(namespace + "component")
    for component in components:
        assert component.get("type") == "native", component.attrib
        assert component.get("path") in names, f"{component.get('path')} is named but not in the zip"
    assert sorted(names) == sorted(["MANIFEST.XML"] + [c.get("path") for c in components]), names
    linux = [c for c in components if (c.get("os"), c.get("arch")) == ("Linux", "x86_64")]
    assert len(linux) == 1, "one Linux x86_64 component"
    zip_file.extract(linux[0].get("path"), check)
    listed = ", ".join(c.get("path") for c in components)
    print(f"{archive}: MANIFEST.XML and {listed}", file=sys.stderr)
    print(f"{check}/{linux[0].get('path')}")
EOF
)

valgrind_flags=(--quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
                --show-leak-kinds=definite,indirect --track-origins=yes)
valgrind "${valgrind_flags[@]}" "$root/target/debug/onec-host" "$component" "$root/target/debug/diskbridge-sandbox"
