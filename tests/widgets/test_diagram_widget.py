"""The live diagram widget, driven headlessly: state, replay, payload viewer, export bundle."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, ClassVar

import ipywidgets as widgets
import pytest

from dojo.cloud import Hop, LocalCloud
from dojo.widgets import ArchitectureDiagram

SVG = "{http://www.w3.org/2000/svg}"


def _svg_root(html_value: str) -> ET.Element:
    start = html_value.index("<svg")
    return ET.fromstring(html_value[start:])


def test_diagram_shows_the_estate_and_counts_flow_hops(traffic: LocalCloud) -> None:
    """Check the widget's state after traffic: resources, wires, only data-flow hops."""
    diagram = ArchitectureDiagram(traffic, auto_refresh=False)
    assert isinstance(diagram, widgets.VBox)
    assert "lambda:w-resize" in diagram.architecture.nodes
    kinds = {p.kind for p in diagram.hops}
    assert "invoke" in kinds and "destination" in kinds
    assert all(p.kind != "api" or p.hop.target.endswith(":PutObject") for p in diagram.hops)
    assert diagram.step.max == diagram.play.max == len(diagram.hops)
    assert diagram.current is None
    root = _svg_root(diagram.view.value)
    assert {g.get("data-node-id") for g in root.iter(f"{SVG}g") if g.get("data-node-id")} >= {
        "s3:w-uploads",
        "lambda:w-resize",
        "sqs:w-dlq",
        "client",
    }
    assert "ok" in diagram.status.value and "failed" in diagram.status.value


def test_replay_highlights_the_current_hop_and_shows_its_payload(traffic: LocalCloud) -> None:
    """Check that the slider draws the hop's path in its outcome colour and fills the viewer."""
    diagram = ArchitectureDiagram(traffic, auto_refresh=False)
    index = next(i for i, p in enumerate(diagram.hops, 1) if p.outcome == "error")
    diagram.step.value = index  # what the Play button does, through jslink
    current = diagram.current
    assert current is not None and current.outcome == "error"
    root = _svg_root(diagram.view.value)
    highlight = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "dojo-current")
    assert highlight.get("data-outcome") == "error"
    assert (highlight.get("data-source"), highlight.get("data-target")) == (
        "s3:w-uploads",
        "lambda:w-resize",
    )
    assert highlight.find(f"{SVG}path").get("stroke") == "#c62828"
    assert list(highlight.iter(f"{SVG}animateMotion"))
    assert f"hop #{current.hop.seq}" in diagram.payload.value
    assert "error_type" in diagram.payload.value
    diagram.show_hop(0)
    assert diagram.current is None and "inspect a hop" in diagram.payload.value


def test_replay_reveals_failures_progressively(traffic: LocalCloud) -> None:
    """Check that the DLQ badge appears only once the replay reaches the dead-letter hop."""
    diagram = ArchitectureDiagram(traffic, auto_refresh=False)
    last = len(diagram.hops)
    dead_letter = next(i for i, p in enumerate(diagram.hops, 1) if p.target == "sqs:w-dlq")
    diagram.show_hop(dead_letter - 1)
    dlq = next(
        g
        for g in _svg_root(diagram.view.value).iter(f"{SVG}g")
        if g.get("data-node-id") == "sqs:w-dlq"
    )
    assert dlq.get("data-dlq-arrivals") == "0"
    diagram.show_hop(last)
    dlq = next(
        g
        for g in _svg_root(diagram.view.value).iter(f"{SVG}g")
        if g.get("data-node-id") == "sqs:w-dlq"
    )
    assert dlq.get("data-dlq-arrivals") == "1"


def test_diagram_updates_as_the_learner_deploys(cloud: LocalCloud) -> None:
    """Check that a refresh after deploying (run after each cell) shows the new wiring."""
    diagram = ArchitectureDiagram(cloud, auto_refresh=False)
    assert diagram.architecture.nodes == {}
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="late-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.create_queue(
        QueueName="late",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "2"})
        },
    )
    diagram._refresh_if_changed()
    assert {"sqs:late", "sqs:late-dlq"} <= set(diagram.architecture.nodes)
    assert "data-node-id='sqs:late'" in diagram.view.value


