"""The leaders' pages (issue 10 §1): the measures of a scope and period against the period before
and the same period a year earlier, the four shifts, the trend, the league tables (红黑榜), the
drill-down from any figure to the cases behind it, and a person's own figures.

Thin: the pages parse the scope and the period, call insight.selectors — which decide what the
viewer may read and refuse the rest (403) — and shape the answers for the templates and the
charts (static/web/measures/dashboard.js on lib/charts.js). Every list a page shows is also a
download (`?format=csv|xlsx&table=…`) of exactly those rows, with the same scope, period and
ranking measure, through web.downloads.

Query parameters (the same on every page, so a figure's link carries its filters):
`scope=district`, `scope=street:120113001000` (kind:code; `scope=street&code=…` as the API
takes it works too), one period as insight.periods reads it (`month=2026-03`, `week=2026-W10`,
`quarter=2026-Q1`, `year=2026`, `start=…&end=…`; the page's picker adds `period=<kind>` to say
which of its fields counts), `step=day|week|month` for the trend, `<league>_measure=` to rank a
league table by another measure.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from onegrid.cases import selectors as case_selectors
from onegrid.cases import workflow
from onegrid.cases.models import Case, Source
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.insight import measures, periods
from onegrid.insight import selectors as insight
from onegrid.insight.measures import Scope
from onegrid.insight.periods import Period
from onegrid.org.models import User
from onegrid.org.requests import SignedInRequest

from .. import access, downloads
from .console import EXPORT_COLUMNS as CASE_COLUMNS
from .console import _export_rows as case_export_rows
from .paging import query_without_page

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http.response import HttpResponseBase
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 50  # cases per drill-down page
LEAGUE_PAGE_SIZE = 50  # league rows per page (the grid workers' table is long)
CHART_ROWS = 30  # a league chart draws at most this many bars: the top and bottom halves
PERIOD_FIELDS: dict[str, tuple[str, ...]] = {
    "month": ("month",),
    "week": ("week",),
    "quarter": ("quarter",),
    "year": ("year",),
    "custom": ("start", "end"),
}
PERIOD_LABELS: dict[str, StrOrPromise] = {
    "month": gettext_lazy("Month"),
    "week": gettext_lazy("Week"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "custom": gettext_lazy("From … to …"),
}
STEP_LABELS: dict[str, StrOrPromise] = {
    "day": gettext_lazy("by day"),
    "week": gettext_lazy("by week"),
    "month": gettext_lazy("by month"),
}
LEAGUE_TITLES: dict[str, StrOrPromise] = {
    "street": gettext_lazy("Streets and towns"),
    "department": gettext_lazy("Departments"),
    "grid_worker": gettext_lazy("Grid workers"),
}
# The measure cards in groups; a measure the selectors add later and no group names joins the
# second group, so no figure is ever left off the page.
GROUPS: list[tuple[str, StrOrPromise, tuple[str, ...]]] = [
    (
        "closure",
        gettext_lazy("Closure and time limits"),
        ("closure_rate", "on_time_closure_rate", "overdue_rate"),
    ),
    (
        "shifts",
        gettext_lazy("The four shifts"),
        (
            "proactive_share",
            "joint_case_share",
            "lowest_level_share",
            "recurrence_rate",
            "campaign_recurrence_rate",
        ),
    ),
    (
        "quality",
        gettext_lazy("Checks, reports and satisfaction"),
        (
            "rework_rate",
            "timely_check_rate",
            "valid_report_rate",
            "satisfaction_rate",
            "self_closed_share",
            "joint_share",
        ),
    ),
]
# DOMAIN.md §1: the article's four shifts and the measure of each (issue 10 §1).
SHIFTS: dict[str, StrOrPromise] = {
    "proactive_share": gettext_lazy("Waiting for problems → seeking them out"),
    "joint_case_share": gettext_lazy("Each on its own → joint operations"),
    "lowest_level_share": gettext_lazy("Pushing problems up → empowered to settle them"),
    "recurrence_rate": gettext_lazy("Campaigns → lasting order"),
    "campaign_recurrence_rate": gettext_lazy("Campaigns → lasting order"),
}
# The counts above the cards, each drilling into its own cases (insight.selectors.drilldown).
COUNT_DRILL: dict[str, tuple[str, str]] = {
    key: (key, "numerator")
    for key in ("reports", "n_due", "closed", "closed_on_time", "overdue", "open_now")
}
# Scopes chosen by code rather than from the picker (a beat may cross streets: district only).
BY_CODE = ("community", "grid", "beat")
# The trend chart shows these rates at first (the legend turns the others on) and these counts.
TREND_SHOWN = ("closure_rate", "on_time_closure_rate", "proactive_share")
TREND_COUNTS = ("reports", "closed")


# --- filters -----------------------------------------------------------------------------------


@dataclass
class Filters:
    """The scope, period and trend step a page was asked for, and what was wrong with them."""

    period: Period
    scope: Scope | None
    step: str
    class_prefix: str = ""  # a class code or its start (A: every city-management class)
    errors: dict[str, str] = field(default_factory=dict)
    _tail: str | None = field(default=None, init=False, repr=False, compare=False)

    def encoded(self, scope: Scope | None = None) -> str:
        """query(scope) as a query string; the part after the scope is encoded once."""
        chosen = scope or self.scope
        if self._tail is None:
            self._tail = urlencode({k: v for k, v in self.query().items() if k != "scope"})
        if chosen is None:
            return self._tail
        return urlencode({"scope": scope_param(chosen)}) + "&" + self._tail

    def query(self, scope: Scope | None = None) -> dict[str, str]:
        """The parameters that choose this scope (or `scope`), class and period again."""
        chosen = scope or self.scope
        params = {"scope": scope_param(chosen)} if chosen is not None else {}
        if self.class_prefix:
            params["class_prefix"] = self.class_prefix
        return params | self.period.query()


def scope_param(scope: Scope) -> str:
    """kind:code; the district of a one-district installation is "district" alone."""
    if scope.kind == "district" and not scope.code:
        return "district"
    return f"{scope.kind}:{scope.code}"


# The city's table of districts (the city scope of a city's installation): its counts and the
# rates a city's leaders compare districts by.
CITY_TABLE_RATES = ("on_time_closure_rate", "overdue_rate", "satisfaction_rate")


def _city_table(request: SignedInRequest, filters: Filters) -> dict[str, object] | None:
    """Each district's row and the city's (their sum) for the city scope; None elsewhere."""
    scope = filters.scope
    if scope is None or scope.kind != "city":
        return None
    rollup = insight.city_rollup(
        request.user, period=filters.period, class_prefix=filters.class_prefix
    )
    rates = [k for k in CITY_TABLE_RATES if k in measures.LABELS]

    def row(r: insight.CityRow, link: bool) -> dict[str, object]:
        by_key = {f.key: f for f in r.figures}
        return {
            "name": r.scope.name,
            "code": r.scope.code,
            "url": dashboard_url(filters, r.scope) if link else "",
            "counts": [r.counts[k] for k in insight.PERIOD_COUNTS],
            "rates": [shown(by_key[k].value, rate=True) for k in rates],
        }

    return {
        "count_labels": [str(insight.COUNT_LABELS[k]) for k in insight.PERIOD_COUNTS],
        "rate_labels": [str(measures.LABELS[k]) for k in rates],
        "rows": [row(r, True) for r in rollup.districts],
        "total": row(rollup.city, False),
    }


def _period(params: QueryDict) -> Period:
    """The period of the picker's chosen kind (`period=`), or of a link's one parameter."""
    kind = params.get("period", "")
    if kind:
        if kind not in PERIOD_FIELDS:
            raise InvalidInput(
                _("period: must be one of %(kinds)s.") % {"kinds": ", ".join(PERIOD_FIELDS)},
                field="period",
            )
        return periods.parse_period({name: params.get(name) for name in PERIOD_FIELDS[kind]})
    return periods.parse_period(params)


def default_scope(user: User, visible: insight.Visible | None = None) -> Scope:
    """The viewer's default scope; from `visible` (insight.visible_scopes) when the caller has
    it already, so that it is not read again."""
    if visible is not None and visible.default is not None:
        return visible.default
    return insight.resolve_scope(user)


def scope_from(user: User, params: QueryDict, visible: insight.Visible | None = None) -> Scope:
    """The scope of `scope=kind:code` (or `scope=kind&code=…`); none: the viewer's default."""
    raw = params.get("scope", "").strip()
    if not raw:
        return default_scope(user, visible)
    kind, _sep, code = raw.partition(":")
    return insight.resolve_scope(user, kind=kind, code=code or params.get("code"))


