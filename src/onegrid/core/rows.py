"""Reading one row to change it, the one way the services lock."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from .errors import DomainError

RowT = TypeVar("RowT", bound=Model)


def locked_row(rows: QuerySet[RowT], pk: int | None, missing: DomainError) -> RowT:
    """Row `pk` of `rows`, locked (SELECT … FOR UPDATE) until the transaction ends; `missing`
    raised when there is none, or when `pk` is None (an id the caller could not read).

    Only the row itself is locked (`of=("self",)`): the rows `rows` joins for reading (a
    topic's community) stay free for others, and PostgreSQL refuses FOR UPDATE of the nullable
    side of an outer join."""
    row = rows.select_for_update(of=("self",)).filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise missing
    return row
