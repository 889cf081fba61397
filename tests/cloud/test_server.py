"""Server mode: one cloud on a loopback port shared by another process, with lab endpoints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from click.testing import CliRunner

from dojo.cloud import CloudServer, zip_code
from dojo.cloud.cli import cloud_group

HANDLER = """
import boto3, time
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody=str(time.time()))
    return {"seen": event["n"]}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A `dojo.cloud` server in a subprocess on a free loopback port; yields its URL."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dojo.cloud._server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def thread_server() -> Iterator[str]:
    """A CloudServer in this process (a thread) on a free loopback port; yields its URL."""
    with CloudServer(port=0) as served:
        yield served.url


def _client(service: str, url: str):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _get(url: str) -> dict:
    with urllib.request.urlopen(url) as answer:
        return json.loads(answer.read())


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def test_another_process_shares_state_runtime_clock_and_trace(server):
    """Check that boto3 in this process drives the served cloud: Lambda runs in its runtime,
    the handler reaches the same SQS, the clock moves over HTTP and the trace shows the hops."""
    sqs = _client("sqs", server)
    queue = sqs.create_queue(QueueName="shared")["QueueUrl"]
    role = _client("iam", server).create_role(
        RoleName="r",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    lam = _client("lambda", server)
    lam.create_function(
        FunctionName="writer",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": HANDLER})},
    )
    start = _get(f"{server}/_dojo/clock")
    answer = lam.invoke(FunctionName="writer", Payload=json.dumps({"queue": queue, "n": 1}))
    assert json.loads(answer["Payload"].read()) == {"seen": 1}
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [float(m["Body"]) for m in messages] == [start["time"]]  # the handler saw fake time

    moved = _post(f"{server}/_dojo/clock/advance", {"seconds": 3600})
    assert _get(f"{server}/_dojo/clock")["time"] == start["time"] + 3600
    assert moved["now"].startswith("2025-01-01T01:00:00")
    _post(f"{server}/_dojo/clock", {"to": start["time"] + 7200})
    assert _get(f"{server}/_dojo/clock")["time"] == start["time"] + 7200

    hops = _get(f"{server}/_dojo/trace")["hops"]
    assert any(h["target"] == "lambda:writer" and h["kind"] == "invoke" for h in hops)
    assert any(h["source"] == "lambda:writer" and h["target"] == "sqs:SendMessage" for h in hops)
    assert any(h["source"] == "remote" and h["target"].startswith("sqs:") for h in hops)
    newer = _get(f"{server}/_dojo/trace?since={hops[-1]['seq']}")["hops"]
    assert newer == []


def test_execute_api_through_the_server(thread_server, mock_api):
    """Check that API Gateway requests reach the served cloud's router (path form)."""
    api = mock_api(_client("apigateway", thread_server), "srv", '{"hi": "$context.stage"}')
    assert _get(f"{thread_server}/_dojo/execute-api/{api}/us-east-1/prod/") == {"hi": "prod"}
    by_host = urllib.request.Request(
        f"{thread_server}/prod/", headers={"Host": f"{api}.execute-api.us-east-1.amazonaws.com"}
    )
    with urllib.request.urlopen(by_host) as answer:
        assert json.loads(answer.read()) == {"hi": "prod"}


def test_unknown_lab_endpoint_is_404(thread_server):
    """Check that a wrong lab path answers 404 with a message naming it."""
    with pytest.raises(urllib.error.HTTPError) as failed:
        _get(f"{thread_server}/_dojo/nothing")
    assert failed.value.code == 404


def test_cli_group_has_serve_with_port_option():
    """Check the click group the lead attaches: `dojo cloud serve --port`."""
    result = CliRunner().invoke(cloud_group, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
