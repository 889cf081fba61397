"""Chaos: seeded API faults, outages, latency, throttles and function failures, each removable."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from dojo.cloud import LocalCloud


def _table() -> None:
    boto3.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _put_outcomes(n: int) -> list[str]:
    ddb = boto3.client("dynamodb")
    outcomes = []
    for i in range(n):
        try:
            ddb.put_item(TableName="t", Item={"pk": {"S": str(i)}})
            outcomes.append("ok")
        except ddb.exceptions.ProvisionedThroughputExceededException:
            outcomes.append("throttled")
    return outcomes


def _run_with_seed(seed: int) -> list[str]:
    with LocalCloud(seed=seed) as cloud:
        _table()
        cloud.chaos.fail(
            "dynamodb", "PutItem", rate=0.3, error="ProvisionedThroughputExceededException"
        )
        return _put_outcomes(100)


def test_rate_faults_are_seeded_and_repeatable():
    """Check 30% of PutItem calls failing with the real code, identically per seed."""
    first, second, other = _run_with_seed(7), _run_with_seed(7), _run_with_seed(8)
    assert first == second
    assert first != other
    assert 15 <= first.count("throttled") <= 45


def test_first_n_faults_then_success_and_remove(cloud):
    """Check an exact count of failures and removing an injection."""
    _table()
    injection = cloud.chaos.fail(
        "dynamodb", "put_item", first=2, error="ProvisionedThroughputExceededException"
    )
    assert _put_outcomes(4) == ["throttled", "throttled", "ok", "ok"]
    assert injection.hits == 2
    always = cloud.chaos.fail("dynamodb", "PutItem", error="ProvisionedThroughputExceededException")
    assert _put_outcomes(1) == ["throttled"]
    always.remove()
    assert _put_outcomes(1) == ["ok"]


def test_fault_is_a_client_error_with_status_and_no_sdk_retry(cloud):
    """Check the error code and HTTP status the caller sees, and that the store was not touched."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="chaos-bucket")
    cloud.chaos.fail("s3", "PutObject", error="InternalError")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="chaos-bucket", Key="k", Body=b"1")
    assert caught.value.response["Error"]["Code"] == "InternalError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    cloud.chaos.clear()
    assert s3.list_objects_v2(Bucket="chaos-bucket").get("KeyCount") == 0
    assert (
        cloud.trace.where(target="s3:PutObject", outcome="error")[0].detail["note"] == "chaos fail"
    )


def test_outage_until_a_time_on_the_clock(cloud):
    """Check that an outage ends when the clock passes its end."""
    sqs = boto3.client("sqs")
    cloud.chaos.outage("sqs", until=60)
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="q")
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    cloud.clock.advance(60)
    assert sqs.create_queue(QueueName="q")["QueueUrl"]


def test_throttle_token_bucket_refills_with_fake_time(cloud):
    """Check throttle(per_second): the service's own code, refilled on the clock."""
    _table()
    cloud.chaos.throttle("dynamodb", "PutItem", per_second=2)
    assert _put_outcomes(3) == ["ok", "ok", "throttled"]
    cloud.clock.advance(1)
    assert _put_outcomes(3) == ["ok", "ok", "throttled"]


def test_only_in_limits_faults_to_calls_from_one_function(make_function, invoke, cloud):
    """Check only_in: the notebook's calls pass, the function's calls fail."""
    _table()
    make_function(
        "writer",
        """
        import boto3
        def handler(event, context):
            try:
                boto3.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "from-fn"}})
                return "ok"
            except Exception as exc:
                return type(exc).__name__ + ":" + exc.response["Error"]["Code"]
    """,
    )
    cloud.chaos.fail(
        "dynamodb", "PutItem", error="ProvisionedThroughputExceededException", only_in="writer"
    )
    assert _put_outcomes(1) == ["ok"]
    assert (
        invoke("writer")["Body"]
        == "ProvisionedThroughputExceededException:ProvisionedThroughputExceededException"
    )
    hop = cloud.trace.where(source="lambda:writer", target="dynamodb:PutItem")[0]
    assert hop.outcome == "throttled"


def test_latency_moves_the_clock_and_counts_toward_timeout(make_function, invoke, cloud):
    """Check injected latency: simulated time passes and can time a function out."""
    _table()
    make_function(
        "slowdb",
        """
        import boto3
        def handler(event, context):
            boto3.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "x"}})
            return "written"
    """,
        Timeout=3,
    )
    before = cloud.clock.time()
    cloud.chaos.latency("dynamodb:PutItem", ms=1500)
    assert invoke("slowdb")["Body"] == "written"
    assert cloud.clock.time() - before == pytest.approx(1.5, abs=0.01)
    cloud.chaos.latency("dynamodb", ms=2000)
    assert invoke("slowdb")["Body"]["errorType"] == "Sandbox.Timedout"


