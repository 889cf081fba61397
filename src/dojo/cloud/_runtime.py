"""The in-process Lambda runtime: execution environments, context, errors and logs.

Handlers run in this Python process, from the function's uploaded zip, in an execution
environment that is reused while warm (module-level code runs once per environment, keep-alive
on the fake clock) and discarded after a timeout or an init error. Each run is isolated from the
host process by :mod:`._sandbox` and bounded in time by :mod:`._deadline`. Results, errors and
the START/END/REPORT log lines follow the AWS Python runtime; AWS/Lambda metrics are published to
CloudWatch. Init code is not time-limited and memory limits are not enforced.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._deadline import Invocation, run_with_deadline
from ._errors import LocalCloudGap
from ._sandbox import LambdaLogHandler, LineSink, Sandbox, top_level_names

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = [
    "EnvironmentInfo",
    "InvocationResult",
    "LambdaContext",
    "Runtime",
    "Throttled",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Throttled(Exception):
    """Internal signal: the invocation was throttled (becomes TooManyRequestsException)."""

    def __init__(self, function_name: str, reason: str) -> None:
        super().__init__(f"Rate Exceeded. ({reason} for function {function_name})")
        self.function_name = function_name
        self.reason = reason


@dataclass(frozen=True)
class InvocationResult:
    """What one handler run produced.

    Attributes:
        request_id: The ``aws_request_id`` the handler saw.
        function_name: Function name (unqualified).
        version: Version that ran (``$LATEST`` or a number).
        payload: Response payload as JSON bytes (the error document on failure).
        function_error: ``"Unhandled"`` when the handler failed, else None.
        error_type: ``errorType`` of the failure, else None.
        log: The full log text of this invocation (START ... REPORT).
        duration_ms: Handler duration (real plus simulated time).
        init_duration_ms: Time spent importing the handler module on a cold start, else None.
        cold: Whether a new execution environment was started.
        timed_out: Whether the handler ran past its Timeout.
    """

    request_id: str
    function_name: str
    version: str
    payload: bytes
    function_error: str | None
    error_type: str | None
    log: str
    duration_ms: float
    init_duration_ms: float | None
    cold: bool
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True if the handler returned normally."""
        return self.function_error is None

    def json(self) -> Any:
        """The payload decoded from JSON."""
        return json.loads(self.payload or b"null")

    @property
    def log_tail(self) -> str:
        """Base64 of the last 4 KB of the log, as ``LogType="Tail"`` returns it."""
        return base64.b64encode(self.log.encode()[-4096:]).decode()


@dataclass
class EnvironmentInfo:
    """A snapshot of one execution environment (for lessons and graders)."""

    id: str
    function_name: str
    version: str
    invocations: int
    busy: bool
    alive: bool
    created_at: float
    last_used: float


class LambdaContext:
    """The ``context`` object handed to a handler, shaped like the AWS Python runtime's."""

    def __init__(
        self, invocation: Invocation, fn: Any, version: str, invoked_arn: str, env: _Environment
    ):
        self._invocation = invocation
        self.function_name: str = fn.function_name
        self.function_version: str = version
        self.invoked_function_arn: str = invoked_arn
        self.memory_limit_in_mb: int = int(fn.memory_size)
        self.aws_request_id: str = invocation.request_id
        self.log_group_name: str = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name: str = env.log_stream
        self.identity: Any = None
        self.client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's Timeout (real plus simulated time)."""
        return max(0, int(self._invocation.remaining_ms()))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(function_name={self.function_name!r}, function_version="
            f"{self.function_version!r}, aws_request_id={self.aws_request_id!r})"
        )


class _Environment:
    """One execution environment: an imported handler plus its modules."""

    def __init__(
        self,
        key: tuple[Any, ...],
        fn: Any,
        version: str,
        code_dir: str,
        top_names: set[str],
        now: float,
    ):
        self.key = key
        self.id = uuid.uuid4().hex
        self.function_name = fn.function_name
        self.version = version
        day = time.strftime("%Y/%m/%d", time.gmtime(now))
        self.log_stream = f"{day}/[{version}]{self.id}"
        self.sandbox = Sandbox(code_dir, top_names)
        self.handler: Any = None
        self.created_at = now
        self.last_used = now
        self.busy = False
        self.dead = False
        self.invocations = 0

    def info(self, keep_alive: float, now: float) -> EnvironmentInfo:
        alive = not self.dead and (self.busy or now - self.last_used <= keep_alive)
        return EnvironmentInfo(
            self.id,
            self.function_name,
            self.version,
            self.invocations,
            self.busy,
            alive,
            self.created_at,
            self.last_used,
        )