def default_step(period: Period) -> str:
    """A trend step that gives a readable number of points for the period's length."""
    if period.days <= 45:
        return "day"
    if period.days <= 200:
        return "week"
    return "month"


def read_filters(
    request: SignedInRequest, *, with_scope: bool = True, visible: insight.Visible | None = None
) -> Filters:
    """The page's filters; a bad value is noted at its field and the default used instead. A
    scope the viewer may not read raises PermissionDenied (the page answers 403). `visible`:
    the viewer's insight.visible_scopes where the page has read them."""
    errors: dict[str, str] = {}
    try:
        period = _period(request.GET)
    except InvalidInput as error:
        errors[error.field or "period"] = str(error.message)
        period = periods.last_full_month()
    scope = None
    if with_scope:
        try:
            scope = scope_from(request.user, request.GET, visible)
        except InvalidInput as error:
            errors[error.field or "scope"] = str(error.message)
            scope = default_scope(request.user, visible)
    step = request.GET.get("step", "")
    if step and step not in insight.STEPS:
        errors["step"] = _("step: must be one of %(steps)s.") % {"steps": ", ".join(insight.STEPS)}
        step = ""
    class_prefix = ""
    try:
        class_prefix = insight.check_class_prefix(request.GET.get("class_prefix"))
    except InvalidInput as error:
        errors[error.field or "class_prefix"] = str(error.message)
    return Filters(
        period=period,
        scope=scope,
        step=step or default_step(period),
        class_prefix=class_prefix,
        errors=errors,
    )


