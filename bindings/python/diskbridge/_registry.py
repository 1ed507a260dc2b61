"""The method table, read at run time from ``Library.Methods``.

Nothing here lists methods by hand: every module of the registry becomes a namespace
(``YandexDisk`` → ``client.yandex_disk``) and every function a keyword-only Python function
(``UploadFile`` → ``upload_file``), named the way the C exports are
(``diskbridge_yandex_disk_upload_file``).
"""

from __future__ import annotations

import inspect
import keyword
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

# How a registry type is shown in signatures.
_ANNOTATIONS: Dict[str, Any] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "object": Dict[str, Any],
    "array": List[Any],
    "string or array": Union[str, List[str]],
    "object or string": Union[Dict[str, Any], str],
    "any": Any,
}


def snake_case(name: str) -> str:
    """``YandexDisk`` → ``yandex_disk``, ``UploadFileByURL`` → ``upload_file_by_url``,
    ``Yandex360`` → ``yandex_360``: the rule the library uses for its C exports."""
    out: List[str] = []
    for i, char in enumerate(name):
        previous = name[i - 1] if i > 0 else None
        following = name[i + 1] if i + 1 < len(name) else None
        if previous is None:
            boundary = False
        elif char.isascii() and char.isdigit():
            boundary = not (previous.isascii() and previous.isdigit())
        elif char.isupper():
            boundary = (
                previous.islower()
                or (previous.isascii() and previous.isdigit())
                or (previous.isupper() and following is not None and following.islower())
            )
        else:
            boundary = False
        if boundary:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def python_name(key: str) -> str:
    """The keyword argument for a parameter key: the key itself, with a trailing underscore when
    it is a Python keyword (``from`` → ``from_``)."""
    return key + "_" if keyword.iskeyword(key) else key


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a method, as ``Library.Methods`` describes it."""

    key: str
    type: str
    required: bool
    default: Any
    doc: str
    opi: str
    opi_ru: str

    def describe(self) -> str:
        if self.required:
            presence = "required"
        elif self.default is not None:
            presence = f"default {_literal(self.default)}"
        else:
            presence = "optional"
        names = f"; OPI {self.opi} / {self.opi_ru}" if self.opi else ""
        return f"{python_name(self.key)} ({self.type}, {presence}{names}): {self.doc}"

    def signature_parameter(self) -> inspect.Parameter:
        annotation = _ANNOTATIONS.get(self.type, Any)
        if self.required:
            default: Any = inspect.Parameter.empty
        else:
            default = self.default
            if default is None:
                annotation = Optional[annotation]
        return inspect.Parameter(
            python_name(self.key), inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
        )


@dataclass(frozen=True)
class MethodSpec:
    """One method of the registry."""

    name: str
    module: str
    function: str
    aliases: Tuple[str, ...]
    doc: str
    result: str
    c_export: str
    params: Tuple[ParamSpec, ...]

    @property
    def module_attribute(self) -> str:
        return snake_case(self.module)

    @property
    def function_attribute(self) -> str:
        return snake_case(self.function)

    def signature(self) -> inspect.Signature:
        on_progress = inspect.Parameter(
            "on_progress",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Optional[Callable[[int, int], Optional[bool]]],
        )
        return inspect.Signature(
            [param.signature_parameter() for param in self.params] + [on_progress],
            return_annotation=Any,
        )

    def docstring(self, alias: Optional[str] = None) -> str:
        lines = [f"{self.doc}", ""]
        if alias is not None:
            lines += [f"{alias} is an alias of {self.name}.", ""]
        lines += [f"Result: {self.result}", "", "Keyword arguments:"]
        lines += [f"    {param.describe()}" for param in self.params]
        lines += [
            "    on_progress (callable, optional): called with (done, total) while the call runs;"
            " a truthy return cancels it (error `cancelled`).",
            "",
            f"Calls {self.name} (C export {self.c_export}); returns the result, raises"
            " diskbridge.Error with the reply's error. Bytes values are sent base64-encoded,"
            " paths (os.PathLike) as strings.",
        ]
        return "\n".join(lines)


def _literal(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def parse_methods(result: Mapping[str, Any]) -> Tuple[MethodSpec, ...]:
    """The ``result`` of ``Library.Methods`` as specs."""
    return tuple(_parse_method(method) for method in result["methods"])


def _parse_method(method: Mapping[str, Any]) -> MethodSpec:
    return MethodSpec(
        name=method["name"],
        module=method["module"],
        function=method["function"],
        aliases=tuple(method.get("aliases") or ()),
        doc=method.get("doc") or "",
        result=method.get("result") or "",
        c_export=method["c_export"],
        params=tuple(
            ParamSpec(
                key=param["key"],
                type=param.get("type") or "any",
                required=bool(param.get("required")),
                default=param.get("default"),
                doc=param.get("doc") or "",
                opi=param.get("opi") or "",
                opi_ru=param.get("opi_ru") or "",
            )
            for param in method["params"]
        ),
    )


def ascii_alias(alias: str) -> Optional[Tuple[str, str]]:
    """``("GoogleDrive", "RefreshToken")`` for an alias whose names can be attributes, else
    ``None`` (OPI's Russian names stay reachable through ``Client.call``)."""
    module, _, function = alias.partition(".")
    if not function or not (module + function).isascii() or not (module + function).isalnum():
        return None
    return module, function
