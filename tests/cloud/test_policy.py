"""The policy evaluator and strict-mode resource-policy checks on deliveries."""

from __future__ import annotations

import json

import boto3
import pytest

from dojo.cloud import LocalCloud, PolicyDecision, evaluate_policy, zip_code

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::uploads/*",
        },
        {
            "Sid": "Pass",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::123456789012:role/media-convert-role",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*",
        },
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::uploads/secret/*",
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "*",
            "Condition": {
                "Bool": {"aws:SecureTransport": "true"},
                "StringLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"},
            },
        },
    ],
}


@pytest.mark.parametrize(
    ("action", "resource", "expected", "statement"),
    [
        ("s3:GetObject", "arn:aws:s3:::uploads/any/key.mp4", "Allow", "Read"),
        ("S3:getobject", "arn:aws:s3:::uploads/a.mp4", "Allow", "Read"),
        ("s3:GetObject", "arn:aws:s3:::transcoded/a.mp4", "ImplicitDeny", None),
        ("s3:PutObject", "arn:aws:s3:::uploads/a.mp4", "ImplicitDeny", None),
        ("s3:GetObject", "arn:aws:s3:::uploads/secret/x", "Deny", "NoSecrets"),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/other", "ImplicitDeny", None),
        (
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:x",
            "Allow",
            "Logs",
        ),
    ],
)
def test_actions_resources_and_explicit_deny(action, resource, expected, statement):
    """Check wildcards, case-insensitive actions and that an explicit Deny wins."""
    decision = evaluate_policy(POLICY, action, resource)
    assert decision == expected
    assert decision.statement == statement


def test_conditions_and_missing_keys():
    """Check Bool and StringLike conditions; a missing key fails a positive condition."""
    ok = {"aws:SecureTransport": "true", "aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"}
    assert evaluate_policy(POLICY, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", ok) == "Allow"
    assert (
        evaluate_policy(POLICY, "sqs:SendMessage", "q", {**ok, "aws:SecureTransport": "false"})
        == "ImplicitDeny"
    )
    assert (
        evaluate_policy(POLICY, "sqs:SendMessage", "q", {"aws:SecureTransport": "true"})
        == "ImplicitDeny"
    )


def test_not_action_not_resource_and_numeric_and_ip_conditions():
    """Check NotAction, NotResource, Numeric and IpAddress operators and IfExists."""
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": "iam:*",
                "NotResource": "arn:aws:s3:::private/*",
                "Condition": {
                    "NumericLessThanEquals": {"s3:max-keys": "10"},
                    "IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"},
                },
            },
        ]
    }
    assert (
        evaluate_policy(policy, "s3:ListBucket", "arn:aws:s3:::public", {"s3:max-keys": 5})
        == "Allow"
    )
    assert (
        evaluate_policy(policy, "s3:ListBucket", "arn:aws:s3:::public", {"s3:max-keys": 50})
        == "ImplicitDeny"
    )
    assert evaluate_policy(policy, "iam:CreateUser", "*", {"s3:max-keys": 5}) == "ImplicitDeny"
    assert (
        evaluate_policy(policy, "s3:GetObject", "arn:aws:s3:::private/x", {"s3:max-keys": 1})
        == "ImplicitDeny"
    )
    outside = {"s3:max-keys": 1, "aws:SourceIp": "192.168.0.1"}
    assert (
        evaluate_policy(policy, "s3:GetObject", "arn:aws:s3:::public/x", outside) == "ImplicitDeny"
    )


def test_malformed_policy_is_explained():
    """Check that a broken document says what is wrong."""
    with pytest.raises(ValueError, match="Effect"):
        evaluate_policy({"Statement": [{"Action": "s3:*", "Resource": "*"}]}, "s3:GetObject")
    with pytest.raises(ValueError, match="no 'Statement'"):
        evaluate_policy({"Version": "2012-10-17"}, "s3:GetObject")


def test_decision_is_a_dataclass_that_reads_well(cloud):
    """Check the PolicyDecision surface and the cloud.policy alias."""
    decision = cloud.policy.evaluate(json.dumps(POLICY), "s3:GetObject", "arn:aws:s3:::uploads/k")
    assert isinstance(decision, PolicyDecision) and decision and str(decision) == "Allow"
    assert "Read" in repr(decision) and "Allow" in decision._repr_html_()


def _strict_function_and_bucket() -> str:
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    lam = boto3.client("lambda")
    arn = lam.create_function(
        FunctionName="guarded",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": "def handler(e, c):\n    return 1\n"})},
    )["FunctionArn"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="strict-uploads")
    s3.put_bucket_notification_configuration(
        Bucket="strict-uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    return arn


def test_strict_mode_s3_needs_the_function_permission():
    """Check that in strict mode S3 invokes nothing without AddPermission; the trace says why."""
    with LocalCloud(strict=True) as cloud:
        _strict_function_and_bucket()
        boto3.client("s3").put_object(Bucket="strict-uploads", Key="a.mp4", Body=b"1")
        cloud.run_until_idle()
        assert cloud.invocations("guarded") == 0
        (hop,) = cloud.trace.where(outcome="dropped", source="s3:strict-uploads")
        assert hop.detail["denial"] == "resource-policy"
        boto3.client("lambda").add_permission(
            FunctionName="guarded",
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::strict-uploads",
            SourceAccount="123456789012",
        )
        boto3.client("s3").put_object(Bucket="strict-uploads", Key="b.mp4", Body=b"1")
        cloud.run_until_idle()
        assert cloud.invocations("guarded") == 1


def test_strict_mode_sns_needs_the_function_permission():
    """Check the same rule for SNS → Lambda, with a permission scoped to another topic."""
    with LocalCloud(strict=True) as cloud:
        arn = _strict_function_and_bucket()
        sns = boto3.client("sns")
        topic = sns.create_topic(Name="t")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
        boto3.client("lambda").add_permission(
            FunctionName="guarded",
            StatementId="sns",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=topic.replace(":t", ":other"),
        )
        sns.publish(TopicArn=topic, Message="x")
        cloud.run_until_idle()
        assert cloud.invocations("guarded") == 0
