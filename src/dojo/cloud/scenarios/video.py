"""The 24-Hour Video pipeline (Sbarski, Cui & Nair 2e, ch.2), deployed healthy or broken.

``cloud.scenario("24hv-broken", variant)`` deploys two buckets, two roles and the transcode
function, uploads ``Video Of Flower Field.mp4`` and runs the cloud for two minutes, so metrics,
logs and MediaConvert jobs hold the evidence of what is wrong. Used by m03 (diagnose and fix) and
its workshop lab; later modules that extend the pipeline can start from variant 0.
"""

from __future__ import annotations

import json
from typing import Any

from .._packaging import zip_code
from .._scenario import scenario

__all__ = ["BOOK_HANDLER", "FUNCTION_NAME", "HANDLER", "deploy_video_pipeline"]

FUNCTION_NAME = "twentyfour-hour-video-dev-transcode-video"
UPLOAD, OUTPUT = "upload-video-scenario", "transcoded-video-scenario"
PRESETS = (
    ("System-Generic_Hd_Mp4_Avc_Aac_16x9_1920x1080p_24Hz_6Mbps", "_16x9_1920x1080p_24Hz_6Mbps"),
    ("System-Generic_Hd_Mp4_Avc_Aac_16x9_1280x720p_24Hz_4.5Mbps", "_16x9_1280x720p_24Hz_4.5Mbps"),
    ("System-Generic_Sd_Mp4_Avc_Aac_4x3_640x480p_24Hz_1.5Mbps", "_4x3_640x480p_24Hz_1.5Mbps"),
)

# The scenario's own handler. DECODE is replaced by the book's behaviour in variant 4.
HANDLER = """
import json, os, posixpath
from urllib.parse import unquote_plus
import boto3
from botocore.exceptions import ClientError

PRESETS = %(presets)r


def handler(event, context):
    client = boto3.client("mediaconvert", endpoint_url=os.environ["MEDIA_ENDPOINT"])
    output_bucket = os.environ["TRANSCODED_VIDEO_BUCKET"]
    jobs = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = %(decode)s
        folder = posixpath.splitext(unquote_plus(record["s3"]["object"]["key"]))[0]
        destination = "s3://%%s/%%s/" %% (output_bucket, folder)
        settings = {
            "Inputs": [{"FileInput": "s3://%%s/%%s" %% (bucket, key),
                        "AudioSelectors": {
                            "Audio Selector 1": {"SelectorType": "TRACK", "Tracks": [1]}}}],
            "OutputGroups": [{
                "Name": "File Group",
                "OutputGroupSettings": {"Type": "FILE_GROUP_SETTINGS",
                                        "FileGroupSettings": {"Destination": destination}},
                "Outputs": [{"Preset": p, "NameModifier": m, "Extension": "mp4"}
                            for p, m in PRESETS],
            }],
        }
        try:
            job = client.create_job(Role=os.environ["MEDIA_ROLE"], Settings=settings)["Job"]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            print(json.dumps({"level": "ERROR", "key": key, "error": code,
                              "message": str(error)}))
            continue
        print(json.dumps({"level": "INFO", "key": key, "job": job["Id"]}))
        jobs.append(job["Id"])
    return {"jobs": jobs}
"""


def _source(book_key_bug: bool) -> str:
    decode = (
        'record["s3"]["object"]["key"]'
        if book_key_bug
        else 'unquote_plus(record["s3"]["object"]["key"])'
    )
    return HANDLER % {"presets": PRESETS, "decode": decode}


BOOK_HANDLER = _source(True)
"""The handler with the book's key defect: the still-encoded key becomes ``FileInput``."""


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def deploy_video_pipeline(
    cloud: Any,
    *,
    upload: str = UPLOAD,
    output: str = OUTPUT,
    book_key_bug: bool = False,
    env_typo: bool = False,
    media_role_is_lambda_role: bool = False,
    permission: bool = True,
    handler_source: str | None = None,
) -> dict[str, Any]:
    """Deploy the 24-Hour Video pipeline, optionally with one of the scenario's faults.

    It only calls ``cloud.client(...)`` and reads ``cloud.account_id``, so graders can run it on a
    cloud in a learner's sandbox. ``handler_source`` replaces the scenario's handler (module
    ``transcode_video``, function ``handler``), e.g. with a learner's.
    """
    s3, iam, lam = cloud.client("s3"), cloud.client("iam"), cloud.client("lambda")
    for bucket in (upload, output):
        s3.create_bucket(Bucket=bucket)
    lambda_role = iam.create_role(
        RoleName="transcode-video", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com")
    )["Role"]["Arn"]
    media_role = iam.create_role(
        RoleName="media-convert-role", AssumeRolePolicyDocument=_trust("mediaconvert.amazonaws.com")
    )["Role"]["Arn"]
    endpoint = cloud.client("mediaconvert").describe_endpoints()["Endpoints"][0]["Url"]
    variables = {
        "MEDIA_ENDPOINT": endpoint,
        "MEDIA_ROLE": lambda_role if media_role_is_lambda_role else media_role,
        ("TRANSCODED_VIDEO_BUCKT" if env_typo else "TRANSCODED_VIDEO_BUCKET"): output,
    }
    function_arn = lam.create_function(
        FunctionName=FUNCTION_NAME,
        Runtime="python3.11",
        Role=lambda_role,
        Handler="transcode_video.handler",
        MemorySize=256,
        Timeout=30,
        Code={"ZipFile": zip_code({"transcode_video.py": handler_source or _source(book_key_bug)})},
        Environment={"Variables": variables},
    )["FunctionArn"]
    if permission:
        lam.add_permission(
            FunctionName=FUNCTION_NAME,
            StatementId="s3-invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{upload}",
            SourceAccount=cloud.account_id,
        )
    s3.put_bucket_notification_configuration(
        Bucket=upload,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".mp4"}]}},
                }
            ]
        },
    )
    return {
        "function_name": FUNCTION_NAME,
        "function_arn": function_arn,
        "upload_bucket": upload,
        "transcoded_bucket": output,
        "lambda_role_arn": lambda_role,
        "media_role_arn": media_role,
        "media_endpoint": endpoint,
    }


@scenario(
    "24hv-broken",
    variants={
        0: "healthy",
        1: "S3 is not allowed to invoke the function (no resource-policy statement)",
        2: "the TRANSCODED_VIDEO_BUCKET variable is misspelled",
        3: "MEDIA_ROLE names the Lambda role, which MediaConvert cannot assume",
        4: "the book's key bug: the still-encoded key is sent as FileInput",
    },
)
def broken_video_pipeline(cloud: Any, variant: int) -> dict[str, Any]:
    """Deploy the pipeline with fault ``variant``, upload one video and run for two minutes."""
    cloud.strict = True  # S3 → Lambda must pass the function's resource policy, as on AWS
    made = deploy_video_pipeline(
        cloud,
        permission=variant != 1,
        env_typo=variant == 2,
        media_role_is_lambda_role=variant == 3,
        book_key_bug=variant == 4,
    )
    cloud.client("s3").put_object(
        Bucket=made["upload_bucket"],
        Key="Video Of Flower Field.mp4",
        Body=b"placeholder video",
        Metadata={"duration-seconds": "42"},
    )
    cloud.advance(120)
    return made