def test_fail_function_makes_the_handler_raise(make_function, invoke, cloud):
    """Check fail_function: the handler does not run and the caller sees an Unhandled error."""
    make_function("victim", "def handler(e, c):\n    print('ran')\n    return 'ok'\n")
    cloud.chaos.fail_function("victim", first=1)
    first = invoke("victim")
    assert first["FunctionError"] == "Unhandled" and first["Body"]["errorType"] == "InjectedFault"
    assert invoke("victim")["Body"] == "ok"
    assert cloud.logs("victim").count("ran") == 1


def test_throttle_function_applies_to_sync_async_and_mappings(make_function, invoke, cloud, queue):
    """Check Lambda throttles: sync TooManyRequestsException, async retried, SQS messages kept."""
    make_function("hot", "def handler(e, c):\n    return 'ok'\n")
    injection = cloud.chaos.throttle("lambda", function="hot")
    with pytest.raises(ClientError) as caught:
        invoke("hot")
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    boto3.client("lambda").invoke(FunctionName="hot", InvocationType="Event", Payload=b"{}")
    url, arn = queue("hot-q")
    boto3.client("lambda").create_event_source_mapping(FunctionName="hot", EventSourceArn=arn)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="m")
    cloud.clock.advance(10)
    assert cloud.invocations("hot") == 0
    injection.remove()
    cloud.clock.advance(600)
    assert cloud.invocations("hot") == 2  # the async event and the SQS batch


def test_chaos_during_s3_to_lambda_to_dynamodb_pipeline_is_recorded(make_function, cloud):
    """Check chaos across a pipeline: failed writes are retried by async invoke and all land."""
    _table()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="in-bucket")
    make_function(
        "ingest",
        """
        import boto3
        from urllib.parse import unquote_plus
        def handler(event, context):
            for r in event["Records"]:
                key = unquote_plus(r["s3"]["object"]["key"])
                boto3.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": key}})
    """,
    )
    arn = boto3.client("lambda").get_function(FunctionName="ingest")["Configuration"]["FunctionArn"]
    s3.put_bucket_notification_configuration(
        Bucket="in-bucket",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    cloud.chaos.fail(
        "dynamodb",
        "PutItem",
        rate=0.3,
        error="ProvisionedThroughputExceededException",
        only_in="ingest",
    )
    for n in range(10):
        s3.put_object(Bucket="in-bucket", Key=f"file {n}.txt", Body=b"1")
    cloud.clock.advance(600)
    keys = sorted(i["pk"]["S"] for i in boto3.client("dynamodb").scan(TableName="t")["Items"])
    failed_writes = cloud.trace.where(
        source="lambda:ingest", target="dynamodb:PutItem", outcome="throttled"
    )
    assert failed_writes, "the seeded 30% should fail some writes"
    retried = [h for h in cloud.trace.where(kind="async") if h.summary.startswith("retry")]
    assert retried
    assert len(keys) >= 9 and all(k.startswith("file ") for k in keys)
    assert json.dumps(cloud.trace.to_list())


def test_fail_after_side_effect_runs_the_handler_then_fails(make_function, invoke, cloud):
    """Check that the side effect happens but the invocation fails (retries repeat it)."""
    _table()
    make_function(
        "twice",
        """
        import boto3
        def handler(event, context):
            boto3.client("dynamodb").update_item(TableName="t", Key={"pk": {"S": "n"}},
                UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}})
    """,
    )
    cloud.chaos.fail_after_side_effect("twice", first=1)
    boto3.client("lambda").invoke(FunctionName="twice", InvocationType="Event", Payload=b"{}")
    cloud.clock.advance(600)
    item = boto3.client("dynamodb").get_item(TableName="t", Key={"pk": {"S": "n"}})["Item"]
    assert item["hits"]["N"] == "2"  # not idempotent: the retry counted again
    assert cloud.invocations("twice") == 2


def test_duplicate_deliveries_for_mappings_sns_and_async(make_function, cloud, queue):
    """Check duplicate(): batches, SNS deliveries and async events arrive twice."""
    make_function("dup", "def handler(e, c):\n    print('got')\n")
    url, arn = queue("dup-q")
    boto3.client("lambda").create_event_source_mapping(FunctionName="dup", EventSourceArn=arn)
    cloud.chaos.duplicate("esm-batch", first=1)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="m")
    cloud.run_until_idle()
    assert cloud.invocations("dup") == 2
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="dup")["TopicArn"]
    fn_arn = boto3.client("lambda").get_function(FunctionName="dup")["Configuration"]["FunctionArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)
    cloud.chaos.duplicate("sns-delivery", first=1)
    sns.publish(TopicArn=topic, Message="x")
    cloud.run_until_idle()
    assert cloud.invocations("dup") == 4
    cloud.chaos.clear()
    cloud.chaos.duplicate("async-invoke", rate=1.0)
    boto3.client("lambda").invoke(FunctionName="dup", InvocationType="Event", Payload=b"{}")
    cloud.run_until_idle()
    assert cloud.invocations("dup") == 6
    with pytest.raises(ValueError, match="kind must be one of"):
        cloud.chaos.duplicate("carrier-pigeon")
