"""The evaluation measures of DOMAIN.md §5, computed from case history (CaseEvent), not from the
current fields of a case: the fields say where a case is now, the events say what happened when,
which is what a period's figures need (and why a figure for last month does not change when a
case is reopened today, unless the evaluation time is moved past the reopening).

Every figure is a ratio of two additive counters (insight.totals.Counts), each defined once, in
the per-case state machine of cases.facts: a case's deadline can be set, moved by an extension
and replaced by a re-dispatch, and a close can be undone by a reopen, so the facts are folded
from the events rather than queried. `compute_measures` reads the counters from the rollups
(cases.rollups: daily totals kept in the transaction of each event) when it evaluates now, and
from the full recompute (the events up to the evaluation time, folded) when it evaluates in the
past; `recompute_measures` always recomputes (the reference the tests and benchmarks compare
with).

Definitions (the same text is attached to each figure, translated):

* N_due: cases whose final deadline falls in [start, end). The deadline is the lead task's:
  the last ``due_at`` set by a dispatch, an arbitration or an approved extension of the lead
  task, as of the evaluation time. Co-department extensions move only their own task's clock.
* closed: of N_due, cases whose last close (or self-close) is not undone by a later reopen, at
  or before the evaluation time; closed on time: that close event's ``on_time`` is true.
* overdue: of N_due, cases closed late, or not closed and past their deadline at the
  evaluation time.
* rework: of the cases whose first on-site check started in the period, those that failed at
  least one check.
* self-closed, proactive, valid, recurring: of the cases reported in the period. A valid report
  is one that was registered or fixed on the spot (self-closed); rejected, merged and undecided
  reports are not valid. A report recurs when a case of its class was closed near it (within
  ONEGRID["RECURRENCE_RADIUS_M"] metres) in the ONEGRID["RECURRENCE_DAYS"] days before it.
* satisfaction: replies recorded in the period: a call-back's, or the reporter's own rating.
* joint: dispatches (including arbitrations) in the period that named co-departments; joint
  cases: cases first dispatched in the period, any of whose dispatches named co-departments.
* timely checks: on-site checks completed (passed or failed) in the period by their deadline,
  ONEGRID["CHECK_HOURS"] working hours after the check started.
* closed at the lowest level: of the cases closed in the period (last close not undone), those
  fixed on the spot by the grid team (self-closed) or closed after dispatches that all went to
  departments of the case's own street (its police station): none went to a district
  department.

Scopes: a street, community or grid selects the cases located there. A department selects the
cases it led: for deadlines and closes, the lead department of the deadline's dispatch; for
checks, call-backs and dispatches, the lead at that moment; for joint cases, the current lead.
Report-based measures have no department, so they are not applicable to a department scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit, Beat, Grid
from onegrid.territory.selectors import beat_grid_ids

from .totals import MEASURE_COUNTERS, Counts, recompute_totals, totals

if TYPE_CHECKING:
    from collections.abc import Callable

    from django_stubs_ext import StrOrPromise

TZ = ZoneInfo("Asia/Shanghai")
_HUNDREDTH = Decimal("0.01")

LABELS = {
    "closure_rate": _("Closure rate"),
    "on_time_closure_rate": _("On-time closure rate"),
    "overdue_rate": _("Overdue rate"),
    "rework_rate": _("Rework rate"),
    "self_closed_share": _("Self-closed share"),
    "proactive_share": _("Proactive-discovery share"),
    "valid_report_rate": _("Valid-report rate"),
    "satisfaction_rate": _("Satisfaction"),
    "joint_share": _("Joint-handling share"),
    "timely_check_rate": _("Timely check rate"),
    "lowest_level_share": _("Closed at the lowest level"),
    "joint_case_share": _("Joint-case share"),
    "recurrence_rate": _("Recurrence rate"),
}
DEFINITIONS: dict[str, StrOrPromise] = {
    "closure_rate": _(
        "Cases closed ÷ cases due in the period (N_due). A case is due in the period when its "
        "final deadline (the lead department's, after approved extensions) falls in it; it is "
        "closed when its last close was not undone by a reopen by the evaluation time."
    ),
    "on_time_closure_rate": _(
        "Cases closed on time ÷ cases due in the period. On time: the departments fed back "
        "before their deadlines."
    ),
    "overdue_rate": _(
        "Cases due in the period that were closed late or are still open past their deadline "
        "at the evaluation time ÷ cases due in the period."
    ),
    "rework_rate": _(
        "Cases that failed at least one on-site check ÷ cases fed back, counting the cases "
        "whose first on-site check started in the period."
    ),
    "self_closed_share": _(
        "Reports fixed on the spot by the grid team (self-closed) ÷ reports made in the period."
    ),
    "proactive_share": _(
        "Reports found by the grid team (grid workers, team members, cameras and sensors) ÷ "
        "reports made in the period."
    ),
    "valid_report_rate": _(
        "Reports registered or fixed on the spot ÷ reports made in the period; rejected, "
        "merged and undecided reports are not valid."
    ),
    "satisfaction_rate": _(
        "Replies “satisfied” or “basically satisfied” ÷ replies recorded in the period; a reply "
        "is a call-back's or the reporter's own rating."
    ),
    "joint_share": _(
        "Dispatches that named co-departments ÷ dispatches (including arbitrations) in the period."
    ),
    "timely_check_rate": _(
        "On-site checks completed (passed or failed) by their deadline, the check time limit "
        "after the check started ÷ on-site checks completed in the period."
    ),
    "lowest_level_share": _(
        "Cases closed in the period that the grid team fixed on the spot (self-closed), or that "
        "were closed after dispatches that all went to departments of the case's own street "
        "(such as its police station), never to a district department ÷ cases closed in the "
        "period (last close not undone by a reopen)."
    ),
    "joint_case_share": _(
        "Cases first dispatched in the period of which a dispatch or arbitration named "
        "co-departments ÷ cases first dispatched in the period."
    ),
}
# Its numbers come from the settings, so it is put together when shown.
_RECURRENCE = _(
    "Reports in the period of a class of which a case was closed within %(radius)s metres of "
    "the report in the %(days)s days before it ÷ reports made in the period."
)


def _recurrence_definition() -> str:
    return _RECURRENCE % {
        "radius": f"{settings.ONEGRID['RECURRENCE_RADIUS_M']:g}",
        "days": settings.ONEGRID["RECURRENCE_DAYS"],
    }


DEFINITIONS["recurrence_rate"] = lazy(_recurrence_definition, str)()
# Each measure's numerator and denominator (insight.totals.Counts).
COUNTERS = MEASURE_COUNTERS
SCOPE_KINDS = {
    "city": _("city"),
    "district": _("district"),
    "street": _("street/town"),
    "community": _("community/village"),
    "grid": _("grid"),
    "department": _("department"),
    "beat": _("police beat"),
}
# Measures about reports: a report belongs to a place, not to a department.
REPORT_MEASURES = frozenset(
    {"self_closed_share", "proactive_share", "valid_report_rate", "recurrence_rate"}
)
ORDER = tuple(LABELS)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator in percent, rounded half-up to 2 decimals; None for 0 ÷ 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_HUNDREDTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class Measure:
    key: str
    label: StrOrPromise
    definition: StrOrPromise
    numerator: int
    denominator: int
    value: Decimal | None  # percent, 2 decimals; None when the denominator is 0
    applicable: bool = True

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": str(self.label),
            "definition": str(self.definition),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": None if self.value is None else str(self.value),
            "applicable": self.applicable,
        }


@dataclass(frozen=True)
class Scope:
    # city | district | street | community | grid | department | beat; a district has a code
    # and a pk only in a city's installation (in one district it is the whole installation)
    kind: str
    code: str = ""
    name: str = ""
    pk: int | None = None
    grid_ids: tuple[int, ...] = ()  # a beat: its grids in the chosen layer version

    def __str__(self) -> str:
        if self.kind == "district" and self.pk is None:
            return gettext("whole district")
        if self.kind == "city":
            return gettext("whole city")
        return f"{SCOPE_KINDS[self.kind]} {self.name} ({self.code})"


@dataclass
class Measures:
    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime
    scope: Scope
    n_due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    open_past_deadline: int = 0
    reports: int = 0
    items: list[Measure] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    def __getitem__(self, key: str) -> Measure:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def values(self) -> dict[str, Decimal | None]:
        return {m.key: m.value for m in self.items}

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "scope": {"kind": self.scope.kind, "code": self.scope.code, "name": self.scope.name},
            "n_due": self.n_due,
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "overdue": self.overdue,
            "reports": self.reports,
            "measures": [m.as_dict() for m in self.items],
        }


def _resolve_scope(street, community, grid, department, beat, layer_version) -> Scope:
    given = [
        (k, v)
        for k, v in (
            ("street", street),
            ("community", community),
            ("grid", grid),
            ("department", department),
            ("beat", beat),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise ValueError("measures take at most one scope")
    if not given:
        return Scope("district")
    kind, value = given[0]
    if kind == "beat":
        code = value.code if isinstance(value, Beat) else str(value)
        grid_ids = beat_grid_ids(code, layer_version)
        beat_row = Beat.all_objects.filter(code=code).first()
        if beat_row is None:
            raise ValueError(f"no beat has the code {code}")
        return Scope("beat", code, beat_row.name or code, beat_row.pk, tuple(grid_ids))
    models: dict[str, type[AdminUnit] | type[Grid] | type[Department]] = {
        "street": AdminUnit,
        "community": AdminUnit,
        "grid": Grid,
        "department": Department,
    }
    model = models[kind]
    # Retired grids are measured too: their cases keep them.
    manager = Grid.all_objects if model is Grid else model.objects
    obj = value if isinstance(value, model) else manager.get(code=str(value))
    if isinstance(obj, AdminUnit) and obj.level != kind:
        raise ValueError(f"{obj.code} is a {obj.level}, not a {kind}")
    return Scope(kind, obj.code, obj.name, obj.pk)


def compute_measures(
    start: dt.datetime,
    end: dt.datetime,
    *,
    as_of: dt.datetime | None = None,
    street=None,
    community=None,
    grid=None,
    department=None,
    beat=None,
    layer_version: int | None = None,
) -> Measures:
    """The §5 measures for the period [start, end), evaluated at `as_of` (default: now).

    At most one scope may be given, as a model instance or its code. Events after `as_of` are
    ignored, so a past evaluation can be reproduced exactly. A beat is measured over the grids
    it held in grid layer version `layer_version` (default: the current layer), so the same
    period can be measured on the beats before and after a fusion. Evaluated now, the figures
    come from the rollups; in the past (or for a period that does not start and end at
    midnight), from the full recompute (insight.totals).
    """
    scope_args = (street, community, grid, department, beat, layer_version)
    return _evaluate(totals, start, end, as_of, scope_args)


def recompute_measures(
    start: dt.datetime,
    end: dt.datetime,
    *,
    as_of: dt.datetime | None = None,
    street=None,
    community=None,
    grid=None,
    department=None,
    beat=None,
    layer_version: int | None = None,
) -> Measures:
    """`compute_measures` from the history alone (every event up to `as_of` folded), never from
    the rollups: the reference they are checked against."""
    scope_args = (street, community, grid, department, beat, layer_version)
    return _evaluate(recompute_totals, start, end, as_of, scope_args)


def _evaluate(
    read: Callable[..., dict[Any, Counts]],
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime | None,
    scope_args: tuple[Any, ...],
) -> Measures:
    """The measures from the district totals `read` gives (totals or recompute_totals)."""
    if dt.datetime.utcoffset(start) is None or dt.datetime.utcoffset(end) is None:
        raise ValueError("start and end must be timezone-aware")
    as_of = as_of or clock.now()
    scope = _resolve_scope(*scope_args)
    counts = read(start, end, as_of=as_of, scope=scope).get(None) or Counts()
    return _assemble(start, end, as_of, scope, counts)


def _assemble(start, end, as_of, scope: Scope, t: Counts) -> Measures:
    items = []
    for key in ORDER:
        numerator, denominator = (getattr(t, name) for name in COUNTERS[key])
        applicable = not (scope.kind == "department" and key in REPORT_MEASURES)
        items.append(
            Measure(
                key,
                LABELS[key],
                DEFINITIONS[key],
                numerator,
                denominator,
                rate(numerator, denominator) if applicable else None,
                applicable,
            )
        )
    return Measures(
        start=start,
        end=end,
        as_of=as_of,
        scope=scope,
        n_due=t.n_due,
        closed=t.closed,
        closed_on_time=t.closed_on_time,
        overdue=t.overdue,
        open_past_deadline=t.overdue - t.closed_late,
        reports=t.reports,
        items=items,
        counts=t,
    )


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def format_report(measures: Measures) -> str:
    """A plain-text table of the measures with their definitions, for the command line."""
    m = measures
    lines = [
        gettext("Evaluation %(start)s – %(end)s (Asia/Shanghai), as of %(as_of)s, scope: %(scope)s")
        % {
            "start": _local(m.start),
            "end": _local(m.end),
            "as_of": _local(m.as_of),
            "scope": m.scope,
        },
        gettext(
            "Cases due in the period (N_due): %(n)d; closed %(closed)d, on time %(on_time)d, "
            "overdue %(overdue)d; reports %(reports)d"
        )
        % {
            "n": m.n_due,
            "closed": m.closed,
            "on_time": m.closed_on_time,
            "overdue": m.overdue,
            "reports": m.reports,
        },
        "",
    ]
    labels = [str(item.label) for item in m.items]
    width = max(_display_width(label) for label in labels) + 2
    for item, label in zip(m.items, labels, strict=True):
        if not item.applicable:
            shown, counts = "n/a", ""
        else:
            shown = "—" if item.value is None else f"{item.value}%"
            counts = f"{item.numerator} / {item.denominator}"
        pad = " " * (width - _display_width(label))
        lines.append(f"  {label}{pad}{shown:>8}   {counts}")
    lines += ["", gettext("Definitions:")]
    for item, label in zip(m.items, labels, strict=True):
        lines.append(f"  {label}: {item.definition}")
    return "\n".join(lines)


def _display_width(text: str) -> int:
    # CJK characters take two columns in a terminal; padding by len() would misalign them.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
