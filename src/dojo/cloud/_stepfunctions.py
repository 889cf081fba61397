"""Step Functions executions: a compact, deterministic ASL interpreter on the fake clock.

Why not moto's interpreter: moto 5.2.5 runs the vendored LocalStack interpreter in worker threads
that sleep in real time for ``Wait`` and ``Retry``, outlive the mock, and name unnamed executions
``...:None``. Patching its sleeps would still leave thread scheduling (Parallel and Map branches
run in threads) deciding the order of effects. The cloud keeps moto for the control plane
(state machines, definition validation, ``describe_execution``, ``list_executions``,
``stop_execution``) and runs executions itself:

* every execution is a chain of Python generators, one per state machine / branch / iteration;
  a state that must wait yields what it waits on (a clock time, a task token), and the clock or
  ``SendTaskSuccess``/``SendTaskFailure`` resumes it. No threads, no real sleeping: a one-day
  ``Wait`` finishes on ``cloud.clock.advance(86400)``;
* Parallel branches and Map iterations interleave in a fixed order (``MaxConcurrency`` honoured);
* states: Pass, Task, Choice, Wait, Parallel, Map (inline), Succeed, Fail, with InputPath,
  Parameters, ResultSelector, ResultPath, OutputPath, ItemsPath/ItemSelector, Retry (interval,
  backoff, MaxDelaySeconds, full jitter seeded), Catch, TimeoutSeconds/HeartbeatSeconds on
  ``.waitForTaskToken``, the context object (``$$``) and intrinsic functions;
* tasks: Lambda (``arn:aws:lambda:...`` and ``arn:aws:states:::lambda:invoke``) run in the local
  runtime; ``sqs``, ``sns``, ``dynamodb``, ``events``, ``states:startExecution`` and
  ``aws-sdk:*`` call moto through internal clients; ``.sync`` and activities raise
  :class:`LocalCloudGap`;
* executions start when the cloud runs due work (``run_until_idle``/``advance``), as they start
  asynchronously on AWS; unnamed executions get a unique (seeded) name.

``describe_execution`` and ``get_execution_history`` reflect the run; every state exit is in
``cloud.trace`` (kind ``state``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from . import _jsonpath
from ._asl import StatesError, apply_parameters, evaluate_choice, read_path
from ._errors import LocalCloudGap

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["StepFunctionsService"]

_NAME_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_SERVICES = {"states": "stepfunctions", "sfn": "stepfunctions", "dynamodb": "dynamodb"}
_UNCATCHABLE = {"States.Runtime"}


class _Block:
    """Something an execution waits on: a clock time or a task token."""

    def __init__(self, due: float | None = None, token: str | None = None) -> None:
        self.due = due
        self.token = token
        self.done = False
        self.value: Any = None
        self.armed = False
        self.cancelled = False
        self.heartbeat: _Block | None = None
        self.heartbeat_seconds: float | None = None


Waits = Generator[list[_Block], None, Any]


def _plain(value: Any) -> Any:
    """boto3 results → JSON values (datetimes as ISO strings, bytes decoded)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, dt.datetime):
            return obj.isoformat()
        if isinstance(obj, (bytes, bytearray)):
            return obj.decode(errors="replace")
        if hasattr(obj, "read"):
            return obj.read().decode(errors="replace")
        return str(obj)

    return json.loads(json.dumps(value, default=default))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _iso(seconds: float) -> str:
    """ISO 8601 with milliseconds, as the context object shows times."""
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Run:
    """One execution being interpreted."""

    def __init__(
        self, execution: Any, machine: Any, definition: dict[str, Any], data: Any, seed: str
    ):
        self.execution = execution
        self.machine = machine
        self.definition = definition
        self.input = data
        self.rng = random.Random(seed)
        self.history: list[dict[str, Any]] = []
        self.gen: Waits | None = None
        self.finished = False
        self.tokens: list[str] = []


