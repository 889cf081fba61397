"""Server mode: one LocalCloud on a loopback port, shared by processes and the AWS CLI.

``dojo cloud serve --port 4566`` (or :class:`CloudServer`) starts a :class:`LocalCloud` in this
process and serves moto's HTTP API for it, so ``boto3.client(..., endpoint_url=...)`` and
``aws --endpoint-url ...`` from any process reach the same state, the same in-process Lambda
runtime, the same fake clock and the same trace. Requests are handled one at a time (the
runtime and the clock are not thread-safe, and serial handling keeps runs repeatable); after
each request the cloud delivers the work that is due (``run_until_idle``).

Lab endpoints (JSON):

* ``GET /_dojo/clock`` → ``{"now": ISO, "time": epoch}``; ``POST /_dojo/clock`` with
  ``{"to": ISO or epoch}`` moves time forward to that instant;
* ``POST /_dojo/clock/advance`` with ``{"seconds": n}`` → ``{"ran": k, "now": ...}``;
* ``GET /_dojo/trace`` → the hops (``?since=<seq>`` for newer ones only);
* ``POST /_dojo/run`` → runs due work (``{"ran": k}``);
* requests whose ``Host`` is ``{api}.execute-api.{region}.amazonaws.com`` (or path
  ``/_dojo/execute-api/{api}/{region}/{stage}/...``) reach the API Gateway router.

Remote calls are recorded in the trace as ``remote -> service:Operation`` hops (service and
operation are read from the request, best effort). Differences from decorator mode: chaos on
API calls and the Lambda Invoke ``Qualifier`` apply only to calls made through botocore in this
process (inside handlers), because remote calls do not pass through botocore here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["CloudServer"]

_HOST = re.compile(r"^(?P<api>[A-Za-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")


class _DojoApp:
    """WSGI app: lab endpoints and execute-api in front of moto's dispatcher."""

    def __init__(self, cloud: LocalCloud, moto_app: Any, lock: threading.Lock) -> None:
        self.cloud = cloud
        self.moto_app = moto_app
        self.lock = lock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self.lock:
            path = environ.get("PATH_INFO", "")
            host = environ.get("HTTP_HOST", "")
            if path.startswith("/_dojo/execute-api/") or _HOST.match(host):
                return self._execute_api(environ, start_response)
            if path.startswith("/_dojo/"):
                return self._lab(environ, start_response)
            self._record(environ)
            chunks = list(self.moto_app(environ, start_response))
            self._run_due()
            return chunks

    def _run_due(self) -> None:
        try:
            self.cloud.run_until_idle()
        except Exception as exc:  # a gap in background work must not break the request
            self.cloud.trace.record(
                "server", "cloud", "api", f"background work failed: {exc}", "error"
            )

    def _record(self, environ: dict[str, Any]) -> None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        found = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
        service = found.group(1) if found else ""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            operation = target.rpartition(".")[2]
        else:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            operation = (query.get("Action") or [""])[0]
        label = f"{service or 'aws'}:{operation or environ.get('REQUEST_METHOD', '')}"
        self.cloud.trace.record("remote", label, "api", environ.get("PATH_INFO", ""), "ok")

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return environ["wsgi.input"].read(length) if length else b""

    @staticmethod
    def _json(start_response: Callable[..., Any], status: int, payload: Any) -> list[bytes]:
        body = json.dumps(payload, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
        start_response(
            f"{status} {reason.get(status, 'OK')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _lab(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"].rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        clock = self.cloud.clock
        try:
            payload = json.loads(self._body(environ) or b"{}") if method == "POST" else {}
            if path == "/_dojo/clock" and method == "GET":
                return self._json(
                    start_response, 200, {"now": clock.now().isoformat(), "time": clock.time()}
                )
            if path == "/_dojo/clock" and method == "POST":
                ran = self.cloud.clock.advance_to(payload["to"])
                self.cloud._raise_gaps()
                return self._json(start_response, 200, {"ran": ran, "now": clock.now().isoformat()})
            if path == "/_dojo/clock/advance" and method == "POST":
                ran = self.cloud.advance(float(payload.get("seconds", 0)))
                return self._json(start_response, 200, {"ran": ran, "now": clock.now().isoformat()})
            if path == "/_dojo/run" and method == "POST":
                return self._json(start_response, 200, {"ran": self.cloud.run_until_idle()})
            if path == "/_dojo/trace" and method == "GET":
                since = int((parse_qs(environ.get("QUERY_STRING", "")).get("since") or ["-1"])[0])
                hops = [h.to_dict() for h in self.cloud.trace if h.seq > since]
                return self._json(start_response, 200, {"hops": hops})
        except (KeyError, ValueError, TypeError) as exc:
            return self._json(start_response, 400, {"message": f"bad request: {exc}"})
        return self._json(start_response, 404, {"message": f"no lab endpoint {method} {path}"})

    def _execute_api(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        match = _HOST.match(environ.get("HTTP_HOST", ""))
        if match is not None:
            host = f"{match.group('api')}.execute-api.{match.group('region')}.amazonaws.com"
        else:
            parts = path[len("/_dojo/execute-api/") :].split("/", 2)
            if len(parts) < 2:
                return self._json(start_response, 404, {"message": "Not Found"})
            host = f"{parts[0]}.execute-api.{parts[1]}.amazonaws.com"
            path = "/" + (parts[2] if len(parts) > 2 else "")
        query = environ.get("QUERY_STRING", "")
        url = f"https://{host}{path}" + (f"?{query}" if query else "")
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key != "HTTP_HOST"
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        try:
            answer = self.cloud.http(
                environ.get("REQUEST_METHOD", "GET"),
                url,
                headers=headers,
                body=self._body(environ) or None,
            )
        except Exception as exc:
            return self._json(start_response, 404, {"message": str(exc)})
        self._run_due()
        start_response(
            f"{answer.status} {'OK' if answer.status < 400 else 'Error'}",
            [*answer.headers.items(), ("Content-Length", str(len(answer.body)))],
        )
        return [answer.body]


class CloudServer:
    """A :class:`LocalCloud` served over HTTP on loopback (``dojo cloud serve``).

    Args:
        port: TCP port (0 picks a free one; see :attr:`port` after :meth:`start`).
        host: Interface to bind; loopback by default.
        **cloud_kwargs: Arguments for :class:`LocalCloud` (``region``, ``seed``, ``start``...).

    Example:
        >>> with CloudServer(port=0) as server:
        ...     sqs = boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1")
    """

    def __init__(self, port: int = 4566, host: str = "127.0.0.1", **cloud_kwargs: Any) -> None:
        from ._cloud import LocalCloud

        self.cloud = LocalCloud(**cloud_kwargs)
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://host:port`` — the endpoint URL for clients."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> CloudServer:
        """Start the cloud and serve it in a background thread."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        self.cloud.start()
        app = _DojoApp(self.cloud, DomainDispatcherApplication(create_backend_app), self.lock)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Start and block until interrupted (Ctrl-C), then stop."""
        self.start()
        self.serve_until_interrupted()

    def serve_until_interrupted(self) -> None:
        """Block until interrupted (Ctrl-C) or the server thread ends, then stop."""
        try:
            assert self._thread is not None
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and discard the cloud."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.cloud.stop()

    def __enter__(self) -> CloudServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m dojo.cloud._server --port N`` (what ``dojo cloud serve`` runs)."""
    import argparse

    parser = argparse.ArgumentParser(description="Serve a dojo LocalCloud on loopback.")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # stop cleanly (unpacked code is deleted) on SIGTERM too

    signal.signal(signal.SIGTERM, interrupt)
    server = CloudServer(port=args.port, host=args.host, region=args.region, seed=args.seed)
    server.start()
    print(f"dojo cloud serving on {server.url}", flush=True)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
