"""DynamoDB TTL: expired items go when the clock moves, as service deletions in the stream."""

from __future__ import annotations

import json

import boto3
import pytest

from dojo.cloud import LocalCloud

T0 = 1735689600  # 2025-01-01T00:00:00Z, where the clock starts


def _table(name="sessions", stream=False):
    ddb = boto3.client("dynamodb")
    kwargs = {}
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **kwargs,
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    return ddb


def _ids(ddb, name="sessions"):
    return sorted(i["id"]["S"] for i in ddb.scan(TableName=name)["Items"])


def test_expired_items_are_deleted_within_minutes_of_expiry(cloud):
    """Check that an item whose TTL passed goes within 5 minutes; others stay."""
    ddb = _table()
    ddb.put_item(TableName="sessions", Item={"id": {"S": "soon"}, "expires": {"N": str(T0 + 60)}})
    ddb.put_item(
        TableName="sessions", Item={"id": {"S": "later"}, "expires": {"N": str(T0 + 7200)}}
    )
    ddb.put_item(TableName="sessions", Item={"id": {"S": "never"}})
    ddb.put_item(TableName="sessions", Item={"id": {"S": "text"}, "expires": {"S": "1"}})
    cloud.clock.advance(59)
    assert _ids(ddb) == ["later", "never", "soon", "text"]
    cloud.clock.advance(60 + 300)
    assert _ids(ddb) == ["later", "never", "text"]
    assert cloud.ttl.deleted == 1
    assert cloud.trace.where(source="dynamodb:ttl", target="dynamodb:sessions")


def test_items_already_expired_and_very_old_ttls(cloud):
    """Check that past TTLs expire on the next move, and TTLs over five years old are ignored."""
    ddb = _table()
    ddb.put_item(TableName="sessions", Item={"id": {"S": "past"}, "expires": {"N": str(T0 - 10)}})
    ddb.put_item(
        TableName="sessions",
        Item={"id": {"S": "ancient"}, "expires": {"N": str(T0 - 6 * 365 * 86400)}},
    )
    cloud.clock.advance(301)
    assert _ids(ddb) == ["ancient"]


def test_extending_the_ttl_before_deletion_keeps_the_item(cloud):
    """Check that an item whose TTL was moved into the future is not deleted."""
    ddb = _table()
    cloud.ttl.configure(lag=120)
    ddb.put_item(TableName="sessions", Item={"id": {"S": "a"}, "expires": {"N": str(T0 + 10)}})
    cloud.clock.advance(60)  # expired, deletion due at T0 + 130
    ddb.update_item(
        TableName="sessions",
        Key={"id": {"S": "a"}},
        UpdateExpression="SET expires = :e",
        ExpressionAttributeValues={":e": {"N": str(T0 + 10_000)}},
    )
    cloud.clock.advance(600)
    assert _ids(ddb) == ["a"]


def test_ttl_deletion_emits_a_service_remove_record_to_stream_mappings(make_function, cloud):
    """Check that the REMOVE record has the service userIdentity and the old image."""
    ddb = _table(stream=True)
    make_function("on-remove", "import json\ndef handler(e, c):\n    print(json.dumps(e))\n")
    stream = ddb.describe_table(TableName="sessions")["Table"]["LatestStreamArn"]
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="on-remove", EventSourceArn=stream, StartingPosition="TRIM_HORIZON"
    )
    ddb.put_item(TableName="sessions", Item={"id": {"S": "t"}, "expires": {"N": str(T0 + 30)}})
    ddb.put_item(TableName="sessions", Item={"id": {"S": "u"}})
    ddb.delete_item(TableName="sessions", Key={"id": {"S": "u"}})  # a user delete, for contrast
    cloud.clock.advance(600)
    records = [r for line in cloud.logs("on-remove") for r in json.loads(line)["Records"]]
    by_key = {r["dynamodb"]["Keys"]["id"]["S"]: r for r in records if r["eventName"] == "REMOVE"}
    assert by_key["t"]["eventName"] == "REMOVE"
    assert by_key["t"]["userIdentity"] == {
        "type": "Service",
        "principalId": "dynamodb.amazonaws.com",
    }
    assert by_key["t"]["dynamodb"]["OldImage"]["expires"] == {"N": str(T0 + 30)}
    assert "userIdentity" not in by_key["u"]
    raw = boto3.client("dynamodbstreams")
    shard = raw.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = raw.get_shard_iterator(
        StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    got = raw.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r.get("userIdentity", {}).get("Type") for r in got if r["eventName"] == "REMOVE"] == [
        None,
        "Service",
    ]


def test_aws_lag_setting_spreads_deletions_over_hours_reproducibly():
    """Check the "aws" lag: deletions spread (median ~30 min, none past 48 h), same per seed."""

    def run(seed):
        with LocalCloud(seed=seed) as cloud:
            cloud.ttl.configure(lag="aws")
            ddb = _table()
            for n in range(40):
                ddb.put_item(
                    TableName="sessions", Item={"id": {"S": f"i{n}"}, "expires": {"N": str(T0)}}
                )
            left = []
            for _ in range(4):
                cloud.clock.advance(1800)
                left.append(len(_ids(ddb)))
            cloud.clock.advance(48 * 3600)
            left.append(len(_ids(ddb)))
            return left

    first = run(1)
    assert first == run(1)
    assert first[0] not in (0, 40) and first[-1] == 0  # some gone by 30 min, not all
    assert first[0] > 10 and first[1] < first[0]


def test_invalid_lag_setting_is_refused(cloud):
    """Check that an unknown lag setting fails at configure time with the choices."""
    with pytest.raises(ValueError, match="minutes"):
        cloud.ttl.configure(lag="soon")


def test_disabled_ttl_deletes_nothing(cloud):
    """Check that turning TTL off stops deletions."""
    ddb = _table()
    ddb.update_time_to_live(
        TableName="sessions", TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"}
    )
    ddb.put_item(TableName="sessions", Item={"id": {"S": "x"}, "expires": {"N": str(T0)}})
    cloud.clock.advance(3600)
    assert _ids(ddb) == ["x"]
