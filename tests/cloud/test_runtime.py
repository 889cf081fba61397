"""Lambda runtime: handlers run from the zip with context, env, errors, timeouts and warm reuse."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError

import dojo.cloud

CONTEXT_SOURCE = """
import os
def handler(event, context):
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "GREETING": os.environ.get("GREETING"),
        "AWS_REGION": os.environ.get("AWS_REGION"),
        "AWS_LAMBDA_FUNCTION_NAME": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "event": event,
    }
"""


def test_handler_gets_aws_shaped_context_and_environment(make_function, invoke):
    """Check that the handler sees a real-looking context and the function's env."""
    make_function(
        "ctx",
        CONTEXT_SOURCE,
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"GREETING": "hi"}},
    )
    response = invoke("ctx", {"n": 1})
    body = response["Body"]
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["function_name"] == "ctx"
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx"
    assert body["memory_limit_in_mb"] == 256
    assert len(body["aws_request_id"]) == 36
    assert body["log_group_name"] == "/aws/lambda/ctx"
    assert body["log_stream_name"].startswith("2025/01/01/[$LATEST]")
    assert 6000 < body["remaining"] <= 7000
    assert body["GREETING"] == "hi" and body["AWS_REGION"] == "us-east-1"
    assert body["AWS_LAMBDA_FUNCTION_NAME"] == "ctx"
    assert body["event"] == {"n": 1}


def test_function_environment_does_not_leak_into_the_process(make_function, invoke):
    """Check that environment variables are restored after the handler runs."""
    import os

    make_function(
        "leak",
        "import os\ndef handler(e, c):\n    os.environ['SET_BY_HANDLER'] = '1'\n",
        Environment={"Variables": {"ONLY_IN_FUNCTION": "x"}},
    )
    invoke("leak")
    assert "ONLY_IN_FUNCTION" not in os.environ and "SET_BY_HANDLER" not in os.environ


def test_unhandled_exception_comes_back_as_aws_error_document(make_function, invoke):
    """Check FunctionError Unhandled with errorType, errorMessage and stackTrace."""
    make_function("boom", "def handler(event, context):\n    raise ValueError('bad input')\n")
    response = invoke("boom")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad input"
    assert (
        body["stackTrace"]
        and 'File "/var/task/app.py", line 2, in handler' in body["stackTrace"][-1]
    )


