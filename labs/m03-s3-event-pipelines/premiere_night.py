"""Premiere night: the m03 workshop lab's playlist, fault rounds and scoring.

Every team runs its own 24-Hour Video (``deploy_pipeline(aws, initials)``) and camera pipeline
(``deploy_camera_pipeline(aws, suffix)``) from the m03 exercise in its own local cloud. The
instructor calls :func:`play_round` on each team's cloud: a 30-item playlist is uploaded (names
with spaces, plus signs, several dots and folders; a zero-byte video; a video deleted seconds after
upload; a non-video; camera images) and one fault is injected. Teams watch metrics, logs and the
trace, fix their configuration live and write root-cause notes. :func:`score_lab` scores a team's
cloud; :func:`cost_bonus` awards the cheapest complete team. Self-scored until workshop mode
grades labs.

Scoring (module card m03): +3 per video with all three renditions in the right folder, -5 per
video with a wrong layout, +2 per camera image catalogued exactly once, -10 per image lost, +10 per
accepted root-cause note (layer, cause, evidence), and a cost bonus for the team with the fewest
MediaConvert seconds billed (10-second rounding) among teams with complete output.
"""

from __future__ import annotations

import json
import posixpath
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

MODIFIERS = (
    "_16x9_1920x1080p_24Hz_6Mbps",
    "_16x9_1280x720p_24Hz_4.5Mbps",
    "_4x3_640x480p_24Hz_1.5Mbps",
)
VIDEOS = [
    "Video Of Flower Field.mp4",
    "premiere night.mp4",
    "a+b.mp4",
    "c++ talk.mp4",
    "my.holiday.v2.mp4",
    "trailer.final.cut.mp4",
    "uploads/2024/cat.mp4",
    "uploads/2024/dog walk.mp4",
    "festival/day 1/opening.mp4",
    "festival/day 1/q&a.mp4",
    "credits.mp4",
    "intro (1).mp4",
]
ZERO_BYTE = "empty.mp4"
DELETED = "withdrawn.mp4"
NOT_VIDEO = "press-release.txt"
IMAGES = [f"cam{n % 3}/frame-{n:03d}.png" for n in range(15)]
PLAYLIST = [*VIDEOS, ZERO_BYTE, DELETED, NOT_VIDEO, *IMAGES]
"""The 30 items the instructor uploads, in order."""

FAULTS = {
    "pass-role": ("iam", "pass-role-revoked"),
    "throttle": ("dynamodb", "throttled"),
}
"""Faults a round can inject, with the (layer, cause) a root-cause note must name."""

TRANSCODE_FUNCTION = "twentyfour-hour-video-dev-transcode-video"


def png(width: int, height: int) -> bytes:
    """A real single-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x40\x80\xc0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def play_round(
    aws: Any, initials: str, suffix: str, fault: str | None = None
) -> list[tuple[str, str]]:
    """Upload the playlist to a team's buckets and inject ``fault``; returns the faults injected.

    ``"pass-role"`` removes ``iam:PassRole`` from the ``transcode-video`` role's inline policies
    (MediaConvert then refuses jobs, as AWS does); ``"throttle"`` makes half of the camera
    function's DynamoDB writes fail with ProvisionedThroughputExceededException.
    """
    injected = []
    if fault == "pass-role":
        aws.mediaconvert.enforce_pass_role = True
        iam = aws.client("iam")
        for name in iam.list_role_policies(RoleName="transcode-video")["PolicyNames"]:
            document = iam.get_role_policy(RoleName="transcode-video", PolicyName=name)[
                "PolicyDocument"
            ]
            document["Statement"] = [
                s for s in document["Statement"] if "iam:PassRole" not in json.dumps(s)
            ]
            iam.put_role_policy(
                RoleName="transcode-video", PolicyName=name, PolicyDocument=json.dumps(document)
            )
        injected.append(FAULTS[fault])
    elif fault == "throttle":
        aws.chaos.fail(
            "dynamodb",
            "PutItem",
            rate=0.5,
            error="ProvisionedThroughputExceededException",
            only_in=f"camera-ingest-{suffix}",
        )
        injected.append(FAULTS[fault])
    elif fault is not None:
        raise ValueError(f"unknown fault {fault!r}; faults: {sorted(FAULTS)}")
    s3 = aws.client("s3")
    for key in VIDEOS:
        s3.put_object(
            Bucket=f"upload-video-{initials}",
            Key=key,
            Body=b"video",
            Metadata={"duration-seconds": "42"},
        )
    s3.put_object(Bucket=f"upload-video-{initials}", Key=ZERO_BYTE, Body=b"")
    s3.put_object(Bucket=f"upload-video-{initials}", Key=DELETED, Body=b"video")
    s3.delete_object(Bucket=f"upload-video-{initials}", Key=DELETED)
    s3.put_object(Bucket=f"upload-video-{initials}", Key=NOT_VIDEO, Body=b"text")
    for n, key in enumerate(IMAGES):
        s3.put_object(Bucket=f"camera-uploads-{suffix}", Key=key, Body=png(160 + n, 120))
    aws.run_until_idle()
    return injected


@dataclass
class LabScore:
    """A team's score, line by line."""

    team: str
    points: int = 0
    lines: list[str] = field(default_factory=list)
    complete: bool = False
    billed_seconds: int = 0

    def add(self, points: int, why: str) -> None:
        self.points += points
        self.lines.append(f"{points:+d}  {why}")

    def __repr__(self) -> str:
        return f"<LabScore {self.team}: {self.points} points>\n" + "\n".join(self.lines)


