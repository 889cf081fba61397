"""The course map links every lesson and exercise, and every link leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from dojo.course import Course

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course(ROOT)
INDEX = ROOT / "course" / "index.ipynb"
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)\)")


def _links() -> list[str]:
    notebook = nbformat.read(INDEX, as_version=4)
    return [link for cell in notebook.cells if cell.cell_type == "markdown" for link in LINK.findall(cell.source)]


def _target(link: str) -> Path:
    """Where a link leads; links into my-work/ lead to the released exercise it is copied from."""
    path = (INDEX.parent / link).resolve()
    if COURSE.my_work in path.parents:
        return COURSE.exercises / path.relative_to(COURSE.my_work)
    return path


def test_every_link_on_the_course_map_leads_to_a_notebook() -> None:
    """Check that no link on the course map is broken."""
    broken = [link for link in _links() if not _target(link).is_file()]
    assert not broken


def test_the_course_map_links_every_lesson_and_every_exercise() -> None:
    """Check that each lesson in course/ and each released notebook is reachable from the map."""
    linked = {_target(link) for link in _links()}
    lessons = {path.resolve() for path in (ROOT / "course").glob("*.ipynb") if path != INDEX}
    exercises = {path.resolve() for path in COURSE.exercises.glob("*/*.ipynb")}
    assert lessons | exercises <= linked, sorted(str(p) for p in (lessons | exercises) - linked)
