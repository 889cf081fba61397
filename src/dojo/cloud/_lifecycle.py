"""One shape for things that start and stop: context manager, decorator, start()/stop()."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_S = TypeVar("_S", bound="StartStop")


class StartStop:
    """Mixin: ``with obj:`` and ``@obj`` call the subclass's ``start()`` and ``stop()``."""

    def start(self: _S) -> _S:  # pragma: no cover - always overridden
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - always overridden
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: _F) -> _F:
        """Use as a decorator: started for the duration of each call of ``func``."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