class StepFunctionsService:
    """Runs Step Functions executions (``cloud.stepfunctions``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.runs: dict[str, _Run] = {}
        self.tokens: dict[str, tuple[_Run, _Block]] = {}

    # -- API (hooked moto backend methods) -------------------------------------------------------
    def start_execution(
        self, backend: Any, machine_arn: str, name: Any, execution_input: Any
    ) -> Any:
        from moto.stepfunctions.exceptions import InvalidExecutionInput, InvalidName
        from moto.stepfunctions.models import Execution

        machine = backend.describe_state_machine(machine_arn)
        if name:
            if len(name) > 80 or _NAME_FORBIDDEN.search(name):
                raise InvalidName(f"Invalid Name: '{name}'")
        else:
            name = self.cloud.new_uuid()
        text = execution_input if execution_input is not None else "{}"
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None
        existing = machine._handle_name_input_idempotency(name, text)
        if existing is not None:
            return existing
        service = self

        class _Execution(Execution):
            def stop(self, *args: Any, **kwargs: Any) -> None:
                service.abort(self.execution_arn, kwargs.get("error"), kwargs.get("cause"))

        execution = _Execution(
            region_name=backend.region_name,
            account_id=backend.account_id,
            state_machine_name=machine.name,
            execution_name=name,
            state_machine_arn=machine.arn,
            execution_input=text,
        )
        execution.status = "RUNNING"
        machine.executions.append(execution)
        run = _Run(
            execution,
            machine,
            json.loads(machine.definition),
            data,
            f"{self.cloud.seed}:{execution.execution_arn}",
        )
        self.runs[execution.execution_arn] = run
        self._event(
            run,
            "ExecutionStarted",
            "executionStartedEventDetails",
            input=text,
            inputDetails={"truncated": False},
            roleArn=machine.roleArn,
        )
        self.cloud.trace.record(
            "client", f"states:{machine.name}", "async", f"execution {name} started", "ok"
        )
        self.cloud.clock.call_later(0, lambda: self._resume(run), f"states {machine.name}")
        return execution

    def send_task_success(self, token: str, output: str) -> None:
        block = self._token_block(token)
        try:
            value = json.loads(output)
        except (TypeError, ValueError):
            from moto.stepfunctions.exceptions import InvalidExecutionInput

            raise InvalidExecutionInput("Invalid output: not JSON") from None
        block.value = ("success", value)
        self._complete_token(token, block)

    def send_task_failure(self, token: str, error: Any, cause: Any) -> None:
        block = self._token_block(token)
        block.value = ("failure", error or "", cause or "")
        self._complete_token(token, block)

    def send_task_heartbeat(self, token: str) -> None:
        block = self._token_block(token)
        if block.heartbeat is not None and block.heartbeat_seconds is not None:
            block.heartbeat.cancelled = True
            run = self.tokens[token][0]
            block.heartbeat = _Block(due=self.cloud.clock.time() + block.heartbeat_seconds)
            self._arm(run, block.heartbeat)

    def _token_block(self, token: str) -> _Block:
        entry = self.tokens.get(token)
        if entry is None or entry[1].done:
            from moto.stepfunctions.exceptions import InvalidToken

            raise InvalidToken("the token is unknown or its task has already finished")
        return entry[1]

    def _complete_token(self, token: str, block: _Block) -> None:
        run = self.tokens.pop(token)[0]
        block.done = True
        self.cloud.clock.call_later(0, lambda: self._resume(run), "states task token")

    def history(self, backend: Any, execution_arn: str) -> dict[str, Any]:
        backend.describe_execution(execution_arn)  # raises ExecutionDoesNotExist
        run = self.runs.get(execution_arn)
        return {"events": [dict(e) for e in run.history] if run else []}

    def abort(self, execution_arn: str, error: Any = None, cause: Any = None) -> None:
        run = self.runs.get(execution_arn)
        if run is None or run.finished:
            return
        if run.gen is not None:
            run.gen.close()
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v}
        self._finish(run, "ABORTED", "ExecutionAborted", "executionAbortedEventDetails", **details)

    # -- driving -----------------------------------------------------------------------------
    def _resume(self, run: _Run) -> None:
        if run.finished:
            return
        if run.gen is None:
            run.gen = self._machine(run, run.definition, run.input, {})
        try:
            blocks = run.gen.send(None)
        except StopIteration as stop:
            output = json.dumps(stop.value)
            run.execution.output = output
            run.execution.output_details = {"included": True}
            self._finish(
                run,
                "SUCCEEDED",
                "ExecutionSucceeded",
                "executionSucceededEventDetails",
                output=output,
                outputDetails={"truncated": False},
            )
            return
        except StatesError as exc:
            run.execution.error = exc.error
            run.execution.cause = exc.cause
            self._finish(
                run,
                "FAILED",
                "ExecutionFailed",
                "executionFailedEventDetails",
                error=exc.error,
                cause=exc.cause,
            )
            return
        for block in blocks:
            self._arm(run, block)

    def _arm(self, run: _Run, block: _Block) -> None:
        if block.armed:
            return
        block.armed = True
        if block.token is not None:
            self.tokens[block.token] = (run, block)
            run.tokens.append(block.token)
        elif block.due is not None:

            def fire() -> None:
                if block.cancelled:
                    return
                block.done = True
                self._resume(run)

            self.cloud.clock.call_at(block.due, fire, f"states {run.machine.name} wait")

    def _finish(self, run: _Run, status: str, event: str, key: str, **details: Any) -> None:
        from moto.core.utils import utcnow

        run.finished = True
        run.execution.status = status
        run.execution.stop_date = utcnow()
        for token in run.tokens:
            self.tokens.pop(token, None)
        self._event(run, event, key, **details)
        outcome = "ok" if status == "SUCCEEDED" else "error"
        summary = f"execution {run.execution.name} {status}"
        if status == "FAILED":
            summary += f" ({details.get('error')})"
        self.cloud.trace.record(
            f"states:{run.machine.name}", f"states:{run.machine.name}", "state", summary, outcome
        )

    def _event(self, run: _Run, kind: str, key: str | None = None, **details: Any) -> None:
        event: dict[str, Any] = {
            "timestamp": self.cloud.clock.now(),
            "type": kind,
            "id": len(run.history) + 1,
            "previousEventId": len(run.history),
        }
        if key:
            event[key] = details
        run.history.append(event)

    # -- the interpreter ---------------------------------------------------------------------
    def _context(self, run: _Run, state: str, extra: dict[str, Any]) -> dict[str, Any]:
        execution = run.execution
        context = {
            "Execution": {
                "Id": execution.execution_arn,
                "Input": run.input,
                "Name": execution.name,
                "RoleArn": run.machine.roleArn,
                "StartTime": _iso(_aware(execution.start_date).timestamp()),
            },
            "State": {"EnteredTime": _iso(self.cloud.clock.time()), "Name": state, "RetryCount": 0},
            "StateMachine": {"Id": run.machine.arn, "Name": run.machine.name},
        }
        context.update(extra)
        return context

    def _machine(
        self, run: _Run, machine: dict[str, Any], data: Any, extra: dict[str, Any]
    ) -> Waits:
        states = machine.get("States") or {}
        name: str | None = machine.get("StartAt")
        while name is not None:
            if name not in states:
                raise StatesError("States.Runtime", f"State {name!r} is not defined")
            state = states[name]
            data, name = yield from self._state(run, name, state, data, extra)
        return data

    def _state(
        self, run: _Run, name: str, state: dict[str, Any], data: Any, extra: dict[str, Any]
    ) -> Generator[list[_Block], None, tuple[Any, str | None]]:
        kind = state.get("Type")
        self._event(
            run,
            f"{kind}StateEntered",
            "stateEnteredEventDetails",
            name=name,
            input=json.dumps(data),
            inputDetails={"truncated": False},
        )
        context = self._context(run, name, extra)
        try:
            if kind in ("Task", "Parallel", "Map"):
                output, following = yield from self._with_retry(
                    run, name, state, data, context, extra
                )
            elif kind == "Pass":
                effective = self._input(state, data, context, run)
                result = state.get("Result", effective)
                output, following = (
                    self._output(state, data, result, context, run),
                    _next(state),
                )
            elif kind == "Choice":
                effective = _path_or_all(state.get("InputPath", "$"), data, context)
                following = next(
                    (
                        c["Next"]
                        for c in state.get("Choices", [])
                        if evaluate_choice(c, effective, context)
                    ),
                    state.get("Default"),
                )
                if following is None:
                    raise StatesError("States.NoChoiceMatched", f"No choice rule matched in {name}")
                output = _path_or_all(state.get("OutputPath", "$"), effective, context)
            elif kind == "Wait":
                effective = _path_or_all(state.get("InputPath", "$"), data, context)
                due = self._wait_until(state, effective, context)
                block = _Block(due=due)
                if due > self.cloud.clock.time():
                    while not block.done:
                        yield [block]
                output = _path_or_all(state.get("OutputPath", "$"), effective, context)
                following = _next(state)
            elif kind == "Succeed":
                effective = _path_or_all(state.get("InputPath", "$"), data, context)
                output, following = (
                    _path_or_all(state.get("OutputPath", "$"), effective, context),
                    None,
                )
            elif kind == "Fail":
                error = state.get("Error", "States.Fail")
                cause = state.get("Cause", "")
                if "ErrorPath" in state:
                    error = read_path(state["ErrorPath"], data, context)
                if "CausePath" in state:
                    cause = read_path(state["CausePath"], data, context)
                raise StatesError(str(error), str(cause))
            else:
                raise StatesError("States.Runtime", f"State {name!r} has unknown Type {kind!r}")
        except StatesError:
            self.cloud.trace.record(
                f"states:{run.machine.name}", f"state:{name}", "state", str(kind), "error"
            )
            raise
        self._event(
            run,
            f"{kind}StateExited",
            "stateExitedEventDetails",
            name=name,
            output=json.dumps(output),
            outputDetails={"truncated": False},
        )
        self.cloud.trace.record(
            f"states:{run.machine.name}", f"state:{name}", "state", str(kind), "ok"
        )
        return output, following

    @staticmethod
    def _input(state: dict[str, Any], data: Any, context: dict[str, Any], run: _Run) -> Any:
        effective = _path_or_all(state.get("InputPath", "$"), data, context)
        if "Parameters" in state:
            effective = apply_parameters(state["Parameters"], effective, context, run.rng)
        return effective

    @staticmethod
    def _output(
        state: dict[str, Any], raw: Any, result: Any, context: dict[str, Any], run: _Run
    ) -> Any:
        if "ResultSelector" in state:
            result = apply_parameters(state["ResultSelector"], result, context, run.rng)
        result_path = state.get("ResultPath", "$")
        if result_path is None:
            combined = raw
        else:
            try:
                combined = _jsonpath.put(raw, result_path, result)
            except _jsonpath.PathError as exc:
                raise StatesError("States.Runtime", str(exc)) from None
        return _path_or_all(state.get("OutputPath", "$"), combined, context)

    def _wait_until(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> float:
        now = self.cloud.clock.time()
        if "Seconds" in state:
            return now + float(state["Seconds"])
        if "SecondsPath" in state:
            value = read_path(state["SecondsPath"], data, context)
            if not isinstance(value, (int, float)) or value < 0:
                raise StatesError("States.Runtime", f"SecondsPath gave {value!r}, not seconds")
            return now + float(value)
        stamp = state.get("Timestamp")
        if "TimestampPath" in state:
            stamp = read_path(state["TimestampPath"], data, context)
        try:
            return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise StatesError(
                "States.Runtime", f"Wait timestamp {stamp!r} is not ISO 8601"
            ) from None

    # -- Retry / Catch -------------------------------------------------------------------------
    def _with_retry(
        self,
        run: _Run,
        name: str,
        state: dict[str, Any],
        data: Any,
        context: dict[str, Any],
        extra: dict[str, Any],
    ) -> Generator[list[_Block], None, tuple[Any, str | None]]:
        attempts: dict[int, int] = {}
        while True:
            try:
                kind = state["Type"]
                if kind == "Task" and str(state.get("Resource", "")).endswith(".waitForTaskToken"):
                    token = self.cloud.new_uuid().replace("-", "") * 2
                    context["Task"] = {"Token": token}
                effective = self._input(state, data, context, run)
                if kind == "Task":
                    result = yield from self._task(run, name, state, effective, context)
                elif kind == "Parallel":
                    result = yield from self._parallel(run, state, effective, extra)
                else:
                    result = yield from self._map(run, state, effective, data, context, extra)
                return self._output(state, data, result, context, run), _next(state)
            except StatesError as exc:
                retrier = self._retrier(state.get("Retry", []), exc.error)
                if retrier is not None:
                    index, spec = retrier
                    attempts[index] = attempts.get(index, 0) + 1
                    if attempts[index] <= int(spec.get("MaxAttempts", 3)):
                        delay = float(spec.get("IntervalSeconds", 1)) * float(
                            spec.get("BackoffRate", 2.0)
                        ) ** (attempts[index] - 1)
                        if "MaxDelaySeconds" in spec:
                            delay = min(delay, float(spec["MaxDelaySeconds"]))
                        if spec.get("JitterStrategy") == "FULL":
                            delay = run.rng.uniform(0, delay)
                        context["State"]["RetryCount"] = sum(attempts.values())
                        self.cloud.trace.record(
                            f"states:{run.machine.name}",
                            f"state:{name}",
                            "state",
                            f"retry {attempts[index]} after {exc.error} in {delay:g} s",
                            "error",
                        )
                        block = _Block(due=self.cloud.clock.time() + delay)
                        while not block.done:
                            yield [block]
                        continue
                for catcher in state.get("Catch", []):
                    if _matches(catcher.get("ErrorEquals", []), exc.error):
                        info = {"Error": exc.error, "Cause": exc.cause}
                        path = catcher.get("ResultPath", "$")
                        output = data if path is None else _jsonpath.put(data, path, info)
                        return output, catcher["Next"]
                raise

    @staticmethod
    def _retrier(retriers: list[dict[str, Any]], error: str) -> tuple[int, dict[str, Any]] | None:
        for index, spec in enumerate(retriers):
            if _matches(spec.get("ErrorEquals", []), error):
                return index, spec
        return None

    # -- Parallel and Map ----------------------------------------------------------------------
    def _gather(
        self, makers: list[Callable[[], Waits]], limit: int
    ) -> Generator[list[_Block], None, list[Any]]:
        results: list[Any] = [None] * len(makers)
        active: dict[int, tuple[Waits, list[_Block] | None]] = {}
        started = 0
        try:
            while True:
                while started < len(makers) and (limit <= 0 or len(active) < limit):
                    active[started] = (makers[started](), None)
                    started += 1
                pending: list[_Block] = []
                for index in sorted(active):
                    gen, blocks = active[index]
                    if blocks is not None and not any(b.done for b in blocks):
                        pending.extend(blocks)
                        continue
                    try:
                        blocks = gen.send(None)
                    except StopIteration as stop:
                        results[index] = stop.value
                        del active[index]
                        continue
                    active[index] = (gen, blocks)
                    pending.extend(blocks)
                if not active and started >= len(makers):
                    return results
                if started < len(makers) and (limit <= 0 or len(active) < limit):
                    continue
                yield pending
        finally:
            for gen, _ in active.values():
                gen.close()

    def _parallel(
        self, run: _Run, state: dict[str, Any], data: Any, extra: dict[str, Any]
    ) -> Waits:
        branches = state.get("Branches", [])
        makers: list[Callable[[], Waits]] = [
            functools.partial(self._machine, run, branch, data, extra) for branch in branches
        ]
        return (yield from self._gather(makers, 0))

    def _map(
        self,
        run: _Run,
        state: dict[str, Any],
        effective: Any,
        raw: Any,
        context: dict[str, Any],
        extra: dict[str, Any],
    ) -> Waits:
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is None:
            raise StatesError("States.Runtime", "Map state has no ItemProcessor")
        if (processor.get("ProcessorConfig") or {}).get(
            "Mode"
        ) == "DISTRIBUTED" or "ItemReader" in state:
            gap = LocalCloudGap(
                "a distributed Map state (ItemReader / DISTRIBUTED mode)",
                hint="Use an inline Map over an array in the input.",
            )
            self.cloud.gaps.append(gap)
            raise StatesError("States.Runtime", str(gap))
        # ItemsPath reads the state input after InputPath (Parameters apply per item).
        base = _path_or_all(state.get("InputPath", "$"), raw, context)
        items = _path_or_all(state.get("ItemsPath", "$"), base, context)
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f"ItemsPath did not select an array: {items!r}")
        selector = state.get("ItemSelector", state.get("Parameters"))
        makers: list[Callable[[], Waits]] = []
        for index, item in enumerate(items):
            item_context = {**context, "Map": {"Item": {"Index": index, "Value": item}}}
            value = (
                apply_parameters(selector, base, item_context, run.rng)
                if selector is not None
                else item
            )
            makers.append(
                functools.partial(
                    self._machine, run, processor, value, {**extra, "Map": item_context["Map"]}
                )
            )
        return (yield from self._gather(makers, int(state.get("MaxConcurrency", 0) or 0)))

    # -- Task ----------------------------------------------------------------------------------
    def _task(
        self, run: _Run, name: str, state: dict[str, Any], params: Any, context: dict[str, Any]
    ) -> Waits:
        resource = str(state.get("Resource", ""))
        wait_token = resource.endswith(".waitForTaskToken")
        base = resource.removesuffix(".waitForTaskToken")
        token = (context.get("Task") or {}).get("Token") if wait_token else None
        self._event(
            run,
            "TaskScheduled",
            "taskScheduledEventDetails",
            resource=base,
            resourceType=_resource_type(base),
            region=self.cloud.region,
            parameters=json.dumps(params),
        )
        if base.startswith("arn:aws:lambda:"):
            result = self._invoke_lambda(base, params, direct=True)
        elif base.startswith("arn:aws:states:::"):
            result = self._integration(run, base, params)
        else:
            gap = LocalCloudGap(
                f"Step Functions task resource {resource}",
                hint="Activities and this integration are not emulated.",
            )
            self.cloud.gaps.append(gap)
            raise StatesError("States.Runtime", str(gap))
        if wait_token:
            assert token is not None
            block = _Block(token=token)
            timeout = (
                _Block(due=self.cloud.clock.time() + float(state["TimeoutSeconds"]))
                if "TimeoutSeconds" in state
                else None
            )
            if "HeartbeatSeconds" in state:
                block.heartbeat_seconds = float(state["HeartbeatSeconds"])
                block.heartbeat = _Block(due=self.cloud.clock.time() + block.heartbeat_seconds)
            while not block.done:
                if timeout is not None and timeout.done:
                    self.tokens.pop(token, None)
                    raise StatesError(
                        "States.Timeout", f"Task {name} timed out waiting for its token"
                    )
                if block.heartbeat is not None and block.heartbeat.done:
                    self.tokens.pop(token, None)
                    raise StatesError("States.HeartbeatTimeout", f"Task {name} missed a heartbeat")
                yield [b for b in (block, timeout, block.heartbeat) if b is not None]
            if block.value[0] == "failure":
                self._event(
                    run,
                    "TaskFailed",
                    "taskFailedEventDetails",
                    resource=base,
                    resourceType=_resource_type(base),
                    error=block.value[1],
                    cause=block.value[2],
                )
                raise StatesError(block.value[1], block.value[2])
            result = block.value[1]
        self._event(
            run,
            "TaskSucceeded",
            "taskSucceededEventDetails",
            resource=base,
            resourceType=_resource_type(base),
            output=json.dumps(result),
        )
        return result

    def _invoke_lambda(self, function: str, params: Any, *, direct: bool) -> Any:
        region = function.split(":")[3] if function.startswith("arn:") else self.cloud.region
        client = self.cloud.deliverer.client("lambda", region)
        if direct:
            kwargs = {"FunctionName": function, "Payload": json.dumps(params).encode()}
        else:
            kwargs = dict(params)
            given: Any = kwargs.get("Payload", {})
            kwargs["Payload"] = (given if isinstance(given, str) else json.dumps(given)).encode()
        try:
            response = client.invoke(**kwargs)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise StatesError(f"Lambda.{code}", str(exc)) from None
        raw = response["Payload"].read().decode()
        payload: Any = json.loads(raw) if raw else None
        if response.get("FunctionError"):
            error = (
                payload.get("errorType", "Lambda.Unknown")
                if isinstance(payload, dict)
                else "Lambda.Unknown"
            )
            raise StatesError(error, raw)
        if direct:
            return payload
        return {
            "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
            "Payload": payload,
            "SdkHttpMetadata": {"HttpStatusCode": response.get("StatusCode", 200)},
            "SdkResponseMetadata": {"RequestId": response["ResponseMetadata"].get("RequestId", "")},
            "StatusCode": response.get("StatusCode", 200),
        }

    def _integration(self, run: _Run, resource: str, params: Any) -> Any:
        path = resource.split(":::", 1)[1]
        if path.endswith((".sync", ".sync:2")):
            gap = LocalCloudGap(
                f"the .sync integration pattern ({resource})",
                hint="Use .waitForTaskToken or poll with a Wait loop.",
            )
            self.cloud.gaps.append(gap)
            raise StatesError("States.Runtime", str(gap))
        parts = path.split(":")
        if parts[0] == "aws-sdk":
            service, action, prefix = parts[1], parts[2], parts[1][:1].upper() + parts[1][1:]
        else:
            service, action = parts[0], parts[1]
            prefix = {
                "dynamodb": "DynamoDB",
                "sqs": "SQS",
                "sns": "SNS",
                "events": "EventBridge",
                "states": "StepFunctions",
                "lambda": "Lambda",
            }.get(service, service)
        if service == "lambda" and action == "invoke":
            return self._invoke_lambda(str(params.get("FunctionName")), params, direct=False)
        kwargs = dict(params) if isinstance(params, dict) else {}
        if service == "sqs" and not isinstance(kwargs.get("MessageBody", ""), str):
            kwargs["MessageBody"] = json.dumps(kwargs["MessageBody"])
        if service == "sns" and not isinstance(kwargs.get("Message", ""), str):
            kwargs["Message"] = json.dumps(kwargs["Message"])
        if service == "events":
            for entry in kwargs.get("Entries", []):
                if not isinstance(entry.get("Detail", ""), str):
                    entry["Detail"] = json.dumps(entry["Detail"])
        if service in ("states", "sfn") and action == "startExecution":
            if not isinstance(kwargs.get("Input", ""), str):
                kwargs["Input"] = json.dumps(kwargs["Input"])
            kwargs = {k[:1].lower() + k[1:]: v for k, v in kwargs.items()}
        client = self.cloud.deliverer.client(_SERVICES.get(service, service), self.cloud.region)
        method = getattr(client, _snake(action), None)
        if method is None:
            raise StatesError("States.Runtime", f"{service} has no action {action}")
        try:
            response = method(**kwargs)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code is None:
                raise StatesError("States.TaskFailed", str(exc)) from None
            raise StatesError(f"{prefix}.{code}", str(exc)) from None
        response = dict(response)
        response.pop("ResponseMetadata", None)
        return _plain(response)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _next(state: dict[str, Any]) -> str | None:
    """The state after this one on success (None when it ends the machine)."""
    return None if state.get("End") else state.get("Next")


def _matches(names: list[str], error: str) -> bool:
    if error in _UNCATCHABLE:
        return error in names
    if error in names or "States.ALL" in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


def _path_or_all(path: Any, data: Any, context: dict[str, Any]) -> Any:
    if path is None:
        return {}
    return read_path(path, data, context)


def _resource_type(resource: str) -> str:
    if resource.startswith("arn:aws:lambda:"):
        return "lambda"
    parts = resource.split(":::", 1)[-1].split(":")
    return parts[1] if parts[0] == "aws-sdk" and len(parts) > 1 else parts[0]
