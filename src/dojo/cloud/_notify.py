"""Service-to-service notifications: S3 events, SNS subscriptions and EventBridge rules.

moto already delivers S3 → SQS/SNS/EventBridge, SNS → SQS and EventBridge → SQS; the local cloud
fixes the S3 event shape, turns S3 → Lambda and SNS → Lambda into asynchronous invocations with
AWS-shaped events and records every hop in the trace. EventBridge rule delivery is in
:mod:`dojo.cloud._events` (this module only forwards the hook).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from ._deliver import parse_arn, short_name
from ._errors import LocalCloudGap

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["Notifications"]


def _iso(cloud: LocalCloud) -> str:
    return cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Notifications:
    """The hook bodies for S3, SNS and EventBridge delivery (one per cloud)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._sequencer = 0
        self.outbox: list[dict[str, Any]] = []

    # -- S3 ------------------------------------------------------------------------------------
    def s3_event(
        self, event_name: str, bucket: Any, key: Any, notification_id: str
    ) -> dict[str, Any]:
        """An S3 event notification record as S3 sends it (keys URL-encoded, ``+`` for spaces)."""
        self._sequencer += 1
        name = event_name[3:] if event_name.startswith("s3:") else event_name
        obj: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}
        if name.startswith("ObjectCreated"):
            obj["size"] = key.size
            obj["eTag"] = key.etag.replace('"', "")
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["versionId"] = version
        obj["sequencer"] = f"{self._sequencer:016X}"
        request_id = self.cloud.new_uuid().replace("-", "")[:16].upper()
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": bucket.region_name,
                    "eventTime": _iso(self.cloud),
                    "eventName": name,
                    "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {
                        "x-amz-request-id": request_id,
                        "x-amz-id-2": f"{request_id}/dojo",
                    },
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": notification_id,
                        "bucket": {
                            "name": bucket.name,
                            "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                            "arn": bucket.arn,
                        },
                        "object": obj,
                    },
                }
            ]
        }

    @staticmethod
    def _bucket_of(event_body: Any) -> str:
        try:
            return str(event_body["Records"][0]["s3"]["bucket"]["name"])
        except (KeyError, IndexError, TypeError):
            return str(event_body.get("Bucket", "?")) if isinstance(event_body, dict) else "?"

    @staticmethod
    def _summary(event_body: Any) -> str:
        try:
            record = event_body["Records"][0]
            return f"{record['eventName']} {record['s3']['object']['key']}"
        except (KeyError, IndexError, TypeError):
            return (
                str(event_body.get("Event", "event")) if isinstance(event_body, dict) else "event"
            )

    def s3_to_lambda(self, account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        bucket = self._bucket_of(event_body)
        source = f"s3:{bucket}"
        if self.cloud.strict and not self._permitted(
            source, fn_arn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}", account_id
        ):
            return
        self.cloud.trace.record(
            source, f"lambda:{short_name(fn_arn)}", "delivery", self._summary(event_body), "ok"
        )
        self.cloud.lambda_.enqueue_arn(fn_arn, json.dumps(event_body), source=source)

    def s3_to_queue_or_topic(
        self, original: Any, account_id: str, event_body: Any, target: str, region_name: str
    ) -> None:
        original(account_id, event_body, target, region_name)
        kind = "sns" if target.startswith("arn:") else "sqs"
        self.cloud.trace.record(
            f"s3:{self._bucket_of(event_body)}",
            f"{kind}:{short_name(target)}",
            "delivery",
            self._summary(event_body),
            "ok",
        )

    def _permitted(
        self, source: str, fn_arn: str, principal: str, source_arn: str, account: str
    ) -> bool:
        """Strict mode: does the function's resource policy let ``principal`` invoke it?"""
        decision = self.cloud.lambda_.permission(fn_arn, principal, source_arn, account)
        if decision:
            return True
        self.cloud.trace.record(
            source,
            f"lambda:{short_name(fn_arn)}",
            "delivery",
            f"resource policy denies {principal} ({decision.reason})",
            "dropped",
            denial="resource-policy",
            decision=str(decision),
        )
        return False

    # -- SNS -----------------------------------------------------------------------------------
    def sns_publish(
        self,
        original: Any,
        subscription: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        topic = short_name(subscription.topic.arn)
        source = f"sns:{topic}"
        protocol = subscription.protocol
        endpoint = subscription.endpoint
        target = f"{protocol}:{short_name(endpoint) if protocol in ('sqs', 'lambda') else endpoint}"
        matcher = getattr(subscription, "_filter_policy_matcher", None)
        if matcher is not None and not matcher.matches(message_attributes, message):
            self.cloud.trace.record(
                source,
                target,
                "delivery",
                "filtered out by the subscription's filter policy",
                "dropped",
                message_id=message_id,
            )
            return
        copies = 2 if self.cloud.chaos.duplicated("sns-delivery") else 1
        if protocol in ("email", "email-json", "sms"):
            if message_structure == "json":
                message = subscription._parse_message_structure(message, protocol)
            for _ in range(copies):
                self.outbox.append(
                    {
                        "protocol": protocol,
                        "endpoint": subscription.endpoint,
                        "topic_arn": subscription.topic.arn,
                        "subject": subject,
                        "message": message,
                        "message_id": message_id,
                        "at": _iso(self.cloud),
                    }
                )
                self.cloud.trace.record(
                    source,
                    target,
                    "delivery",
                    "recorded in cloud.outbox (not sent)",
                    "ok",
                    message_id=message_id,
                )
            return
        if protocol not in ("lambda", "sqs", "application", "firehose"):
            self.cloud.trace.record(
                source, target, "delivery", f"{protocol} delivery not supported", "dropped"
            )
            raise LocalCloudGap(
                f"SNS delivery to a {protocol} endpoint ({subscription.endpoint})",
                hint="The local cloud has no network; subscribe a queue or a function instead.",
            )
        if protocol != "lambda":
            for _ in range(copies):
                original(
                    subscription,
                    message,
                    message_id,
                    subject=subject,
                    message_attributes=message_attributes,
                    group_id=group_id,
                    deduplication_id=deduplication_id,
                    message_structure=message_structure,
                )
            raw = subscription.attributes.get("RawMessageDelivery") in ("true", True)
            self.cloud.trace.record(
                source,
                target,
                "delivery",
                "raw message" if raw else "notification",
                "ok",
                message_id=message_id,
            )
            return
        if message_structure == "json":
            message = subscription._parse_message_structure(message, "lambda")
        topic_info = parse_arn(subscription.topic.arn)
        region = topic_info["region"]
        if self.cloud.strict and not self._permitted(
            source,
            subscription.endpoint,
            "sns.amazonaws.com",
            subscription.topic.arn,
            topic_info["account"],
        ):
            return
        event = {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription.arn,
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": message_id,
                        "TopicArn": subscription.topic.arn,
                        "Subject": subject,
                        "Message": message,
                        "Timestamp": _iso(self.cloud),
                        "SignatureVersion": "1",
                        "Signature": "EXAMPLE",
                        "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-dojo.pem",
                        "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
                        "MessageAttributes": {
                            k: {"Type": v.get("Type"), "Value": v.get("Value")}
                            for k, v in (message_attributes or {}).items()
                        },
                    },
                }
            ]
        }
        for _ in range(copies):
            self.cloud.trace.record(
                source, target, "delivery", "notification", "ok", message_id=message_id
            )
            self.cloud.lambda_.enqueue_arn(subscription.endpoint, json.dumps(event), source=source)

    # -- EventBridge ---------------------------------------------------------------------------
    def send_to_targets(
        self, original: Any, rule: Any, original_event: Any, transform_input: bool = True
    ) -> None:
        """The ``Rule.send_to_targets`` hook: EventBridge delivery lives in ``cloud.events``."""
        self.cloud.events.dispatch(original, rule, original_event, transform_input)
