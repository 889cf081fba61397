"""``dojo bundle``: the course as an instructor hands it to learners, with nothing to give away.

The bundle holds ``course/``, ``exercises/``, ``labs/``, the library (``src/``), the files that
install it (README.md, Makefile, pyproject.toml, environment.yml, nbgrader_config.py) and a
learner-safe test set, so ``make lab`` and ``make test`` work inside it. It never holds
``solutions/``, ``graders/``, ``.grading/`` or the project's own tests; every file is scanned for
solution and hidden-test markers and for the text of the hidden checks before the archive is
written, and a leak stops the build.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dojo.course import Course
from dojo.errors import DojoError

__all__ = ["BundleReport", "build_bundle", "find_leaks", "hidden_text", "marker_lines"]

TOP = "serverless-dojo"
FOLDERS = ("course", "exercises", "labs", "src")
FILES = (
    "README.md",
    "Makefile",
    "pyproject.toml",
    "environment.yml",
    "nbgrader_config.py",
    ".gitignore",
)
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".grading", "my-work"}
_SKIP_NAMES = ("solution", "grader", "hidden")  # lab files named so stay with the instructor
# Spelled in pieces so that this module, which ships in the bundle's src/, does not match itself.
MARKERS = tuple(
    f"{edge} {what}" for edge in ("BEGIN", "END") for what in ("SOLUTION", "HIDDEN TESTS")
)
_MARKER_LINE = re.compile(r"^(#+|//+|--|%+)?\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")

LEARNER_TESTS = {
    # `make test` runs this first; the course's own installs PostgreSQL and Chromium for the
    # instructor's database and browser tests, which learners neither get nor need.
    ".ci/system-deps.sh": (
        "#!/usr/bin/env bash\n# The learner tests need no system programs.\nexit 0\n"
    ),
    "tests/__init__.py": "",
    "tests/test_bundle.py": '''"""The learner's copy of the course is whole and gives nothing away.

