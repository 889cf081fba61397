"""Workshop commands, attached to ``dojo`` by the main CLI.

``dojo workshop start|stop|status|chaos`` for the instructor; ``dojo join``, ``dojo submit`` for
learners; ``dojo bundle`` for what learners are handed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dojo.cli import reports_errors as _reports_errors
from dojo.course import Course
from dojo.errors import DojoError

__all__ = ["bundle", "join", "submit", "workshop"]


@click.group()
def workshop() -> None:
    """Run a live workshop: the board, server-side grading, teams and game day."""


@workshop.command("start")
@click.option(
    "--cohort", required=True, help="Name of the session (lower-case letters, digits, dashes)."
)
@click.option(
    "--labs",
    default="",
    metavar="m03,...",
    help="Assignments or modules open for submission (default: all).",
)
@click.option(
    "--freeze-at",
    metavar="TIME",
    help="Freeze the public board at HH:MM (UTC) or an ISO date-time.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Parallel graders (default: one per core)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (0.0.0.0 for a classroom).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port of the workshop service (default: a free one).",
)
@click.option("--no-teams", is_flag=True, help="Do not keep a team board.")
@click.option(
    "--submit-rate",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Submissions per learner per minute.",
)
@_reports_errors
def start(
    cohort: str,
    labs: str,
    freeze_at: str | None,
    workers: int | None,
    host: str,
    port: int | None,
    no_teams: bool,
    submit_rate: int,
) -> None:
    """Start the leaderboard and the grading workers; print the join code and the board."""
    from dojo.workshop._session import parse_time, start_workshop

    session = start_workshop(
        Course.find(),
        cohort,
        labs=tuple(x for x in labs.split(",") if x),
        freeze_at=parse_time(freeze_at) if freeze_at else None,
        workers=workers,
        host=host,
        port=port,
        teams=not no_teams,
        submit_rate=submit_rate,
    )
    click.echo(f"workshop {session.cohort} is running")
    click.echo(f"  join code: {session.join_code}")
    click.echo(f"  board:     {session.board_page}")
    if not no_teams:
        click.echo(f"  teams:     {session.board_page}-teams")
    click.echo(
        f"  learners:  dojo join {session.join_code} --url {session.url} "
        "--name 'Your Name' [--team T]"
    )
    click.echo(f"  stop:      dojo workshop stop --cohort {session.cohort}")


@workshop.command("stop")
@click.option("--cohort", help="The session (default: the one started last).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for results.csv, submissions.csv and the boards as HTML.",
)
@_reports_errors
def stop(cohort: str | None, out: Path | None) -> None:
    """Export the results and stop the workshop."""
    from dojo.workshop._session import stop_workshop

    for kind, path in stop_workshop(Course.find(), cohort, out=out).items():
        click.echo(f"{kind}: {path}")


@workshop.command("status")
@click.option("--cohort", help="The session (default: the one started last).")
@_reports_errors
def status(cohort: str | None) -> None:
    """Show the queue: waiting, being graded, graded, failed."""
    import httpx

    from dojo.workshop._session import find_session

    session = find_session(Course.find(), cohort)
    try:
        queue = httpx.get(f"{session.url}/api/queue", timeout=5).json()
    except httpx.HTTPError as error:
        raise DojoError(
            f"workshop {session.cohort} does not answer at {session.url}: {error}"
        ) from None
    click.echo(f"workshop {session.cohort} at {session.url}  (board {session.board_page})")
    click.echo(
        f"  queued {queue['queued']}, grading {queue['grading']} on {queue['workers']} workers, "
        f"graded {queue['done']}, failed {queue['error']}"
    )


@workshop.command("chaos")
@click.argument("kind", type=click.Choice(["fail", "throttle", "outage", "clear", "show"]))
@click.argument("target", required=False)
@click.option(
    "--rate", type=click.FloatRange(0, 1, min_open=True), help="Share of calls that fail."
)
@click.option("--cohort", help="The session (default: the one started last).")
@_reports_errors
def chaos(kind: str, target: str | None, rate: float | None, cohort: str | None) -> None:
    """Game day: add a fault to the session's chaos spec, clear it, or show it.

    \b
    dojo workshop chaos fail dynamodb:PutItem   a failing downstream (service[:operation])
    dojo workshop chaos throttle resize         a throttled Lambda function
    dojo workshop chaos outage us-east-1        a region outage
    """
    import httpx

    from dojo.workshop._chaos import parse_fault
    from dojo.workshop._session import find_session

    session = find_session(Course.find(), cohort)
    current = httpx.get(f"{session.url}/api/chaos", timeout=5).json()["chaos"] or {"faults": []}
    if kind in ("fail", "throttle", "outage"):
        if not target:
            raise DojoError(f"chaos {kind} needs a target (see dojo workshop chaos --help)")
        current = {"faults": [*current["faults"], parse_fault(kind, target, rate)]}
    elif kind == "clear":
        current = {}
    if kind != "show":
        answer = httpx.put(
            f"{session.url}/api/chaos",
            json=current,
            timeout=5,
            headers={"Authorization": f"Bearer {session.admin_token}"},
        )
        if answer.status_code != 200:
            raise DojoError(f"chaos refused: {answer.json().get('detail', answer.text)}")
        current = answer.json()["chaos"] or {}
    click.echo(json.dumps(current or {"faults": []}, indent=1))


@click.command("join")
@click.argument("code")
@click.option("--name", required=True, help="Your display name on the board.")
@click.option("--team", help="Your team's name (the team board ranks teams).")
@click.option(
    "--url", envvar="DOJO_WORKSHOP_URL", help="The workshop's URL (the instructor shows it)."
)
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
@_reports_errors
def join(code: str, name: str, team: str | None, url: str | None, credentials: Path | None) -> None:
    """Join a live workshop with the CODE the instructor shows."""
    from dojo.workshop._client import WorkshopClient, credentials_file

    url = url or _local_workshop_url()
    with WorkshopClient(url) as client:
        joined = client.join(code, name, team)
    path = joined.save(credentials_file(credentials))
    click.echo(f"joined {joined.cohort} as {joined.name}" + (f" (team {team})" if team else ""))
    click.echo(f"board: {joined.board_url}")
    click.echo(f"token saved in {path}")


def _local_workshop_url() -> str:
    """The workshop started on this machine, for learners sharing the instructor's course folder."""
    try:
        course = Course.find()
        return str(json.loads((course.grading / "workshop" / "current.json").read_text())["url"])
    except (DojoError, OSError, ValueError, KeyError):
        raise DojoError(
            "which workshop? pass --url URL (the instructor shows it) or set DOJO_WORKSHOP_URL"
        ) from None


