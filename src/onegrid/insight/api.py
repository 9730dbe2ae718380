"""The measures API at /api/v1/insight/: figures, league tables, trends, drill-down, person
figures and campaigns. Thin: parse, call one selector or service, render.

Every read is scoped by org.policies (insight.selectors): a scope the caller may not read is
a 403 (`forbidden`, field `scope`), a league table they may not read a 403 (field `kind`).
Periods: exactly one of `month=2026-03`, `week=2026-W10`, `quarter=2026-Q1`, `year=2026`, or
`start` and `end` (days, both included); none: the last full month (Beijing time). Rates are
percentages with two decimals, as text ("93.72"), null when the denominator is 0; changes are
in percentage points. Times are ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onegrid.cases.schemas import CaseOut
from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput
from onegrid.org import policies
from onegrid.org.requests import SignedInRequest

from . import periods, selectors, services
from .measures import Scope
from .models import Campaign
from .periods import Period

router = Router(tags=["insight"])

_ID = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)
_SHORT = 40


# --- query parameters --------------------------------------------------------------------------


class PeriodQuery(Schema):
    month: str | None = Field(None, max_length=_SHORT, description="A month: 2026-03.")
    week: str | None = Field(None, max_length=_SHORT, description="An ISO week: 2026-W10.")
    quarter: str | None = Field(None, max_length=_SHORT, description="A quarter: 2026-Q1.")
    year: str | None = Field(None, max_length=_SHORT, description="A year: 2026.")
    start: str | None = Field(
        None, max_length=_SHORT, description="First day of a custom period: 2026-03-01."
    )
    end: str | None = Field(
        None, max_length=_SHORT, description="Last day of a custom period (included)."
    )
    as_of: str | None = Field(
        None,
        max_length=_SHORT,
        description="Evaluate as at the end of this day (default: now), e.g. 2026-04-10.",
    )


class ClassQuery(PeriodQuery):
    class_prefix: str | None = Field(
        None,
        max_length=_SHORT,
        description="Only the classes whose code starts with this (A01, A0102…).",
    )


class ScopeQuery(ClassQuery):
    scope: str | None = Field(
        None,
        max_length=_SHORT,
        description="district, street, community, grid, beat or department "
        "(default: the caller's broadest scope).",
    )
    code: str | None = Field(None, max_length=_SHORT, description="The scope's code.")


class LeagueQuery(ClassQuery):
    measure: str | None = Field(
        None,
        max_length=_SHORT,
        description="The measure to rank by (default: on-time closure rate; grid workers: "
        "valid-report rate).",
    )


class TrendQuery(ScopeQuery):
    step: str = Field("day", max_length=_SHORT, description="day, week or month.")


class DrillQuery(ScopeQuery):
    key: str = Field(
        ...,
        max_length=_SHORT,
        description="The figure: a measure key (closure_rate…), a count (reports, n_due, "
        "closed, closed_on_time, overdue) or any counter of the totals, or open_now.",
    )
    part: str = Field("numerator", max_length=_SHORT, description="numerator or denominator.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


class EffectQuery(Schema):
    days: int | None = Field(
        None, ge=1, le=366, description="N: days compared before and after (default: its length)."
    )
    as_of: str | None = Field(None, max_length=_SHORT, description="Evaluate as at this day's end.")


# --- answers -----------------------------------------------------------------------------------


class PeriodOut(Schema):
    kind: str = Field(..., description="month, week, quarter, year or custom.")
    key: str = Field(..., description="2026-03, 2026-W10, 2026-Q1, 2026 or first..last.")
    label: str
    first: dt.date
    last: dt.date = Field(..., description="The last day, included.")


class ScopeOut(Schema):
    kind: str
    code: str
    name: str


class RatioOut(Schema):
    numerator: int
    denominator: int
    value: str | None


class FigureOut(Schema):
    key: str
    label: str
    formula: str = Field(..., description="How the figure is computed, in words.")
    numerator: int
    denominator: int
    value: str | None = Field(..., description="Percent, 2 decimals; null when 0 ÷ 0.")
    applicable: bool = Field(..., description="False where the measure has no meaning.")
    lower_is_better: bool
    previous: RatioOut | None
    last_year: RatioOut | None
    change_from_previous: str | None = Field(..., description="Percentage points.")
    change_from_last_year: str | None = Field(..., description="Percentage points.")


class CountLabelOut(Schema):
    key: str
    label: str


class MeasuresOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    previous_period: PeriodOut
    last_year_period: PeriodOut
    as_of: dt.datetime
    counts: dict[str, int] = Field(
        ..., description="reports, n_due, closed, closed_on_time, overdue, open_now."
    )
    previous_counts: dict[str, int]
    last_year_counts: dict[str, int]
    count_labels: list[CountLabelOut]
    measures: list[FigureOut]


class CityRowOut(Schema):
    scope: ScopeOut
    counts: dict[str, int] = Field(
        ..., description="reports, n_due, closed, closed_on_time, overdue."
    )
    measures: list[FigureOut]


class CityOut(Schema):
    period: PeriodOut
    as_of: dt.datetime
    city: CityRowOut = Field(
        ...,
        description="The sum of the districts' counts; each rate recomputed from the summed "
        "numerator and denominator.",
    )
    districts: list[CityRowOut]


class ScopesOut(Schema):
    default: ScopeOut | None
    scopes: list[ScopeOut]
    leagues: list[str] = Field(..., description="The league tables the caller may read.")
    person_id: int | None = Field(..., description="The caller's own person figures, if any.")


class ColumnOut(Schema):
    key: str
    label: str
    formula: str = Field("", description="How the column is computed, where it has a formula.")


class LeagueRowOut(Schema):
    rank: int | None = Field(..., description="Null for a row with nothing to measure.")
    code: str
    name: str
    value: str | None
    numerator: int
    denominator: int | None = Field(..., description="Null for a plain count.")
    mark: str = Field(..., description="top (红榜), bottom (黑榜) or empty.")
    drillable: bool = Field(..., description="Whether the caller may open this row's figures.")
    columns: dict[str, str | int | None]


class LeagueOut(Schema):
    kind: str
    measure: str
    label: str
    formula: str
    lower_is_better: bool
    rule: str = Field(..., description="How ranks and ties are decided, in words.")
    period: PeriodOut
    as_of: dt.datetime
    columns: list[ColumnOut]
    rows: list[LeagueRowOut]


class TrendPointOut(Schema):
    first: dt.date
    last: dt.date
    label: str
    counts: dict[str, int]
    values: dict[str, str | None]


class TrendOut(Schema):
    scope: ScopeOut
    step: str
    as_of: dt.datetime
    labels: dict[str, str]
    points: list[TrendPointOut]


class DrillOut(Schema):
    key: str
    part: str
    count: int = Field(..., description="Cases behind the figure that the caller may see.")
    counts_cases: bool = Field(
        ...,
        description="True when the figure counts cases (so `count` is the figure); false for "
        "checks, call-backs or dispatches, of which one case may have several.",
    )
    items: list[CaseOut]


class PersonFigureOut(Schema):
    key: str
    label: str
    formula: str
    numerator: int
    denominator: int | None
    value: str | None


class PersonOut(Schema):
    id: int
    name: str
    roles: list[str]
    period: PeriodOut
    as_of: dt.datetime
    figures: list[PersonFigureOut]


class CampaignIn(Schema):
    name: str = Field(..., max_length=200)
    class_prefix: str = Field("", max_length=_SHORT, description="A class code or its start.")
    scope_kind: str = Field(
        ..., max_length=_SHORT, description="district, street, community or grid."
    )
    area_code: str = Field(
        "", max_length=_SHORT, description="The street's, community's or grid's code."
    )
    start: str = Field(..., max_length=_SHORT, description="First day: 2026-05-01.")
    end: str = Field(..., max_length=_SHORT, description="Last day (included).")
    description: str = Field("", max_length=4000)


class CampaignOut(Schema):
    id: int
    name: str
    class_prefix: str
    scope_kind: str
    area_code: str
    area_name: str
    start: dt.date
    end: dt.date
    days: int
    description: str


class DayOut(Schema):
    day: dt.date
    phase: str = Field(..., description="before, during or after.")
    reports: int


class EffectOut(Schema):
    campaign: CampaignOut
    window_days: int = Field(..., description="N: days compared before and after.")
    before: PeriodOut
    during: PeriodOut
    after: PeriodOut
    reports_before: int
    reports_during: int
    reports_after: int
    after_complete: bool = Field(..., description="Whether the N days after have all passed.")
    recurrence_after: RatioOut = Field(
        ..., description="Reports in the N days after ÷ reports in the N days before, in %."
    )
    repeat_rate_after: RatioOut = Field(
        ..., description="Recurring reports ÷ reports in the N days after, in %."
    )
    repeat_rate_before: RatioOut = Field(
        ..., description="Recurring reports ÷ reports in the N days before, in %."
    )
    daily: list[DayOut]


# --- helpers -----------------------------------------------------------------------------------


def _period(query: PeriodQuery) -> Period:
    return periods.parse_period(query.dict())


def _as_of(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    return periods.at_midnight(periods.parse_day(raw, "as_of") + dt.timedelta(days=1))


def _scope(request: SignedInRequest, query: ScopeQuery) -> Scope:
    return selectors.resolve_scope(request.user, kind=query.scope, code=query.code)


def _period_out(period: Period) -> dict[str, object]:
    return {
        "kind": period.kind,
        "key": period.key,
        "label": period.label(),
        "first": period.first,
        "last": period.last,
    }


def _scope_out(scope: Scope) -> dict[str, str]:
    return {"kind": scope.kind, "code": scope.code, "name": scope.name or str(scope)}


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(periods.TZ)


def _id(raw: str, field: str) -> int:
    if not _ID.fullmatch(raw) or int(raw) >= 2**63:
        raise InvalidInput(_("%(field)s: must be a whole number.") % {"field": field}, field=field)
    return int(raw)


# --- operations --------------------------------------------------------------------------------


@router.get(
    "/scopes",
    response={200: ScopesOut, **errors(401, 403)},
    summary="The scopes and league tables you may read",
)
def scopes(request: SignedInRequest) -> dict[str, object]:
    visible = selectors.visible_scopes(request.user)
    if not visible.reads_anything:
        raise selectors.refused()
    return {
        "default": _scope_out(visible.default) if visible.default else None,
        "scopes": [_scope_out(s) for s in visible.scopes],
        "leagues": list(visible.leagues),
        "person_id": visible.person_id,
    }


@router.get(
    "/measures",
    response={200: MeasuresOut, **errors(401, 403, 422)},
    summary="Every measure of a scope and period, with comparisons",
)
def measures(request: SignedInRequest, query: Query[ScopeQuery]) -> dict[str, object]:
    """The §5 measures and the four shifts' with numerator, denominator, value and formula,
    against the period before and the same period a year earlier."""
    period = _period(query)
    as_of = _as_of(query.as_of)
    board = selectors.dashboard(
        request.user,
        period=period,
        scope=_scope(request, query),
        as_of=as_of,
        class_prefix=selectors.check_class_prefix(query.class_prefix),
    )
    return {
        "scope": _scope_out(board.scope),
        "period": _period_out(board.period),
        "previous_period": _period_out(board.previous_period),
        "last_year_period": _period_out(board.last_year_period),
        "as_of": _local(board.as_of),
        "counts": board.counts,
        "previous_counts": board.previous_counts,
        "last_year_counts": board.last_year_counts,
        "count_labels": [{"key": k, "label": str(v)} for k, v in selectors.COUNT_LABELS.items()],
        "measures": [f.as_dict() for f in board.figures],
    }


@router.get(
    "/city",
    response={200: CityOut, **errors(401, 403, 422)},
    summary="A city's measures: each district's and their sum",
)
def city(request: SignedInRequest, query: Query[ClassQuery]) -> dict[str, object]:
    """A city's installation (several districts): every district's counts and measures in the
    period and the city's, summed from the districts' (rates recomputed from the summed
    numerators and denominators, never averaged). Readers of the whole city only (a command
    centre or leader bound to the city, a superuser): 403 for a district's staff."""
    rollup = selectors.city_rollup(
        request.user,
        period=_period(query),
        as_of=_as_of(query.as_of),
        class_prefix=selectors.check_class_prefix(query.class_prefix),
    )

    def row(r: selectors.CityRow) -> dict[str, object]:
        return {
            "scope": _scope_out(r.scope),
            "counts": r.counts,
            "measures": [f.as_dict() for f in r.figures],
        }

    return {
        "period": _period_out(rollup.period),
        "as_of": _local(rollup.as_of),
        "city": row(rollup.city),
        "districts": [row(r) for r in rollup.districts],
    }


