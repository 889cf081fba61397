"""The ``%%handler`` cell magic: write a handler module from a notebook cell.

``%%handler resize`` saves the cell as ``functions/resize.py`` (next to the notebook), imports it
into the kernel as module ``resize`` (reloading it if it was imported before), so you can call
it directly, and ``aws.package("resize")`` zips it for ``create_function``.
"""

from __future__ import annotations

import importlib
import shlex
import sys
from pathlib import Path
from typing import Any

__all__ = ["register_magics"]

FUNCTIONS_DIR = "functions"


def handler_magic(line: str, cell: str, *, user_ns: dict[str, Any] | None = None) -> Path:
    """Body of ``%%handler <module> [--dir FOLDER]``; returns the file written."""
    args = shlex.split(line)
    if not args or not args[0].isidentifier():
        raise ValueError(
            "Usage: %%handler <module_name> [--dir folder] "
            "(module_name must be a Python identifier)"
        )
    module = args[0]
    folder = Path(args[args.index("--dir") + 1]) if "--dir" in args else Path(FUNCTIONS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(cell, encoding="utf-8")
    location = str(folder.resolve())
    if location not in sys.path:
        sys.path.insert(0, location)
    importlib.invalidate_caches()
    loaded = sys.modules.get(module)
    if (
        loaded is not None
        and loaded.__file__ is not None
        and Path(loaded.__file__).resolve() == path.resolve()
    ):
        loaded = importlib.reload(loaded)
    else:
        sys.modules.pop(module, None)
        loaded = importlib.import_module(module)
    if user_ns is not None:
        user_ns[module] = loaded
    return path


def register_magics(ipython: Any = None) -> bool:
    """Register ``%%handler`` in the running IPython kernel.

    Args:
        ipython: The shell (defaults to the current one).

    Returns:
        True if registered, False when not running under IPython.
    """
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is part of the course image
            return False
        ipython = get_ipython()
    if ipython is None:
        return False

    def handler(line: str, cell: str) -> None:
        path = handler_magic(line, cell, user_ns=ipython.user_ns)
        print(f"Saved {path} and imported module {path.stem!r}.")

    handler.__doc__ = handler_magic.__doc__
    ipython.register_magic_function(handler, magic_kind="cell", magic_name="handler")
    return True
