"""The public API of dojo.workshop is exactly what __all__ names."""

from __future__ import annotations

import inspect

import dojo.workshop


def test_all_is_exactly_the_public_names() -> None:
    """Check that every name in __all__ imports and the package offers no other public name."""
    for name in dojo.workshop.__all__:
        assert getattr(dojo.workshop, name) is not None
    offered = {
        name
        for name, value in vars(dojo.workshop).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    } - {"annotations", "importlib", "TYPE_CHECKING", "Any"}
    assert offered == set(dojo.workshop.__all__)
    assert dojo.workshop.__all__ == sorted(dojo.workshop.__all__)
    assert dir(dojo.workshop) == sorted(dojo.workshop.__all__)
