"""Hidden checks of m03-s3-event-pipelines: run only by the grader, never shown to learners.

Each check starts its own cloud in the learner's sandbox (``learner.cloud()``); everything read
back from it is plain data. Points per task: handler 15, policy 7, deploy 10, diagnose 12,
camera 14, data jobs 11 (public checks in the notebook add the rest of each task's points).
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from dojo.cloud import evaluate_policy
from dojo.cloud.scenarios.video import deploy_video_pipeline
from dojo.grading import hidden

HANDLER = "m03_s3_event_pipelines_transcode_handler"
POLICY = "m03_s3_event_pipelines_transcode_policy"
DEPLOY = "m03_s3_event_pipelines_deploy_pipeline"
DIAGNOSE = "m03_s3_event_pipelines_diagnose"
CAMERA = "m03_s3_event_pipelines_camera_pipeline"
DATA = "m03_s3_event_pipelines_data_jobs"

FUNCTION = "twentyfour-hour-video-dev-transcode-video"
MODIFIERS = (
    "_16x9_1920x1080p_24Hz_6Mbps",
    "_16x9_1280x720p_24Hz_4.5Mbps",
    "_4x3_640x480p_24Hz_1.5Mbps",
)


# -- helpers ----------------------------------------------------------------------------------
def _keys(aws: Any, bucket: str, prefix: str = "") -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def _video_pipeline(learner: Any, aws: Any) -> dict[str, Any]:
    """The grader's own deployment, running the learner's handler."""
    return deploy_video_pipeline(
        aws,
        upload="upload-video-hid",
        output="transcoded-video-hid",
        handler_source=learner.TRANSCODE_VIDEO_PY,
    )


def _jobs(aws: Any) -> list[dict[str, Any]]:
    return list(reversed(aws.client("mediaconvert").list_jobs(MaxResults=20)["Jobs"]))


def _invoke(aws: Any, event: dict[str, Any]) -> dict[str, Any]:
    response = aws.client("lambda").invoke(
        FunctionName=FUNCTION, Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def _record(bucket: str, event_key: str) -> dict[str, Any]:
    return {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": event_key, "size": 1},
        },
    }


def png(width: int, height: int) -> bytes:
    """A real, single-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# -- Task 1: the transcode handler (15 hidden points) ----------------------------------------
@hidden(
    HANDLER,
    points=4,
    fail="decode the event key with unquote_plus: 'Video Of Flower Field.mp4' arrives as "
    "'Video+Of+Flower+Field.mp4', and its renditions belong in 'Video Of Flower Field/'",
)
def spaces_in_names_are_decoded(learner: Any) -> None:
    with learner.cloud() as aws:
        _video_pipeline(learner, aws)
        aws.client("s3").put_object(
            Bucket="upload-video-hid", Key="Video Of Flower Field.mp4", Body=b"v"
        )
        aws.advance(600)
        (job,) = _jobs(aws)
        assert (
            job["Settings"]["Inputs"][0]["FileInput"]
            == "s3://upload-video-hid/Video Of Flower Field.mp4"
        )
        assert job["Status"] == "COMPLETE"
        expected = sorted(f"Video Of Flower Field/Video Of Flower Field{m}.mp4" for m in MODIFIERS)
        assert _keys(aws, "transcoded-video-hid") == expected


@hidden(
    HANDLER,
    points=3,
    fail="keys with '+', several dots or folders: decode '%2B' back to '+', cut only the last "
    "extension (my.holiday.v2.mp4 -> my.holiday.v2/) and keep folders (uploads/2024/cat.mp4 -> uploads/2024/cat/)",
)
def tricky_names_keep_their_folder(learner: Any) -> None:
    with learner.cloud() as aws:
        _video_pipeline(learner, aws)
        for key in ("a+b.mp4", "my.holiday.v2.mp4", "uploads/2024/cat.mp4"):
            aws.client("s3").put_object(Bucket="upload-video-hid", Key=key, Body=b"v")
        aws.run_until_idle()
        jobs = _jobs(aws)
        inputs = sorted(job["Settings"]["Inputs"][0]["FileInput"] for job in jobs)
        assert inputs == sorted(
            f"s3://upload-video-hid/{k}"
            for k in ("a+b.mp4", "my.holiday.v2.mp4", "uploads/2024/cat.mp4")
        )
        destinations = sorted(
            job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"][
                "Destination"
            ]
            for job in jobs
        )
        assert destinations == sorted(
            f"s3://transcoded-video-hid/{f}/" for f in ("a+b", "my.holiday.v2", "uploads/2024/cat")
        )


