"""The Python client: signing, retries with the same idempotency key, errors."""

from __future__ import annotations

import json

import httpx
import pytest

from dojo.leaderboard import LeaderboardClient, LeaderboardError
from dojo.leaderboard._auth import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

from .conftest import START


def test_award_retries_server_errors_with_the_same_key_and_fresh_nonces() -> None:
    """Check that a retried award resends the same body (same key) under a new nonce."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(503, json={"detail": "busy"})
        return httpx.Response(201, json={"created": True})

    client = LeaderboardClient(
        "http://board",
        grader_key="k",
        clock=lambda: START,
        retries=3,
        transport=httpx.MockTransport(handler),
    )
    assert client.award("c1", "ann", "m01/t1", 4, 5, "retry-key-1") == {"created": True}
    assert len(seen) == 3
    bodies = {r.content for r in seen}
    assert len(bodies) == 1
    body = json.loads(seen[0].content)
    assert body == {
        "learner": "ann",
        "assignment": "m01",
        "task": "t1",
        "module": "m01",
        "points": 4,
        "max_points": 5,
        "idempotency_key": "retry-key-1",
    }
    assert len({r.headers[NONCE_HEADER] for r in seen}) == 3
    for r in seen:
        assert r.headers[TIMESTAMP_HEADER] == str(int(START.timestamp()))
        assert r.headers[SIGNATURE_HEADER] == sign(
            "k", r.headers[TIMESTAMP_HEADER], r.headers[NONCE_HEADER], r.content
        )


def test_award_does_not_retry_client_errors() -> None:
    """Check that a 4xx is raised at once with the service's explanation."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(409, json={"detail": "key reused"})

    client = LeaderboardClient(
        "http://board", grader_key="k", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(LeaderboardError, match="409: key reused") as err:
        client.award("c1", "ann", "t1", 1, 5, "retry-key-2", module="m03")
    assert err.value.status == 409 and len(calls) == 1
    assert json.loads(calls[0].content)["assignment"] == "m03"


def test_award_retries_connection_failures_then_gives_up() -> None:
    """Check that connection errors are retried and finally raised."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    client = LeaderboardClient(
        "http://board", grader_key="k", retries=1, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(httpx.ConnectError):
        client.award("c1", "ann", "t1", 1, 5, "retry-key-3")
    assert len(calls) == 2


def test_signed_calls_need_a_grader_key() -> None:
    """Check that awarding without a grader key fails before any request."""
    with pytest.raises(ValueError, match="grader_key"):
        LeaderboardClient("http://board").award("c1", "ann", "t1", 1, 5, "retry-key-4")
