"""The client: calls by name, attribute-style namespaces built from the registry, progress,
errors and refreshed credentials."""

from __future__ import annotations

import base64
import copy
import difflib
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ._native import PROGRESS_FN, Native, StrPath, load
from ._registry import MethodSpec, ascii_alias, snake_case
from .errors import Error

#: ``on_progress(done, total)``: bytes (or seconds, for waits) done and in total (0 when
#: unknown); a truthy return cancels the call.
ProgressCallback = Callable[[int, int], Optional[bool]]
#: ``on_credentials(credentials)``: receives refreshed credentials to store.
CredentialsCallback = Callable[[Dict[str, Any]], None]


@dataclass(frozen=True)
class Reply:
    """A successful reply: what :meth:`Client.invoke` returns."""

    #: The method's result.
    result: Any
    #: The refreshed credentials the reply carried (store them), else ``None``.
    credentials: Optional[Dict[str, Any]]
    #: The whole reply envelope, ``{"ok": true, "result": ..., "credentials"?: ...}``.
    envelope: Dict[str, Any]


class Client:
    """A diskbridge client.

    ``Client(library=None, *, options=None, on_credentials=None)``:

    - ``library``: the library file (or a name the system loader resolves); by default
      ``$DISKBRIDGE_LIBRARY``, then the build folders, then the system loader
      (:func:`diskbridge.find_library`).
    - ``options``: per-call configuration sent with every call of this client (e.g.
      ``{"sandbox": "http://127.0.0.1:8080"}``), merged key by key under the ``options`` a call
      gives itself. ``Library.Configure`` changes the process-wide defaults instead.
    - ``on_credentials``: called with the new credentials whenever a reply carries refreshed
      tokens (calls given ``credentials``), on the calling thread, before the call returns or
      raises. Store them: Yandex rotates refresh tokens. With one client shared by several
      threads it may run on several threads at once.

    Methods: ``client.call("YandexDisk.UploadFile", token=..., path=..., file=...)`` or
    ``client.yandex_disk.upload_file(token=..., path=..., file=...)``; both return the result
    and raise :class:`diskbridge.Error`. ``client.invoke`` also returns the credentials.

    A client holds no mutable state: one client may be used from any number of threads at once.
    """

    def __init__(
        self,
        library: Optional[StrPath] = None,
        *,
        options: Optional[Mapping[str, Any]] = None,
        on_credentials: Optional[CredentialsCallback] = None,
    ) -> None:
        if on_credentials is not None and not callable(on_credentials):
            raise TypeError("on_credentials must be callable")
        self._native: Native = load(library)
        self._options: Dict[str, Any] = copy.deepcopy(dict(options)) if options else {}
        self._on_credentials = on_credentials
        self._namespaces = _namespaces(self, self._native.methods())

    @property
    def version(self) -> str:
        """The loaded library's version, e.g. ``"0.1.0"``."""
        return self._native.version

    @property
    def library_path(self) -> str:
        """The library file this client loaded (as found by :func:`diskbridge.find_library`)."""
        return self._native.location

    def call(self, method: str, /, *, on_progress: Optional[ProgressCallback] = None, **params: Any) -> Any:
        """Calls ``method`` (``"Module.Function"`` or an alias) with keyword parameters and
        returns its result; raises :class:`diskbridge.Error` for an error reply.

        Keys are the canonical snake_case ones (OPI's names are accepted too); a trailing
        underscore is dropped (``from_=`` sends ``from``). ``on_progress(done, total)`` gets
        progress; a truthy return cancels the call (error ``cancelled``), and an exception
        raised in it cancels the call and is re-raised once the call has returned.
        """
        return self.invoke(method, _keywords(params), on_progress=on_progress).result

    def invoke(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        on_progress: Optional[ProgressCallback] = None,
    ) -> Reply:
        """Calls ``method`` with a mapping of parameters (keys sent as they are) and returns the
        :class:`Reply`, refreshed credentials included; raises :class:`diskbridge.Error`."""
        if not isinstance(method, str):
            raise TypeError(f"method must be a str like 'YandexDisk.UploadFile', not {type(method).__name__}")
        if "\0" in method:
            raise ValueError("method must not contain NUL characters")
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be callable or None")
        request = self._request(params)
        body = json.dumps(request, default=_json_default, ensure_ascii=False, allow_nan=False)

        relay = _ProgressRelay(on_progress) if on_progress is not None else None
        envelope = self._native.call(
            method.encode("utf-8"),
            body.encode("utf-8"),
            relay.function if relay is not None else None,
        )

        credentials = envelope.get("credentials")
        if not isinstance(credentials, dict):
            credentials = None
        if credentials is not None and self._on_credentials is not None:
            self._on_credentials(credentials)
        if relay is not None and relay.error is not None:
            raise relay.error
        if envelope.get("ok") is not True:
            raise Error(envelope)
        return Reply(result=envelope.get("result"), credentials=credentials, envelope=envelope)

    def _request(self, params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        if params is None:
            request: Dict[str, Any] = {}
        elif isinstance(params, Mapping):
            request = dict(params)
        else:
            raise TypeError(f"params must be a mapping, not {type(params).__name__}")
        if self._options:
            given = request.get("options")
            if given is None:
                request["options"] = self._options
            elif isinstance(given, Mapping):
                request["options"] = _merge(self._options, given)
            else:
                raise TypeError("options must be a dict when the client has options of its own")
        return request

    def __getattr__(self, name: str) -> Namespace:
        namespaces: Dict[str, Namespace] = self.__dict__.get("_namespaces", {})
        if name in namespaces:
            return namespaces[name]
        raise AttributeError(_missing(f"diskbridge.Client has no attribute or module {name!r}", name, namespaces))

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._namespaces))

    def __repr__(self) -> str:
        return f"<diskbridge.Client {self.version} from {self.library_path!r}>"