def score_lab(
    aws: Any,
    team: str,
    initials: str,
    suffix: str,
    notes: list[dict[str, str]] = (),
    faults: list[tuple[str, str]] = (),
) -> LabScore:
    """Score one team's cloud after a round (see the module docstring for the rules).

    Args:
        aws: The team's running local cloud.
        team: The team's name (for the report).
        initials: What the team passed to ``deploy_pipeline``.
        suffix: What the team passed to ``deploy_camera_pipeline``.
        notes: Root-cause notes ``{"layer", "cause", "evidence"}``.
        faults: The (layer, cause) pairs :func:`play_round` injected.
    """
    score = LabScore(team)
    s3 = aws.client("s3")
    outputs: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=f"transcoded-video-{initials}"):
        outputs += [item["Key"] for item in page.get("Contents", [])]
    claimed: set[str] = set()
    complete = 0
    for key in VIDEOS:
        folder = posixpath.splitext(key)[0]
        base = posixpath.basename(folder)
        expected = {f"{folder}/{base}{modifier}.mp4" for modifier in MODIFIERS}
        claimed |= expected
        if expected <= set(outputs):
            complete += 1
            score.add(3, f"{key}: three renditions in {folder}/")
    misplaced: dict[str, list[str]] = {}
    for key in sorted(set(outputs) - claimed):
        misplaced.setdefault(posixpath.dirname(key) or "(top level)", []).append(key)
    for folder, keys in misplaced.items():
        score.add(
            -5,
            f"{folder}: {len(keys)} output(s) with a wrong layout (wrong folder or name)",
        )
    try:
        items = aws.client("dynamodb").scan(TableName="image-catalog")["Items"]
    except Exception:
        items = []
    catalogued = [item["key"]["S"] for item in items]
    for key in IMAGES:
        if catalogued.count(key) == 1:
            score.add(2, f"{key}: catalogued once")
        else:
            score.add(-10, f"{key}: lost")
    accepted: set[tuple[str, str]] = set()
    for note in notes:
        pair = (note.get("layer", ""), note.get("cause", ""))
        if pair in faults and pair not in accepted and str(note.get("evidence", "")).strip():
            accepted.add(pair)
            score.add(10, f"root cause {pair[0]}/{pair[1]} accepted")
    score.complete = complete == len(VIDEOS)
    score.billed_seconds = aws.mediaconvert.billed_seconds()
    return score


def cost_bonus(scores: list[LabScore], bonus: int = 10) -> list[LabScore]:
    """Add ``bonus`` to the complete team(s) with the fewest MediaConvert seconds billed."""
    complete = [s for s in scores if s.complete]
    if complete:
        cheapest = min(s.billed_seconds for s in complete)
        for s in complete:
            if s.billed_seconds == cheapest:
                s.add(bonus, f"cost bonus: {cheapest} MediaConvert seconds billed, the fewest")
    return scores


def load_answers(path: str) -> dict[str, Any]:
    """Run the answer cells of a team's m03 exercise notebook (not its checks); return its names."""
    import nbformat

    namespace: dict[str, Any] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            exec(compile(cell.source, path, "exec"), namespace)
    return namespace
