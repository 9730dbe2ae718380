"""Reads of the measures, scoped to what the actor may read (org.policies.measures_reach).

Every function takes the actor first and refuses (PermissionDenied, 403) a scope the actor may
not read; the figures themselves come from the history (`insight.measures`). Pages, exports,
reports and the JSON API (`insight.api`) call these and nothing below them:

* `visible_scopes(actor)` — what the actor may read: the scopes to offer, the default one,
  the league tables, their own person figures.
* `resolve_scope(actor, kind=, code=)` — a scope chosen by kind and code, checked.
* `dashboard(actor, period=, scope=)` — every measure with numerator, denominator, value and
  formula, against the period before and the same period a year earlier (changes in
  percentage points), and the counts (reports, due, closed, overdue, open now).
* `period_counts(actor, period=, scope=)` — the counts alone (one read of the totals).
* `league_table(actor, kind=, period=, measure=)` — 红黑榜 of streets, departments or grid
  workers, ranked by one measure with the rule stated.
* `trend(actor, scope=, start=, end=, step=)` — counts and rates by day, week or month.
* `drilldown(actor, key=, part=, period=, scope=)` — the cases behind a figure that the actor
  may see.
* `person_figures(actor, person=, period=)` — a grid worker's or department handler's own
  figures.
* `campaigns(actor)`, `campaign_effect(campaign)` — campaigns (集中整治) and their effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases import workflow
from onegrid.cases.access import ACTIVE_TASK_STATES
from onegrid.cases.models import Case, Task
from onegrid.cases.selectors import visible_cases
from onegrid.core import clock, codes
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.territory import district
from onegrid.territory.models import AdminUnit, Beat, Grid
from onegrid.territory.selectors import beat_grid_ids

from . import measures, periods, whistles
from .measures import Scope, rate
from .models import Campaign
from .periods import Period
from .totals import (
    PER_EVENT_COUNTERS,
    Counts,
    PersonCounts,
    cases_behind,
    person_totals,
    totals,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SCOPE_KINDS = ("city", "district", "street", "community", "grid", "beat", "department")
STEPS = ("day", "week", "month")
PARTS = ("numerator", "denominator")
# At most this many points in one trend (a day step over a year is 366).
MAX_TREND_POINTS = 400
# Rates where less is better; every other rate ranks highest first.
LOWER_IS_BETTER = frozenset({"overdue_rate", "rework_rate", "recurrence_rate"})
# The counts of a period shown beside the rates (insight.totals.Counts fields), and open now.
PERIOD_COUNTS = ("reports", "n_due", "closed", "closed_on_time", "overdue")
COUNT_LABELS: dict[str, StrOrPromise] = {
    "reports": gettext_lazy("Reports"),
    "n_due": gettext_lazy("Due in the period"),
    "closed": gettext_lazy("Closed"),
    "closed_on_time": gettext_lazy("Closed on time"),
    "overdue": gettext_lazy("Overdue"),
    "open_now": gettext_lazy("Open now"),
    "joint_dispatches": gettext_lazy("Joint dispatches"),
}
# How many rows at each end of a league table are marked (red at the top, black at the bottom).
MARKED = 3
TIE_RULE = gettext_lazy(
    "Ranked by value, best first; equal values share a rank and the next rank is skipped "
    "(1, 2, 2, 4); among equals the larger denominator comes first, then the code. Rows with "
    "nothing to measure (denominator 0) are listed last without a rank. The top %(n)d ranks "
    "are marked red and the bottom %(n)d black (fewer when the table is short; none where "
    "every value is equal)."
)


# --- what an actor may read ------------------------------------------------------------------


@dataclass(frozen=True)
class Visible:
    """What of the measures an actor may read (visible_scopes)."""

    reach: policies.MeasuresReach
    default: Scope | None
    scopes: tuple[Scope, ...]  # the scopes to offer in a picker, broadest first
    leagues: tuple[str, ...]  # the league tables (policies.LEAGUE_KINDS) they may read
    person_id: int | None  # their own person figures, when they have some

    @property
    def reads_anything(self) -> bool:
        return self.reach.reads_anything


def visible_scopes(actor: User) -> Visible:
    """The scopes `actor` may read. District-wide readers: the district, every street and
    every department (communities, grids and beats by code). Street readers: their streets and
    those streets' communities. Community readers: their communities and their grids. Grid
    workers: their grids. Department handlers: their departments. Everyone else: nothing."""
    reach = policies.measures_reach(actor)
    scopes: list[Scope] = []
    if reach.district_wide and district.is_city():
        # A city's readers: the city, each district, every street.
        scopes += [city_scope(), *(_unit_scope(u) for u in district.districts())]
        scopes += [
            _unit_scope(u)
            for u in AdminUnit.objects.filter(
                level="street", parent__in=district.districts()
            ).order_by("code")
        ]
    elif reach.district_wide:
        scopes.append(Scope("district"))
        scopes += [
            _unit_scope(u) for u in AdminUnit.objects.filter(level="street").order_by("code")
        ]
    else:
        if reach.district_ids:  # a city's district read whole
            whole = AdminUnit.objects.filter(pk__in=reach.district_ids).order_by("code")
            scopes += [_unit_scope(u) for u in whole]
        streets = AdminUnit.objects.filter(pk__in=reach.street_ids).order_by("code")
        scopes += [_unit_scope(u) for u in streets]
        communities = AdminUnit.objects.filter(
            Q(pk__in=reach.community_ids) | Q(parent_id__in=reach.street_ids), level="community"
        ).order_by("code")
        scopes += [_unit_scope(u) for u in communities]
        grids = Grid.objects.filter(
            Q(pk__in=reach.grid_ids) | Q(community_id__in=reach.community_ids)
        ).order_by("code")
        scopes += [Scope("grid", g.code, g.name, g.pk) for g in grids]
    departments = Department.objects.order_by("code")
    if not reach.district_wide:
        departments = departments.filter(pk__in=reach.department_ids)
    scopes += [Scope("department", d.code, d.name, d.pk) for d in departments]
    leagues = tuple(k for k in policies.LEAGUE_KINDS if policies.may_read_league(actor, k))
    return Visible(
        reach=reach,
        default=scopes[0] if scopes else None,
        scopes=tuple(scopes),
        leagues=leagues,
        person_id=actor.pk if reach.own_figures else None,
    )


def _unit_scope(unit: AdminUnit) -> Scope:
    return Scope(unit.level, unit.code, unit.name, unit.pk)


def city_scope() -> Scope:
    """The whole city (a city's installation): every district it serves."""
    code = district.city_code()
    unit = AdminUnit.objects.filter(code=code, level="city").first()
    return Scope("city", code, unit.name if unit else code, unit.pk if unit else None)


def refused() -> PermissionDenied:
    """The refusal of a scope (or of any figure) out of the actor's reach."""
    return PermissionDenied(_("You may not read these figures."), field="scope")


def resolve_scope(actor: User, *, kind: str | None = None, code: str | None = None) -> Scope:
    """The scope of `kind` (SCOPE_KINDS) with `code`, if `actor` may read it; with no kind,
    the actor's default scope. Raises InvalidInput (unknown kind or code, field scope or code)
    or PermissionDenied (403) for a scope out of reach."""
    if not kind:
        visible = visible_scopes(actor)
        if visible.default is None:
            raise refused()
        return visible.default
    scope = place_scope(kind, code, kinds=SCOPE_KINDS)
    require_readable(actor, scope)
    return scope


def place_scope(kind: str, code: str | None, *, kinds: Sequence[str]) -> Scope:
    """The Scope of the place of `kind` (one of `kinds`, which a page or table measures) with
    `code`, unscoped: the caller checks who may read it. InvalidInput names the field (scope:
    a kind not in `kinds`; code: missing, malformed or unknown)."""
    if kind not in kinds:
        raise InvalidInput(
            _("scope: must be one of %(kinds)s.") % {"kinds": ", ".join(kinds)}, field="scope"
        )
    if kind == "city":
        if not district.is_city():
            raise InvalidInput(
                _("scope: this installation serves one district; ask for the district."),
                field="scope",
            )
        return city_scope()
    if kind == "district" and not district.is_city():
        return Scope("district")
    code = (code or "").strip()
    if not code:
        raise InvalidInput(
            _("code: give the code of the %(kind)s.") % {"kind": measures.SCOPE_KINDS[kind]},
            field="code",
        )
    problem = codes.code_problem(code, max_length=40)
    if problem is not None:
        raise InvalidInput(f"code: {problem}", field="code")
    found = _find_scope(kind, code)
    if found is None:
        raise InvalidInput(
            _("code: no %(kind)s has this code.") % {"kind": measures.SCOPE_KINDS[kind]},
            field="code",
        )
    return found


def _find_scope(kind: str, code: str) -> Scope | None:
    if len(code) > 40:
        return None
    if kind == "district":  # one of a city's districts
        found = AdminUnit.objects.filter(level="district", code__in=district.district_codes())
        unit = found.filter(code=code).first()
        return _unit_scope(unit) if unit else None
    if kind in ("street", "community"):
        unit = AdminUnit.objects.filter(level=kind, code=code).first()
        return _unit_scope(unit) if unit else None
    if kind == "grid":
        # Retired grids are measured too: their cases keep them.
        grid = Grid.all_objects.filter(code=code).first()
        return Scope("grid", grid.code, grid.name, grid.pk) if grid else None
    if kind == "department":
        dept = Department.objects.filter(code=code).first()
        return Scope("department", dept.code, dept.name, dept.pk) if dept else None
    beat = Beat.all_objects.filter(code=code).first()
    if beat is None:
        return None
    return Scope(
        "beat", beat.code, beat.name or beat.code, beat.pk, tuple(beat_grid_ids(code, None))
    )


def _pk(scope: Scope) -> int:
    if scope.pk is None:
        raise ValueError(f"a {scope.kind} scope needs its row's key")
    return scope.pk


def _place(scope: Scope) -> policies.Place | None:
    if scope.kind == "district" and scope.pk is not None:
        return policies.Place(None, None, None, district_id=scope.pk)
    if scope.kind == "street":
        return policies.Place(None, None, scope.pk)
    if scope.kind == "community":
        parent = AdminUnit.objects.filter(pk=_pk(scope)).values_list("parent_id", flat=True).first()
        return policies.Place(None, scope.pk, parent)
    if scope.kind == "grid":
        grid = Grid.all_objects.filter(pk=_pk(scope)).values("community_id", "street_id").first()
        if grid is None:
            return None
        return policies.Place(scope.pk, grid["community_id"], grid["street_id"])
    return None


def may_read(actor: User, scope: Scope) -> bool:
    """Whether `actor` may read the figures of `scope` and drill into them."""
    return policies.may_read_measures(
        actor,
        kind=scope.kind,
        place=_place(scope),
        department_id=scope.pk if scope.kind == "department" else None,
    )


def require_readable(actor: User, scope: Scope) -> None:
    if not may_read(actor, scope):
        raise refused()


# --- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int
    value: Decimal | None  # percent, 2 decimals; None when the denominator is 0

    def as_dict(self) -> dict[str, object]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": _text(self.value),
        }


