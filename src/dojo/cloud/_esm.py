"""Event source mappings: the pollers that feed SQS queues and streams to Lambda.

moto fires a mapping inline (inside ``SendMessage`` or a table write), one record at a time, and
ignores most mapping settings. The local cloud detaches moto's trigger when a mapping is created
and polls instead, every time the cloud runs (``run_until_idle`` / ``clock.advance``):

* **SQS** (standard and FIFO): batches up to ``BatchSize`` (waiting up to
  ``MaximumBatchingWindowInSeconds``), deletes what succeeded, leaves failures to reappear after
  the visibility timeout (so ``maxReceiveCount`` redrive to the DLQ works), honours
  ``ReportBatchItemFailures``.
* **DynamoDB Streams and Kinesis**: per shard, in order, from ``StartingPosition``; a failed batch
  blocks its shard and is retried with backoff until ``MaximumRetryAttempts`` or
  ``MaximumRecordAgeInSeconds``, optionally bisected, then sent to the ``OnFailure`` destination;
  ``ParallelizationFactor`` splits a shard into lanes by partition key.

Batches are delivered one at a time (the cloud is single-threaded), so SQS concurrency scaling
is not modelled. Delivery is at-least-once, as on AWS.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._deliver import lambda_message_attributes, parse_arn, short_name
from ._errors import LocalCloudGap
from ._lambda import split_function
from ._runtime import InvocationResult, Throttled

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["Mappings"]


def _lambda_backend(account: str, region: str) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(account, region)


def check_supported(spec: dict[str, Any]) -> None:
    """Refuse mapping settings the pollers do not implement (raised before moto stores it)."""
    filters = (spec.get("FilterCriteria") or {}).get("Filters")
    if filters:
        raise LocalCloudGap(
            "event source mapping FilterCriteria",
            hint="Filter inside the handler for now; filtering arrives with Local cloud II.",
        )
    if spec.get("TumblingWindowInSeconds"):
        raise LocalCloudGap(
            "event source mapping TumblingWindowInSeconds (stream aggregation windows)"
        )


def detach_from_moto(esm: Any) -> None:
    """Remove moto's inline trigger for ``esm`` so only the poller delivers."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends
    from moto.sqs.models import sqs_backends

    account, region = esm.account_id, esm.region
    containers: list[Any] = list(sqs_backends[account][region].queues.values())
    containers += list(dynamodb_backends[account][region].tables.values())
    containers += list(kinesis_backends[account][region].streams.values())
    for container in containers:
        mappings = container.lambda_event_source_mappings
        for key in [k for k, v in mappings.items() if v is esm]:
            del mappings[key]


class _Base:
    def __init__(self, cloud: LocalCloud, esm: Any) -> None:
        self.cloud = cloud
        self.esm = esm
        self.account = esm.account_id
        self.region = esm.region
        self.source_arn = esm.event_source_arn
        self.retired = False

    def alive(self) -> bool:
        if self.retired:
            return False
        backend = _lambda_backend(self.account, self.region)
        if self.esm.uuid not in backend._event_source_mappings:
            self.retired = True
            self.cloud.clock.remove_poller(self)  # type: ignore[arg-type]
            return False
        return True

    def _function(self) -> tuple[Any, Any, str]:
        backend = _lambda_backend(self.account, self.region)
        name, qualifier = split_function(self.esm.function_name)
        arn_name, arn_qualifier = split_function(self.esm.function_arn)
        if arn_name != name:  # FunctionName changed with update_event_source_mapping
            name, qualifier = arn_name, arn_qualifier
        return self.cloud.lambda_.resolve(backend, name, qualifier)

    def _invoke(self, records: list[dict[str, Any]], label: str) -> InvocationResult | None:
        fn, latest, arn = self._function()
        for record in records:
            if "invokeIdentityArn" in record:
                record["invokeIdentityArn"] = latest.role
        try:
            return self.cloud.runtime.invoke(
                fn,
                latest,
                json.dumps({"Records": records}),
                invoked_arn=arn,
                source=label,
                kind="esm",
            )
        except Throttled:
            return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.esm.uuid} {self.source_arn}>"


def _reports_failures(esm: Any) -> bool:
    return "ReportBatchItemFailures" in (esm.function_response_types or [])


def _failed_ids(result: InvocationResult, valid: list[str]) -> set[str] | None:
    """Identifiers the handler reported as failed; None means the whole batch failed."""
    body = result.json()
    if not isinstance(body, dict) or "batchItemFailures" not in body:
        return set()
    failures = body.get("batchItemFailures") or []
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in valid:
            return None  # malformed response: AWS treats the whole batch as failed
        ids.add(identifier)
    return ids