def test_auto_refresh_hooks_into_ipython_cells(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that the diagram redraws from a post_run_cell hook, and close() removes it."""
    registered: dict[str, list[Any]] = {"post_run_cell": []}

    class Events:
        def register(self, name: str, fn: Any) -> None:
            registered[name].append(fn)

        def unregister(self, name: str, fn: Any) -> None:
            registered[name].remove(fn)

    class Shell:
        events = Events()

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell())
    diagram = ArchitectureDiagram(cloud)
    assert len(registered["post_run_cell"]) == 1
    cloud.client("s3").create_bucket(Bucket="after-cell")
    registered["post_run_cell"][0](None)
    assert "s3:after-cell" in diagram.architecture.nodes
    diagram.close()
    assert registered["post_run_cell"] == []


def test_a_stopped_cloud_keeps_the_last_picture() -> None:
    """Check that refreshing after the cloud stops keeps the resources and says why."""
    with LocalCloud() as cloud:
        cloud.client("s3").create_bucket(Bucket="kept")
        diagram = ArchitectureDiagram(cloud, auto_refresh=False)
    diagram.refresh()
    assert "s3:kept" in diagram.architecture.nodes
    assert "Showing the last state" in diagram.status.value


def test_mimebundle_carries_a_static_svg_for_exports(traffic: LocalCloud) -> None:
    """Check that the output bundle has the widget view plus static SVG/HTML without animation."""
    diagram = ArchitectureDiagram(traffic, auto_refresh=False)
    diagram.show_hop(3)
    bundle = diagram._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == diagram.model_id
    svg = bundle["image/svg+xml"]
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}animateMotion"))
    assert "dojo-diagram-static" in bundle["text/html"] and "<svg" in bundle["text/html"]
    assert "ArchitectureDiagram" in bundle["text/plain"]


def test_live_view_hides_its_static_copy(traffic: LocalCloud) -> None:
    """Check that the live HTML carries the rule hiding the static copy, keyed by the model id."""
    diagram = ArchitectureDiagram(traffic, auto_refresh=False)
    assert f".dojo-static-{diagram.model_id}{{display:none}}" in diagram.view.value
    assert f"dojo-static-{diagram.model_id}" in diagram._static_html()


def test_hops_given_as_dicts_are_replayed() -> None:
    """Check that a duck-typed cloud whose trace holds dicts works too."""

    class Duck:
        trace: ClassVar[list[dict[str, Any]]] = [
            Hop(0, "t", "sqs:q", "lambda:f", "esm", "batch of 1", "error").to_dict()
        ]

        def client(self, service: str) -> Any:
            raise RuntimeError("offline")

    diagram = ArchitectureDiagram(Duck(), auto_refresh=False)
    assert len(diagram.hops) == 1 and diagram.hops[0].outcome == "error"
    diagram.show_hop(1)
    assert "batch of 1" in diagram.payload.value


def test_payload_viewer_decodes_an_event_carried_by_the_hop() -> None:
    """Check that a JSON event in the hop's detail is shown decoded and escaped."""
    from dojo.widgets._diagram import payload_html
    from dojo.widgets._replay import PlacedHop

    event = json.dumps({"Records": [{"s3": {"object": {"key": "<cat>.png"}}}]})
    hop = Hop(
        7, "t", "s3:b", "lambda:f", "delivery", "ObjectCreated", "ok", 0.0, {"payload": event}
    )
    html = payload_html(PlacedHop(hop, "s3:b", "lambda:f"))
    assert "event payload" in html and "dojo-event" in html
    assert '"Records": [' in html.replace("&quot;", '"')
    assert "<cat>" not in html and "&lt;cat&gt;" in html
