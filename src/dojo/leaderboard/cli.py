"""The ``dojo leaderboard`` command group (attached to ``dojo`` by the main CLI)."""

from __future__ import annotations

import re
from datetime import datetime

import click

from dojo.leaderboard._db import default_db_url
from dojo.leaderboard._models import Conflict
from dojo.leaderboard._schemas import COHORT_PATTERN
from dojo.leaderboard._server import serve as _serve
from dojo.leaderboard._settings import Settings
from dojo.leaderboard._store import Store

__all__ = ["leaderboard"]

_DB = click.option(
    "--db",
    "db_url",
    envvar="DOJO_LEADERBOARD_DB",
    default=None,
    metavar="URL",
    help="Database URL (default: the embedded SQLite file; env DOJO_LEADERBOARD_DB).",
)


@click.group()
def leaderboard() -> None:
    """Run the leaderboard service and manage cohorts."""


@leaderboard.command()
@_DB
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--grader-key",
    envvar="DOJO_GRADER_KEY",
    default=None,
    help="Key graders sign awards with (env DOJO_GRADER_KEY).",
)
def serve(db_url: str | None, host: str, port: int, grader_key: str | None) -> None:
    """Serve the leaderboard API and live pages."""
    if not grader_key:
        raise click.UsageError(
            "a grader key is needed to accept awards: pass --grader-key or set DOJO_GRADER_KEY"
        )
    settings = Settings(db_url=db_url or default_db_url(), grader_key=grader_key)
    click.echo(f"leaderboard on http://{host}:{port} (database {settings.db_url})", err=True)
    _serve(settings, host, port)


@leaderboard.group()
def cohort() -> None:
    """Manage cohorts."""


@cohort.command("create")
@click.argument("name")
@_DB
@click.option("--title", default=None, help="Title shown on the page (default: NAME).")
@click.option(
    "--freeze-at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    default=None,
    help="Freeze the public board at this time, e.g. 2027-03-01T18:00+0000.",
)
@click.option(
    "--first-solve-bonus",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Extra points for the first full-marks solve of each task.",
)
def create(
    name: str,
    db_url: str | None,
    title: str | None,
    freeze_at: datetime | None,
    first_solve_bonus: int,
) -> None:
    """Create cohort NAME and print its admin token and join code."""
    if not re.fullmatch(COHORT_PATTERN, name):
        raise click.BadParameter(
            "use lower-case letters, digits and dashes (at most 64), e.g. spring-2027",
            param_hint="NAME",
        )
    if freeze_at is not None and freeze_at.tzinfo is None:
        raise click.BadParameter("give a UTC offset, e.g. +0000", param_hint="--freeze-at")
    store = Store.open(db_url or default_db_url())
    try:
        new = store.create_cohort(
            name, title=title, freeze_at=freeze_at, first_solve_bonus=first_solve_bonus
        )
    except Conflict as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"cohort:      {new.cohort.name}")
    click.echo(f"join code:   {new.cohort.join_code}")
    click.echo(f"admin token: {new.admin_token}")
