"""What a case's history says about it, for the §5 measures: one state machine, fed event by event.

A case's events fold into its *facts*: when and by whom it was reported, whether the report was
valid, its deadline and whose deadline that is, whether it is closed (and on time, and at the
lowest level), its first on-site check, each completed check, call-back and dispatch. The facts
then give `contributions`: additive (moment, department, counter, +n) items. Every §5 figure of a
period is a sum of contributions whose moment falls in the period, or a ratio of two such sums.

The same fold serves three callers, so there is one definition of every counter:

* the rollups (`cases.rollups`): when an event is appended, the case's facts before and after it
  differ, and the daily totals get (contributions after − contributions before);
* the rebuild: every case's events folded from the start; the totals are the sum over cases;
* the full recompute for a past evaluation time (`insight.measures.recompute_measures`): the
  events up to that time folded, the contributions in the period summed.

Definitions (insight.measures shows them, translated, beside the figures):

* report day: reports, proactive (found by the grid team), valid (registered or fixed on the
  spot), self-closed, repeats (the recurrence rule below);
* deadline day: N_due, closed, closed on time, closed late, open (the deadline is the lead task's
  as of the evaluation time: the last one a dispatch, an arbitration or an approved extension of
  the lead task set; co-department extensions move only their own task's clock);
* close day (the last close not undone by a reopen): closures, closed at the lowest level (fixed
  on the spot by the grid team, or closed after dispatches that all went to departments of the
  case's own street, such as its police station: never to a district department);
* first on-site check's start day: checks, reworked (failed at least one check);
* each completed check (passed or failed): checks done, timely checks (completed by the check
  deadline, ONEGRID["CHECK_HOURS"] working hours after the check started);
* each call-back or reporter's rating (alike): replies, satisfied; each dispatch or
  arbitration: dispatches, joint dispatches (naming co-departments);
* first dispatch day: dispatched cases, joint cases (any dispatch of the case named
  co-departments).

Department attribution: the lead department of the deadline for deadline and close counters, the
lead at the time for checks, call-backs and dispatches, the current lead for the case-level
dispatch counters. Report counters have no department (""). Street, community, grid and class
are the case's current ones (a reclassified case moves its contributions).

Recurrence: a report recurs when another case whose class (at its close) is the report's class
(at its report) was closed or self-closed within ONEGRID["RECURRENCE_DAYS"] days before the
report, within ONEGRID["RECURRENCE_RADIUS_M"] metres of it. The fold does not decide it: the
caller does (the rollups when the report is appended, the rebuild for all reports at once, with
`recurring_reports`), from the `closes` every case's facts list.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from . import calendar
from .models import PROACTIVE_SOURCES

TZ = ZoneInfo("Asia/Shanghai")
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
# A reply on satisfaction: a call-back's (revisit) or the reporter's own rating (rate), alike.
REPLIES = frozenset({"revisit", "rate"})
DISPATCHES = frozenset({"dispatch", "arbitrate"})
CLOSES = frozenset({"close", "self_close"})
CHECK_RESULTS = frozenset({"pass_check", "fail_check"})
# The actions that change facts; every other event leaves them as they are (unless it carries a
# new class, see `cases.rollups`).
ACTIONS = frozenset(
    {
        "report",
        "register",
        "self_close",
        "dispatch",
        "arbitrate",
        "approve_extension",
        "feed_back",
        "start_check",
        "pass_check",
        "fail_check",
        "close",
        "reopen",
        "revisit",
        "rate",
    }
)
PROACTIVE = frozenset(str(s) for s in PROACTIVE_SOURCES)
LEAD = "lead"
_TRUE = frozenset({"1", "true", True})  # True == 1 as well
EARTH_RADIUS_M = 6_371_008.8

# The additive counters of the daily totals, in the order of their columns.
REPORT_COUNTERS = ("reports", "proactive", "valid", "self_closed", "repeats")
DUE_COUNTERS = ("n_due", "closed", "closed_on_time", "closed_late", "open_due")
CLOSE_COUNTERS = ("closures", "lowest_level_closed")
CHECK_COUNTERS = ("checks", "reworked", "checks_done", "timely_checks")
REPLY_COUNTERS = ("replies", "satisfied")
DISPATCH_COUNTERS = ("dispatches", "joint_dispatches", "dispatched_cases", "joint_cases")
COUNTERS = (
    REPORT_COUNTERS
    + DUE_COUNTERS
    + CLOSE_COUNTERS
    + CHECK_COUNTERS
    + REPLY_COUNTERS
    + DISPATCH_COUNTERS
)
# Per person (the reporter; the checker; the department handler who fed back).
PERSON_COUNTERS = (
    "reports",
    "valid",
    "self_closed",
    "checks",
    "timely_checks",
    "fed_back",
    "fed_back_on_time",
    "reworked",
)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _utc(moment: dt.datetime) -> str:
    """A moment as stored in CaseFact.state: ISO 8601 in UTC, the same however it was given."""
    return moment.astimezone(dt.UTC).isoformat()


def _when(value: object) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _codes(value: object) -> list[str]:
    """A JSON list of codes, given as a list or as its JSON text (a key read as text)."""
    if not value:
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else [value]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value]


@dataclass
class CaseFacts:
    """What a case's history, up to some moment, says about it (see the module docstring)."""

    # Where the case counts: its current place and class (from the Case row), and its point.
    street_id: int = 0
    community_id: int = 0
    grid_id: int = 0
    class_id: int = 0
    source: str = ""
    lon: float = 0.0
    lat: float = 0.0
    # The class as the history had it at the last event folded (for recurrence).
    class_then: int | None = None
    reported_at: dt.datetime | None = None
    reporter_id: int | None = None
    report_class: int | None = None
    registered: bool = False
    self_closed: bool = False
    repeat: bool = False
    lead: str | None = None
    deadline: dt.datetime | None = None
    deadline_lead: str | None = None
    dispatch_due: dt.datetime | None = None
    task_due: dict[str, dt.datetime] = field(default_factory=dict)
    closed: bool = False
    on_time: bool | None = None
    closed_at: dt.datetime | None = None
    closed_by: str = ""  # "close" or "self_close"
    went_up: bool = False  # a dispatch named a department outside the case's street
    first_check_at: dt.datetime | None = None
    first_check_lead: str | None = None
    failed: bool = False
    check_due: dt.datetime | None = None
    first_dispatch_at: dt.datetime | None = None
    joint: bool = False
    # (moment, lead then, completed in time, checker)
    checks: list[tuple[dt.datetime, str | None, bool, int | None]] = field(default_factory=list)
    # (moment, lead then, satisfied)
    replies: list[tuple[dt.datetime, str | None, bool]] = field(default_factory=list)
    # (moment, lead, named co-departments)
    dispatches: list[tuple[dt.datetime, str | None, bool]] = field(default_factory=list)
    # [moment, handler, before the task's deadline, the check of its round failed]
    feedbacks: list[list[Any]] = field(default_factory=list)
    round_start: int = 0  # feedbacks[round_start:] wait for the next check
    # (moment, class then) of every close and self-close, reopened or not
    closes: list[tuple[dt.datetime, int | None]] = field(default_factory=list)

    # --- where it counts ---

    def place(self) -> tuple[int, int, int, int]:
        return (self.street_id, self.community_id, self.grid_id, self.class_id)

    def set_place(
        self,
        *,
        street_id: int,
        community_id: int,
        grid_id: int,
        class_id: int,
        source: str,
        lon: float,
        lat: float,
    ) -> None:
        self.street_id, self.community_id, self.grid_id = street_id, community_id, grid_id
        self.class_id, self.source, self.lon, self.lat = class_id, source, lon, lat

    @property
    def lowest_level(self) -> bool:
        return self.closed and (
            self.closed_by == "self_close" or (self.closed_by == "close" and not self.went_up)
        )

    # --- the fold ---

    def apply(
        self,
        action: str,
        at: dt.datetime,
        *,
        actor_id: int | None = None,
        task_id: str | None = None,
        task_role: str | None = None,
        data: Mapping[str, Any] | None = None,
        class_id: int | None = None,
        department_streets: Mapping[str, int | None] | None = None,
    ) -> None:
        """Fold one event in. `class_id`: the case's class at this event, when known;
        `department_streets`: the street of each department a dispatch names (None: a district
        department)."""
        data = data or {}
        if class_id is not None:
            self.class_then = class_id
        if action == "report":
            self.reported_at = at
            self.reporter_id = actor_id
            self.report_class = self.class_then
        elif action == "register":
            self.registered = True
        elif action in DISPATCHES:
            self._dispatch(at, data, department_streets or {})
        elif action == "approve_extension":
            due = _when(data.get("due_at"))
            # A task deleted since reads as the lead's: only the lead's task has a case clock.
            if due is not None and task_role in (None, LEAD):
                self.deadline = due
                self.deadline_lead = self.lead
            if due is not None and task_id:
                self.task_due[task_id] = due
        elif action == "feed_back":
            due = self.task_due.get(task_id or "", self.dispatch_due)
            self.feedbacks.append([at, actor_id, due is not None and at <= due, False])
        elif action == "start_check":
            if self.first_check_at is None:
                self.first_check_at = at
                self.first_check_lead = self.lead
            self.check_due = _when(data.get("check_due_at")) or calendar.add_working_time(
                at, settings.ONEGRID["CHECK_HOURS"], "hours"
            )
        elif action in CHECK_RESULTS:
            timely = self.check_due is None or at <= self.check_due
            self.checks.append((at, self.lead, timely, actor_id))
            self.check_due = None
            if action == "fail_check":
                self.failed = True
                for fed in self.feedbacks[self.round_start :]:
                    fed[3] = True
            self.round_start = len(self.feedbacks)
        elif action in CLOSES:
            self.closed = True
            self.on_time = data.get("on_time") in _TRUE
            self.closed_at = at
            self.closed_by = action
            self.closes.append((at, self.class_then))
            if action == "self_close":
                self.self_closed = True
        elif action == "reopen":
            self.closed = False
            self.on_time = None
            self.closed_at = None
            self.closed_by = ""
        elif action in REPLIES:
            self.replies.append((at, self.lead, data.get("satisfaction") in SATISFIED))

    def _dispatch(
        self, at: dt.datetime, data: Mapping[str, Any], streets: Mapping[str, int | None]
    ) -> None:
        lead = data.get("lead")
        lead = str(lead) if lead else None
        co = _codes(data.get("co"))
        due = _when(data.get("due_at"))
        self.lead = lead
        self.deadline = due
        self.deadline_lead = lead
        self.dispatch_due = due
        if due is not None:
            for task in _codes(data.get("tasks")):
                self.task_due[task] = due
        self.dispatches.append((at, lead, bool(co)))
        if self.first_dispatch_at is None:
            self.first_dispatch_at = at
        self.joint = self.joint or bool(co)
        named = ([lead] if lead else []) + co
        if any(streets.get(code) != self.street_id for code in named):
            self.went_up = True
        # Feedback before a new dispatch (a co-department's, before the lead returned the
        # case) is checked by no check.
        self.round_start = len(self.feedbacks)

    # --- what it adds to the totals ---

    def contributions(self) -> Iterator[tuple[dt.datetime, str, str, int]]:
        """(moment, department code or "", counter, +n) for every counter the case adds to."""
        if self.reported_at is not None:
            at = self.reported_at
            yield at, "", "reports", 1
            if self.source in PROACTIVE:
                yield at, "", "proactive", 1
            if self.registered or self.self_closed:
                yield at, "", "valid", 1
            if self.self_closed:
                yield at, "", "self_closed", 1
            if self.repeat:
                yield at, "", "repeats", 1
        lead = self.deadline_lead or ""
        if self.deadline is not None:
            at = self.deadline
            yield at, lead, "n_due", 1
            if self.closed:
                yield at, lead, "closed", 1
                yield at, lead, "closed_on_time" if self.on_time else "closed_late", 1
            else:
                yield at, lead, "open_due", 1
        if self.closed and self.closed_at is not None:
            closer = "" if self.closed_by == "self_close" else lead
            yield self.closed_at, closer, "closures", 1
            if self.lowest_level:
                yield self.closed_at, closer, "lowest_level_closed", 1
        if self.first_check_at is not None:
            checker = self.first_check_lead or ""
            yield self.first_check_at, checker, "checks", 1
            if self.failed:
                yield self.first_check_at, checker, "reworked", 1
        for at, then, timely, _actor in self.checks:
            yield at, then or "", "checks_done", 1
            if timely:
                yield at, then or "", "timely_checks", 1
        for at, then, satisfied in self.replies:
            yield at, then or "", "replies", 1
            if satisfied:
                yield at, then or "", "satisfied", 1
        for at, then, joint in self.dispatches:
            yield at, then or "", "dispatches", 1
            if joint:
                yield at, then or "", "joint_dispatches", 1
        if self.first_dispatch_at is not None:
            yield self.first_dispatch_at, self.lead or "", "dispatched_cases", 1
            if self.joint:
                yield self.first_dispatch_at, self.lead or "", "joint_cases", 1

    def person_contributions(self) -> Iterator[tuple[dt.datetime, int, str, int]]:
        """(moment, user id, counter, +n): the reporter's reports, the checker's checks, the
        handler's feedbacks."""
        if self.reported_at is not None and self.reporter_id is not None:
            at, who = self.reported_at, self.reporter_id
            yield at, who, "reports", 1
            if self.registered or self.self_closed:
                yield at, who, "valid", 1
            if self.self_closed:
                yield at, who, "self_closed", 1
        for at, _lead, timely, actor in self.checks:
            if actor is not None:
                yield at, actor, "checks", 1
                if timely:
                    yield at, actor, "timely_checks", 1
        for at, actor, on_time, reworked in self.feedbacks:
            if actor is not None:
                yield at, actor, "fed_back", 1
                if on_time:
                    yield at, actor, "fed_back_on_time", 1
                if reworked:
                    yield at, actor, "reworked", 1

    # --- stored form (CaseFact.state) ---

    def to_json(self) -> dict[str, Any]:
        def t(value: dt.datetime | None) -> str | None:
            return None if value is None else _utc(value)

        return {
            "class_then": self.class_then,
            "reported_at": t(self.reported_at),
            "reporter": self.reporter_id,
            "report_class": self.report_class,
            "registered": self.registered,
            "self_closed": self.self_closed,
            "repeat": self.repeat,
            "lead": self.lead,
            "deadline": t(self.deadline),
            "deadline_lead": self.deadline_lead,
            "dispatch_due": t(self.dispatch_due),
            "task_due": {k: _utc(v) for k, v in self.task_due.items()},
            "closed": self.closed,
            "on_time": self.on_time,
            "closed_at": t(self.closed_at),
            "closed_by": self.closed_by,
            "went_up": self.went_up,
            "first_check_at": t(self.first_check_at),
            "first_check_lead": self.first_check_lead,
            "failed": self.failed,
            "check_due": t(self.check_due),
            "first_dispatch_at": t(self.first_dispatch_at),
            "joint": self.joint,
            "checks": [[_utc(a), b, c, d] for a, b, c, d in self.checks],
            "replies": [[_utc(a), b, c] for a, b, c in self.replies],
            "dispatches": [[_utc(a), b, c] for a, b, c in self.dispatches],
            "feedbacks": [[_utc(a), b, c, d] for a, b, c, d in self.feedbacks],
            "round_start": self.round_start,
            "closes": [[_utc(a), b] for a, b in self.closes],
        }

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> CaseFacts:
        def t(value: object) -> dt.datetime | None:
            return None if value is None else dt.datetime.fromisoformat(str(value))

        def tt(value: object) -> dt.datetime:
            return dt.datetime.fromisoformat(str(value))

        return cls(
            class_then=state.get("class_then"),
            reported_at=t(state.get("reported_at")),
            reporter_id=state.get("reporter"),
            report_class=state.get("report_class"),
            registered=bool(state.get("registered")),
            self_closed=bool(state.get("self_closed")),
            repeat=bool(state.get("repeat")),
            lead=state.get("lead"),
            deadline=t(state.get("deadline")),
            deadline_lead=state.get("deadline_lead"),
            dispatch_due=t(state.get("dispatch_due")),
            task_due={k: tt(v) for k, v in (state.get("task_due") or {}).items()},
            closed=bool(state.get("closed")),
            on_time=state.get("on_time"),
            closed_at=t(state.get("closed_at")),
            closed_by=state.get("closed_by") or "",
            went_up=bool(state.get("went_up")),
            first_check_at=t(state.get("first_check_at")),
            first_check_lead=state.get("first_check_lead"),
            failed=bool(state.get("failed")),
            check_due=t(state.get("check_due")),
            first_dispatch_at=t(state.get("first_dispatch_at")),
            joint=bool(state.get("joint")),
            checks=[(tt(a), b, bool(c), d) for a, b, c, d in state.get("checks") or ()],
            replies=[(tt(a), b, bool(c)) for a, b, c in state.get("replies") or ()],
            dispatches=[(tt(a), b, bool(c)) for a, b, c in state.get("dispatches") or ()],
            feedbacks=[[tt(a), b, bool(c), bool(d)] for a, b, c, d in state.get("feedbacks") or ()],
            round_start=int(state.get("round_start") or 0),
            closes=[(tt(a), b) for a, b in state.get("closes") or ()],
        )


