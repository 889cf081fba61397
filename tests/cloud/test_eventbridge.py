"""EventBridge: patterns, targets and their input, limits, schedule rules, archives and replays."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from dojo.cloud._schedule_expr import ScheduleError
from dojo.cloud._schedule_expr import parse as parse_schedule

RECORDER = """
import json
def handler(event, context):
    print(json.dumps(event, sort_keys=True))
"""


def _arn(name):
    return boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def _printed(cloud, name):
    return [json.loads(line) for line in cloud.logs(name)]


def _event(**overrides):
    event = {
        "id": "1",
        "account": "123456789012",
        "source": "shop.orders",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "detail-type": "OrderPlaced",
        "resources": [],
        "detail": {
            "total": 1200,
            "country": "DE",
            "clientIp": "10.0.3.7",
            "sku": "BOOK-123",
            "file": "report.pdf",
        },
    }
    event.update(overrides)
    return event


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ({"source": ["shop.orders"]}, True),
        ({"source": [{"prefix": "shop."}]}, True),
        ({"detail": {"file": [{"suffix": ".pdf"}]}}, True),
        ({"detail": {"country": [{"anything-but": ["DE", "FR"]}]}}, False),
        ({"detail": {"country": [{"anything-but": {"prefix": "U"}}]}}, True),
        ({"detail": {"total": [{"numeric": [">=", 1000, "<", 5000]}]}}, True),
        ({"detail": {"total": [{"numeric": ["<", 1000]}]}}, False),
        ({"detail": {"coupon": [{"exists": False}]}}, True),
        ({"detail": {"coupon": [{"exists": True}]}}, False),
        ({"detail": {"clientIp": [{"cidr": "10.0.0.0/16"}]}}, True),
        ({"detail": {"clientIp": [{"cidr": "192.168.0.0/16"}]}}, False),
        ({"detail": {"sku": [{"wildcard": "BOOK-*"}]}}, True),
        ({"detail": {"country": [{"equals-ignore-case": "de"}]}}, True),
        (
            {"$or": [{"detail": {"total": [{"numeric": ["<", 10]}]}}, {"source": ["shop.orders"]}]},
            True,
        ),
        ({"$or": [{"detail": {"total": [{"numeric": ["<", 10]}]}}, {"source": ["other"]}]}, False),
    ],
)
def test_test_event_pattern_answers_for_every_operator(cloud, pattern, matches):
    """Check that TestEventPattern returns a Result (moto returns none) for each operator."""
    result = boto3.client("events").test_event_pattern(
        EventPattern=json.dumps(pattern), Event=json.dumps(_event())
    )
    assert result["Result"] is matches


def test_test_event_pattern_rejects_an_event_without_envelope_fields(cloud):
    """Check that an event missing id/account/time... is rejected as on AWS."""
    with pytest.raises(ClientError, match="missing"):
        boto3.client("events").test_event_pattern(
            EventPattern=json.dumps({"source": ["a"]}), Event=json.dumps({"source": "a"})
        )


def test_lambda_target_on_a_custom_bus_gets_the_aws_event_asynchronously(make_function, cloud):
    """Check that a matching event reaches Lambda as an async invoke with the AWS envelope."""
    make_function("on-order", RECORDER)
    events = boto3.client("events")
    events.create_event_bus(Name="shop")
    events.put_rule(
        Name="big",
        EventBusName="shop",
        EventPattern=json.dumps({"detail": {"total": [{"numeric": [">", 1000]}]}}),
    )
    events.put_targets(
        Rule="big", EventBusName="shop", Targets=[{"Id": "f", "Arn": _arn("on-order")}]
    )
    for total in (500, 1500):
        events.put_events(
            Entries=[
                {
                    "Source": "shop",
                    "DetailType": "OrderPlaced",
                    "EventBusName": "shop",
                    "Detail": json.dumps({"total": total}),
                }
            ]
        )
    assert cloud.logs("on-order") == []  # asynchronous: nothing ran yet
    cloud.run_until_idle()
    (event,) = _printed(cloud, "on-order")
    assert event["detail"] == {"total": 1500}
    assert event["time"] == "2025-01-01T00:00:00Z"
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert cloud.trace.where(source="events:big", target="lambda:on-order", kind="delivery")


def test_failing_lambda_target_is_retried_and_dead_lettered(make_function, cloud, queue, drain):
    """Check that EventBridge → Lambda is an async invoke: retries at 60 s and 120 s, OnFailure."""
    make_function("flaky", "def handler(e, c):\n    raise ValueError('no')\n")
    url, qarn = queue("eb-failures")
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="flaky", DestinationConfig={"OnFailure": {"Destination": qarn}}
    )
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": _arn("flaky")}])
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
    cloud.run_until_idle()
    assert cloud.invocations("flaky") == 1
    cloud.clock.advance(180)
    assert cloud.invocations("flaky") == 3
    (message,) = drain(url)
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RetriesExhausted"


def test_input_input_path_and_transformer_reach_lambda_and_sqs(make_function, cloud, queue, drain):
    """Check constant Input, InputPath and InputTransformer for Lambda and SQS targets."""
    make_function("shaped", RECORDER)
    url, qarn = queue("shaped-q")
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    transformer = {
        "InputPathsMap": {"id": "$.detail.id", "total": "$.detail.total", "tags": "$.detail.tags"},
        "InputTemplate": '{"order": "<id>", "total": <total>, "tags": <tags>, '
        '"rule": "<aws.events.rule-name>"}',
    }
    events.put_targets(
        Rule="r",
        Targets=[
            {"Id": "constant", "Arn": _arn("shaped"), "Input": json.dumps({"fixed": True})},
            {"Id": "path", "Arn": qarn, "InputPath": "$.detail"},
            {"Id": "transform", "Arn": _arn("shaped"), "InputTransformer": transformer},
        ],
    )
    events.put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "t",
                "Detail": json.dumps({"id": "o-1", "total": 12.5, "tags": ["a"]}),
            }
        ]
    )
    cloud.run_until_idle()
    got = sorted(_printed(cloud, "shaped"), key=json.dumps)
    assert got == sorted(
        [{"fixed": True}, {"order": "o-1", "total": 12.5, "tags": ["a"], "rule": "r"}],
        key=json.dumps,
    )
    (message,) = drain(url)
    assert json.loads(message["Body"]) == {"id": "o-1", "total": 12.5, "tags": ["a"]}


def test_plain_text_input_transformer_reaches_sqs_as_text(cloud, queue, drain):
    """Check that a non-JSON InputTemplate is delivered as plain text with values inserted."""
    url, qarn = queue("text-q")
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(
        Rule="r",
        Targets=[
            {
                "Id": "1",
                "Arn": qarn,
                "InputTransformer": {
                    "InputPathsMap": {"id": "$.detail.id"},
                    "InputTemplate": '"Order <id> shipped"',
                },
            }
        ],
    )
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"id": "o-9"}'}])
    (message,) = drain(url)
    assert message["Body"] == '"Order o-9 shipped"'


def test_sns_and_other_bus_targets_deliver(cloud, queue, drain):
    """Check SNS targets (via a subscribed queue) and a rule forwarding to another bus."""
    sns_url, sns_q = queue("from-topic")
    bus_url, bus_q = queue("from-bus")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=sns_q, Attributes={"RawMessageDelivery": "true"}
    )
    events = boto3.client("events")
    audit = events.create_event_bus(Name="audit")["EventBusArn"]
    events.put_rule(
        Name="audit-all", EventBusName="audit", EventPattern=json.dumps({"source": ["shop"]})
    )
    events.put_targets(Rule="audit-all", EventBusName="audit", Targets=[{"Id": "q", "Arn": bus_q}])
    events.put_rule(Name="fan", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="fan", Targets=[{"Id": "t", "Arn": topic}, {"Id": "b", "Arn": audit}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"n": 1}'}])
    cloud.run_until_idle()
    (from_topic,) = drain(sns_url)
    assert json.loads(from_topic["Body"])["detail"] == {"n": 1}
    (from_bus,) = drain(bus_url)
    assert json.loads(from_bus["Body"])["detail"] == {"n": 1}


def test_step_functions_target_starts_an_execution(cloud, role):
    """Check that an EventBridge rule starts a state machine with the event as input."""
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="on-event",
        roleArn=role,
        definition=json.dumps(
            {
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "OutputPath": "$.detail", "End": True}},
            }
        ),
    )["stateMachineArn"]
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": machine, "RoleArn": role}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"n": 2}'}])
    cloud.run_until_idle()
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"n": 2}


def test_disabled_rule_delivers_nothing_until_enabled(make_function, cloud):
    """Check that DISABLED rules deliver nothing, and enable_rule turns delivery back on."""
    make_function("gated", RECORDER)
    events = boto3.client("events")
    events.put_rule(Name="g", EventPattern=json.dumps({"source": ["x"]}), State="DISABLED")
    events.put_targets(Rule="g", Targets=[{"Id": "1", "Arn": _arn("gated")}])
    entry = {"Source": "x", "DetailType": "t", "Detail": "{}"}
    events.put_events(Entries=[entry])
    cloud.run_until_idle()
    assert cloud.invocations("gated") == 0
    assert cloud.trace.where(source="events:g", outcome="dropped")
    events.enable_rule(Name="g")
    events.put_events(Entries=[entry])
    cloud.run_until_idle()
    assert cloud.invocations("gated") == 1


def test_a_sixth_target_is_refused(cloud, queue):
    """Check that put_targets refuses more than 5 targets per rule with LimitExceededException."""
    _, arn = queue("many")
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))
    events.put_targets(Rule="r", Targets=[{"Id": str(i), "Arn": arn} for i in range(5)])
    events.put_targets(Rule="r", Targets=[{"Id": "0", "Arn": arn}])  # replacing is fine
    with pytest.raises(ClientError) as error:
        events.put_targets(Rule="r", Targets=[{"Id": "5", "Arn": arn}])
    assert error.value.response["Error"]["Code"] == "LimitExceededException"
    assert len(events.list_targets_by_rule(Rule="r")["Targets"]) == 5


def test_rate_schedule_rule_fires_on_the_clock(make_function, cloud):
    """Check that rate(5 minutes) fires 12 times an hour with the Scheduled Event payload."""
    make_function("tick", RECORDER)
    events = boto3.client("events")
    rule_arn = events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule="every5", Targets=[{"Id": "1", "Arn": _arn("tick")}])
    cloud.clock.advance(299)
    assert cloud.invocations("tick") == 0
    cloud.clock.advance(3301)
    fired = _printed(cloud, "tick")
    assert len(fired) == 12
    assert fired[0]["detail-type"] == "Scheduled Event"
    assert fired[0]["source"] == "aws.events"
    assert fired[0]["resources"] == [rule_arn]
    assert fired[0]["detail"] == {}
    assert fired[0]["time"] == "2025-01-01T00:05:00Z"
    events.put_events(Entries=[{"Source": "any", "DetailType": "t", "Detail": "{}"}])
    cloud.run_until_idle()
    assert cloud.invocations("tick") == 12  # schedule rules receive no bus events


def test_cron_schedule_rule_with_constant_input_fires_daily(make_function, cloud):
    """Check that cron(30 12 * * ? *) fires at 12:30 UTC each day with the target's Input."""
    make_function("daily", RECORDER)
    events = boto3.client("events")
    events.put_rule(Name="noon", ScheduleExpression="cron(30 12 * * ? *)")
    events.put_targets(
        Rule="noon", Targets=[{"Id": "1", "Arn": _arn("daily"), "Input": '{"job": "report"}'}]
    )
    cloud.clock.advance(3 * 86400)
    assert _printed(cloud, "daily") == [{"job": "report"}] * 3
    times = [h.at for h in cloud.trace.where(source="events:noon", kind="delivery")]
    assert [t[:16] for t in times] == ["2025-01-01T12:30", "2025-01-02T12:30", "2025-01-03T12:30"]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "cron(0 12 * * * *)",
        "cron(0 12 * *)",
        "every 5 minutes",
    ],
)
def test_invalid_schedule_expressions_are_rejected(cloud, expression):
    """Check that put_rule rejects what AWS rejects (moto accepts some of these)."""
    with pytest.raises(ClientError, match="ScheduleExpression"):
        boto3.client("events").put_rule(Name="bad", ScheduleExpression=expression)


