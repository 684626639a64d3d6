"""Load YAML people edit by hand, keeping enough position information to name file and line.

``load`` returns the plain data together with a ``Locator`` that turns a path inside the data
(``("controls", 3, "mappings")``) into a line number, so a pydantic validation error or a bad
reference found later can still point at the place to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditprep.errors import InvalidInput
from auditprep.safeio import read_regular

# libyaml's parser when PyYAML was built with it (about ten times faster); same safe semantics.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_BYTES = 8 * 1024 * 1024  # the whole shipped catalog is a fraction of this
# Aliases (*name) may repeat what an anchor holds; a chain of them grows exponentially ("billion
# laughs"). What aliases add, counted as the nodes a reader would see, is bounded.
MAX_ALIAS_NODES = 10_000


def _expanded_nodes(root: yaml.Node) -> tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded), computed without expanding anything."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if children_done:
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return len(size), size[id(root)]


@dataclass(frozen=True)
class Locator:
    path: Path
    root: yaml.Node | None

    def line(self, loc: Sequence[Any]) -> int:
        """1-based line of the deepest node that ``loc`` reaches."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(part):
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                    line = node.start_mark.line + 1
                else:
                    return line
            else:
                return line
        return line

    def where(self, loc: Sequence[Any] = ()) -> str:
        return f"{self.path}:{self.line(loc)}"


def format_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_duplicate_keys(node: yaml.Node, path: Path) -> None:
    stack = [node]
    seen_nodes: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:  # reached again through an alias: already checked
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in seen:
                    raise InvalidInput(
                        f"{path}:{key_node.start_mark.line + 1}: key '{key}' appears twice in the same "
                        f"mapping (first on line {seen[key]})."
                    )
                seen[key] = key_node.start_mark.line + 1
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def load(path: Path) -> tuple[Any, Locator]:
    """Read and parse one YAML file strictly (UTF-8, no duplicate keys, safe types only)."""
    raw = read_regular(path, MAX_YAML_BYTES, "a YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(
            f"{path}:{line}: the file is not UTF-8 (byte 0x{raw[exc.start]:02x} cannot be decoded); save it as UTF-8."
        ) from None
    try:
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                distinct, expanded = _expanded_nodes(root)
                if expanded - distinct > MAX_ALIAS_NODES:
                    raise InvalidInput(
                        f"{path}: its aliases (*name) would expand to {expanded} values, more than the "
                        f"{MAX_ALIAS_NODES} aliases may add; write the values out instead."
                    )
                _check_duplicate_keys(root, path)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InvalidInput(f"{path}:{line}: YAML syntax error: {problem}.") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: YAML error: {exc}.") from None
    except RecursionError:
        raise InvalidInput(f"{path}: the YAML is nested too deeply.") from None
    return data, Locator(path, root)
