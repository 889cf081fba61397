"""The live page in headless Chromium: it updates after awards, works by keyboard, reads well."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.browser import Browser

from .conftest import Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "leaderboard"
EVIL = '<img src=x onerror="document.title=1">'

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The page does not depend on the database engine: SQLite here."""
    return f"sqlite:///{tmp_path / 'browser.sqlite3'}"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium with one page."""
    b = Browser()
    try:
        yield b
    finally:
        b.close()


def _luminance(rgb: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_live_board_updates_after_awards(service: Service, browser: Browser) -> None:
    """Check that the open page shows new awards without a reload, escapes names, reads well."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 5, 10, "key-web-01", learner_name="Ann")
    browser.navigate(
        f"{service.url}/c/c1", "document.getElementById('status').textContent.startsWith('Live')"
    )
    assert browser.evaluate("document.querySelectorAll('#rows tr').length") == 1

    g.award("c1", "bob", "m01/t1", 8, 10, "key-web-02", learner_name=EVIL)
    start = time.monotonic()
    browser.wait_for("document.querySelectorAll('#rows tr').length === 2")
    first = time.monotonic() - start
    assert browser.evaluate("document.querySelector('#rows tr th').textContent") == EVIL
    assert browser.evaluate("document.querySelector('#rows img')") is None
    assert browser.evaluate("document.title") != "1"

    g.award("c1", "ann", "m01/t2", 10, 10, "key-web-03")
    start = time.monotonic()
    browser.wait_for(
        "document.querySelector('#rows tr th').textContent === 'Ann' && "
        "document.querySelector('#rows tr td.num').textContent === '15'"
    )
    second = time.monotonic() - start
    rows = browser.evaluate("[...document.querySelectorAll('#rows tr')].map(r => r.innerText)")
    assert [re.sub(r"\s+", " ", r).strip() for r in rows] == ["1 Ann 15 1", f"2 {EVIL} 8 0"]
    assert browser.evaluate("document.body.dataset.updates") == "3"  # initial board + 2 changes

    styles = browser.evaluate(
        "(() => { const s = getComputedStyle(document.body);"
        " const r = parseFloat(getComputedStyle(document.querySelector('#rows td')).fontSize);"
        " return [s.color, s.backgroundColor, r]; })()"
    )
    assert contrast(styles[0], styles[1]) >= 7  # WCAG AAA for body text
    assert styles[2] >= 18  # projector-sized table text at 1280 px
    assert browser.errors() == []
    browser.screenshot(ARTIFACTS / "board.png")
    (ARTIFACTS / "latency.json").write_text(
        json.dumps(
            {"first_update_seconds": round(first, 3), "second_update_seconds": round(second, 3)}
        )
    )


def test_keyboard_and_views(service: Service, browser: Browser) -> None:
    """Check keyboard navigation, the per-module view and the learner view with live progress."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 10, 10, "key-web-11", learner_name="Ann")
    g.award("c1", "ann", "m02/t1", 2, 8, "key-web-12")
    browser.navigate(
        f"{service.url}/c/c1", "document.getElementById('status').textContent.startsWith('Live')"
    )
    browser.press("Tab", "Tab", 9)
    assert browser.evaluate("document.activeElement.className") == "skip"
    browser.press("Tab", "Tab", 9)
    assert browser.evaluate("document.activeElement.textContent") == "Overall"
    browser.press("Tab", "Tab", 9)
    assert browser.evaluate("document.activeElement.textContent") == "m01"
    browser.press("Tab", "Tab", 9)
    assert browser.evaluate("document.activeElement.textContent") == "m02"
    focus = browser.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus == "solid"
    browser.press("Enter", "Enter", 13)
    browser.wait_for(
        "location.pathname === '/c/c1/m/m02' && "
        "document.getElementById('status').textContent.startsWith('Live')"
    )
    assert "Module m02" in browser.evaluate("document.querySelector('caption').textContent")
    browser.screenshot(ARTIFACTS / "module.png")

    browser.evaluate("document.querySelector('#rows a').click()")
    browser.wait_for(
        "location.pathname.startsWith('/c/c1/l/') && "
        "document.getElementById('status').textContent.startsWith('Live')"
    )
    assert browser.evaluate("document.getElementById('total').textContent") == "12"
    g.award("c1", "ann", "m02/t1", 8, 8, "key-web-13")
    browser.wait_for("document.getElementById('total').textContent === '18'")
    bars = browser.evaluate(
        "[...document.querySelectorAll('progress')].map(p => "
        "[p.getAttribute('aria-label'), p.value, p.max])"
    )
    assert bars == [["m01: 10 of 10 points", 10, 10], ["m02: 8 of 8 points", 8, 8]]
    assert browser.errors() == []
    browser.screenshot(ARTIFACTS / "learner.png")
