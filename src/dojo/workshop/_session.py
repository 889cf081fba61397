"""Running a workshop: start the leaderboard and the workshop service, stop them, export results.

``start_workshop`` leaves two background processes (the board and the workshop service with its
grading workers) and a session file (mode 0600: it holds the grader key and the admin token)
under ``.grading/workshop/<cohort>/``; ``stop_workshop`` exports the results there (or to a
folder of your choice) and then stops both processes.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx

from dojo.course import Course
from dojo.errors import DojoError
from dojo.workshop._queue import SubmissionQueue
from dojo.workshop._settings import WorkshopSettings

__all__ = ["WorkshopSession", "export_results", "find_session", "start_workshop", "stop_workshop"]

_COHORT = re.compile(r"^[a-z0-9][a-z0-9-]{0,57}$")


@dataclass(frozen=True)
class WorkshopSession:
    """A running workshop.

    Attributes:
        cohort: The cohort's name.
        url: The workshop service (learners join and submit here).
        board_url: The leaderboard service.
        join_code: The code learners join with.
        admin_token: The cohort's admin token (instructor only).
        grader_key: The key awards are signed with (instructor only).
        state_dir: Where submissions, results and exports are kept.
        pids: Process ids of the workshop service and the board.
    """

    cohort: str
    url: str
    board_url: str
    join_code: str
    admin_token: str
    grader_key: str
    state_dir: Path
    pids: tuple[int, ...]

    @property
    def board_page(self) -> str:
        """The live board to put on the projector."""
        return f"{self.board_url}/c/{self.cohort}"

    def save(self, path: Path) -> None:
        """Write the session (mode 0600: it holds secrets)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.__dict__, "state_dir": str(self.state_dir), "pids": list(self.pids)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1)

    @classmethod
    def load(cls, path: Path) -> WorkshopSession:
        data = json.loads(path.read_text())
        return cls(**{**data, "state_dir": Path(data["state_dir"]), "pids": tuple(data["pids"])})


def _current_file(course: Course) -> Path:
    return course.grading / "workshop" / "current.json"


def find_session(course: Course, cohort: str | None = None) -> WorkshopSession:
    """The session of ``cohort``, or the one started last.

    Raises:
        DojoError: when there is none.
    """
    if cohort is None:
        try:
            cohort = json.loads(_current_file(course).read_text())["cohort"]
        except (OSError, ValueError, KeyError):
            raise DojoError(
                "no workshop is running here (dojo workshop start --cohort NAME)"
            ) from None
    if not _COHORT.match(str(cohort)):
        raise DojoError(f"cohort {cohort!r}: use lower-case letters, digits and dashes")
    path = course.grading / "workshop" / str(cohort) / "session.json"
    if not path.is_file():
        raise DojoError(f"no workshop session for cohort {cohort!r} in {path.parent}")
    return WorkshopSession.load(path)


