"""Fixtures for the leaderboard tests: a fake clock, both databases, and real servers on loopback.

PostgreSQL is a real server started once per test session (``initdb`` in a temporary directory, as
the ``postgres`` user when we run as root, listening on a Unix socket only). It is never skipped:
if the server binaries are missing the tests fail and say how to install them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from dojo.leaderboard import LeaderboardClient, Settings, Store, create_app
from dojo.leaderboard._server import free_port

GRADER_KEY = "test-grader-key"
START = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday


class FakeClock:
    """A settable clock: ``clock()`` returns ``now``; ``advance(seconds=...)`` moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        with self._lock:
            self.now = now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting on Wednesday 2027-03-10 12:00 UTC."""
    return FakeClock()


# -- PostgreSQL ------------------------------------------------------------------------------


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run .ci/system-deps.sh "
        "(apt-get install postgresql) — the PostgreSQL tests are never skipped"
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Start one throw-away PostgreSQL server for the session; yield its admin URL."""
    bindir = _pg_bin()
    base = tempfile.mkdtemp(prefix="dojo-pg-")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = os.path.join(base, "data"), os.path.join(base, "log")
    subprocess.run(
        [
            *prefix,
            f"{bindir}/initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    opts = (
        f"-k {base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        [*prefix, f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={base}"
    finally:
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def _pg_database(server_url: str) -> Iterator[str]:
    """A fresh schema on the session server, selected through ``search_path`` in the URL.

    A schema per test costs a few milliseconds where ``CREATE DATABASE`` costs half a second.
    """
    name = f"lb_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    try:
        yield f"{server_url}&options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'board.sqlite3'}"
    else:
        with _pg_database(request.getfixturevalue("pg_server")) as url:
            yield url


@pytest.fixture
def store(db_url: str, clock: FakeClock) -> Iterator[Store]:
    """A migrated store on a fresh database, driven by the fake clock."""
    s = Store.open(db_url, clock=clock)
    yield s
    s.close()


# -- real servers ----------------------------------------------------------------------------


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yield its URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=0.1,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Service:
    """A running service with a cohort ``c1``: its URL, clock, app and credentials."""

    url: str
    clock: FakeClock
    app: Any
    admin_token: str
    join_code: str
    cohort: str = "c1"
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def grader(self, key: str = GRADER_KEY) -> LeaderboardClient:
        """A client signing with ``key`` (default: the service's grader key)."""
        return LeaderboardClient(self.url, grader_key=key, clock=self.clock, retries=0)

    def admin(self) -> LeaderboardClient:
        """A client holding the cohort admin token."""
        return LeaderboardClient(self.url, token=self.admin_token, clock=self.clock)

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store


class AppSwitch:
    """An ASGI app that forwards to whichever app the current test installed.

    One uvicorn server per session serves every test's app in turn: starting and stopping a
    server per test cost more than the tests themselves. Each test still gets its own app,
    store, clock and database; the server only carries the bytes.
    """

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the per-test apps are opened and closed by the fixture
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def shared_server() -> Iterator[tuple[AppSwitch, str]]:
    """A loopback server for the whole session, serving the current test's app."""
    switch = AppSwitch()
    with running(switch) as url:
        yield switch, url


@pytest.fixture
def make_service(
    db_url: str, clock: FakeClock, shared_server: tuple[AppSwitch, str]
) -> Iterator[Callable[..., Service]]:
    """Factory: install a service (settings overridable) with cohort ``c1``; once per test."""
    switch, url = shared_server
    made: list[Service] = []

    def make(**overrides: Any) -> Service:
        assert not made, "one service per test: the shared server serves one app at a time"
        options = {"grader_key": GRADER_KEY, "live_interval": 0.02, **overrides}
        app = create_app(Settings(db_url=db_url, clock=clock, **options))
        new = app.state.store.create_cohort("c1", title="Cohort One")
        switch.app = app
        made.append(Service(url, clock, app, new.admin_token, new.cohort.join_code))
        return made[0]

    yield make
    for svc in made:
        svc.http.close()
        svc.store.close()
    switch.app = None


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    """A running service on the parametrized database, with cohort ``c1``."""
    return make_service()
