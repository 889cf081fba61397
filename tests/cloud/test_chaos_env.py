"""Game-day chaos from DOJO_CHAOS: a cloud started under it has the faults injected."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from dojo.cloud import LocalCloud
from dojo.cloud._errors import LocalCloudError


def test_faults_in_dojo_chaos_are_injected_when_the_cloud_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that a failing downstream, a throttled function and a region outage listed in
    DOJO_CHAOS are applied at start, and that a cloud without the variable has none."""
    faults = [
        {"kind": "fail", "service": "dynamodb", "operation": "PutItem", "rate": 1.0},
        {"kind": "throttle", "function": "resize"},
        {"kind": "outage", "region": "eu-west-1"},
    ]
    monkeypatch.setenv("DOJO_CHAOS", json.dumps(faults))
    with LocalCloud() as cloud:
        assert [i.kind for i in cloud.chaos.injections] == [
            "fail", "throttle_function", "outage"
        ]
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            ddb.put_item(TableName="t", Item={"pk": {"S": "1"}})
        assert cloud.chaos.function_throttled("resize")
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            cloud.client("sqs", region="eu-west-1").list_queues()
    monkeypatch.delenv("DOJO_CHAOS")
    with LocalCloud() as cloud:
        assert not cloud.chaos.injections


def test_a_malformed_dojo_chaos_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a DOJO_CHAOS that is not a list of faults stops the start with a reason."""
    monkeypatch.setenv("DOJO_CHAOS", '[{"kind": "meteor"}]')
    with pytest.raises(LocalCloudError, match="DOJO_CHAOS"):
        LocalCloud().start()
