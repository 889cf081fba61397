"""Benchmark: `dojo grade` against plain serial `nbgrader autograde` on the same 100 submissions.

Builds a scratch course whose exercise has three all-or-nothing check cells (so
both graders must agree on every score), writes 100 submissions with varied
answers (full, partial, wrong, crashing), grades them once with `dojo grade`
(sandboxed, trusted checks, one worker per core) and once with nbgrader's own
autograde in a single serial process, and prints wall time, submissions per
second, the speed-up and whether the scores are identical.

    python bench/grading/run.py [--submissions 100] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from dojo.course import Course
from dojo.grading import grade_submissions
from dojo.release import release

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "bench"
TASKS = {
    "area": ("def area(w, h):\n    ### BEGIN SOLUTION\n    return w * h\n    ### END SOLUTION",
             "assert area(2, 3) == 6\nassert area(0, 5) == 0"),
    "shout": ("def shout(text):\n    ### BEGIN SOLUTION\n    return text.upper() + '!'\n    ### END SOLUTION",
              "assert shout('hi') == 'HI!'"),
    "evens": ("def evens(n):\n    ### BEGIN SOLUTION\n    return [i for i in range(n) if i % 2 == 0]\n"
              "    ### END SOLUTION", "assert evens(5) == [0, 2, 4]"),
}
WRONG = {"area": "def area(w, h):\n    return w + h", "shout": "def shout(text):\n    return text",
         "evens": "def evens(n):\n    return list(range(n))"}
RIGHT = {"area": "def area(w, h):\n    return w * h", "shout": "def shout(text):\n    return text.upper() + '!'",
         "evens": "def evens(n):\n    return list(range(0, n, 2))"}


def _meta(grade_id: str, **flags: object) -> dict:
    fields = {"grade": False, "locked": False, "solution": False, "task": False, **flags}
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **fields}}


def build_course(root: Path, dojo_config: bool) -> Course:
    """A course with the benchmark exercise; nbgrader's defaults when ``dojo_config`` is False."""
    if dojo_config:
        shutil.copy(ROOT / "nbgrader_config.py", root)
    else:
        (root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            "c.CourseDirectory.root = r'%s'\n"
            "c.CourseDirectory.source_directory = 'solutions'\n"
            "c.CourseDirectory.release_directory = 'exercises'\n" % root
        )
    cells = []
    for name, (answer, check) in TASKS.items():
        cells.append(new_code_cell(answer, metadata=_meta(f"{name}_answer", solution=True)))
        cells.append(new_code_cell(check, metadata=_meta(f"{name}_check", grade=True, locked=True, points=2)))
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                  "display_name": "Python 3"}})
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(notebook, root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    course = Course(root)
    release(course, ASSIGNMENT)
    return course


def write_submissions(course: Course, folder: Path, count: int) -> None:
    """``count`` learners: full, partial, wrong and crashing answers in turn."""
    released = nbformat.read(course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for index in range(count):
        kind = index % 4
        notebook = nbformat.from_dict(released)
        for position, name in enumerate(TASKS):
            if kind == 0 or (kind == 1 and position != 1):
                answer = RIGHT[name]
            elif kind == 2:
                answer = WRONG[name]
            else:
                answer = "raise RuntimeError('crash while importing')" if position == 0 else RIGHT[name]
            notebook.cells[2 * position].source = answer
        learner = folder / f"learner{index:03d}"
        learner.mkdir(parents=True)
        nbformat.write(notebook, learner / f"{ASSIGNMENT}.ipynb")


def nbgrader_serial(course: Course, submissions: Path) -> tuple[float, dict[str, float]]:
    """Plain nbgrader: generate, then one serial `nbgrader autograde` over every learner."""
    from nbgrader.api import Gradebook

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for learner in submissions.iterdir():
        shutil.copytree(learner, course.root / "submitted" / learner.name / ASSIGNMENT)
    run = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*run, "generate_assignment", ASSIGNMENT, "--force"], cwd=course.root, env=env,
                   check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*run, "autograde", ASSIGNMENT, "--force"], cwd=course.root, env=env, check=True,
                   capture_output=True)
    elapsed = time.perf_counter() - start
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        scores = {s.student.id: float(s.score) for s in gradebook.find_assignment(ASSIGNMENT).submissions}
    return elapsed, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dojo-bench-") as scratch:
        base = Path(scratch)
        (base / "dojo").mkdir()
        (base / "plain").mkdir()
        dojo_course = build_course(base / "dojo", dojo_config=True)
        plain_course = build_course(base / "plain", dojo_config=False)
        write_submissions(dojo_course, base / "submissions", options.submissions)

        start = time.perf_counter()
        run = grade_submissions(dojo_course, ASSIGNMENT, base / "submissions", workers=options.workers)
        dojo_seconds = time.perf_counter() - start
        dojo_scores = {row.learner: row.score for row in run.rows}

        plain_seconds, plain_scores = nbgrader_serial(plain_course, base / "submissions")

    n = options.submissions
    print(f"submissions: {n}  workers: {options.workers}  cores: {os.cpu_count()}")
    print(f"dojo grade:               {dojo_seconds:7.1f} s  {n / dojo_seconds:6.2f} submissions/s")
    print(f"nbgrader autograde (serial): {plain_seconds:4.1f} s  {n / plain_seconds:6.2f} submissions/s")
    print(f"speed-up: {plain_seconds / dojo_seconds:.2f}x  (target: 3x)")
    same = dojo_scores == plain_scores
    print(f"identical scores: {same}  problems: {len(run.problems)}")
    if not same:
        differing = sorted(k for k in plain_scores if dojo_scores.get(k) != plain_scores[k])[:10]
        print("differing:", {k: (dojo_scores.get(k), plain_scores.get(k)) for k in differing})


if __name__ == "__main__":
    main()
