"""The §5 measures, checked against constructed histories with known answers.

Histories are written straight into the tables (bulk_create), not through the services, so a
test can place deadlines, closes and reopens exactly where it needs them, including the awkward
cases the services make rare: extensions across the period's edge, re-dispatch after a return,
closes after the evaluation time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from shapely import box

from onegrid.cases import rollups
from onegrid.cases.models import Case, CaseClass, CaseEvent, MajorClass, Task
from onegrid.insight.measures import compute_measures, format_report, rate, recompute_measures
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit, Grid

SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 1, tzinfo=SH)
END = dt.datetime(2026, 4, 1, tzinfo=SH)
AS_OF = dt.datetime(2026, 4, 10, tzinfo=SH)
H = dt.timedelta(hours=1)
_numbers = itertools.count(1)


@pytest.fixture
def place(db):
    city = AdminUnit.objects.create(code="120100000000", name="天津市", level="city")
    district = AdminUnit.objects.create(
        code="120113000000", name="北辰区", level="district", parent=city
    )
    streets, communities, grids = [], [], []
    for i, name in enumerate(["果园新村街道", "集贤里街道"]):
        street = AdminUnit.objects.create(
            code=f"120113{i + 1:03d}000", name=name, level="street", parent=district
        )
        community = AdminUnit.objects.create(
            code=f"120113{i + 1:03d}001", name="第1社区", level="community", parent=street
        )
        shape = box(117.1 + i * 0.01, 39.2, 117.11 + i * 0.01, 39.21)
        grids.append(
            Grid.objects.create(
                code=f"{community.code}001",
                name="第001网格",
                community=community,
                street=street,
                geometry_wkb=shape.wkb,
                area_m2=1e6,
                label_lon=shape.centroid.x,
                label_lat=shape.centroid.y,
            )
        )
        streets.append(street)
        communities.append(community)
    for code in ("city_management", "ecology", "market"):
        Department.objects.create(code=code, name=code)
    major = MajorClass.objects.create(code="A", name="城市管理")
    rubbish = CaseClass.objects.create(
        code="A0102", major=major, name="暴露垃圾", time_limit=4, time_unit="hours"
    )
    return SimpleNamespace(streets=streets, communities=communities, grids=grids, rubbish=rubbish)


class History:
    """Cases, tasks and events collected in memory, then written in three bulk inserts."""

    def __init__(self, place) -> None:
        self.place = place
        self.cases: list[Case] = []
        self.tasks: list[Task] = []
        self.events: list[CaseEvent] = []
        self.departments = {d.code: d for d in Department.objects.all()}

    def case(
        self, at: dt.datetime, *, source: str = "grid_worker", street: int = 0, report: bool = True
    ) -> CaseHistory:
        grid = self.place.grids[street]
        case = Case(
            number=f"T-{next(_numbers):07d}",
            state="",
            source=source,
            case_class=self.place.rubbish,
            lon=grid.label_lon,
            lat=grid.label_lat,
            grid=grid,
            community_id=grid.community_id,
            street_id=grid.street_id,
            urgency="blue",
            reported_at=at,
        )
        self.cases.append(case)
        built = CaseHistory(self, case)
        if report:
            built.report(at)
        return built

    def save(self) -> None:
        Case.objects.bulk_create(self.cases, batch_size=500)
        Task.objects.bulk_create(self.tasks, batch_size=500)
        CaseEvent.objects.bulk_create(self.events, batch_size=500)


class CaseHistory:
    def __init__(self, history: History, case: Case) -> None:
        self.h = history
        self.case = case
        self.seq = 0
        self.tasks: dict[str, Task] = {}

    def _event(self, action, at, to_state=None, data=None, task=None) -> CaseHistory:
        to_state = to_state or self.case.state
        self.seq += 1
        self.h.events.append(
            CaseEvent(
                case=self.case,
                seq=self.seq,
                action=action,
                from_state=self.case.state,
                to_state=to_state,
                at=at,
                data=data or {},
                task=task,
            )
        )
        self.case.state = to_state
        return self

    def report(self, at):
        return self._event("report", at, "reported", {"source": self.case.source})

    def register(self, at):
        return self._event("register", at, "registered")

    def reject(self, at):
        return self._event("reject", at, "rejected")

    def merge(self, at):
        return self._event("merge", at, "merged")

    def self_close(self, at):
        return self._event("self_close", at, "self_closed", {"on_time": True})

    def dispatch(self, at, due, lead="city_management", co=(), action="dispatch"):
        self.tasks = {}
        for role, code in [("lead", lead)] + [("co", c) for c in co]:
            task = Task(
                case=self.case,
                department=self.h.departments[code],
                role=role,
                state="dispatched",
                dispatched_at=at,
                due_at=due,
            )
            self.h.tasks.append(task)
            self.tasks[role if role == "lead" else code] = task
        return self._event(
            action, at, "dispatched", {"lead": lead, "co": list(co), "due_at": due.isoformat()}
        )

    def sign(self, at):
        return self._event("sign", at, "in_progress", task=self.tasks["lead"])

    def extend(self, at, due, task="lead"):
        return self._event(
            "approve_extension",
            at,
            "in_progress",
            {"due_at": due.isoformat()},
            task=self.tasks[task],
        )

    def give_back(self, at):
        return self._event("return", at, "registered", {"lead": True}, task=self.tasks["lead"])

    def feed_back(self, at):
        self._event("feed_back", at, "in_progress", task=self.tasks["lead"])
        return self._event("start_check", at, "checking")

    def fail(self, at):
        return self._event("fail_check", at, "in_progress")

    def pass_check(self, at):
        return self._event("pass_check", at, "checked")

    def close(self, at, on_time=True):
        return self._event("close", at, "closed", {"on_time": on_time})

    def reopen(self, at):
        return self._event("reopen", at, "registered")

    def revisit(self, at, satisfaction):
        return self._event("revisit", at, "closed", {"satisfaction": satisfaction})

    def handled(self, dispatched_at, due, *, closed=True, on_time=True, **dispatch):
        """Register, dispatch, sign, feed back, pass and (optionally) close."""
        self.register(dispatched_at - H).dispatch(dispatched_at, due, **dispatch)
        self.sign(dispatched_at + H)
        if closed:
            self.feed_back(dispatched_at + 2 * H).pass_check(dispatched_at + 3 * H)
            self.close(dispatched_at + 4 * H, on_time)
        return self


def _due(i: int) -> dt.datetime:
    # Spread over the period without reaching its end (744 hours in March).
    return START + dt.timedelta(hours=(i * 7) % 740)


# --- (a) the published check --------------------------------------------------------------------


def _published_history(place) -> History:
    """972 cases due in March, 911 closed, 737 of them on time, among distractors."""
    h = History(place)
    on_time = late = 0
    # 905 plain closed cases; the first is due exactly at the period's start (included).
    for i in range(905):
        due = START if i == 0 else _due(i)
        ok = i < 735
        h.case(due - 30 * H).handled(due - 20 * H, due, on_time=ok)
        on_time += ok
        late += not ok
    # Due before the period, moved into it by an approved extension: counts, on time.
    h.case(START - 90 * H).handled(START - 80 * H, START - 2 * H, closed=False).extend(
        START - 3 * H, START + 50 * H
    ).feed_back(START + 40 * H).pass_check(START + 41 * H).close(START + 42 * H, True)
    on_time += 1
    # Returned, then re-dispatched: the re-dispatch's deadline (in March) is the one that counts.
    c = h.case(START - 100 * H).handled(START - 90 * H, START - 5 * H, closed=False, lead="ecology")
    c.give_back(START - 80 * H).dispatch(START - 70 * H, START + 100 * H).sign(START - 60 * H)
    c.feed_back(START + 10 * H).pass_check(START + 11 * H).close(START + 12 * H, True)
    on_time += 1
    # A co-department's extension past the period does not move the case's deadline.
    c = h.case(START + 10 * H).handled(START + 20 * H, START + 60 * H, closed=False, co=["market"])
    c.extend(START + 30 * H, END + 100 * H, task="market")
    c.feed_back(START + 90 * H).pass_check(START + 91 * H).close(START + 92 * H, False)
    late += 1
    # Closed, reopened, re-dispatched and closed again, late: the last close counts.
    for i in range(3):
        c = h.case(START + 100 * H).handled(START + 110 * H, START + 150 * H)
        c.reopen(START + 200 * H).dispatch(START + 210 * H, START + (300 + i) * H)
        c.sign(START + 211 * H).feed_back(START + 400 * H).pass_check(START + 401 * H)
        c.close(START + 402 * H, False)
        late += 1
    assert (on_time, late) == (737, 174)

    # 61 due in March but not closed at the evaluation time.
    h.case(START).handled(START + 10 * H, START + 200 * H).reopen(START + 300 * H)
    c = h.case(START).handled(START + 10 * H, START + 30 * H)
    c.reopen(START + 300 * H).dispatch(START + 310 * H, START + 400 * H)
    # Closed on time, but only after the evaluation time.
    c = h.case(START).handled(START + 10 * H, START + 500 * H, closed=False)
    c.feed_back(START + 20 * H).pass_check(START + 21 * H).close(AS_OF + 2 * H, True)
    for i in range(58):
        c = h.case(START).handled(START + 5 * H, _due(i + 3), closed=False)
        if i % 3 == 0:
            c.feed_back(START + 6 * H).fail(START + 7 * H)

    # Distractors, none due in March.
    for i in range(40):  # due before the period
        due = START - (i + 1) * 5 * H
        h.case(due - 30 * H).handled(due - 20 * H, due, closed=i % 2 == 0)
    for i in range(40):  # due at or after the end (the end itself is excluded)
        due = END + i * 5 * H
        h.case(START + 600 * H).handled(START + 700 * H, due, closed=i % 2 == 0)
    # Due in March, extended past its end: no longer due in March.
    h.case(START).handled(START + 10 * H, START + 300 * H, closed=False).extend(
        START + 200 * H, END + 50 * H
    )
    # Returned and waiting: its old deadline was before March.
    h.case(START - 50 * H).handled(START - 40 * H, START - 10 * H, closed=False).give_back(
        START - 20 * H
    )
    for i in range(25):  # self-closed, no deadline at all
        h.case(START + i * 10 * H).self_close(START + i * 10 * H + H / 4)
    for i in range(5):
        h.case(START + i * H, source="resident").reject(START + i * H + H)
    h.save()
    return h


def test_published_check(place):
    _published_history(place)
    m = compute_measures(START, END, as_of=AS_OF)
    assert (m.n_due, m.closed, m.closed_on_time) == (972, 911, 737)
    assert m["closure_rate"].value == Decimal("93.72")
    assert m["on_time_closure_rate"].value == Decimal("75.82")
    assert (m["closure_rate"].numerator, m["closure_rate"].denominator) == (911, 972)
    assert (m["on_time_closure_rate"].numerator, m["on_time_closure_rate"].denominator) == (
        737,
        972,
    )
    # 174 closed late + 61 still open, all past their deadlines by 10 April.
    assert m.overdue == 235 and m.open_past_deadline == 61
    assert m["overdue_rate"].value == Decimal("24.18")


def test_evaluation_time_decides_what_counts(place):
    h = History(place)
    h.case(START).handled(START + 10 * H, START + 100 * H)  # closed at START + 14 h
    h.case(START).handled(START + 10 * H, START + 100 * H).reopen(END + 10 * H)
    h.case(START).handled(START + 10 * H, START + 100 * H, closed=False)
    h.save()
    before = compute_measures(START, END, as_of=END)
    assert (before.n_due, before.closed, before.overdue) == (3, 2, 1)
    after = compute_measures(START, END, as_of=END + 20 * H)
    assert (after.n_due, after.closed, after.overdue) == (3, 1, 2)
    # Evaluated before the closes and the deadline: nothing closed, nothing overdue yet.
    early = compute_measures(START, END, as_of=START + 12 * H)
    assert (early.n_due, early.closed, early.overdue) == (3, 0, 0)


# --- (b) each other measure ---------------------------------------------------------------------


def test_rate_rounds_half_up_to_hundredths():
    assert rate(911, 972) == Decimal("93.72")
    assert rate(737, 972) == Decimal("75.82")
    assert rate(1, 3) == Decimal("33.33")
    assert rate(2, 3) == Decimal("66.67")
    assert rate(5, 800) == Decimal("0.63")  # 0.625: half-up, not to even
    assert rate(0, 5) == Decimal("0.00")
    assert rate(0, 0) is None


def test_overdue_rate(place):
    h = History(place)
    h.case(START).handled(START + 10 * H, START + 100 * H, on_time=True)
    h.case(START).handled(START + 10 * H, START + 100 * H, on_time=False)
    h.case(START).handled(START + 10 * H, START + 100 * H, closed=False)  # open, past it
    h.case(START).handled(START + 10 * H, START + 400 * H, closed=False)  # not yet due
    h.save()
    m = compute_measures(START, END, as_of=START + 300 * H)
    assert (m["overdue_rate"].numerator, m["overdue_rate"].denominator) == (2, 4)
    assert m["overdue_rate"].value == Decimal("50.00")
    assert m["closure_rate"].value == Decimal("50.00")
    assert m["on_time_closure_rate"].value == Decimal("25.00")


def test_rework_rate(place):
    h = History(place)
    c = h.case(START).handled(START + 10 * H, START + 100 * H, closed=False)
    c.feed_back(START + 20 * H).fail(START + 21 * H).feed_back(START + 30 * H)
    c.fail(START + 31 * H).feed_back(START + 40 * H).pass_check(START + 41 * H)
    for _ in range(3):
        h.case(START).handled(START + 10 * H, START + 100 * H)
    # First check before the period; its failed re-check in March does not bring it in.
    c = h.case(START - 50 * H).handled(START - 40 * H, START + 100 * H, closed=False)
    c.feed_back(START - 20 * H).pass_check(START - 19 * H).close(START - 18 * H)
    c.reopen(START + 5 * H).dispatch(START + 6 * H, START + 90 * H).sign(START + 7 * H)
    c.feed_back(START + 8 * H).fail(START + 9 * H)
    # A failure after the evaluation time is not known yet.
    c = h.case(START).handled(START + 10 * H, START + 100 * H, closed=False)
    c.feed_back(START + 20 * H).fail(END + 10 * H)
    h.save()
    m = compute_measures(START, END, as_of=END)
    rework = m["rework_rate"]
    assert (rework.numerator, rework.denominator, rework.value) == (1, 5, Decimal("20.00"))
    assert compute_measures(START, END, as_of=END + 20 * H)["rework_rate"].numerator == 2


def test_report_shares(place):
    h = History(place)
    for i in range(4):
        h.case(START + i * H).register(START + i * H + H)
    for i in range(2):
        h.case(START + i * H).self_close(START + i * H + H / 2)
    h.case(START, source="sensor").register(START + H)
    h.case(START, source="resident").reject(START + H)
    h.case(START, source="hotline").merge(START + H)
    h.case(START, source="resident")  # still waiting for the acceptor
    h.case(START - 10 * H).register(START - 9 * H)  # reported before the period
    h.case(END).register(END + H)  # reported after it
    h.save()
    m = compute_measures(START, END, as_of=END + 100 * H)
    assert m.reports == 10
    assert (m["proactive_share"].numerator, m["proactive_share"].value) == (7, Decimal("70.00"))
    assert (m["self_closed_share"].numerator, m["self_closed_share"].value) == (2, Decimal("20.00"))
    # Registered (5) or fixed on the spot (2); rejected, merged and waiting are not valid.
    assert (m["valid_report_rate"].numerator, m["valid_report_rate"].value) == (7, Decimal("70.00"))


def test_satisfaction(place):
    h = History(place)
    answers = ["satisfied"] * 3 + ["basically_satisfied"] * 2 + ["unsatisfied"] * 2
    for i, answer in enumerate(answers):
        h.case(START).handled(START + 10 * H, START + 50 * H).revisit(START + (60 + i) * H, answer)
    h.case(START - 90 * H).handled(START - 80 * H, START - 50 * H).revisit(START - H, "unsatisfied")
    h.save()
    m = compute_measures(START, END, as_of=END)
    s = m["satisfaction_rate"]
    assert (s.numerator, s.denominator, s.value) == (5, 7, Decimal("71.43"))


def test_joint_share(place):
    h = History(place)
    h.case(START).handled(START + 10 * H, START + 50 * H, co=["ecology"])
    h.case(START).handled(START + 10 * H, START + 50 * H)
    c = h.case(START).handled(START + 10 * H, START + 50 * H, closed=False)
    c.give_back(START + 12 * H).dispatch(
        START + 20 * H, START + 60 * H, co=["market"], action="arbitrate"
    )
    h.case(START - 50 * H).handled(START - 40 * H, START + 50 * H, co=["ecology"])  # before
    h.save()
    j = compute_measures(START, END, as_of=END)["joint_share"]
    assert (j.numerator, j.denominator, j.value) == (2, 4, Decimal("50.00"))


# --- (c) scopes ---------------------------------------------------------------------------------


def test_scopes_split_the_figures(place):
    h = History(place)
    for i in range(6):  # street 0: 6 due, 4 closed on time, 1 late, 1 open
        h.case(START).handled(START + 10 * H, START + 100 * H, closed=i < 5, on_time=i < 4)
    for i in range(4):  # street 1: 4 due, ecology leads, 1 closed
        h.case(START, street=1, source="resident").handled(
            START + 10 * H, START + 100 * H, closed=i == 0, lead="ecology"
        )
    # Returned by ecology, re-dispatched to city management: city management's deadline.
    c = h.case(START, street=1).handled(
        START + 10 * H, START + 100 * H, closed=False, lead="ecology"
    )
    c.give_back(START + 12 * H).dispatch(START + 20 * H, START + 200 * H).sign(START + 21 * H)
    h.save()

    whole = compute_measures(START, END, as_of=END)
    assert (whole.n_due, whole.closed, whole.closed_on_time) == (11, 6, 5)

    first = compute_measures(START, END, as_of=END, street=place.streets[0])
    assert (first.n_due, first.closed, first.closed_on_time) == (6, 5, 4)
    assert first["closure_rate"].value == Decimal("83.33")
    assert first["proactive_share"].value == Decimal("100.00")

    second = compute_measures(START, END, as_of=END, street=place.streets[1].code)
    assert (second.n_due, second.closed) == (5, 1)
    assert second["closure_rate"].value == Decimal("20.00")
    assert second["proactive_share"].value == Decimal("20.00")

    by_grid = compute_measures(START, END, as_of=END, grid=place.grids[1])
    by_community = compute_measures(START, END, as_of=END, community=place.communities[1])
    assert by_grid.values() == by_community.values() == second.values()

    ecology = compute_measures(START, END, as_of=END, department="ecology")
    assert (ecology.n_due, ecology.closed) == (4, 1)
    assert ecology["closure_rate"].value == Decimal("25.00")
    city = compute_measures(
        START, END, as_of=END, department=Department.objects.get(code="city_management")
    )
    assert (city.n_due, city.closed, city.closed_on_time) == (7, 5, 4)
    # Reports belong to places, not to departments.
    assert not city["valid_report_rate"].applicable
    assert city["valid_report_rate"].value is None
    with pytest.raises(ValueError):
        compute_measures(START, END, street=place.streets[0], department="ecology")
    with pytest.raises(ValueError):  # a street's code given as a community
        compute_measures(START, END, community=place.streets[0].code)


def test_format_report_shows_numbers_and_definitions(place):
    h = History(place)
    h.case(START).handled(START + 10 * H, START + 100 * H)
    h.case(START).handled(START + 10 * H, START + 100 * H, closed=False)
    h.save()
    text = format_report(compute_measures(START, END, as_of=END))
    assert "50.00%" in text and "1 / 2" in text
    assert "N_due" in text and "2026-03-01 00:00" in text
    assert "Closure rate" in text or "结案率" in text
    lines = text.splitlines()
    assert len([line for line in lines if line.endswith("/ 0")]) >= 1  # no replies: "—"
    assert "—" in text
    dept = format_report(compute_measures(START, END, as_of=END, department="city_management"))
    assert "n/a" in dept


def test_empty_period(place):
    m = compute_measures(START, END, as_of=END)
    assert m.n_due == 0
    assert all(item.value is None for item in m.items)
    assert m.as_dict()["measures"][0]["value"] is None


def test_rollups_rebuilt_from_the_published_history_give_the_same_figures(place):
    # History written around the services (no check deadlines, classes or task lists in its
    # data): `onegrid rollups rebuild` folds it, and the rollups then answer for now exactly
    # as the full recompute does.
    _published_history(place)
    result = rollups.rebuild_rollups()
    assert result.cases == CaseEvent.objects.values("case").distinct().count()
    assert rollups.verify() == []
    now = compute_measures(START, END)
    again = recompute_measures(START, END)
    assert now.items == again.items
    # Evaluated now, the close made after 10 April counts too (on time).
    assert (now.n_due, now.closed, now.closed_on_time) == (972, 912, 738)
    assert now.overdue == 174 + 60
    for street in place.streets:
        by_rollups = compute_measures(START, END, street=street)
        assert by_rollups.items == recompute_measures(START, END, street=street).items
    city = compute_measures(START, END, department="city_management")
    assert city.items == recompute_measures(START, END, department="city_management").items