@hidden(
    HANDLER,
    points=3,
    fail="process every record of an event, accept .MP4 in any case, list other keys in "
    "'skipped', and return empty lists for an s3:TestEvent",
)
def every_record_is_processed(learner: Any) -> None:
    with learner.cloud() as aws:
        _video_pipeline(learner, aws)
        s3 = aws.client("s3")
        for key in ("one.mp4", "TWO.MP4", "notes.txt"):
            s3.put_object(Bucket="upload-video-hid", Key=key, Body=b"v")
        event = {
            "Records": [_record("upload-video-hid", k) for k in ("one.mp4", "TWO.MP4", "notes.txt")]
        }
        result = _invoke(aws, event)
        assert (
            len(result["jobs"]) == 2
            and result["skipped"] == ["notes.txt"]
            and result["failed"] == []
        )
        test_event = {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2024-05-01T00:00:00.000Z",
            "Bucket": "upload-video-hid",
            "RequestId": "R",
            "HostId": "H",
        }
        assert _invoke(aws, test_event) == {"jobs": [], "skipped": [], "failed": []}
        assert len(_jobs(aws)) == 2


@hidden(
    HANDLER,
    points=3,
    fail="when create_job fails, print one JSON line with level ERROR, put the key in "
    "'failed' and return normally (do not raise)",
)
def a_failed_job_is_logged_not_raised(learner: Any) -> None:
    with learner.cloud() as aws:
        _video_pipeline(learner, aws)
        aws.chaos.fail("mediaconvert", "CreateJob", rate=1.0, error="BadRequestException")
        aws.client("s3").put_object(Bucket="upload-video-hid", Key="x.mp4", Body=b"v")
        result = _invoke(aws, {"Records": [_record("upload-video-hid", "x.mp4")]})
        assert result == {"jobs": [], "skipped": [], "failed": ["x.mp4"]}
        errors = []
        for line in aws.logs(FUNCTION):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict) and parsed.get("level") == "ERROR":
                errors.append(parsed)
        assert len(errors) == 1


@hidden(HANDLER, points=2, fail="return the ids of the jobs you submitted in 'jobs'")
def job_ids_are_returned(learner: Any) -> None:
    with learner.cloud() as aws:
        _video_pipeline(learner, aws)
        aws.client("s3").put_object(Bucket="upload-video-hid", Key="cat.mp4", Body=b"v")
        result = _invoke(aws, {"Records": [_record("upload-video-hid", "cat.mp4")]})
        assert result["jobs"] == [job["Id"] for job in _jobs(aws)]


# -- Task 2: least privilege (7 hidden points) -----------------------------------------------
MEDIA_ROLE = "arn:aws:iam::123456789012:role/media-convert-role"


def _policy(learner: Any) -> dict[str, Any]:
    return learner.transcode_policy(
        "upload-video-ab", MEDIA_ROLE, FUNCTION, "us-east-1", "123456789012"
    )


@hidden(
    POLICY,
    points=3,
    fail="allow s3:GetObject on the upload bucket's objects, mediaconvert:CreateJob and "
    "DescribeEndpoints, iam:PassRole on the MediaConvert role, and log writes to the function's own log group",
)
def the_pipeline_can_do_its_job(learner: Any) -> None:
    doc = _policy(learner)
    group = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{FUNCTION}:log-stream:2024/05/01/[$LATEST]abc"
    for action, resource in [
        ("s3:GetObject", "arn:aws:s3:::upload-video-ab/any/key.mp4"),
        ("mediaconvert:CreateJob", "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default"),
        (
            "mediaconvert:DescribeEndpoints",
            "arn:aws:mediaconvert:us-east-1:123456789012:endpoints/*",
        ),
        ("iam:PassRole", MEDIA_ROLE),
        ("logs:CreateLogStream", group),
        ("logs:PutLogEvents", group),
    ]:
        assert evaluate_policy(doc, action, resource) == "Allow", (action, resource)


