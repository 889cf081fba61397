"""Finding learners' submissions in a folder, a zip of one, or an nbgrader exchange."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dojo.errors import DojoError, NotebookError
from dojo.notebooks import read_notebook

_LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")


@dataclass(frozen=True)
class Submission:
    """One learner's files for an assignment."""

    learner: str
    folder: Path
    timestamp: str | None = None


@dataclass(frozen=True)
class Problem:
    """A submission that could not be graded, and why."""

    learner: str
    reason: str


def find_submissions(
    source: Path, assignment: str, notebooks: list[str], scratch: Path
) -> tuple[list[Submission], list[Problem]]:
    """The gradable submissions under ``source`` and the problems with the others.

    ``source`` is a folder ``<learner>/<notebook>.ipynb`` (or
    ``<learner>/<assignment>/<notebook>.ipynb``), a zip file of such a folder, or
    an nbgrader exchange (``<course>/inbound/<learner>+<assignment>+<time>/``;
    the latest submission of each learner counts).

    Raises:
        DojoError: when ``source`` does not exist or is none of these.
    """
    if not source.exists():
        raise DojoError(f"{source}: no such file or folder")
    if source.is_file():
        source = _unzip(source, scratch)
    inbound = _inbound_folder(source)
    candidates = _from_exchange(inbound, assignment) if inbound else _from_folder(source, assignment)
    found, problems = [], []
    for submission in candidates:
        reason = _problem_with(submission, notebooks)
        if reason:
            problems.append(Problem(submission.learner, reason))
        else:
            found.append(submission)
    return found, problems


def _unzip(archive: Path, scratch: Path) -> Path:
    if not zipfile.is_zipfile(archive):
        raise DojoError(f"{archive}: not a folder and not a zip file")
    target = scratch / "unzipped"
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.namelist():
            path = (target / member).resolve()
            if not path.is_relative_to(target.resolve()):
                raise DojoError(f"{archive}: refusing entry {member!r}, which points outside the archive")
        bundle.extractall(target)
    entries = [entry for entry in target.iterdir() if not entry.name.startswith(("__MACOSX", "."))]
    only_folder = len(entries) == 1 and entries[0].is_dir() and not any(entries[0].glob("*.ipynb"))
    if only_folder and all(child.is_dir() for child in entries[0].iterdir()):
        return entries[0]
    return target


def _inbound_folder(source: Path) -> Path | None:
    if source.name == "inbound":
        return source
    direct = source / "inbound"
    if direct.is_dir():
        return direct
    nested = [folder for folder in source.glob("*/inbound") if folder.is_dir()]
    return nested[0] if len(nested) == 1 else None


def _from_exchange(inbound: Path, assignment: str) -> list[Submission]:
    latest: dict[str, tuple[str, Path]] = {}
    for folder in inbound.iterdir():
        parts = folder.name.split("+")
        if not folder.is_dir() or len(parts) < 3 or parts[1] != assignment:
            continue
        learner, stamp = parts[0], parts[2]
        if learner not in latest or stamp > latest[learner][0]:
            latest[learner] = (stamp, folder)
    return [
        Submission(learner, folder, _timestamp(folder) or stamp)
        for learner, (stamp, folder) in sorted(latest.items())
    ]


def _from_folder(source: Path, assignment: str) -> list[Submission]:
    found = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        inner = folder / assignment
        files = inner if inner.is_dir() else folder
        found.append(Submission(folder.name, files, _timestamp(files)))
    return found


def _timestamp(folder: Path) -> str | None:
    stamp = folder / "timestamp.txt"
    return stamp.read_text().strip() or None if stamp.is_file() else None


def _problem_with(submission: Submission, notebooks: list[str]) -> str:
    if not _LEARNER_ID.match(submission.learner):
        return f"learner id {submission.learner!r} has characters nbgrader cannot use"
    present = [name for name in notebooks if (submission.folder / name).is_file()]
    if not present:
        return f"no notebook named {' or '.join(notebooks)} in {submission.folder.name}/"
    for name in present:
        try:
            read_notebook(submission.folder / name)
        except NotebookError as error:
            return str(error).replace(str(submission.folder.parent) + "/", "")
    return ""


def stage(submission: Submission, target: Path) -> None:
    """Copy a submission into nbgrader's ``submitted/<learner>/<assignment>/`` folder."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(submission.folder, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    if submission.timestamp:
        (target / "timestamp.txt").write_text(submission.timestamp)
