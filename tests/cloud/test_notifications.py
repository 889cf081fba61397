"""S3 notifications and SNS subscriptions deliver with AWS event shapes, filters and encoding."""

from __future__ import annotations

import json

import boto3
import pytest

RECORDER = """
import json
def handler(event, context):
    print(json.dumps(event))
"""


def _events(cloud, name):
    return [json.loads(line) for line in cloud.logs(name)]


@pytest.fixture
def bucket(cloud):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    return "uploads"


def _notify_lambda(name: str, bucket: str, **filters: str) -> None:
    lam = boto3.client("lambda")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    rules = [{"Name": k, "Value": v} for k, v in filters.items()]
    config = {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [config]}
    )


def test_s3_upload_invokes_lambda_asynchronously_with_aws_event(make_function, cloud, bucket):
    """Check S3 → Lambda: async delivery, eventVersion 2.1, key encoding (+ for spaces, / kept)."""
    make_function("on-upload", RECORDER)
    _notify_lambda("on-upload", bucket)
    boto3.client("s3").put_object(
        Bucket=bucket, Key="videos/Video Of Flower+Field.mp4", Body=b"x" * 10
    )
    assert cloud.invocations("on-upload") == 0  # asynchronous
    cloud.run_until_idle()
    (event,) = _events(cloud, "on-upload")
    record = event["Records"][0]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventTime"] == "2025-01-01T00:00:00.000Z"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert record["s3"]["object"]["key"] == "videos/Video+Of+Flower%2BField.mp4"
    assert record["s3"]["object"]["size"] == 10
    assert record["s3"]["object"]["eTag"] and record["s3"]["object"]["sequencer"]
    hops = cloud.trace.where(source="s3:uploads")
    assert [h.target for h in hops][:2] == ["lambda:on-upload", "lambda:on-upload"]


def test_s3_prefix_and_suffix_filters(make_function, cloud, bucket):
    """Check that only keys matching the filter rules invoke the function."""
    make_function("mp4s", RECORDER)
    _notify_lambda("mp4s", bucket, prefix="in/", suffix=".mp4")
    s3 = boto3.client("s3")
    for key in ("in/a.mp4", "in/b.mov", "out/c.mp4", "in/d.MP4"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    cloud.run_until_idle()
    keys = [e["Records"][0]["s3"]["object"]["key"] for e in _events(cloud, "mp4s")]
    assert keys == ["in/a.mp4"]


def test_s3_to_sqs_and_sns_use_the_same_event_shape(cloud, bucket, queue, drain):
    """Check S3 → SQS (with s3:TestEvent first) and S3 → SNS → SQS carry the fixed key encoding."""
    direct_url, direct_arn = queue("direct")
    fan_url, fan_arn = queue("fan")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="uploads")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=fan_arn, Attributes={"RawMessageDelivery": "true"}
    )
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": direct_arn, "Events": ["s3:ObjectCreated:*"]}],
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}],
        },
    )
    s3.put_object(Bucket=bucket, Key="a b/c.txt", Body=b"1")
    direct = [json.loads(m["Body"]) for m in drain(direct_url)]
    assert direct[0]["Event"] == "s3:TestEvent"
    assert direct[1]["Records"][0]["s3"]["object"]["key"] == "a+b/c.txt"
    fanned = [json.loads(m["Body"]) for m in drain(fan_url)]
    assert fanned[-1]["Records"][0]["s3"]["object"]["key"] == "a+b/c.txt"
    assert cloud.trace.where(source="s3:uploads", target="sqs:direct", kind="delivery")
    assert cloud.trace.where(source="s3:uploads", target="sns:uploads", kind="delivery")


def test_s3_to_eventbridge_reaches_an_sqs_rule_target(cloud, bucket, queue, drain):
    """Check S3 → EventBridge (default bus) → SQS."""
    url, arn = queue("eb")
    events = boto3.client("events")
    # moto also emits "Object Tags Added" on every PUT, so the rule matches the detail type too.
    events.put_rule(
        Name="objects",
        EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}),
    )
    events.put_targets(Rule="objects", Targets=[{"Id": "1", "Arn": arn}])
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"1")
    (message,) = drain(url)
    body = json.loads(message["Body"])
    assert body["detail-type"] == "Object Created" and body["detail"]["object"]["key"] == "k.txt"


