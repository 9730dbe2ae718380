"""The evaluation measures of DOMAIN.md §5, computed from case history (CaseEvent), not from the
current fields of a case: the fields say where a case is now, the events say what happened when,
which is what a period's figures need (and why a figure for last month does not change when a
case is reopened today, unless the evaluation time is moved past the reopening).

All measures of one period and scope come from a single ordered pass over the relevant events:
a case's deadline can be set, moved by an extension and replaced by a re-dispatch, and a close
can be undone by a reopen, so the logic is a small per-case state machine rather than a query.
One pass over `values_list` rows handles tens of thousands of cases in a few seconds.

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
* self-closed, proactive, valid: of the cases reported in the period. A valid report is one that
  was registered or fixed on the spot (self-closed); rejected, merged and undecided reports are
  not valid.
* satisfaction: call-back replies recorded in the period.
* joint: dispatches (including arbitrations) in the period that named co-departments.

Scopes: a street, community or grid selects the cases located there. A department selects the
cases it led: for deadlines, the lead department of the deadline's dispatch; for checks,
call-backs and dispatches, the lead at that moment. Report-based measures have no department,
so they are not applicable to a department scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Case as DbCase
from django.db.models import CharField, IntegerField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import PROACTIVE_SOURCES, CaseEvent, Task
from onegrid.core import clock
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit, Beat, Grid
from onegrid.territory.selectors import beat_grid_ids

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TZ = ZoneInfo("Asia/Shanghai")
_HUNDREDTH = Decimal("0.01")
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
DISPATCHES = frozenset({"dispatch", "arbitrate"})
CLOSES = frozenset({"close", "self_close"})
# Only these actions bear on any measure; leaving the rest out halves the rows read.
_ACTIONS = (
    "report",
    "register",
    "self_close",
    "dispatch",
    "arbitrate",
    "approve_extension",
    "close",
    "reopen",
    "start_check",
    "fail_check",
    "revisit",
)
_PROACTIVE = frozenset(str(s) for s in PROACTIVE_SOURCES)
# JSON values as text: SQLite gives booleans as 1/0, PostgreSQL as true/false.
_TRUE = frozenset({"1", "true", 1})  # True == 1
_NO_CO = frozenset({None, "", "[]"})

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
}
DEFINITIONS = {
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
        "Call-back replies “satisfied” or “basically satisfied” ÷ call-back replies recorded "
        "in the period."
    ),
    "joint_share": _(
        "Dispatches that named co-departments ÷ dispatches (including arbitrations) in the period."
    ),
}
SCOPE_KINDS = {
    "district": _("district"),
    "street": _("street/town"),
    "community": _("community/village"),
    "grid": _("grid"),
    "department": _("department"),
    "beat": _("police beat"),
}
# Measures about reports: a report belongs to a place, not to a department.
REPORT_MEASURES = frozenset({"self_closed_share", "proactive_share", "valid_report_rate"})
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
    kind: str  # district | street | community | grid | department | beat
    code: str = ""
    name: str = ""
    pk: int | None = None
    grid_ids: tuple[int, ...] = ()  # a beat: its grids in the chosen layer version

    def __str__(self) -> str:
        if self.kind == "district":
            return gettext("whole district")
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


def _when(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class _Tally:
    """Counters filled by the pass over events."""

    def __init__(self) -> None:
        self.n_due = self.closed = self.on_time = self.overdue = self.open_late = 0
        self.reports = self.proactive = self.valid = self.self_closed = 0
        self.checked = self.reworked = 0
        self.replies = self.satisfied = 0
        self.dispatches = self.joint = 0


class _CaseState:
    __slots__ = (
        "reported_in_period",
        "source",
        "registered",
        "self_closed",
        "deadline",
        "deadline_lead",
        "lead",
        "closed",
        "on_time",
        "first_check_in_period",
        "first_check_lead",
        "failed",
    )

    def __init__(self) -> None:
        self.reported_in_period = False
        self.source = ""
        self.registered = False
        self.self_closed = False
        self.deadline: dt.datetime | None = None
        self.deadline_lead: str | None = None
        self.lead: str | None = None
        self.closed = False
        self.on_time: bool | None = None
        self.first_check_in_period: bool | None = None
        self.first_check_lead: str | None = None
        self.failed = False


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
    period can be measured on the beats before and after a fusion.
    """
    if dt.datetime.utcoffset(start) is None or dt.datetime.utcoffset(end) is None:
        raise ValueError("start and end must be timezone-aware")
    as_of = as_of or clock.now()
    scope = _resolve_scope(street, community, grid, department, beat, layer_version)
    events = CaseEvent.objects.filter(action__in=_ACTIONS, at__lte=as_of)
    if scope.kind == "beat":
        events = events.filter(case__grid_id__in=scope.grid_ids)
    elif scope.kind in ("street", "community", "grid"):
        events = events.filter(**{f"case__{scope.kind}_id": scope.pk})
    elif scope.kind == "department":
        events = events.filter(
            case_id__in=Task.objects.filter(department_id=scope.pk).values("case_id")
        )
    # Every per-row conversion costs more than the SQL: UUIDs stay text, the JSON keys needed
    # come out as text, and the event time is reduced to "in the period or not" in the database
    # (the rest of the logic only compares deadlines, which are in the data).
    in_period = DbCase(
        When(at__gte=start, at__lt=end, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        events.order_by("case_id", "seq")
        .annotate(
            case_key=Cast("case_id", CharField()),
            in_period=in_period,
            due_at=KeyTextTransform("due_at", "data"),
            lead=KeyTextTransform("lead", "data"),
            co=KeyTextTransform("co", "data"),
            on_time=KeyTextTransform("on_time", "data"),
            satisfaction=KeyTextTransform("satisfaction", "data"),
        )
        .values_list(
            "case_key",
            "action",
            "in_period",
            "due_at",
            "lead",
            "co",
            "on_time",
            "satisfaction",
            "task__role",
            "case__source",
        )
        .iterator(chunk_size=5000)
    )

    dept = scope.code if scope.kind == "department" else None
    tally = _Tally()
    current_id = None
    state = _CaseState()
    for (
        case_id,
        action,
        in_period,
        due_at,
        lead,
        co,
        on_time,
        satisfaction,
        task_role,
        source,
    ) in rows:
        if case_id != current_id:
            if current_id is not None:
                _finish(state, tally, start, end, as_of, dept)
            current_id = case_id
            state = _CaseState()
        if action == "report":
            state.reported_in_period = in_period
            state.source = source
        elif action == "register":
            state.registered = True
        elif action in DISPATCHES:
            state.lead = lead
            state.deadline = _when(due_at)
            state.deadline_lead = lead
            if in_period and (dept is None or lead == dept):
                tally.dispatches += 1
                tally.joint += co not in _NO_CO
        elif action == "approve_extension":
            # A task deleted since reads as the lead's: only the lead's task has a case clock.
            if task_role in (None, Task.Role.LEAD) and due_at:
                state.deadline = _when(due_at)
                state.deadline_lead = state.lead
        elif action in CLOSES:
            state.closed = True
            state.on_time = on_time in _TRUE
            if action == "self_close":
                state.self_closed = True
        elif action == "reopen":
            state.closed = False
            state.on_time = None
        elif action == "start_check":
            if state.first_check_in_period is None:
                state.first_check_in_period = in_period
                state.first_check_lead = state.lead
        elif action == "fail_check":
            state.failed = True
        elif action == "revisit" and in_period and (dept is None or state.lead == dept):
            tally.replies += 1
            tally.satisfied += satisfaction in SATISFIED
    if current_id is not None:
        _finish(state, tally, start, end, as_of, dept)
    return _assemble(start, end, as_of, scope, tally)


def _finish(s: _CaseState, tally: _Tally, start, end, as_of, dept) -> None:
    if dept is None and s.reported_in_period:
        tally.reports += 1
        tally.proactive += s.source in _PROACTIVE
        tally.self_closed += s.self_closed
        tally.valid += s.registered or s.self_closed
    if (
        s.deadline is not None
        and start <= s.deadline < end
        and (dept is None or s.deadline_lead == dept)
    ):
        tally.n_due += 1
        if s.closed:
            tally.closed += 1
            if s.on_time:
                tally.on_time += 1
            else:
                tally.overdue += 1
        elif s.deadline < as_of:
            tally.overdue += 1
            tally.open_late += 1
    if s.first_check_in_period and (dept is None or s.first_check_lead == dept):
        tally.checked += 1
        tally.reworked += s.failed


def _assemble(start, end, as_of, scope: Scope, t: _Tally) -> Measures:
    counts = {
        "closure_rate": (t.closed, t.n_due),
        "on_time_closure_rate": (t.on_time, t.n_due),
        "overdue_rate": (t.overdue, t.n_due),
        "rework_rate": (t.reworked, t.checked),
        "self_closed_share": (t.self_closed, t.reports),
        "proactive_share": (t.proactive, t.reports),
        "valid_report_rate": (t.valid, t.reports),
        "satisfaction_rate": (t.satisfied, t.replies),
        "joint_share": (t.joint, t.dispatches),
    }
    items = []
    for key in ORDER:
        numerator, denominator = counts[key]
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
        closed_on_time=t.on_time,
        overdue=t.overdue,
        open_past_deadline=t.open_late,
        reports=t.reports,
        items=items,
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