class SqsPoller(_Base):
    """Polls one SQS queue for one mapping."""

    def __init__(self, cloud: LocalCloud, esm: Any) -> None:
        super().__init__(cloud, esm)
        info = parse_arn(self.source_arn)
        self.queue_name = info["resource"]
        self.url = f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.queue_name}"
        self.fifo = self.queue_name.endswith(".fifo")
        self.window_start: float | None = None
        self.throttled_until = 0.0

    def _queue(self) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.account][self.region].queues.get(self.queue_name)

    def _available(self, queue: Any) -> int:
        return sum(1 for m in queue._messages if m.visible and not m.delayed)

    def next_wakeup(self, now: float) -> float | None:
        if not self.alive() or not self.esm.enabled:
            return None
        queue = self._queue()
        if queue is None:
            return None
        times = [
            t
            for t in (max(m.visible_at, m.delayed_until) / 1000.0 + 0.001 for m in queue._messages)
            if t > now
        ]
        if self.window_start is not None:
            times.append(self.window_start + float(self.esm.max_batch_window or 0))
        if self.throttled_until > now:
            times.append(self.throttled_until)
        return min(times) if times else None

    def poll(self, now: float) -> bool:
        if not self.alive() or not self.esm.enabled or now < self.throttled_until:
            return False
        queue = self._queue()
        if queue is None:
            return False
        available = self._available(queue)
        if not available:
            self.window_start = None
            return False
        batch_size = int(self.esm.batch_size)
        window = float(self.esm.max_batch_window or 0)
        if available < batch_size and window > 0:
            if self.window_start is None:
                self.window_start = now
            if now < self.window_start + window:
                return False
        fn, latest, _ = self._function()
        if self.cloud.runtime.throttle_reason(fn, latest):
            self.cloud.trace.record(
                f"sqs:{self.queue_name}",
                f"lambda:{fn.function_name}",
                "esm",
                "poller throttled; messages stay in the queue",
                "throttled",
            )
            self.throttled_until = now + 1.0
            return True
        messages = self._receive(batch_size)
        if not messages:
            return False
        self.window_start = None
        records = [self._record(m) for m in messages]
        result = self._invoke(records, f"sqs:{self.queue_name}")
        if result is not None and self.cloud.chaos.duplicated("esm-batch", "sqs-delivery"):
            result = self._invoke(records, f"sqs:{self.queue_name}") or result  # at-least-once
        if result is None:
            self.throttled_until = now + 1.0
            return True
        done = self._succeeded(messages, result)
        if done:
            client = self.cloud.deliverer.client("sqs", self.region)
            for start in range(0, len(done), 10):
                client.delete_message_batch(
                    QueueUrl=self.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[start : start + 10])
                    ],
                )
        failed = len(messages) - len(done)
        self.cloud.trace.record(
            f"lambda:{fn.function_name}",
            f"sqs:{self.queue_name}",
            "esm",
            f"batch of {len(messages)}: {len(done)} deleted, {failed} left to retry",
            "ok" if not failed else "error",
            batch_size=len(messages),
            failed=failed,
        )
        return True

    def _receive(self, batch_size: int) -> list[dict[str, Any]]:
        if self.fifo:
            # moto 5.2.5 releases timed-out FIFO messages one at a time and so redelivers a group
            # out of order (last message first); release them all together, as SQS does.
            queue = self._queue()
            queue.pending_messages.difference_update(
                {m for m in queue.pending_messages if m.visible}
            )
        client = self.cloud.deliverer.client("sqs", self.region)
        messages: list[dict[str, Any]] = []
        while len(messages) < batch_size:
            got = client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, batch_size - len(messages)),
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages += got
            if not got or self.fifo:
                break
        return messages

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source_arn,
            "awsRegion": self.region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _succeeded(
        self, messages: list[dict[str, Any]], result: InvocationResult
    ) -> list[dict[str, Any]]:
        if not result.ok:
            return []
        if not _reports_failures(self.esm):
            return messages
        ids = _failed_ids(result, [m["MessageId"] for m in messages])
        if ids is None:
            return []
        done: list[dict[str, Any]] = []
        blocked_groups: set[str] = set()
        for message in messages:
            group = message.get("Attributes", {}).get("MessageGroupId")
            if message["MessageId"] in ids:
                if self.fifo and group:
                    blocked_groups.add(group)
                continue
            if self.fifo and group in blocked_groups:
                continue  # FIFO: nothing after a failure in the same group may succeed
            done.append(message)
        return done


@dataclass
class _Record:
    seq: str
    key: str
    arrival: float
    shard_id: str
    event: dict[str, Any]


@dataclass
class _Lane:
    pending: list[_Record] = field(default_factory=list)
    attempts: int = 0
    next_try: float = 0.0
    limit: int | None = None
    bisect_until: int | None = None
    window_start: float | None = None


