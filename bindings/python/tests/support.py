"""Shared by the tests: the package of this checkout, a sandbox subprocess on a free loopback
port, and the person's side of the sign-in flows (what a browser would do)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
# The package of this checkout, not an installed one.
sys.path.insert(0, str(HERE.parent))

import diskbridge  # noqa: E402

__all__ = [
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "REPO",
    "YANDEX_CLIENT_ID",
    "YANDEX_CLIENT_SECRET",
    "Sandbox",
    "SandboxTestCase",
    "diskbridge",
    "pattern",
]

YANDEX_CLIENT_ID = "sandbox-yandex-client"
YANDEX_CLIENT_SECRET = "sandbox-yandex-secret"
GOOGLE_CLIENT_ID = "sandbox-google-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "sandbox-google-secret"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Loopback only: never through a proxy from the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_http_no_redirect = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def sandbox_binary() -> Path:
    """``$DISKBRIDGE_SANDBOX_BINARY``, else the debug build of this checkout."""
    given = os.environ.get("DISKBRIDGE_SANDBOX_BINARY")
    if given:
        return Path(given)
    name = "diskbridge-sandbox.exe" if sys.platform == "win32" else "diskbridge-sandbox"
    return REPO / "target" / "debug" / name


class Sandbox:
    """A ``diskbridge-sandbox --port 0`` process; its URL is the first line it prints."""

    def __init__(self) -> None:
        binary = sandbox_binary()
        if not binary.is_file():
            raise RuntimeError(f"no sandbox binary at {binary}: run `cargo build --workspace` first")
        self._output = tempfile.TemporaryFile()
        self._process = subprocess.Popen([str(binary), "--port", "0"], stdout=self._output, stderr=subprocess.STDOUT)
        self.url = self._first_line(binary)

    def _first_line(self, binary: Path) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self._output.seek(0)
            line = self._output.readline()
            if line.endswith(b"\n"):
                return line.decode().strip()
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.close()
        self._output.seek(0)
        raise RuntimeError(f"{binary} did not print its URL: {self._output.read()[-2000:]!r}")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._output.close()

    def options(self) -> Dict[str, Any]:
        """Per-call options pointing the library at this sandbox, with short retry delays."""
        return {"sandbox": self.url, "retries": {"base_delay_ms": 50, "max_delay_ms": 200}}

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with _http.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def settings(self, **settings: Any) -> None:
        self.control("POST", "settings", settings)

    def fault(self, fault: Dict[str, Any]) -> None:
        self.control("POST", "faults", fault)

    def requests(self) -> List[Dict[str, Any]]:
        return list(self.control("GET", "requests"))

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def get(self, url: str) -> bytes:
        with _http.open(url, timeout=30) as response:
            return bytes(response.read())

    def approve_device(self, verification_url: str, user_code: str) -> None:
        """The person types the code on the verification page (a form POST)."""
        form = urllib.parse.urlencode({"user_code": user_code}).encode()
        with _http.open(urllib.request.Request(verification_url, data=form), timeout=30) as response:
            if response.status != 200:
                raise AssertionError(f"the approval was refused: {response.status}")

    def consent(self, authorization_url: str) -> str:
        """The person opens an authorization URL and consents: returns where it redirects."""
        try:
            _http_no_redirect.open(authorization_url, timeout=30)
        except urllib.error.HTTPError as answer:
            if answer.code == 302:
                return str(answer.headers["Location"])
            raise
        raise AssertionError("the consent page did not redirect")


class SandboxTestCase(unittest.TestCase):
    """One sandbox per test class, and a client pointed at it through its options."""

    sandbox: Sandbox
    client: diskbridge.Client

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = Sandbox()
        cls.addClassCleanup(cls.sandbox.close)
        # Polls of WaitForToken every second instead of five.
        cls.sandbox.settings(yandex_device_interval_s=1)
        cls.client = diskbridge.Client(options=cls.sandbox.options())

    @classmethod
    def sign_in(cls) -> Dict[str, Any]:
        """The Yandex device flow: the code, the person's approval, the tokens."""
        client = cls.client
        code = client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)
        cls.sandbox.approve_device(code["verification_url"], code["user_code"])
        tokens: Dict[str, Any] = client.yandex_id.wait_for_token(
            client_id=YANDEX_CLIENT_ID,
            client_secret=YANDEX_CLIENT_SECRET,
            device_code=code["device_code"],
            interval=code["interval"],
            timeout_s=30,
        )
        return tokens

    # Tokens never reach the test output, not even in a failure message.
    def assert_same(self, first: Any, second: Any, what: str) -> None:
        self.assertTrue(first == second, f"{what}: not the same (values not shown: they hold tokens)")

    def assert_different(self, first: Any, second: Any, what: str) -> None:
        self.assertTrue(first != second, f"{what}: unexpectedly the same (values not shown: they hold tokens)")

    @staticmethod
    def credentials(tokens: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "client_id": YANDEX_CLIENT_ID,
            "client_secret": YANDEX_CLIENT_SECRET,
        }


def pattern(size: int, seed: int) -> bytes:
    """Deterministic bytes that are not all alike."""
    block = bytes((i * 31 + seed * 7) % 256 for i in range(4093))
    return (block * (size // len(block) + 1))[:size]
