"""Media pipelines without a transcoder: MediaConvert billing, S3 key forms, a failure buffer.

- :func:`mediaconvert_cost`: pay-as-you-go on output duration, each output rounded up to
  10 seconds, no free tier (Sbarski, Cui & Nair 2e, ch.2; the book's era prices).
- :func:`key_forms`: how one file name travels from an upload to a MediaConvert ``FileInput``.
- :func:`simulate_buffer`: images lost with and without an SQS buffer (after Paul, ch.2).
"""

from __future__ import annotations

import html
import math
import random
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote_plus

__all__ = [
    "MEDIACONVERT_BASIC_PER_MINUTE",
    "BufferRun",
    "KeyForms",
    "MediaConvertBill",
    "key_forms",
    "mediaconvert_cost",
    "simulate_buffer",
]

MEDIACONVERT_BASIC_PER_MINUTE = {"SD": 0.0075, "UHD": 0.045}
"""USD per output minute, Basic tier, the two ends of the range the 2nd edition quotes (SD and
UHD; the tiers between cost in between). Prices vary by region."""


@dataclass(frozen=True)
class MediaConvertBill:
    """The bill for transcoding some videos into some renditions."""

    videos: int
    seconds_per_video: float
    billed_seconds_per_output: int
    outputs: int
    per_minute: float
    usd: float

    def __repr__(self) -> str:
        return (
            f"<MediaConvertBill {self.videos} video(s) x "
            f"{self.outputs // max(self.videos, 1)} rendition(s): "
            f"{self.billed_seconds_per_output} s billed per output, ${self.usd:.4f}>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>${self.usd:.4f}</b> for {self.videos} video(s) of {self.seconds_per_video:g} s, "
            f"{self.outputs} output(s) billed {self.billed_seconds_per_output} s each "
            f"at ${self.per_minute}/min"
        )


def mediaconvert_cost(
    seconds_per_video: float, videos: int = 1, renditions: int = 3, tier: str = "SD"
) -> MediaConvertBill:
    """What MediaConvert bills: every output's duration rounded up to 10 s, times the minute price.

    Args:
        seconds_per_video: Length of each input video.
        videos: How many videos.
        renditions: Outputs per video (the 24-Hour Video makes three).
        tier: ``"SD"`` or ``"UHD"`` (Basic tier prices).
    """
    if tier not in MEDIACONVERT_BASIC_PER_MINUTE:
        raise ValueError(
            f"tier must be one of {sorted(MEDIACONVERT_BASIC_PER_MINUTE)}, not {tier!r}"
        )
    billed = int(math.ceil(seconds_per_video / 10.0) * 10) if seconds_per_video > 0 else 0
    outputs = videos * renditions
    per_minute = MEDIACONVERT_BASIC_PER_MINUTE[tier]
    return MediaConvertBill(
        videos,
        seconds_per_video,
        billed,
        outputs,
        per_minute,
        round(outputs * billed / 60.0 * per_minute, 6),
    )


@dataclass(frozen=True)
class KeyForms:
    """One file name as S3 stores it, as an event carries it, and as a handler should use it."""

    file_name: str
    event_key: str
    decoded_key: str
    book_decoded_key: str
    file_input: str

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(v)}</code></td></tr>"
            for k, v in vars(self).items()
        )
        return f"<table>{rows}</table>"


def key_forms(file_name: str, bucket: str = "upload-video-ab") -> KeyForms:
    """Follow ``file_name`` from an upload to the ``FileInput`` a correct handler sends.

    ``book_decoded_key`` is what replacing only ``%2F`` with ``/`` (the printed listing) gives.
    """
    event_key = quote_plus(file_name, safe="/")
    decoded = unquote_plus(event_key)
    return KeyForms(
        file_name, event_key, decoded, event_key.replace("%2F", "/"), f"s3://{bucket}/{decoded}"
    )


@dataclass(frozen=True)
class BufferRun:
    """Images lost with and without a buffer queue at one failure rate."""

    images: int
    failure_rate: float
    lost_without_buffer: int
    lost_with_buffer: int
    retries_needed: int

    def __repr__(self) -> str:
        return (
            f"<BufferRun {self.images} images at {self.failure_rate:.0%} failures: lost "
            f"{self.lost_without_buffer} without a buffer, {self.lost_with_buffer} with it>"
        )


def simulate_buffer(
    images: int = 1000, failure_rate: float = 0.1, max_receives: int = 3, seed: int = 0
) -> BufferRun:
    """Process ``images`` once each; a failed one is lost, or buffered and retried.

    Retries stop after ``max_receives`` attempts.

    Failures are transient (each attempt fails independently with ``failure_rate``), as in Paul's
    latency example; an image still failing after ``max_receives`` goes to a dead-letter queue,
    which counts as lost here.
    """
    rng = random.Random(seed)
    lost_plain = lost_buffered = retries = 0
    for _ in range(images):
        if rng.random() >= failure_rate:
            continue
        lost_plain += 1
        for _attempt in range(max_receives):
            retries += 1
            if rng.random() >= failure_rate:
                break
        else:
            lost_buffered += 1
    return BufferRun(images, failure_rate, lost_plain, lost_buffered, retries)
