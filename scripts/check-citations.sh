#!/usr/bin/env bash
# The project cites only itself: no tracked file may point the reader to a file outside the
# repository. The design and protocol notes the code relies on live in docs/ (docs/design.md,
# docs/protocols.md, docs/protocols-mail.md, docs/peers.md, docs/native-addin.md, …) and are cited
# by their path from the repository root, `docs/protocols.md §2.4` (a doc inside docs/ may link a
# sibling by its bare name). This fails on:
#   - the names of the notes the project was first written from, which are not in the repository
#     (a design and a functions list in capitals, the api-protocols / mail-calendar / opi-functions
#     / style-anchors notes), and paths into a shared folder or a reference/ folder beside it;
#   - a bare docs/ name (peers.md, native-addin.md, windows-build.md, design.md, protocols.md,
#     protocols-mail.md, architecture.md) outside docs/, where it would not resolve.
#
#   scripts/check-citations.sh            list the offending lines; exit 1 if there are any
#   scripts/check-citations.sh --report   list them, with a count per file; always exit 0
set -euo pipefail
cd "$(dirname "$0")/.."

mode=fail
case "${1:-}" in
  "") ;;
  --report) mode=report ;;
  *) echo "usage: scripts/check-citations.sh [--report]" >&2; exit 2 ;;
esac

# Tracked files and new ones not ignored (so a file is checked before its first commit).
git ls-files -z --cached --others --exclude-standard | python3 -c '
import collections, os, re, sys

mode = sys.argv[1]
this_script = "scripts/check-citations.sh"
outside = re.compile(
    r"DESIGN\.md|FUNCTIONS\.md|api-protocols|mail-calendar\.md|opi-functions|style-anchors"
    r"|(?:/work/|\.\./)shared\b|\bshared/(?:reference|hooks|DESIGN|FUNCTIONS)"
    r"|(?<![A-Za-z0-9_./-])reference/[A-Za-z0-9_-]+\.md"
)
# A docs/ page named without docs/ in front (and not as part of a longer name).
bare = re.compile(
    r"(?<![A-Za-z0-9_./-])(?:peers|native-addin|windows-build|design|protocols|protocols-mail|architecture)\.md"
)

found = []
for path in sys.stdin.buffer.read().decode().split("\0"):
    if not path or path == this_script or not os.path.isfile(path):
        continue
    try:
        text = open(path, encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        continue  # binary or unreadable: not prose
    in_docs = path.startswith("docs/")
    for number, line in enumerate(text.splitlines(), 1):
        if outside.search(line) or (not in_docs and bare.search(line)):
            found.append((path, number, line.strip()))

for path, number, line in found:
    print(f"{path}:{number}: {line}")
if found:
    counts = collections.Counter(path for path, _, _ in found)
    print(f"\n{len(found)} citation(s) of files outside the repository in {len(counts)} file(s):", file=sys.stderr)
    for path, count in sorted(counts.items()):
        print(f"  {path} ({count})", file=sys.stderr)
    print("cite docs/design.md, docs/protocols.md, docs/protocols-mail.md, docs/peers.md, "
          "docs/native-addin.md or docs/windows-build.md instead (same section numbers)", file=sys.stderr)
    sys.exit(0 if mode == "report" else 1)
print("every citation points inside the repository")
' "$mode"
