"""Deliveries the local cloud makes on its own behalf (destinations, dead-letter queues).

They go through boto3 clients marked as internal, so chaos never hits them and the trace shows
them as deliveries rather than API calls.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from ._errors import LocalCloudGap
from ._sessions import new_session

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["INTERNAL_MARK", "Deliverer", "parse_arn"]

INTERNAL_MARK = "dojo-internal"


def parse_arn(arn: str) -> dict[str, str]:
    """Split an ARN into service, region, account and resource parts."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError(f"Not an ARN: {arn!r}")
    return {"service": parts[2], "region": parts[3], "account": parts[4], "resource": parts[5]}


def short_name(arn_or_name: str) -> str:
    """``arn:aws:sqs:us-east-1:123:q`` → ``q``; ``arn:...:function:fn:alias`` → ``fn``."""
    if not arn_or_name.startswith("arn:"):
        return arn_or_name.split(":")[0]
    info = parse_arn(arn_or_name)
    resource = info["resource"]
    if info["service"] == "lambda":
        return resource.split(":")[1]
    if info["service"] == "dynamodb":
        return resource.split("/")[1]
    return resource.split("/")[-1].split(":")[-1]


class Deliverer:
    """Sends messages to SQS, SNS, Lambda and EventBridge targets by ARN."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """An internal boto3 client (not affected by chaos, not traced as an API call)."""
        key = (service, region)
        if key not in self._clients:
            if self._session is None:
                self._session = new_session(region)
            self._clients[key] = self._session.client(
                service,
                region_name=region,
                config=Config(
                    user_agent_extra=INTERNAL_MARK, retries={"max_attempts": 1, "mode": "standard"}
                ),
            )
        return self._clients[key]

    def close(self) -> None:
        self._clients.clear()
        self._session = None

    def send(
        self,
        arn: str,
        body: Any,
        *,
        source: str,
        kind: str,
        summary: str,
        attributes: dict[str, Any] | None = None,
        detail_type: str = "",
    ) -> bool:
        """Deliver ``body`` (a dict or string) to ``arn``; record the hop; return success."""
        info = parse_arn(arn)
        service, region = info["service"], info["region"]
        text = body if isinstance(body, str) else json.dumps(body)
        target = f"{service}:{short_name(arn)}"
        try:
            if service == "sqs":
                url = f"https://sqs.{region}.amazonaws.com/{info['account']}/{info['resource']}"
                kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": text}
                if attributes:
                    kwargs["MessageAttributes"] = _sqs_attributes(attributes)
                self.client("sqs", region).send_message(**kwargs)
            elif service == "sns":
                kwargs = {"TopicArn": arn, "Message": text}
                if attributes:
                    kwargs["MessageAttributes"] = _sqs_attributes(attributes)
                self.client("sns", region).publish(**kwargs)
            elif service == "lambda":
                self.cloud.lambda_.enqueue_arn(arn, text, source=source)
            elif service == "events":
                self.client("events", region).put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": detail_type or "Lambda Function Invocation Result",
                            "Detail": text,
                            "EventBusName": arn,
                        }
                    ]
                )
            else:
                raise LocalCloudGap(
                    f"delivering a {kind} to a {service} target ({arn})",
                    hint="Supported targets: SQS, SNS, Lambda and EventBridge.",
                )
        except LocalCloudGap:
            raise
        except Exception as exc:
            self.cloud.trace.record(
                source, target, kind, f"{summary}: {exc}", "error", error=str(exc)
            )
            return False
        self.cloud.trace.record(source, target, kind, summary, "ok")
        return True


def _sqs_attributes(attributes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if isinstance(value, bytes):
            result[name] = {"DataType": "Binary", "BinaryValue": value}
        elif isinstance(value, (int, float)):
            result[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            result[name] = {"DataType": "String", "StringValue": str(value)}
    return result


def lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """boto3 SQS message attributes → the shape an SQS Lambda event carries."""
    out: dict[str, Any] = {}
    for name, value in (attributes or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            entry["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
        out[name] = entry
    return out
