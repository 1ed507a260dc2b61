#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a cycle.

A module is a top-level file or folder of src/ (`config`, `transport`, ...); the children of
`services` are modules of their own (`services::yandex_disk`). Every `crate::...` path and every
`super::...` path that leaves a module is an edge from the module it is written in to the module
it names; paths in `#[cfg(test)]` modules are not counted (tests may reach anywhere). `mod`
declarations are not edges. A path to an item of the crate root (lib.rs) is an edge to `lib`.

    scripts/check-imports.py [SRC]          check: exit 1 and list the cycles, if any
    scripts/check-imports.py --map [SRC]    print which module uses which (bottom to top)

SRC is the source folder, src/ of this repository by default.

Standard library only.
"""
import os
import re
import sys

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
ROOT = ARGS[0] if ARGS else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
# Folders whose children are modules in their own right.
CONTAINERS = {"services"}
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_path(relative):
    """`services/yandex_disk/api.rs` -> ['services', 'yandex_disk', 'api']."""
    parts = relative[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return [] if parts == ["lib"] else parts


def node_of(path, modules):
    """The module (graph node) a module path belongs to."""
    if not path or path[0] not in modules:
        return "lib"
    if len(path) > 1 and "::".join(path[:2]) in modules:
        return "::".join(path[:2])
    return path[0]


def strip(text):
    """Source without comments, string and char literals, and #[cfg(test)] modules."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            depth = 0
            while i < n:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                    if depth == 0:
                        break
                else:
                    i += 1
        elif re.match(r'(?<![A-Za-z0-9_])b?r(#*)"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            raw = re.match(r'b?r(#*)"', text[i:])
            close = '"' + raw.group(1)
            end = text.find(close, i + raw.end())
            out.append('""' + "\n" * text.count("\n", i, end))
            i = n if end < 0 else end + len(close)
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif text[i] == "'" and re.match(r"'(\\.[^']*|[^'\\])'", text[i:]):
            i += re.match(r"'(\\.[^']*|[^'\\])'", text[i:]).end()
            out.append("' '")
        else:
            out.append(text[i])
            i += 1
    text = "".join(out)
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
    return text[: cut.start()] if cut else text


def paths_after(text, start):
    """The paths of a `use` tree starting at `text[start:]` (after `crate::` or `super::`):
    `a::b::{c, d::{e, f}}` gives a::b::c, a::b::d::e and a::b::d::f; `a::b` gives a::b."""
    prefix, i = [], start
    while True:
        name = re.match(r"\s*(" + IDENT + r")", text[i:])
        if name:
            prefix.append(name.group(1))
            i += name.end()
            sep = re.match(r"\s*::\s*", text[i:])
            if not sep:
                return [prefix]
            i += sep.end()
            continue
        if re.match(r"\s*\{", text[i:]):
            depth, j = 0, i
            while j < len(text):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            inner, items, depth, current = text[text.index("{", i) + 1 : j], [], 0, ""
            for char in inner + ",":
                if char == "," and depth == 0:
                    if current.strip():
                        items.append(current)
                    current = ""
                    continue
                depth += {"{": 1, "}": -1}.get(char, 0)
                current += char
            result = []
            for item in items:
                for path in paths_after(item, 0):
                    result.append(prefix + path)
            return result
        return [prefix]


def used_paths(text):
    """Every path starting at `crate::` or `super::`, as (how many `super`s, path, line)."""
    found = []
    for match in re.finditer(r"\b(crate|super(?:\s*::\s*super)*)\s*::", text):
        head = match.group(1)
        ups = 0 if head == "crate" else head.count("super")
        line = text.count("\n", 0, match.start()) + 1
        for path in paths_after(text, match.end()):
            if path:
                found.append((ups, path, line))
    return found


def graph():
    modules = set()
    for entry in os.listdir(ROOT):
        name = entry[:-3] if entry.endswith(".rs") else entry
        if name != "lib":
            modules.add(name)
        if name in CONTAINERS and os.path.isdir(os.path.join(ROOT, entry)):
            for child in os.listdir(os.path.join(ROOT, entry)):
                child = child[:-3] if child.endswith(".rs") else child
                if child != "mod":
                    modules.add(f"{name}::{child}")
    edges = {}
    for folder, _, files in os.walk(ROOT):
        for file in files:
            if not file.endswith(".rs"):
                continue
            full = os.path.join(folder, file)
            relative = os.path.relpath(full, ROOT)
            here = module_path(relative)
            source = node_of(here, modules)
            with open(full, encoding="utf-8") as handle:
                text = strip(handle.read())
            for ups, path, line in used_paths(text):
                # `super` is the parent of the module the file is (a mod.rs is its folder's).
                base = here[: len(here) - ups] if ups else []
                target = node_of([p for p in base + path if p != "self"], modules)
                if target != source:
                    edges.setdefault(source, {}).setdefault(target, f"{os.path.join('src', relative)}:{line}")
    nodes = sorted(modules_nodes(modules, edges))
    return nodes, edges


def modules_nodes(modules, edges):
    nodes = {"lib"} | set(edges)
    for targets in edges.values():
        nodes |= set(targets)
    return nodes


def cycles(nodes, edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in nodes:
        if node not in index:
            visit(node)
    return result


def layers(nodes, edges):
    """Modules bottom to top: each after every module it uses (assumes no cycle)."""
    placed, order = set(), []
    while len(placed) < len(nodes):
        ready = [n for n in nodes if n not in placed and all(t in placed for t in edges.get(n, {}))]
        if not ready:
            return order + sorted(set(nodes) - placed)
        order.extend(sorted(ready))
        placed |= set(ready)
    return order


def main():
    nodes, edges = graph()
    if "--map" in sys.argv:
        for node in layers(nodes, edges):
            print(f"{node} -> {' '.join(sorted(edges.get(node, {})))}".rstrip())
        return 0
    found = cycles(nodes, edges)
    if not found:
        print(f"no import cycles among the {len(nodes)} modules of src/")
        return 0
    for component in found:
        print("import cycle among: " + ", ".join(component))
        for source in component:
            for target, where in sorted(edges.get(source, {}).items()):
                if target in component:
                    print(f"  {source} -> {target}  ({where})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
