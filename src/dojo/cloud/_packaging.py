"""Deployment packages: zip source for ``create_function(Code={"ZipFile": ...})``."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import textwrap
import types
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["package", "zip_code"]

# A fixed timestamp keeps packages byte-identical run to run (so CodeSha256 is stable).
_EPOCH = (2020, 1, 1, 0, 0, 0)


def zip_code(files: Mapping[str, str | bytes]) -> bytes:
    """Build a deployment package from file names and contents.

    Args:
        files: Mapping of path inside the zip (``"app.py"``, ``"lib/util.py"``) to its source
            text or bytes.

    Returns:
        The zip archive as bytes, ready for ``Code={"ZipFile": ...}``. The same input always
        gives the same bytes.

    Raises:
        ValueError: if ``files`` is empty or a path is absolute or climbs out of the package.

    Example:
        >>> code = zip_code({"app.py": "def handler(event, context):\\n    return 42\\n"})
        >>> lam.create_function(..., Handler="app.handler", Code={"ZipFile": code})
    """
    if not files:
        raise ValueError("zip_code() needs at least one file, e.g. {'app.py': source}.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            clean = name.replace("\\", "/")
            if clean.startswith("/") or ".." in Path(clean).parts:
                raise ValueError(
                    f"Package paths must be relative and stay inside the package: {name!r}"
                )
            content = files[name]
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            info = zipfile.ZipInfo(clean, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _source_of(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        raise ValueError(
            f"Cannot read the source of {obj!r} ({exc}). Define it in a file or a notebook cell, "
            "or pass the source text to zip_code() yourself."
        ) from exc


def package(
    obj: types.ModuleType | Callable[..., Any] | str | Path | Iterable[Any],
    *,
    module: str | None = None,
    imports: Iterable[str] = (),
    extra_files: Mapping[str, str | bytes] | None = None,
) -> bytes:
    """Package an existing module, function, file or folder as a deployment zip.

    * a **module** object, a ``.py`` path, or a module name (a file saved by ``%%handler`` in
      ``functions/``, else an importable module): its source becomes ``<module>.py``;
    * a **folder** path: every file under it, paths relative to the folder;
    * a **function** (for example one defined in a notebook cell): its source is written to
      ``<module>.py`` (default ``lambda_function.py``) after the ``imports`` lines, so use
      handler ``lambda_function.<function name>``. The function must be self-contained: put
      the imports it needs in ``imports`` or inside its body;
    * a list of functions: all of them go into the same module.

    Args:
        obj: What to package (see above).
        module: Module name inside the zip (defaults to the module's own name, or
            ``lambda_function`` for functions).
        imports: Lines placed at the top of a module built from functions.
        extra_files: More files to add, as for :func:`zip_code`.

    Returns:
        The zip archive as bytes.
    """
    files: dict[str, str | bytes] = {}
    if isinstance(obj, str) and not Path(obj).exists():
        saved = Path("functions") / f"{obj}.py"  # written by the %%handler magic
        if saved.is_file():
            obj = saved
        elif obj.isidentifier() and importlib.util.find_spec(obj) is not None:
            obj = importlib.import_module(obj)
        else:
            raise ValueError(
                f"package({obj!r}): no such file or folder, no {saved} (from %%handler), "
                "and no importable module of that name."
            )
    if isinstance(obj, (str, Path)):
        path = Path(obj)
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_file() and "__pycache__" not in item.parts:
                    files[item.relative_to(path).as_posix()] = item.read_bytes()
        elif path.is_file():
            files[f"{module or path.stem}.py"] = path.read_text(encoding="utf-8")
        else:
            raise ValueError(f"package() got {str(obj)!r}, which is neither a file nor a folder.")
    elif isinstance(obj, types.ModuleType):
        name = module or obj.__name__.rsplit(".", 1)[-1]
        files[f"{name}.py"] = _source_of(obj)
    else:
        funcs = list(obj) if isinstance(obj, Iterable) else [obj]
        if not funcs or not all(callable(f) for f in funcs):
            raise ValueError(
                f"package() expects a module, a function, a path or functions; got {obj!r}."
            )
        parts = [line for line in imports]
        parts += [textwrap.dedent(_source_of(f)) for f in funcs]
        files[f"{module or 'lambda_function'}.py"] = "\n".join(parts) + "\n"
    files.update(extra_files or {})
    return zip_code(files)
