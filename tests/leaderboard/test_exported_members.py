"""The package's public API is exactly its ``__all__``."""

from __future__ import annotations

import dojo.leaderboard as lb


def test_all_is_exactly_the_public_names() -> None:
    """Check that ``__all__`` lists every public name of the package and nothing else."""
    public = {
        name
        for name, value in vars(lb).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("dojo.leaderboard")
    }
    assert set(lb.__all__) == public
    assert sorted(lb.__all__) == lb.__all__
    for name in lb.__all__:
        assert getattr(lb, name).__doc__, f"{name} has no docstring"
