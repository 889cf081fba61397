"""The curated public APIs of dojo.widgets and dojo.sims."""

from __future__ import annotations

import types

import pytest

import dojo.sims
import dojo.widgets


@pytest.mark.parametrize("package", [dojo.widgets, dojo.sims], ids=lambda p: p.__name__)
def test_all_is_exactly_the_public_names(package: types.ModuleType) -> None:
    """Check that __all__ lists every public name of the package and nothing else."""
    public = {
        name
        for name in vars(package)
        if not name.startswith("_") and not isinstance(getattr(package, name), types.ModuleType)
    }
    assert set(package.__all__) == public
    assert len(package.__all__) == len(set(package.__all__))


@pytest.mark.parametrize("package", [dojo.widgets, dojo.sims], ids=lambda p: p.__name__)
def test_every_public_object_has_a_docstring(package: types.ModuleType) -> None:
    """Check that every public class and function is documented."""
    for name in package.__all__:
        obj = getattr(package, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name
