"""Scenarios: cloud.scenario(name, variant) deploys seeded, broken-on-purpose architectures."""

from __future__ import annotations

import pytest

from dojo.cloud import LocalCloud, LocalCloudError
from dojo.cloud._scenario import scenario, scenarios


def test_unknown_names_and_variants_list_what_exists(cloud: LocalCloud) -> None:
    """Check that a wrong name or variant says which ones exist."""
    with pytest.raises(LocalCloudError, match="24hv-broken"):
        cloud.scenario("nope")
    with pytest.raises(LocalCloudError, match="4 = the book's key bug"):
        cloud.scenario("24hv-broken", 9)


def test_a_scenario_needs_a_running_cloud() -> None:
    """Check that loading into a stopped cloud is refused."""
    with pytest.raises(LocalCloudError, match="Start the cloud"):
        LocalCloud().scenario("24hv-broken")


def test_new_scenarios_can_be_registered(cloud: LocalCloud) -> None:
    """Check that a module can declare its own scenario and load it by name."""

    @scenario("tiny", variants={0: "one bucket"})
    def tiny(aws, variant):  # type: ignore[no-untyped-def]
        aws.client("s3").create_bucket(Bucket="tiny")
        return {"bucket": "tiny"}

    assert "tiny" in scenarios()
    assert cloud.scenario("tiny") == {
        "name": "tiny",
        "variant": 0,
        "description": "one bucket",
        "bucket": "tiny",
    }


def test_the_healthy_video_pipeline_transcodes(cloud: LocalCloud) -> None:
    """Check that variant 0 leaves three renditions in the video's folder."""
    info = cloud.scenario("24hv-broken", 0)
    keys = [
        o["Key"]
        for o in cloud.client("s3").list_objects_v2(Bucket=info["transcoded_bucket"])["Contents"]
    ]
    assert len(keys) == 3 and all(k.startswith("Video Of Flower Field/") for k in keys)


@pytest.mark.parametrize(
    ("variant", "evidence"),
    [(1, "dropped"), (2, "KeyError"), (3, "ForbiddenException"), (4, "1404")],
)
def test_each_broken_variant_leaves_its_evidence(
    cloud: LocalCloud, variant: int, evidence: str
) -> None:
    """Check that each fault shows where the book's debugging routine looks: trace, logs, jobs."""
    info = cloud.scenario("24hv-broken", variant)
    name = info["function_name"]
    if variant == 1:
        assert cloud.invocations(name) == 0
        assert cloud.trace.count(outcome="dropped") == 1
        return
    if variant == 4:
        job = cloud.client("mediaconvert").list_jobs()["Jobs"][0]
        assert job["Status"] == "ERROR" and str(job["ErrorCode"]) == evidence
        return
    assert any(evidence in line for line in cloud.logs(name))