class Namespace:
    """The methods of one registry module, e.g. ``client.yandex_disk`` for ``YandexDisk``."""

    def __init__(self, module: str, functions: Dict[str, Callable[..., Any]]) -> None:
        self._module = module
        self._functions = functions
        lines = [f"The {module} methods:", ""]
        lines += [
            f"    {name}: {(function.__doc__ or '').splitlines()[0]}" for name, function in sorted(functions.items())
        ]
        self.__doc__ = "\n".join(lines)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        functions: Dict[str, Callable[..., Any]] = self.__dict__.get("_functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(_missing(f"{self.__dict__.get('_module')} has no method {name!r}", name, functions))

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._functions))

    def __repr__(self) -> str:
        return f"<diskbridge module {self._module}: {len(self._functions)} methods>"


def _namespaces(client: Client, specs: Tuple[MethodSpec, ...]) -> Dict[str, Namespace]:
    """A namespace per module with a function per method, plus OPI's re-exported English
    aliases (``GoogleDrive.RefreshToken``) where the name is free."""
    modules: Dict[str, str] = {}
    functions: Dict[str, Dict[str, Callable[..., Any]]] = {}

    def add(module: str, function: str, spec: MethodSpec, alias: Optional[str]) -> None:
        namespace = functions.setdefault(snake_case(module), {})
        modules.setdefault(snake_case(module), module)
        if snake_case(function) not in namespace:
            namespace[snake_case(function)] = _bind(client, module, function, spec, alias)

    for spec in specs:
        add(spec.module, spec.function, spec, None)
    for spec in specs:
        for alias in spec.aliases:
            names = ascii_alias(alias)
            if names is not None:
                add(names[0], names[1], spec, alias)
    return {module: Namespace(modules[module], functions[module]) for module in functions}


def _bind(client: Client, module: str, function: str, spec: MethodSpec, alias: Optional[str]) -> Callable[..., Any]:
    """``client.<module>.<function>``: a keyword-only function with the method's signature and
    docs, calling ``spec.name``."""
    name = spec.name

    def method(*, on_progress: Optional[ProgressCallback] = None, **params: Any) -> Any:
        return client.call(name, on_progress=on_progress, **params)

    method.__name__ = snake_case(function)
    method.__qualname__ = f"{snake_case(module)}.{snake_case(function)}"
    method.__doc__ = spec.docstring(alias)
    method.__signature__ = spec.signature()  # type: ignore[attr-defined]
    return method


class _ProgressRelay:
    """Adapts a Python progress callback to the C one for the length of one call. The
    ``CFUNCTYPE`` object lives as long as the relay, which the call keeps until it returns.
    Exceptions never cross into the library: the first one is kept, cancels the call, and is
    re-raised by the caller."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self.error: Optional[BaseException] = None
        self.function = PROGRESS_FN(self._report)

    def _report(self, _user_data: Optional[int], done: int, total: int) -> int:
        if self.error is not None:
            return 1
        try:
            return 1 if self._callback(done, total) else 0
        except BaseException as error:  # noqa: B902 - KeyboardInterrupt too: re-raised after the call
            self.error = error
            return 1


def _keywords(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Keyword arguments to parameter keys: a trailing underscore is dropped (``from_``)."""
    keys: Dict[str, Any] = {}
    for name, value in params.items():
        key = name[:-1] if name.endswith("_") else name
        if key in keys:
            raise TypeError(f"parameter {key!r} is given twice ({key!r} and {key + '_'!r})")
        keys[key] = value
    return keys


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Dict[str, Any]:
    """``override`` on top of ``base``, nested objects merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, os.PathLike):
        return os.fsdecode(os.fspath(value))
    raise TypeError(f"a parameter value of type {type(value).__name__} cannot be sent as JSON")


def _missing(message: str, name: str, choices: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message