# --- recurrence ---


def recurrence_settings() -> tuple[float, dt.timedelta]:
    """(radius in metres, window) of the recurrence rule, from settings.ONEGRID."""
    return (
        float(settings.ONEGRID["RECURRENCE_RADIUS_M"]),
        dt.timedelta(days=settings.ONEGRID["RECURRENCE_DAYS"]),
    )


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lon, max lon, min lat, max lat) of a box holding the circle, with a margin."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01 + 1e-9
    dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    return lon - dlon, lon + dlon, lat - dlat, lat + dlat


@dataclass(frozen=True, slots=True)
class Close:
    case: object
    at: dt.datetime
    class_id: int | None
    lon: float
    lat: float


def recurring_reports(
    reports: Iterable[tuple[object, dt.datetime, int | None, float, float]],
    closes: Iterable[Close],
    *,
    radius_m: float,
    window: dt.timedelta,
) -> set[object]:
    """The cases among `reports` (case, reported at, class at report, lon, lat) that recur: some
    other case of that class was closed in [reported at − window, reported at) within
    `radius_m` metres. Closes are bucketed by class and by a cell of the radius's size, so each
    report looks at its own and the eight neighbouring cells only."""
    cell = max(math.degrees(radius_m / EARTH_RADIUS_M), 1e-7)

    def key(class_id: int | None, lon: float, lat: float) -> tuple[int | None, int, int]:
        return (class_id, math.floor(lat / cell), math.floor(lon / cell))

    buckets: dict[tuple[int | None, int, int], list[Close]] = defaultdict(list)
    for close in closes:
        buckets[key(close.class_id, close.lon, close.lat)].append(close)
    times: dict[tuple[int | None, int, int], list[dt.datetime]] = {}
    for k, rows in buckets.items():
        rows.sort(key=lambda c: c.at)
        times[k] = [c.at for c in rows]
    found: set[object] = set()
    for case, at, class_id, lon, lat in reports:
        _c, row, col = key(class_id, lon, lat)
        # Longitude cells shrink with latitude: widen the search east–west to match.
        span = math.ceil(1 / max(math.cos(math.radians(lat)), 1e-6))
        if _recurs(case, at, class_id, lon, lat, row, col, span, buckets, times, radius_m, window):
            found.add(case)
    return found


def _recurs(
    case: object,
    at: dt.datetime,
    class_id: int | None,
    lon: float,
    lat: float,
    row: int,
    col: int,
    span: int,
    buckets: Mapping[tuple[int | None, int, int], list[Close]],
    times: Mapping[tuple[int | None, int, int], list[dt.datetime]],
    radius_m: float,
    window: dt.timedelta,
) -> bool:
    for dr in (-1, 0, 1):
        for dc in range(-span, span + 1):
            k = (class_id, row + dr, col + dc)
            rows = buckets.get(k)
            if not rows:
                continue
            ts = times[k]
            i = bisect.bisect_left(ts, at - window)
            j = bisect.bisect_left(ts, at)
            for close in rows[i:j]:
                if close.case != case and distance_m(lon, lat, close.lon, close.lat) <= radius_m:
                    return True
    return False
