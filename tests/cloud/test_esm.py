"""Event source mappings: SQS (standard, FIFO) and DynamoDB Streams / Kinesis pollers."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from dojo.cloud import LocalCloud, LocalCloudGap

BATCH_RECORDER = """
import json
def handler(event, context):
    print(json.dumps([r.get("body") or r.get("dynamodb", {}).get("Keys")
                      or r.get("kinesis", {}).get("data")
                      for r in event["Records"]]))
"""

PARTIAL = """
import json
def handler(event, context):
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if "bad" in r["body"]]
    return {"batchItemFailures": failures}
"""


def _batches(cloud, name):
    return [json.loads(line) for line in cloud.logs(name) if line.startswith(('["', "[["))]


def _mapping(name: str, source_arn: str, **kwargs) -> str:
    return boto3.client("lambda").create_event_source_mapping(
        FunctionName=name, EventSourceArn=source_arn, **kwargs
    )["UUID"]


def _send(url: str, *bodies: str, **kwargs) -> None:
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, **kwargs)


# -- SQS ---------------------------------------------------------------------------------------


def test_sqs_messages_arrive_in_batches_with_real_attributes(make_function, cloud, queue):
    """Check BatchSize batching and the SQS record shape (receive count, timestamps, attributes)."""
    url, arn = queue("jobs")
    make_function(
        "worker", "import json\ndef handler(e, c):\n    print(json.dumps(e['Records']))\n"
    )
    _mapping("worker", arn, BatchSize=3)
    _send(
        url,
        "a",
        "b",
        "c",
        "d",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}},
    )
    assert cloud.invocations("worker") == 0  # nothing happens inside SendMessage
    cloud.run_until_idle()
    batches = [json.loads(line) for line in cloud.logs("worker")]
    assert [[r["body"] for r in b] for b in batches] == [["a", "b", "c"], ["d"]]
    record = batches[0][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"] == "1735689600000"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "x",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert (
        boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_sqs_batching_window_waits_for_a_full_batch(make_function, cloud, queue):
    """Check MaximumBatchingWindowInSeconds: a partial batch waits for the window on the clock."""
    url, arn = queue("window")
    make_function("windowed", BATCH_RECORDER)
    _mapping("windowed", arn, BatchSize=5, MaximumBatchingWindowInSeconds=20)
    _send(url, "1", "2")
    cloud.run_until_idle()
    assert cloud.invocations("windowed") == 0
    cloud.clock.advance(10)
    _send(url, "3")
    cloud.clock.advance(9)
    assert cloud.invocations("windowed") == 0
    cloud.clock.advance(1)
    assert _batches(cloud, "windowed") == [["1", "2", "3"]]


def test_failed_batch_returns_after_visibility_timeout_then_goes_to_dlq(
    make_function, cloud, queue
):
    """Check failures reappear after the visibility timeout, then redrive to the DLQ."""
    dlq_url, dlq_arn = queue("jobs-dlq")
    url, arn = queue(
        "jobs",
        VisibilityTimeout="30",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    )
    make_function("crash", "def handler(e, c):\n    raise RuntimeError('poison')\n")
    _mapping("crash", arn, BatchSize=10)
    _send(url, "poison")
    cloud.run_until_idle()
    assert cloud.invocations("crash") == 1
    cloud.clock.advance(29)
    assert cloud.invocations("crash") == 1
    cloud.clock.advance(2)
    assert cloud.invocations("crash") == 2
    cloud.clock.advance(300)
    assert cloud.invocations("crash") == 3
    dead = boto3.client("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]


def test_report_batch_item_failures_deletes_only_successes(make_function, cloud, queue):
    """Check partial batch responses: only the reported messages come back."""
    url, arn = queue("partial", VisibilityTimeout="10")
    make_function("picky", PARTIAL)
    _mapping("picky", arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    _send(url, "good-1", "bad-1", "good-2")
    cloud.run_until_idle()
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    hop = cloud.trace.where(kind="esm", target="sqs:partial")[-1]
    assert hop.detail == {"batch_size": 3, "failed": 1}


def test_without_report_batch_item_failures_a_partial_response_is_ignored(
    make_function, cloud, queue
):
    """Check that batchItemFailures mean nothing unless the mapping opts in."""
    url, arn = queue("optout", VisibilityTimeout="10")
    make_function("picky2", PARTIAL)
    _mapping("picky2", arn)
    _send(url, "good", "bad")
    cloud.run_until_idle()
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_fifo_queue_preserves_order_within_a_group(make_function, cloud, queue):
    """Check FIFO delivery: order kept and group attributes present."""
    url, arn = queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    make_function(
        "fifo",
        "import json\ndef handler(e, c):\n"
        "    print(json.dumps([[r['body'], r['attributes']['MessageGroupId']]"
        " for r in e['Records']]))\n",
    )
    _mapping("fifo", arn, BatchSize=10)
    for n in range(5):
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=f"m{n}", MessageGroupId="g1")
    cloud.run_until_idle()
    delivered = [item for line in cloud.logs("fifo") for item in json.loads(line)]
    assert delivered == [[f"m{n}", "g1"] for n in range(5)]


def test_disabled_mapping_delivers_nothing_until_enabled(make_function, cloud, queue):
    """Check enabling and disabling a mapping."""
    url, arn = queue("paused")
    make_function("pausable", BATCH_RECORDER)
    uuid = _mapping("pausable", arn, Enabled=False)
    _send(url, "x")
    cloud.clock.advance(60)
    assert cloud.invocations("pausable") == 0
    boto3.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    cloud.run_until_idle()
    assert _batches(cloud, "pausable") == [["x"]]


def test_deleted_mapping_stops_delivering(make_function, cloud, queue):
    """Check that deleting a mapping stops the poller (moto itself would keep firing)."""
    url, arn = queue("gone")
    make_function("gone-fn", BATCH_RECORDER)
    uuid = _mapping("gone-fn", arn)
    boto3.client("lambda").delete_event_source_mapping(UUID=uuid)
    _send(url, "x")
    cloud.clock.advance(60)
    assert cloud.invocations("gone-fn") == 0


def test_throttled_function_leaves_messages_in_the_queue(make_function, cloud, queue):
    """Check that a throttled mapping keeps messages and delivers once capacity returns."""
    url, arn = queue("slowlane")
    make_function("capped", BATCH_RECORDER)
    lam = boto3.client("lambda")
    lam.put_function_concurrency(FunctionName="capped", ReservedConcurrentExecutions=0)
    _mapping("capped", arn)
    _send(url, "x")
    cloud.clock.advance(5)
    assert cloud.invocations("capped") == 0
    lam.delete_function_concurrency(FunctionName="capped")
    cloud.clock.advance(5)
    assert _batches(cloud, "capped") == [["x"]]


def test_filter_criteria_is_a_named_gap(make_function, cloud, queue):
    """Check that an unsupported mapping feature raises LocalCloudGap instead of being ignored."""
    _, arn = queue("filtered")
    make_function("filtered-fn", BATCH_RECORDER)
    with pytest.raises(LocalCloudGap, match="FilterCriteria"):
        _mapping(
            "filtered-fn",
            arn,
            FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": ["x"]})}]},
        )


# -- DynamoDB Streams -------------------------------------------------------------------------


@pytest.fixture
def table(cloud):
    ddb = boto3.client("dynamodb")
    description = ddb.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return description["LatestStreamArn"]


def _put(*keys: str) -> None:
    ddb = boto3.client("dynamodb")
    for key in keys:
        ddb.put_item(TableName="items", Item={"pk": {"S": key}})


STREAM_RECORDER = """
import json
def handler(event, context):
    print(json.dumps([[r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]]
                      for r in event["Records"]]))
