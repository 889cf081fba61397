"""The leaderboard service: points awarded once, ranked fairly, shown live.

Run it with ``dojo leaderboard serve``; build it in code with ``create_app(Settings(...))``; talk
to it with :class:`LeaderboardClient`; start a background one with :func:`start_local_board`.
"""

from dojo.leaderboard._app import create_app
from dojo.leaderboard._db import default_db_url
from dojo.leaderboard._models import Conflict, NotFound
from dojo.leaderboard._server import LocalBoard, serve, start_local_board
from dojo.leaderboard._settings import Settings
from dojo.leaderboard._store import Store
from dojo.leaderboard.client import LeaderboardClient, LeaderboardError

__all__ = [
    "Conflict",
    "LeaderboardClient",
    "LeaderboardError",
    "LocalBoard",
    "NotFound",
    "Settings",
    "Store",
    "create_app",
    "default_db_url",
    "serve",
    "start_local_board",
]