@functools.lru_cache(maxsize=32)
def _path(name: str, prefix: str) -> str:
    return reverse(name)


def path_of(name: str) -> str:
    """reverse(name) for a route without arguments, once per script prefix: a dashboard links
    its cases hundreds of times."""
    return _path(name, get_script_prefix())


def drill_url(key: str, part: str, filters: Filters, scope: Scope | None = None) -> str:
    head = urlencode({"key": key, "part": part})
    return f"{path_of('web:measures_cases')}?{head}&{filters.encoded(scope)}"


def dashboard_url(filters: Filters, scope: Scope) -> str:
    return f"{path_of('web:measures')}?{filters.encoded(scope)}"


def person_url(username: str, period: Period) -> str:
    """A person's figures for `period` (a league row of grid workers, the viewer's own)."""
    return reverse("web:measures_person", args=[username]) + "?" + urlencode(period.query())


def table_links(request: SignedInRequest, table: str) -> dict[str, str]:
    """The page's own query with `format=csv|xlsx` and `table=`: the same filters."""
    links = {}
    for fmt in downloads.FORMATS:
        query = request.GET.copy()
        for key in [k for k in query if k == "page" or k.endswith("_page")]:
            query.pop(key)
        query[downloads.FORMAT_PARAM] = fmt
        query["table"] = table
        links[fmt] = "?" + query.urlencode()
    return links


# --- numbers -----------------------------------------------------------------------------------


def is_rate(key: str) -> bool:
    return key.endswith(("_rate", "_share"))


def shown(value: object, *, rate: bool) -> str:
    """A figure as the page shows it: 93.72%, a count, or — when there is nothing to measure."""
    if value is None:
        return "—"
    if rate:
        return f"{value}%"
    if isinstance(value, Decimal):
        return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)
    return str(value)


def change_of(change: Decimal | None, lower_is_better: bool) -> dict[str, object]:
    """A change in percentage points: its text (+1.25, −0.50, ±0.00), and whether it is for
    the better, the worse or the same (lower is better for the overdue and rework rates)."""
    if change is None:
        return {"text": "—", "verdict": ""}
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    better = (change > 0) != lower_is_better
    verdict = "same" if change == 0 else ("better" if better else "worse")
    return {"text": f"{sign}{abs(change)}", "verdict": verdict, "points": str(change)}


# --- the dashboard ----------------------------------------------------------------------------


def _cards(board: insight.Dashboard, filters: Filters) -> list[dict[str, object]]:
    cards = []
    for figure in board.figures:
        drillable = figure.applicable
        cards.append(
            {
                "key": figure.key,
                "label": figure.label,
                "formula": figure.formula,
                "applicable": figure.applicable,
                "value": shown(figure.value, rate=True) if figure.applicable else _("n/a"),
                "numerator": figure.numerator,
                "denominator": figure.denominator,
                "shift": SHIFTS.get(figure.key, ""),
                "previous": _comparison(figure.previous, figure.change_from_previous, figure),
                "last_year": _comparison(figure.last_year, figure.change_from_last_year, figure),
                "numerator_url": drill_url(figure.key, "numerator", filters) if drillable else "",
                "denominator_url": drill_url(figure.key, "denominator", filters)
                if drillable
                else "",
            }
        )
    return cards


