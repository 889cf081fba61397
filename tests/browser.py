"""A minimal Chrome DevTools Protocol driver for headless Chromium, shared by the browser tests.

Python only (subprocess + websocket-client): no Node, no browser download.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import websocket  # websocket-client, a dependency of jupyter_server

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",  # Chromium picks a port and writes it to DevToolsActivePort
]


def chromium_path() -> str:
    """Return the Chromium binary, failing (never skipping) with the install hint."""
    for candidate in (
        os.environ.get("DOJO_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "Chromium not found: run .ci/system-deps.sh (apt-get install chromium)"
        " or deselect the browser tests with -m 'not browser'"
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    """Wait until ``url`` answers 200."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last})")


class Browser:
    """One headless Chromium with one page and a fresh profile, driven over CDP."""

    def __init__(self, *, width: int = 1280, height: int = 800) -> None:
        self.profile = tempfile.mkdtemp(prefix="dojo-chromium-")
        self.process = subprocess.Popen(
            [
                chromium_path(),
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], suppress_origin=True, timeout=60
        )
        self._id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        # A headless page never has window focus; JupyterLab tracks its current widget by focus.
        self.send("Emulation.setFocusEmulationEnabled", enabled=True)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (events meanwhile are kept in ``events``)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") != self._id:
                self.events.append(message)
            elif "error" in message:
                raise RuntimeError(f"{method}: {message['error']}")
            else:
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (promises awaited) and return its JSON value."""
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 5.0, what: str = "") -> Any:
        """Poll ``expression`` until truthy and return its value (exceptions count as "not yet")."""
        deadline = time.monotonic() + timeout
        pause = 0.02  # short at first (latency is measured), longer for slow waits
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # e.g. the old page is still showing
                value = None
            if value:
                return value
            time.sleep(pause)
            pause = min(pause * 1.5, 0.3)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or expression}")

    def navigate(self, url: str, ready: str | None = None, timeout: float = 15.0) -> None:
        """Open ``url`` and, if given, wait until the ``ready`` expression is true."""
        self.send("Page.navigate", url=url)
        if ready:
            self.wait_for(ready, timeout)

    def press(self, key: str, code: str, key_code: int, shift: bool = False) -> None:
        """Press and release one key."""
        for kind in ("keyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                modifiers=8 if shift else 0,
                windowsVirtualKeyCode=key_code,
                nativeVirtualKeyCode=key_code,
            )

    def screenshot(self, path: Path, clip: dict[str, float] | None = None) -> Path:
        """Save a PNG of the viewport (or of ``clip``, in page coordinates) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if clip:
            params.update(clip={**clip, "scale": 1}, captureBeyondViewport=True)
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def errors(self) -> list[dict[str, Any]]:
        """Script exceptions and console errors seen so far (CSP violations included)."""
        return [
            e
            for e in self.events
            if e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        ]

    def close(self) -> None:
        """Quit the Chromium this object started and remove its profile."""
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            # SIGTERM lets Chromium stop its helper processes; only they can keep writing to
            # the profile, which must be gone before it is removed.
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            for _ in range(20):
                shutil.rmtree(self.profile, ignore_errors=True)
                if not os.path.exists(self.profile):
                    break
                time.sleep(0.1)
