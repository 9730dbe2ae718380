"""The participation measures at /api/v1/insight/participation (insight.participation). Thin:
parse the scope and period, call the selector, render.

A place the caller may not read is a 403 (field `scope`); periods as the other measures take
them (insight.periods). Figures about Party members withheld by the small-cell rule come as
`{"value": null, "withheld": true}`; figures not measured at a level (claims of a grid) as
`{"value": null, "applicable": false}`; hours and rates are text with two decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.org.requests import SignedInRequest

from . import participation as measures
from . import periods
from .api import PeriodOut, ScopeOut

router = Router(tags=["insight"])


class ParticipationQuery(Schema):
    month: str | None = Field(None, max_length=40, description="A month: 2026-03.")
    week: str | None = Field(None, max_length=40, description="An ISO week: 2026-W10.")
    quarter: str | None = Field(None, max_length=40, description="A quarter: 2026-Q1.")
    year: str | None = Field(None, max_length=40, description="A year: 2026.")
    start: str | None = Field(None, max_length=40, description="First day: 2026-03-01.")
    end: str | None = Field(None, max_length=40, description="Last day (included).")
    scope: str | None = Field(
        None,
        max_length=40,
        description="district, street, community or grid (default: the caller's broadest).",
    )
    code: str | None = Field(None, max_length=40, description="The place's code.")


class FigureDefOut(Schema):
    key: str
    group: str
    label: str
    formula: str
    about_members: bool = Field(..., description="The small-cell rule applies to it.")


class CellOut(Schema):
    value: int | str | None
    withheld: bool
    applicable: bool


class RowOut(Schema):
    kind: str
    code: str
    name: str
    total: bool = Field(..., description="The place asked for (the rows below are its parts).")
    figures: dict[str, CellOut]


class ParticipationOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    as_of: dt.datetime = Field(..., description="When the 双报到 coverage is measured.")
    small_cell_rule: str
    figures: list[FigureDefOut]
    rows: list[RowOut]
    whistles: list[dict[str, Any]] | None = Field(
        ...,
        description="Whistle response by street and department (a district or a street; "
        "null for a community or grid): street, department, summoned, due, reported_in, "
        "reported_in_on_time, on_time_rate (percent as text), rated, satisfied, "
        "satisfaction_rate.",
    )


@router.get(
    "/participation",
    response={200: ParticipationOut, **errors(401, 403, 422)},
    summary="Participation of Party members, volunteers and units, per place",
)
def participation(request: SignedInRequest, query: Query[ParticipationQuery]) -> dict[str, Any]:
    period = periods.parse_period(query.dict())
    scope = measures.resolve_scope(request.user, kind=query.scope, code=query.code)
    table = measures.participation(request.user, period=period, scope=scope)
    return {
        "scope": {"kind": scope.kind, "code": scope.code, "name": scope.name or str(scope)},
        "period": {
            "kind": period.kind,
            "key": period.key,
            "label": period.label(),
            "first": period.first,
            "last": period.last,
        },
        "as_of": table.as_of.astimezone(periods.TZ),
        "small_cell_rule": str(measures.SMALL_CELL_RULE),
        "figures": [
            {
                "key": f.key,
                "group": f.group,
                "label": str(f.label),
                "formula": str(f.formula),
                "about_members": f.about_members,
            }
            for f in measures.FIGURES
        ],
        "rows": [r.as_dict() for r in table.rows],
        "whistles": None
        if table.whistles is None
        else [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
            for row in table.whistles
        ],
    }
