"""LocalCloud: one isolated, deterministic AWS on this machine (moto plus the local runtime)."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from . import _active
from ._apigateway import ApiRouter
from ._botocore import ApiGate, register_handlers
from ._chaos import Chaos
from ._chaos_env import apply_env_chaos
from ._clock import Clock
from ._deliver import Deliverer
from ._errors import LocalCloudError, LocalCloudGap
from ._esm import Mappings
from ._events import EventsService
from ._hooks import Patches
from ._http import ApiResponse, Interception
from ._iam import IamEnforcer, register_iam_handler
from ._lambda import LambdaService
from ._lifecycle import StartStop
from ._magic import register_magics
from ._mediaconvert import MediaConvert, register_mediaconvert
from ._notify import Notifications
from ._packaging import package as _package
from ._policy import PolicyEvaluator
from ._runtime import EnvironmentInfo, Runtime
from ._scheduler import SchedulerService
from ._sessions import new_session
from ._stepfunctions import StepFunctionsService
from ._trace import Trace
from ._ttl import TtlSweeper

__all__ = ["DEFAULT_ACCOUNT", "LocalCloud", "open"]

DEFAULT_ACCOUNT = "123456789012"
"""The account id moto (and so the local cloud) uses."""

# Pinned while a cloud runs (restored on stop): the region for plain boto3.client(), and the
# endpoint mode DynamoDB Streams needs with botocore 1.44 (see reference/moto-and-local-cloud.md).
_PINNED_ENV = ("AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID_ENDPOINT_MODE", "AWS_PROFILE")


class LocalCloud(StartStop):
    """An isolated local AWS in which Lambda handlers run and events flow.

    Use it as a context manager (``with LocalCloud() as cloud:``), a decorator, or with
    :meth:`start` / :meth:`stop`. Inside it, plain ``boto3.client(...)`` and :meth:`client` reach
    the same state; leaving it discards everything. Only one cloud runs at a time in a process.
    While it runs, ``AWS_DEFAULT_REGION`` is the cloud's region, moto supplies fake credentials,
    and ``AWS_ACCOUNT_ID_ENDPOINT_MODE`` is ``disabled``; all are restored on stop.
    Faults listed in the ``DOJO_CHAOS`` environment variable (game day, set by the workshop's
    grader) are injected at start; see :mod:`dojo.cloud._chaos_env`.

    Args:
        region: Default region for :meth:`client`.
        seed: Seed for everything random the cloud decides (alias routing, chaos rates, request
            ids, moto's resource ids), so runs repeat exactly.
        start: Where the fake clock starts (datetime, ISO string or epoch seconds).
        keep_alive: Seconds an idle Lambda execution environment stays warm.
        timeouts: How function ``Timeout`` is enforced: True (default: a watchdog interrupts
            a handler that overruns, at its next Python instruction), ``"thread"`` (a worker
            thread per invoke, which returns on time even when the handler is blocked in C), or
            False (no watchdog; only simulated time and the measured duration count).
        strict: Reject Lambda configurations AWS (or the course) rejects but moto accepts
            (Timeout 1-900 s, memory 128-10,240 MB, ephemeral storage, python3.11-3.13).
        enforce_iam: Deny boto3 calls the caller's policies do not allow (handlers act as
            their execution role) for DynamoDB, SQS, Lambda and S3; see :mod:`dojo.cloud._iam`
            for exactly what is checked.

    Attributes:
        clock: The fake :class:`~dojo.cloud.Clock`.
        trace: The :class:`~dojo.cloud.Trace` of every hop.
        chaos: Fault injection (:class:`~dojo.cloud.Chaos`).
        runtime: The in-process Lambda runtime (environments, cold starts).
        policy: An IAM policy evaluator (``cloud.policy.evaluate(doc, action, resource)``).
        apis: The API Gateway router behind :meth:`http` and intercepted ``requests``/``httpx``
            calls to execute-api URLs (REST and HTTP APIs; see ``dojo.cloud._apigateway``).
        iam: The request-time IAM check used when ``enforce_iam`` is on.

    Example:
        >>> with LocalCloud() as cloud:
        ...     s3 = boto3.client("s3")
        ...     s3.create_bucket(Bucket="uploads")
        ...     cloud.run_until_idle()
    """

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        seed: int = 0,
        start: Any = None,
        keep_alive: float = 600.0,
        timeouts: bool | str = True,
        strict: bool = False,
        enforce_iam: bool = False,
    ) -> None:
        self.region = region
        self.enforce_iam = enforce_iam
        self.account_id = DEFAULT_ACCOUNT
        self.seed = seed
        self.strict = strict
        self._keep_alive = keep_alive
        self._timeouts = timeouts
        self._start_at = start
        self._mock: Any = None
        self._started = False
        self._build()

    def _build(self) -> None:
        self.rng = random.Random(self.seed)
        self.clock = Clock(self._start_at)
        self.trace = Trace(clock=self.clock, live=True)
        self.chaos = Chaos(self, self.seed)
        self._env_chaos_applied = False
        self.runtime = Runtime(self, keep_alive=self._keep_alive, timeouts=self._timeouts)
        self.lambda_ = LambdaService(self)
        self.deliverer = Deliverer(self)
        self.notifications = Notifications(self)
        self.mappings = Mappings(self)
        self.api_gate = ApiGate(self)
        self.apis = ApiRouter(self)  # API Gateway requests (REST and HTTP APIs)
        self._interception = Interception(self)
        self.iam = IamEnforcer(self)
        self.policy = PolicyEvaluator()
        self.mediaconvert = MediaConvert(self)
        self.events = EventsService(self)  # EventBridge targets, schedule rules, replays
        self.scheduler = SchedulerService(self)  # EventBridge Scheduler on the clock
        self.ttl = TtlSweeper(self)  # DynamoDB TTL deletions on the clock
        self.stepfunctions = StepFunctionsService(self)  # ASL executions on the clock
        self.gaps: list[LocalCloudGap] = []
        self._patches = Patches(self)
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> LocalCloud:
        """Start the cloud: moto's mock, the fake clock, the runtime hooks. Returns the cloud."""
        if self._started:
            raise LocalCloudError("This LocalCloud is already running.")
        if _active.active() is not None:
            raise LocalCloudError(
                "Another LocalCloud is already running in this process; stop it first "
                "(clouds do not nest, because moto's state is process-wide)."
            )
        if self.runtime is None or getattr(self.runtime, "_closed", False):
            self._build()
        if not self._env_chaos_applied:  # game-day faults set by a grader (DOJO_CHAOS)
            apply_env_chaos(self.chaos)
            self._env_chaos_applied = True
        register_handlers(boto3.DEFAULT_SESSION)
        register_iam_handler(boto3.DEFAULT_SESSION)
        register_mediaconvert(boto3.DEFAULT_SESSION)  # after the hooks: chaos applies first
        self._saved_env = {name: os.environ.get(name) for name in _PINNED_ENV}
        os.environ.update(
            {"AWS_DEFAULT_REGION": self.region, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
        )
        os.environ.pop("AWS_PROFILE", None)
        # boto3's default session is kept between clouds: it holds no AWS state, and re-creating
        # it makes every first client ~100 ms slower. The hooks are added to it if it is older.
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "core": {"reset_boto3_session": False},
            }
        )
        self._mock.start()
        try:
            from moto.moto_api._internal import mock_random

            mock_random.seed(self.seed)
            self.clock.start()
            self._patches.install()
            self._interception.install()
        except BaseException:
            self.clock.stop()
            self._mock.stop()
            self._restore_env()
            raise
        _active.set_active(self)
        self._started = True
        register_magics()  # %%handler in notebooks; a no-op outside IPython
        return self

    def stop(self) -> None:
        """Discard every resource, restore real time and unhook moto."""
        if not self._started:
            return
        try:
            _active.set_active(None)
            self._patches.uninstall()
            self._interception.uninstall()
            self.clock.stop()
            self.runtime.close()
            self.deliverer.close()
            self._clients.clear()
            self._session = None
        finally:
            self._mock.stop()
            self._restore_env()
            self._started = False
            self.runtime._closed = True  # type: ignore[attr-defined]

    def _restore_env(self) -> None:
        for name, value in getattr(self, "_saved_env", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    @property
    def running(self) -> bool:
        """Whether the cloud is started."""
        return self._started

    # -- clients ---------------------------------------------------------------------------
    def client(self, service: str, region: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` in this cloud (cached when no extra arguments).

        It reaches the same state as plain ``boto3.client(service)``.
        """
        if not self._started:
            raise LocalCloudError("Start the cloud first (use `with LocalCloud() as cloud:`).")
        region = region or self.region
        if self._session is None:
            self._session = new_session(self.region)
        if kwargs:
            return self._session.client(service, region_name=region, **kwargs)
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region)
        return self._clients[key]

    def resource(self, service: str, region: str | None = None, **kwargs: Any) -> Any:
        """A boto3 resource (e.g. ``cloud.resource("dynamodb").Table("t")``)."""
        if self._session is None:
            self._session = new_session(self.region)
        return self._session.resource(service, region_name=region or self.region, **kwargs)

    # -- running ---------------------------------------------------------------------------
    def run_until_idle(self) -> int:
        """Deliver everything that is due now (async invokes, notifications, mapping batches).

        Returns:
            How many pieces of work ran.

        Raises:
            LocalCloudGap: if a delivery needed something the local cloud cannot do.
        """
        ran = self.clock.run_until_idle()
        self._raise_gaps()
        return ran

    def advance(self, seconds: float) -> int:
        """Shortcut for ``cloud.clock.advance(seconds)`` (moves time, delivers what falls due)."""
        ran = self.clock.advance(seconds)
        self._raise_gaps()
        return ran

    def _raise_gaps(self) -> None:
        if self.gaps:
            gap = self.gaps[0]
            self.gaps.clear()
            raise gap

    # -- APIs ------------------------------------------------------------------------------
    def http(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> ApiResponse:
        """Send an HTTP request to a deployed API Gateway stage (REST or HTTP API).

        ``requests`` and ``httpx`` calls to execute-api URLs reach the same router while the
        cloud runs; this helper needs neither. See :mod:`dojo.cloud._apigateway`.

        Example:
            >>> cloud.http("GET", f"https://{api_id}.execute-api.us-east-1.amazonaws.com/prod/items/1")
            <ApiResponse 200 '{"id": "1"}'>
        """
        return self.apis.http(
            method, url, headers=headers, body=body, json_body=json, params=params
        )

    # -- Lambda ----------------------------------------------------------------------------
    @property
    def outbox(self) -> list[dict[str, Any]]:
        """Messages SNS would have sent to email, email-json and SMS subscribers (never sent)."""
        return self.notifications.outbox

    def logs(self, function_name: str) -> list[str]:
        """Lines function ``function_name`` printed or logged, oldest first.

        The same lines (plus START/END/REPORT) are in CloudWatch Logs group
        ``/aws/lambda/<function_name>``.
        """
        return self.runtime.logs(function_name)

    def environments(self, function_name: str | None = None) -> list[EnvironmentInfo]:
        """Execution environments (warm or expired) the runtime has started."""
        return self.runtime.environments(function_name)

    def cold_starts(self, function_name: str) -> int:
        """How many execution environments ``function_name`` has started."""
        return self.runtime.cold_starts[function_name]

    def invocations(self, function_name: str) -> int:
        """How many times the handler of ``function_name`` ran."""
        return self.runtime.invocations[function_name]

    @property
    def force_cold(self) -> bool:
        """When True every invocation starts a new execution environment (for graders)."""
        return self.runtime.force_cold

    @force_cold.setter
    def force_cold(self, value: bool) -> None:
        self.runtime.force_cold = bool(value)

    @staticmethod
    def package(obj: Any, **kwargs: Any) -> bytes:
        """Alias of :func:`dojo.cloud.package` (the module cards call it ``aws.package``)."""
        return _package(obj, **kwargs)

    def scenario(self, name: str, variant: int = 0) -> dict[str, Any]:
        """Deploy a named scenario (often broken on purpose), e.g. ``cloud.scenario("24hv-broken", 2)``.

        Returns the names and ARNs it made, as plain data; see ``dojo.cloud._scenario``.
        """
        from ._scenario import load_scenario

        return load_scenario(self, name, variant)

    # -- helpers for the cloud's parts ------------------------------------------------------
    def new_uuid(self) -> str:
        """A request id drawn from the cloud's seeded RNG."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def __repr__(self) -> str:
        state = f"running at {self.clock.now().isoformat()}" if self._started else "stopped"
        return f"<LocalCloud {self.region} {state}, {len(self.trace)} hops>"


@contextmanager
def open(region: str = "us-east-1", **kwargs: Any) -> Iterator[LocalCloud]:
    """Open a :class:`LocalCloud` (the module cards' spelling: ``with dojo.cloud.open() as aws:``).

    Accepts the same arguments as :class:`LocalCloud`.
    """
    cloud = LocalCloud(region, **kwargs)
    with cloud:
        yield cloud
