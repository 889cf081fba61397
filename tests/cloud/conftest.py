"""Helpers for the dojo.cloud tests: a fresh cloud per test and a function factory."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from dojo.cloud import LocalCloud, zip_code

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    """A fresh cloud for one test."""
    with LocalCloud() as c:
        yield c


@pytest.fixture
def role(cloud: LocalCloud) -> str:
    """An execution role ARN."""
    return boto3.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument=TRUST)[
        "Role"
    ]["Arn"]


@pytest.fixture
def make_function(cloud: LocalCloud, role: str) -> Callable[..., str]:
    """Create a Python function from source text; returns its name."""

    def make(
        name: str,
        source: str,
        handler: str = "app.handler",
        files: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> str:
        code = {"app.py": textwrap.dedent(source), **(files or {})}
        boto3.client("lambda").create_function(
            FunctionName=name,
            Runtime=kwargs.pop("Runtime", "python3.12"),
            Role=role,
            Handler=handler,
            Code={"ZipFile": zip_code(code)},
            **kwargs,
        )
        return name

    return make


def _drain(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not got:
            return out
        out += got
        for m in got:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def invoke(cloud: LocalCloud) -> Callable[..., dict[str, Any]]:
    """invoke(name, payload, **kw): synchronous invoke with the payload decoded into ["Body"]."""
    client = boto3.client("lambda")

    def _invoke(name: str, payload: Any = None, **kwargs: Any) -> dict[str, Any]:
        response = client.invoke(
            FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kwargs
        )
        response["Body"] = json.loads(response["Payload"].read() or b"null")
        return response

    return _invoke


@pytest.fixture
def drain(cloud: LocalCloud) -> Callable[[str], list[dict[str, Any]]]:
    """drain(queue_url): receive and delete every visible message."""
    return _drain


@pytest.fixture
def queue(cloud: LocalCloud) -> Callable[..., tuple[str, str]]:
    """queue(name, **attributes) -> (url, arn)."""
    sqs = boto3.client("sqs")

    def make(name: str, **attributes: str) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    return make


@pytest.fixture
def mock_api() -> Callable[..., str]:
    """mock_api(apigw, name, response_template): a REST API whose root GET is a MOCK integration,
    deployed to stage ``prod``; returns its id."""

    def deploy(apigw: Any, name: str, response_template: str) -> str:
        api = apigw.create_rest_api(name=name)["id"]
        root = apigw.get_resources(restApiId=api)["items"][0]["id"]
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(
            restApiId=api,
            resourceId=root,
            httpMethod="GET",
            type="MOCK",
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )
        apigw.put_integration_response(
            restApiId=api,
            resourceId=root,
            httpMethod="GET",
            statusCode="200",
            responseTemplates={"application/json": response_template},
        )
        apigw.create_deployment(restApiId=api, stageName="prod")
        return api

    return deploy
