"""The measures of 自治 and 法治 at /api/v1/insight/governance (insight.governance). Thin:
parse the scope and period, call the selector, render.

A place where the caller reads no section is a 403 (field `scope`); periods as the other
measures take them (insight.periods), an odd one a 422 naming the parameter. Only the tables of
the sections the caller reads there come back. Counts are integers; rates (percent), the
disputes per 10,000 residents and the co-signatures per topic are text with two decimals;
`{"value": null, "note": …}` says why a figure has no value (a population not recorded).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.org.requests import SignedInRequest

from . import governance as measures
from . import periods
from .api import PeriodOut, ScopeOut

router = Router(tags=["insight"])


class GovernanceQuery(Schema):
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


class GovernanceFigureOut(Schema):
    key: str
    label: str
    formula: str
    rate: bool = Field(..., description="A percentage.")


class TableOut(Schema):
    key: str = Field(..., description="mediation, stability, deliberation, topics, decisions.")
    section: str = Field(
        ..., description="The section its readers read: mediation, stability or deliberation."
    )
    label: str
    figures: list[GovernanceFigureOut]


class GovernanceCellOut(Schema):
    value: int | str | None
    note: str | None = Field(None, description="Why there is no value, where worth saying.")


class GovernanceRowOut(Schema):
    kind: str
    code: str
    name: str
    total: bool = Field(..., description="The place asked for (the rows below are its parts).")
    figures: dict[str, GovernanceCellOut]


class GovernanceMonthOut(Schema):
    month: str
    grids: int
    screened: int
    coverage: str | None
    unstable: int
    disputes_found: int


class GovernanceOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    as_of: dt.datetime = Field(..., description="When open risks are counted (period end or now).")
    sections: list[str]
    tables: list[TableOut]
    rows: list[GovernanceRowOut]
    months: list[GovernanceMonthOut] | None = Field(
        ..., description="Screening coverage month by month (null without the stability section)."
    )
    recurrence_days: int


@router.get(
    "/governance",
    response={200: GovernanceOut, **errors(401, 403, 422)},
    summary="Measures of mediation, screening and risks, and resident deliberation, per place",
)
def governance(request: SignedInRequest, query: Query[GovernanceQuery]) -> dict[str, Any]:
    period = periods.parse_period(query.dict())
    scope = measures.resolve_scope(request.user, kind=query.scope, code=query.code)
    table = measures.governance(request.user, period=period, scope=scope)
    keys = table.keys
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
        "sections": list(table.sections),
        "tables": [
            {
                "key": group,
                "section": measures.GROUPS[group][0],
                "label": str(measures.GROUPS[group][1]),
                "figures": [
                    {
                        "key": f.key,
                        "label": str(f.label),
                        "formula": str(f.formula),
                        "rate": f.is_rate,
                    }
                    for f in table.figures(group)
                ],
            }
            for group in table.groups
        ],
        "rows": [r.as_dict(keys) for r in table.rows],
        "months": None if table.months is None else [m.as_dict() for m in table.months],
        "recurrence_days": measures.rule_of_law.RECURRENCE_DAYS,
    }
