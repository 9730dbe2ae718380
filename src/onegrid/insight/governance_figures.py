"""What the measures of 自治 and 法治 are made of (insight.rule_of_law, insight.self_governance,
assembled by insight.governance): a figure's definition with its formula, a cell, and the way
each source reaches a street, community or grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .measures import Scope

LEVELS = ("street", "community", "grid")
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class FigureDef:
    key: str
    group: str  # a table of the page (GROUPS of insight.governance)
    label: StrOrPromise
    formula: StrOrPromise
    is_rate: bool = False  # a percentage
    levels: tuple[str, ...] = LEVELS  # where it is measured (a district: where streets are)


@dataclass
class Cell:
    value: int | Decimal | None  # None: nothing to divide, or not measured (see note)
    note: str = ""  # why there is no value, where that is worth saying

    @property
    def shown(self) -> str:
        return "—" if self.value is None else str(self.value)

    def as_dict(self) -> dict[str, object]:
        value: object = self.value
        if isinstance(value, Decimal):
            value = str(value)
        return {"value": value, "note": self.note or None}


def ratio(numerator: int | Decimal, denominator: int, *, times: int = 1) -> Decimal | None:
    """numerator × times ÷ denominator, rounded half-up to 2 decimals; None for ÷ 0."""
    if not denominator:
        return None
    value = Decimal(numerator) * times / Decimal(denominator)
    return value.quantize(_HUNDREDTH, ROUND_HALF_UP)


def restrict(qs: QuerySet, fields: dict[str, str], scope: Scope) -> QuerySet:
    """`qs` limited to the scope's place (a district: all of it)."""
    if scope.kind == "district":
        return qs
    return qs.filter(**{fields[scope.kind]: scope.pk})


def grouped(
    qs: QuerySet, fields: dict[str, str], group: str | None, **aggregates: Any
) -> dict[int | None, dict[str, Any]]:
    """The aggregates of `qs`, by the `group` level's place (None: one total, keyed None)."""
    if group is None:
        return {None: qs.aggregate(**aggregates)}
    return {
        r.pop("place"): r
        for r in qs.order_by().values(place=F(fields[group])).annotate(**aggregates)
    }


def count(values: dict[str, Any] | None, name: str) -> int:
    return int((values or {}).get(name) or 0)


def months_of(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months the days [first, last] touch."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# How each source reaches a level: the field holding the street, community or grid of a row.
DISPUTE = {"street": "street_id", "community": "community_id", "grid": "grid_id"}
RISK = DISPUTE
GRID = {"street": "street_id", "community": "community_id", "grid": "pk"}
SCREENING = {"street": "grid__street_id", "community": "grid__community_id", "grid": "grid_id"}
TOPIC = {"street": "community__parent_id", "community": "community_id", "grid": "grid_id"}


def through(prefix: str, fields: dict[str, str]) -> dict[str, str]:
    """`fields` reached through a relation (`topic__`)."""
    return {level: prefix + name for level, name in fields.items()}
