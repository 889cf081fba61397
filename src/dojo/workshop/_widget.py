"""``JoinAndSubmit``: join a workshop and submit the notebook from inside JupyterLab.

The widget wraps :class:`WorkshopClient` and shows :class:`SubmissionResult` (its HTML), never a
score of its own: the score shown is the one the server graded.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from dojo.errors import DojoError
from dojo.workshop._client import Credentials, WorkshopClient, credentials_file

__all__ = ["JoinAndSubmit"]


class JoinAndSubmit(widgets.VBox):  # type: ignore[misc]
    """A join form (code, display name, team) and a Submit button with live status.

    Args:
        url: The workshop's URL (default: the one joined before, or ``$DOJO_WORKSHOP_URL``).
        notebook: The notebook file to submit (default: this notebook, from ``$JPY_SESSION_NAME``).
        credentials: Where the token is kept (see :func:`credentials_file`).
        client: Makes a client from ``(url, token)`` (tests inject one).
        background: Submit in a thread so the notebook stays responsive (tests turn it off).
    """

    def __init__(
        self,
        url: str | None = None,
        notebook: str | Path | None = None,
        *,
        credentials: Path | None = None,
        client: Callable[[str, str | None], Any] | None = None,
        background: bool = True,
    ) -> None:
        self._path = credentials_file(credentials)
        self._client = client or (lambda u, t: WorkshopClient(u, token=t))
        self._background = background
        try:
            self.credentials: Credentials | None = Credentials.load(self._path)
        except DojoError:
            self.credentials = None
        default_url = url or (
            self.credentials.url if self.credentials else os.environ.get("DOJO_WORKSHOP_URL", "")
        )
        self.url = widgets.Text(value=default_url, description="Workshop", placeholder="http://...")
        self.code = widgets.Text(description="Join code", placeholder="ABCD-EFGH")
        self.name = widgets.Text(description="Your name")
        self.team = widgets.Text(description="Team", placeholder="(optional)")
        self.join_button = widgets.Button(
            description="Join", button_style="primary", icon="sign-in"
        )
        self.notebook = widgets.Text(
            value=str(notebook or os.environ.get("JPY_SESSION_NAME", "")), description="Notebook"
        )
        self.submit_button = widgets.Button(
            description="Submit", button_style="success", icon="upload"
        )
        self.status = widgets.HTML()
        self.join_button.on_click(lambda _: self.join())
        self.submit_button.on_click(lambda _: self.submit())
        self._join_box = widgets.VBox([self.url, self.code, self.name, self.team, self.join_button])
        super().__init__(
            [self._join_box, widgets.HBox([self.notebook, self.submit_button]), self.status]
        )
        self._show_joined()

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#b00020" if error else "inherit"
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def _show_joined(self) -> None:
        joined = self.credentials is not None
        self._join_box.layout.display = "none" if joined else None
        self.submit_button.disabled = not joined
        if self.credentials:
            team = f", team {self.credentials.team}" if self.credentials.team else ""
            self._say(
                f"Joined {self.credentials.cohort} as {self.credentials.name}{team}. "
                "Save the notebook, then press Submit."
            )

    def join(self) -> None:
        """Join with the code and name typed in; keep the token for later submissions."""
        if not (self.url.value and self.code.value and self.name.value):
            self._say("Fill in the workshop URL, the join code and your name.", error=True)
            return
        client = self._client(self.url.value, None)
        try:
            self.credentials = client.join(
                self.code.value.strip(), self.name.value.strip(), self.team.value.strip() or None
            )
        except DojoError as error:
            self._say(f"Could not join: {error}", error=True)
            return
        finally:
            client.close()
        self.credentials.save(self._path)
        self._show_joined()

    def submit(self) -> None:
        """Send the saved notebook; show the queue position, then the server's result."""
        if self.credentials is None:
            self._say("Join the workshop first.", error=True)
            return
        if not self.notebook.value:
            self._say("Type the notebook's file name.", error=True)
            return
        self.submit_button.disabled = True
        self._say("Submitting...")
        if self._background:
            threading.Thread(target=self._submit, daemon=True).start()
        else:
            self._submit()

    def _submit(self) -> None:
        assert self.credentials is not None
        client = self._client(self.credentials.url, self.credentials.token)
        try:
            sent = client.submit(self.notebook.value)

            def progress(answer: dict[str, Any]) -> None:
                if answer["status"] == "queued":
                    self._say(f"Waiting in the queue: {answer.get('progress', '')}")
                elif answer["status"] == "grading":
                    self._say("Being graded by the server...")

            result = client.wait(sent["id"], on_update=progress)
            self.status.value = result._repr_html_()
        except DojoError as error:
            self._say(f"Not submitted: {error}", error=True)
        finally:
            client.close()
            self.submit_button.disabled = False