def test_import_error_and_missing_handler_are_runtime_errors(make_function, invoke):
    """Check Runtime.ImportModuleError and Runtime.HandlerNotFound as on AWS."""
    make_function("noimport", "import not_a_module_anywhere\ndef handler(e, c):\n    return 1\n")
    make_function("nohandler", "def other(e, c):\n    return 1\n")
    first = invoke("noimport")
    assert first["FunctionError"] == "Unhandled"
    assert first["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'app'" in first["Body"]["errorMessage"]
    second = invoke("nohandler")
    assert second["Body"] == {
        "errorMessage": "Handler 'handler' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "stackTrace": [],
    }


def test_sim_sleep_past_timeout_fails_with_task_timed_out(make_function, invoke, cloud):
    """Check that simulated time counts toward Timeout and the invocation fails."""
    make_function(
        "slow",
        "import dojo.cloud\ndef handler(e, c):\n    dojo.cloud.sim_sleep(5)\n    return 'never'\n",
        Timeout=3,
    )
    before = cloud.clock.time()
    response = invoke("slow")
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 3.00 seconds" in response["Body"]["errorMessage"]
    assert any("Task timed out after 3.00 seconds" in line for line in cloud.logs("slow"))
    assert cloud.clock.time() - before == pytest.approx(5, abs=0.01)


def test_sim_sleep_within_timeout_reduces_remaining_time(make_function, invoke):
    """Check that get_remaining_time_in_millis accounts for simulated sleeps."""
    make_function(
        "nap",
        "import dojo.cloud\ndef handler(e, c):\n    dojo.cloud.sim_sleep(2)\n"
        "    return c.get_remaining_time_in_millis()\n",
        Timeout=3,
    )
    assert 0 < invoke("nap")["Body"] <= 1000


def test_real_time_overrun_is_enforced(make_function, invoke, cloud):
    """Check that a handler running past Timeout is abandoned, its environment dropped."""
    make_function(
        "spin",
        "import time\ndef handler(e, c):\n    time.sleep(e.get('t', 0))\n    return 'done'\n",
        Timeout=1,
    )
    response = invoke("spin", {"t": 1.5})
    assert response["Body"]["errorType"] == "Sandbox.Timedout"
    assert invoke("spin")["Body"] == "done"
    assert cloud.cold_starts("spin") == 2  # the timed-out environment was not reused


def test_module_code_runs_once_per_environment_and_warm_starts_reuse_it(
    make_function, invoke, cloud
):
    """Check cold and warm starts: module-level state survives between warm invocations."""
    make_function(
        "counter",
        "COUNT = 0\ndef handler(e, c):\n    global COUNT\n    COUNT += 1\n    return COUNT\n",
    )
    assert [invoke("counter")["Body"] for _ in range(3)] == [1, 2, 3]
    assert cloud.cold_starts("counter") == 1
    cloud.clock.advance(601)  # past the keep-alive window
    assert invoke("counter")["Body"] == 1
    assert cloud.cold_starts("counter") == 2
    hops = cloud.trace.where(kind="invoke", target="lambda:counter")
    assert [h.detail["cold"] for h in hops] == [True, False, False, True]


def test_force_cold_starts_a_new_environment_every_time(make_function, invoke, cloud):
    """Check the graders' force_cold switch."""
    make_function(
        "cold",
        "COUNT = 0\ndef handler(e, c):\n    global COUNT\n    COUNT += 1\n    return COUNT\n",
    )
    cloud.force_cold = True
    assert [invoke("cold")["Body"] for _ in range(2)] == [1, 1]
    assert cloud.cold_starts("cold") == 2


def test_nested_invoke_of_busy_function_needs_a_second_environment(make_function, invoke, cloud):
    """Check that concurrency (a function invoking itself) starts another environment."""
    make_function(
        "recurse",
        """
        import boto3, json
        def handler(event, context):
            if event.get("depth", 0) < 1:
                r = boto3.client("lambda").invoke(FunctionName="recurse",
                                                  Payload=json.dumps({"depth": 1}))
                return json.loads(r["Payload"].read())
            return context.log_stream_name
    """,
    )
    inner_stream = invoke("recurse")["Body"]
    assert cloud.cold_starts("recurse") == 2
    assert inner_stream.startswith("2025/01/01/[$LATEST]")


def test_functions_with_same_module_names_do_not_share_globals(make_function, invoke):
    """Check module isolation: two zips both containing app.py and utils.py."""
    make_function(
        "one",
        "import utils\ndef handler(e, c):\n    return utils.NAME\n",
        files={"utils.py": "NAME = 'one'\n"},
    )
    make_function(
        "two",
        "import utils\ndef handler(e, c):\n    return utils.NAME\n",
        files={"utils.py": "NAME = 'two'\n"},
    )
    assert [invoke("one")["Body"], invoke("two")["Body"], invoke("one")["Body"]] == [
        "one",
        "two",
        "one",
    ]


def test_logs_go_to_cloud_logs_and_cloudwatch(make_function, invoke, cloud):
    """Check print/logging output in cloud.logs() and /aws/lambda/NAME with START/REPORT."""
    make_function(
        "talk",
        """
        import logging
        logger = logging.getLogger()
        logger.setLevel(logging.INFO)
        def handler(event, context):
            print("printed", event["n"])
            logger.info("logged %s", event["n"])
            return None
    """,
    )
    response = invoke("talk", {"n": 7}, LogType="Tail")
    lines = cloud.logs("talk")
    assert lines[0] == "printed 7"
    assert lines[1].startswith("[INFO]\t2025-01-01T00:00:00.000Z\t") and lines[1].endswith(
        "\tlogged 7"
    )
    tail = base64.b64decode(response["LogResult"]).decode()
    assert (
        tail.startswith("START RequestId:")
        and "REPORT RequestId:" in tail
        and "Init Duration" in tail
    )
    events = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/talk")["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("START RequestId") and "printed 7" in messages
    assert messages[-1].startswith("REPORT RequestId")


def test_handler_sees_fake_time(make_function, invoke, cloud):
    """Check that time and datetime inside a handler follow the cloud's clock."""
    make_function(
        "clock",
        "import time, datetime\ndef handler(e, c):\n"
        "    return [time.time(), datetime.datetime.now(datetime.timezone.utc).isoformat()]\n",
    )
    cloud.clock.advance(3600)
    now, iso = invoke("clock")["Body"]
    assert now == cloud.clock.time()
    assert iso.startswith("2025-01-01T01:00:00")


def test_versions_and_aliases_run_the_right_code(make_function, invoke, role):
    """Check that a qualifier, a version and an alias pick their own code."""
    lam = boto3.client("lambda")
    make_function("ver", "def handler(e, c):\n    return 'v1'\n")
    v1 = lam.publish_version(FunctionName="ver")["Version"]
    lam.update_function_code(
        FunctionName="ver",
        ZipFile=dojo.cloud.zip_code({"app.py": "def handler(e, c):\n    return 'v2'\n"}),
    )
    v2 = lam.publish_version(FunctionName="ver")["Version"]
    lam.create_alias(FunctionName="ver", Name="live", FunctionVersion=v1)
    assert invoke("ver")["Body"] == "v2"
    assert invoke("ver", Qualifier=v1)["Body"] == "v1"
    response = invoke("ver", Qualifier="live")
    assert response["Body"] == "v1" and response["ExecutedVersion"] == v1
    assert invoke("ver:live")["Body"] == "v1"
    lam.update_alias(FunctionName="ver", Name="live", FunctionVersion=v2)
    assert invoke("ver", Qualifier="live")["Body"] == "v2"


def test_weighted_alias_routing_is_seeded_and_splits_traffic(make_function, invoke):
    """Check that AdditionalVersionWeights sends about that share to the other version."""
    lam = boto3.client("lambda")
    make_function("canary", "def handler(e, c):\n    return 'old'\n")
    old = lam.publish_version(FunctionName="canary")["Version"]
    lam.update_function_code(
        FunctionName="canary",
        ZipFile=dojo.cloud.zip_code({"app.py": "def handler(e, c):\n    return 'new'\n"}),
    )
    new = lam.publish_version(FunctionName="canary")["Version"]
    lam.create_alias(
        FunctionName="canary",
        Name="prod",
        FunctionVersion=old,
        RoutingConfig={"AdditionalVersionWeights": {new: 0.2}},
    )
    results = [invoke("canary", Qualifier="prod")["Body"] for _ in range(200)]
    assert 20 <= results.count("new") <= 60
    assert results.count("old") + results.count("new") == 200


def test_reserved_concurrency_zero_throttles_sync_invokes(make_function, invoke, cloud):
    """Check TooManyRequestsException for a sync invoke when reserved concurrency is used up."""
    make_function("stopped", "def handler(e, c):\n    return 1\n")
    boto3.client("lambda").put_function_concurrency(
        FunctionName="stopped", ReservedConcurrentExecutions=0
    )
    with pytest.raises(ClientError) as caught:
        invoke("stopped")
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert cloud.invocations("stopped") == 0
    assert cloud.trace.where(target="lambda:Invoke", outcome="throttled")


def test_reserved_concurrency_one_throttles_a_nested_second_invoke(make_function, invoke):
    """Check that concurrency is counted: a function at its limit cannot run again meanwhile."""
    make_function(
        "single",
        """
        import boto3
        from botocore.exceptions import ClientError
        def handler(event, context):
            if event.get("inner"):
                return "inner ran"
            try:
                boto3.client("lambda").invoke(FunctionName="single", Payload=b'{"inner": true}')
            except ClientError as exc:
                return exc.response["Error"]["Code"]
            return "not throttled"
    """,
    )
    boto3.client("lambda").put_function_concurrency(
        FunctionName="single", ReservedConcurrentExecutions=1
    )
    assert invoke("single")["Body"] == "TooManyRequestsException"


def test_non_json_result_is_a_marshal_error(make_function, invoke):
    """Check Runtime.MarshalError for a return value JSON cannot encode."""
    make_function("marshal", "def handler(e, c):\n    return {1, 2}\n")
    assert invoke("marshal")["Body"]["errorType"] == "Runtime.MarshalError"


def test_dry_run_does_not_run_the_handler(make_function, cloud):
    """Check InvocationType DryRun returns 204 without running code."""
    make_function("dry", "def handler(e, c):\n    return 1\n")
    response = boto3.client("lambda").invoke(FunctionName="dry", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert cloud.invocations("dry") == 0


def test_unknown_function_is_a_resource_not_found(cloud):
    """Check that invoking a missing function gives AWS's error, not a crash."""
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").invoke(FunctionName="ghost")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_result_of_invocation_is_json_from_the_handler(make_function, invoke):
    """Check that dict results are returned as JSON payloads."""
    make_function("ok", "def handler(e, c):\n    return {'sum': e['a'] + e['b']}\n")
    assert invoke("ok", {"a": 2, "b": 3})["Body"] == {"sum": 5}
    assert json.dumps({"sum": 5})


def test_lambda_metrics_are_published(make_function, invoke, cloud):
    """Check AWS/Lambda Invocations, Errors, Duration and Throttles (moto emits none)."""
    import datetime as dt

    make_function(
        "metered", "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('x')\n"
    )
    invoke("metered")
    invoke("metered", {"fail": True})
    lam = boto3.client("lambda")
    lam.put_function_concurrency(FunctionName="metered", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError):
        invoke("metered")
    cloudwatch = boto3.client("cloudwatch")

    def total(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": "metered"}],
            StartTime=cloud.clock.now() - dt.timedelta(minutes=5),
            EndTime=cloud.clock.now() + dt.timedelta(minutes=5),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total("Invocations") == 2
    assert total("Errors") == 1
    assert total("Throttles") == 1
    assert total("Duration") > 0


def test_moto_paths_the_cloud_does_not_own_still_run_handlers(make_function, cloud):
    """Check the _invoke_lambda hook: a CloudWatch Logs subscription runs the handler."""
    import gzip

    make_function(
        "logsub",
        """
        import base64, gzip, json
        def handler(event, context):
            data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
            print("got", [e["message"] for e in data["logEvents"]])
    """,
    )
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="s")
    arn = boto3.client("lambda").get_function(FunctionName="logsub")["Configuration"]["FunctionArn"]
    logs.put_subscription_filter(
        logGroupName="app", filterName="all", filterPattern="", destinationArn=arn
    )
    logs.put_log_events(
        logGroupName="app",
        logStreamName="s",
        logEvents=[{"timestamp": int(cloud.clock.time() * 1000), "message": "hello"}],
    )
    assert cloud.logs("logsub") == ["got ['hello']"]
    assert gzip


def _function_in(cloud_role: str, name: str, source: str, timeout: int) -> None:
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=cloud_role,
        Handler="app.handler",
        Code={"ZipFile": dojo.cloud.zip_code({"app.py": source})},
        Timeout=timeout,
    )


@pytest.mark.parametrize("mode", [True, "thread"])
def test_runaway_loop_is_stopped_after_the_timeout(mode):
    """Check both timeout modes stop a handler spinning in pure Python (no thread left burning)."""
    import threading
    import time

    with dojo.cloud.LocalCloud(timeouts=mode) as cloud:
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        _function_in(role, "forever", "def handler(e, c):\n    while True:\n        pass\n", 1)
        response = boto3.client("lambda").invoke(FunctionName="forever")
        assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"
        assert cloud.cold_starts("forever") == 1
        deadline = time.perf_counter() + 5
        while [
            t for t in threading.enumerate() if t.name == "lambda:forever"
        ] and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert not [t for t in threading.enumerate() if t.name == "lambda:forever"]


def test_outer_deadline_passes_through_a_nested_invocation(make_function, invoke, cloud):
    """Check that a caller's timeout stops it even while a function it invoked is still running."""
    make_function("inner", "def handler(e, c):\n    while True:\n        pass\n", Timeout=30)
    make_function(
        "outer",
        """
        import boto3
        def handler(event, context):
            try:
                boto3.client("lambda").invoke(FunctionName="inner")
            except Exception:
                return "swallowed"
            return "returned"
    """,
        Timeout=1,
    )
    response = invoke("outer")
    assert response["Body"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in response["Body"]["errorMessage"]


def test_host_module_with_the_same_name_is_left_alone(make_function, invoke, monkeypatch):
    """Check that a notebook's own module named app is neither used nor replaced by a handler."""
    import sys
    import types

    host = types.ModuleType("app")
    host.WHO = "host"
    monkeypatch.setitem(sys.modules, "app", host)
    make_function("shadow", "WHO = 'zip'\ndef handler(e, c):\n    import app\n    return app.WHO\n")
    assert invoke("shadow")["Body"] == "zip"
    assert sys.modules["app"] is host


def test_sim_sleep_outside_a_handler_moves_the_clock_without_running_work(cloud):
    """Check sim_sleep in notebook code: time moves, due work waits for run_until_idle."""
    ran: list[float] = []
    cloud.clock.call_later(5, lambda: ran.append(cloud.clock.time()))
    dojo.cloud.sim_sleep(10)
    assert ran == []
    cloud.run_until_idle()
    assert len(ran) == 1


def test_configuration_change_starts_a_new_environment(make_function, invoke, cloud):
    """Check that new environment variables reach a fresh environment (as on AWS)."""
    make_function(
        "cfg",
        "import os\nV = os.environ['V']\ndef handler(e, c):\n    return V\n",
        Environment={"Variables": {"V": "one"}},
    )
    assert invoke("cfg")["Body"] == "one"
    boto3.client("lambda").update_function_configuration(
        FunctionName="cfg", Environment={"Variables": {"V": "two"}}
    )
    assert invoke("cfg")["Body"] == "two"
    assert cloud.cold_starts("cfg") == 2