def test_cron_next_fire_times_handle_special_fields():
    """Check L, W, # and day names in the cron calculator."""
    import datetime as dt

    def fire(expression, after):
        stamp = parse_schedule(expression).next_after(
            dt.datetime.fromisoformat(after).replace(tzinfo=dt.UTC).timestamp()
        )
        return dt.datetime.fromtimestamp(stamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")

    assert fire("cron(0 9 L * ? *)", "2025-02-03T00:00") == "2025-02-28 09:00"
    assert fire("cron(0 9 ? * MON-FRI *)", "2025-01-04T00:00") == "2025-01-06 09:00"  # Sat → Mon
    assert fire("cron(0 9 ? * 6#3 *)", "2025-01-01T00:00") == "2025-01-17 09:00"  # 3rd Friday
    assert fire("cron(0 9 15W * ? *)", "2025-03-01T00:00") == "2025-03-14 09:00"  # 15th is a Sat
    assert fire("cron(0/15 * * * ? 2026)", "2025-06-01T00:00") == "2026-01-01 00:00"
    with pytest.raises(ScheduleError):
        parse_schedule("at(2025-01-01T00:00:00)")


def test_archive_and_replay_redeliver_on_the_clock(make_function, cloud):
    """Check that a replay re-delivers archived events, stamped with replay-name, on the clock."""
    make_function("proj", RECORDER)
    events = boto3.client("events")
    bus = events.describe_event_bus()["Arn"]
    archive = events.create_archive(ArchiveName="all", EventSourceArn=bus)["ArchiveArn"]
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": _arn("proj")}])
    for n in range(5):
        events.put_events(
            Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": n})}]
        )
    cloud.run_until_idle()
    assert cloud.invocations("proj") == 5
    import datetime as dt

    events.start_replay(
        ReplayName="again",
        EventSourceArn=archive,
        Destination={"Arn": bus},
        EventStartTime=dt.datetime(2024, 1, 1),
        EventEndTime=dt.datetime(2026, 1, 1),
    )
    assert events.describe_replay(ReplayName="again")["State"] == "RUNNING"
    cloud.run_until_idle()
    assert events.describe_replay(ReplayName="again")["State"] == "COMPLETED"
    replayed = [e for e in _printed(cloud, "proj") if e.get("replay-name") == "again"]
    assert sorted(e["detail"]["n"] for e in replayed) == [0, 1, 2, 3, 4]


def test_undeliverable_event_goes_to_the_target_dead_letter_queue(cloud, queue, drain):
    """Check that an event for a missing function goes to the target DLQ with its attributes."""
    url, dlq = queue("eb-dlq")
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    missing = "arn:aws:lambda:us-east-1:123456789012:function:gone"
    events.put_targets(
        Rule="r", Targets=[{"Id": "1", "Arn": missing, "DeadLetterConfig": {"Arn": dlq}}]
    )
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 1}'}])
    cloud.run_until_idle()
    (message,) = drain(url)
    assert json.loads(message["Body"])["detail"] == {"n": 1}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["TARGET_ARN"] == missing
    assert attributes["RULE_ARN"].endswith(":rule/r")
    assert attributes["ERROR_CODE"] == "ResourceNotFound"


def test_put_events_over_256_kb_is_refused(cloud):
    """Check that a PutEvents request over 256 KB fails with ValidationException."""
    detail = json.dumps({"blob": "x" * 200_000})
    entry = {"Source": "app", "DetailType": "t", "Detail": detail}
    boto3.client("events").put_events(Entries=[entry])
    with pytest.raises(ClientError, match="over the limit"):
        boto3.client("events").put_events(Entries=[entry, entry])
