"""Built-in scenarios for ``LocalCloud.scenario(name, variant)``: seeded, often broken deployments.

- ``24hv-broken`` (:mod:`dojo.cloud.scenarios.video`): the 24-Hour Video pipeline, healthy
  (variant 0) or with one of four faults to diagnose from metrics, logs and job records.

Declare more with ``dojo.cloud._scenario.scenario`` in a module listed in ``_BUILTIN_MODULES``.
"""

from . import video

__all__ = ["video"]
