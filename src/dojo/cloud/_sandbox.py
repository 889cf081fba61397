"""Keeping a handler run apart from the host process: modules, output and log records.

While a handler runs, its zip's modules are put in ``sys.modules`` and the zip folder is first on
``sys.path``; afterwards both are restored, so two functions (or two environments of one
function) never share globals, and a notebook module with the same name as a handler module is
not disturbed. stdout/stderr and log records are collected as Lambda log lines.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
import traceback
import zipfile
from typing import Any

__all__ = ["LambdaLogHandler", "LineSink", "Sandbox", "top_level_names"]


class LineSink(io.TextIOBase):
    """A text stream that collects complete lines (stdout/stderr of a handler)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = self._partial + text
        *complete, self._partial = data.split("\n")
        self._lines.extend(complete)
        return len(text)

    def flush_partial(self) -> None:
        if self._partial:
            self._lines.append(self._partial)
            self._partial = ""


class LambdaLogHandler(logging.Handler):
    """Formats log records as the AWS Python runtime does: [LEVEL] time request_id message."""

    def __init__(self, lines: list[str], request_id: str) -> None:
        super().__init__()
        self._lines = lines
        self._request_id = request_id

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        stamp += f".{int(record.msecs):03d}Z"
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken format string in user code
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        self._lines.extend(
            f"[{record.levelname}]\t{stamp}\t{self._request_id}\t{message}".split("\n")
        )


class Sandbox:
    """Keeps one environment's modules out of ``sys.modules`` except while it runs."""

    def __init__(self, code_dir: str, top_names: set[str]) -> None:
        self.code_dir = code_dir
        self.top_names = top_names
        self.private: dict[str, Any] = {}
        self._saved: dict[str, Any] = {}
        self._size = 0
        self._scanned = False

    def _owned(self, name: str) -> bool:
        return name.partition(".")[0] in self.top_names

    def activate(self) -> None:
        modules = sys.modules
        if not self._scanned:  # first time: hide any same-named modules of the host process
            names = [n for n in modules if self._owned(n)]
            self._scanned = True
        else:
            names = [n for n in (*self.top_names, *self.private) if n in modules]
        self._saved = {n: modules.pop(n) for n in names}
        modules.update(self.private)
        sys.path.insert(0, self.code_dir)
        self._size = len(modules)

    def deactivate(self) -> None:
        modules = sys.modules
        if len(modules) != self._size or not self.private:
            names = [n for n in modules if self._owned(n)]
        else:
            names = [n for n in self.private if n in modules]
        for name in names:
            self.private[name] = modules.pop(name)
        modules.update(self._saved)
        self._saved = {}
        with contextlib.suppress(ValueError):  # user code may have removed it
            sys.path.remove(self.code_dir)


def top_level_names(archive: zipfile.ZipFile) -> set[str]:
    names: set[str] = set()
    for member in archive.namelist():
        first = member.split("/", 1)[0]
        if first.endswith(".py"):
            first = first[:-3]
        if first and first.isidentifier() and first != "__pycache__":
            names.add(first)
    return names
