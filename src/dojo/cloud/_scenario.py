"""Scenarios: named, seeded deployments (often broken on purpose) to diagnose and repair.

A scenario is a function that builds resources in a running cloud and returns what it made.
Modules and labs load them with ``cloud.scenario(name, variant)``; new ones are declared with
:func:`scenario`::

    @scenario("24hv-broken", variants={0: "healthy", 1: "S3 may not invoke the function"})
    def broken_video_pipeline(cloud, variant):
        ...
        return {"function_name": ...}

Built-in scenarios live in ``dojo.cloud.scenarios`` and are registered on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import LocalCloudError

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["Scenario", "load_scenario", "scenario", "scenarios"]

_BUILTIN_MODULES = ("dojo.cloud.scenarios.video",)


@dataclass(frozen=True)
class Scenario:
    """A registered scenario: its name, its variants (number → what is wrong) and its builder."""

    name: str
    variants: Mapping[int, str]
    build: Callable[[Any, int], dict[str, Any]]


_REGISTRY: dict[str, Scenario] = {}


def scenario(
    name: str, variants: Mapping[int, str]
) -> Callable[[Callable[[Any, int], dict[str, Any]]], Scenario]:
    """Register a scenario builder under ``name`` with its ``variants``."""

    def register(build: Callable[[Any, int], dict[str, Any]]) -> Scenario:
        entry = Scenario(name, dict(variants), build)
        _REGISTRY[name] = entry
        return entry

    return register


def scenarios() -> dict[str, Scenario]:
    """Every registered scenario, built-in ones included, by name."""
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def load_scenario(cloud: LocalCloud, name: str, variant: int = 0) -> dict[str, Any]:
    """Build scenario ``name`` (variant ``variant``) in the running ``cloud``.

    Returns:
        Plain data (so it crosses into graders): ``name``, ``variant``, ``description`` and the
        names and ARNs the builder made.

    Raises:
        LocalCloudError: when the cloud is not running, or the scenario or variant is unknown
            (the message lists what exists).
    """
    if not cloud.running:
        raise LocalCloudError("Start the cloud before loading a scenario.")
    known = scenarios()
    if name not in known:
        raise LocalCloudError(
            f"No scenario {name!r}; known scenarios: {', '.join(sorted(known)) or 'none'}."
        )
    entry = known[name]
    if variant not in entry.variants:
        listed = "; ".join(f"{n} = {text}" for n, text in sorted(entry.variants.items()))
        raise LocalCloudError(
            f"Scenario {name!r} has no variant {variant!r}; its variants: {listed}."
        )
    resources = entry.build(cloud, variant)
    return {"name": name, "variant": variant, "description": entry.variants[variant], **resources}
