"""Game-day chaos specs: what the instructor injects, checked and stored by the workshop service.

A spec is ``{"faults": [...]}`` where each fault is one of the local cloud's chaos verbs
(:class:`dojo.cloud.Chaos`):

- ``{"kind": "fail", "service": "dynamodb", "operation": "PutItem", "rate": 1.0}``
  (a failing downstream)
- ``{"kind": "throttle", "function": "resize"}`` (a throttled Lambda function)
- ``{"kind": "outage", "region": "us-east-1"}`` (a region outage)

The service records the spec (every change is kept) and publishes it at ``GET /api/chaos`` so
teams know what their architecture must survive. While a spec is in force, each submission is
graded a second time with its faults (``check_notebook(..., chaos=faults)`` puts them in the
sandbox's ``DOJO_CHAOS``, which every ``LocalCloud`` applies at start); one that scores the same
survived and earns its score again as the ``gameday`` task (board module ``gameday``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException

__all__ = ["parse_fault", "validate_chaos"]

_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_FIELDS = {
    "fail": ({"service"}, {"operation", "rate", "code"}),
    "throttle": ({"function"}, {"rate"}),
    "outage": ({"region"}, set()),
}


def validate_chaos(spec: dict[str, Any]) -> dict[str, Any]:
    """Check a spec and return it normalised; an empty spec (``{}``) means no chaos.

    Raises:
        HTTPException: 422 saying which fault is wrong and what is allowed.
    """
    faults = spec.get("faults", [])
    if set(spec) - {"faults"} or not isinstance(faults, list) or len(faults) > 20:
        raise HTTPException(422, 'a chaos spec is {"faults": [...]} with at most 20 faults')
    checked = []
    for index, fault in enumerate(faults):
        kind = fault.get("kind") if isinstance(fault, dict) else None
        if kind not in _FIELDS:
            raise HTTPException(
                422, f"fault {index}: kind must be one of {', '.join(sorted(_FIELDS))}"
            )
        required, optional = _FIELDS[kind]
        given = set(fault) - {"kind"}
        if not required <= given or given - required - optional:
            raise HTTPException(
                422,
                f"fault {index} ({kind}): needs {sorted(required)}, "
                f"may have {sorted(optional)}, got {sorted(given)}",
            )
        for name in given - {"rate"}:
            if not isinstance(fault[name], str) or not _WORD.match(fault[name]):
                raise HTTPException(422, f"fault {index} ({kind}): {name} must be a plain name")
        if "rate" in fault and not (
            isinstance(fault["rate"], int | float) and 0 < fault["rate"] <= 1
        ):
            raise HTTPException(422, f"fault {index} ({kind}): rate must be in (0, 1]")
        checked.append(dict(fault))
    return {"faults": checked} if checked else {}


def parse_fault(kind: str, target: str, rate: float | None = None) -> dict[str, Any]:
    """A fault from the command line.

    ``fail dynamodb[:PutItem]``, ``throttle FUNCTION`` or ``outage REGION``.
    """
    if kind == "fail":
        service, _, operation = target.partition(":")
        fault: dict[str, Any] = {"kind": "fail", "service": service}
        if operation:
            fault["operation"] = operation
    elif kind == "throttle":
        fault = {"kind": "throttle", "function": target}
    else:
        fault = {"kind": "outage", "region": target}
    if rate is not None and kind != "outage":
        fault["rate"] = rate
    return fault