@dataclass(frozen=True)
class Figure:
    """One measure of a period with its comparisons."""

    key: str
    label: str
    formula: str  # the definition shown beside the figure
    numerator: int
    denominator: int
    value: Decimal | None
    applicable: bool
    lower_is_better: bool
    previous: Ratio | None = None
    last_year: Ratio | None = None

    @property
    def change_from_previous(self) -> Decimal | None:
        """Percentage points up (+) or down (−) from the period before."""
        return _change(self.value, self.previous)

    @property
    def change_from_last_year(self) -> Decimal | None:
        return _change(self.value, self.last_year)

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "formula": self.formula,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": _text(self.value),
            "applicable": self.applicable,
            "lower_is_better": self.lower_is_better,
            "previous": self.previous.as_dict() if self.previous else None,
            "last_year": self.last_year.as_dict() if self.last_year else None,
            "change_from_previous": _text(self.change_from_previous),
            "change_from_last_year": _text(self.change_from_last_year),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _change(value: Decimal | None, other: Ratio | None) -> Decimal | None:
    if value is None or other is None or other.value is None:
        return None
    return value - other.value


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    last_year_period: Period
    scope: Scope
    as_of: dt.datetime
    counts: dict[str, int]
    previous_counts: dict[str, int]
    last_year_counts: dict[str, int]
    figures: list[Figure]

    def __getitem__(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)