def _comparison(
    ratio: insight.Ratio | None, change: Decimal | None, figure: insight.Figure
) -> dict[str, object]:
    if ratio is None:
        return {"value": "—", "fraction": "", **change_of(None, figure.lower_is_better)}
    return {
        "value": shown(ratio.value, rate=True),
        "fraction": f"{ratio.numerator} / {ratio.denominator}",
        **change_of(change, figure.lower_is_better),
    }


def _grouped(cards: list[dict[str, object]]) -> list[dict[str, object]]:
    by_key = {str(c["key"]): c for c in cards}
    named = {key for _g, _l, keys in GROUPS for key in keys}
    groups: list[dict[str, object]] = []
    for name, label, keys in GROUPS:
        items = [by_key[k] for k in keys if k in by_key]
        if name == "quality":
            items += [c for c in cards if str(c["key"]) not in named]
        if items:
            groups.append({"name": name, "label": label, "cards": items})
    return groups


def _counts(board: insight.Dashboard, filters: Filters) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for key, label in insight.COUNT_LABELS.items():
        if key not in board.counts:
            continue
        drill = COUNT_DRILL.get(key)
        out.append(
            {
                "key": key,
                "label": label,
                "value": board.counts[key],
                "previous": board.previous_counts.get(key),
                "last_year": board.last_year_counts.get(key),
                "url": drill_url(*drill, filters) if drill else "",
            }
        )
    return out


def trend_data(trend: insight.Trend) -> dict[str, object]:
    """The trend as the chart takes it: labels, rate lines (those first shown marked) and count
    bars; rates as text with two decimals, null where a bucket has nothing to measure."""
    rate_keys = _trend_rate_keys(trend)
    return {
        "labels": [p.label for p in trend.points],
        "rates": [
            {
                "key": k,
                "name": trend.labels.get(k, k),
                "shown": k in TREND_SHOWN,
                "values": [decimal_text(p.values.get(k)) for p in trend.points],
            }
            for k in rate_keys
        ],
        "counts": [
            {
                "key": k,
                "name": trend.labels.get(k, k),
                "values": [p.counts.get(k, 0) for p in trend.points],
            }
            for k in TREND_COUNTS
        ],
    }


def decimal_text(value: Decimal | None) -> str | None:
    """A figure as the charts and the JSON take it: its decimal text, or None."""
    return None if value is None else str(value)


def _trend_rate_keys(trend: insight.Trend) -> list[str]:
    """The rates a trend holds, in the measures' order (the chart's lines, the table's columns)."""
    return [k for k in measures.ORDER if any(k in p.values for p in trend.points)]


def _trend_rows(trend: insight.Trend) -> tuple[list[tuple[str, str]], list[dict[str, object]]]:
    """The trend as a table (the page's table under the chart, and its download)."""
    rate_keys = _trend_rate_keys(trend)
    count_keys = [k for k in insight.COUNT_LABELS if any(k in p.counts for p in trend.points)]
    columns = [("label", _("Period")), ("first", _("First day")), ("last", _("Last day"))]
    columns += [(k, trend.labels.get(k, k)) for k in count_keys]
    columns += [(k, f"{trend.labels.get(k, k)} (%)") for k in rate_keys]
    rows = []
    for p in trend.points:
        row: dict[str, object] = {"label": p.label, "first": p.first, "last": p.last}
        row |= {k: p.counts.get(k) for k in count_keys}
        row |= {k: p.values.get(k) for k in rate_keys}
        rows.append(row)
    return columns, rows


# --- league tables ----------------------------------------------------------------------------


def _league(request: SignedInRequest, kind: str, filters: Filters) -> insight.League:
    measure = request.GET.get(f"{kind}_measure", "").strip() or None
    try:
        return insight.league_table(
            request.user,
            kind=kind,
            period=filters.period,
            measure=measure,
            class_prefix=filters.class_prefix,
        )
    except InvalidInput as error:
        filters.errors[f"{kind}_measure"] = str(error.message)
        return insight.league_table(
            request.user, kind=kind, period=filters.period, class_prefix=filters.class_prefix
        )


