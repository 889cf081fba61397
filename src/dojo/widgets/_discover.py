"""Discover what exists in a cloud and how it is wired, using only boto3 list/describe calls.

Works with any moto state (``dojo.cloud.LocalCloud`` or a bare ``moto.mock_aws()``) through an
object with a ``client(service)`` method. Discovery calls are made with clients marked internal
to the local cloud, so they neither appear in ``cloud.trace`` nor suffer injected chaos.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.config import Config

from ._graph import Architecture, Node, node_id_for_arn

__all__ = ["discover"]

# The local cloud leaves clients whose user agent carries this mark out of the trace and chaos.
_INTERNAL_MARK = "dojo-internal"


def _client_factory(cloud: Any, region: str | None) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in cache:
            config = Config(user_agent_extra=_INTERNAL_MARK, retries={"max_attempts": 1})
            kwargs: dict[str, Any] = {"config": config}
            if region:
                kwargs["region"] = region
            try:
                cache[service] = cloud.client(service, **kwargs)
            except TypeError:  # a duck-typed cloud whose client() takes only the service
                cache[service] = cloud.client(service)
        return cache[service]

    return make


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def _name_of_queue_url(url: str) -> str:
    return url.rstrip("/").split("/")[-1]


class _Discovery:
    def __init__(self, cloud: Any, region: str | None) -> None:
        self.cloud = cloud
        self.client = _client_factory(cloud, region)
        self.arch = Architecture(region=region or str(getattr(cloud, "region", "") or ""))

    def run(self, services: Iterable[str]) -> Architecture:
        for service in services:
            step = getattr(self, f"_{service}")
            try:
                step()
            except Exception as exc:  # one broken service must not blank the diagram
                self.arch.problems.append(f"{service}: {type(exc).__name__}: {exc}")
        self._dead_letters_from_cloud()
        return self.arch

    # -- S3 ------------------------------------------------------------------------------------
    def _s3(self) -> None:
        s3 = self.client("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            self.arch.add_node(Node(f"s3:{name}", "s3", name))
            config = s3.get_bucket_notification_configuration(Bucket=name)
            for key, arn_key in (
                ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
                ("QueueConfigurations", "QueueArn"),
                ("TopicConfigurations", "TopicArn"),
            ):
                for entry in config.get(key, []):
                    self.arch.add_edge(
                        f"s3:{name}",
                        node_id_for_arn(entry[arn_key]),
                        "notification",
                        self._s3_label(entry),
                    )
            if "EventBridgeConfiguration" in config:
                self.arch.add_node(Node("eventbus:default", "eventbus", "default"))
                self.arch.add_edge(f"s3:{name}", "eventbus:default", "notification", "all events")

    @staticmethod
    def _s3_label(entry: dict[str, Any]) -> str:
        events = ",".join(e.replace("s3:", "") for e in entry.get("Events", []))
        rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        filters = " ".join(f"{r.get('Name', '').lower()}={r.get('Value', '')}" for r in rules)
        return f"{events} {filters}".strip()

    # -- Lambda --------------------------------------------------------------------------------
    def _lambda(self) -> None:
        lam = self.client("lambda")
        for fn in _pages(lam, "list_functions", "Functions"):
            name = fn["FunctionName"]
            detail = {k: fn[k] for k in ("Runtime", "Handler", "MemorySize", "Timeout") if k in fn}
            self.arch.add_node(Node(f"lambda:{name}", "lambda", name, detail))
            dlq = (fn.get("DeadLetterConfig") or {}).get("TargetArn")
            if dlq:
                self.arch.add_edge(f"lambda:{name}", node_id_for_arn(dlq), "dlq", "async DLQ")
            try:
                configs = lam.list_function_event_invoke_configs(FunctionName=name).get(
                    "FunctionEventInvokeConfigs", []
                )
            except Exception:  # not every moto version implements it
                configs = []
            for config in configs:
                destinations = config.get("DestinationConfig") or {}
                for when in ("OnSuccess", "OnFailure"):
                    arn = (destinations.get(when) or {}).get("Destination")
                    if arn:
                        self.arch.add_edge(
                            f"lambda:{name}", node_id_for_arn(arn), "destination", when
                        )
        for mapping in _pages(lam, "list_event_source_mappings", "EventSourceMappings"):
            source = node_id_for_arn(mapping.get("EventSourceArn", ""))
            target = node_id_for_arn(mapping.get("FunctionArn", ""))
            label = f"batch {mapping['BatchSize']}" if mapping.get("BatchSize") else ""
            if mapping.get("State") not in (None, "Enabled", "Enabling", "Creating", "Updating"):
                label = f"{label} ({mapping['State']})".strip()
            self.arch.add_edge(source, target, "esm", label)
            failure = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            )
            if failure:
                self.arch.add_edge(source, node_id_for_arn(failure), "destination", "OnFailure")

    def _dead_letters_from_cloud(self) -> None:
        # moto does not store a function's DeadLetterConfig; the local cloud keeps it and adds it to
        # responses of traced calls only, so read its table when the cloud has one.
        table = getattr(getattr(self.cloud, "lambda_", None), "dead_letter", None)
        if not isinstance(table, dict):
            return
        for key, target in list(table.items()):
            if not target or not isinstance(key, tuple) or len(key) != 3:
                continue
            _account, region, function = key
            if self.arch.region and region != self.arch.region:
                continue
            if f"lambda:{function}" in self.arch.nodes:
                self.arch.add_edge(
                    f"lambda:{function}", node_id_for_arn(target), "dlq", "async DLQ"
                )

    # -- DynamoDB ------------------------------------------------------------------------------
    def _dynamodb(self) -> None:
        ddb = self.client("dynamodb")
        for name in _pages(ddb, "list_tables", "TableNames"):
            table = ddb.describe_table(TableName=name)["Table"]
            spec = table.get("StreamSpecification") or {}
            detail = {
                "stream": spec.get("StreamViewType", "on") if spec.get("StreamEnabled") else "off"
            }
            self.arch.add_node(Node(f"dynamodb:{name}", "dynamodb", name, detail))

    # -- SQS -----------------------------------------------------------------------------------
    def _sqs(self) -> None:
        sqs = self.client("sqs")
        urls = sqs.list_queues().get("QueueUrls", [])
        for url in urls:
            name = _name_of_queue_url(url)
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get(
                "Attributes", {}
            )
            detail = {
                k: attributes[k]
                for k in ("VisibilityTimeout", "DelaySeconds", "FifoQueue")
                if k in attributes
            }
            self.arch.add_node(Node(f"sqs:{name}", "sqs", name, detail))
            redrive = attributes.get("RedrivePolicy")
            if redrive:
                policy = json.loads(redrive) if isinstance(redrive, str) else redrive
                target = policy.get("deadLetterTargetArn")
                if target:
                    self.arch.add_edge(
                        f"sqs:{name}",
                        node_id_for_arn(target),
                        "redrive",
                        f"after {policy.get('maxReceiveCount', '?')} receives",
                    )

    # -- SNS -----------------------------------------------------------------------------------
    def _sns(self) -> None:
        sns = self.client("sns")
        for topic in _pages(sns, "list_topics", "Topics"):
            arn = topic["TopicArn"]
            self.arch.add_node(Node(node_id_for_arn(arn), "sns", arn.split(":")[-1]))
        for sub in _pages(sns, "list_subscriptions", "Subscriptions"):
            protocol, endpoint = sub.get("Protocol", ""), sub.get("Endpoint", "")
            topic = node_id_for_arn(sub["TopicArn"])
            target = (
                node_id_for_arn(endpoint)
                if protocol in ("sqs", "lambda", "firehose")
                else f"external:{endpoint}"
            )
            if target.startswith("external:"):
                self.arch.add_node(Node(target, "external", f"{protocol}: {endpoint}"))
            attributes: dict[str, Any] = {}
            arn = sub.get("SubscriptionArn", "")
            if arn.startswith("arn:"):
                attributes = sns.get_subscription_attributes(SubscriptionArn=arn).get(
                    "Attributes", {}
                )
            label = protocol + (" filtered" if attributes.get("FilterPolicy") else "")
            if attributes.get("RawMessageDelivery") == "true":
                label += " raw"
            self.arch.add_edge(topic, target, "subscription", label)
            redrive = attributes.get("RedrivePolicy")
            if redrive:
                dlq = json.loads(redrive).get("deadLetterTargetArn")
                if dlq:
                    self.arch.add_edge(
                        topic, node_id_for_arn(dlq), "dlq", f"{protocol} subscription DLQ"
                    )

    # -- EventBridge ---------------------------------------------------------------------------
    def _events(self) -> None:
        events = self.client("events")
        for bus in events.list_event_buses().get("EventBuses", []):
            bus_name = bus["Name"]
            rules = list(_pages(events, "list_rules", "Rules", EventBusName=bus_name))
            if bus_name != "default" or rules:
                self.arch.add_node(Node(f"eventbus:{bus_name}", "eventbus", bus_name))
            for rule in rules:
                rule_id = f"events:{rule['Name']}"
                detail = {
                    k: rule[k] for k in ("ScheduleExpression", "EventPattern", "State") if k in rule
                }
                self.arch.add_node(Node(rule_id, "events", rule["Name"], detail))
                label = rule.get("ScheduleExpression") or "pattern"
                if rule.get("State") == "DISABLED":
                    label += " (disabled)"
                self.arch.add_edge(f"eventbus:{bus_name}", rule_id, "rule", label)
                targets = _pages(
                    events,
                    "list_targets_by_rule",
                    "Targets",
                    Rule=rule["Name"],
                    EventBusName=bus_name,
                )
                for target in targets:
                    self.arch.add_edge(
                        rule_id, node_id_for_arn(target["Arn"]), "target", target.get("Id", "")
                    )
                    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
                    if dlq:
                        self.arch.add_edge(rule_id, node_id_for_arn(dlq), "dlq", "target DLQ")

    # -- Kinesis -------------------------------------------------------------------------------
    def _kinesis(self) -> None:
        kinesis = self.client("kinesis")
        for name in _pages(kinesis, "list_streams", "StreamNames"):
            self.arch.add_node(Node(f"kinesis:{name}", "kinesis", name))

    # -- API Gateway ---------------------------------------------------------------------------
    def _apigateway(self) -> None:
        api = self.client("apigateway")
        for rest in _pages(api, "get_rest_apis", "items"):
            api_id = rest["id"]
            node_id = f"apigateway:{api_id}"
            self.arch.add_node(
                Node(
                    node_id, "apigateway", rest.get("name", api_id), {"id": api_id, "type": "REST"}
                )
            )
            for resource in _pages(api, "get_resources", "items", restApiId=api_id):
                for method in resource.get("resourceMethods") or {}:
                    try:
                        integration = api.get_integration(
                            restApiId=api_id, resourceId=resource["id"], httpMethod=method
                        )
                    except Exception:  # a method without an integration yet
                        continue
                    target = _integration_target(integration.get("uri", ""))
                    if target:
                        self.arch.add_edge(
                            node_id, target, "integration", f"{method} {resource.get('path', '')}"
                        )

    def _apigatewayv2(self) -> None:
        api = self.client("apigatewayv2")
        for http_api in api.get_apis().get("Items", []):
            api_id = http_api["ApiId"]
            node_id = f"apigateway:{api_id}"
            self.arch.add_node(
                Node(
                    node_id,
                    "apigateway",
                    http_api.get("Name", api_id),
                    {"id": api_id, "type": http_api.get("ProtocolType", "HTTP")},
                )
            )
            integrations = {
                i["IntegrationId"]: i for i in api.get_integrations(ApiId=api_id).get("Items", [])
            }
            routed = set()
            for route in api.get_routes(ApiId=api_id).get("Items", []):
                integration_id = str(route.get("Target", "")).removeprefix("integrations/")
                integration = integrations.get(integration_id)
                if integration:
                    target = _integration_target(integration.get("IntegrationUri", ""))
                    if target:
                        routed.add(integration_id)
                        self.arch.add_edge(
                            node_id, target, "integration", route.get("RouteKey", "")
                        )
            for integration_id, integration in integrations.items():
                target = _integration_target(integration.get("IntegrationUri", ""))
                if target and integration_id not in routed:
                    self.arch.add_edge(node_id, target, "integration", "")

    # -- Step Functions ------------------------------------------------------------------------
    def _stepfunctions(self) -> None:
        sfn = self.client("stepfunctions")
        for machine in _pages(sfn, "list_state_machines", "stateMachines"):
            node_id = node_id_for_arn(machine["stateMachineArn"])
            self.arch.add_node(Node(node_id, "states", machine["name"]))
            definition = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"]).get(
                "definition", "{}"
            )
            try:
                states = json.loads(definition)
            except json.JSONDecodeError:
                continue
            for state_name, target in _task_targets(states):
                self.arch.add_edge(node_id, target, "task", state_name)


_SERVICE_INTEGRATIONS = {
    "lambda": ("FunctionName",),
    "sqs": ("QueueUrl",),
    "sns": ("TopicArn",),
    "dynamodb": ("TableName",),
    "states": ("StateMachineArn",),
    "events": ("EventBusName",),
}


def _task_targets(definition: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(state name, node id) for every Task state's resource, nested branches included."""
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        for branch in state.get("Branches") or []:
            yield from _task_targets(branch)
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                yield from _task_targets(state[key])
        resource = str(state.get("Resource", ""))
        if state.get("Type") != "Task" or not resource:
            continue
        parameters = state.get("Parameters") or state.get("Arguments") or {}
        if resource.startswith("arn:aws:states:::"):
            service = resource.split(":::")[1].split(":")[0]
            for key in _SERVICE_INTEGRATIONS.get(service, ()):
                value = parameters.get(key)
                if isinstance(value, str) and value:
                    if value.startswith(("arn:", "https://")):
                        yield name, node_id_for_arn(value)
                    elif service == "events":
                        yield name, f"eventbus:{value}"
                    else:
                        yield name, f"{service}:{value.split(':')[0]}"
        else:
            yield name, node_id_for_arn(resource)


