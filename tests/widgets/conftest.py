"""Fixtures for the widget tests: a local cloud with a wired estate and some traffic through it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dojo.cloud import LocalCloud

_spec = importlib.util.spec_from_file_location(
    "dojo_widget_estate", Path(__file__).with_name("_estate.py")
)
assert _spec is not None and _spec.loader is not None
estate_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(estate_module)
build_estate: Callable[..., dict[str, str]] = estate_module.build_estate


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    """A fresh local cloud for one test."""
    with LocalCloud() as c:
        yield c


@pytest.fixture
def estate(cloud: LocalCloud) -> dict[str, Any]:
    """The wired estate of ``_estate.py`` (prefix ``w``) in ``cloud``; returns its ARNs."""
    return build_estate(cloud.client)


@pytest.fixture
def traffic(cloud: LocalCloud, estate: dict[str, Any]) -> LocalCloud:
    """One good upload and one that fails until its OnFailure destination (the DLQ) gets it."""
    s3 = cloud.client("s3")
    s3.put_object(Bucket="w-uploads", Key="cat.png", Body=b"x")
    s3.put_object(Bucket="w-uploads", Key="fail.png", Body=b"x")
    cloud.run_until_idle()
    cloud.advance(600)
    return cloud
