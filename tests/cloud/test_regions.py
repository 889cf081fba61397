"""Several regions and accounts in one cloud, and regional outages through cloud.chaos."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

OTHER_ACCOUNT = "222233334444"


def _assume(account: str) -> boto3.Session:
    boto3.client("iam")  # the role lives in the other account; moto does not check it exists
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="lab"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def test_clients_for_any_region_keep_separate_resources(cloud):
    """Check that a table in eu-west-1 is invisible from us-east-1 and vice versa."""
    for region in ("us-east-1", "eu-west-1"):
        cloud.client("dynamodb", region).create_table(
            TableName=f"t-{region}",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        )
    assert boto3.client("dynamodb", region_name="eu-west-1").list_tables()["TableNames"] == [
        "t-eu-west-1"
    ]
    assert boto3.client("dynamodb").list_tables()["TableNames"] == ["t-us-east-1"]


def test_assume_role_into_another_account_isolates_resources(cloud):
    """Check that clients from sts.assume_role credentials act in the role's account."""
    other = _assume(OTHER_ACCOUNT)
    assert other.client("sts").get_caller_identity()["Account"] == OTHER_ACCOUNT
    other.client("sqs").create_queue(QueueName="theirs")
    boto3.client("sqs").create_queue(QueueName="ours")
    theirs = other.client("sqs").list_queues()["QueueUrls"]
    ours = boto3.client("sqs").list_queues()["QueueUrls"]
    assert [u.rsplit("/", 2)[-2:] for u in theirs] == [[OTHER_ACCOUNT, "theirs"]]
    assert [u.rsplit("/", 2)[-2:] for u in ours] == [[cloud.account_id, "ours"]]


def test_function_in_another_account_runs_in_the_runtime(cloud):
    """Check that a function created in another account is invoked in-process there."""
    from dojo.cloud import zip_code

    other = _assume(OTHER_ACCOUNT)
    role = other.client("iam").create_role(
        RoleName="fn",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    lam = other.client("lambda")
    lam.create_function(
        FunctionName="where",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={
            "ZipFile": zip_code(
                {"app.py": "def handler(e, c):\n    return c.invoked_function_arn\n"}
            )
        },
    )
    arn = json.loads(lam.invoke(FunctionName="where")["Payload"].read())
    assert arn.split(":")[4] == OTHER_ACCOUNT
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        boto3.client("lambda").invoke(FunctionName="where")


def test_region_outage_fails_every_service_in_that_region_only(cloud):
    """Check chaos.outage(region=...): calls in that region fail, other regions work, it ends."""
    eu = cloud.client("sqs", "eu-west-1")
    us = cloud.client("sqs")
    outage = cloud.chaos.outage(region="eu-west-1", until=60)
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        eu.create_queue(QueueName="a")
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        cloud.client("dynamodb", "eu-west-1").list_tables()
    us.create_queue(QueueName="a")
    assert outage.hits == 2
    cloud.advance(61)
    eu.create_queue(QueueName="a")
    assert cloud.trace.where(target="sqs:CreateQueue", outcome="error")


def test_region_outage_of_one_service(cloud):
    """Check chaos.outage("s3", region=...) leaves other services in the region alone."""
    cloud.chaos.outage("sqs", region="eu-west-1")
    with pytest.raises(ClientError):
        cloud.client("sqs", "eu-west-1").list_queues()
    cloud.client("sns", "eu-west-1").list_topics()
    cloud.client("sqs", "us-east-1").list_queues()
    with pytest.raises(ValueError, match="service, a region"):
        cloud.chaos.outage()


def test_region_outage_takes_down_api_gateway_endpoints(cloud, mock_api):
    """Check that a regional outage answers 503 from execute-api URLs in that region."""
    api = mock_api(cloud.client("apigateway", "eu-west-1"), "eu", "{}")
    url = f"https://{api}.execute-api.eu-west-1.amazonaws.com/prod/"
    assert cloud.http("GET", url).status == 200
    injection = cloud.chaos.outage(region="eu-west-1")
    assert cloud.http("GET", url).status == 503
    injection.remove()
    assert cloud.http("GET", url).status == 200
