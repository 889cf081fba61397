"""Chaos from the environment: game-day faults a grader sets for every cloud the learner starts.

``DOJO_CHAOS`` holds a JSON list of faults (the workshop's game-day spec, see
:mod:`dojo.workshop._chaos`)::

    [{"kind": "fail", "service": "dynamodb", "operation": "PutItem", "rate": 1.0},
     {"kind": "throttle", "function": "resize"},
     {"kind": "outage", "region": "us-east-1"}]

:meth:`LocalCloud.start` applies them with :class:`~dojo.cloud.Chaos` (``fail``,
``throttle_function``, ``outage(region=...)``), so a lab's code runs against the injected faults
without knowing it. Unset or empty means no chaos.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._chaos import Chaos, Injection
from ._errors import LocalCloudError

__all__ = ["CHAOS_ENV", "apply_env_chaos"]

CHAOS_ENV = "DOJO_CHAOS"


def apply_env_chaos(chaos: Chaos, environ: Any = None) -> list[Injection]:
    """Inject the faults listed in ``DOJO_CHAOS`` into ``chaos``; returns the injections.

    Raises:
        LocalCloudError: when the variable is not a JSON list of known faults.
    """
    text = (os.environ if environ is None else environ).get(CHAOS_ENV, "").strip()
    if not text:
        return []
    try:
        faults = json.loads(text)
        if not isinstance(faults, list):
            raise ValueError("not a list")
        return [_inject(chaos, dict(fault)) for fault in faults]
    except (ValueError, TypeError, KeyError) as error:
        raise LocalCloudError(f"{CHAOS_ENV} is not a list of chaos faults: {error}") from None


def _inject(chaos: Chaos, fault: dict[str, Any]) -> Injection:
    kind, rate = fault.get("kind"), fault.get("rate")
    if kind == "fail":
        extra = {"error": fault["code"]} if fault.get("code") else {}
        return chaos.fail(fault["service"], fault.get("operation"), rate=rate, **extra)
    if kind == "throttle":
        return chaos.throttle_function(fault["function"], rate=rate)
    if kind == "outage":
        return chaos.outage(region=fault["region"])
    raise ValueError(f"unknown fault kind {kind!r}")