@hidden(
    POLICY,
    points=2,
    fail="deny (by not allowing) writes to S3, reads of the transcoded bucket, passing any other "
    "role and deleting objects",
)
def nothing_else_is_allowed(learner: Any) -> None:
    doc = _policy(learner)
    for action, resource in [
        ("s3:PutObject", "arn:aws:s3:::upload-video-ab/a.mp4"),
        ("s3:PutObject", "arn:aws:s3:::transcoded-video-ab/a.mp4"),
        ("s3:GetObject", "arn:aws:s3:::transcoded-video-ab/a.mp4"),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/admin"),
        ("s3:DeleteObject", "arn:aws:s3:::upload-video-ab/a.mp4"),
        (
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/other:log-stream:x",
        ),
    ]:
        assert evaluate_policy(doc, action, resource) == "ImplicitDeny", (action, resource)


@hidden(
    POLICY,
    points=2,
    fail="no '*' actions, no NotAction, and no Resource '*' on S3 or IAM statements",
)
def no_wildcards(learner: Any) -> None:
    for statement in _policy(learner)["Statement"]:
        assert "NotAction" not in statement
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        assert all("*" not in action for action in actions)
        if any(action.split(":")[0].lower() in ("s3", "iam") for action in actions):
            assert "*" not in resources


# -- Task 3: provisioning (10 hidden points) -------------------------------------------------
@hidden(
    DEPLOY, points=2, fail="raise ValueError unless initials are 2-8 lowercase letters or digits"
)
def bad_initials_are_refused(learner: Any) -> None:
    with learner.cloud() as aws:
        for bad in ("a", "AB", "a_b", "toolonginit", ""):
            try:
                learner.deploy_pipeline(aws, bad)
            except Exception as error:
                assert "ValueError" in str(error), error
            else:
                raise AssertionError(f"initials {bad!r} accepted")
        assert aws.client("s3").list_buckets()["Buckets"] == []


@hidden(
    DEPLOY,
    points=3,
    fail="filter the notification to suffix '.mp4': other uploads (a.mov) must not invoke the function",
)
def only_mp4_uploads_invoke(learner: Any) -> None:
    with learner.cloud(strict=True) as aws:
        learner.deploy_pipeline(aws, "ps")
        config = aws.client("s3").get_bucket_notification_configuration(Bucket="upload-video-ps")
        (target,) = config["LambdaFunctionConfigurations"]
        rules = target["Filter"]["Key"]["FilterRules"]
        assert {rule["Name"].lower(): rule["Value"] for rule in rules} == {"suffix": ".mp4"}
        aws.client("s3").put_object(Bucket="upload-video-ps", Key="a.mov", Body=b"v")
        aws.run_until_idle()
        assert aws.invocations(FUNCTION) == 0


@hidden(
    DEPLOY,
    points=2,
    fail="in strict mode (as on AWS) uploading a.mp4 must invoke the function exactly once",
)
def one_upload_one_invocation(learner: Any) -> None:
    with learner.cloud(strict=True) as aws:
        learner.deploy_pipeline(aws, "ps")
        aws.client("s3").put_object(Bucket="upload-video-ps", Key="a.mp4", Body=b"v")
        aws.run_until_idle()
        assert aws.invocations(FUNCTION) == 1


@hidden(
    DEPLOY,
    points=1,
    fail="trust lambda.amazonaws.com and mediaconvert.amazonaws.com exactly, and name the "
    "variables MEDIA_ENDPOINT, MEDIA_ROLE and TRANSCODED_VIDEO_BUCKET",
)
def roles_and_variables_are_exact(learner: Any) -> None:
    with learner.cloud() as aws:
        learner.deploy_pipeline(aws, "ps")
        iam = aws.client("iam")
        for role, service in (
            ("transcode-video", "lambda.amazonaws.com"),
            ("media-convert-role", "mediaconvert.amazonaws.com"),
        ):
            document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            principals = [s["Principal"]["Service"] for s in document["Statement"]]
            assert principals in ([service], [[service]]), principals
        config = aws.client("lambda").get_function_configuration(FunctionName=FUNCTION)
        assert sorted(config["Environment"]["Variables"]) == [
            "MEDIA_ENDPOINT",
            "MEDIA_ROLE",
            "TRANSCODED_VIDEO_BUCKET",
        ]
        assert (config["Runtime"], config["Handler"], config["MemorySize"], config["Timeout"]) == (
            "python3.11",
            "transcode_video.handler",
            256,
            30,
        )


