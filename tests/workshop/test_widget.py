"""The notebook widget joins, submits and shows the server's result, escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from dojo.workshop import Credentials, JoinAndSubmit
from dojo.workshop._client import WorkshopError


class FakeClient:
    """Stands in for WorkshopClient: records calls, answers like the service."""

    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, url: str, token: str | None) -> None:
        self.url, self.token = url, token

    def join(self, code: str, name: str, team: str | None) -> Credentials:
        if code != "GOOD-CODE":
            raise WorkshopError("that is not this workshop's join code", 403)
        self.calls.append(("join", (code, name, team)))
        return Credentials(self.url, "tok", "ws-1", name, "demo", f"{self.url}/c/demo", team)

    def submit(self, notebook: str) -> dict[str, Any]:
        self.calls.append(("submit", (notebook, self.token)))
        return {"id": "s1", "status": "queued", "position": 1}

    def wait(self, sub_id: str, on_update: Any) -> Any:
        from dojo.workshop import SubmissionResult

        on_update({"status": "queued", "position": 1, "progress": "0 submissions ahead of yours"})
        return SubmissionResult.from_status(
            {
                "id": sub_id,
                "assignment": "drill",
                "status": "done",
                "board_url": "",
                "result": {
                    "score": 6,
                    "max_score": 10,
                    "tasks": [
                        {
                            "task": "drill_double_check",
                            "points": 6,
                            "max_points": 10,
                            "reason": "<b>1 hidden</b>",
                        }
                    ],
                },
                "board": {"rank": 2, "learners": 3, "total": 6},
            }
        )

    def close(self) -> None:
        pass


def test_widget_joins_then_submits_and_shows_the_servers_result(tmp_path: Path) -> None:
    """Check join keeps the token (0600), Submit sends the notebook, the result is escaped."""
    store = tmp_path / "creds.json"
    widget = JoinAndSubmit(
        "http://ws", "drill.ipynb", credentials=store, client=FakeClient, background=False
    )
    assert widget.submit_button.disabled
    widget.code.value, widget.name.value, widget.team.value = "GOOD-CODE", "Ada", "red"
    widget.join()
    assert (store.stat().st_mode & 0o777) == 0o600
    assert "Joined demo as Ada, team red" in widget.status.value
    widget.submit()
    assert ("submit", ("drill.ipynb", "tok")) in FakeClient.calls
    assert (
        "6 / 10" in widget.status.value
        and "position <b>2</b> of 3" in widget.status.value.replace("Board ", "")
    )
    assert (
        "<b>1 hidden</b>" not in widget.status.value and "&lt;b&gt;1 hidden" in widget.status.value
    )


def test_widget_reports_a_wrong_code_and_stays_unjoined(tmp_path: Path) -> None:
    """Check a refused join says why and keeps Submit disabled."""
    widget = JoinAndSubmit(
        "http://ws", credentials=tmp_path / "c.json", client=FakeClient, background=False
    )
    widget.code.value, widget.name.value = "BAD-CODE", "<script>x</script>"
    widget.join()
    assert "not this workshop" in widget.status.value and widget.submit_button.disabled
    assert not (tmp_path / "c.json").exists()
