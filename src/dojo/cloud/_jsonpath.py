"""The JSONPath subset AWS uses in EventBridge (InputPath, InputTransformer) and Step Functions.

Supported: ``$``, ``$.a.b``, ``$['a-b']``, ``$.list[0]``, ``$.list[-1]``, ``$.list[*].x`` and
``$.list[1:3]`` (the last two return lists). Enough for ASL reference paths and EventBridge; filter
expressions (``[?(@.x > 1)]``) raise :class:`PathError`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING", "PathError", "get", "put", "tokens"]

MISSING: Any = object()
"""Returned by :func:`get` (with ``default=MISSING``) when a path does not exist."""

_TOKEN = re.compile(
    r"\.(?P<name>[^.\[\]]+)|\[(?P<index>-?\d+)\]|\['(?P<quoted>[^']*)'\]|\[\"(?P<dquoted>[^\"]*)\"\]"
    r"|\[(?P<star>\*)\]|\[(?P<slice>-?\d*:-?\d*)\]"
)


class PathError(ValueError):
    """A path that is malformed or does not match the data."""


def tokens(path: str) -> list[tuple[str, Any]]:
    """Split a path into (kind, value) steps."""
    if not path.startswith("$"):
        raise PathError(f"path {path!r} must start with '$'")
    out: list[tuple[str, Any]] = []
    pos = 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match:
            raise PathError(f"cannot read path {path!r} at {path[pos:]!r}")
        if match.group("name") is not None:
            name = match.group("name")
            out.append(("star", None) if name == "*" else ("key", name))
        elif match.group("index") is not None:
            out.append(("index", int(match.group("index"))))
        elif match.group("quoted") is not None:
            out.append(("key", match.group("quoted")))
        elif match.group("dquoted") is not None:
            out.append(("key", match.group("dquoted")))
        elif match.group("star") is not None:
            out.append(("star", None))
        else:
            a, b = match.group("slice").split(":")
            out.append(("slice", (int(a) if a else None, int(b) if b else None)))
        pos = match.end()
    return out


def get(data: Any, path: str, default: Any = MISSING) -> Any:
    """Read ``path`` from ``data``.

    Raises:
        PathError: if the path does not exist and no ``default`` was given.
    """
    try:
        return _walk(data, tokens(path))
    except (KeyError, IndexError, TypeError):
        if default is not MISSING:
            return default
        raise PathError(f"path {path!r} does not match the data") from None


def _walk(data: Any, steps: list[tuple[str, Any]]) -> Any:
    for i, (kind, value) in enumerate(steps):
        if kind == "key":
            if not isinstance(data, dict):
                raise TypeError(value)
            data = data[value]
        elif kind == "index":
            if not isinstance(data, list):
                raise TypeError(value)
            data = data[value]
        elif kind == "slice":
            data = data[value[0] : value[1]]
        else:
            items = list(data.values()) if isinstance(data, dict) else list(data)
            rest = steps[i + 1 :]
            result = []
            for item in items:
                try:
                    result.append(_walk(item, rest))
                except (KeyError, IndexError, TypeError):
                    continue
            return result
    return data


def put(data: Any, path: str, value: Any) -> Any:
    """Return a copy of ``data`` with ``value`` written at ``path`` (ASL ResultPath)."""
    steps = tokens(path)
    if not steps:
        return value
    if any(kind not in ("key", "index") for kind, _ in steps):
        raise PathError(f"cannot write to path {path!r}")
    root = _copy(data) if isinstance(data, (dict, list)) else {}
    node = root
    for kind, key in steps[:-1]:
        if kind == "key":
            child = node.get(key) if isinstance(node, dict) else None
            child = _copy(child) if isinstance(child, (dict, list)) else {}
            node[key] = child
        else:
            child = _copy(node[key])
            node[key] = child
        node = child
    node[steps[-1][1]] = value
    return root


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value)