@hidden(
    DEPLOY,
    points=1,
    fail="S3 must be granted lambda:InvokeFunction with SourceArn = the upload bucket "
    "(add_permission); without it strict mode drops the event",
)
def the_permission_is_what_lets_s3_invoke(learner: Any) -> None:
    with learner.cloud(strict=True) as aws:
        learner.deploy_pipeline(aws, "ps")
        lam = aws.client("lambda")
        policy = json.loads(lam.get_policy(FunctionName=FUNCTION)["Policy"])
        (statement,) = policy["Statement"]
        assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
        assert "arn:aws:s3:::upload-video-ps" in json.dumps(statement["Condition"])
        lam.remove_permission(FunctionName=FUNCTION, StatementId=statement["Sid"])
        aws.client("s3").put_object(Bucket="upload-video-ps", Key="b.mp4", Body=b"v")
        aws.run_until_idle()
        assert aws.invocations(FUNCTION) == 0
        assert aws.trace.count(outcome="dropped") == 1


@hidden(DEPLOY, points=1, fail="deploying twice must succeed and create nothing new")
def deploying_twice_changes_nothing(learner: Any) -> None:
    with learner.cloud() as aws:
        first = learner.deploy_pipeline(aws, "ps")
        second = learner.deploy_pipeline(aws, "ps")
        assert first == second
        assert len(aws.client("s3").list_buckets()["Buckets"]) == 2
        assert len(aws.client("lambda").list_functions()["Functions"]) == 1
        assert len(aws.client("iam").list_roles()["Roles"]) == 2


# -- Task 4: diagnose and fix (12 hidden points) ---------------------------------------------
EXPECTED = {
    0: ("none", "none"),
    1: ("s3-trigger", "no-permission"),
    2: ("lambda", "missing-env"),
    3: ("mediaconvert", "wrong-role"),
    4: ("mediaconvert", "input-not-found"),
}
EVIDENCE = {1: "Invocations", 2: "KeyError", 3: "ForbiddenException", 4: "1404"}


def _diagnose_all(learner: Any) -> dict[int, dict[str, Any]]:
    """Load every variant once per learner process: diagnose, fix, upload again, look.

    The runs are kept on the grader's handle of that process, so the four checks share them
    and no other notebook ever sees them.
    """
    cached = getattr(learner._process, "_m03_diagnose_runs", None)
    if cached is not None:
        return cached
    runs: dict[int, dict[str, Any]] = {}
    for variant in EXPECTED:
        run: dict[str, Any] = {}
        runs[variant] = run
        with learner.cloud() as aws:
            info = aws.scenario("24hv-broken", variant)
            lam = aws.client("lambda")
            before = lam.get_function_configuration(FunctionName=FUNCTION)
            before_state = (before["CodeSha256"], json.dumps(before["Environment"], sort_keys=True))
            try:
                run["diagnosis"] = learner.diagnose(aws, info["function_name"])
                learner.fix(aws, info["function_name"], run["diagnosis"])
            except Exception as error:
                run["error"] = str(error)
                continue
            after = lam.get_function_configuration(FunctionName=FUNCTION)
            run["unchanged"] = before_state == (
                after["CodeSha256"],
                json.dumps(after["Environment"], sort_keys=True),
            )
            aws.client("s3").put_object(
                Bucket=info["upload_bucket"], Key="after-fix.mp4", Body=b"v"
            )
            aws.advance(600)
            run["renditions"] = _keys(aws, info["transcoded_bucket"], "after-fix/")
    learner._process._m03_diagnose_runs = runs
    return runs


def _diagnosis(run: dict[str, Any]) -> dict[str, Any]:
    if "error" in run:
        raise AssertionError(f"your code raised {run['error']}")
    return run["diagnosis"]