@router.get(
    "/league/{kind}",
    response={200: LeagueOut, **errors(401, 403, 422)},
    summary="A league table (红黑榜): street, department or grid_worker",
)
def league(request: SignedInRequest, kind: str, query: Query[LeagueQuery]) -> dict[str, object]:
    table = selectors.league_table(
        request.user,
        kind=kind,
        period=_period(query),
        measure=query.measure or None,
        as_of=_as_of(query.as_of),
        class_prefix=selectors.check_class_prefix(query.class_prefix),
    )
    return {
        "kind": table.kind,
        "measure": table.measure,
        "label": table.label,
        "formula": table.formula,
        "lower_is_better": table.lower_is_better,
        "rule": table.rule,
        "period": _period_out(table.period),
        "as_of": _local(table.as_of),
        "columns": [
            {"key": k, "label": v, "formula": table.formulas.get(k, "")} for k, v in table.columns
        ],
        "rows": [r.as_dict() for r in table.rows],
    }


@router.get(
    "/trend",
    response={200: TrendOut, **errors(401, 403, 422)},
    summary="Counts and rates by day, week or month",
)
def trend(request: SignedInRequest, query: Query[TrendQuery]) -> dict[str, object]:
    period = _period(query)
    found = selectors.trend(
        request.user,
        scope=_scope(request, query),
        start=period.first,
        end=period.last,
        step=query.step,
        as_of=_as_of(query.as_of),
        class_prefix=selectors.check_class_prefix(query.class_prefix),
    )
    return {
        "scope": _scope_out(found.scope),
        "step": found.step,
        "as_of": _local(found.as_of),
        "labels": found.labels,
        "points": [
            {
                "first": p.first,
                "last": p.last,
                "label": p.label,
                "counts": p.counts,
                "values": {k: (None if v is None else str(v)) for k, v in p.values.items()},
            }
            for p in found.points
        ],
    }


