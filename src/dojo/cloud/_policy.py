"""An IAM policy evaluator (``aws.policy.evaluate``), because moto's enforcement is partial.

moto's optional IAM enforcement checks most services against resource ``*`` and ignores
conditions, so lessons grade policy documents with this evaluator instead. It implements the
documented logic for one or more policies: an explicit ``Deny`` wins, otherwise an ``Allow``
that matches (Action/NotAction, Resource/NotResource, Principal/NotPrincipal when a principal
is given, Condition) allows, otherwise the request is implicitly denied.

Not modelled: permission boundaries, SCPs, session policies, cross-account rules; the condition
operators cover the String, Numeric, Date, Bool, Arn, IpAddress and Null families with
``...IfExists`` and the ``ForAllValues:``/``ForAnyValue:`` set prefixes.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PolicyDecision", "PolicyEvaluator", "evaluate_policy"]

_DECISIONS = ("Allow", "Deny", "ImplicitDeny")


@dataclass(frozen=True)
class PolicyDecision:
    """The result of evaluating a request against policies.

    Compares equal to its decision string, so ``evaluate(...) == "Allow"`` works.

    Attributes:
        decision: ``"Allow"``, ``"Deny"`` or ``"ImplicitDeny"``.
        statement: Sid (or ``#index``) of the statement that decided, if any.
        reason: Why, in words.
    """

    decision: str
    statement: str | None
    reason: str

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.decision == other
        if isinstance(other, PolicyDecision):
            return (self.decision, self.statement) == (other.decision, other.statement)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.decision)

    def __bool__(self) -> bool:
        return self.decision == "Allow"

    def __str__(self) -> str:
        return self.decision

    def __repr__(self) -> str:
        where = f" by {self.statement}" if self.statement else ""
        return f"<{self.decision}{where}: {self.reason}>"

    def _repr_html_(self) -> str:
        colour = {"Allow": "green", "Deny": "red"}.get(self.decision, "grey")
        return (
            f"<b style='color:{colour}'>{html.escape(self.decision)}</b> "
            f"{html.escape(self.statement or '')} — {html.escape(self.reason)}"
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return (
        re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
        is not None
    )


def _substitute(text: str, context: Mapping[str, Any]) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        value = _lookup(context, key)
        return str(value[0]) if value else match.group(0)

    return re.sub(r"\$\{([^}]+)\}", repl, text)


def _lookup(context: Mapping[str, Any], key: str) -> list[Any]:
    for name, value in context.items():
        if name.lower() == key.lower():
            return _as_list(value)
    return []


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    base = operator
    if base.startswith("String"):
        a, e = str(actual), str(expected)
        if "IgnoreCase" in base:
            return a.lower() == e.lower()
        if "Like" in base:
            return _wildcard(e, a)
        return a == e
    if base.startswith("Numeric"):
        a_num, e_num = float(actual), float(expected)
        return {
            "NumericEquals": a_num == e_num,
            "NumericLessThan": a_num < e_num,
            "NumericLessThanEquals": a_num <= e_num,
            "NumericGreaterThan": a_num > e_num,
            "NumericGreaterThanEquals": a_num >= e_num,
        }.get(base.replace("Not", ""), False)
    if base.startswith("Date"):

        def when(value: Any) -> float:
            if isinstance(value, dt.datetime):
                return value.timestamp()
            text = str(value)
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return float(text)
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

        a_t, e_t = when(actual), when(expected)
        return {
            "DateEquals": a_t == e_t,
            "DateLessThan": a_t < e_t,
            "DateLessThanEquals": a_t <= e_t,
            "DateGreaterThan": a_t > e_t,
            "DateGreaterThanEquals": a_t >= e_t,
        }.get(base.replace("Not", ""), False)
    if base == "Bool":
        return str(actual).lower() == str(expected).lower()
    if base.startswith("Arn"):
        return (
            _wildcard(str(expected), str(actual)) if "Like" in base or "Equals" in base else False
        )
    if base.startswith("IpAddress") or base.startswith("NotIpAddress"):
        return ipaddress.ip_address(str(actual)) in ipaddress.ip_network(
            str(expected), strict=False
        )
    raise ValueError(f"Condition operator {operator!r} is not supported by the course evaluator.")


_NEGATED = (
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
)


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    set_op = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAllValues", "ForAnyValue"):
        set_op, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = _lookup(context, key)
    expected_values = [
        _substitute(str(e), context) if isinstance(e, str) else e for e in _as_list(expected)
    ]
    if operator == "Null":
        want_missing = str(expected_values[0]).lower() == "true"
        return (not actual) == want_missing
    if not actual:
        # A missing key: ForAllValues and ...IfExists hold, negated operators hold, others fail.
        return set_op == "ForAllValues" or if_exists or operator in _NEGATED
    negated = operator in _NEGATED
    positive = (
        operator.replace("Not", "", 1) if negated and operator != "NotIpAddress" else operator
    )
    if operator == "NotIpAddress":
        positive = "IpAddress"

    def matches(value: Any) -> bool:
        return any(_compare(positive, value, e) for e in expected_values)

    if set_op == "ForAllValues":
        result = all(matches(v) for v in actual)
    else:
        result = any(matches(v) for v in actual)
    return not result if negated else result


def _principal_matches(principal: Any, wanted: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        values = [v for vs in principal.values() for v in _as_list(vs)]
    else:
        values = _as_list(principal)
    return any(v == "*" or _wildcard(str(v), wanted) for v in values)


def _statements(documents: Any) -> list[tuple[str, dict[str, Any]]]:
    docs = documents if isinstance(documents, list) else [documents]
    found: list[tuple[str, dict[str, Any]]] = []
    for d_index, doc in enumerate(docs):
        if isinstance(doc, str):
            doc = json.loads(doc)
        if not isinstance(doc, Mapping) or "Statement" not in doc:
            raise ValueError(
                f"Policy {d_index} has no 'Statement'; a policy looks like "
                "{'Version': '2012-10-17', 'Statement': [...]}."
            )
        for s_index, statement in enumerate(_as_list(doc["Statement"])):
            if statement.get("Effect") not in ("Allow", "Deny"):
                effect = statement.get("Effect")
                raise ValueError(
                    f"Statement {s_index} needs Effect 'Allow' or 'Deny', got {effect!r}."
                )
            if ("Action" in statement) == ("NotAction" in statement):
                raise ValueError(f"Statement {s_index} needs exactly one of Action or NotAction.")
            label = statement.get("Sid") or (
                f"#{s_index}" if len(docs) == 1 else f"#{d_index}.{s_index}"
            )
            found.append((label, statement))
    return found


def evaluate_policy(
    documents: Any,
    action: str,
    resource: str = "*",
    context: Mapping[str, Any] | None = None,
) -> PolicyDecision:
    """Decide whether ``action`` on ``resource`` is allowed by the given policies.

    Args:
        documents: One policy (dict or JSON text) or a list of them.
        action: ``service:Operation``, such as ``"s3:GetObject"``.
        resource: The resource ARN.
        context: Condition keys (``{"aws:SourceArn": ..., "aws:SecureTransport": "true"}``);
            a ``"Principal"`` entry is matched against Principal/NotPrincipal.

    Returns:
        A :class:`PolicyDecision` (equal to ``"Allow"``, ``"Deny"`` or ``"ImplicitDeny"``).
    """
    context = dict(context or {})
    principal = next((str(v) for k, v in context.items() if k.lower() == "principal"), None)
    allowed: PolicyDecision | None = None
    for label, statement in _statements(documents):
        if "Action" in statement:
            action_ok = any(
                _wildcard(a, action, ignore_case=True) for a in _as_list(statement["Action"])
            )
        else:
            action_ok = not any(
                _wildcard(a, action, ignore_case=True) for a in _as_list(statement["NotAction"])
            )
        if not action_ok:
            continue
        if "Resource" in statement or "NotResource" in statement:
            patterns = [
                _substitute(r, context)
                for r in _as_list(statement.get("Resource", statement.get("NotResource")))
            ]
            hit = any(_wildcard(p, resource) for p in patterns)
            if hit != ("Resource" in statement):
                continue
        if principal is not None and ("Principal" in statement or "NotPrincipal" in statement):
            hit = _principal_matches(
                statement.get("Principal", statement.get("NotPrincipal")), principal
            )
            if hit != ("Principal" in statement):
                continue
        conditions = statement.get("Condition") or {}
        if not all(
            _condition_holds(operator, key, expected, context)
            for operator, block in conditions.items()
            for key, expected in block.items()
        ):
            continue
        if statement["Effect"] == "Deny":
            return PolicyDecision(
                "Deny", label, f"statement {label} explicitly denies {action} on {resource}"
            )
        if allowed is None:
            allowed = PolicyDecision(
                "Allow", label, f"statement {label} allows {action} on {resource}"
            )
    return allowed or PolicyDecision(
        "ImplicitDeny", None, f"no statement allows {action} on {resource}"
    )


class PolicyEvaluator:
    """``aws.policy``: evaluate IAM policy documents (see :func:`evaluate_policy`)."""

    @staticmethod
    def evaluate(
        documents: Any, action: str, resource: str = "*", context: Mapping[str, Any] | None = None
    ) -> PolicyDecision:
        """Decide ``action`` on ``resource`` (``Allow``, ``Deny`` or ``ImplicitDeny``)."""
        return evaluate_policy(documents, action, resource, context)

    @staticmethod
    def evaluate_all(documents: Any, requests: Iterable[tuple[str, str]]) -> list[PolicyDecision]:
        """Evaluate several (action, resource) pairs against the same policies."""
        return [evaluate_policy(documents, action, resource) for action, resource in requests]
