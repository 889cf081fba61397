"""Step Functions: executions run on the fake clock in the cloud's deterministic interpreter."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def machine(cloud, role):
    """machine(definition, name=...) -> state machine ARN."""
    sfn = boto3.client("stepfunctions")
    count = iter(range(1000))

    def make(definition, name=None):
        return sfn.create_state_machine(
            name=name or f"m{next(count)}", roleArn=role, definition=json.dumps(definition)
        )["stateMachineArn"]

    return make


def _run(cloud, arn, payload=None, **kwargs):
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}), **kwargs)
    cloud.run_until_idle()
    return sfn.describe_execution(executionArn=execution["executionArn"])


def _fn_arn(name):
    return boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_lambda_tasks_choice_and_pass_produce_the_output(cloud, machine, make_function):
    """Check a Task → Choice → Pass/Succeed flow with Lambda tasks run in the local runtime."""
    make_function("price", "def handler(e, c):\n    return {'total': sum(e['items'])}\n")
    arn = machine(
        {
            "StartAt": "Price",
            "States": {
                "Price": {
                    "Type": "Task",
                    "Resource": _fn_arn("price"),
                    "ResultPath": "$.priced",
                    "Next": "Big?",
                },
                "Big?": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Variable": "$.priced.total",
                            "NumericGreaterThanEquals": 1000,
                            "Next": "Approve",
                        }
                    ],
                    "Default": "Done",
                },
                "Approve": {
                    "Type": "Pass",
                    "Result": "manual",
                    "ResultPath": "$.approval",
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed"},
            },
        }
    )
    small = _run(cloud, arn, {"items": [1, 2]})
    big = _run(cloud, arn, {"items": [600, 500]})
    assert small["status"] == "SUCCEEDED"
    assert json.loads(small["output"]) == {"items": [1, 2], "priced": {"total": 3}}
    assert json.loads(big["output"])["approval"] == "manual"
    history = boto3.client("stepfunctions").get_execution_history(executionArn=big["executionArn"])
    types = [e["type"] for e in history["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "TaskSucceeded" in types and "ChoiceStateExited" in types
    assert cloud.invocations("price") == 2


def test_one_day_wait_finishes_on_clock_advance_without_sleeping(cloud, machine):
    """Check that a 86,400 s Wait keeps the execution RUNNING until the clock moves a day."""
    import time

    arn = machine(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}
    )
    sfn = boto3.client("stepfunctions")
    started = time.perf_counter()
    execution = sfn.start_execution(stateMachineArn=arn, name="day")["executionArn"]
    cloud.clock.advance(86399)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    cloud.clock.advance(1)
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    assert described["stopDate"].isoformat().startswith("2025-01-02T00:00:00")
    assert time.perf_counter() - started < 5


def test_wait_timestamp_path_and_seconds_path(cloud, machine):
    """Check TimestampPath and SecondsPath waits on the fake clock."""
    arn = machine(
        {
            "StartAt": "Until",
            "States": {
                "Until": {"Type": "Wait", "TimestampPath": "$.due", "Next": "Then"},
                "Then": {"Type": "Wait", "SecondsPath": "$.pause", "End": True},
            },
        }
    )
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"due": "2025-01-01T06:00:00Z", "pause": 60})
    )["executionArn"]
    cloud.clock.advance(6 * 3600 + 59)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    cloud.clock.advance(1)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"


def test_retry_backs_off_on_the_clock_then_catch_takes_over(cloud, machine, make_function):
    """Check Retry (2 s, x2 backoff, 3 attempts) on the clock, then Catch with the error info."""
    make_function("pay", "def handler(e, c):\n    raise TimeoutError('bank down')\n")
    arn = machine(
        {
            "StartAt": "Pay",
            "States": {
                "Pay": {
                    "Type": "Task",
                    "Resource": _fn_arn("pay"),
                    "Retry": [
                        {
                            "ErrorEquals": ["TimeoutError"],
                            "IntervalSeconds": 2,
                            "MaxAttempts": 3,
                            "BackoffRate": 2,
                        }
                    ],
                    "Catch": [
                        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}
                    ],
                    "End": True,
                },
                "Refund": {"Type": "Pass", "End": True},
            },
        }
    )
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": 1}')["executionArn"]
    cloud.run_until_idle()
    assert cloud.invocations("pay") == 1
    cloud.clock.advance(2)
    assert cloud.invocations("pay") == 2
    cloud.clock.advance(4)
    assert cloud.invocations("pay") == 3
    cloud.clock.advance(8)
    assert cloud.invocations("pay") == 4
    output = json.loads(sfn.describe_execution(executionArn=execution)["output"])
    assert output["order"] == 1
    assert output["error"]["Error"] == "TimeoutError"
    assert "bank down" in output["error"]["Cause"]
    history = sfn.get_execution_history(executionArn=execution)["events"]
    exits = [e["stateExitedEventDetails"]["name"] for e in history if e["type"].endswith("Exited")]
    assert exits == ["Pay", "Refund"]


def test_fail_state_fails_the_execution_with_error_and_cause(cloud, machine):
    """Check that a Fail state ends the execution FAILED with its Error and Cause."""
    arn = machine(
        {
            "StartAt": "No",
            "States": {"No": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}},
        }
    )
    described = _run(cloud, arn)
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Order.Rejected", "out of stock")


def test_parallel_and_map_keep_order_and_interleave_waits(cloud, machine):
    """Check Parallel and Map: results in order, waits overlap, MaxConcurrency honoured."""
    arn = machine(
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {
                            "StartAt": "A",
                            "States": {
                                "A": {"Type": "Wait", "Seconds": 10, "Next": "A2"},
                                "A2": {"Type": "Pass", "Result": "a", "End": True},
                            },
                        },
                        {
                            "StartAt": "M",
                            "States": {
                                "M": {
                                    "Type": "Map",
                                    "ItemsPath": "$.items",
                                    "MaxConcurrency": 2,
                                    "ItemSelector": {
                                        "n.$": "$$.Map.Item.Value",
                                        "i.$": "$$.Map.Item.Index",
                                    },
                                    "ItemProcessor": {
                                        "StartAt": "Wait",
                                        "States": {
                                            "Wait": {
                                                "Type": "Wait",
                                                "Seconds": 10,
                                                "Next": "Double",
                                            },
                                            "Double": {
                                                "Type": "Pass",
                                                "Parameters": {
                                                    "v.$": "States.MathAdd($.n, $.n)",
                                                    "i.$": "$.i",
                                                },
                                                "End": True,
                                            },
                                        },
                                    },
                                    "End": True,
                                }
                            },
                        },
                    ],
                }
            },
        }
    )
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input='{"items": [1, 2, 3]}')[
        "executionArn"
    ]
    cloud.clock.advance(19)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    cloud.clock.advance(1)  # 2 iterations at a time: 10 s + 10 s; the other branch overlapped
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [
        "a",
        [{"v": 2, "i": 0}, {"v": 4, "i": 1}, {"v": 6, "i": 2}],
    ]


def test_wait_for_task_token_resumes_on_send_task_success(cloud, machine, queue, drain):
    """Check .waitForTaskToken with SQS: the token is in the message; SendTaskSuccess resumes."""
    url, _ = queue("approvals")
    arn = machine(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": url,
                        "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"},
                    },
                    "ResultPath": "$.decision",
                    "End": True,
                }
            },
        }
    )
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": 7}')["executionArn"]
    cloud.run_until_idle()
    (message,) = drain(url)
    body = json.loads(message["Body"])
    assert body["order"] == 7
    cloud.clock.advance(3600)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=body["token"], output='{"approved": true}')
    cloud.run_until_idle()
    described = sfn.describe_execution(executionArn=execution)
    assert json.loads(described["output"]) == {"order": 7, "decision": {"approved": True}}
    with pytest.raises(ClientError, match="InvalidToken"):
        sfn.send_task_success(taskToken=body["token"], output="{}")


def test_task_token_failure_and_timeout(cloud, machine, queue, drain):
    """Check SendTaskFailure (error and cause) and TimeoutSeconds → States.Timeout."""
    url, _ = queue("tokens")
    arn = machine(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "TimeoutSeconds": 300,
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
                    "End": True,
                }
            },
        }
    )
    sfn = boto3.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    cloud.run_until_idle()
    tokens = [m["Body"] for m in drain(url)]
    sfn.send_task_failure(taskToken=tokens[0], error="Declined", cause="card expired")
    cloud.clock.advance(300)
    failed = sfn.describe_execution(executionArn=first)
    assert (failed["status"], failed["error"], failed["cause"]) == (
        "FAILED",
        "Declined",
        "card expired",
    )
    timed_out = sfn.describe_execution(executionArn=second)
    assert (timed_out["status"], timed_out["error"]) == ("FAILED", "States.Timeout")


def test_intrinsic_functions(cloud, machine):
    """Check the intrinsic functions learners use most."""
    arn = machine(
        {
            "StartAt": "F",
            "States": {
                "F": {
                    "Type": "Pass",
                    "End": True,
                    "Parameters": {
                        "greeting.$": "States.Format('Hello, {}! {} items.', $.name, $.count)",
                        "parsed.$": "States.StringToJson($.raw)",
                        "text.$": "States.JsonToString($.obj)",
                        "array.$": "States.Array(1, 'two', $.count)",
                        "length.$": "States.ArrayLength($.list)",
                        "contains.$": "States.ArrayContains($.list, 2)",
                        "range.$": "States.ArrayRange(1, 9, 4)",
                        "item.$": "States.ArrayGetItem($.list, 1)",
                        "unique.$": "States.ArrayUnique($.list)",
                        "parts.$": "States.ArrayPartition($.list, 2)",
                        "b64.$": "States.Base64Encode('hi')",
                        "plain.$": "States.Base64Decode('aGk=')",
                        "hash.$": "States.Hash('abc', 'SHA-256')",
                        "merged.$": "States.JsonMerge($.obj, $.extra, false)",
                        "sum.$": "States.MathAdd($.count, -1)",
                        "split.$": "States.StringSplit('a,b,c', ',')",
                        "id.$": "States.UUID()",
                        "name.$": "$$.Execution.Name",
                    },
                }
            },
        }
    )
    described = _run(
        cloud,
        arn,
        {
            "name": "Ana",
            "count": 3,
            "raw": '{"x": 1}',
            "obj": {"a": 1},
            "list": [1, 2, 2, 3],
            "extra": {"b": 2},
        },
        name="intrinsics",
    )
    out = json.loads(described["output"])
    assert out["greeting"] == "Hello, Ana! 3 items."
    assert out["parsed"] == {"x": 1} and out["text"] == '{"a":1}'
    assert out["array"] == [1, "two", 3] and out["length"] == 4 and out["contains"] is True
    assert out["range"] == [1, 5, 9] and out["item"] == 2 and out["unique"] == [1, 2, 3]
    assert out["parts"] == [[1, 2], [2, 3]]
    assert out["b64"] == "aGk=" and out["plain"] == "hi"
    assert out["hash"].startswith("ba7816bf")
    assert out["merged"] == {"a": 1, "b": 2} and out["sum"] == 2 and out["split"] == ["a", "b", "c"]
    assert len(out["id"]) == 36 and out["name"] == "intrinsics"


def test_unnamed_executions_get_unique_names_and_names_are_validated(cloud, machine):
    """Check that unnamed executions get distinct names (moto: '...:None') and bad names fail."""
    arn = machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = boto3.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second and not first.endswith(":None")
    cloud.run_until_idle()
    statuses = {e["status"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]}
    assert statuses == {"SUCCEEDED"}
    with pytest.raises(ClientError, match="InvalidName"):
        sfn.start_execution(stateMachineArn=arn, name="has space")
    sfn.start_execution(stateMachineArn=arn, name="once")
    cloud.run_until_idle()
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        sfn.start_execution(stateMachineArn=arn, name="once")


def test_dynamodb_integration_and_lambda_invoke_resource(cloud, machine, make_function):
    """Check the optimized DynamoDB putItem/getItem and arn:aws:states:::lambda:invoke."""
    make_function("echo", "def handler(e, c):\n    return {'seen': e}\n")
    boto3.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = machine(
        {
            "StartAt": "Put",
            "States": {
                "Put": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}}},
                    "ResultPath": None,
                    "Next": "Get",
                },
                "Get": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:getItem",
                    "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
                    "ResultSelector": {"id.$": "$.Item.id.S"},
                    "ResultPath": "$.got",
                    "Next": "Echo",
                },
                "Echo": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "echo", "Payload.$": "$.got"},
                    "OutputPath": "$.Payload",
                    "End": True,
                },
            },
        }
    )
    described = _run(cloud, arn, {"id": "o-1"})
    assert json.loads(described["output"]) == {"seen": {"id": "o-1"}}


def test_stop_execution_aborts_a_waiting_execution(cloud, machine):
    """Check that stop_execution aborts, and the Wait never completes afterwards."""
    arn = machine({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    cloud.run_until_idle()
    sfn.stop_execution(executionArn=execution)
    cloud.clock.advance(120)
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[-1] == "ExecutionAborted"


def test_unsupported_task_resources_are_named_gaps(cloud, machine):
    """Check that .sync integrations raise LocalCloudGap and fail the execution."""
    from dojo.cloud import LocalCloudGap

    arn = machine(
        {
            "StartAt": "B",
            "States": {
                "B": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::batch:submitJob.sync",
                    "Parameters": {"JobName": "j"},
                    "End": True,
                }
            },
        }
    )
    boto3.client("stepfunctions").start_execution(stateMachineArn=arn)
    with pytest.raises(LocalCloudGap, match="sync"):
        cloud.run_until_idle()


def test_states_start_execution_integration_starts_a_child(cloud, machine):
    """Check arn:aws:states:::states:startExecution (moto's fails with States.Runtime)."""
    child = machine({"StartAt": "C", "States": {"C": {"Type": "Pass", "End": True}}}, "child")
    parent = machine(
        {
            "StartAt": "Start",
            "States": {
                "Start": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {
                        "StateMachineArn": child,
                        "Input": {"from.$": "$$.Execution.Name"},
                    },
                    "End": True,
                }
            },
        },
        "parent",
    )
    described = _run(cloud, parent, name="p1")
    assert described["status"] == "SUCCEEDED"
    started = json.loads(described["output"])["executionArn"]
    child_run = boto3.client("stepfunctions").describe_execution(executionArn=started)
    assert child_run["status"] == "SUCCEEDED"
    assert json.loads(child_run["output"]) == {"from": "p1"}
