"""HTTP requests to execute-api URLs: the request/response types and in-process interception.

While a cloud runs, ``requests`` (through moto's ``responses`` mock) and ``httpx`` (its default
``HTTPTransport``) send requests for ``https://{api_id}.execute-api.{region}.amazonaws.com/...``
to the cloud's API router instead of the network; every other URL is left alone. Code can also
call :meth:`LocalCloud.http` directly. ``urllib`` is not intercepted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ApiRequest", "ApiResponse", "Interception", "parse_execute_api_url"]

EXECUTE_API = re.compile(
    r"^https?://(?P<api>[A-Za-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com"
    r"(?::\d+)?(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?",
)
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class ApiRequest:
    """One HTTP request to an execute-api endpoint.

    Attributes:
        method: HTTP method, upper case.
        api_id: The API id (host prefix).
        region: The region in the host name.
        path: The path after the host, including the stage (``/prod/items/1``).
        query: Query string pairs in order (repeated names allowed).
        headers: Header names (as sent) to values.
        body: The raw body (bytes) or None.
    """

    method: str
    api_id: str
    region: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes | None

    def header(self, name: str) -> str | None:
        """Header value by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class ApiResponse:
    """What the API answered.

    Attributes:
        status: HTTP status code.
        headers: Response headers.
        body: Response body (bytes).
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def status_code(self) -> int:
        """Alias of :attr:`status` (the ``requests``/``httpx`` spelling)."""
        return self.status

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded from JSON."""
        return json.loads(self.body or b"null")

    def __repr__(self) -> str:
        text = self.text
        return f"<ApiResponse {self.status} {text[:80]!r}{'...' if len(text) > 80 else ''}>"


def parse_execute_api_url(
    method: str, url: str, headers: dict[str, str] | None, body: Any
) -> ApiRequest | None:
    """An :class:`ApiRequest` for an execute-api URL, or None for any other URL."""
    match = EXECUTE_API.match(url)
    if match is None:
        return None
    if isinstance(body, str):
        body = body.encode()
    elif body is not None and not isinstance(body, bytes):
        body = bytes(body) if isinstance(body, (bytearray, memoryview)) else None
    return ApiRequest(
        method=method.upper(),
        api_id=match.group("api"),
        region=match.group("region"),
        path=match.group("path") or "/",
        query=parse_qsl(match.group("query") or "", keep_blank_values=True),
        headers=dict(headers or {}),
        body=body or None,
    )


class Interception:
    """Sends ``requests`` and ``httpx`` calls for execute-api URLs to the cloud's router."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._saved_httpx: Any = None

    def install(self) -> None:
        import responses
        from moto.core.models import responses_mock

        pattern = re.compile(r"https?://[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com.*")
        for method in _METHODS:
            responses_mock.add(
                responses.CallbackResponse(
                    method=method, url=pattern, callback=self._requests_callback
                )
            )
        try:
            import httpx
        except ImportError:  # pragma: no cover - httpx is a dependency of the course
            return
        original = httpx.HTTPTransport.handle_request
        self._saved_httpx = original
        cloud = self.cloud

        def handle_request(transport: Any, request: Any) -> Any:
            url = str(request.url)
            if EXECUTE_API.match(url) is None:
                return original(transport, request)
            answer = cloud.http(
                request.method, url, headers=dict(request.headers), body=request.read()
            )
            return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._saved_httpx is not None:
            import httpx

            httpx.HTTPTransport.handle_request = self._saved_httpx  # type: ignore[method-assign]
            self._saved_httpx = None

    def _requests_callback(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        answer = self.cloud.http(
            request.method, request.url, headers=dict(request.headers), body=request.body
        )
        return answer.status, answer.headers, answer.body