These are the tests ``make test`` runs in a learner bundle: the full test suite needs the
solutions and graders, which learners do not get.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER_LINE = r"^(#+|//+|--|%+)?\\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\\s*$"
EXERCISES = sorted(
    p for p in (ROOT / "exercises").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


def test_no_solutions_or_graders_are_here() -> None:
    """Check that the instructor-only folders are not part of the bundle."""
    assert not (ROOT / "solutions").exists()
    assert not (ROOT / "graders").exists()


def test_no_solution_or_hidden_test_markers() -> None:
    """Check that no cell or file of the course holds an nbgrader solution or hidden-test marker."""
    found = []
    for folder in ("course", "exercises", "labs"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_text(errors="ignore")
            if path.suffix == ".ipynb":
                text = "\\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            if any(re.match(MARKER_LINE, line.strip()) for line in text.splitlines()):
                found.append(str(path.relative_to(ROOT)))
    assert not found


def test_there_are_exercises() -> None:
    """Check that the exercise list is not empty by mistake."""
    assert EXERCISES


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.parent.name)
def test_exercise_is_intact(path: Path) -> None:
    """Check that each exercise opens, has graded check cells and no outputs."""
    notebook = nbformat.read(path, as_version=4)
    graded = [c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert graded, f"{path.name} has no graded cells"
    assert not any(c.cell_type == "code" and c.outputs for c in notebook.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.parent.name)
def test_untouched_exercise_is_graded_zero(path: Path) -> None:
    """Check that grading an untouched exercise works and earns no point."""
    from dojo.course import Course
    from dojo.grading import check_notebook

    report = check_notebook(Course(ROOT), path, path.parent.name)
    assert report.tasks
    assert sum(task.points for task in report.tasks) == 0
''',
}


@dataclass(frozen=True)
class BundleReport:
    """What went into a bundle."""

    path: Path
    files: int
    bytes: int

    def __str__(self) -> str:
        return f"bundle: {self.path} ({self.files} files, {self.bytes / 1e6:.1f} MB)"


def _members(course: Course) -> Iterator[tuple[str, Path]]:
    """(name in the bundle, file on disk) for everything a learner gets."""
    for folder in FOLDERS:
        root = course.root / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            relative = path.relative_to(course.root)
            if not path.is_file() or _SKIP_PARTS & set(relative.parts):
                continue
            if any(part.endswith(".egg-info") for part in relative.parts):
                continue
            if folder == "labs" and any(word in path.name.lower() for word in _SKIP_NAMES):
                continue
            yield relative.as_posix(), path
    for name in FILES:
        if (course.root / name).is_file():
            yield name, course.root / name


def hidden_text(course: Course) -> set[str]:
    """Fragments of the hidden checks that must never reach learners.

    For every function under ``graders/`` decorated with ``@hidden(...)``: its ``fail=`` message,
    its ``def name(`` line, its docstring, and each line of its body of 30 characters or more
    that neither the library nor the lessons hold (a check calls the APIs the lessons teach; such
    lines give nothing away). Module data and helpers are not included: graders share them with
    released data files and lab scripts on purpose.
    """
    always: set[str] = set()
    lines: set[str] = set()
    for path in sorted(course.graders.rglob("*.py")) if course.graders.is_dir() else ():
        text = path.read_text(errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        source = text.splitlines()
        for function, fail in _hidden_checks(tree):
            always.add(f"def {function.name}(")
            if fail:
                always.add(fail)
            doc = ast.get_docstring(function)
            if doc and len(doc) >= 12:
                always.add(doc)
            body = source[function.body[0].lineno - 1 : function.end_lineno]
            lines |= {line.strip() for line in body if len(line.strip()) >= 30}
    public = "\n".join(
        path.read_text(errors="ignore")
        for folder in ("src", "course")
        for path in sorted((course.root / folder).rglob("*"))
        if path.is_file()
        and path.suffix in (".py", ".ipynb", ".md")
        and "__pycache__" not in path.parts
    )
    return always | {line for line in lines if line not in public}


def _hidden_checks(tree: ast.Module) -> list[tuple[ast.FunctionDef, str | None]]:
    """The functions decorated with ``hidden(...)`` and their ``fail=`` messages."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            name = getattr(decorator.func, "id", getattr(decorator.func, "attr", ""))
            if name != "hidden":
                continue
            fail = next(
                (
                    kw.value.value
                    for kw in decorator.keywords
                    if kw.arg == "fail"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ),
                None,
            )
            found.append((node, fail))
    return found


def marker_lines(name: str, data: bytes) -> list[str]:
    """The nbgrader solution or hidden-test marker lines in a file (cell sources of a notebook).

    A marker is a line that holds nothing else (``### BEGIN SOLUTION``); prose that names one,
    such as a guide for course authors, is not a marker.
    """
    text = data.decode(errors="ignore")
    sources = [text]
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
            sources = ["".join(c.get("source", "")) for c in cells if isinstance(c, dict)]
        except (ValueError, AttributeError):
            pass
    return [
        line.strip()
        for source in sources
        for line in source.splitlines()
        if _MARKER_LINE.match(line.strip())
    ]


def _docstring(tree: ast.Module) -> ast.AST | None:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.value
    return None


def find_leaks(files: dict[str, bytes], secret: set[str]) -> list[str]:
    """Names of bundle files that are instructor-only or hold a marker or hidden-check text."""
    leaks = []
    for name, data in files.items():
        top = name.split("/", 1)[0]
        if top in ("solutions", "graders", ".grading"):
            leaks.append(f"{name}: instructor-only folder")
            continue
        text = data.decode(errors="ignore")
        markers = marker_lines(name, data)
        if markers:
            leaks.append(f"{name}: contains the marker {markers[0]!r}")
            continue
        fragment = next((f for f in secret if f in text), None)
        if fragment:
            leaks.append(f"{name}: contains hidden check text {fragment[:40]!r}")
    return leaks


def build_bundle(course: Course, out: Path) -> BundleReport:
    """Write the learner bundle to ``out`` (``.zip``, or ``.tar.gz``) and return what it holds.

    Raises:
        DojoError: when a file would leak a solution, a grader or a hidden check (then nothing
            is written).
    """
    out = Path(out)
    if not (course.exercises.is_dir() and any(course.exercises.iterdir())):
        raise DojoError("nothing to hand out: exercises/ is empty (run dojo release first)")
    files = {name: path.read_bytes() for name, path in _members(course)}
    files.update({name: text.encode() for name, text in LEARNER_TESTS.items()})
    leaks = find_leaks(files, hidden_text(course))
    if leaks:
        raise DojoError(
            "the bundle would give away instructor material; nothing written:\n  "
            + "\n  ".join(leaks)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    if out.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(partial, "w:gz") as archive:
            for name, data in sorted(files.items()):
                info = tarfile.TarInfo(f"{TOP}/{name}")
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                archive.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(
                    zipfile.ZipInfo(f"{TOP}/{name}", (2000, 1, 1, 0, 0, 0)),
                    data,
                    zipfile.ZIP_DEFLATED,
                )
    partial.replace(out)
    return BundleReport(out, len(files), out.stat().st_size)
