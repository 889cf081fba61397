"""Amazon States Language pieces with no state: paths, Parameters, intrinsics and Choice rules.

The interpreter (:mod:`dojo.cloud._stepfunctions`) uses these; they are pure functions over JSON
values, so they are easy to test and to reuse in the course's ASL linter.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from . import _jsonpath

__all__ = ["StatesError", "apply_parameters", "evaluate_choice", "intrinsic", "read_path"]


class StatesError(Exception):
    """An ASL error (``States.TaskFailed``, a Lambda ``errorType`` ...) with its cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


def read_path(path: str, data: Any, context: dict[str, Any]) -> Any:
    """Read a reference path: ``$...`` from ``data``, ``$$...`` from the context object."""
    try:
        if path.startswith("$$"):
            return _jsonpath.get(context, path[1:])
        return _jsonpath.get(data, path)
    except _jsonpath.PathError as exc:
        raise StatesError("States.Runtime", f"Invalid path {path!r}: {exc}") from None


def apply_parameters(template: Any, data: Any, context: dict[str, Any], rng: random.Random) -> Any:
    """Evaluate a ``Parameters`` / ``ResultSelector`` / ``ItemSelector`` template."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise StatesError("States.Runtime", f"{key} must be a path or intrinsic")
                out[key[:-2]] = (
                    intrinsic(value, data, context, rng)
                    if value.startswith("States.")
                    else read_path(value, data, context)
                )
            else:
                out[key] = apply_parameters(value, data, context, rng)
        return out
    if isinstance(template, list):
        return [apply_parameters(item, data, context, rng) for item in template]
    return template


# -- intrinsic functions ---------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<path>\$\$?[^,()\s]*)"
    r"|(?P<func>States\.[A-Za-z0-9]+)\s*\(|(?P<lit>null|true|false)|(?P<close>\))|(?P<comma>,))"
)


def intrinsic(text: str, data: Any, context: dict[str, Any], rng: random.Random) -> Any:
    """Evaluate an intrinsic function call such as ``States.Format('Hi {}', $.name)``."""
    value, pos = _call(text, 0, data, context, rng)
    if text[pos:].strip():
        raise StatesError("States.Runtime", f"Unexpected text after intrinsic: {text[pos:]!r}")
    return value


def _call(
    text: str, pos: int, data: Any, context: dict[str, Any], rng: random.Random
) -> tuple[Any, int]:
    match = _TOKEN.match(text, pos)
    if not match or not match.group("func"):
        raise StatesError("States.Runtime", f"Not an intrinsic function: {text!r}")
    name = match.group("func")
    pos = match.end()
    args: list[Any] = []
    while True:
        match = _TOKEN.match(text, pos)
        if not match:
            raise StatesError("States.Runtime", f"Cannot parse intrinsic {text!r} at {pos}")
        if match.group("close"):
            pos = match.end()
            break
        if match.group("comma"):
            pos = match.end()
            continue
        if match.group("func"):
            value, pos = _call(text, match.start(), data, context, rng)
            args.append(value)
            continue
        if match.group("str") is not None:
            raw = match.group("str")[1:-1]
            args.append(re.sub(r"\\(.)", r"\1", raw))
        elif match.group("num") is not None:
            number = match.group("num")
            args.append(float(number) if "." in number else int(number))
        elif match.group("path") is not None:
            args.append(read_path(match.group("path"), data, context))
        else:
            args.append({"null": None, "true": True, "false": False}[match.group("lit")])
        pos = match.end()
    return _function(name, args, rng), pos


def _function(name: str, args: list[Any], rng: random.Random) -> Any:
    short = name.split(".", 1)[1]
    try:
        if short == "Format":
            template, values = str(args[0]), list(args[1:])
            parts = re.split(r"(?<!\\)\{\}", template)
            if len(parts) - 1 != len(values):
                raise StatesError(
                    "States.IntrinsicFailure",
                    f"States.Format has {len(parts) - 1} placeholders and {len(values)} values",
                )
            out = parts[0]
            for value, part in zip(values, parts[1:], strict=True):
                out += (value if isinstance(value, str) else json.dumps(value)) + part
            return out.replace("\\{", "{").replace("\\}", "}")
        if short == "StringToJson":
            return json.loads(args[0])
        if short == "JsonToString":
            return json.dumps(args[0], separators=(",", ":"))
        if short == "Array":
            return list(args)
        if short == "ArrayPartition":
            items, size = list(args[0]), int(args[1])
            return [items[i : i + size] for i in range(0, len(items), size)]
        if short == "ArrayContains":
            return args[1] in args[0]
        if short == "ArrayRange":
            start, end, step = (int(a) for a in args)
            return list(range(start, end + (1 if step > 0 else -1), step))
        if short == "ArrayGetItem":
            return args[0][int(args[1])]
        if short == "ArrayLength":
            return len(args[0])
        if short == "ArrayUnique":
            seen: list[Any] = []
            for item in args[0]:
                if item not in seen:
                    seen.append(item)
            return seen
        if short == "Base64Encode":
            return base64.b64encode(str(args[0]).encode()).decode()
        if short == "Base64Decode":
            return base64.b64decode(str(args[0])).decode()
        if short == "Hash":
            algorithm = {
                "MD5": "md5",
                "SHA-1": "sha1",
                "SHA-256": "sha256",
                "SHA-384": "sha384",
                "SHA-512": "sha512",
            }[args[1]]
            return hashlib.new(algorithm, str(args[0]).encode()).hexdigest()
        if short == "JsonMerge":
            if args[2]:
                raise StatesError("States.IntrinsicFailure", "Deep merge is not supported by AWS")
            return {**args[0], **args[1]}
        if short == "MathRandom":
            seeded = random.Random(args[2]) if len(args) > 2 else rng
            return seeded.randint(int(args[0]), int(args[1]) - 1)
        if short == "MathAdd":
            return int(args[0]) + int(args[1])
        if short == "StringSplit":
            return [
                part
                for part in re.split("|".join(map(re.escape, str(args[1]))), str(args[0]))
                if part
            ]
        if short == "UUID":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError("States.IntrinsicFailure", f"{name}: {exc}") from None
    raise StatesError("States.Runtime", f"Unknown intrinsic function {name}")


# -- Choice rules ----------------------------------------------------------------------------
_COMPARATOR = re.compile(
    r"^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|"
    r"GreaterThanEquals|Matches)(Path)?$"
)


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _matches_regex(pattern: str) -> str:
    """StringMatches: ``*`` is a wildcard, ``\\*`` a literal star."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if pattern[i] == "*" else re.escape(pattern[i]))
        i += 1
    return "".join(out)