@click.command("submit")
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--assignment", help="Assignment the notebook belongs to (found from its name when omitted)."
)
@click.option("--no-wait", is_flag=True, help="Return once the server has stored the submission.")
@click.option(
    "--timeout", type=float, default=600, show_default=True, help="Seconds to wait for the result."
)
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
@_reports_errors
def submit(
    notebook: Path, assignment: str | None, no_wait: bool, timeout: float, credentials: Path | None
) -> None:
    """Send NOTEBOOK to the workshop: the server grades it and shows your score and position."""
    from dojo.workshop._client import Credentials, WorkshopClient, credentials_file

    joined = Credentials.load(credentials_file(credentials))
    with WorkshopClient(joined.url, token=joined.token) as client:
        sent = client.submit(notebook, assignment)
        click.echo(
            f"submitted {notebook.name} to {sent['assignment']} (submission {sent['id']}); "
            f"place in queue: {sent['position']}"
        )
        if no_wait:
            return
        seen: set[int] = set()

        def progress(answer: dict[str, Any]) -> None:
            if answer["status"] == "queued" and answer["position"] not in seen:
                seen.add(answer["position"])
                click.echo(f"  waiting: {answer.get('progress', '')}")

        result = client.wait(sent["id"], timeout=timeout, on_update=progress)
    click.echo(str(result))
    if result.status == "error":
        raise SystemExit(1)


@click.command("bundle")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("serverless-dojo-learner.zip"),
    show_default=True,
    help="Archive to write (.zip or .tar.gz).",
)
@_reports_errors
def bundle(out: Path) -> None:
    """Build what learners get: no solutions, no graders, no hidden checks."""
    from dojo.workshop._bundle import build_bundle

    click.echo(str(build_bundle(Course.find(), out)))
    click.echo("learners unpack it and run: make lab   (and make test)")
