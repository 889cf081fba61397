"""Build a small but fully wired serverless estate with boto3 (used by the widget tests)."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/dojo-lambda"
HANDLER = (
    "import json\n"
    "def handler(event, context):\n"
    "    if 'fail' in json.dumps(event):\n"
    "        raise RuntimeError('asked to fail')\n"
    "    return {'ok': True}\n"
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def build_estate(client: Any, prefix: str = "w") -> dict[str, str]:
    """Create buckets, functions, a table with a stream, queues with a DLQ, a topic, a bus with a
    rule, a Kinesis stream, a REST and an HTTP API and a state machine, all wired together.

    ``client`` is ``cloud.client`` (or any callable service → boto3 client). Returns key ARNs.
    """
    iam = client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName="dojo-lambda",
            AssumeRolePolicyDocument=json.dumps(
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
            ),
        )
    lam = client("lambda")
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    jobs_url = sqs.create_queue(
        QueueName=f"{prefix}-jobs",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
        },
    )["QueueUrl"]
    jobs_arn = sqs.get_queue_attributes(QueueUrl=jobs_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    arns: dict[str, str] = {
        "dlq": dlq_arn,
        "jobs": jobs_arn,
        "jobs_url": jobs_url,
        "dlq_url": dlq_url,
    }
    for name in ("resize", "worker", "audit", "api"):
        fn = lam.create_function(
            FunctionName=f"{prefix}-{name}",
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            MemorySize=256,
        )
        arns[name] = fn["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName=f"{prefix}-resize", DestinationConfig={"OnFailure": {"Destination": dlq_arn}}
    )
    s3 = client("s3")
    s3.create_bucket(Bucket=f"{prefix}-uploads")
    s3.put_bucket_notification_configuration(
        Bucket=f"{prefix}-uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": arns["resize"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}},
                }
            ]
        },
    )
    lam.create_event_source_mapping(
        EventSourceArn=jobs_arn, FunctionName=f"{prefix}-worker", BatchSize=5
    )
    ddb = client("dynamodb")
    table = ddb.create_table(
        TableName=f"{prefix}-orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    lam.create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"],
        FunctionName=f"{prefix}-audit",
        StartingPosition="LATEST",
        BatchSize=10,
    )
    sns = client("sns")
    topic = sns.create_topic(Name=f"{prefix}-alerts")["TopicArn"]
    arns["topic"] = topic
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=jobs_arn)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arns["audit"])
    events = client("events")
    events.create_event_bus(Name=f"{prefix}-bus")
    events.put_rule(
        Name=f"{prefix}-orders-rule",
        EventBusName=f"{prefix}-bus",
        EventPattern=json.dumps({"source": ["shop"]}),
    )
    events.put_targets(
        Rule=f"{prefix}-orders-rule",
        EventBusName=f"{prefix}-bus",
        Targets=[{"Id": "to-topic", "Arn": topic}],
    )
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName=f"{prefix}-clicks", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName=f"{prefix}-clicks")["StreamDescription"][
        "StreamARN"
    ]
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=f"{prefix}-worker",
        StartingPosition="LATEST",
        BatchSize=100,
    )
    apigw = client("apigateway")
    rest = apigw.create_rest_api(name=f"{prefix}-rest")
    root = apigw.get_resources(restApiId=rest["id"])["items"][0]["id"]
    items = apigw.create_resource(restApiId=rest["id"], parentId=root, pathPart="items")
    apigw.put_method(
        restApiId=rest["id"], resourceId=items["id"], httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(
        restApiId=rest["id"],
        resourceId=items["id"],
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arns['api']}/invocations",
    )
    v2 = client("apigatewayv2")
    http_api = v2.create_api(Name=f"{prefix}-http", ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=http_api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=arns["api"],
        PayloadFormatVersion="2.0",
    )
    v2.create_route(
        ApiId=http_api["ApiId"],
        RouteKey="POST /orders",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    sfn = client("stepfunctions")
    definition = {
        "StartAt": "Resize",
        "States": {
            "Resize": {"Type": "Task", "Resource": arns["resize"], "Next": "Save"},
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": f"{prefix}-orders", "Item": {"id": {"S.$": "$.id"}}},
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name=f"{prefix}-flow", definition=json.dumps(definition), roleArn=ROLE
    )
    arns["machine"] = machine["stateMachineArn"]
    return arns