def test_sns_to_lambda_is_async_with_a_real_event(make_function, cloud):
    """Check SNS → Lambda: topic ARN, subject, attributes and message id are the real ones."""
    make_function("sub", RECORDER)
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn_arn = boto3.client("lambda").get_function(FunctionName="sub")["Configuration"]["FunctionArn"]
    sub_arn = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    message_id = sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "new"}},
    )["MessageId"]
    assert cloud.invocations("sub") == 0
    cloud.run_until_idle()
    (event,) = _events(cloud, "sub")
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub_arn
    assert record["Sns"]["TopicArn"] == topic
    assert record["Sns"]["MessageId"] == message_id
    assert record["Sns"]["Message"] == "hello" and record["Sns"]["Subject"] == "greeting"
    assert record["Sns"]["MessageAttributes"] == {"kind": {"Type": "String", "Value": "new"}}
    assert record["Sns"]["Timestamp"].startswith("2025-01-01T00:00:00")


def test_sns_filter_policies_apply_to_lambda_and_sqs(make_function, cloud, queue, drain):
    """Check that filter policies drop non-matching messages (recorded as dropped in the trace)."""
    make_function("big-orders", RECORDER)
    url, qarn = queue("eu-orders")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn_arn = boto3.client("lambda").get_function(FunctionName="big-orders")["Configuration"][
        "FunctionArn"
    ]
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=fn_arn,
        Attributes={"FilterPolicy": json.dumps({"amount": [{"numeric": [">=", 100]}]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=qarn,
        Attributes={"FilterPolicy": json.dumps({"region": ["eu"]})},
    )

    def publish(amount, region):
        sns.publish(
            TopicArn=topic,
            Message=f"{amount}-{region}",
            MessageAttributes={
                "amount": {"DataType": "Number", "StringValue": str(amount)},
                "region": {"DataType": "String", "StringValue": region},
            },
        )

    publish(50, "eu")
    publish(500, "us")
    cloud.run_until_idle()
    assert [e["Records"][0]["Sns"]["Message"] for e in _events(cloud, "big-orders")] == ["500-us"]
    assert [json.loads(m["Body"])["Message"] for m in drain(url)] == ["50-eu"]
    assert len(cloud.trace.where(source="sns:orders", outcome="dropped")) == 2


def test_sns_raw_message_delivery_to_sqs(cloud, queue, drain):
    """Check raw delivery: the body is the message, attributes are message attributes."""
    url, qarn = queue("raw")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(
        TopicArn=topic,
        Message="plain text",
        MessageAttributes={"a": {"DataType": "String", "StringValue": "1"}},
    )
    (message,) = drain(url)
    assert message["Body"] == "plain text"
    assert message["MessageAttributes"]["a"]["StringValue"] == "1"


def test_sns_email_goes_to_the_outbox_and_http_is_a_named_gap(cloud):
    """Check that email is recorded (not sent) and HTTP endpoints raise LocalCloudGap."""
    from dojo.cloud import LocalCloudGap

    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    sns.publish(TopicArn=topic, Message="disk full", Subject="alarm")
    assert [(m["endpoint"], m["subject"], m["message"]) for m in cloud.outbox] == [
        ("ops@example.com", "alarm", "disk full")
    ]
    assert cloud.trace.where(target="email:ops@example.com", kind="delivery")
    other = sns.create_topic(Name="hooks")["TopicArn"]
    sns.subscribe(TopicArn=other, Protocol="https", Endpoint="https://example.com/hook")
    with pytest.raises(LocalCloudGap, match="https endpoint"):
        sns.publish(TopicArn=other, Message="x")


def test_s3_delete_events_reach_lambda_without_size(make_function, cloud, bucket):
    """Check ObjectRemoved:Delete records (no size or eTag, as S3 sends them)."""
    make_function("on-delete", RECORDER)
    arn = boto3.client("lambda").get_function(FunctionName="on-delete")["Configuration"][
        "FunctionArn"
    ]
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectRemoved:*"]}
            ]
        },
    )
    s3.put_object(Bucket=bucket, Key="gone soon.txt", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="gone soon.txt")
    cloud.run_until_idle()
    (event,) = _events(cloud, "on-delete")
    record = event["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["object"]["key"] == "gone+soon.txt"
    assert "size" not in record["s3"]["object"]
