"""The exceptions of the package."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


class LibraryError(OSError):
    """The native library could not be found or loaded, or does not match this package."""


class Error(Exception):
    """A method replied with an error envelope.

    Branch on :attr:`code` (one of the codes of docs/errors.md; the catalogue only grows), never
    on :attr:`message`, which is written for people and may change.

    Attributes:
        code: the error code, e.g. ``"not_found"``.
        message: what went wrong and what to do; secrets never appear in it.
        http_status: the service's HTTP status, when a service answered.
        retryable: whether the same call may succeed later unchanged (the library has already
            retried what was safe to retry).
        service: which service answered (``"yandex_disk"``, ``"yandex_oauth"``, ...), if any.
        upstream: the service's own error body, if any.
        credentials: refreshed credentials the reply carried despite the error (the refresh
            happened; store them, as the old refresh token may no longer work), else ``None``.
        envelope: the whole reply, ``{"ok": false, "error": {...}}``.
    """

    code: str
    message: str
    http_status: Optional[int]
    retryable: bool
    service: Optional[str]
    upstream: Any
    credentials: Optional[Dict[str, Any]]
    envelope: Dict[str, Any]

    def __init__(self, envelope: Dict[str, Any]) -> None:
        error = envelope.get("error")
        if not isinstance(error, dict):
            error = {}
        self.envelope = envelope
        self.code = str(error.get("code", "internal"))
        self.message = str(error.get("message", "the library replied with an error but no error object"))
        status = error.get("http_status")
        self.http_status = status if isinstance(status, int) else None
        self.retryable = error.get("retryable") is True
        service = error.get("service")
        self.service = service if isinstance(service, str) else None
        self.upstream = error.get("upstream")
        credentials = envelope.get("credentials")
        self.credentials = credentials if isinstance(credentials, dict) else None
        super().__init__(f"{self.code}: {self.message}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # The constructor takes the envelope, not the message: keep pickling (multiprocessing,
        # concurrent.futures with processes) working.
        return (type(self), (self.envelope,))