def _integration_target(uri: str) -> str | None:
    """The node an API Gateway integration URI points at (Lambda proxy or AWS service)."""
    if not uri:
        return None
    if uri.startswith("arn:aws:lambda:"):
        return node_id_for_arn(uri)
    if ":lambda:path/" in uri and "/functions/" in uri:
        return node_id_for_arn(uri.split("/functions/")[1].split("/invocations")[0])
    if uri.startswith("arn:aws:apigateway:"):
        # arn:aws:apigateway:region:sqs:path/account/queue or :action/...
        service = uri.split(":")[4]
        tail = uri.split("/")[-1]
        if service == "sqs" and "path/" in uri:
            return f"sqs:{tail}"
        return f"external:{service}"
    if uri.startswith(("http://", "https://")):
        return f"external:{uri}"
    return None


DEFAULT_SERVICES = (
    "s3",
    "lambda",
    "dynamodb",
    "sqs",
    "sns",
    "events",
    "kinesis",
    "apigateway",
    "apigatewayv2",
    "stepfunctions",
)


def discover(
    cloud: Any, *, region: str | None = None, services: Iterable[str] = DEFAULT_SERVICES
) -> Architecture:
    """Inspect ``cloud`` and return its resources and wiring.

    Args:
        cloud: Anything with ``client(service)`` returning boto3 clients (a ``LocalCloud``).
        region: Region to inspect (default: the cloud's).
        services: Which services to list (default: all the diagram knows).

    Returns:
        The :class:`~dojo.widgets.Architecture`; services that failed to list are named in its
        ``problems`` instead of raising.
    """
    return _Discovery(cloud, region).run(services)
