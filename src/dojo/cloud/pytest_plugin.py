"""pytest plugin: the ``local_cloud`` fixture and marker (registered under ``pytest11``).

def test_upload(local_cloud):
    ...

@pytest.mark.local_cloud(seed=3, strict=True, region="eu-west-1")
def test_strict(local_cloud):
    ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._cloud import LocalCloud

__all__ = ["local_cloud", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``local_cloud`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers", "local_cloud(**options): LocalCloud options for the local_cloud fixture"
    )


@pytest.fixture
def local_cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """A fresh, isolated :class:`~dojo.cloud.LocalCloud` for one test.

    Options come from the test's ``@pytest.mark.local_cloud(...)`` marker (same arguments as
    :class:`~dojo.cloud.LocalCloud`); the default is region us-east-1, seed 0.
    """
    marker = request.node.get_closest_marker("local_cloud")
    options = dict(marker.kwargs) if marker else {}
    with LocalCloud(**options) as cloud:
        yield cloud
