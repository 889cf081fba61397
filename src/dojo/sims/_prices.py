"""The course price table (``prices.json``): one place for every price a calculator uses."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Price", "PriceTable", "load_prices", "price"]


@dataclass(frozen=True)
class Price:
    """One price: ``usd`` per ``unit`` of ``service``, after ``free_tier`` units a month.

    Attributes:
        service: Service key (``lambda``, ``apigateway-rest``, ``sqs`` ...).
        unit: What is billed (``request-million``, ``gb-second`` ...).
        usd: Price per unit in US dollars.
        free_tier: Units free each month (0 when none applies).
        source: Book and chapter, or where a course-supplied price comes from.
        as_of: Year the price was current.
        book_era: True when the price restates a book's (possibly outdated) figure.
    """

    service: str
    unit: str
    usd: float
    free_tier: float
    source: str
    as_of: str
    book_era: bool

    def __repr__(self) -> str:
        era = "book era" if self.book_era else "course"
        return (
            f"<Price {self.service}/{self.unit} ${self.usd:g} "
            f"(free {self.free_tier:g}; {era}: {self.source})>"
        )


@dataclass(frozen=True)
class PriceTable:
    """All prices of the course, looked up by ``(service, unit)``."""

    prices: tuple[Price, ...]

    def get(self, service: str, unit: str) -> Price:
        """The price of ``unit`` of ``service``.

        Raises:
            KeyError: naming what was asked and the units the service has.
        """
        for entry in self.prices:
            if entry.service == service and entry.unit == unit:
                return entry
        units = sorted(p.unit for p in self.prices if p.service == service)
        if not units:
            services = sorted({p.service for p in self.prices})
            raise KeyError(f"No prices for service {service!r}; services: {', '.join(services)}")
        raise KeyError(f"No price for {service!r} unit {unit!r}; its units: {', '.join(units)}")

    def __repr__(self) -> str:
        return f"<PriceTable: {len(self.prices)} prices>"

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><td>{esc(p.service)}</td><td>{esc(p.unit)}</td><td>{p.usd:g}</td>"
            f"<td>{p.free_tier:g}</td><td>{'yes' if p.book_era else 'no'}</td>"
            f"<td>{esc(p.source)}</td></tr>"
            for p in self.prices
        )
        return (
            "<table class='dojo-prices'><thead><tr><th>service</th><th>unit</th><th>USD</th>"
            "<th>free tier</th><th>book era</th><th>source</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


@lru_cache(maxsize=1)
def load_prices() -> PriceTable:
    """Load ``dojo/sims/data/prices.json`` (package data) into a :class:`PriceTable`."""
    text = resources.files("dojo.sims").joinpath("data/prices.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return PriceTable(tuple(Price(**entry) for entry in data["prices"]))


def price(service: str, unit: str) -> float:
    """Shortcut: the USD price of ``unit`` of ``service`` from the course table."""
    return load_prices().get(service, unit).usd
