"""EventBridge Scheduler: at/rate/cron schedules, time zones, flexible windows, completion."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.exceptions import ClientError

RECORDER = "import json\ndef handler(event, context):\n    print(json.dumps(event))\n"


def _target(cloud, make_function, role, name="job", **extra):
    make_function(name, RECORDER)
    arn = boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return {"Arn": arn, "RoleArn": role, **extra}


def _fired_at(cloud, name):
    return [
        h.at[:19]
        for h in cloud.trace.where(source=f"scheduler:{name}", kind="delivery", outcome="ok")
        if h.target.startswith("lambda:")
    ]


def test_one_time_at_schedule_fires_once_and_deletes_itself(cloud, make_function, role):
    """Check that at() fires once with the Input, then ActionAfterCompletion DELETE removes it."""
    scheduler = boto3.client("scheduler")
    scheduler.create_schedule(
        Name="remind",
        ScheduleExpression="at(2025-01-01T10:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target=_target(cloud, make_function, role, Input='{"task": "t-1"}'),
    )
    cloud.clock.advance(10 * 3600 - 1)
    assert cloud.invocations("job") == 0
    cloud.clock.advance(86400)
    assert [json.loads(line) for line in cloud.logs("job")] == [{"task": "t-1"}]
    assert _fired_at(cloud, "remind") == ["2025-01-01T10:00:00"]
    with pytest.raises(ClientError, match="ResourceNotFound"):
        scheduler.get_schedule(Name="remind")


def test_at_schedule_uses_its_time_zone(cloud, make_function, role):
    """Check that at() is read in ScheduleExpressionTimezone (09:00 in Tokyo is 00:00 UTC)."""
    boto3.client("scheduler").create_schedule(
        Name="tokyo",
        ScheduleExpression="at(2025-01-02T09:00:00)",
        ScheduleExpressionTimezone="Asia/Tokyo",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=_target(cloud, make_function, role),
    )
    cloud.clock.advance(2 * 86400)
    assert _fired_at(cloud, "tokyo") == ["2025-01-02T00:00:00"]
    assert boto3.client("scheduler").get_schedule(Name="tokyo")  # NONE: kept after completion


def test_rate_schedule_with_end_date_and_context_attributes(cloud, make_function, role):
    """Check rate(1 hour) between StartDate and EndDate, filling <aws.scheduler.scheduled-time>."""
    boto3.client("scheduler").create_schedule(
        Name="hourly",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        StartDate=dt.datetime(2025, 1, 1, 2, tzinfo=dt.UTC),
        EndDate=dt.datetime(2025, 1, 1, 5, 30, tzinfo=dt.UTC),
        Target=_target(
            cloud, make_function, role, Input='{"at": "<aws.scheduler.scheduled-time>"}'
        ),
    )
    cloud.clock.advance(86400)
    assert [json.loads(line)["at"] for line in cloud.logs("job")] == [
        "2025-01-01T03:00:00Z",
        "2025-01-01T04:00:00Z",
        "2025-01-01T05:00:00Z",
    ]


def test_cron_schedule_follows_daylight_saving_in_its_time_zone(cloud, make_function, role):
    """Check cron(0 9 * * ? *) in Europe/Berlin: 08:00 UTC in winter, 07:00 UTC after March 30."""
    cloud.clock.advance_to("2025-03-28T00:00:00Z")
    boto3.client("scheduler").create_schedule(
        Name="berlin",
        ScheduleExpression="cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=_target(cloud, make_function, role),
    )
    cloud.clock.advance(4 * 86400)
    assert _fired_at(cloud, "berlin") == [
        "2025-03-28T08:00:00",
        "2025-03-29T08:00:00",
        "2025-03-30T07:00:00",
        "2025-03-31T07:00:00",
    ]


def test_flexible_window_delays_within_the_window_reproducibly(cloud, make_function, role):
    """Check that FLEXIBLE fires inside [time, time + window], at the same seeded offsets."""
    boto3.client("scheduler").create_schedule(
        Name="flex",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 60},
        Target=_target(cloud, make_function, role),
    )
    cloud.clock.advance(5 * 86400)
    times = [dt.datetime.fromisoformat(t) for t in _fired_at(cloud, "flex")]
    assert len(times) == 4 or len(times) == 5
    offsets = [(t - dt.datetime(2025, 1, 1 + i + 1)).total_seconds() for i, t in enumerate(times)]
    assert all(0 <= o <= 3600 for o in offsets)
    assert len(set(offsets)) > 1


def test_disabled_schedule_does_not_fire_and_sqs_target_gets_input(cloud, queue, drain, role):
    """Check State DISABLED, then an SQS templated target receiving the Input."""
    url, arn = queue("sched-q")
    scheduler = boto3.client("scheduler")
    scheduler.create_schedule(
        Name="q",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="DISABLED",
        Target={"Arn": arn, "RoleArn": role, "Input": "ping"},
    )
    cloud.clock.advance(3600)
    assert drain(url) == []
    scheduler.update_schedule(
        Name="q",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={"Arn": arn, "RoleArn": role, "Input": "ping"},
    )
    cloud.clock.advance(900)
    assert [m["Body"] for m in drain(url)] == ["ping"] * 3


@pytest.mark.parametrize(
    ("expression", "window"),
    [
        ("every 5 minutes", {"Mode": "OFF"}),
        ("rate(1 minutes)", {"Mode": "OFF"}),
        ("at(2025-13-01T00:00:00)", {"Mode": "OFF"}),
        ("rate(5 minutes)", {"Mode": "FLEXIBLE"}),
    ],
)
def test_invalid_schedules_are_rejected(cloud, role, expression, window):
    """Check that expressions and windows AWS rejects are rejected (moto accepts them)."""
    with pytest.raises(ClientError, match="ValidationException"):
        boto3.client("scheduler").create_schedule(
            Name="bad",
            ScheduleExpression=expression,
            FlexibleTimeWindow=window,
            Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": role},
        )