def league_rows(
    league: insight.League, filters: Filters, rows: Iterable[insight.LeagueRow]
) -> list[dict[str, object]]:
    """`rows` of the league as the page shows them, with their links (built for the rows shown
    only: the grid workers' table holds a district's thousand workers)."""
    rate = is_rate(league.measure)
    shown_rows = []
    for row in rows:
        entry: dict[str, object] = {
            "rank": row.rank,
            "code": row.code,
            "name": row.name,
            "value": decimal_text(row.value),
            "value_text": shown(row.value, rate=rate),
            "numerator": row.numerator,
            "denominator": row.denominator,
            "mark": row.mark,
            "columns": [shown(row.columns.get(k), rate=is_rate(k)) for k, _l in league.columns],
            "url": "",
            "numerator_url": "",
            "denominator_url": "",
        }
        if row.drillable and league.kind == "grid_worker":
            entry["url"] = person_url(row.code, filters.period)
        elif row.drillable:
            scope = Scope(league.kind, row.code, row.name)
            entry["url"] = dashboard_url(filters, scope)
            entry["numerator_url"] = drill_url(league.measure, "numerator", filters, scope)
            if row.denominator is not None:
                entry["denominator_url"] = drill_url(league.measure, "denominator", filters, scope)
        shown_rows.append(entry)
    return shown_rows


def chart_rows(league: insight.League, filters: Filters) -> list[dict[str, object]]:
    """The rows a league chart draws: the ranked ones, the top and bottom halves of CHART_ROWS
    when there are more."""
    ranked = [r for r in league.rows if r.rank is not None]
    if len(ranked) > CHART_ROWS:
        half = CHART_ROWS // 2
        ranked = ranked[:half] + ranked[-half:]
    keys = ("rank", "name", "value", "numerator", "denominator", "mark", "url")
    return [{k: r[k] for k in keys} for r in league_rows(league, filters, ranked)]


def _league_block(
    request: SignedInRequest, league: insight.League, filters: Filters
) -> dict[str, object]:
    page_param = f"{league.kind}_page"
    page = Paginator(league.rows, LEAGUE_PAGE_SIZE).get_page(request.GET.get(page_param))
    return {
        "kind": league.kind,
        "title": LEAGUE_TITLES[league.kind],
        "measure": league.measure,
        "label": league.label,
        "formula": league.formula,
        "rule": league.rule,
        "lower_is_better": league.lower_is_better,
        "rate": is_rate(league.measure),
        "measures": [
            (k, _measure_label(league.kind, k)) for k in insight.league_measures(league.kind)
        ],
        "columns": [label for _k, label in league.columns],
        "column_formulas": [
            (label, league.formulas[k]) for k, label in league.columns if k in league.formulas
        ],
        "page": page,
        "rows": league_rows(league, filters, page.object_list),
        "query": query_without_page(request, page_param),
        "page_param": page_param,
        "measure_param": f"{league.kind}_measure",
        "error": filters.errors.get(f"{league.kind}_measure", ""),
        "chart": chart_rows(league, filters),
        "downloads": table_links(request, f"league-{league.kind}"),
    }


def _measure_label(kind: str, key: str) -> str:
    if kind == "grid_worker":
        return str(insight.PERSON_LABELS.get(key, key))
    return str(measures.LABELS.get(key, key))


def _league_columns(league: insight.League) -> list[tuple[str, str]]:
    rate = "%" if is_rate(league.measure) else ""
    columns = [
        ("rank", _("Rank")),
        ("code", _("Code") if league.kind != "grid_worker" else _("Username")),
        ("name", _("Name")),
        ("value", f"{league.label} {rate}".strip()),
        ("numerator", _("Numerator")),
        ("denominator", _("Denominator")),
        ("mark", _("Red or black list")),
    ]
    return columns + [(f"column_{i}", label) for i, (_k, label) in enumerate(league.columns)]


MARK_LABELS: dict[str, StrOrPromise] = {
    "top": gettext_lazy("Red list"),
    "bottom": gettext_lazy("Black list"),
}


def _league_download_rows(league: insight.League) -> list[dict[str, object]]:
    rows = []
    for row in league.rows:
        entry: dict[str, object] = {
            "rank": row.rank,
            "code": row.code,
            "name": row.name,
            "value": row.value,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "mark": MARK_LABELS.get(row.mark, ""),
        }
        for i, (key, _label) in enumerate(league.columns):
            entry[f"column_{i}"] = row.columns.get(key)
        rows.append(entry)
    return rows


# --- views -------------------------------------------------------------------------------------


@access.page("measures")
@require_GET
def dashboard(request: SignedInRequest):
    """The measures of one scope and period: counts, cards in groups with their formulas and
    comparisons, the trend, and the league tables the viewer may read."""
    visible = insight.visible_scopes(request.user)
    if visible.default is None:
        return access.forbidden(request)
    try:
        filters = read_filters(request, visible=visible)
    except PermissionDenied:
        return access.forbidden(request)
    assert filters.scope is not None
    table = request.GET.get("table", "measures")
    return downloads.download_or_page(
        request,
        page=lambda: _dashboard_page(request, visible, filters),
        download=lambda fmt: _dashboard_download(request, fmt, table, visible, filters),
    )


