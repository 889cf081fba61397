"""A local stand-in for AWS Elemental MediaConvert (moto has no MediaConvert backend).

botocore would send ``mediaconvert`` calls to the network; inside a running :class:`LocalCloud`
a ``before-call`` handler answers them here instead, so unmodified boto3 code works:

- ``describe_endpoints`` returns the account's endpoint (use it as ``endpoint_url``);
- ``create_job`` validates the request against botocore's service model (the check a Stubber
  performs), checks that ``Role`` exists and trusts ``mediaconvert.amazonaws.com`` (else
  ``ForbiddenException``), and records a SUBMITTED job;
- ``job_seconds`` of fake time later (default 60) the job reads its input with HeadObject:
  a missing input ends in status ERROR with ``ErrorCode`` 1404 (an empty one with 1010);
  otherwise one placeholder object
  per output is written to S3 with MediaConvert's naming, and the job is COMPLETE;
- ``get_job``, ``list_jobs`` and ``cancel_job`` answer from the recorded jobs, and each state
  change is sent to EventBridge as a ``MediaConvert Job State Change`` event when rules exist.

Billing follows MediaConvert's rule: output duration, rounded up to 10 seconds per output. An
input's duration is its S3 metadata ``duration-seconds`` (default 60 s); each job record carries
``BilledOutputSeconds`` (a local-cloud field, not part of the AWS response).
"""

from __future__ import annotations

import json
import math
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

from ._active import active

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["DEFAULT_DURATION", "MediaConvert", "MediaConvertJob", "register_mediaconvert"]

DEFAULT_DURATION = 60.0
"""Seconds of video assumed for an input without ``duration-seconds`` metadata."""

_registered = False


@dataclass
class MediaConvertJob:
    """One recorded job (what ``get_job`` returns, plus the billing the course shows)."""

    id: str
    arn: str
    role: str
    settings: dict[str, Any]
    queue: str
    created_at: Any
    user_metadata: dict[str, str] = field(default_factory=dict)
    status: str = "SUBMITTED"
    error_code: int | None = None
    error_message: str | None = None
    finished_at: Any = None
    outputs: list[str] = field(default_factory=list)
    billed_seconds: int = 0

    def record(self) -> dict[str, Any]:
        """The job as the MediaConvert API shows it."""
        job: dict[str, Any] = {
            "Id": self.id,
            "Arn": self.arn,
            "Role": self.role,
            "Settings": self.settings,
            "Queue": self.queue,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UserMetadata": dict(self.user_metadata),
            "Timing": {"SubmitTime": self.created_at},
            "BilledOutputSeconds": self.billed_seconds,
        }
        if self.finished_at is not None:
            job["Timing"].update(StartTime=self.created_at, FinishTime=self.finished_at)
        if self.error_code is not None:
            job["ErrorCode"] = self.error_code
            job["ErrorMessage"] = self.error_message
        if self.outputs:
            job["OutputGroupDetails"] = [
                {"OutputDetails": [{"DurationInMs": 0} for _ in self.outputs]}
            ]
        return job


def _response(parsed: dict[str, Any], status: int = 200) -> tuple[AWSResponse, dict[str, Any]]:
    http = AWSResponse("https://mediaconvert.dojo.local/", status, {}, None)
    parsed.setdefault(
        "ResponseMetadata", {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}
    )
    return http, parsed


def _error(code: str, message: str, status: int) -> tuple[AWSResponse, dict[str, Any]]:
    return _response({"Error": {"Code": code, "Message": message}}, status)