@hidden(
    DIAGNOSE,
    points=4,
    fail="diagnose all five variants: 0 none/none, 1 s3-trigger/no-permission, "
    "3 mediaconvert/wrong-role, 4 mediaconvert/input-not-found (look at Invocations, the log and the job list)",
)
def every_variant_is_diagnosed(learner: Any) -> None:
    for variant, run in _diagnose_all(learner).items():
        found = _diagnosis(run)
        assert (found["layer"], found["cause"]) == EXPECTED[variant], variant


@hidden(
    DIAGNOSE,
    points=2,
    fail="'evidence' must quote what you relied on: the Invocations metric, the KeyError "
    "line, the ForbiddenException line or the job's 1404 error",
)
def evidence_is_quoted(learner: Any) -> None:
    for variant, word in EVIDENCE.items():
        assert word in str(_diagnosis(_diagnose_all(learner)[variant])["evidence"]), variant


@hidden(
    DIAGNOSE,
    points=4,
    fail="after fix(...) a new upload must produce the three renditions, for every broken variant",
)
def fix_repairs_every_variant(learner: Any) -> None:
    for variant in (1, 2, 3, 4):
        run = _diagnose_all(learner)[variant]
        _diagnosis(run)
        assert len(run["renditions"]) == 3, (variant, run["renditions"])


@hidden(DIAGNOSE, points=2, fail="fix(...) on a healthy deployment must change nothing")
def fix_leaves_a_healthy_pipeline_alone(learner: Any) -> None:
    run = _diagnose_all(learner)[0]
    _diagnosis(run)
    assert run["unchanged"] is True and len(run["renditions"]) == 3


# -- Task 5: camera pipeline (14 hidden points) ----------------------------------------------
def _catalog(aws: Any) -> list[dict[str, Any]]:
    items = aws.client("dynamodb").scan(TableName="image-catalog")["Items"]
    return [{name: next(iter(value.values())) for name, value in item.items()} for item in items]