class StreamPoller(_Base):
    """Polls a DynamoDB stream or a Kinesis stream for one mapping."""

    def __init__(self, cloud: LocalCloud, esm: Any) -> None:
        super().__init__(cloud, esm)
        self.kind = "dynamodb" if parse_arn(self.source_arn)["service"] == "dynamodb" else "kinesis"
        name = (
            short_name(self.source_arn)
            if self.kind == "dynamodb"
            else self.source_arn.split("/")[-1]
        )
        self.label = f"{self.kind}:{name}"
        self.positions: dict[str, int] = {}
        self.lanes: dict[tuple[str, int], _Lane] = {}
        position = (esm.starting_position or "TRIM_HORIZON").upper()
        for shard_id, records in self._shards():
            if position == "LATEST":
                self.positions[shard_id] = len(records)
            elif position == "AT_TIMESTAMP" and esm.starting_position_timestamp is not None:
                stamp = esm.starting_position_timestamp
                stamp = stamp.timestamp() if isinstance(stamp, dt.datetime) else float(stamp)
                self.positions[shard_id] = next(
                    (
                        i
                        for i, r in enumerate(records)
                        if self._convert(r, shard_id).arrival >= stamp
                    ),
                    len(records),
                )
            else:
                self.positions[shard_id] = 0

    # -- moto's stored records ------------------------------------------------------------
    def _shards(self) -> list[tuple[str, list[Any]]]:
        if self.kind == "dynamodb":
            from moto.dynamodb.models import dynamodb_backends

            table = dynamodb_backends[self.account][self.region].tables.get(
                short_name(self.source_arn)
            )
            shard = getattr(table, "stream_shard", None) if table is not None else None
            return [(shard.id, shard.items)] if shard is not None else []
        from moto.kinesis.models import kinesis_backends

        stream = kinesis_backends[self.account][self.region].streams.get(
            self.source_arn.split("/")[-1]
        )
        if stream is None:
            return []
        return [(shard.shard_id, list(shard.records.values())) for shard in stream.shards.values()]

    def _convert(self, raw: Any, shard_id: str) -> _Record:
        if self.kind == "dynamodb":
            record = raw.to_json()
            body = dict(record["dynamodb"])
            created = body.get("ApproximateCreationDateTime")
            arrival = (
                float(calendar.timegm(created.utctimetuple())) + created.microsecond / 1e6
                if isinstance(created, dt.datetime)
                else float(created or 0)
            )
            body["ApproximateCreationDateTime"] = arrival
            event = {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": self.region,
                "dynamodb": body,
                "eventSourceARN": self.source_arn,
            }
            identity = record.get("userIdentity")
            if identity:  # a TTL deletion (dojo.cloud._ttl)
                event["userIdentity"] = {
                    "type": identity.get("Type"),
                    "principalId": identity.get("PrincipalId"),
                }
            return _Record(
                body["SequenceNumber"],
                json.dumps(body.get("Keys"), sort_keys=True),
                arrival,
                shard_id,
                event,
            )
        seq = str(raw.sequence_number)
        event = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw.partition_key,
                "sequenceNumber": seq,
                "data": raw.data,
                "approximateArrivalTimestamp": round(raw.created_at, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{seq}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "",
            "awsRegion": self.region,
            "eventSourceARN": self.source_arn,
        }
        return _Record(seq, raw.partition_key, float(raw.created_at), shard_id, event)

    def _fetch(self) -> None:
        factor = max(1, int(self.esm.parallelization_factor or 1))
        for shard_id, records in self._shards():
            start = self.positions.get(shard_id, 0)
            for raw in records[start:]:
                record = self._convert(raw, shard_id)
                lane = zlib.crc32(record.key.encode()) % factor
                self.lanes.setdefault((shard_id, lane), _Lane()).pending.append(record)
            self.positions[shard_id] = len(records)

    # -- polling -------------------------------------------------------------------------
    def next_wakeup(self, now: float) -> float | None:
        if not self.alive() or not self.esm.enabled:
            return None
        times: list[float] = []
        for lane in self.lanes.values():
            if lane.pending and lane.next_try > now:
                times.append(lane.next_try)
            if lane.pending and lane.window_start is not None:
                times.append(lane.window_start + float(self.esm.max_batch_window or 0))
        return min(times) if times else None

    def poll(self, now: float) -> bool:
        if not self.alive() or not self.esm.enabled:
            return False
        self._fetch()
        progressed = False
        for lane in list(self.lanes.values()):
            progressed = self._deliver(lane, now) or progressed
        return progressed

    def _deliver(self, lane: _Lane, now: float) -> bool:
        if not lane.pending or now < lane.next_try:
            return False
        batch_size = int(self.esm.batch_size)
        window = float(self.esm.max_batch_window or 0)
        if len(lane.pending) < batch_size and window > 0 and lane.limit is None:
            if lane.window_start is None:
                lane.window_start = now
            if now < lane.window_start + window:
                return False
        max_age = self.esm.max_record_age
        if max_age is not None and int(max_age) >= 0:
            expired = 0
            while expired < len(lane.pending) and now - lane.pending[expired].arrival > int(
                max_age
            ):
                expired += 1
            if expired:
                dropped = lane.pending[:expired]
                del lane.pending[:expired]
                self._on_failure(dropped, "RecordAgeExceeded", None, lane.attempts)
                lane.attempts = 0
                return True
        batch = lane.pending[: min(batch_size, lane.limit or batch_size)]
        result = self._invoke([r.event for r in batch], self.label)
        if result is not None and self.cloud.chaos.duplicated("esm-batch"):
            result = self._invoke([r.event for r in batch], self.label) or result  # at-least-once
        if result is None:  # throttled: the shard waits
            lane.next_try = now + 1.0
            return True
        lane.window_start = None
        failed_from = self._failed_from(batch, result)
        if failed_from is None:
            del lane.pending[: len(batch)]
            lane.attempts = 0
            self._maybe_end_bisect(lane)
            return True
        if failed_from > 0:
            del lane.pending[:failed_from]
            batch = batch[failed_from:]
        lane.attempts += 1
        max_retries = self.esm.max_retry_attempts
        if self.esm.bisect_on_error and len(batch) > 1 and failed_from == 0:
            lane.limit = max(1, len(batch) // 2)
            lane.bisect_until = max(lane.bisect_until or 0, int(batch[-1].seq))
            lane.attempts -= 1  # splitting is not a retry
            lane.next_try = now
            self.cloud.trace.record(
                self.label,
                f"lambda:{result.function_name}",
                "esm",
                f"bisecting failed batch of {len(batch)}",
                "error",
            )
        elif max_retries is not None and int(max_retries) >= 0 and lane.attempts > int(max_retries):
            del lane.pending[: len(batch)]
            self._on_failure(batch, "RetryAttemptsExhausted", result, lane.attempts)
            lane.attempts = 0
            self._maybe_end_bisect(lane)
        else:
            lane.next_try = now + min(2.0 ** (lane.attempts - 1), 60.0)
        return True

    @staticmethod
    def _maybe_end_bisect(lane: _Lane) -> None:
        if lane.bisect_until is not None and (
            not lane.pending or int(lane.pending[0].seq) > lane.bisect_until
        ):
            lane.limit = lane.bisect_until = None

    def _failed_from(self, batch: list[_Record], result: InvocationResult) -> int | None:
        if not result.ok:
            return 0
        if not _reports_failures(self.esm):
            return None
        ids = _failed_ids(result, [r.seq for r in batch])
        if ids is None:
            return 0
        if not ids:
            return None
        return min(i for i, r in enumerate(batch) if r.seq in ids)

    def _on_failure(
        self, batch: list[_Record], condition: str, result: InvocationResult | None, attempts: int
    ) -> None:
        destination = ((self.esm.destination_config or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        summary = f"{len(batch)} record(s) discarded ({condition})"
        if not destination:
            self.cloud.trace.record(
                self.label, f"lambda:{short_name(self.esm.function_arn)}", "esm", summary, "dropped"
            )
            return
        info_key = "DDBStreamBatchInfo" if self.kind == "dynamodb" else "KinesisBatchInfo"

        def stamp(seconds: float) -> str:
            return (
                dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
                + "Z"
            )

        record: dict[str, Any] = {
            "requestContext": {
                "requestId": self.cloud.new_uuid(),
                "functionArn": self.esm.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": result.version if result else "$LATEST",
                "functionError": result.function_error if result else None,
            },
            "version": "1.0",
            "timestamp": self.cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            info_key: {
                "shardId": batch[0].shard_id,
                "startSequenceNumber": batch[0].seq,
                "endSequenceNumber": batch[-1].seq,
                "approximateArrivalOfFirstRecord": stamp(batch[0].arrival),
                "approximateArrivalOfLastRecord": stamp(batch[-1].arrival),
                "batchSize": len(batch),
                "streamArn": self.source_arn,
            },
        }
        self.cloud.deliverer.send(
            destination,
            record,
            source=f"lambda:{short_name(self.esm.function_arn)}",
            kind="destination",
            summary=summary,
        )


class Mappings:
    """Creates and tracks one poller per event source mapping (``cloud.mappings``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.pollers: dict[str, _Base] = {}

    def register(self, esm: Any) -> None:
        """Start polling for a mapping moto has just created."""
        service = parse_arn(esm.event_source_arn)["service"]
        poller: _Base = (
            SqsPoller(self.cloud, esm) if service == "sqs" else StreamPoller(self.cloud, esm)
        )
        self.pollers[esm.uuid] = poller
        self.cloud.clock.add_poller(poller)  # type: ignore[arg-type]
