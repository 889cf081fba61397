"""Secrets and signatures: the grader's HMAC over award posts, and bearer tokens.

A grader signs ``timestamp + "\\n" + nonce + "\\n" + body`` with HMAC-SHA256 under the shared grader
key and sends the hex digest with the timestamp and nonce as headers. The service rejects a missing
or wrong signature (forged or altered), a timestamp more than the allowed skew away from its clock
(stale), and a nonce it has already seen (replayed). Tokens are random and only their SHA-256 is
stored, so a copy of the database does not hand out admin rights.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "hash_token",
    "new_join_code",
    "new_token",
    "sign",
    "signed_headers",
    "verify",
]

TIMESTAMP_HEADER = "X-Dojo-Timestamp"
NONCE_HEADER = "X-Dojo-Nonce"
SIGNATURE_HEADER = "X-Dojo-Signature"

# No look-alike characters: join codes are read off a projector and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SignatureError(Exception):
    """A signed request failed verification; ``str(err)`` says why."""


@dataclass(frozen=True)
class SignedParts:
    """The signature headers of one request."""

    timestamp: str
    nonce: str
    signature: str


def sign(key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 signature of a request.

    Args:
        key: The shared grader key.
        timestamp: Unix seconds as a decimal string.
        nonce: A unique string for this request.
        body: The exact request body bytes.

    Returns:
        The lower-case hex digest.
    """
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(key: str, body: bytes, now: datetime) -> dict[str, str]:
    """Build the three signature headers for ``body`` at time ``now`` with a fresh nonce."""
    timestamp = str(int(now.timestamp()))
    nonce = secrets.token_hex(16)
    return {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(key, timestamp, nonce, body),
    }


def verify(
    key: str,
    headers: dict[str, str | None],
    body: bytes,
    now: datetime,
    max_skew_seconds: float,
) -> SignedParts:
    """Check a request's signature and timestamp (the nonce is checked against the store after).

    Args:
        key: The shared grader key.
        headers: The three signature headers (missing ones as ``None``).
        body: The exact request body bytes.
        now: The service's current time.
        max_skew_seconds: How far the timestamp may be from ``now``.

    Returns:
        The verified parts.

    Raises:
        SignatureError: With a reason a grader's author can act on.
    """
    ts, nonce, sig = (headers.get(h) for h in (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER))
    missing = [
        name
        for name, value in ((TIMESTAMP_HEADER, ts), (NONCE_HEADER, nonce), (SIGNATURE_HEADER, sig))
        if not value
    ]
    if missing:
        raise SignatureError(f"unsigned request: missing header(s) {', '.join(missing)}")
    assert ts is not None and nonce is not None and sig is not None
    if not (8 <= len(nonce) <= 64 and nonce.isascii() and nonce.isprintable()):
        raise SignatureError("nonce must be 8-64 printable ASCII characters")
    if not ts.isdigit() or len(ts) > 12:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds, got {ts[:20]!r}")
    expected = sign(key, ts, nonce, body)
    if not hmac.compare_digest(expected, sig.lower()):
        raise SignatureError(
            "bad signature: the body, timestamp or nonce was altered, or the key is wrong"
        )
    skew = abs(now.timestamp() - int(ts))
    if skew > max_skew_seconds:
        raise SignatureError(
            f"stale request: timestamp is {skew:.0f} s from the server clock "
            f"(at most {max_skew_seconds:.0f} s allowed)"
        )
    return SignedParts(ts, nonce, sig)


def new_token() -> str:
    """Return a new random bearer token."""
    return secrets.token_urlsafe(32)


def new_join_code() -> str:
    """Return a new join code like ``K7QX-M2PD``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def hash_token(token: str) -> str:
    """Return the stored form of a token (SHA-256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()