@dataclass
class _Outcome:
    result: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    init_error: dict[str, Any] | None = None
    lines: list[str] = field(default_factory=list)


def _error_document(exc: BaseException, request_id: str, code_dir: str) -> dict[str, Any]:
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if os.path.dirname(os.path.abspath(f.filename)) != _PACKAGE_DIR
    ]
    for frame in frames:
        if frame.filename.startswith(code_dir):
            frame.filename = "/var/task" + frame.filename[len(code_dir) :]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(
            [(f.filename, f.lineno or 0, f.name, f.line) for f in frames]
        ),
    }


class Runtime:
    """Runs Lambda handlers in-process (one per :class:`~dojo.cloud.LocalCloud`).

    Args:
        cloud: The owning cloud (for the clock, trace, chaos and RNG).
        keep_alive: Seconds an idle environment stays warm (fake time).
        timeouts: How ``Timeout`` is enforced (see the module docstring): True (a watchdog
            interrupts the handler on the caller's thread), ``"thread"`` (a worker thread per
            invoke; returns on time even when the handler is blocked in C), or False (only
            simulated time and the time measured after the handler returns count; an endless
            handler hangs).
    """

    def __init__(
        self, cloud: LocalCloud, *, keep_alive: float = 600.0, timeouts: bool | str = True
    ) -> None:
        self.cloud = cloud
        self.keep_alive = keep_alive
        self.timeouts = timeouts
        self.force_cold = False
        self.max_environments: int | None = None
        self.cold_starts: Counter[str] = Counter()
        self.invocations: Counter[str] = Counter()
        self._envs: dict[tuple[Any, ...], list[_Environment]] = {}
        self._code_dirs: dict[str, tuple[str, set[str]]] = {}
        self._logs: dict[str, list[str]] = {}
        self._workdir = tempfile.mkdtemp(prefix="dojo-cloud-")
        self._streams: set[tuple[str, str]] = set()

    def close(self) -> None:
        """Forget every environment and delete unpacked code."""
        self._envs.clear()
        self._code_dirs.clear()
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- queries -------------------------------------------------------------------------
    def logs(self, function_name: str) -> list[str]:
        return list(self._logs.get(function_name, []))

    def environments(self, function_name: str | None = None) -> list[EnvironmentInfo]:
        now = self.cloud.clock.time()
        return [
            env.info(self.keep_alive, now)
            for envs in self._envs.values()
            for env in envs
            if function_name is None or env.function_name == function_name
        ]

    def busy_count(self, account: str, region: str, function_name: str) -> int:
        return sum(
            1
            for key, envs in self._envs.items()
            if key[:3] == (account, region, function_name)
            for env in envs
            if env.busy
        )

    def throttle_reason(self, fn: Any, latest: Any) -> str | None:
        """Why an invocation of ``fn`` would be throttled right now, or None."""
        reserved = getattr(latest, "reserved_concurrency", None)
        if reserved is not None and self.busy_count(
            fn.account_id, fn.region, fn.function_name
        ) >= int(reserved):
            return "ReservedFunctionConcurrentInvocationLimitExceeded"
        if self.cloud.chaos.function_throttled(fn.function_name):
            return "ChaosInjectedThrottle"
        return None

    # -- code -----------------------------------------------------------------------------
    def _code_dir(self, fn: Any) -> tuple[str, set[str]]:
        sha = getattr(fn, "code_sha_256", None) or "nosha"
        cached = self._code_dirs.get(sha)
        if cached:
            return cached
        code = getattr(fn, "code_bytes", None)
        if not code:
            raise LocalCloudGap(
                f"function {fn.function_name} has no zip code the local cloud can read",
                hint="Upload the code with Code={'ZipFile': ...} or from an S3 object that exists.",
            )
        target = os.path.join(self._workdir, sha.replace("/", "_").replace("+", "-")[:40])
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(target)
            names = top_level_names(archive)
        self._code_dirs[sha] = (target, names)
        return target, names

    @staticmethod
    def _check_supported(fn: Any) -> None:
        if getattr(fn, "package_type", "Zip") == "Image":
            raise LocalCloudGap(
                f"function {fn.function_name} is a container image (PackageType=Image)",
                hint="The local cloud runs Python zip packages only.",
            )
        runtime = str(getattr(fn, "run_time", "") or "")
        if not runtime.startswith("python"):
            raise LocalCloudGap(
                f"function {fn.function_name} uses runtime {runtime!r}",
                hint="The local cloud runs Python handlers only (python3.x runtimes).",
            )
        if getattr(fn, "layers", None):
            raise LocalCloudGap(
                f"function {fn.function_name} uses Lambda layers",
                hint="Put the layer's code in the function's zip instead.",
            )

    def _environment(self, fn: Any, version: str) -> tuple[_Environment, bool]:
        code_dir, top_names = self._code_dir(fn)
        config = (
            fn.handler,
            fn.run_time,
            str(fn.memory_size),
            str(fn.timeout),
            json.dumps(fn.environment_vars, sort_keys=True),
        )
        key = (fn.account_id, fn.region, fn.function_name, version, fn.code_sha_256, config)
        now = self.cloud.clock.time()
        envs = self._envs.setdefault(key, [])
        # Stale environments (code or config changed, keep-alive over) are dropped.
        for other_key in [k for k in self._envs if k[:4] == key[:4] and k != key]:
            self._envs[other_key] = [e for e in self._envs[other_key] if e.busy]
        envs[:] = [
            e for e in envs if e.busy or (not e.dead and now - e.last_used <= self.keep_alive)
        ]
        if not self.force_cold:
            for env in envs:
                if not env.busy and env.handler is not None:
                    return env, False
        if self.max_environments is not None and len(envs) >= self.max_environments:
            raise Throttled(fn.function_name, "MaxEnvironmentsReached")
        env = _Environment(key, fn, version, code_dir, top_names, now)
        envs.append(env)
        return env, True

    # -- invoking ------------------------------------------------------------------------
    def invoke(
        self,
        fn: Any,
        latest: Any,
        payload: bytes | str,
        *,
        invoked_arn: str,
        source: str = "client",
        kind: str = "invoke",
        request_id: str | None = None,
    ) -> InvocationResult:
        """Run the handler of ``fn`` (a moto LambdaFunction for the version to run).

        Raises:
            Throttled: when reserved concurrency or chaos throttles the call.
            LocalCloudGap: for functions the local cloud cannot run.
        """
        self._check_supported(fn)
        version = str(fn.version)
        target = f"lambda:{fn.function_name}"
        reason = self.throttle_reason(fn, latest)
        if reason:
            self.cloud.trace.record(source, target, kind, "throttled", "throttled", reason=reason)
            self._metrics(fn, Throttles=1.0)
            raise Throttled(fn.function_name, reason)
        try:
            env, cold = self._environment(fn, version)
        except Throttled as exc:
            self.cloud.trace.record(
                source, target, kind, "throttled", "throttled", reason=exc.reason
            )
            self._metrics(fn, Throttles=1.0)
            raise
        request_id = request_id or self.cloud.new_uuid()
        event_text = payload.decode() if isinstance(payload, bytes) else (payload or "{}")
        try:
            event = json.loads(event_text) if event_text.strip() else {}
        except json.JSONDecodeError as exc:
            raise LocalCloudGap(
                f"invoking {fn.function_name} with a payload that is not JSON ({exc})"
            ) from exc

        env.busy = True
        self.invocations[fn.function_name] += 1
        if cold:
            self.cold_starts[fn.function_name] += 1
        outcome = _Outcome()
        invocation = Invocation(fn.function_name, request_id, float(fn.timeout), self.cloud)
        init_ms: float | None = None
        saved_env = dict(os.environ)
        os.environ.update(self._env_vars(fn, version, env))
        saved_streams = sys.stdout, sys.stderr
        sink = LineSink(outcome.lines)
        sys.stdout = sys.stderr = sink
        log_handler = LambdaLogHandler(outcome.lines, request_id)
        root = logging.getLogger()
        root.addHandler(log_handler)
        env.sandbox.activate()
        try:
            if env.handler is None:
                t0 = time.perf_counter()
                self._init(fn, env, outcome)
                init_ms = (time.perf_counter() - t0) * 1000.0
            if outcome.init_error is None:
                invocation.start_real = time.perf_counter()
                self._run_handler(
                    env.handler,
                    event,
                    LambdaContext(invocation, fn, version, invoked_arn, env),
                    invocation,
                    outcome,
                )
        finally:
            env.sandbox.deactivate()
            root.removeHandler(log_handler)
            sys.stdout, sys.stderr = saved_streams
            sink.flush_partial()
            for name in [n for n in os.environ if n not in saved_env]:
                del os.environ[name]
            for name, value in saved_env.items():
                if os.environ.get(name) != value:
                    os.environ[name] = value
            env.busy = False
            env.invocations += 1
            env.last_used = self.cloud.clock.time()
        duration_ms = invocation.elapsed_s() * 1000.0
        result = self._finish(fn, version, env, invocation, outcome, duration_ms, init_ms, cold)
        self._metrics(
            fn, Invocations=1.0, Errors=0.0 if result.ok else 1.0, Duration=round(duration_ms, 3)
        )
        self.cloud.trace.record(
            source,
            target,
            kind,
            f"{'cold' if cold else 'warm'} start, version {version}",
            "ok" if result.ok else "error",
            duration_ms,
            request_id=request_id,
            cold=cold,
            version=version,
            error_type=result.error_type,
        )
        return result

    def _env_vars(self, fn: Any, version: str, env: _Environment) -> dict[str, str]:
        variables = {
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": env.log_stream,
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "LAMBDA_TASK_ROOT": env.sandbox.code_dir,
            "_HANDLER": str(fn.handler),
        }
        variables.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
        return variables

    def _init(self, fn: Any, env: _Environment, outcome: _Outcome) -> None:
        handler = str(fn.handler or "")
        module_name, _, func_name = handler.rpartition(".")
        module_name = module_name.replace("/", ".")
        if not module_name or not func_name:
            outcome.init_error = {
                "errorMessage": (
                    f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"
                ),
                "errorType": "Runtime.MalformedHandlerName",
                "stackTrace": [],
            }
            return
        import importlib

        try:
            module = importlib.import_module(module_name)
        except SyntaxError as exc:
            outcome.init_error = {
                "errorMessage": f"Syntax error in module '{module_name}': {exc}",
                "errorType": "Runtime.UserCodeSyntaxError",
                "stackTrace": [
                    f'  File "/var/task/{module_name}.py" Line {exc.lineno}\n    {exc.text}\n'
                ],
            }
            return
        except ImportError as exc:
            outcome.init_error = {
                "errorMessage": f"Unable to import module '{module_name}': {exc}",
                "errorType": "Runtime.ImportModuleError",
                "stackTrace": [],
            }
            return
        except Exception as exc:
            outcome.init_error = _error_document(exc, "", env.sandbox.code_dir)
            outcome.init_error.pop("requestId", None)
            return
        function = getattr(module, func_name, None)
        if not callable(function):
            outcome.init_error = {
                "errorMessage": f"Handler '{func_name}' missing on module '{module_name}'",
                "errorType": "Runtime.HandlerNotFound",
                "stackTrace": [],
            }
            return
        env.handler = function

    def _run_handler(
        self,
        handler: Any,
        event: Any,
        context: LambdaContext,
        invocation: Invocation,
        outcome: _Outcome,
    ) -> None:
        chaos_error = self.cloud.chaos.function_fault(invocation.function_name)

        def call() -> None:
            if chaos_error is not None:
                raise chaos_error
            outcome.result = handler(event, context)
            after = self.cloud.chaos.function_after_fault(invocation.function_name)
            if after is not None:
                raise after

        outcome.timed_out, outcome.error = run_with_deadline(call, invocation, self.timeouts)

    def _finish(
        self,
        fn: Any,
        version: str,
        env: _Environment,
        invocation: Invocation,
        outcome: _Outcome,
        duration_ms: float,
        init_ms: float | None,
        cold: bool,
    ) -> InvocationResult:
        request_id = invocation.request_id
        stamp = self.cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        error_doc: dict[str, Any] | None = None
        payload = b"null"
        if outcome.init_error is not None:
            error_doc = dict(outcome.init_error)
            env.dead = True
            env.handler = None
            outcome.lines.append(f"[ERROR] {error_doc['errorType']}: {error_doc['errorMessage']}")
        elif outcome.timed_out:
            env.dead = True
            error_doc = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": (
                    f"RequestId: {request_id} Error: "
                    f"Task timed out after {float(fn.timeout):.2f} seconds"
                ),
            }
            outcome.lines.append(
                f"{stamp} {request_id} Task timed out after {float(fn.timeout):.2f} seconds"
            )
        elif outcome.error is not None:
            exc = outcome.error
            if isinstance(exc, SystemExit):
                env.dead = True
                error_doc = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": (
                        f"RequestId: {request_id} Error: "
                        f"Runtime exited with error: exit status {exc.code}"
                    ),
                }
            else:
                error_doc = _error_document(exc, request_id, env.sandbox.code_dir)
            lines = [f"[ERROR] {error_doc['errorType']}: {error_doc['errorMessage']}"]
            if error_doc.get("stackTrace"):
                lines.append("Traceback (most recent call last):")
                lines.extend("".join(error_doc["stackTrace"]).rstrip("\n").split("\n"))
            outcome.lines.extend(lines)
        else:
            try:
                payload = json.dumps(outcome.result).encode()
            except (TypeError, ValueError) as exc:
                error_doc = {
                    "errorMessage": f"Unable to marshal response: {exc}",
                    "errorType": "Runtime.MarshalError",
                    "requestId": request_id,
                    "stackTrace": [],
                }
        if error_doc is not None:
            payload = json.dumps(error_doc).encode()
        billed = max(1, math.ceil(duration_ms))
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {billed} ms\t"
            f"Memory Size: {fn.memory_size} MB\tMax Memory Used: {min(int(fn.memory_size), 64)} MB"
        )
        if cold and init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        log_lines = [
            f"START RequestId: {request_id} Version: {version}",
            *outcome.lines,
            f"END RequestId: {request_id}",
            report,
        ]
        self._logs.setdefault(fn.function_name, []).extend(outcome.lines)
        self._write_cloudwatch(fn, env, log_lines)
        return InvocationResult(
            request_id=request_id,
            function_name=fn.function_name,
            version=version,
            payload=payload,
            function_error="Unhandled" if error_doc is not None else None,
            error_type=error_doc.get("errorType") if error_doc else None,
            log="\n".join(log_lines) + "\n",
            duration_ms=duration_ms,
            init_duration_ms=init_ms if cold else None,
            cold=cold,
            timed_out=outcome.timed_out,
        )

    def _metrics(self, fn: Any, **values: float) -> None:
        """Publish AWS/Lambda metrics (moto emits none) with the FunctionName dimension."""
        from moto.cloudwatch.models import cloudwatch_backends

        backend = cloudwatch_backends[fn.account_id][fn.region]
        dimensions = [{"Name": "FunctionName", "Value": fn.function_name}]
        backend.put_metric_data(
            "AWS/Lambda",
            [
                {
                    "MetricName": name,
                    "Value": value,
                    "Dimensions": dimensions,
                    "Unit": "Milliseconds" if name == "Duration" else "Count",
                }
                for name, value in values.items()
            ],
        )

    def _write_cloudwatch(self, fn: Any, env: _Environment, lines: list[str]) -> None:
        logs_backend = fn.logs_backend
        group = f"/aws/lambda/{fn.function_name}"
        if (group, env.log_stream) not in self._streams or group not in logs_backend.groups:
            logs_backend.ensure_log_group(group)
            if env.log_stream not in logs_backend.groups[group].streams:
                logs_backend.create_log_stream(group, env.log_stream)
            self._streams.add((group, env.log_stream))
        stamp = int(self.cloud.clock.time() * 1000)
        logs_backend.put_log_events(
            group, env.log_stream, [{"timestamp": stamp, "message": line} for line in lines]
        )
