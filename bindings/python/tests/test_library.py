"""Loading the library, the method table, memory handling and the errors that need no service
(everything here stays inside the process)."""

from __future__ import annotations

import ctypes
import ctypes.util
import inspect
import os
import pickle
import re
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple
from unittest import mock

from support import REPO, diskbridge

from diskbridge import _native
from diskbridge._registry import python_name, snake_case


class LoadingTest(unittest.TestCase):
    def test_the_package_and_the_library_are_the_crate_version(self) -> None:
        cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
        match = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
        assert match is not None
        self.assertEqual(diskbridge.__version__, match.group(1))
        self.assertEqual(diskbridge.Client().version, match.group(1))

    def test_the_argument_comes_first_then_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {diskbridge.LIBRARY_ENV: "/from/env/libdiskbridge.so"}):
            self.assertEqual(diskbridge.find_library("/given/libdiskbridge.so"), "/given/libdiskbridge.so")
            self.assertEqual(diskbridge.find_library(Path("/given/lib.so")), str(Path("/given/lib.so")))
            self.assertEqual(diskbridge.find_library(), "/from/env/libdiskbridge.so")

    def test_then_the_build_folders_then_the_system_loader(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            built = Path(folder) / "debug" / diskbridge.library_file_name()
            built.parent.mkdir()
            built.write_bytes(b"")
            missing = Path(folder) / "release" / diskbridge.library_file_name()
            environment = {k: v for k, v in os.environ.items() if k != diskbridge.LIBRARY_ENV}
            with mock.patch.dict(os.environ, environment, clear=True), mock.patch.object(
                _native, "build_paths", return_value=[missing, built]
            ):
                self.assertEqual(diskbridge.find_library(), str(built))
                built.unlink()
                with mock.patch.object(ctypes.util, "find_library", return_value="libdiskbridge.so.0"):
                    self.assertEqual(diskbridge.find_library(), "libdiskbridge.so.0")
                with mock.patch.object(ctypes.util, "find_library", return_value=None):
                    with self.assertRaises(diskbridge.LibraryError) as raised:
                        diskbridge.find_library()
        message = str(raised.exception)
        for tried in (diskbridge.LIBRARY_ENV, str(missing), str(built), "find_library", "cargo build"):
            self.assertIn(tried, message)

    def test_the_usual_build_paths(self) -> None:
        paths = [str(p) for p in diskbridge.build_paths()]
        name = diskbridge.library_file_name()
        self.assertIn(str(REPO / "target" / "release" / name), paths)
        self.assertIn(str(REPO / "target" / "debug" / name), paths)
        # The library a wheel carries comes first: it was built for this very package.
        self.assertEqual(paths[0], str(Path(diskbridge.__file__).resolve().parent / name))
        self.assertEqual(diskbridge.library_file_name("linux"), "libdiskbridge.so")
        self.assertEqual(diskbridge.library_file_name("darwin"), "libdiskbridge.dylib")
        self.assertEqual(diskbridge.library_file_name("win32"), "diskbridge.dll")

    def test_a_missing_or_foreign_library_is_a_clear_error(self) -> None:
        with self.assertRaises(diskbridge.LibraryError) as raised:
            diskbridge.Client(library="/nowhere/libdiskbridge.so")
        self.assertIn("cannot load the diskbridge library '/nowhere/libdiskbridge.so'", str(raised.exception))
        libc = ctypes.util.find_library("c")
        assert libc is not None
        with self.assertRaises(diskbridge.LibraryError) as raised:
            diskbridge.Client(library=libc)
        self.assertIn("is not the diskbridge library", str(raised.exception))

    def test_clients_of_one_file_share_it(self) -> None:
        first, second = diskbridge.Client(), diskbridge.Client(library=diskbridge.find_library())
        self.assertIs(first._native, second._native)
        self.assertTrue(Path(first.library_path).is_file())
        self.assertIn(first.version, repr(first))


class MemoryTest(unittest.TestCase):
    def test_replies_are_owned_pointers_released_with_diskbridge_free(self) -> None:
        native = diskbridge.Client()._native
        # c_char_p would copy the reply and drop the pointer: a leak per call.
        self.assertIs(native._call_fn.restype, ctypes.c_void_p)
        self.assertIs(native._call_with_progress_fn.restype, ctypes.c_void_p)
        self.assertEqual(native._free_fn.argtypes, [ctypes.c_void_p])

        returned: List[int] = []
        freed: List[int] = []

        def recording(function: Any) -> Any:
            def call(*args: Any) -> Any:
                pointer = function(*args)
                returned.append(pointer)
                return pointer

            return call

        original = (native._call_fn, native._call_with_progress_fn, native._free_fn)
        free = native._free_fn
        native._call_fn = recording(native._call_fn)
        native._call_with_progress_fn = recording(native._call_with_progress_fn)

        def free_recording(pointer: int) -> None:
            freed.append(pointer)
            free(pointer)

        native._free_fn = free_recording  # type: ignore[assignment]
        try:
            client = diskbridge.Client()
            for _ in range(20):
                client.library.version()
                client.call("Library.GetLog", limit=1, on_progress=lambda done, total: None)
                with self.assertRaises(diskbridge.Error):
                    client.call("Library.NoSuchMethod")
        finally:
            native._call_fn, native._call_with_progress_fn, native._free_fn = original
        self.assertEqual(len(returned), 60)
        self.assertEqual(freed, returned, "every reply is freed once, right after it was read")

    def test_many_large_replies_keep_memory_flat(self) -> None:
        client = diskbridge.Client()
        size = len(str(client.call("Library.Methods")))
        for _ in range(20):
            client.call("Library.Methods")
        before = _resident_bytes()
        calls = 400
        for _ in range(calls):
            client.call("Library.Methods")
        grown = _resident_bytes() - before
        # A reply leaked per call would add calls * size bytes.
        self.assertLess(grown, calls * size // 4, f"grew by {grown} bytes over {calls} replies of ~{size} bytes")


def _resident_bytes() -> int:
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    import resource  # macOS: the peak, which a leak raises as well

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class MethodTableTest(unittest.TestCase):
    client: diskbridge.Client

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = diskbridge.Client()

    def test_every_registry_method_is_an_attribute_named_like_its_c_export(self) -> None:
        methods = self.client.call("Library.Methods")["methods"]
        self.assertGreater(len(methods), 40)
        for method in methods:
            module, function = snake_case(method["module"]), snake_case(method["function"])
            self.assertEqual(f"diskbridge_{module}_{function}", method["c_export"])
            bound = getattr(getattr(self.client, module), function)
            self.assertEqual(bound.__name__, function)
            self.assertIn(method["doc"], bound.__doc__ or "")
            self.assertIn(method["name"], bound.__doc__ or "")
            parameters = inspect.signature(bound).parameters
            for param in method["params"]:
                parameter = parameters[python_name(param["key"])]
                self.assertIs(parameter.kind, inspect.Parameter.KEYWORD_ONLY)
                self.assertEqual(parameter.default is inspect.Parameter.empty, param["required"], param["key"])
            self.assertIn("on_progress", parameters)
            self.assertIn(function, dir(getattr(self.client, module)))
            self.assertIn(module, dir(self.client))

    def test_signatures_and_docs_come_from_the_registry(self) -> None:
        upload = self.client.yandex_disk.upload_file
        signature = inspect.signature(upload)
        self.assertEqual(signature.parameters["overwrite"].default, False)
        self.assertIs(signature.parameters["path"].annotation, str)
        self.assertIn("path (string, required; OPI Path / Путь)", upload.__doc__ or "")
        self.assertIn("from_", inspect.signature(self.client.yandex_disk.create_object_copy).parameters)
        self.assertIn("upload_file", self.client.yandex_disk.__doc__ or "")
        self.assertEqual(
            repr(self.client.yandex_id),
            f"<diskbridge module YandexID: {len(dir_functions(self.client.yandex_id))} methods>",
        )

    def test_attribute_calls_and_calls_by_name_or_alias_agree(self) -> None:
        by_attribute = self.client.library.version()
        self.assertEqual(by_attribute, self.client.call("Library.Version"))
        self.assertEqual(by_attribute, self.client.call("Library.Версия"))
        self.assertEqual(by_attribute, self.client.invoke("library.version").result)
        self.assertEqual(by_attribute["version"], self.client.version)

    def test_opi_english_aliases_are_attributes_too(self) -> None:
        alias = self.client.yandex_disk.get_confirmation_code
        self.assertIn("YandexDisk.GetConfirmationCode is an alias of YandexID.GetConfirmationCode", alias.__doc__ or "")

    def test_unknown_attributes_suggest_the_closest_name(self) -> None:
        with self.assertRaisesRegex(AttributeError, "did you mean 'yandex_disk'"):
            self.client.yandex_dsk  # noqa: B018
        with self.assertRaisesRegex(AttributeError, "did you mean 'upload_file'"):
            self.client.yandex_disk.uplod_file  # noqa: B018

    def test_client_options_merge_under_the_call_options(self) -> None:
        client = diskbridge.Client(options={"sandbox": "http://127.0.0.1:9", "retries": {"base_delay_ms": 7}})
        configuration = client.library.get_configuration(options={"retries": {"max_attempts": 2}})
        self.assertEqual(configuration["retries"]["base_delay_ms"], 7)
        self.assertEqual(configuration["retries"]["max_attempts"], 2)
        self.assertTrue(configuration["endpoints"]["yandex_disk"].startswith("http://127.0.0.1:9/"))
        with self.assertRaisesRegex(TypeError, "options must be a dict"):
            client.call("Library.GetConfiguration", options='{"retries": {}}')


def dir_functions(namespace: diskbridge.Namespace) -> List[str]:
    return [name for name in dir(namespace) if not name.startswith("_")]


class LocalErrorsTest(unittest.TestCase):
    """Error replies the library gives before any request is sent, and bad Python input."""

    client: diskbridge.Client

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = diskbridge.Client()

    def test_an_unknown_method_names_the_closest_one(self) -> None:
        with self.assertRaises(diskbridge.Error) as raised:
            self.client.call("YandexDisk.UploadFil", path="/x")
        error = raised.exception
        self.assertEqual(error.code, "unknown_method")
        self.assertIn("YandexDisk.UploadFile", error.message)
        self.assertIsNone(error.http_status)
        self.assertFalse(error.retryable)
        self.assertIs(error.envelope["ok"], False)
        self.assertEqual(error.envelope["error"]["code"], "unknown_method")
        self.assertEqual(str(error), f"unknown_method: {error.message}")

    def test_missing_unknown_and_mistyped_parameters(self) -> None:
        disk = self.client.yandex_disk
        cases: List[Tuple[Callable[[], Any], str]] = [
            (lambda: disk.upload_file(token="t", data_base64=b"x"), "`path`"),
            (lambda: disk.get_object(path="/x"), "`token`"),
            (lambda: disk.get_files_list(token="t", limit="many"), "`limit`"),
            (lambda: disk.get_object(token="t", path="/x", colour="red"), "accepted: token (Token), path (Path)"),
            (lambda: disk.create_folder(token="t", path="/x", parents="perhaps"), "`parents`"),
        ]
        for call, named in cases:
            with self.assertRaises(diskbridge.Error) as raised:
                call()
            self.assertEqual(raised.exception.code, "invalid_params")
            self.assertIn(named, raised.exception.message)

    def test_bad_python_input_is_refused_before_the_call(self) -> None:
        with self.assertRaisesRegex(TypeError, "method must be a str"):
            self.client.call(b"Library.Version")  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "NUL"):
            self.client.call("Library.Version\0")
        with self.assertRaisesRegex(TypeError, "cannot be sent as JSON"):
            self.client.call("Library.GetLog", limit=object())
        with self.assertRaises(ValueError):
            self.client.call("Library.GetLog", limit=float("nan"))
        with self.assertRaisesRegex(TypeError, "given twice"):
            both: Dict[str, Any] = {"from": "/a", "from_": "/b"}
            self.client.call("YandexDisk.MoveObject", **both)
        with self.assertRaisesRegex(TypeError, "on_progress must be callable"):
            self.client.call("Library.Version", on_progress=1)  # type: ignore[arg-type]
        with self.assertRaisesRegex(TypeError, "params must be a mapping"):
            self.client.invoke("Library.Version", ["limit", 1])  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            self.client.library.get_log(5)
        with self.assertRaisesRegex(TypeError, "on_credentials must be callable"):
            diskbridge.Client(on_credentials="store")  # type: ignore[arg-type]

    def test_errors_pickle_with_their_envelope(self) -> None:
        with self.assertRaises(diskbridge.Error) as raised:
            self.client.call("Nothing.AtAll")
        copy = pickle.loads(pickle.dumps(raised.exception))
        self.assertEqual(
            (copy.code, copy.message, copy.envelope),
            (raised.exception.code, raised.exception.message, raised.exception.envelope),
        )
        self.assertEqual(repr(copy), f"Error(code='unknown_method', message={copy.message!r})")


if __name__ == "__main__":
    unittest.main()
