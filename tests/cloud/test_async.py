"""Asynchronous invocation: retries on the clock, event age, destinations and dead-letter queues."""

from __future__ import annotations

import json

import boto3
import pytest

FAILING = "def handler(event, context):\n    raise RuntimeError('nope: ' + str(event.get('id')))\n"
OK = "def handler(event, context):\n    return {'echo': event}\n"


def _event(name: str, payload: dict) -> int:
    return boto3.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode()
    )["StatusCode"]


def test_event_invoke_returns_202_and_runs_only_when_the_cloud_runs(make_function, cloud):
    """Check that InvocationType=Event is queued, not run inline."""
    make_function("later", OK)
    assert _event("later", {"a": 1}) == 202
    assert cloud.invocations("later") == 0
    assert cloud.run_until_idle() >= 1
    assert cloud.invocations("later") == 1


def test_failed_async_event_is_retried_twice_after_60_and_120_seconds(make_function, cloud):
    """Check AWS's default retry schedule on the fake clock."""
    make_function("flaky", FAILING)
    _event("flaky", {"id": 1})
    cloud.run_until_idle()
    assert cloud.invocations("flaky") == 1
    cloud.clock.advance(59)
    assert cloud.invocations("flaky") == 1
    cloud.clock.advance(1)
    assert cloud.invocations("flaky") == 2
    cloud.clock.advance(119)
    assert cloud.invocations("flaky") == 2
    cloud.clock.advance(1)
    assert cloud.invocations("flaky") == 3
    cloud.clock.advance(3600)
    assert cloud.invocations("flaky") == 3
    assert cloud.trace.where(
        kind="async", outcome="dropped"
    )  # discarded: no destination configured


def test_retry_keeps_the_request_id(make_function, cloud):
    """Check that every attempt of one async event sees the same aws_request_id."""
    make_function(
        "ids", "def handler(e, c):\n    print(c.aws_request_id)\n    raise ValueError('x')\n"
    )
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="ids", MaximumRetryAttempts=1
    )
    _event("ids", {})
    cloud.clock.advance(300)
    printed = [line for line in cloud.logs("ids") if len(line) == 36]
    assert len(printed) == 2 and printed[0] == printed[1]


def test_on_failure_destination_gets_the_aws_destination_record(make_function, cloud, queue, drain):
    """Check the OnFailure record: condition, invoke count, request and response payloads."""
    url, arn = queue("failures")
    make_function("fails", FAILING)
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fails",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    _event("fails", {"id": 42})
    cloud.clock.advance(600)
    messages = drain(url)
    assert len(messages) == 1
    record = json.loads(messages[0]["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"].endswith(":function:fails:$LATEST")
    assert record["requestPayload"] == {"id": 42}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "nope: 42"


def test_on_success_destination_to_sns_and_lambda(make_function, cloud, queue, drain):
    """Check OnSuccess to an SNS topic (→ SQS) and OnFailure to another function."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="done")["TopicArn"]
    url, qarn = queue("done-spy")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"}
    )
    make_function("good", OK)
    make_function("bad", FAILING)
    make_function(
        "catcher", "def handler(e, c):\n    print('caught', e['requestContext']['condition'])\n"
    )
    lam = boto3.client("lambda")
    lam.put_function_event_invoke_config(
        FunctionName="good", DestinationConfig={"OnSuccess": {"Destination": topic}}
    )
    catcher_arn = lam.get_function(FunctionName="catcher")["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName="bad",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": catcher_arn}},
    )
    _event("good", {"k": "v"})
    _event("bad", {"id": 1})
    cloud.run_until_idle()
    record = json.loads(drain(url)[0]["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"echo": {"k": "v"}}
    assert cloud.logs("catcher") == ["caught RetriesExhausted"]


def test_eventbridge_destination_puts_an_event_on_the_bus(make_function, cloud, queue, drain):
    """Check an EventBridge destination: a rule on the bus routes the record to SQS."""
    events = boto3.client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url, qarn = queue("bus-spy")
    events.put_rule(
        Name="all", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]})
    )
    events.put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": qarn}])
    make_function("evt", OK)
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="evt", DestinationConfig={"OnSuccess": {"Destination": bus}}
    )
    _event("evt", {"n": 1})
    cloud.run_until_idle()
    envelope = json.loads(drain(url)[0]["Body"])
    assert envelope["detail-type"] == "Lambda Function Invocation Result - Success"
    assert envelope["detail"]["requestPayload"] == {"n": 1}


def test_maximum_event_age_discards_old_events(make_function, cloud, queue, drain):
    """Check EventAgeExceeded when retries would run past MaximumEventAgeInSeconds."""
    url, arn = queue("aged")
    make_function("old", FAILING)
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="old",
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    _event("old", {"id": 1})
    cloud.clock.advance(600)
    assert (
        cloud.invocations("old") == 2
    )  # first try at 0 s, retry at 60 s (age 60, not over), then too old
    record = json.loads(drain(url)[0]["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


def test_dead_letter_queue_gets_the_original_event_with_error_attributes(
    make_function, cloud, queue, drain
):
    """Check a function's DeadLetterConfig (which moto does not store) receives the failed event."""
    url, arn = queue("fn-dlq")
    make_function("dlq", FAILING, DeadLetterConfig={"TargetArn": arn})
    assert boto3.client("lambda").get_function_configuration(FunctionName="dlq")[
        "DeadLetterConfig"
    ] == {"TargetArn": arn}
    _event("dlq", {"id": 9})
    cloud.clock.advance(600)
    messages = drain(url)
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"]) == {"id": 9}
    attributes = messages[0]["MessageAttributes"]
    assert attributes["ErrorMessage"]["StringValue"] == "nope: 9"
    assert attributes["ErrorCode"]["StringValue"] == "200"
    assert len(attributes["RequestID"]["StringValue"]) == 36


def test_throttled_async_event_waits_and_runs_when_capacity_returns(make_function, cloud):
    """Check that async events are retried (not failed) while a function is throttled."""
    make_function("busy", OK)
    lam = boto3.client("lambda")
    lam.put_function_concurrency(FunctionName="busy", ReservedConcurrentExecutions=0)
    _event("busy", {})
    cloud.clock.advance(30)
    assert cloud.invocations("busy") == 0
    assert cloud.trace.where(target="lambda:busy", outcome="throttled")
    lam.delete_function_concurrency(FunctionName="busy")
    cloud.clock.advance(300)
    assert cloud.invocations("busy") == 1


@pytest.mark.parametrize("retries", [0, 2])
def test_maximum_retry_attempts_is_honoured(make_function, cloud, retries):
    """Check that MaximumRetryAttempts bounds the attempts."""
    make_function("bounded", FAILING)
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="bounded", MaximumRetryAttempts=retries
    )
    _event("bounded", {})
    cloud.clock.advance(3600)
    assert cloud.invocations("bounded") == retries + 1
