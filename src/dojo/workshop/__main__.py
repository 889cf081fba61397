"""``python -m dojo.workshop serve``: the service process that ``dojo workshop start`` runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.group()
def _main() -> None:
    """The workshop service."""


@_main.command()
@click.option(
    "--settings", "settings_file", required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, required=True)
def serve(settings_file: Path, host: str, port: int) -> None:
    """Serve the workshop API and run its grading workers until interrupted."""
    import uvicorn

    from dojo.workshop._service import create_workshop_app
    from dojo.workshop._settings import WorkshopSettings

    # Secrets come through the environment, never argv (visible to every user in ps).
    settings = WorkshopSettings.load(
        settings_file,
        grader_key=os.environ.get("DOJO_GRADER_KEY", ""),
        admin_token=os.environ.get("DOJO_WORKSHOP_ADMIN_TOKEN", ""),
    )
    uvicorn.run(
        create_workshop_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    sys.exit(_main())
