"""Builds one wheel per platform, each carrying the native library beside the package's modules
(where ``diskbridge.find_library`` looks first), with the standard library's zipfile alone: no
build backend to fetch, so it works offline.

    python3 bindings/python/build_wheels.py ARTIFACTS OUT

ARTIFACTS is scripts/build-release.sh's folder (``linux-x86_64/libdiskbridge.so``,
``windows-x86_64/diskbridge.dll``, ``windows-i386/diskbridge.dll``); a platform whose library is
missing is skipped, and none found is an error. The wheels are ``py3-none-<platform>``: the
package is pure Python over ctypes, so any Python 3.8+ of that platform can load them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from pathlib import Path
from typing import List, Tuple

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "diskbridge"

#: (folder in ARTIFACTS, library file, wheel platform tag). The Linux library needs glibc 2.17
#: and nothing outside the manylinux2014 set (scripts/build-release.sh checks both).
PLATFORMS: List[Tuple[str, str, str]] = [
    ("linux-x86_64", "libdiskbridge.so", "manylinux_2_17_x86_64.manylinux2014_x86_64"),
    ("windows-x86_64", "diskbridge.dll", "win_amd64"),
    ("windows-i386", "diskbridge.dll", "win32"),
]


def project_field(name: str) -> str:
    """A string field of pyproject.toml's [project] table (tomllib is 3.11+)."""
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(rf'^{name}\s*=\s*"([^"]*)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"pyproject.toml has no {name}")
    return match.group(1)


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def metadata(name: str, version: str) -> str:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {name}\n"
        f"Version: {version}\n"
        f"Summary: {project_field('description')}\n"
        "License: MIT\n"
        f"Requires-Python: {project_field('requires-python')}\n"
        "Classifier: License :: OSI Approved :: MIT License\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Typing :: Typed\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def build_wheel(library: Path, platform: str, out: Path) -> Path:
    name, version = project_field("name"), project_field("version")
    dist_info = f"{name}-{version}.dist-info"
    tag = f"py3-none-{platform}"
    files: List[Tuple[str, bytes]] = []
    for module in sorted(PACKAGE.iterdir()):
        if module.suffix == ".py" or module.name == "py.typed":
            files.append((f"diskbridge/{module.name}", module.read_bytes()))
    files.append((f"diskbridge/{library.name}", library.read_bytes()))
    files.append((f"{dist_info}/METADATA", metadata(name, version).encode()))
    wheel_file = f"Wheel-Version: 1.0\nGenerator: diskbridge build_wheels.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist_info}/WHEEL", wheel_file.encode()))
    files.append((f"{dist_info}/top_level.txt", b"diskbridge\n"))
    record = "\n".join([record_line(path, data) for path, data in files] + [f"{dist_info}/RECORD,,"]) + "\n"
    files.append((f"{dist_info}/RECORD", record.encode()))

    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files:
            entry = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            # rwx for the library (some loaders want it executable), rw for the rest.
            mode = 0o755 if path == f"diskbridge/{library.name}" else 0o644
            entry.external_attr = (0o100000 | mode) << 16
            archive.writestr(entry, data)
    return wheel


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    artifacts, out = Path(argv[1]), Path(argv[2])
    built = 0
    for folder, file_name, platform in PLATFORMS:
        library = artifacts / folder / file_name
        if not library.is_file():
            print(f"no {library}: no {platform} wheel")
            continue
        print(build_wheel(library, platform, out))
        built += 1
    if built == 0:
        print(f"no library in {artifacts}: build it first (scripts/build-release.sh)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
