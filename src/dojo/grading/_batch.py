"""``dojo grade``: grade many submissions in parallel, resumably, and export the results."""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dojo._nbgrader import course_config, run_converter
from dojo.course import Course
from dojo.errors import DojoError
from dojo.grading._late import due_dates
from dojo.grading._submissions import Problem, Submission, find_submissions, stage


@dataclass
class GradeRow:
    """One learner's result for the assignment."""

    learner: str
    score: float
    max_score: float
    tasks: dict[str, float]
    late_penalty: float = 0.0
    reused: bool = False
    task_max: dict[str, float] = field(default_factory=dict)


@dataclass
class GradeRun:
    """What a ``dojo grade`` run produced."""

    assignment: str
    rows: list[GradeRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def graded(self) -> int:
        return sum(1 for row in self.rows if not row.reused)

    def summary(self) -> str:
        reused = len(self.rows) - self.graded
        lines = [f"{self.assignment}: graded {self.graded}, unchanged {reused}, problems {len(self.problems)}"]
        lines += [f"  problem: {p.learner}: {p.reason}" for p in self.problems]
        return "\n".join(lines)


def grade_submissions(
    course: Course,
    assignment: str,
    source: Path,
    *,
    out: Path | None = None,
    feedback: Path | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], ProgressCallback] | None = None,
) -> GradeRun:
    """Grade every submission of ``assignment`` found in ``source``.

    Submissions that did not change since they were last graded (same files,
    same checks) are not graded again. A submission that cannot be graded is
    reported in ``GradeRun.problems`` and never stops the others.

    Args:
        course: the instructor's course (with solutions and graders).
        assignment: assignment name.
        source: folder, zip file or nbgrader exchange holding the submissions.
        out: CSV file to write (an LMS export is written beside it).
        feedback: folder for per-learner feedback HTML.
        workers: parallel graders (default: one per core).
        on_progress: called with the number of submissions to grade; returns a
            callback invoked with each learner id as it finishes.
    """
    course.require_assignment(assignment)
    notebooks = sorted(p.name for p in (course.solutions / assignment).glob("*.ipynb"))
    _register_assignment(course, assignment)
    state = _State(course.grading / "dojo-grade" / f"{assignment}.json")
    fingerprint = _checks_fingerprint(course, assignment)
    run = GradeRun(assignment)
    with tempfile.TemporaryDirectory(prefix="dojo-grade-") as scratch:
        found, run.problems = find_submissions(Path(source), assignment, notebooks, Path(scratch))
        todo: list[Submission] = []
        for submission in found:
            digest = _digest(submission.folder, fingerprint)
            previous = state.get(submission.learner)
            if previous and previous.get("digest") == digest:
                run.rows.append(GradeRow(**previous["row"] | {"reused": True}))
                if feedback:
                    _feedback_for(course, assignment, submission.learner, feedback)
            else:
                stage(submission, course.grading / "submitted" / submission.learner / assignment)
                todo.append(submission)
                state.pending[submission.learner] = digest
        done = on_progress(len(todo)) if on_progress else (lambda learner: None)
        for learner, outcome in _grade_all(course, assignment, [s.learner for s in todo], feedback, workers):
            if isinstance(outcome, GradeRow):
                run.rows.append(outcome)
                state.record(learner, outcome)
            else:
                run.problems.append(Problem(learner, outcome))
            done(learner)
    run.rows.sort(key=lambda row: row.learner)
    if out:
        write_csv(run, Path(out))
    return run


def _grade_all(
    course: Course, assignment: str, learners: list[str], feedback: Path | None, workers: int | None
) -> Any:
    """Yield (learner, GradeRow or problem text) as parallel workers finish."""
    if not learners:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(learners)))
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_take_slot, initargs=(counter,)) as pool:
        jobs = {
            pool.submit(_grade_one, str(course.root), assignment, learner, str(feedback or "")): learner
            for learner in learners
        }
        for job in as_completed(jobs):
            learner = jobs[job]
            try:
                yield learner, job.result()
            except Exception as error:  # a crashed grading is reported, never lost
                yield learner, f"grading failed: {error}"


_slot = 0


def _take_slot(counter: Any) -> None:
    """Give each worker its own sandbox slot (its own unprivileged user)."""
    global _slot
    with counter.get_lock():
        _slot = counter.value
        counter.value += 1


def _grade_one(root: str, assignment: str, learner: str, feedback: str) -> GradeRow | str:
    """Autograde one learner's submission (runs in a worker process)."""
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde

    course = Course(Path(root))
    config = course_config(course)
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.student_id = learner
    config.Autograde.force = True
    config.Autograde.create_student = True
    config.SandboxedGrading.slot = _slot
    try:
        _with_retry(lambda: run_converter(Autograde, config))
    except DojoError as error:
        return str(error)
    tasks: dict[str, float] = {}
    task_max: dict[str, float] = {}
    for path in (course.grading / "checks" / assignment / learner).glob("*.json"):
        for name, result in json.loads(path.read_text()).items():
            tasks[name], task_max[name] = result["score"], result["max_score"]
    with Gradebook(config.CourseDirectory.db_url) as gradebook:
        submission = gradebook.find_submission(assignment, learner)
        penalty = float(submission.late_submission_penalty or 0)
        # nbgrader keeps the penalty beside the score; the score a learner gets is the difference.
        row = GradeRow(learner, float(submission.score) - penalty, float(submission.max_score), tasks,
                       penalty, task_max=task_max)
    if feedback:
        _feedback_for(course, assignment, learner, Path(feedback), regenerate=True)
    return row


