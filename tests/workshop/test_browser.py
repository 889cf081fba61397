"""The projector's board in headless Chromium follows the server's grading live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dojo.course import Course
from dojo.workshop import WorkshopClient, start_workshop, stop_workshop
from tests.browser import Browser
from tests.workshop.conftest import HONEST, PARTIAL, answered

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium with one page."""
    b = Browser()
    try:
        yield b
    finally:
        b.close()


def test_open_board_page_shows_graded_submissions_without_a_reload(
    fresh_course: Course, tmp_path: Path, browser: Browser
) -> None:
    """Check that the board page, left open, shows each server-graded score as it lands."""
    session = start_workshop(fresh_course, "live", workers=2, detach=False)
    try:
        learners = []
        for name in ("Ada", "Bob"):
            client = WorkshopClient(session.url)
            client.join(session.join_code, name)
            learners.append(client)
        browser.navigate(
            session.board_page, "document.getElementById('status').textContent.startsWith('Live')"
        )
        browser.evaluate("window.notReloaded = true")
        assert browser.evaluate("document.querySelectorAll('#rows tr').length") == 2
        sent = [
            client.submit(answered(fresh_course, answer, tmp_path / str(i)))["id"]
            for i, (client, answer) in enumerate(zip(learners, (HONEST, PARTIAL), strict=True))
        ]
        browser.wait_for(
            "[...document.querySelectorAll('#rows tr td.num')].some(td => td.textContent === '6')",
            timeout=180,
            what="Bob's 6 points",
        )
        browser.wait_for(
            "document.querySelector('#rows tr th').textContent === 'Ada'",
            timeout=180,
            what="Ada on top with 10 points",
        )
        rows = browser.evaluate("[...document.querySelectorAll('#rows tr')].map(r => r.innerText)")
        assert [re.sub(r"\s+", " ", r).strip() for r in rows] == ["1 Ada 10 1", "2 Bob 6 0"]
        assert browser.evaluate("window.notReloaded") is True
        assert (
            int(browser.evaluate("document.body.dataset.updates")) >= 2
        )  # first board, then pushes
        assert not browser.errors()
        for client, sub in zip(learners, sent, strict=True):
            assert client.wait(sub, timeout=30).status == "done"
            client.close()
    finally:
        stop_workshop(fresh_course, "live", out=tmp_path / "export")