@router.get(
    "/cases",
    response={200: DrillOut, **errors(401, 403, 422)},
    summary="The cases behind a figure (drill-down), paged",
)
def cases(request: SignedInRequest, query: Query[DrillQuery]) -> dict[str, object]:
    found = selectors.drilldown(
        request.user,
        key=query.key,
        part=query.part,
        period=_period(query),
        scope=_scope(request, query),
        as_of=_as_of(query.as_of),
        class_prefix=selectors.check_class_prefix(query.class_prefix),
    )
    return {
        "key": query.key,
        "part": query.part,
        "counts_cases": selectors.counts_cases(query.key, query.part),
        "count": found.count(),
        "items": [CaseOut.of(c) for c in found[query.offset : query.offset + query.limit]],
    }


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut, **errors(401, 403, 404, 422)},
    summary="A grid worker's or department handler's own figures",
)
def person(
    request: SignedInRequest, person_id: str, query: Query[PeriodQuery]
) -> dict[str, object]:
    found = selectors.find_person(request.user, _id(person_id, "person_id"))
    figures = selectors.person_figures(
        request.user, person=found, period=_period(query), as_of=_as_of(query.as_of)
    )
    return {
        "id": found.pk,
        "name": str(found),
        "roles": figures.roles,
        "period": _period_out(figures.period),
        "as_of": _local(figures.as_of),
        "figures": [
            {
                "key": f.key,
                "label": f.label,
                "formula": f.formula,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value": None if f.value is None else str(f.value),
            }
            for f in figures.figures
        ],
    }