"""


def test_dynamodb_stream_batches_records_in_order(make_function, cloud, table):
    """Check DynamoDB Streams → Lambda: batches of BatchSize with INSERT/MODIFY/REMOVE in order."""
    make_function("stream", STREAM_RECORDER)
    _mapping("stream", table, StartingPosition="TRIM_HORIZON", BatchSize=2)
    _put("a", "b", "a")
    boto3.client("dynamodb").delete_item(TableName="items", Key={"pk": {"S": "b"}})
    assert cloud.invocations("stream") == 0
    cloud.run_until_idle()
    assert _batches(cloud, "stream") == [
        [["INSERT", "a"], ["INSERT", "b"]],
        [["MODIFY", "a"], ["REMOVE", "b"]],
    ]
    first = cloud.trace.where(kind="esm", source="dynamodb:items")[0]
    assert first.target == "lambda:stream"


def test_stream_starting_position_latest_skips_earlier_records(make_function, cloud, table):
    """Check StartingPosition LATEST."""
    make_function("latest", STREAM_RECORDER)
    _put("before")
    _mapping("latest", table, StartingPosition="LATEST")
    _put("after")
    cloud.run_until_idle()
    assert _batches(cloud, "latest") == [[["INSERT", "after"]]]


def test_stream_failure_blocks_the_shard_and_retries_until_max_attempts(
    make_function, cloud, table, queue, drain
):
    """Check MaximumRetryAttempts and the on-failure destination record for a stream batch."""
    url, arn = queue("stream-failures")
    make_function("failing-stream", "def handler(e, c):\n    raise RuntimeError('no')\n")
    _mapping(
        "failing-stream",
        table,
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    _put("x")
    cloud.clock.advance(600)
    assert cloud.invocations("failing-stream") == 3
    (message,) = drain(url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == table
    assert info["startSequenceNumber"] == info["endSequenceNumber"]


def test_bisect_batch_isolates_the_poison_record(make_function, cloud, table):
    """Check BisectBatchOnFunctionError: good records get through, the bad one is retried alone."""
    make_function(
        "bisect",
        """
        import json
        def handler(event, context):
            keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
            print(json.dumps(keys))
            if "bad" in keys:
                raise ValueError("poison")
    """,
    )
    _mapping(
        "bisect",
        table,
        StartingPosition="TRIM_HORIZON",
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
    )
    _put("a", "b", "bad", "c")
    cloud.clock.advance(60)
    batches = _batches(cloud, "bisect")
    assert batches[0] == ["a", "b", "bad", "c"]
    assert ["bad"] in batches
    delivered = {key for batch in batches if "bad" not in batch for key in batch}
    assert delivered == {"a", "b", "c"}


def test_stream_report_batch_item_failures_retries_from_the_failed_record(
    make_function, cloud, table
):
    """Check that a partial batch response checkpoints before the failed sequence number."""
    make_function(
        "partial-stream",
        """
        import json
        SEEN = []
        def handler(event, context):
            keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
            print(json.dumps(keys))
            SEEN.extend(keys)
            failed = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]
                      if r["dynamodb"]["Keys"]["pk"]["S"] == "b" and SEEN.count("b") == 1]
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    """,
    )
    _mapping(
        "partial-stream",
        table,
        StartingPosition="TRIM_HORIZON",
        BatchSize=3,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    _put("a", "b", "c")
    cloud.clock.advance(30)
    assert _batches(cloud, "partial-stream") == [["a", "b", "c"], ["b", "c"]]


def test_maximum_record_age_discards_stale_records(make_function, cloud, table):
    """Check MaximumRecordAgeInSeconds: records older than the limit are dropped."""
    make_function("aging", "def handler(e, c):\n    raise RuntimeError('down')\n")
    _mapping("aging", table, StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60)
    _put("x")
    cloud.clock.advance(600)
    attempts = cloud.invocations("aging")
    assert 3 <= attempts <= 10
    assert cloud.trace.where(kind="esm", outcome="dropped", summary="*RecordAgeExceeded*")
    cloud.clock.advance(600)
    assert cloud.invocations("aging") == attempts


# -- Kinesis ----------------------------------------------------------------------------------


def test_kinesis_records_in_batches_with_parallelization(make_function, cloud):
    """Check Kinesis → Lambda batches and ParallelizationFactor keeping per-key order."""
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    make_function(
        "clicks",
        """
        import base64, json
        def handler(event, context):
            print(json.dumps([[r["kinesis"]["partitionKey"],
                               base64.b64decode(r["kinesis"]["data"]).decode()]
                              for r in event["Records"]]))
    """,
    )
    _mapping("clicks", arn, StartingPosition="TRIM_HORIZON", BatchSize=100, ParallelizationFactor=4)
    for n in range(12):
        kinesis.put_record(StreamName="clicks", Data=f"{n}".encode(), PartitionKey=f"user-{n % 3}")
    cloud.run_until_idle()
    batches = [json.loads(line) for line in cloud.logs("clicks")]
    records = [r for b in batches for r in b]
    assert len(records) == 12
    for user in ("user-0", "user-1", "user-2"):
        values = [int(v) for k, v in records if k == user]
        assert values == sorted(values)
    assert all(len({k for k, _ in b}) >= 1 for b in batches)
    assert base64  # imported for the handler's benefit in docs


def test_two_mappings_on_one_stream_both_receive_records(make_function, cloud):
    """Check that each mapping has its own poller (moto keeps only one per stream)."""
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="events", ShardCount=2)
    arn = kinesis.describe_stream(StreamName="events")["StreamDescription"]["StreamARN"]
    make_function("k1", BATCH_RECORDER)
    make_function("k2", BATCH_RECORDER)
    _mapping("k1", arn, StartingPosition="TRIM_HORIZON")
    _mapping("k2", arn, StartingPosition="TRIM_HORIZON")
    for n in range(6):
        kinesis.put_record(StreamName="events", Data=b"x", PartitionKey=str(n))
    cloud.run_until_idle()
    assert sum(len(b) for b in _batches(cloud, "k1")) == 6
    assert sum(len(b) for b in _batches(cloud, "k2")) == 6


@pytest.mark.parametrize(("factor", "others_delivered"), [(1, False), (10, True)])
def test_parallelization_factor_lets_other_keys_pass_a_blocked_key(
    make_function, cloud, factor, others_delivered
):
    """Check ParallelizationFactor: a failing partition key blocks only its own lane."""
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="lanes", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="lanes")["StreamDescription"]["StreamARN"]
    make_function(
        "lanes",
        """
        import json
        def handler(event, context):
            keys = [r["kinesis"]["partitionKey"] for r in event["Records"]]
            if "poison" in keys:
                raise ValueError("poison")
            print(json.dumps(keys))
    """,
    )
    _mapping(
        "lanes", arn, StartingPosition="TRIM_HORIZON", BatchSize=1, ParallelizationFactor=factor
    )
    kinesis.put_record(StreamName="lanes", Data=b"x", PartitionKey="poison")
    for n in range(20):
        kinesis.put_record(StreamName="lanes", Data=b"x", PartitionKey=f"key-{n}")
    cloud.clock.advance(30)
    delivered = {k for batch in _batches(cloud, "lanes") for k in batch}
    assert bool(delivered) is others_delivered
    if others_delivered:
        assert len(delivered) < 20  # keys sharing the poison key's lane wait behind it


def test_fifo_partial_failure_returns_the_rest_of_the_group(make_function, cloud, queue):
    """Check FIFO partial failures: later messages of the failed group return too, in order."""
    url, arn = queue(
        "fifo-partial.fifo",
        FifoQueue="true",
        ContentBasedDeduplication="true",
        VisibilityTimeout="30",
    )
    make_function(
        "fifo-partial",
        """
        import json
        SEEN = []
        def handler(event, context):
            bodies = [r["body"] for r in event["Records"]]
            print(json.dumps(bodies))
            SEEN.extend(bodies)
            fail = [r["messageId"] for r in event["Records"]
                    if r["body"] == "m1" and SEEN.count("m1") == 1]
            return {"batchItemFailures": [{"itemIdentifier": i} for i in fail]}
    """,
    )
    _mapping("fifo-partial", arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    for n in range(4):
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=f"m{n}", MessageGroupId="g")
    cloud.clock.advance(60)
    assert _batches(cloud, "fifo-partial") == [["m0", "m1", "m2", "m3"], ["m1", "m2", "m3"]]


def test_mappings_work_in_another_region():
    """Check a cloud whose region is not us-east-1: plain clients, invokes and an SQS mapping."""
    from dojo.cloud import zip_code

    with LocalCloud(region="eu-west-1") as cloud:
        assert boto3.client("sqs").meta.region_name == "eu-west-1"
        iam_role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")[
            "Role"
        ]["Arn"]
        lam = boto3.client("lambda")
        lam.create_function(
            FunctionName="eu",
            Runtime="python3.12",
            Role=iam_role,
            Handler="app.handler",
            Code={"ZipFile": zip_code({"app.py": BATCH_RECORDER})},
        )
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="eu-q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        assert ":eu-west-1:" in arn
        lam.create_event_source_mapping(FunctionName="eu", EventSourceArn=arn)
        sqs.send_message(QueueUrl=url, MessageBody="bonjour")
        cloud.run_until_idle()
        assert _batches(cloud, "eu") == [["bonjour"]]


def test_mapping_on_an_alias_runs_the_alias_version(make_function, cloud, queue):
    """Check that a mapping whose FunctionName is an alias runs that version's code."""
    from dojo.cloud import zip_code

    lam = boto3.client("lambda")
    make_function("aliased", "def handler(e, c):\n    print('v1')\n")
    v1 = lam.publish_version(FunctionName="aliased")["Version"]
    lam.update_function_code(
        FunctionName="aliased",
        ZipFile=zip_code({"app.py": "def handler(e, c):\n    print('latest')\n"}),
    )
    lam.create_alias(FunctionName="aliased", Name="stable", FunctionVersion=v1)
    url, arn = queue("to-alias")
    _mapping("aliased:stable", arn)
    _send(url, "x")
    cloud.run_until_idle()
    assert cloud.logs("aliased") == ["v1"]
