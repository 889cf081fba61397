"""boto3 sessions that share one botocore data loader.

Every new ``boto3.Session`` gets its own loader, which parses each service's JSON model again
(0.1-0.5 s per service). A cloud makes new sessions each time it starts, so graders that start a
fresh cloud per check spent most of their time re-reading botocore's models. The loader only
reads packaged data files and caches what it read, so sharing it between sessions is safe.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session

__all__ = ["new_session"]

_loader: Any = None


def new_session(region: str) -> boto3.Session:
    """A new boto3 session for ``region`` whose model loader is shared with earlier ones."""
    global _loader
    core = botocore.session.get_session()
    if _loader is None:
        _loader = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _loader)
    return boto3.Session(botocore_session=core, region_name=region)
