"""The local MediaConvert: validated requests, roles, jobs on the fake clock, outputs, billing."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from dojo.cloud import LocalCloud

TRUST_MC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "mediaconvert.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
TRUST_LAMBDA = TRUST_MC.replace("mediaconvert", "lambda")


def _settings(source: str, destination: str) -> dict[str, Any]:
    return {
        "Inputs": [
            {
                "FileInput": source,
                "AudioSelectors": {"Audio Selector 1": {"SelectorType": "TRACK", "Tracks": [1]}},
            }
        ],
        "OutputGroups": [
            {
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": destination},
                },
                "Outputs": [
                    {
                        "Preset": "System-Generic_Sd_Mp4_Avc_Aac_4x3_640x480p_24Hz_1.5Mbps",
                        "NameModifier": "_sd",
                        "Extension": "mp4",
                    },
                    {
                        "Preset": "System-Generic_Hd_Mp4_Avc_Aac_16x9_1280x720p_24Hz_4.5Mbps",
                        "NameModifier": "_hd",
                        "Extension": "mp4",
                    },
                ],
            }
        ],
    }


@pytest.fixture
def media(cloud: LocalCloud) -> dict[str, Any]:
    """Buckets, a MediaConvert role and a client on the account endpoint."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.create_bucket(Bucket="outputs")
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="mc", AssumeRolePolicyDocument=TRUST_MC)["Role"]["Arn"]
    lambda_role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"][
        "Arn"
    ]
    endpoint = boto3.client("mediaconvert").describe_endpoints()["Endpoints"][0]["Url"]
    return {
        "s3": s3,
        "role": role,
        "lambda_role": lambda_role,
        "mc": boto3.client("mediaconvert", endpoint_url=endpoint),
        "endpoint": endpoint,
    }


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_describe_endpoints_returns_an_account_endpoint(media: dict[str, Any]) -> None:
    """Check that the endpoint is account-specific and HTTPS, like the real one."""
    assert (
        media["endpoint"].startswith("https://")
        and ".mediaconvert.us-east-1.amazonaws.com" in media["endpoint"]
    )


def test_a_job_completes_on_the_clock_and_writes_outputs_into_the_folder(
    cloud: LocalCloud, media: dict[str, Any]
) -> None:
    """Check that a job is SUBMITTED, then COMPLETE after job_seconds with one object per output."""
    media["s3"].put_object(
        Bucket="uploads", Key="my clip.mp4", Body=b"x", Metadata={"duration-seconds": "42"}
    )
    job = media["mc"].create_job(
        Role=media["role"], Settings=_settings("s3://uploads/my clip.mp4", "s3://outputs/my clip/")
    )["Job"]
    assert job["Status"] == "SUBMITTED"
    assert _keys(media["s3"], "outputs") == []
    cloud.advance(60)
    done = media["mc"].get_job(Id=job["Id"])["Job"]
    assert done["Status"] == "COMPLETE"
    assert _keys(media["s3"], "outputs") == ["my clip/my clip_hd.mp4", "my clip/my clip_sd.mp4"]
    assert done["BilledOutputSeconds"] == 2 * 50  # 42 s rounds up to 50 s per output
    assert cloud.mediaconvert.billed_seconds() == 100


def test_a_destination_without_a_slash_names_the_file(
    cloud: LocalCloud, media: dict[str, Any]
) -> None:
    """Check that a Destination without '/' names the file, not a folder (the book's erratum e)."""
    media["s3"].put_object(Bucket="uploads", Key="cat.mp4", Body=b"x")
    media["mc"].create_job(
        Role=media["role"], Settings=_settings("s3://uploads/cat.mp4", "s3://outputs/cat")
    )
    cloud.advance(60)
    assert _keys(media["s3"], "outputs") == ["cat_hd.mp4", "cat_sd.mp4"]


def test_a_missing_input_ends_in_error_1404(cloud: LocalCloud, media: dict[str, Any]) -> None:
    """Check that a missing input gives status ERROR, code 1404 and a HeadObject message."""
    media["s3"].put_object(Bucket="uploads", Key="Video Of Flower Field.mp4", Body=b"x")
    media["mc"].create_job(
        Role=media["role"],
        Settings=_settings("s3://uploads/Video+Of+Flower+Field.mp4", "s3://outputs/v/"),
    )
    cloud.advance(60)
    job = media["mc"].list_jobs(Status="ERROR")["Jobs"][0]
    assert job["ErrorCode"] == 1404 and "HeadObject failed" in job["ErrorMessage"]
    assert "Video+Of+Flower+Field.mp4" in job["ErrorMessage"]


def test_an_empty_input_fails_the_job(cloud: LocalCloud, media: dict[str, Any]) -> None:
    """Check that a zero-byte input ends in ERROR, writes nothing and bills nothing."""
    media["s3"].put_object(Bucket="uploads", Key="empty.mp4", Body=b"")
    media["mc"].create_job(
        Role=media["role"], Settings=_settings("s3://uploads/empty.mp4", "s3://outputs/e/")
    )
    cloud.advance(60)
    job = media["mc"].list_jobs()["Jobs"][0]
    assert (job["Status"], job["ErrorCode"], job["BilledOutputSeconds"]) == ("ERROR", 1010, 0)
    assert _keys(media["s3"], "outputs") == []


