"""The trace table: filters over source, target, outcome, kind and text, and the payload viewer."""

from __future__ import annotations

from dojo.cloud import Hop, LocalCloud
from dojo.widgets import TraceTable, filter_hops

HOPS = [
    Hop(0, "t0", "client", "s3:CreateBucket", "api", "Bucket=b", "ok", 1.5),
    Hop(1, "t1", "s3:b", "lambda:resize", "delivery", "ObjectCreated:Put a.png", "ok"),
    Hop(
        2,
        "t2",
        "s3:b",
        "lambda:resize",
        "invoke",
        "cold start",
        "error",
        3.25,
        {"error_type": "KeyError"},
    ),
    Hop(3, "t3", "sqs:jobs", "lambda:worker", "esm", "batch of 2", "throttled"),
    Hop(4, "t4", "lambda:resize", "sqs:dlq", "destination", "OnFailure <b>record</b>", "ok"),
]


def test_filters_combine() -> None:
    """Check glob and substring filters on source/target, outcomes, kind, text and flow-only."""
    assert [h.seq for h in filter_hops(HOPS, target="lambda:*")] == [1, 2, 3]
    assert [h.seq for h in filter_hops(HOPS, source="s3")] == [1, 2]
    assert [h.seq for h in filter_hops(HOPS, outcomes=("error", "throttled"))] == [2, 3]
    assert [h.seq for h in filter_hops(HOPS, kind="esm")] == [3]
    assert [h.seq for h in filter_hops(HOPS, text="keyerror")] == [2]
    assert [h.seq for h in filter_hops(HOPS, flow_only=True)] == [1, 2, 3, 4]


def test_widget_filters_and_inspects() -> None:
    """Check that a filter control refilters and inspecting a row shows its detail, escaped."""
    table = TraceTable(HOPS)
    assert len(table.rows) == 5 and "5 of 5 hops" in table.table.value
    table.outcome_filter.value = ("error",)
    assert [h.seq for h in table.rows] == [2]
    assert "dojo-hop-error" in table.table.value and "dojo-hop-ok" not in table.table.value
    assert table.inspect(0)["detail"] == {"error_type": "KeyError"}
    assert "KeyError" in table.payload.value
    table.outcome_filter.value = ("ok", "error", "throttled", "dropped")
    table.kind_filter.value = "destination"
    assert [h.seq for h in table.rows] == [4]
    assert (
        "<b>record</b>" not in table.table.value
        and "&lt;b&gt;record&lt;/b&gt;" in table.table.value
    )
    assert set(table.kind_filter.options) >= {("esm", "esm"), ("all kinds", "")}


def test_reads_the_live_trace_of_a_cloud(traffic: LocalCloud) -> None:
    """Check that a TraceTable on a cloud shows its hops and sees new ones on refresh."""
    table = TraceTable(traffic)
    total = len(traffic.trace)
    assert len(table.rows) == total
    table.target_filter.value = "sqs:w-dlq"
    assert [h.kind for h in table.rows] == ["destination"]
    traffic.client("sqs").send_message(
        QueueUrl=traffic.client("sqs").get_queue_url(QueueName="w-dlq")["QueueUrl"],
        MessageBody="hi",
    )
    table.target_filter.value = ""
    assert len(table.refresh()) > total