def _counts(c: Counts) -> dict[str, int]:
    return {key: getattr(c, key) for key in PERIOD_COUNTS}


def _as_of(as_of: dt.datetime | None) -> dt.datetime:
    return as_of or clock.now()


def _totals(period: Period, scope: Scope, as_of: dt.datetime, class_prefix: str = "") -> Counts:
    return totals(period.start, period.end, as_of=as_of, scope=scope, class_prefix=class_prefix)[
        None
    ]


def ratio_of(counts: Counts, key: str) -> Ratio:
    """The measure `key` (measures.COUNTERS) of `counts`."""
    numerator, denominator = (getattr(counts, name) for name in measures.COUNTERS[key])
    return Ratio(numerator, denominator, rate(numerator, denominator))


def applies(key: str, scope_kind: str) -> bool:
    """Report measures have no department: they do not apply to a department's figures."""
    return not (scope_kind == "department" and key in measures.REPORT_MEASURES)


def dashboard(
    actor: User,
    *,
    period: Period,
    scope: Scope,
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> Dashboard:
    """Every measure of `scope` in `period` as of `as_of` (default now), with the period
    before and the same period a year earlier evaluated at the same moment; `class_prefix`
    narrows every figure to the classes whose code starts with it."""
    require_readable(actor, scope)
    as_of = _as_of(as_of)
    current = _totals(period, scope, as_of, class_prefix)
    before = _totals(period.previous(), scope, as_of, class_prefix)
    year_ago = _totals(period.last_year(), scope, as_of, class_prefix)
    figures = []
    for key in measures.ORDER:
        now = ratio_of(current, key)
        applicable = applies(key, scope.kind)
        figures.append(
            Figure(
                key=key,
                label=str(measures.LABELS[key]),
                formula=str(measures.DEFINITIONS[key]),
                numerator=now.numerator,
                denominator=now.denominator,
                value=now.value if applicable else None,
                applicable=applicable,
                lower_is_better=key in LOWER_IS_BETTER,
                previous=ratio_of(before, key) if applicable else None,
                last_year=ratio_of(year_ago, key) if applicable else None,
            )
        )
    open_now = open_cases(scope, class_prefix).count()
    return Dashboard(
        period=period,
        previous_period=period.previous(),
        last_year_period=period.last_year(),
        scope=scope,
        as_of=as_of,
        counts=_counts(current) | {"open_now": open_now},
        previous_counts=_counts(before),
        last_year_counts=_counts(year_ago),
        figures=figures,
    )


def period_counts(
    actor: User,
    *,
    period: Period,
    scope: Scope,
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> dict[str, int]:
    """The counts of `scope` in `period` (PERIOD_COUNTS), as `dashboard` gives them, without
    the measures' comparisons or the open cases: a single read of the totals."""
    require_readable(actor, scope)
    return _counts(_totals(period, scope, _as_of(as_of), class_prefix))


def _in_scope(cases: QuerySet[Case], scope: Scope) -> QuerySet[Case]:
    if scope.kind == "district" and scope.pk is not None:  # one of a city's districts
        return policies.restrict_to_districts(cases, frozenset({scope.pk}), "street_id")
    if scope.kind in ("street", "community", "grid"):
        return cases.filter(**{f"{scope.kind}_id": scope.pk})
    if scope.kind == "beat":
        return cases.filter(grid_id__in=scope.grid_ids)
    if scope.kind == "department":
        led = Task.objects.filter(department_id=_pk(scope), role=Task.Role.LEAD)
        return cases.filter(pk__in=led.values("case_id"))
    return cases


def open_cases(scope: Scope, class_prefix: str = "") -> QuerySet[Case]:
    """The cases of the scope open now (a department: those whose live lead task is its)."""
    cases = Case.objects.filter(state__in=workflow.OPEN_STATES)
    if class_prefix:
        cases = cases.filter(case_class__code__startswith=class_prefix)
    if scope.kind == "department":
        led = Task.objects.filter(
            department_id=_pk(scope), role=Task.Role.LEAD, state__in=ACTIVE_TASK_STATES
        )
        return cases.filter(pk__in=led.values("case_id"))
    return _in_scope(cases, scope)


# --- league tables (红黑榜) --------------------------------------------------------------------


@dataclass(frozen=True)
class LeagueRow:
    rank: int | None
    code: str
    name: str
    value: Decimal | None
    numerator: int
    denominator: int | None  # None for a plain count
    mark: str  # "top", "bottom" or ""
    drillable: bool  # whether the reader may open this row's figures and cases
    columns: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "code": self.code,
            "name": self.name,
            "value": _text(self.value),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "mark": self.mark,
            "drillable": self.drillable,
            "columns": {
                k: (_text(v) if isinstance(v, Decimal) else v) for k, v in self.columns.items()
            },
        }


@dataclass(frozen=True)
class League:
    kind: str
    measure: str
    label: str
    formula: str
    lower_is_better: bool
    period: Period
    as_of: dt.datetime
    rule: str
    columns: list[tuple[str, str]]  # extra columns: key → label
    rows: list[LeagueRow]
    # The formula of each extra column that has one (the departments' 吹哨报到 columns).
    formulas: dict[str, str] = field(default_factory=dict)


# The measures a table may be ranked by, and the columns shown beside the ranked one.
STREET_COLUMNS = (
    "on_time_closure_rate",
    "overdue_rate",
    "proactive_share",
    "lowest_level_share",
    "satisfaction_rate",
    "recurrence_rate",
)
DEPARTMENT_COLUMNS = (
    "on_time_closure_rate",
    "overdue_rate",
    "rework_rate",
    "satisfaction_rate",
    "joint_case_share",
)
# Plain counts beside a department's rates: cases overdue and joint dispatches (co-departments
# named: the joint tasks it led).
DEPARTMENT_COUNTS = ("overdue", "joint_dispatches")
DEFAULT_MEASURE = {
    "street": "on_time_closure_rate",
    "department": "on_time_closure_rate",
    "grid_worker": "valid_report_rate",
}


def league_measures(kind: str) -> tuple[str, ...]:
    """The measures a league table of `kind` may be ranked by."""
    if kind == "grid_worker":
        return GRID_WORKER_FIGURES
    return tuple(k for k in measures.ORDER if applies(k, kind))


def check_class_prefix(prefix: str | None) -> str:
    """A class code prefix from a caller ("" for every class); InvalidInput naming
    `class_prefix` when it breaks the code rule."""
    prefix = (prefix or "").strip()
    if prefix:
        problem = codes.code_problem(prefix, max_length=20)
        if problem is not None:
            raise InvalidInput(f"class_prefix: {problem}", field="class_prefix")
    return prefix


def league_table(
    actor: User,
    *,
    kind: str,
    period: Period,
    measure: str | None = None,
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> League:
    """The league table (红黑榜) of `kind` (street, department, grid_worker) for `period`,
    ranked by `measure` (default: on-time closure; grid workers: valid-report rate) under
    TIE_RULE. A street reader sees every street ranked but may drill only into their own
    (`drillable`); the grid-worker table lists the workers of the streets the actor reads."""
    if kind not in policies.LEAGUE_KINDS:
        raise InvalidInput(
            _("kind: must be one of %(kinds)s.") % {"kinds": ", ".join(policies.LEAGUE_KINDS)},
            field="kind",
        )
    if not policies.may_read_league(actor, kind):
        raise PermissionDenied(_("You may not read this league table."), field="kind")
    measure = measure or DEFAULT_MEASURE[kind]
    allowed = league_measures(kind)
    if measure not in allowed:
        raise InvalidInput(
            _("measure: must be one of %(keys)s.") % {"keys": ", ".join(allowed)}, field="measure"
        )
    as_of = _as_of(as_of)
    if kind == "grid_worker":
        return _grid_worker_league(actor, period, measure, as_of)
    reach = policies.measures_reach(actor)
    grouped = totals(
        period.start, period.end, as_of=as_of, class_prefix=class_prefix, group_by=kind
    )
    names: dict[str, str] = {}
    drillable: dict[str, bool] = {}
    if kind == "street":
        streets = AdminUnit.objects.filter(level="street")
        if district.is_city() and not reach.district_wide:
            # A city's street readers rank among their own district's streets: another
            # district's figures are not theirs to read.
            streets = streets.filter(parent_id__in=_reader_district_ids(reach))
        for unit in streets:
            names[unit.code] = unit.name
            drillable[unit.code] = reach.covers(policies.Place(None, None, unit.pk))
        shown: tuple[str, ...] = STREET_COLUMNS
        counted: tuple[str, ...] = ()
    else:
        for dept in Department.objects.all():
            names[dept.code] = dept.name
            drillable[dept.code] = reach.district_wide or dept.pk in reach.department_ids
        shown, counted = DEPARTMENT_COLUMNS, DEPARTMENT_COUNTS
    # 吹哨报到: how the streets' summonses of each department went (insight.whistles).
    whistled: dict[str, whistles.WhistleFigures] | None = None
    if kind == "department":
        by_id = whistles.department_whistle_figures(start=period.start, end=period.end)
        codes = dict(Department.objects.values_list("pk", "code"))
        whistled = {codes[pk]: figures for pk, figures in by_id.items() if pk in codes}
    entries = []
    for code, name in names.items():
        counts = grouped.get(code) or Counts()
        ranked = ratio_of(counts, measure)
        columns: dict[str, object] = {k: ratio_of(counts, k).value for k in shown if k != measure}
        columns |= {k: getattr(counts, k) for k in counted}
        if whistled is not None:
            columns |= whistled.get(code, whistles.WhistleFigures()).columns()
        entries.append((code, name, ranked.value, ranked.numerator, ranked.denominator, columns))
    lower = measure in LOWER_IS_BETTER
    return League(
        kind=kind,
        measure=measure,
        label=str(measures.LABELS[measure]),
        formula=str(measures.DEFINITIONS[measure]),
        lower_is_better=lower,
        period=period,
        as_of=as_of,
        rule=str(TIE_RULE) % {"n": MARKED},
        columns=[(k, str(measures.LABELS[k])) for k in shown if k != measure]
        + [(k, str(COUNT_LABELS[k])) for k in counted]
        + ([(k, str(v)) for k, v in whistles.LABELS.items()] if whistled is not None else []),
        rows=rank(entries, lower_is_better=lower, drillable=drillable),
        formulas={k: str(measures.DEFINITIONS[k]) for k in shown if k != measure}
        | ({k: str(v) for k, v in whistles.DEFINITIONS.items()} if whistled is not None else {}),
    )


def _reader_district_ids(reach: policies.MeasuresReach) -> set[int]:
    """The districts of a (not city-wide) reader's places: those read whole and those their
    streets, communities and grids lie in."""
    found = set(reach.district_ids)
    streets = set(reach.street_ids)
    streets |= set(
        AdminUnit.objects.filter(pk__in=reach.community_ids).values_list("parent_id", flat=True)
    )
    streets |= set(
        Grid.all_objects.filter(pk__in=reach.grid_ids).values_list("street_id", flat=True)
    )
    found |= {
        p for p in AdminUnit.objects.filter(pk__in=streets).values_list("parent_id", flat=True) if p
    }
    return found


# --- the city's rollup (a city's installation) -------------------------------------------------


@dataclass(frozen=True)
class CityRow:
    """One district's figures (or the city's: the sum of its districts' rows)."""

    scope: Scope
    counts: dict[str, int]
    figures: list[Figure]


@dataclass(frozen=True)
class CityRollup:
    period: Period
    as_of: dt.datetime
    city: CityRow
    districts: list[CityRow]


def _row(scope: Scope, counts: Counts) -> CityRow:
    figures = []
    for key in measures.ORDER:
        now = ratio_of(counts, key)
        figures.append(
            Figure(
                key=key,
                label=str(measures.LABELS[key]),
                formula=str(measures.DEFINITIONS[key]),
                numerator=now.numerator,
                denominator=now.denominator,
                value=now.value,
                applicable=True,
                lower_is_better=key in LOWER_IS_BETTER,
                previous=None,
                last_year=None,
            )
        )
    return CityRow(scope=scope, counts=_counts(counts), figures=figures)


def may_read_city(actor: User) -> bool:
    """The city's rollup: readers of every district (a command centre or leader bound to the
    city, a superuser) in a city's installation."""
    return district.is_city() and policies.may_read_measures(actor, kind="city")


def city_rollup(
    actor: User,
    *,
    period: Period,
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> CityRollup:
    """Every district's figures in `period` and the city's: each district's counts summed
    from its streets' rollup rows (one read grouped by street), the city's counts the sum of
    its districts' counts, and every rate recomputed from the summed numerator and
    denominator (never an average of the districts' rates). PermissionDenied for anyone but
    the city's readers (may_read_city)."""
    if not may_read_city(actor):
        raise refused()
    as_of = _as_of(as_of)
    units = district.districts()
    by_street = totals(
        period.start, period.end, as_of=as_of, class_prefix=class_prefix, group_by="street"
    )
    street_district = dict(
        AdminUnit.objects.filter(level="street", parent__in=units).values_list("code", "parent_id")
    )
    summed: dict[int, Counts] = {u.pk: Counts() for u in units}
    for code, counts in by_street.items():
        owner = street_district.get(code)
        if owner is not None:
            summed[owner].add(counts)
    whole = Counts()
    for counts in summed.values():
        whole.add(counts)
    return CityRollup(
        period=period,
        as_of=as_of,
        city=_row(city_scope(), whole),
        districts=[_row(_unit_scope(u), summed[u.pk]) for u in units],
    )


def rank(
    entries: Iterable[tuple[str, str, Decimal | None, int, int | None, dict[str, object]]],
    *,
    lower_is_better: bool,
    drillable: dict[str, bool] | Callable[[str], bool],
) -> list[LeagueRow]:
    """Rows ranked by TIE_RULE: (code, name, value, numerator, denominator, columns) each."""
    listed = list(entries)
    measured = [e for e in listed if e[2] is not None]
    unmeasured = sorted((e for e in listed if e[2] is None), key=lambda e: e[0])
    sign = 1 if lower_is_better else -1
    measured.sort(key=lambda e: (sign * e[2], -(e[4] or 0), e[0]))  # type: ignore[operator]
    ranks: list[int] = []
    for i, e in enumerate(measured):
        ranks.append(ranks[-1] if i and e[2] == measured[i - 1][2] else i + 1)
    n = len(measured)
    marked = min(MARKED, n // 2)
    # Rank from the bottom, computed the same way on the reversed order.
    from_bottom: list[int] = [0] * n
    for j in range(n - 1, -1, -1):
        k = n - 1 - j
        from_bottom[j] = from_bottom[j + 1] if k and measured[j][2] == measured[j + 1][2] else k + 1
    is_drillable = drillable.get if isinstance(drillable, dict) else drillable
    rows = []
    for i, (code, name, value, num, den, columns) in enumerate(measured):
        top = ranks[i] <= marked
        bottom = from_bottom[i] <= marked
        mark = "" if top == bottom else ("top" if top else "bottom")
        rows.append(
            LeagueRow(
                ranks[i], code, name, value, num, den, mark, bool(is_drillable(code)), columns
            )
        )
    for code, name, _value, num, den, columns in unmeasured:
        rows.append(
            LeagueRow(None, code, name, None, num, den, "", bool(is_drillable(code)), columns)
        )
    return rows


def _grid_worker_league(actor: User, period: Period, measure: str, as_of: dt.datetime) -> League:
    reach = policies.measures_reach(actor)
    workers = RoleAssignment.objects.filter(role=Role.GRID_WORKER, grid__isnull=False)
    if not reach.district_wide:
        workers = workers.filter(
            Q(grid__street_id__in=reach.street_ids) | Q(grid__community_id__in=reach.community_ids)
        )
    # Plain values: a district has a thousand workers or more, and a model instance per row
    # (with its user's dates and its grid's polygon) cost most of the table's time.
    people: dict[int, tuple[str, str, list[str]]] = {}
    rows = workers.order_by("grid__code").values_list(
        "user_id", "user__username", "user__display_name", "grid__code"
    )
    for user_id, username, display_name, grid_code in rows:
        people.setdefault(user_id, (username, display_name or username, []))[2].append(grid_code)
    counts = person_totals(
        period.start,
        period.end,
        user_ids=None if reach.district_wide else list(people),
        as_of=as_of,
    )
    shown = [k for k in GRID_WORKER_FIGURES if k != measure]
    entries = []
    for user_id, (username, name, grids) in people.items():
        values = person_values(counts.get(user_id) or PersonCounts(), (measure, *shown))
        num, den, value = values[measure]
        columns: dict[str, object] = {"grids": ", ".join(grids)}
        columns |= {k: values[k][2] for k in shown}
        entries.append((username, name, value, num, den, columns))
    return League(
        kind="grid_worker",
        measure=measure,
        label=str(PERSON_LABELS[measure]),
        formula=str(PERSON_DEFINITIONS[measure]),
        lower_is_better=measure in LOWER_IS_BETTER,
        period=period,
        as_of=as_of,
        rule=str(TIE_RULE) % {"n": MARKED},
        columns=[("grids", _("Grids"))] + [(k, str(PERSON_LABELS[k])) for k in shown],
        rows=rank(
            entries,
            lower_is_better=measure in LOWER_IS_BETTER,
            drillable=lambda _code: True,
        ),
    )


# --- person figures ----------------------------------------------------------------------------

# A grid worker's figures and a department handler's (insight.totals.PersonCounts).
GRID_WORKER_FIGURES = ("reports", "valid_report_rate", "self_closed", "checks", "timely_check_rate")
HANDLER_FIGURES = ("fed_back", "on_time_feedback_rate", "feedback_rework_rate")
PERSON_RATIOS = {
    "valid_report_rate": ("valid", "reports"),
    "timely_check_rate": ("timely_checks", "checks"),
    "on_time_feedback_rate": ("fed_back_on_time", "fed_back"),
    "feedback_rework_rate": ("reworked", "fed_back"),
}
PERSON_LABELS: dict[str, StrOrPromise] = {
    "reports": gettext_lazy("Reports"),
    "valid_report_rate": gettext_lazy("Valid-report rate"),
    "self_closed": gettext_lazy("Fixed on the spot"),
    "checks": gettext_lazy("On-site checks"),
    "timely_check_rate": gettext_lazy("Timely check rate"),
    "fed_back": gettext_lazy("Tasks fed back"),
    "on_time_feedback_rate": gettext_lazy("On-time feedback rate"),
    "feedback_rework_rate": gettext_lazy("Rework rate of feedbacks"),
}
PERSON_DEFINITIONS: dict[str, StrOrPromise] = {
    "reports": gettext_lazy("Reports the person made in the period."),
    "valid_report_rate": gettext_lazy(
        "Of the person's reports in the period, those registered or fixed on the spot ÷ all "
        "of them."
    ),
    "self_closed": gettext_lazy(
        "Problems the person reported and fixed on the spot, of their reports in the period."
    ),
    "checks": gettext_lazy("On-site checks (passed or failed) the person completed in the period."),
    "timely_check_rate": gettext_lazy(
        "On-site checks the person completed by their deadline (the check time limit after the "
        "check started) ÷ on-site checks the person completed in the period."
    ),
    "fed_back": gettext_lazy("Tasks the person fed back for their department in the period."),
    "on_time_feedback_rate": gettext_lazy(
        "Feedbacks given before the task's deadline ÷ feedbacks the person gave in the period."
    ),
    "feedback_rework_rate": gettext_lazy(
        "Feedbacks whose on-site check failed (the work was sent back) ÷ feedbacks the person "
        "gave in the period."
    ),
}


def person_values(
    c: PersonCounts, keys: Iterable[str] = tuple(PERSON_LABELS)
) -> dict[str, tuple[int, int | None, Decimal | None]]:
    """(numerator, denominator, value) of each person figure in `keys`; a plain count has no
    denominator and is its own value."""
    out: dict[str, tuple[int, int | None, Decimal | None]] = {}
    for key in keys:
        if key in PERSON_RATIOS:
            num, den = (getattr(c, part) for part in PERSON_RATIOS[key])
            out[key] = (num, den, rate(num, den))
        else:
            count = getattr(c, key)
            out[key] = (count, None, Decimal(count))
    return out


@dataclass(frozen=True)
class PersonFigure:
    key: str
    label: str
    formula: str
    numerator: int
    denominator: int | None  # None for a plain count
    value: Decimal | None


@dataclass(frozen=True)
class PersonFigures:
    person: User
    period: Period
    as_of: dt.datetime
    roles: list[str]
    figures: list[PersonFigure]

    def __getitem__(self, key: str) -> PersonFigure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)


def person_figures(
    actor: User, *, person: User, period: Period, as_of: dt.datetime | None = None
) -> PersonFigures:
    """A grid worker's (reports, valid-report rate, self-closed, checks, timely checks) or a
    department handler's (feedbacks, on time, reworked) own figures for `period`."""
    if not policies.may_read_measures(actor, kind="person", person=person):
        raise PermissionDenied(_("You may not read this person's figures."), field="person")
    roles = sorted(policies.role_names(person) & policies.PERSON_MEASURED)
    if not roles:
        raise NotFound(_("This person's work is not measured person by person."), field="person")
    as_of = _as_of(as_of)
    counts = person_totals(period.start, period.end, user_ids=[person.pk], as_of=as_of)
    values = person_values(counts.get(person.pk) or PersonCounts())
    keys: list[str] = []
    if set(roles) & {Role.GRID_WORKER, Role.GRID_HEAD}:
        keys += GRID_WORKER_FIGURES
    if Role.DEPT_HANDLER in roles:
        keys += HANDLER_FIGURES
    return PersonFigures(
        person=person,
        period=period,
        as_of=as_of,
        roles=roles,
        figures=[
            PersonFigure(k, str(PERSON_LABELS[k]), str(PERSON_DEFINITIONS[k]), *values[k])
            for k in keys
        ],
    )


def find_person(actor: User, person_id: int) -> User:
    """The person `person_id`, if `actor` may read their figures (404 otherwise: whether a
    person exists is not told to those who may not read them)."""
    person = User.objects.filter(pk=person_id).first()
    if person is None or not policies.may_read_measures(actor, kind="person", person=person):
        raise NotFound(_("No such person among those whose figures you may read."), field="id")
    return person


# --- trends ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    first: dt.date
    last: dt.date
    label: str
    counts: dict[str, int]
    values: dict[str, Decimal | None]


@dataclass(frozen=True)
class Trend:
    scope: Scope
    step: str
    as_of: dt.datetime
    points: list[TrendPoint]
    labels: dict[str, str]


def buckets(first: dt.date, last: dt.date, step: str) -> list[tuple[dt.date, dt.date]]:
    """[first, last] cut into days, ISO weeks (Monday to Sunday) or calendar months; the first
    and last buckets are cut at the range's ends."""
    if step not in STEPS:
        raise InvalidInput(
            _("step: must be one of %(steps)s.") % {"steps": ", ".join(STEPS)}, field="step"
        )
    out: list[tuple[dt.date, dt.date]] = []
    day = first
    while day <= last:
        if step == "day":
            stop = day
        elif step == "week":
            stop = day + dt.timedelta(days=6 - day.weekday())
        else:
            stop = periods.month(day.year, day.month).last
        stop = min(stop, last)
        out.append((day, stop))
        if len(out) > MAX_TREND_POINTS:
            raise InvalidInput(
                _("step: at most %(n)d points; choose a longer step or a shorter period.")
                % {"n": MAX_TREND_POINTS},
                field="step",
            )
        day = stop + dt.timedelta(days=1)
    return out


def _bucket_key(first: dt.date, step: str) -> dt.date:
    """The key insight.totals groups a bucket's days under (day, Monday, first of the month)."""
    if step == "week":
        return first - dt.timedelta(days=first.weekday())
    if step == "month":
        return first.replace(day=1)
    return first


def trend(
    actor: User,
    *,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    step: str = "day",
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> Trend:
    """Counts and rates of `scope` by `step` (day, week, month) from day `start` to day `end`
    (both included, Beijing time); the first and last buckets are cut at the range's ends."""
    require_readable(actor, scope)
    if end < start:
        raise InvalidInput(_("end: the last day comes before the first."), field="end")
    as_of = _as_of(as_of)
    spans = buckets(start, end, step)
    grouped = totals(
        periods.at_midnight(start),
        periods.at_midnight(end + dt.timedelta(days=1)),
        as_of=as_of,
        scope=scope,
        class_prefix=class_prefix,
        group_by=step,
    )
    points = []
    for first, last in spans:
        counts = grouped.get(_bucket_key(first, step)) or Counts()
        if step == "day":
            label = first.isoformat()
        elif step == "week":
            label = periods.week_of(first).key
        else:
            label = f"{first:%Y-%m}"
        values = {
            k: ratio_of(counts, k).value if applies(k, scope.kind) else None for k in measures.ORDER
        }
        points.append(TrendPoint(first, last, label, _counts(counts), values))
    labels = {k: str(v) for k, v in measures.LABELS.items()} | {
        k: str(v) for k, v in COUNT_LABELS.items()
    }
    return Trend(scope=scope, step=step, as_of=as_of, points=points, labels=labels)


# --- drill-down --------------------------------------------------------------------------------

# A figure behind totals.PER_EVENT_COUNTERS may count a case more than once; every other figure
# counts each case once, so its drill-down lists exactly as many cases as it shows.
COUNTER_KEYS = tuple(f.name for f in fields(Counts))


def counter_of(key: str, part: str) -> str:
    """The counter behind a figure: a measure's numerator or denominator, or a counter."""
    if key in measures.COUNTERS:
        return measures.COUNTERS[key][0 if part == "numerator" else 1]
    return key


def counts_cases(key: str, part: str) -> bool:
    """Whether the figure counts cases (so its drill-down lists as many cases as it shows),
    rather than checks, call-backs or dispatches of which one case may have several."""
    return key == "open_now" or counter_of(key, part) not in PER_EVENT_COUNTERS


def drilldown(
    actor: User,
    *,
    key: str,
    part: str,
    period: Period,
    scope: Scope,
    as_of: dt.datetime | None = None,
    class_prefix: str = "",
) -> QuerySet[Case]:
    """The cases behind one figure of `scope` in `period`: `key` a measure
    (measures.COUNTERS), a counter (insight.totals.Counts) or open_now, `part` its numerator
    or denominator (a counter or open_now: either). Only cases `actor` may see
    (cases.selectors.visible_cases), newest report first. For a scope the actor may read,
    that is every case behind the figure: counts_cases(key, part) says whether their number
    is the figure itself."""
    require_readable(actor, scope)
    if part not in PARTS:
        raise InvalidInput(_("part: must be numerator or denominator."), field="part")
    if key == "open_now":
        behind = open_cases(scope, class_prefix)
    elif key in measures.COUNTERS or key in COUNTER_KEYS:
        if key in measures.COUNTERS and not applies(key, scope.kind):
            raise InvalidInput(_("key: this measure does not apply to a department."), field="key")
        behind = cases_behind(
            key,
            part,
            period.start,
            period.end,
            as_of=_as_of(as_of),
            scope=scope,
            class_prefix=class_prefix,
        )
    else:
        raise InvalidInput(
            _("key: must be a measure (%(measures)s), a count (%(counts)s) or open_now.")
            % {"measures": ", ".join(measures.ORDER), "counts": ", ".join(PERIOD_COUNTS)},
            field="key",
        )
    return (
        visible_cases(actor).filter(pk__in=behind.values("pk")).order_by("-reported_at", "number")
    )


# --- campaigns (集中整治) -----------------------------------------------------------------------


def campaign_scope(campaign: Campaign) -> Scope:
    if campaign.scope_kind == "grid" and campaign.grid is not None:
        g = campaign.grid
        return Scope("grid", g.code, g.name, g.pk)
    if campaign.unit is not None:
        return _unit_scope(campaign.unit)
    return Scope("district")


def campaigns(actor: User) -> QuerySet[Campaign]:
    """The campaigns in areas whose figures `actor` may read, latest first."""
    reach = policies.measures_reach(actor)
    found = Campaign.objects.select_related("unit", "grid", "created_by")
    if reach.district_wide:
        return found
    return found.filter(
        Q(scope_kind="street", unit_id__in=reach.street_ids)
        | Q(scope_kind="community", unit_id__in=reach.community_ids)
        | Q(scope_kind="community", unit__parent_id__in=reach.street_ids)
        | Q(scope_kind="grid", grid_id__in=reach.grid_ids)
        | Q(scope_kind="grid", grid__street_id__in=reach.street_ids)
        | Q(scope_kind="grid", grid__community_id__in=reach.community_ids)
    )


def get_campaign(actor: User, campaign_id: int) -> Campaign:
    campaign = campaigns(actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No such campaign."), field="id")
    return campaign


@dataclass(frozen=True)
class CampaignEffect:
    campaign: Campaign
    window_days: int  # N: the days compared before and after
    before: Period
    during: Period
    after: Period
    daily: list[tuple[dt.date, str, int]]  # (day, "before"|"during"|"after", reports)
    reports_before: int
    reports_during: int
    reports_after: int
    after_complete: bool  # the N days after have all passed
    recurrence_after: Ratio  # reports in the N days after ÷ in the N days before, in percent
    repeat_rate_after: Ratio  # reports that recur ÷ reports, in the N days after
    repeat_rate_before: Ratio  # the same in the N days before, to compare with


def campaign_effect(
    campaign: Campaign, *, days: int | None = None, as_of: dt.datetime | None = None
) -> CampaignEffect:
    """Reports of the campaign's classes in its area, per day, during it and `days` (N,
    default the campaign's length) before and after it; the recurrence after it: reports in
    the N days after ÷ reports in the N days before (100 % = as many as before), and the
    recurrence rate (measures' recurrence_rate: a report near a closed case of its class)
    in the N days after, beside the N days before."""
    n = days or campaign.days
    as_of = _as_of(as_of)
    during = periods.custom(campaign.start, campaign.end)
    before = periods.custom(
        campaign.start - dt.timedelta(days=n), campaign.start - dt.timedelta(days=1)
    )
    after = periods.custom(campaign.end + dt.timedelta(days=1), campaign.end + dt.timedelta(days=n))
    scope = campaign_scope(campaign)
    prefix = campaign.class_prefix
    per_day = totals(
        before.start, after.end, as_of=as_of, scope=scope, class_prefix=prefix, group_by="day"
    )
    daily = []
    sums = {"before": 0, "during": 0, "after": 0}
    day = before.first
    while day <= after.last:
        phase = "before" if day < during.first else ("during" if day <= during.last else "after")
        found = per_day.get(day)
        count = found.reports if found else 0
        daily.append((day, phase, count))
        sums[phase] += count
        day += dt.timedelta(days=1)

    def repeats(window: Period) -> Ratio:
        c = totals(window.start, window.end, as_of=as_of, scope=scope, class_prefix=prefix)[None]
        return Ratio(c.repeats, c.reports, rate(c.repeats, c.reports))

    return CampaignEffect(
        campaign=campaign,
        window_days=n,
        before=before,
        during=during,
        after=after,
        daily=daily,
        reports_before=sums["before"],
        reports_during=sums["during"],
        reports_after=sums["after"],
        after_complete=as_of >= after.end,
        recurrence_after=Ratio(sums["after"], sums["before"], rate(sums["after"], sums["before"])),
        repeat_rate_after=repeats(after),
        repeat_rate_before=repeats(before),
    )