def _feedback_for(course: Course, assignment: str, learner: str, target: Path, regenerate: bool = False) -> None:
    """Generate (when needed) the learner's feedback HTML and copy it to ``target/<learner>/``."""
    from nbgrader.converters import GenerateFeedback

    pages = course.grading / "feedback" / learner / assignment
    if regenerate or not any(pages.glob("*.html")):
        config = course_config(course)
        config.CourseDirectory.assignment_id = assignment
        config.CourseDirectory.student_id = learner
        config.GenerateFeedback.force = True
        run_converter(GenerateFeedback, config)
    _copy_feedback(pages, target / learner)


def _with_retry(action: Callable[[], None], attempts: int = 3) -> None:
    """Run ``action``, again when SQLite was briefly locked by another worker."""
    for attempt in range(attempts):
        try:
            action()
            return
        except DojoError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise


def _copy_feedback(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for page in source.glob("*.html"):
        shutil.copy2(page, target / page.name)


def _register_assignment(course: Course, assignment: str) -> None:
    """Record the assignment's source notebooks and due date in the gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.converters import GenerateAssignment

    config = course_config(course)
    with tempfile.TemporaryDirectory(prefix="dojo-release-") as release:
        config.CourseDirectory.release_directory = release
        config.CourseDirectory.assignment_id = assignment
        config.GenerateAssignment.force = True
        run_converter(GenerateAssignment, config)
    db = Path(config.CourseDirectory.db_url.removeprefix("sqlite:///"))
    if config.CourseDirectory.db_url.startswith("sqlite:///") and db.exists():
        # Parallel workers write their grades at once: WAL lets them wait instead of fail.
        with sqlite3.connect(db) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    due = due_dates(config.LatePenalty.get("policies", {})).get(assignment)
    if due is not None:
        with Gradebook(config.CourseDirectory.db_url) as gradebook:
            gradebook.update_or_create_assignment(assignment, duedate=due)


def _checks_fingerprint(course: Course, assignment: str) -> str:
    """A digest of everything that decides scores besides the submission."""
    digest = hashlib.sha256()
    for folder in (course.solutions / assignment, course.graders / assignment):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.name.encode() + path.read_bytes())
    digest.update((course.root / "nbgrader_config.py").read_bytes())
    return digest.hexdigest()


def _digest(folder: Path, fingerprint: str) -> str:
    digest = hashlib.sha256(fingerprint.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


class _State:
    """What earlier runs graded: a digest and the result per learner (resumable runs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        self.pending: dict[str, str] = {}

    def get(self, learner: str) -> dict[str, Any] | None:
        return self.saved.get(learner)

    def record(self, learner: str, row: GradeRow) -> None:
        self.saved[learner] = {"digest": self.pending[learner], "row": asdict(row) | {"reused": False}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.saved, indent=1))
        partial.replace(self.path)


def write_csv(run: GradeRun, out: Path) -> None:
    """Write ``learner,assignment,score,max_score,<task>...`` and an LMS export beside it."""
    tasks = sorted({task for row in run.rows for task in row.tasks})
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "assignment", "score", "max_score", "late_penalty", *tasks])
        for row in run.rows:
            writer.writerow([row.learner, run.assignment, f"{row.score:g}", f"{row.max_score:g}",
                             f"{row.late_penalty:g}", *(f"{row.tasks.get(t, 0):g}" for t in tasks)])
    lms = out.with_name(out.stem + "-lms" + out.suffix)
    with lms.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "points", "points_possible", "percent"])
        for row in run.rows:
            percent = 100 * row.score / row.max_score if row.max_score else 0
            writer.writerow([row.learner, run.assignment, f"{row.score:g}", f"{row.max_score:g}",
                             f"{percent:.1f}"])


def push_to_leaderboard(run: GradeRun, client: Any, cohort: str) -> int:
    """Award each learner's task scores to a leaderboard cohort; returns how many were new.

    A late penalty scales every task of the submission by the same factor.
    """
    created = 0
    for row in run.rows:
        before = sum(row.tasks.values())
        factor = row.score / before if before else 0.0
        for task, points in sorted(row.tasks.items()):
            most = row.task_max.get(task, points)
            created += award_task(client, cohort, run.assignment, row.learner, task, points * factor, most)
    return created


def award_task(
    client: Any, cohort: str, assignment: str, learner: str, task: str, points: float, max_points: float
) -> bool:
    """Award one task's points (rounded: the board counts whole points); True when it was new.

    The idempotency key names cohort, assignment, learner, task and points, so sending
    the same result again records nothing, while a better score is a new award.
    """
    awarded = round(points)
    key = hashlib.sha256(f"{cohort}|{assignment}|{learner}|{task}|{awarded}".encode()).hexdigest()
    answer = client.award(
        cohort, learner, task, awarded, round(max_points), key,
        assignment=assignment, module=assignment_module(assignment),
    )
    return bool(answer.get("created", True))


def assignment_module(assignment: str) -> str:
    """The module an assignment belongs to: ``m03`` for ``m03-s3-event-pipelines``."""
    head = assignment.split("-", 1)[0]
    return head if head[:1] == "m" and head[1:].isdigit() else assignment
