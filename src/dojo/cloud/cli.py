"""``dojo cloud`` commands (the lead attaches :data:`cloud_group` to the ``dojo`` CLI)."""

from __future__ import annotations

import click

__all__ = ["cloud_group"]


@click.group(name="cloud")
def cloud_group() -> None:
    """Run the local, Docker-free AWS."""


@cloud_group.command(name="serve")
@click.option("--port", default=4566, show_default=True, type=int, help="TCP port (0: any free).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--region", default="us-east-1", show_default=True, help="Default region.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for repeatable runs.")
def serve(port: int, host: str, region: str, seed: int) -> None:
    """Serve one LocalCloud (runtime, clock, trace) on loopback for processes and the AWS CLI.

    Point clients at the printed URL (``--endpoint-url`` / ``endpoint_url=``). Lab endpoints:
    GET/POST /_dojo/clock, POST /_dojo/clock/advance, GET /_dojo/trace.
    """
    from ._server import CloudServer

    server = CloudServer(port=port, host=host, region=region, seed=seed)
    server.start()
    click.echo(f"dojo cloud serving on {server.url} (Ctrl-C to stop)")
    server.serve_until_interrupted()
