"""IAM enforcement on request: LocalCloud(enforce_iam=True) denies what policies do not allow."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from dojo.cloud import LocalCloud, zip_code

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ],
}


def _allow(action: str, resource: str, effect: str = "Allow") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": action, "Resource": resource}],
        }
    )


@pytest.fixture
def strict_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(enforce_iam=True) as cloud:
        boto3.client("dynamodb").create_table(
            TableName="orders",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )
        yield cloud


WRITER = """
import boto3
def handler(event, context):
    boto3.client("dynamodb").put_item(TableName=event["table"], Item={"id": {"S": "1"}})
    return "written"
"""


def _function(name: str, policy: str | None) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]
    if policy:
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=policy)
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": textwrap.dedent(WRITER)})},
    )


def _run(name: str, table: str = "orders") -> dict:
    answer = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"table": table}))
    return json.loads(answer["Payload"].read())


def test_handler_acts_as_its_execution_role(strict_cloud):
    """Check that a handler's PutItem is denied without a policy, allowed for its table only."""
    strict_cloud.account_id  # noqa: B018
    table_arn = f"arn:aws:dynamodb:us-east-1:{strict_cloud.account_id}:table/orders"
    _function("no-policy", None)
    _function("scoped", _allow("dynamodb:PutItem", table_arn))
    denied = _run("no-policy")
    assert denied["errorType"] == "ClientError"
    assert "AccessDeniedException" in denied["errorMessage"]
    assert (
        "assumed-role/no-policy-role/no-policy is not authorized to perform: dynamodb:PutItem"
        in denied["errorMessage"]
    )
    assert _run("scoped") == "written"
    boto3.client("dynamodb").create_table(
        TableName="other",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    assert "AccessDeniedException" in _run("scoped", "other")["errorMessage"]
    hops = strict_cloud.trace.where(source="lambda:no-policy", target="dynamodb:PutItem")
    assert [h.outcome for h in hops] == ["error"] and hops[0].detail["note"] == "iam deny"


def test_explicit_deny_wins_over_allow(strict_cloud):
    """Check that an explicit Deny in an attached managed policy overrides an inline Allow."""
    iam = boto3.client("iam")
    deny = iam.create_policy(
        PolicyName="no-writes", PolicyDocument=_allow("dynamodb:PutItem", "*", "Deny")
    )
    _function("both", _allow("dynamodb:*", "*"))
    iam.attach_role_policy(RoleName="both-role", PolicyArn=deny["Policy"]["Arn"])
    assert "with an explicit deny" in _run("both")["errorMessage"]


def test_iam_user_credentials_and_assumed_role_are_checked(strict_cloud):
    """Check client calls with an IAM user's keys (group policy) and with assume_role keys."""
    iam = boto3.client("iam")
    iam.create_user(UserName="dev")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="dev")
    iam.put_group_policy(
        GroupName="readers", PolicyName="read", PolicyDocument=_allow("sqs:ReceiveMessage", "*")
    )
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]  # root: allowed
    dev = boto3.client(
        "sqs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    dev.receive_message(QueueUrl=url)
    with pytest.raises(ClientError) as denied:
        dev.send_message(QueueUrl=url, MessageBody="x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "user/dev is not authorized to perform: sqs:SendMessage" in str(denied.value)

    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="ops", PolicyName="send", PolicyDocument=_allow("sqs:SendMessage", "*")
    )
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{strict_cloud.account_id}:role/ops", RoleSessionName="ops-session"
    )["Credentials"]
    ops = boto3.client(
        "sqs",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ops.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(ClientError, match="AccessDenied"):
        ops.delete_queue(QueueUrl=url)


def test_resource_policy_grants_within_the_account(strict_cloud):
    """Check that a bucket policy naming the role allows what its identity policy does not."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="shared")
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    creds = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="reader-session")[
        "Credentials"
    ]
    reader = boto3.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    s3.put_object(Bucket="shared", Key="a.txt", Body=b"hi")
    with pytest.raises(ClientError, match="AccessDenied"):
        reader.get_object(Bucket="shared", Key="a.txt")
    s3.put_bucket_policy(
        Bucket="shared",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": f"arn:aws:sts::{strict_cloud.account_id}:assumed-role/reader/*"
                        },
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::shared/*",
                    }
                ],
            }
        ),
    )
    assert reader.get_object(Bucket="shared", Key="a.txt")["Body"].read() == b"hi"
    with pytest.raises(ClientError, match="AccessDenied"):
        reader.put_object(Bucket="shared", Key="b.txt", Body=b"x")


def test_enforcement_is_off_by_default(cloud, make_function):
    """Check that without enforce_iam a handler with no policy may write."""
    make_function("free", WRITER)
    boto3.client("dynamodb").create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    assert _run("free") == "written"
