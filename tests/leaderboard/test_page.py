"""Web pages: escaping, security headers, accessible structure, learner view."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dojo.leaderboard._page import board_page

from .conftest import Service


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pages do not depend on the database engine: SQLite only here (the API suite runs both)."""
    return f"sqlite:///{tmp_path / 'board.sqlite3'}"


EVIL = '<script>alert("x")</script>&"\''


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_names_are_escaped_on_every_page(service: Service) -> None:
    """Check that a learner-typed name cannot inject markup into the board or learner pages."""
    service.grader().award("c1", "ann", "m01/t1", 5, 10, "key-page-01", learner_name=EVIL)
    board = service.http.get("/c/c1").text
    assert "<script>alert" not in board
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;" in board
    pid = re.search(r'data-learner="([0-9a-f]{12})"', board).group(1)  # type: ignore[union-attr]
    learner = service.http.get(f"/c/c1/l/{pid}").text
    assert "<script>alert" not in learner and "&lt;script&gt;" in learner
    scripts = [a for t, a in tags(board) + tags(learner) if t == "script"]
    assert scripts == [{"src": "/static/board.js", "defer": None}] * 2


def test_pages_send_a_strict_content_security_policy(service: Service) -> None:
    """Check that pages forbid inline scripts and framing."""
    r = service.http.get("/c/c1")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_board_page_is_semantic_and_navigable(service: Service) -> None:
    """Check landmarks, a captioned table with header cells, a live status and keyboard links."""
    service.grader().award("c1", "ann", "m01/t1", 5, 10, "key-page-02")
    html = service.http.get("/c/c1?window=week").text
    found = tags(html)
    names = [t for t, _ in found]
    assert found[0] == ("html", {"lang": "en"})
    for tag in ("header", "nav", "main", "table", "caption", "thead", "tbody"):
        assert tag in names, tag
    assert ("th", {"scope": "col"}) in found and ("th", {"scope": "row", "class": "name"}) in found
    assert any(
        t == "p" and a.get("role") == "status" and a.get("aria-live") == "polite" for t, a in found
    )
    assert ("a", {"class": "skip", "href": "#main"}) in found
    current = [a["href"] for t, a in found if t == "a" and a.get("aria-current") == "page"]
    assert current == ["/c/c1?window=week", "/c/c1?window=week"]  # "Overall" and "This week"
    assert "Overall — This week" in html
    assert 'data-stream="/api/cohorts/c1/stream?window=week&amp;limit=25"' in html


def test_module_and_learner_pages(service: Service) -> None:
    """Check the per-module page and the learner page with progress per module."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 10, 10, "key-page-03")
    g.award("c1", "ann", "m02/t1", 2, 8, "key-page-04")
    module = service.http.get("/c/c1/m/m02").text
    assert "Module m02" in module and 'aria-current="page">m02<' in module
    assert service.http.get("/c/c1/m/zzz").status_code == 404
    pid = re.search(r'data-learner="([0-9a-f]{12})"', module).group(1)  # type: ignore[union-attr]
    learner = service.http.get(f"/c/c1/l/{pid}").text
    assert '<progress max="10" value="10" aria-label="m01: 10 of 10 points">' in learner
    assert '<progress max="8" value="2" aria-label="m02: 2 of 8 points">' in learner
    assert "Rank 1 of 1" in learner


def test_index_lists_cohorts_and_assets_are_served(service: Service) -> None:
    """Check the cohort index and the static script and stylesheet."""
    service.store.create_cohort("c2", title="<Workshop>")
    index = service.http.get("/").text
    assert '<a href="/c/c1">Cohort One</a>' in index and "&lt;Workshop&gt;" in index
    js = service.http.get("/static/board.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "textContent" in js.text and "innerHTML" not in js.text
    assert service.http.get("/static/board.css").headers["content-type"].startswith("text/css")


def test_board_page_renders_frozen_note() -> None:
    """Check that a frozen board tells viewers it is frozen."""
    board = {
        "cohort": "c1",
        "title": "T",
        "module": None,
        "window": "all",
        "frozen": True,
        "as_of": "2027-03-10T12:00:00Z",
        "learners": 0,
        "modules": [],
        "entries": [],
    }
    html = board_page(board, limit=10)
    assert (
        '<p id="frozen" class="frozen">Board frozen at <time id="frozen-at">2027-03-10T12:00:00Z'
        in html
    )
