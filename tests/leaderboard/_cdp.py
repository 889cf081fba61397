"""A minimal Chrome DevTools Protocol driver for headless Chromium (no Node, no download)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websocket

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,800",
    "--hide-scrollbars",
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
    pytest.fail("Chromium not found: run .ci/system-deps.sh (apt-get install chromium)")


class Browser:
    """One headless Chromium with one page, driven over CDP."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="dojo-chromium-")
        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        pages = [
            t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"
        ]
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], suppress_origin=True, timeout=30
        )
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Log.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (events meanwhile are kept in ``events``)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    def eval(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its value."""
        out = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    def goto(self, url: str, ready: str = "document.readyState === 'complete'") -> None:
        """Navigate and wait until ``ready`` is true."""
        self.send("Page.navigate", url=url)
        self.wait_for(ready, timeout=15)

    def wait_for(self, expression: str, timeout: float = 5.0) -> float:
        """Poll ``expression`` until truthy; return the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            # Exceptions count as "not yet" (the old page may still be showing).
            if self.eval(
                f"(() => {{ try {{ return Boolean({expression}); }} "
                "catch (e) { return false; } })()"
            ):
                return time.monotonic() - start
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout} s waiting for {expression}")

    def press(self, key: str, code: str, key_code: int, shift: bool = False) -> None:
        """Press and release one key."""
        mods = 8 if shift else 0
        for kind in ("keyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                modifiers=mods,
                windowsVirtualKeyCode=key_code,
                nativeVirtualKeyCode=key_code,
            )

    def screenshot(self, path: Path) -> None:
        """Save a PNG of the viewport."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        )

    def errors(self) -> list[dict[str, Any]]:
        """Script exceptions and console errors seen so far (CSP violations included)."""
        return [
            e
            for e in self.events
            if e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        ]

    def close(self) -> None:
        """Quit Chromium and remove its profile."""
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            # SIGTERM lets Chromium stop its helper processes; only they can keep writing to
            # the profile, which must be gone before it is removed.
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for _ in range(20):
                shutil.rmtree(self.profile, ignore_errors=True)
                if not os.path.exists(self.profile):
                    break
                time.sleep(0.1)