def _trend(request: SignedInRequest, filters: Filters) -> insight.Trend:
    scope = filters.scope
    assert scope is not None

    def trend() -> insight.Trend:
        return insight.trend(
            request.user,
            scope=scope,
            start=filters.period.first,
            end=filters.period.last,
            step=filters.step,
            class_prefix=filters.class_prefix,
        )

    try:
        return trend()
    except InvalidInput as error:  # too many points for the step: fall back to the default
        filters.errors[error.field or "step"] = str(error.message)
        filters.step = default_step(filters.period)
        return trend()


def _dashboard_page(request: SignedInRequest, visible: insight.Visible, filters: Filters):
    scope = filters.scope
    assert scope is not None
    user = request.user
    board = insight.dashboard(
        user, period=filters.period, scope=scope, class_prefix=filters.class_prefix
    )
    trend = _trend(request, filters)
    leagues = [
        _league_block(request, _league(request, k, filters), filters) for k in visible.leagues
    ]
    trend_columns, trend_rows = _trend_rows(trend)
    scopes = list(visible.scopes)
    if all(scope_param(s) != scope_param(scope) for s in scopes):
        scopes.insert(0, scope)
    context = {
        "active_page": "measures",
        "filters": filters,
        "period": filters.period,
        "scope": scope,
        "scope_value": scope_param(scope),
        "scopes": [{"value": scope_param(s), "label": str(s)} for s in scopes],
        "board": board,
        "counts": _counts(board, filters),
        "city_table": _city_table(request, filters),
        "groups": _grouped(_cards(board, filters)),
        "trend": trend_data(trend),
        "trend_columns": [label for _k, label in trend_columns],
        "trend_rows": [[_cell(r[k], k) for k, _l in trend_columns] for r in trend_rows],
        "leagues": leagues,
        "league_charts": [
            {
                "kind": b["kind"],
                "rate": b["rate"],
                "rows": b["chart"],
            }
            for b in leagues
        ],
        "picker": picker(filters.period),
        "steps": list(STEP_LABELS.items()),
        "class_options": class_options(),
        # Communities, grids and police beats are many: readers of a street or the district
        # choose them by code (the selectors refuse a code out of reach).
        "by_code_kinds": [
            (kind, measures.SCOPE_KINDS[kind])
            for kind in BY_CODE[: 3 if visible.reach.district_wide else 2]
        ]
        if visible.reach.district_wide or visible.reach.street_ids
        else [],
        "by_code_values": BY_CODE,
        "period_params": [
            *filters.period.query().items(),
            *([("class_prefix", filters.class_prefix)] if filters.class_prefix else []),
        ],
        # What the league tables' own forms carry along: the page's other filters.
        "base_params": [
            *filters.query().items(),
            ("step", filters.step),
            *((b["measure_param"], b["measure"]) for b in leagues),
        ],
        "errors": filters.errors,
        "downloads": table_links(request, "measures"),
        "trend_downloads": table_links(request, "trend"),
        "person_url": person_url(request.user.get_username(), filters.period)
        if visible.person_id
        else "",
        "may_open_bigscreen": access.may_use(request.user, "bigscreen"),
        "may_open_participation": access.may_use(request.user, "participation"),
        "may_open_governance": access.may_use(request.user, "governance"),
        "participation_query": urlencode(filters.period.query()),
        "chart_strings": chart_strings(),
        "as_of": timezone.localtime(board.as_of),
    }
    return render(
        request, "web/measures/dashboard.html", context, status=400 if filters.errors else 200
    )