def evaluate_choice(rule: dict[str, Any], data: Any, context: dict[str, Any]) -> bool:
    """Does a Choice rule (with And/Or/Not, comparators, Is* tests) match ``data``?"""
    if "And" in rule:
        return all(evaluate_choice(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate_choice(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate_choice(rule["Not"], data, context)
    variable = rule.get("Variable")
    if variable is None:
        raise StatesError("States.Runtime", f"Choice rule without Variable: {rule}")
    try:
        value = (
            _jsonpath.get(context, variable[1:])
            if variable.startswith("$$")
            else _jsonpath.get(data, variable)
        )
        present = True
    except _jsonpath.PathError:
        value, present = None, False
    if "IsPresent" in rule:
        return present == bool(rule["IsPresent"])
    tests: dict[str, Callable[[Any], bool]] = {
        "IsNull": lambda v: v is None,
        "IsNumeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "IsString": lambda v: isinstance(v, str),
        "IsBoolean": lambda v: isinstance(v, bool),
        "IsTimestamp": lambda v: _timestamp(v) is not None,
    }
    for name, test in tests.items():
        if name in rule:
            return present and test(value) == bool(rule[name])
    if not present:
        raise StatesError(
            "States.Runtime",
            f"Invalid path {variable!r}: the choice state's input has no such field",
        )
    for key, expected in rule.items():
        match = _COMPARATOR.match(key)
        if not match:
            continue
        kind, op, is_path = match.groups()
        if is_path:
            expected = read_path(expected, data, context)
        left: Any
        right: Any
        if kind == "String":
            if not isinstance(value, str):
                return False
            if op == "Matches":
                return re.fullmatch(_matches_regex(str(expected)), value, re.DOTALL) is not None
            left, right = value, str(expected)
        elif kind == "Numeric":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            left, right = value, expected
        elif kind == "Boolean":
            return isinstance(value, bool) and value == expected
        else:
            left, right = _timestamp(value), _timestamp(expected)
            if left is None or right is None:
                return False
        return bool(
            {
                "Equals": left == right,
                "LessThan": left < right,
                "GreaterThan": left > right,
                "LessThanEquals": left <= right,
                "GreaterThanEquals": left >= right,
            }[op]
        )
    raise StatesError("States.Runtime", f"Choice rule has no comparator: {rule}")
