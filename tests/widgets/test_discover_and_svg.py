"""Discovery of resources and wiring through boto3, and the SVG the diagram draws from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import boto3
from moto import mock_aws

from dojo.cloud import Hop, LocalCloud
from dojo.widgets import Architecture, Node, discover, render_svg
from dojo.widgets._graph import node_id_for_arn, resolve_endpoint
from dojo.widgets._replay import add_observed, is_flow, overlay

from .conftest import build_estate

SVG = "{http://www.w3.org/2000/svg}"

EXPECTED_WIRES = {
    ("s3:w-uploads", "lambda:w-resize", "notification"),
    ("lambda:w-resize", "sqs:w-dlq", "destination"),
    ("sqs:w-jobs", "lambda:w-worker", "esm"),
    ("dynamodb:w-orders", "lambda:w-audit", "esm"),
    ("kinesis:w-clicks", "lambda:w-worker", "esm"),
    ("sqs:w-jobs", "sqs:w-dlq", "redrive"),
    ("sns:w-alerts", "sqs:w-jobs", "subscription"),
    ("sns:w-alerts", "lambda:w-audit", "subscription"),
    ("eventbus:w-bus", "events:w-orders-rule", "rule"),
    ("events:w-orders-rule", "sns:w-alerts", "target"),
    ("states:w-flow", "lambda:w-resize", "task"),
    ("states:w-flow", "dynamodb:w-orders", "task"),
}


def _wires(arch: Architecture) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind) for e in arch.edges}


class DuckCloud:
    """Anything with ``client(service)`` and ``trace`` is drawable (no LocalCloud needed)."""

    def __init__(self) -> None:
        self.trace: list[Any] = []

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")


def test_discovery_on_plain_moto_finds_every_resource_and_wire() -> None:
    """Check that a bare mock_aws estate is discovered through a duck-typed cloud."""
    with mock_aws():
        duck = DuckCloud()
        build_estate(duck.client)
        arch = discover(duck)
    assert _wires(arch) >= EXPECTED_WIRES
    integrations = [e for e in arch.edges if e.kind == "integration"]
    assert {e.label for e in integrations} == {"GET /items", "POST /orders"}
    assert all(e.target == "lambda:w-api" for e in integrations)
    assert {n.name for n in arch.nodes.values() if n.service == "apigateway"} == {
        "w-rest",
        "w-http",
    }
    assert arch.nodes["dynamodb:w-orders"].detail["stream"] == "NEW_IMAGE"
    assert "dlq" in arch.nodes["sqs:w-dlq"].roles
    assert arch.problems == []


def test_discovery_in_a_local_cloud_leaves_the_trace_alone(
    cloud: LocalCloud, estate: dict[str, str]
) -> None:
    """Check that discovering adds no hops to cloud.trace (its calls are internal)."""
    before = len(cloud.trace)
    arch = discover(cloud)
    assert _wires(arch) >= EXPECTED_WIRES
    assert len(cloud.trace) == before


def test_lambda_dead_letter_config_is_drawn(cloud: LocalCloud, estate: dict[str, str]) -> None:
    """Check that DeadLetterConfig (kept by the local cloud, not moto) becomes a DLQ edge."""
    cloud.client("lambda").update_function_configuration(
        FunctionName="w-worker", DeadLetterConfig={"TargetArn": estate["dlq"]}
    )
    arch = discover(cloud)
    assert ("lambda:w-worker", "sqs:w-dlq", "dlq") in _wires(arch)


def test_discovery_of_an_empty_cloud(cloud: LocalCloud) -> None:
    """Check that an empty cloud gives an empty architecture and a friendly SVG."""
    arch = discover(cloud)
    assert arch.nodes == {} and arch.edges == []
    svg = render_svg(arch)
    ET.fromstring(svg)
    assert "Nothing deployed yet" in svg


def test_a_failing_service_is_reported_not_raised() -> None:
    """Check that one service failing to list leaves the rest of the diagram."""

    class Broken(DuckCloud):
        def client(self, service: str) -> Any:
            if service == "sqs":
                raise RuntimeError("sqs is down")
            return super().client(service)

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="still-here")
        arch = discover(Broken())
    assert "s3:still-here" in arch.nodes
    assert any(p.startswith("sqs: RuntimeError") for p in arch.problems)


def test_svg_is_well_formed_and_names_every_node_and_edge(
    cloud: LocalCloud, estate: dict[str, str]
) -> None:
    """Check that the SVG parses as XML and carries one group per node and per wire."""
    arch = discover(cloud)
    root = ET.fromstring(render_svg(arch, title="estate"))
    nodes = {
        g.get("data-node-id")
        for g in root.iter(f"{SVG}g")
        if g.get("class", "").startswith("dojo-node")
    }
    edges = {
        (g.get("data-source"), g.get("data-target"))
        for g in root.iter(f"{SVG}g")
        if g.get("class", "").startswith("dojo-edge")
    }
    assert nodes == set(arch.nodes)
    assert {(s, t) for s, t, _ in EXPECTED_WIRES} <= edges


def test_boxes_do_not_overlap(cloud: LocalCloud, estate: dict[str, str]) -> None:
    """Check that the layout gives every resource its own space."""
    from dojo.widgets._layout import layout

    boxes = list(layout(discover(cloud)).boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y


def test_user_chosen_names_are_escaped() -> None:
    """Check that a name with markup in it is escaped in the SVG (no injected elements)."""
    evil = "<script>alert('x')</script>&"
    with mock_aws():
        boto3.client("apigateway", region_name="us-east-1").create_rest_api(name=evil)
        boto3.client("sns", region_name="us-east-1").create_topic(Name="t1")
        sns = boto3.client("sns", region_name="us-east-1")
        sns.subscribe(
            TopicArn=sns.list_topics()["Topics"][0]["TopicArn"],
            Protocol="https",
            Endpoint="https://example.com/<img src=x onerror=alert(1)>",
        )
        arch = discover(DuckCloud())
    svg = render_svg(arch, title=evil)
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg


def test_trace_overlay_marks_failed_edges_and_dlq_arrivals(traffic: LocalCloud) -> None:
    """Check that failed invocations turn their edge red and the DLQ gets an arrival badge."""
    arch = discover(traffic)
    hops = list(traffic.trace)
    add_observed(arch, hops)
    summary = overlay(arch, [h for h in hops if is_flow(h)])
    assert summary.edge_outcomes[("s3:w-uploads", "lambda:w-resize")]["error"] == 3
    assert summary.node_errors["lambda:w-resize"] == 3
    assert summary.dlq_arrivals["sqs:w-dlq"] == 1
    assert ("client", "s3:w-uploads", "observed") in _wires(arch)
    root = ET.fromstring(render_svg(arch, overlay=summary))
    dlq = next(g for g in root.iter(f"{SVG}g") if g.get("data-node-id") == "sqs:w-dlq")
    assert dlq.get("data-dlq-arrivals") == "1"
    resize_edge = next(
        g
        for g in root.iter(f"{SVG}g")
        if g.get("data-source") == "s3:w-uploads" and g.get("data-target") == "lambda:w-resize"
    )
    assert resize_edge.get("data-failed") == "3"
    assert resize_edge.find(f"{SVG}path").get("stroke") == "#c62828"


def test_node_ids_follow_the_trace_naming() -> None:
    """Check ARN / URL -> node id mapping and API-call hop resolution."""
    assert node_id_for_arn("arn:aws:lambda:us-east-1:123456789012:function:fn:live") == "lambda:fn"
    assert (
        node_id_for_arn("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2025")
        == "dynamodb:t"
    )
    assert node_id_for_arn("https://sqs.us-east-1.amazonaws.com/123456789012/q") == "sqs:q"
    assert node_id_for_arn("arn:aws:events:us-east-1:123456789012:event-bus/b") == "eventbus:b"
    assert node_id_for_arn("arn:aws:events:us-east-1:123456789012:rule/b/r") == "events:r"
    assert node_id_for_arn("arn:aws:states:us-east-1:123456789012:stateMachine:m") == "states:m"
    assert node_id_for_arn("arn:aws:s3:::bkt") == "s3:bkt"
    known = {"dynamodb:orders": Node("dynamodb:orders", "dynamodb", "orders")}
    assert resolve_endpoint("dynamodb:PutItem", "TableName=orders", known) == "dynamodb:orders"
    assert resolve_endpoint("dynamodb:PutItem", "TableName=other", known) is None
    hop = Hop(0, "", "lambda:f", "dynamodb:PutItem", "api", "TableName=orders", "ok")
    assert is_flow(hop)
    assert not is_flow(Hop(1, "", "client", "s3:CreateBucket", "api", "Bucket=b", "ok"))
