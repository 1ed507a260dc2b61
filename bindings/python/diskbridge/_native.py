"""Finding, loading and calling the native library through ctypes.

Every reply of the library is a heap string the library owns: the call functions are declared
with ``restype = c_void_p`` (``c_char_p`` would copy the bytes and drop the pointer, leaking the
reply), the text is copied with ``ctypes.string_at`` and the pointer released with
``diskbridge_free`` in a ``finally``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._registry import MethodSpec, parse_methods
from ._version import __version__
from .errors import LibraryError

#: The environment variable naming the library file to load.
LIBRARY_ENV = "DISKBRIDGE_LIBRARY"
#: The C ABI level this package is written for (``abi`` of ``Library.Version``).
ABI_LEVEL = 1

#: ``int32_t (*)(void *user_data, uint64_t done, uint64_t total)``.
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)

StrPath = Union[str, "os.PathLike[str]"]


def library_file_name(platform: str = sys.platform) -> str:
    """The library's file name on a platform."""
    if platform == "win32":
        return "diskbridge.dll"
    if platform == "darwin":
        return "libdiskbridge.dylib"
    return "libdiskbridge.so"


def build_paths() -> List[Path]:
    """The files :func:`find_library` looks for, in order, after ``DISKBRIDGE_LIBRARY``: the
    package's own folder (the library a wheel carries, built for this very package), then
    ``$CARGO_TARGET_DIR`` and the repository's ``target`` (release, then debug) when the package
    runs from a checkout."""
    name = library_file_name()
    package = Path(__file__).resolve().parent
    target_dirs: List[Path] = []
    cargo_target = os.environ.get("CARGO_TARGET_DIR")
    if cargo_target:
        target_dirs.append(Path(cargo_target).resolve())
    # bindings/python/diskbridge → the repository root.
    target_dirs.append(package.parents[2] / "target")
    return [package / name] + [folder / profile / name for folder in target_dirs for profile in ("release", "debug")]


def find_library(library: Optional[StrPath] = None) -> str:
    """Where the library is: ``library`` when given, else ``$DISKBRIDGE_LIBRARY``, else the
    first of :func:`build_paths` that exists, else what the system loader finds
    (``ctypes.util.find_library("diskbridge")``).

    An explicit ``library`` or ``DISKBRIDGE_LIBRARY`` is used as given (a path, or a name the
    system loader resolves). Raises :class:`LibraryError` naming everything tried.
    """
    if library is not None:
        return os.fspath(library)
    from_env = os.environ.get(LIBRARY_ENV)
    if from_env:
        return from_env
    tried: List[str] = []
    for path in build_paths():
        if path.is_file():
            return str(path)
        tried.append(str(path))
    found = ctypes.util.find_library("diskbridge")
    if found:
        return found
    tried.append('the system loader (ctypes.util.find_library("diskbridge"))')
    raise LibraryError(
        "the diskbridge library was not found; tried "
        + LIBRARY_ENV
        + " (not set), "
        + ", ".join(tried)
        + ". Build it with `cargo build --release`, set "
        + LIBRARY_ENV
        + " to its path, or pass Client(library=PATH)."
    )


def _release(version: str) -> Tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise LibraryError(f"the library reports an unreadable version {version!r}")
    return int(match.group(1)), int(match.group(2))


class Native:
    """One loaded library file. Thread-safe: calls from any number of threads may run at once
    (ctypes releases the GIL during each foreign call)."""

    def __init__(self, location: str) -> None:
        self.location = location
        try:
            dll = ctypes.CDLL(location)
        except OSError as error:
            raise LibraryError(f"cannot load the diskbridge library {location!r}: {error}") from error
        try:
            self._version_fn = dll.diskbridge_version
            self._call_fn = dll.diskbridge_call
            self._call_with_progress_fn = dll.diskbridge_call_with_progress
            self._free_fn = dll.diskbridge_free
        except AttributeError as error:
            raise LibraryError(f"{location!r} is not the diskbridge library: {error}") from error
        # A static string the library keeps: c_char_p copies it and nothing is freed.
        self._version_fn.argtypes = []
        self._version_fn.restype = ctypes.c_char_p
        # Owned replies: c_void_p, released with diskbridge_free (see the module docs).
        self._call_fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self._call_fn.restype = ctypes.c_void_p
        self._call_with_progress_fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, PROGRESS_FN, ctypes.c_void_p]
        self._call_with_progress_fn.restype = ctypes.c_void_p
        self._free_fn.argtypes = [ctypes.c_void_p]
        self._free_fn.restype = None

        self.version: str = self._version_fn().decode("utf-8")
        if _release(self.version) != _release(__version__):
            raise LibraryError(
                f"the diskbridge library {location!r} is version {self.version}, but this Python "
                f"package {__version__} needs {'.'.join(map(str, _release(__version__)))}.x"
            )
        answer = self.call(b"Library.Version", b"{}", None)
        abi = answer.get("result", {}).get("abi") if answer.get("ok") else None
        if abi != ABI_LEVEL:
            raise LibraryError(
                f"the diskbridge library {location!r} has C ABI level {abi}, this package needs {ABI_LEVEL}"
            )
        self._methods: Optional[Tuple[MethodSpec, ...]] = None
        self._methods_lock = threading.Lock()

    def call(self, method: bytes, params: bytes, on_progress: Optional[Callable[..., int]]) -> Dict[str, Any]:
        """Calls a method and returns the parsed reply envelope. ``on_progress`` is a
        ``PROGRESS_FN`` instance (the caller keeps it alive until this returns) or ``None``."""
        if on_progress is None:
            reply = self._call_fn(method, params)
        else:
            reply = self._call_with_progress_fn(method, params, on_progress, None)
        if not reply:
            raise LibraryError("the diskbridge library returned NULL, which its contract rules out")
        try:
            text = ctypes.string_at(reply)
        finally:
            self._free_fn(reply)
        envelope = json.loads(text.decode("utf-8"))
        if not isinstance(envelope, dict):
            raise LibraryError(f"the diskbridge library replied with a non-object: {text[:200]!r}")
        return envelope

    def methods(self) -> Tuple[MethodSpec, ...]:
        """The registry, from ``Library.Methods`` (read once)."""
        with self._methods_lock:
            if self._methods is None:
                answer = self.call(b"Library.Methods", b"{}", None)
                if answer.get("ok") is not True:
                    raise LibraryError(f"Library.Methods failed: {answer.get('error')}")
                self._methods = parse_methods(answer["result"])
            return self._methods


_loaded: Dict[str, Native] = {}
_loaded_lock = threading.Lock()


def load(library: Optional[StrPath] = None) -> Native:
    """The loaded library (see :func:`find_library`); every client of one file shares it."""
    location = find_library(library)
    key = os.path.realpath(location) if os.path.exists(location) else location
    with _loaded_lock:
        native = _loaded.get(key)
        if native is None:
            native = Native(location)
            _loaded[key] = native
        return native