def parse_time(text: str) -> datetime:
    """An ISO date-time, or ``HH:MM`` today (UTC when no zone is given)."""
    from datetime import UTC

    now = datetime.now(UTC)
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            hour, minute = map(int, text.split(":"))
            return now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DojoError(
            f"--freeze-at {text!r}: give HH:MM (UTC, today) or an ISO date-time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def start_workshop(
    course: Course,
    cohort: str,
    *,
    labs: tuple[str, ...] = (),
    freeze_at: datetime | None = None,
    workers: int | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    teams: bool = True,
    submit_rate: int = 6,
    detach: bool = True,
) -> WorkshopSession:
    """Start the board and the workshop service for ``cohort`` and return the session.

    Args:
        course: The instructor's course (graders/ must be there: gradings use the hidden checks).
        cohort: The session's name (lower-case letters, digits and dashes).
        labs: Assignments open for submission, by name or module (``m03``); default all released.
        freeze_at: When the public board freezes.
        workers: Parallel graders (default: one per core).
        host: Interface both services bind (``0.0.0.0`` for learners on other machines).
        port: The workshop service's port (default: a free one).
        teams: Keep a team board.
        submit_rate: Submissions per learner per minute.
        detach: Let the services outlive this process (``dojo workshop start`` returns at once).

    Raises:
        DojoError: on a bad cohort name, a missing graders/ folder or a session already running.
    """
    from dojo.leaderboard import start_local_board
    from dojo.leaderboard._server import free_port
    from dojo.leaderboard.client import LeaderboardClient
    from dojo.workshop._settings import default_workers

    if not _COHORT.match(cohort):
        raise DojoError(f"cohort {cohort!r}: use lower-case letters, digits and dashes (up to 58)")
    if not course.graders.is_dir():
        raise DojoError(
            "a workshop grades with the hidden checks: this course has no graders/ folder"
        )
    state_dir = course.grading / "workshop" / cohort
    if (state_dir / "session.json").is_file():
        old = WorkshopSession.load(state_dir / "session.json")
        if any(_alive(pid) for pid in old.pids):
            raise DojoError(
                f"workshop {cohort!r} is running already at {old.url} (dojo workshop stop)"
            )
        raise DojoError(
            f"workshop {cohort!r} ran before; its results are in {state_dir} "
            "(choose another cohort name)"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "services.log").open("ab")
    board = start_local_board(
        db_url=f"sqlite:///{state_dir / 'board.sqlite3'}", host=host, log=log, detach=detach
    )
    try:
        with LeaderboardClient(board.url, grader_key=board.grader_key) as client:
            created = client.create_cohort(cohort, title=f"Workshop {cohort}", freeze_at=freeze_at)
            if teams:
                client.create_cohort(
                    f"{cohort}-teams", title=f"Workshop {cohort}: teams", freeze_at=freeze_at
                )
        settings = WorkshopSettings(
            course_root=course.root,
            state_dir=state_dir,
            board_url=board.url,
            cohort=cohort,
            join_code=created["join_code"],
            assignments=tuple(labs),
            teams=teams,
            workers=workers or default_workers(),
            submit_rate=submit_rate,
        )
        port = port or free_port(host)
        settings = replace(settings, public_url=f"http://{host}:{port}")
        settings.save(state_dir / "settings.json")
        env = {
            **os.environ,
            "DOJO_GRADER_KEY": board.grader_key,
            "DOJO_WORKSHOP_ADMIN_TOKEN": created["admin_token"],
        }
        service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dojo.workshop",
                "serve",
                "--settings",
                str(state_dir / "settings.json"),
                "--host",
                host,
                "--port",
                str(port),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
        session = WorkshopSession(
            cohort,
            settings.public_url,
            board.url,
            created["join_code"],
            created["admin_token"],
            board.grader_key,
            state_dir,
            (service.pid, board.pid),
        )
        session.save(state_dir / "session.json")
        _wait_healthy(session.url, service)
    except BaseException:
        for pid in ((service.pid,) if "service" in locals() else ()) + (board.pid,):
            _terminate(pid)
        raise
    current = _current_file(course)
    current.write_text(json.dumps({"cohort": cohort, "url": session.url}))
    return session


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DojoError(
                f"the workshop service exited with code {process.returncode} at start "
                "(see services.log in the session folder)"
            )
        try:
            if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise DojoError(f"the workshop service did not answer on {url} within {timeout:g} s")


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM ``pid`` (a process this module started), then SIGKILL after ``timeout``."""
    if not _alive(pid):
        return
    # A detached service leads its own process group, which holds its grading children too:
    # signal the group so no grading outlives the session. Otherwise only the process itself.
    group = _own_group(pid)
    _signal(pid, group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    _signal(pid, group, signal.SIGKILL)
    while _alive(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)


def _own_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _signal(pid: int, group: bool, sig: signal.Signals) -> None:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_workshop(
    course: Course, cohort: str | None = None, *, out: Path | None = None
) -> dict[str, Path]:
    """Export the results, then stop the services of a session.

    Returns:
        The exported files by kind (``results``, ``submissions``, ``board``, ``teams``).
    """
    session = find_session(course, cohort)
    try:
        files = export_results(session, out or session.state_dir / "export")
    finally:
        for pid in session.pids:
            _terminate(pid)
        current = _current_file(course)
        if current.is_file() and json.loads(current.read_text()).get("cohort") == session.cohort:
            current.unlink()
    return files


def export_results(session: WorkshopSession, out: Path) -> dict[str, Path]:
    """Write ``results.csv`` (rank, learner, team, best per task), ``submissions.csv`` and the
    boards as self-contained HTML pages into ``out``."""
    from dojo.leaderboard.client import LeaderboardClient

    out.mkdir(parents=True, exist_ok=True)
    queue = SubmissionQueue(session.state_dir)
    try:
        enrolments, submissions = queue.enrolments(), queue.all()
    finally:
        queue.close()
    best: dict[str, dict[str, float]] = {}
    for sub in submissions:
        result = sub.result or {}
        gameday = [{"task": "gameday", **result["gameday"]}] if "gameday" in result else []
        for task in [*result.get("tasks", []), *gameday]:
            column = f"{sub.assignment}/{task['task']}"
            mine = best.setdefault(sub.learner, {})
            mine[column] = max(mine.get(column, 0.0), float(task["points"]))
    with LeaderboardClient(session.board_url, token=session.admin_token) as client:
        board = client.board(session.cohort, limit=100)  # admin: true ranks, even when frozen
    with httpx.Client(base_url=session.board_url, timeout=10) as web:  # the public pages
        css = web.get("/static/board.css").text
        pages = {"board": web.get(f"/c/{session.cohort}", params={"limit": 100}).text}
        if web.get(f"/api/cohorts/{session.cohort}-teams").status_code == 200:
            pages["teams"] = web.get(f"/c/{session.cohort}-teams", params={"limit": 100}).text
    ranks = {entry["id"]: entry["rank"] for entry in board["entries"] if entry.get("id")}
    columns = sorted({column for mine in best.values() for column in mine})
    rows = []
    for enrolment in enrolments:
        mine = best.get(enrolment.learner, {})
        rows.append(
            [
                ranks.get(enrolment.learner, ""),
                enrolment.name,
                enrolment.learner,
                enrolment.team or "",
                f"{sum(mine.values()):g}",
                *(f"{mine.get(c, 0):g}" for c in columns),
            ]
        )
    rows.sort(key=lambda row: (row[0] == "", row[0] if row[0] != "" else 0, -float(row[4])))
    files = {"results": out / "results.csv", "submissions": out / "submissions.csv"}
    with files["results"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "name", "learner", "team", "total", *columns])
        writer.writerows(rows)
    with files["submissions"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "learner",
                "assignment",
                "notebook",
                "status",
                "score",
                "max_score",
                "submitted_at",
                "graded_at",
                "error",
            ]
        )
        for sub in submissions:
            result = sub.result or {}
            writer.writerow(
                [
                    sub.id,
                    sub.learner,
                    sub.assignment,
                    sub.notebook,
                    sub.status,
                    result.get("score", ""),
                    result.get("max_score", ""),
                    _iso(sub.submitted_at),
                    _iso(sub.finished_at),
                    sub.error or "",
                ]
            )
    for kind, page in pages.items():
        files[kind] = out / f"{kind}.html"
        files[kind].write_text(_standalone(page, css))
    return files


def _iso(stamp: float | None) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp else ""


def _standalone(page: str, css: str) -> str:
    """The page with its stylesheet inlined and its live script removed (a snapshot to keep)."""
    page = page.replace(
        '<link rel="stylesheet" href="/static/board.css">',
        f"<style>{html.escape(css, quote=False)}</style>",
    )
    return re.sub(r'<script src="/static/board\.js" defer></script>\n?', "", page)