def _cell(value: object, key: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return shown(value, rate=is_rate(key))


def class_options() -> list[dict[str, object]]:
    """The class filter's choices: each major class (all its classes), then its classes."""
    majors: dict[str, str] = {}
    classes: dict[str, list[tuple[str, str]]] = {}
    for c in case_selectors.active_classes():
        majors[c.major.code] = c.major.name
        classes.setdefault(c.major.code, []).append((c.code, c.name))
    return [{"code": code, "name": name, "classes": classes[code]} for code, name in majors.items()]


def chart_strings() -> dict[str, str]:
    """Every text the charts show, translated into the request's language."""
    return {
        "percent": _("Rate (%)"),
        "count": _("Cases"),
        "value": _("Value"),
        "fraction": _("%(numerator)s of %(denominator)s"),
        "noData": _("Nothing to measure in this period."),
    }


def picker(period: Period) -> dict[str, object]:
    """The period picker's fields, each filled from the chosen period, so that switching the
    kind keeps the same days in view."""
    first = period.first
    return {
        "kind": period.kind,
        "kinds": list(PERIOD_LABELS.items()),
        "month": periods.month(first.year, first.month).key,
        "week": periods.week_of(first).key,
        "quarter": periods.quarter(first.year, (first.month - 1) // 3 + 1).key,
        "year": periods.year(first.year).key,
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
    }


MEASURE_COLUMNS: list[tuple[str, StrOrPromise]] = [
    ("label", gettext_lazy("Measure")),
    ("value", gettext_lazy("Value (%)")),
    ("numerator", gettext_lazy("Numerator")),
    ("denominator", gettext_lazy("Denominator")),
    ("previous", gettext_lazy("Period before (%)")),
    ("change_from_previous", gettext_lazy("Change from the period before (points)")),
    ("last_year", gettext_lazy("A year earlier (%)")),
    ("change_from_last_year", gettext_lazy("Change from a year earlier (points)")),
    ("formula", gettext_lazy("Formula")),
]


def _dashboard_download(
    request: SignedInRequest, fmt: str, table: str, visible: insight.Visible, filters: Filters
) -> HttpResponseBase:
    scope = filters.scope
    assert scope is not None
    user = request.user
    stamp = f"{scope.name or scope_param(scope)}-{filters.period.key}"
    columns: list[tuple[str, str]]
    rows: list[dict[str, object]]
    if table == "measures":
        board = insight.dashboard(
            user, period=filters.period, scope=scope, class_prefix=filters.class_prefix
        )
        columns = [(k, str(label)) for k, label in MEASURE_COLUMNS]
        rows = [
            {
                "label": f.label,
                "value": f.value,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "previous": f.previous.value if f.previous else None,
                "change_from_previous": f.change_from_previous,
                "last_year": f.last_year.value if f.last_year else None,
                "change_from_last_year": f.change_from_last_year,
                "formula": f.formula,
            }
            for f in board.figures
        ]
        name = _("measures")
    elif table == "trend":
        columns, rows = _trend_rows(_trend(request, filters))
        name = _("trend")
    elif table.startswith("league-") and table[len("league-") :] in visible.leagues:
        league = _league(request, table[len("league-") :], filters)
        columns = _league_columns(league)
        rows = _league_download_rows(league)
        name = f"{_('league')}-{LEAGUE_TITLES[league.kind]}"
    else:
        refusal = downloads.DownloadRefused(
            _("table: there is no such list on this page."), field="table"
        )
        return downloads.refusal_response(request, refusal)
    return downloads.table_download(
        request, fmt=fmt, filename=f"{name}-{stamp}", columns=columns, rows=rows
    )


# --- drill-down --------------------------------------------------------------------------------


def figure_label(key: str) -> str:
    label = (
        measures.LABELS.get(key)
        or insight.COUNT_LABELS.get(key)
        or insight.PERSON_LABELS.get(key)
        or key
    )
    return str(label)


PART_LABELS: dict[str, StrOrPromise] = {
    "numerator": gettext_lazy("cases counted in the numerator"),
    "denominator": gettext_lazy("cases counted in the denominator"),
}


@access.page("measures")
@require_GET
def drilldown(request: SignedInRequest):
    """The cases behind one figure, with the figure's own filters, paged as the console lists
    them; the same list as a download."""
    key = request.GET.get("key", "").strip()
    part = request.GET.get("part", "numerator").strip()
    try:
        filters = read_filters(request)
    except PermissionDenied:
        return access.forbidden(request)
    scope = filters.scope
    assert scope is not None
    cases: QuerySet[Case] | None = None
    if not filters.errors:
        try:
            cases = insight.drilldown(
                request.user,
                key=key,
                part=part,
                period=filters.period,
                scope=scope,
                class_prefix=filters.class_prefix,
            )
        except InvalidInput as error:
            filters.errors[error.field or "key"] = str(error.message)
        except PermissionDenied:
            return access.forbidden(request)
    if cases is not None:
        cases = cases.select_related("case_class", "grid", "community", "street")
    found = cases
    return downloads.download_or_page(
        request,
        page=lambda: _drill_page(request, key, part, filters, found),
        download=lambda fmt: _drill_download(request, fmt, key, part, filters, found),
    )


def _drill_page(
    request: SignedInRequest, key: str, part: str, filters: Filters, cases: QuerySet[Case] | None
):
    scope = filters.scope
    assert scope is not None
    page = Paginator(cases if cases is not None else Case.objects.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "case": c,
            "state_label": workflow.STATE_LABELS.get(c.state, c.state),
            "source_label": Source(c.source).label,
            "colour": case_selectors.timer_colour(c),
            "due": (case_selectors.running_clock(c) or (None, None))[1],
        }
        for c in page.object_list
    ]
    context = {
        "active_page": "measures",
        "key": key,
        "part": part,
        "label": figure_label(key),
        "part_label": PART_LABELS.get(part, part),
        "formula": measures.DEFINITIONS.get(key, ""),
        # Checks, call-backs and dispatches: one case may count more than once in the figure.
        "per_event": cases is not None and not insight.counts_cases(key, part),
        "filters": filters,
        "scope": scope,
        "period": filters.period,
        "errors": filters.errors,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "back": dashboard_url(filters, scope),
        "downloads": downloads.download_links(request),
    }
    return render(
        request, "web/measures/cases.html", context, status=400 if filters.errors else 200
    )


def _drill_download(
    request: SignedInRequest,
    fmt: str,
    key: str,
    part: str,
    filters: Filters,
    cases: QuerySet[Case] | None,
) -> HttpResponseBase:
    if cases is None:
        field_name = next(iter(filters.errors), "key")
        refused = downloads.DownloadRefused(filters.errors[field_name], field=field_name)
        return downloads.refusal_response(request, refused)
    scope = filters.scope
    assert scope is not None
    return downloads.table_download(
        request,
        fmt=fmt,
        filename=f"{figure_label(key)}-{PART_LABELS.get(part, part)}-{scope.name or scope.kind}"
        f"-{filters.period.key}",
        columns=CASE_COLUMNS,
        rows=case_export_rows(cases),
        total=cases.count(),  # refused there over ONEGRID["EXPORT_MAX_ROWS"]
    )


# --- a person's figures ------------------------------------------------------------------------


PERSON_COLUMNS: list[tuple[str, StrOrPromise]] = [
    ("label", gettext_lazy("Measure")),
    ("value", gettext_lazy("Value")),
    ("numerator", gettext_lazy("Numerator")),
    ("denominator", gettext_lazy("Denominator")),
    ("formula", gettext_lazy("Formula")),
]


@access.page("measures")
@require_GET
def person(request: SignedInRequest, username: str):
    """A grid worker's or department handler's own figures for a period (whoever may read
    them: the person, district-wide readers, the street's readers for its grid workers)."""
    filters = read_filters(request, with_scope=False)  # no scope read: nothing to refuse
    found = User.objects.filter(username=username).first()
    try:
        if found is None:
            raise NotFound(_("No such person."), field="person")
        figures = insight.person_figures(request.user, person=found, period=filters.period)
    except (NotFound, PermissionDenied):
        # Whether a person exists is not told to those who may not read their figures.
        raise Http404(_("No such person among those whose figures you may read.")) from None
    rows: list[dict[str, object]] = [
        {
            "key": f.key,
            "label": f.label,
            "formula": f.formula,
            "numerator": f.numerator,
            "denominator": f.denominator,
            "value": f.value,
            "value_text": shown(f.value, rate=f.denominator is not None),
        }
        for f in figures.figures
    ]
    return downloads.download_or_page(
        request,
        page=lambda: _person_page(request, figures, rows, filters),
        download=lambda fmt: downloads.table_download(
            request,
            fmt=fmt,
            filename=f"{figures.person}-{filters.period.key}",
            columns=[(k, str(label)) for k, label in PERSON_COLUMNS],
            rows=rows,
        ),
    )


def _person_page(
    request: SignedInRequest,
    figures: insight.PersonFigures,
    rows: list[dict[str, object]],
    filters: Filters,
):
    context = {
        "active_page": "measures",
        "figures": figures,
        "person": figures.person,
        "rows": rows,
        "filters": filters,
        "period": filters.period,
        "picker": picker(filters.period),
        "errors": filters.errors,
        "downloads": downloads.download_links(request),
        "back": reverse("web:measures") + "?" + urlencode(filters.period.query()),
        "as_of": timezone.localtime(figures.as_of),
        "roles": figures.roles,
    }
    return render(
        request, "web/measures/person.html", context, status=400 if filters.errors else 200
    )


routes = [
    path("console/measures/", dashboard, name="measures"),
    path("console/measures/cases/", drilldown, name="measures_cases"),
    path("console/measures/people/<str:username>/", person, name="measures_person"),
]