def _split_s3(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


class MediaConvert:
    """The per-cloud MediaConvert stand-in (``cloud.mediaconvert``).

    Args:
        cloud: The local cloud it belongs to.

    Attributes:
        job_seconds: Fake seconds a job takes from submission to COMPLETE or ERROR.
        jobs: Recorded jobs, oldest first.
        enforce_pass_role: When True, ``create_job`` called from a Lambda function is refused
            (``AccessDeniedException``) unless the function role's inline policies allow
            ``iam:PassRole`` on the job's role, as AWS checks (off by default: identity policies
            are not enforced elsewhere in the local cloud either).
    """

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.job_seconds = 60.0
        self.enforce_pass_role = False
        self.jobs: list[MediaConvertJob] = []
        self._validator = ParamValidator()

    # -- public helpers ------------------------------------------------------------------------
    def endpoint(self, region: str | None = None) -> str:
        """The account-specific endpoint ``describe_endpoints`` returns."""
        host = f"dojo{self.cloud.account_id[-6:]}.mediaconvert.{region or self.cloud.region}"
        return f"https://{host}.amazonaws.com"

    def job(self, job_id: str) -> MediaConvertJob:
        """The recorded job ``job_id`` (KeyError when there is none)."""
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)

    def billed_seconds(self) -> int:
        """Output seconds billed over all finished jobs (10-second rounding per output)."""
        return sum(job.billed_seconds for job in self.jobs)

    # -- the API -------------------------------------------------------------------------------
    def handle(self, operation: Any, params: dict[str, Any], region: str) -> Any:
        """Answer one API call; returns an (http, parsed) pair for botocore."""
        name = operation.name
        report = self._validator.validate(params, operation.input_shape)
        if report.has_errors():
            return _error("BadRequestException", report.generate_report(), 400)
        if name == "DescribeEndpoints":
            return _response({"Endpoints": [{"Url": self.endpoint(region)}]})
        if name == "CreateJob":
            return self._create_job(params, region)
        if name == "GetJob":
            try:
                return _response({"Job": self.job(params["Id"]).record()})
            except KeyError:
                return _error("NotFoundException", f"The job {params['Id']} was not found.", 404)
        if name == "ListJobs":
            return self._list_jobs(params)
        if name == "CancelJob":
            return self._cancel(params["Id"])
        return _error(
            "BadRequestException",
            f"The local MediaConvert does not implement {name}; it offers DescribeEndpoints, "
            "CreateJob, GetJob, ListJobs and CancelJob.",
            400,
        )

    def _create_job(self, params: dict[str, Any], region: str) -> Any:
        role = str(params["Role"])
        denied = self._pass_role_denied(role) if self.enforce_pass_role else None
        if denied:
            return _error("AccessDeniedException", denied, 403)
        problem = self._role_problem(role)
        if problem:
            return _error("ForbiddenException", problem, 403)
        inputs = params["Settings"].get("Inputs") or []
        if not inputs or not inputs[0].get("FileInput"):
            return _error(
                "BadRequestException",
                "/inputs: a job needs at least one input with a FileInput.",
                400,
            )
        now = self.cloud.clock.now()
        job_id = f"{int(now.timestamp() * 1000)}-{self.cloud.new_uuid()[:6]}"
        job = MediaConvertJob(
            id=job_id,
            arn=f"arn:aws:mediaconvert:{region}:{self.cloud.account_id}:jobs/{job_id}",
            role=role,
            settings=json.loads(json.dumps(params["Settings"])),
            queue=str(
                params.get("Queue")
                or f"arn:aws:mediaconvert:{region}:{self.cloud.account_id}:queues/Default"
            ),
            created_at=now,
            user_metadata=dict(params.get("UserMetadata") or {}),
        )
        self.jobs.append(job)
        self._state_change(job, region)
        self.cloud.clock.call_later(
            self.job_seconds, lambda: self._run(job, region), f"mediaconvert job {job_id}"
        )
        return _response({"Job": job.record()}, 201)

    def _role_problem(self, role_arn: str) -> str | None:
        iam = self.cloud.deliverer.client("iam", self.cloud.region)
        name = role_arn.rsplit("/", 1)[-1]
        try:
            document = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        except Exception:
            return f"Unable to assume role {role_arn}: the role does not exist."
        if isinstance(document, str):
            document = json.loads(document)
        from ._policy import evaluate_policy

        decision = evaluate_policy(
            document, "sts:AssumeRole", "*", {"Principal": "mediaconvert.amazonaws.com"}
        )
        if decision != "Allow":
            return (
                f"Unable to assume role {role_arn}: its trust policy does not let "
                "mediaconvert.amazonaws.com assume it."
            )
        return None

    def _pass_role_denied(self, role_arn: str) -> str | None:
        """Inside a handler: may the function's role pass ``role_arn``? (None when it may)."""
        from ._lambda import caller
        from ._policy import evaluate_policy

        who = caller()
        if not who.startswith("lambda:"):
            return None
        iam = self.cloud.deliverer.client("iam", self.cloud.region)
        function = self.cloud.deliverer.client(
            "lambda", self.cloud.region
        ).get_function_configuration(FunctionName=who.partition(":")[2])
        role_name = function["Role"].rsplit("/", 1)[-1]
        documents = [
            iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        ]
        if evaluate_policy(documents, "iam:PassRole", role_arn) == "Allow":
            return None
        return (
            f"User: {function['Role']} is not authorized to perform: iam:PassRole "
            f"on resource: {role_arn}"
        )

    def _list_jobs(self, params: dict[str, Any]) -> Any:
        jobs = [
            job for job in self.jobs if not params.get("Status") or job.status == params["Status"]
        ]
        if params.get("Order", "DESCENDING") == "DESCENDING":
            jobs = list(reversed(jobs))
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 20)
        page = jobs[start : start + size]
        parsed: dict[str, Any] = {"Jobs": [job.record() for job in page]}
        if start + size < len(jobs):
            parsed["NextToken"] = str(start + size)
        return _response(parsed)

    def _cancel(self, job_id: str) -> Any:
        try:
            job = self.job(job_id)
        except KeyError:
            return _error("NotFoundException", f"The job {job_id} was not found.", 404)
        if job.status in ("SUBMITTED", "PROGRESSING"):
            job.status = "CANCELED"
            job.finished_at = self.cloud.clock.now()
        return _response({}, 202)

    # -- running a job ---------------------------------------------------------------------------
    def _run(self, job: MediaConvertJob, region: str) -> None:
        if job.status != "SUBMITTED":
            return
        s3 = self.cloud.deliverer.client("s3", region)
        source = job.settings["Inputs"][0]["FileInput"]
        job.finished_at = self.cloud.clock.now()
        try:
            bucket, key = _split_s3(source)
            head = s3.head_object(Bucket=bucket, Key=key)
        except Exception:
            job.status, job.error_code = "ERROR", 1404
            job.error_message = (
                f"Unable to open input file [{source}]: "
                "[Failed probe/open: [Can't read input stream: "
                "[Failed to read data: HeadObject failed]]]"
            )
            self._state_change(job, region)
            return
        if not head.get("ContentLength"):
            job.status, job.error_code = "ERROR", 1010
            job.error_message = (
                f"Unable to open input file [{source}]: [Failed probe/open: [the input is empty]]"
            )
            self._state_change(job, region)
            return
        duration = float((head.get("Metadata") or {}).get("duration-seconds", DEFAULT_DURATION))
        base = posixpath.splitext(posixpath.basename(key))[0]
        written: list[str] = []
        for group in job.settings.get("OutputGroups") or []:
            destination = (
                (group.get("OutputGroupSettings") or {}).get("FileGroupSettings") or {}
            ).get("Destination")
            if not destination:
                continue
            out_bucket, prefix = _split_s3(destination)
            folder, name = (
                (prefix, base) if prefix.endswith("/") or not prefix else posixpath.split(prefix)
            )
            if folder and not folder.endswith("/"):
                folder += "/"
            for output in group.get("Outputs") or []:
                extension = output.get("Extension") or "mp4"
                out_key = f"{folder}{name}{output.get('NameModifier', '')}.{extension}"
                body = f"dojo placeholder rendition of {source} ({output.get('Preset', 'custom')})"
                try:
                    s3.put_object(Bucket=out_bucket, Key=out_key, Body=body.encode())
                except Exception as error:
                    job.status, job.error_code = "ERROR", 1401
                    job.error_message = (
                        f"Unable to write to output file [s3://{out_bucket}/{out_key}]: [{error}]"
                    )
                    self._state_change(job, region)
                    return
                written.append(f"s3://{out_bucket}/{out_key}")
        job.outputs = written
        job.billed_seconds = len(written) * int(math.ceil(duration / 10.0) * 10)
        job.status = "COMPLETE"
        self._state_change(job, region)

    def _state_change(self, job: MediaConvertJob, region: str) -> None:
        """Send the job's new state to EventBridge, when any rule could hear it."""
        events = self.cloud.deliverer.client("events", region)
        try:
            if not events.list_rules().get("Rules"):
                return
        except Exception:
            return
        detail: dict[str, Any] = {
            "status": job.status,
            "jobId": job.id,
            "queue": job.queue,
            "userMetadata": job.user_metadata,
        }
        if job.error_code is not None:
            detail.update(errorCode=job.error_code, errorMessage=job.error_message)
        events.put_events(
            Entries=[
                {
                    "Source": "aws.mediaconvert",
                    "DetailType": "MediaConvert Job State Change",
                    "Detail": json.dumps(detail),
                    "Resources": [job.arn],
                }
            ]
        )


def _before_call(model: Any, context: dict[str, Any] | None = None, **_: Any) -> Any:
    cloud = active()
    if cloud is None or model.service_model.service_name != "mediaconvert":
        return None
    params = (context or {}).get("dojo_params")
    if params is None:
        return _error("BadRequestException", "the local MediaConvert did not see the request", 400)
    region = (context or {}).get("client_region") or cloud.region
    return cloud.mediaconvert.handle(model, params, region)


def register_mediaconvert(session: Any = None) -> None:
    """Answer ``mediaconvert`` calls locally in every botocore session (once per process).

    Registered after the cloud's own hooks, so chaos on ``mediaconvert`` still applies first.
    """
    global _registered
    if _registered:
        return
    from botocore import handlers as botocore_handlers

    botocore_handlers.BUILTIN_HANDLERS.append(("before-call", _before_call))
    _registered = True
    if session is not None:
        session.events.register("before-call", _before_call, unique_id="dojo-cloud-mediaconvert")