def _campaign_out(c: Campaign) -> dict[str, object]:
    scope = selectors.campaign_scope(c)
    return {
        "id": c.pk,
        "name": c.name,
        "class_prefix": c.class_prefix,
        "scope_kind": c.scope_kind,
        "area_code": scope.code,
        "area_name": scope.name or str(scope),
        "start": c.start,
        "end": c.end,
        "days": c.days,
        "description": c.description,
    }


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **errors(401, 403)},
    summary="Campaigns (集中整治) in the areas you may read",
)
def campaign_list(request: SignedInRequest) -> list[dict[str, object]]:
    # The reach alone: visible_scopes would also list every scope the caller may read.
    if not policies.measures_reach(request.user).reads_anything:
        raise selectors.refused()
    return [_campaign_out(c) for c in selectors.campaigns(request.user)[:500]]


@router.post(
    "/campaigns",
    response={201: CampaignOut, **errors(400, 401, 403, 422)},
    summary="Declare a campaign (command centre, administrators)",
)
def campaign_create(request: SignedInRequest, payload: CampaignIn) -> Status[dict[str, object]]:
    campaign = services.create_campaign(
        actor=request.user,
        name=payload.name,
        class_prefix=payload.class_prefix,
        scope_kind=payload.scope_kind,
        area_code=payload.area_code,
        start=periods.parse_day(payload.start, "start"),
        end=periods.parse_day(payload.end, "end"),
        description=payload.description,
    )
    return Status(201, _campaign_out(campaign))


@router.get(
    "/campaigns/{campaign_id}",
    response={200: EffectOut, **errors(401, 404, 422)},
    summary="A campaign and its effect: reports before, during and after",
)
def campaign_detail(
    request: SignedInRequest, campaign_id: str, query: Query[EffectQuery]
) -> dict[str, object]:
    campaign = selectors.get_campaign(request.user, _id(campaign_id, "campaign_id"))
    effect = selectors.campaign_effect(campaign, days=query.days, as_of=_as_of(query.as_of))
    return {
        "campaign": _campaign_out(campaign),
        "window_days": effect.window_days,
        "before": _period_out(effect.before),
        "during": _period_out(effect.during),
        "after": _period_out(effect.after),
        "reports_before": effect.reports_before,
        "reports_during": effect.reports_during,
        "reports_after": effect.reports_after,
        "after_complete": effect.after_complete,
        "recurrence_after": effect.recurrence_after.as_dict(),
        "repeat_rate_after": effect.repeat_rate_after.as_dict(),
        "repeat_rate_before": effect.repeat_rate_before.as_dict(),
        "daily": [{"day": d, "phase": p, "reports": n} for d, p, n in effect.daily],
    }
