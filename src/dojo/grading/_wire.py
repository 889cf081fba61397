"""The grading wire: length-prefixed JSON messages and the encoding of values.

Values cross between the learner's sandboxed process and the trusted checker
as plain data only. Exact built-in types (None, bool, int, float, str, list,
tuple, dict, set, bytes) are copied; anything else -- including subclasses of
the built-ins, which could lie through ``__eq__``, ``__len__`` or
``__contains__`` -- stays in the learner's process and crosses as a reference
that the checker can only call or inspect through further messages.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import struct
from typing import Any

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_HEADER = struct.Struct("!I")


class WireError(Exception):
    """The other side closed the channel or sent something that is not a message."""


def send(channel: socket.socket, message: dict[str, Any]) -> None:
    """Send one message."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {len(body)} bytes is larger than {MAX_MESSAGE_BYTES}")
    channel.sendall(_HEADER.pack(len(body)) + body)


def receive(channel: socket.socket) -> dict[str, Any]:
    """Receive one message.

    Raises:
        WireError: when the channel closed or the bytes are not a valid message.
    """
    (size,) = _HEADER.unpack(_read_exactly(channel, _HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {size} bytes is larger than {MAX_MESSAGE_BYTES}")
    try:
        message = json.loads(_read_exactly(channel, size))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"garbled message: {error}") from None
    if not isinstance(message, dict):
        raise WireError("garbled message: not an object")
    return message


def _read_exactly(channel: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = channel.recv(min(remaining, 1 << 20))
        if not chunk:
            raise WireError("the channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode(value: Any, make_ref: Any, depth: int = 0) -> Any:
    """Encode ``value`` as JSON data; ``make_ref(obj)`` names objects that stay behind."""
    if depth > 100:
        return make_ref(value)
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if kind is list:
        return [encode(item, make_ref, depth + 1) for item in value]
    if kind is tuple:
        return {"__tuple__": [encode(item, make_ref, depth + 1) for item in value]}
    if kind in (set, frozenset):
        return {"__set__": [encode(item, make_ref, depth + 1) for item in value]}
    if kind is dict:
        return {
            "__dict__": [
                [encode(key, make_ref, depth + 1), encode(item, make_ref, depth + 1)]
                for key, item in value.items()
            ]
        }
    if kind is bytes:
        return {"__bytes__": base64.b64encode(value).decode()}
    return make_ref(value)


def decode(data: Any, resolve_ref: Any) -> Any:
    """Decode what ``encode`` produced; ``resolve_ref(data)`` turns a reference into an object."""
    if isinstance(data, list):
        return [decode(item, resolve_ref) for item in data]
    if not isinstance(data, dict):
        return data
    if "__ref__" in data:
        return resolve_ref(data)
    if "__tuple__" in data:
        return tuple(decode(item, resolve_ref) for item in data["__tuple__"])
    if "__set__" in data:
        return {decode(item, resolve_ref) for item in data["__set__"]}
    if "__dict__" in data:
        return {decode(k, resolve_ref): decode(v, resolve_ref) for k, v in data["__dict__"]}
    if "__bytes__" in data:
        return base64.b64decode(data["__bytes__"])
    if "__float__" in data:
        return float(data["__float__"])
    raise WireError(f"unknown value encoding: {sorted(data)}")