def _depth(aws: Any, url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


@hidden(
    CAMERA,
    points=5,
    fail="when PutItem fails during ingest, buffer the image on SQS and let buffer_drain store it: "
    "all 10 images must end in the catalogue exactly once, with both queues empty",
)
def no_image_is_lost_under_failures(learner: Any) -> None:
    with learner.cloud(seed=3) as aws:
        made = learner.deploy_camera_pipeline(aws, "hid")
        aws.chaos.fail("dynamodb", "PutItem", rate=0.3, only_in=made["ingest_function"])
        for n in range(10):
            aws.client("s3").put_object(
                Bucket=made["upload_bucket"], Key=f"cam/{n:04d}.png", Body=png(64 + n, 48)
            )
        aws.run_until_idle()
        aws.chaos.clear()
        aws.advance(300)
        keys = sorted(item["key"] for item in _catalog(aws))
        assert keys == [f"cam/{n:04d}.png" for n in range(10)]
        assert _depth(aws, made["buffer_url"]) == 0 and _depth(aws, made["dlq_url"]) == 0


@hidden(
    CAMERA,
    points=3,
    fail="send to the buffer only when processing fails: without failures there must be no SendMessage",
)
def the_buffer_is_only_for_failures(learner: Any) -> None:
    with learner.cloud() as aws:
        made = learner.deploy_camera_pipeline(aws, "hid")
        for n in range(3):
            aws.client("s3").put_object(
                Bucket=made["upload_bucket"], Key=f"ok/{n}.png", Body=png(32, 32)
            )
        aws.advance(60)
        assert len(_catalog(aws)) == 3
        assert aws.trace.count(target="sqs:SendMessage") == 0


@hidden(
    CAMERA,
    points=3,
    fail="an image that can never be processed must reach image-buffer-dlq after 3 receives "
    "(return batchItemFailures, set maxReceiveCount 3) and stay out of the catalogue",
)
def a_corrupt_image_ends_in_the_dlq(learner: Any) -> None:
    with learner.cloud() as aws:
        made = learner.deploy_camera_pipeline(aws, "hid")
        aws.client("s3").put_object(
            Bucket=made["upload_bucket"], Key="bad.png", Body=b"not an image at all"
        )
        aws.client("s3").put_object(Bucket=made["upload_bucket"], Key="good.png", Body=png(10, 10))
        aws.run_until_idle()
        aws.advance(300)
        messages = (
            aws.client("sqs")
            .receive_message(QueueUrl=made["dlq_url"], MaxNumberOfMessages=10)
            .get("Messages", [])
        )
        assert [json.loads(m["Body"])["key"] for m in messages] == ["bad.png"]
        assert [item["key"] for item in _catalog(aws)] == ["good.png"]


@hidden(
    CAMERA,
    points=3,
    fail="thumbnails fit in 128x128; the item is written conditionally on key and eTag, so new "
    "bytes under the same key update it",
)
def thumbnails_and_updates(learner: Any) -> None:
    with learner.cloud() as aws:
        made = learner.deploy_camera_pipeline(aws, "hid")
        s3 = aws.client("s3")
        s3.put_object(Bucket=made["upload_bucket"], Key="cam/a.png", Body=png(640, 480))
        aws.run_until_idle()
        thumb = json.loads(
            s3.get_object(Bucket=made["output_bucket"], Key="thumbs/cam/a.png")["Body"].read()
        )
        assert (thumb["width"], thumb["height"]) == (128, 96)
        s3.put_object(Bucket=made["upload_bucket"], Key="cam/a.png", Body=png(640, 480))
        aws.run_until_idle()
        s3.put_object(Bucket=made["upload_bucket"], Key="cam/a.png", Body=png(200, 100))
        aws.run_until_idle()
        (item,) = _catalog(aws)
        assert (item["width"], item["height"]) == ("200", "100")


# -- Task 6: data jobs (11 hidden points: CSV 5, logs 2, backup check 4) ------------------
MESSY = '\ufeffname,city,amount\n"Smith, J",Paris,10\n\nLee,"Rome, IT",2.5\nKim,Oslo,abc\n\n'
LOG = (
    "2024-05-01T10:00:00Z INFO start\n2024-05-01T10:00:01Z WARN slow\n2024-05-01T10:00:02Z ERROR boom\n"
    "2024-05-01T10:00:03Z DEBUG detail\n2024-05-01T10:00:04Z INFO again\n2024-05-01T10:00:05Z TRACE odd\n"
    "garbage line\n"
)


def _data(learner: Any, aws: Any, files: dict[str, str]) -> dict[str, Any]:
    made = learner.deploy_data_jobs(aws, "hid")
    for key, text in files.items():
        aws.client("s3").put_object(Bucket="data-jobs-hid", Key=key, Body=text.encode("utf-8"))
    aws.run_until_idle()
    return made


def _read(aws: Any, key: str) -> str:
    return (
        aws.client("s3").get_object(Bucket="data-jobs-hid", Key=key)["Body"].read().decode("utf-8")
    )


@hidden(
    DATA,
    points=3,
    fail="messy CSV: drop the byte-order mark and blank lines, keep quoted commas inside their field, "
    "and leave a non-numeric value out of its row",
)
def messy_csv_is_converted(learner: Any) -> None:
    with learner.cloud() as aws:
        _data(learner, aws, {"in/messy.csv": MESSY})
        rows = [json.loads(line) for line in _read(aws, "out/messy.jsonl").splitlines()]
        assert rows == [
            {"name": "Smith, J", "city": "Paris", "amount": 10},
            {"name": "Lee", "city": "Rome, IT", "amount": 2.5},
            {"name": "Kim", "city": "Oslo"},
        ]


@hidden(
    DATA,
    points=1,
    fail="the summary counts rows, errors (non-numeric values in numeric columns) and totals per numeric column",
)
def the_summary_adds_up(learner: Any) -> None:
    with learner.cloud() as aws:
        _data(learner, aws, {"in/messy.csv": MESSY})
        assert json.loads(_read(aws, "out/messy.summary.json")) == {
            "rows": 3,
            "errors": 1,
            "totals": {"amount": 12.5},
        }


@hidden(DATA, points=1, fail="a header-only CSV gives an empty .jsonl and a summary with 0 rows")
def a_header_only_csv_has_no_rows(learner: Any) -> None:
    with learner.cloud() as aws:
        _data(learner, aws, {"in/empty.csv": "region,units\n"})
        assert _read(aws, "out/empty.jsonl").strip() == ""
        summary = json.loads(_read(aws, "out/empty.summary.json"))
        assert summary["rows"] == 0 and summary["errors"] == 0


@hidden(
    DATA,
    points=2,
    fail="count lines per (date, level) with atomic ADD updates; unknown levels and lines without "
    "a timestamp count as OTHER",
)
def log_levels_are_counted(learner: Any) -> None:
    with learner.cloud() as aws:
        _data(learner, aws, {"logs/app-2024-05-01.log": LOG, "logs/app-2024-05-01-b.log": LOG})
        items = aws.client("dynamodb").scan(TableName="log-levels")["Items"]
        counts = {(i["date"]["S"], i["level"]["S"]): int(i["count"]["N"]) for i in items}
        assert counts == {
            ("2024-05-01", "INFO"): 4,
            ("2024-05-01", "WARN"): 2,
            ("2024-05-01", "ERROR"): 2,
            ("2024-05-01", "DEBUG"): 2,
            ("2024-05-01", "OTHER"): 2,
            ("unknown", "OTHER"): 2,
        }


DAY = 86400


def _backup(learner: Any, aws: Any, source: dict[str, bytes], backup: dict[str, bytes]) -> str:
    """Deploy the data jobs, fill both buckets and subscribe a spy queue to the alert topic."""
    made = learner.deploy_data_jobs(aws, "hid")
    s3, sqs = aws.client("s3"), aws.client("sqs")
    for bucket, objects in (("source-hid", source), ("backup-hid", backup)):
        for key, body in objects.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    url = sqs.create_queue(QueueName="backup-spy")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws.client("sns").subscribe(
        TopicArn=made["topic_arn"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return url


def _alerts(aws: Any, url: str) -> list[str]:
    """Every message the spy queue received (raw delivery: the published text)."""
    bodies: list[str] = []
    while True:
        batch = (
            aws.client("sqs")
            .receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            .get("Messages", [])
        )
        if not batch:
            return bodies
        bodies += [m["Body"] for m in batch]


@hidden(
    DATA,
    points=2,
    fail="when the daily rate(1 day) schedule fires, publish exactly one SNS alert naming every "
    "missing key and every key whose ETag differs (and no key that matches)",
)
def a_broken_backup_raises_one_alert(learner: Any) -> None:
    with learner.cloud() as aws:
        url = _backup(
            learner,
            aws,
            source={"notes/ok.txt": b"same", "reports/may.csv": b"a,b\n", "photos/cat.png": b"new"},
            backup={"notes/ok.txt": b"same", "photos/cat.png": b"old"},
        )
        aws.advance(DAY)
        (alert,) = _alerts(aws, url)
        assert "reports/may.csv" in alert and "photos/cat.png" in alert
        assert "notes/ok.txt" not in alert


@hidden(
    DATA,
    points=1,
    fail="publish nothing when source and backup match (same keys, same ETags), and keep checking "
    "on every scheduled run",
)
def matching_buckets_stay_quiet(learner: Any) -> None:
    with learner.cloud() as aws:
        objects = {f"daily/{n}.txt": b"copy %d" % n for n in range(3)}
        url = _backup(learner, aws, source=objects, backup=objects)
        aws.advance(DAY)
        assert _alerts(aws, url) == []
        aws.client("s3").delete_object(Bucket="backup-hid", Key="daily/1.txt")
        aws.advance(DAY)
        (alert,) = _alerts(aws, url)
        assert "daily/1.txt" in alert


@hidden(
    DATA,
    points=1,
    fail="list both buckets page by page (list_objects_v2 returns at most 1,000 keys): use a "
    "paginator or ContinuationToken",
)
def every_page_is_compared(learner: Any) -> None:
    with learner.cloud() as aws:
        source = {f"obj/{n:04d}": b"%d" % n for n in range(1002)}
        backup = {key: body for key, body in source.items() if key != "obj/1001"}
        backup["obj/1000"] = b"stale"
        url = _backup(learner, aws, source=source, backup=backup)
        aws.advance(DAY)
        (alert,) = _alerts(aws, url)
        assert "obj/1000" in alert and "obj/1001" in alert
        assert "obj/0999" not in alert