def test_requests_are_validated_against_the_service_model(media: dict[str, Any]) -> None:
    """Check that a malformed request fails as a Stubber would (botocore's model), making no job."""
    bad = _settings("s3://uploads/a.mp4", "s3://outputs/a/")
    bad["Inputs"][0]["AudioSelectors"]["Audio Selector 1"]["Tracks"] = "1"
    with pytest.raises(ParamValidationError):
        media["mc"].create_job(Role=media["role"], Settings=bad)
    unchecked = boto3.client(
        "mediaconvert",
        endpoint_url=media["endpoint"],
        config=__import__("botocore.config").config.Config(parameter_validation=False),
    )
    with pytest.raises(ClientError, match="BadRequestException"):
        unchecked.create_job(Role=media["role"], Settings=bad)
    assert media["mc"].list_jobs()["Jobs"] == []


def test_a_role_mediaconvert_cannot_assume_is_forbidden(media: dict[str, Any]) -> None:
    """Check that the Lambda role (or a missing role) is refused with ForbiddenException."""
    for role in (media["lambda_role"], "arn:aws:iam::123456789012:role/nope"):
        with pytest.raises(ClientError) as raised:
            media["mc"].create_job(
                Role=role, Settings=_settings("s3://uploads/a.mp4", "s3://outputs/a/")
            )
        assert raised.value.response["Error"]["Code"] == "ForbiddenException"


def test_chaos_applies_to_mediaconvert(cloud: LocalCloud, media: dict[str, Any]) -> None:
    """Check that chaos.fail on CreateJob reaches callers before the stand-in answers."""
    cloud.chaos.fail("mediaconvert", "CreateJob", error="BadRequestException", rate=1.0)
    with pytest.raises(ClientError, match="BadRequestException"):
        media["mc"].create_job(
            Role=media["role"], Settings=_settings("s3://uploads/a.mp4", "s3://outputs/a/")
        )


def test_list_jobs_pages_newest_first_and_cancel_stops_a_job(
    cloud: LocalCloud, media: dict[str, Any]
) -> None:
    """Check list_jobs paging and order, and that a cancelled job never runs."""
    ids = [
        media["mc"].create_job(
            Role=media["role"], Settings=_settings(f"s3://uploads/{n}.mp4", "s3://outputs/")
        )["Job"]["Id"]
        for n in range(3)
    ]
    first = media["mc"].list_jobs(MaxResults=2)
    assert [j["Id"] for j in first["Jobs"]] == ids[::-1][:2]
    assert [
        j["Id"] for j in media["mc"].list_jobs(MaxResults=2, NextToken=first["NextToken"])["Jobs"]
    ] == [ids[0]]
    media["mc"].cancel_job(Id=ids[0])
    cloud.advance(60)
    assert media["mc"].get_job(Id=ids[0])["Job"]["Status"] == "CANCELED"


def test_job_state_changes_reach_eventbridge(cloud: LocalCloud, media: dict[str, Any]) -> None:
    """Check that a rule on 'MediaConvert Job State Change' receives the COMPLETE event."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events")
    events.put_rule(Name="mc", EventPattern=json.dumps({"source": ["aws.mediaconvert"]}))
    events.put_targets(Rule="mc", Targets=[{"Id": "q", "Arn": arn}])
    media["s3"].put_object(Bucket="uploads", Key="a.mp4", Body=b"x")
    media["mc"].create_job(
        Role=media["role"], Settings=_settings("s3://uploads/a.mp4", "s3://outputs/a/")
    )
    cloud.advance(60)
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    ]
    assert [b["detail"]["status"] for b in bodies] == ["SUBMITTED", "COMPLETE"]
    assert all(b["detail-type"] == "MediaConvert Job State Change" for b in bodies)


def test_pass_role_is_enforced_when_asked(cloud: LocalCloud, media: dict[str, Any]) -> None:
    """Check that with enforce_pass_role a handler whose role may not pass the role is denied."""
    from dojo.cloud import zip_code

    iam, lam = boto3.client("iam"), boto3.client("lambda")
    source = (
        "import boto3, os\n"
        "def handler(event, context):\n"
        "    mc = boto3.client('mediaconvert', endpoint_url=os.environ['EP'])\n"
        "    try:\n"
        "        mc.create_job(Role=os.environ['ROLE'], Settings=event)\n"
        "    except Exception as error:\n"
        "        return type(error).__name__ + ' ' + str(error)\n"
        "    return 'ok'\n"
    )
    lam.create_function(
        FunctionName="submit",
        Runtime="python3.11",
        Role=media["lambda_role"],
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": source})},
        Environment={"Variables": {"EP": media["endpoint"], "ROLE": media["role"]}},
    )
    cloud.mediaconvert.enforce_pass_role = True

    def run() -> str:
        payload = json.dumps(_settings("s3://uploads/a.mp4", "s3://outputs/a/")).encode()
        return json.loads(lam.invoke(FunctionName="submit", Payload=payload)["Payload"].read())

    assert "iam:PassRole" in run()
    iam.put_role_policy(
        RoleName="fn",
        PolicyName="pass",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": media["role"]}
                ],
            }
        ),
    )
    assert run() == "ok"
