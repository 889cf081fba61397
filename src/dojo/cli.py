"""The ``dojo`` command: a thin layer over the library, one call per command."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from dojo.course import Course
from dojo.errors import DojoError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn a DojoError into a one-line message and exit status 1, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DojoError as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


class LazyGroup(click.Group):
    """A command group whose heavier subcommands are imported only when they are run.

    ``dojo --help`` and ``dojo check`` then do not pay for importing the leaderboard's
    web stack; the listed help text of a lazy command is given here instead.
    """

    lazy: dict[str, tuple[str, str]] = {
        "cloud": ("dojo.cloud.cli:cloud_group", "Serve the local cloud to other processes and the AWS CLI."),
        "leaderboard": ("dojo.leaderboard.cli:leaderboard", "Run the leaderboard service and manage cohorts."),
        "workshop": ("dojo.workshop.cli:workshop", "Run a live workshop: board, server-side grading, teams."),
        "join": ("dojo.workshop.cli:join", "Join a live workshop with the join code."),
        "submit": ("dojo.workshop.cli:submit", "Submit a notebook to the workshop and see your score."),
        "bundle": ("dojo.workshop.cli:bundle", "Build the learner bundle: no solutions, no graders."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, _, attribute = self.lazy[name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, self.lazy[name][1] if name in self.lazy and name not in self.commands
             else self.commands[name].get_short_help_str(limit=formatter.width))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="serverless-dojo")
def main() -> None:
    """Serverless Dojo: build AWS serverless architectures locally and get graded.

    Run commands from inside the course folder (or set DOJO_COURSE_DIR).
    """


@main.command("release")
@click.argument("assignment", required=False)
@reports_errors
def release_command(assignment: str | None) -> None:
    """Regenerate exercises/ from solutions/.

    ASSIGNMENT is one assignment folder name (for example m00-orientation);
    without it every assignment is released.
    """
    from dojo.release import release

    for name in release(Course.find(), assignment):
        click.echo(f"released {name} -> exercises/{name}/")


@main.command("check")
@click.argument("target", metavar="NOTEBOOK_OR_ASSIGNMENT")
@click.option(
    "--assignment",
    metavar="NAME",
    help="Assignment the notebook belongs to (found from the notebook's name when omitted).",
)
@click.option(
    "--hidden",
    is_flag=True,
    help="Also run the hidden checks in graders/ (instructors; learners do not have them).",
)
@reports_errors
def check_command(target: str, assignment: str | None, hidden: bool) -> None:
    """Grade your work the way autograding does and show points per task.

    NOTEBOOK_OR_ASSIGNMENT is a notebook file, or an assignment name such as
    m00-orientation, which checks your copies in my-work/<assignment>/.
    Exits 0 whenever the notebook could be graded, whatever the score.
    """
    from dojo.grading import check_notebook

    course = Course.find()
    if hidden and not course.graders.is_dir():
        raise DojoError("--hidden needs the graders/ folder, which this copy of the course does not have")
    reports = []
    for notebook in _notebooks_to_check(course, target):
        reports.append(check_notebook(course, notebook, assignment, hidden=hidden))
        click.echo(str(reports[-1]))
    if not hidden and not Path(target).suffix:
        _award_to_local_board(course, reports)


def _award_to_local_board(course: Course, reports: list[Any]) -> None:
    """Put a learner's checked assignment on their leaderboard, when one is running."""
    from dojo.selfpaced import award_reports, find_board

    board = find_board(course)
    if board is None or not board.grader_key:
        click.echo("leaderboard: not running (make lab starts one)")
        return
    created = award_reports(board, reports)
    click.echo(f"leaderboard: {created} new awards at {board.url}")


def _notebooks_to_check(course: Course, target: str) -> list[Path]:
    """The notebook named by ``target``, or the learner's notebooks of an assignment."""
    path = Path(target)
    if path.suffix == ".ipynb" or path.exists() or os.sep in target:
        return [path]
    course.require_assignment(target, course.exercises)
    notebooks = sorted((course.my_work / target).glob("*.ipynb"))
    if not notebooks:
        raise DojoError(
            f"no working copy of {target} in my-work/{target}/: "
            "`make lab` creates it, or pass a notebook path"
        )
    return notebooks


@main.command("grade")
@click.argument("assignment")
@click.option(
    "--submissions",
    "source",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Folder <learner>/<notebook>.ipynb, a zip of one, or an nbgrader exchange.",
)
@click.option("--out", type=click.Path(path_type=Path), help="CSV of scores (an LMS export is written beside it).")
@click.option("--feedback", type=click.Path(path_type=Path), help="Folder for per-learner feedback HTML.")
@click.option("--workers", type=click.IntRange(min=1), help="Parallel graders (default: one per core).")
@click.option("--push", "push_url", metavar="URL", help="Award the scores to this leaderboard.")
@click.option("--cohort", help="Leaderboard cohort for --push.")
@click.option(
    "--grader-key",
    envvar="DOJO_GRADER_KEY",
    help="Key that signs awards for --push (default: $DOJO_GRADER_KEY).",
)
@reports_errors
def grade_command(
    assignment: str,
    source: Path,
    out: Path | None,
    feedback: Path | None,
    workers: int | None,
    push_url: str | None,
    cohort: str | None,
    grader_key: str | None,
) -> None:
    """Grade every submission of ASSIGNMENT in parallel, sandboxed, with hidden checks.

    Unchanged submissions that were graded before are not graded again. Grades go
    to the nbgrader gradebook; a submission that cannot be graded is listed with
    the reason and never stops the others.
    """
    from rich.progress import Progress

    from dojo.grading import grade_submissions

    if push_url and not (cohort and grader_key):
        raise DojoError("--push needs --cohort and a grader key (--grader-key or DOJO_GRADER_KEY)")
    with Progress(transient=True) as progress:

        def start(total: int):  # type: ignore[no-untyped-def]
            bar = progress.add_task(f"grading {assignment}", total=total)
            return lambda learner: progress.advance(bar)

        run = grade_submissions(
            Course.find(), assignment, source, out=out, feedback=feedback, workers=workers, on_progress=start
        )
    click.echo(run.summary())
    if out:
        click.echo(f"scores: {out}")
    if push_url and cohort and grader_key:
        import httpx

        from dojo.grading._batch import push_to_leaderboard
        from dojo.leaderboard.client import LeaderboardClient, LeaderboardError

        try:
            with LeaderboardClient(push_url, grader_key=grader_key) as client:
                created = push_to_leaderboard(run, client, cohort)
        except (LeaderboardError, httpx.HTTPError) as error:
            raise DojoError(f"pushing to {push_url} failed: {error}") from None
        click.echo(f"leaderboard: {created} new awards in cohort {cohort}")


@main.command("lab")
@click.option("--port", type=int, default=None, help="Port for JupyterLab (default: 8888 or the next free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@reports_errors
def lab_command(port: int | None, no_browser: bool) -> None:
    """Prepare your exercises and start JupyterLab on the course map."""
    from dojo._nbgrader import ensure_tools_on_path
    from dojo.lab import lab_command as command_for, prepare_workspace

    from dojo.selfpaced import ensure_local_board

    course = Course.find()
    for folder in prepare_workspace(course):
        click.echo(f"your copy: {folder.relative_to(course.root)}/")
    click.echo(f"leaderboard: {ensure_local_board(course).url}")
    ensure_tools_on_path()
    command = command_for(course, port=port, open_browser=not no_browser)
    sys.stdout.flush()
    os.chdir(course.root)
    os.execv(command[0], command)
