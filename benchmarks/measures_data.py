"""Synthetic case history for the measures benchmark, written with bulk SQL, not the services.

`onegrid simulate` plays cases through the real services at about 17 reports a second: a
million cases would take most of a day. This module draws the same kind of history directly
(the simulator's class mix, sources, department habits and probabilities, imported from
`onegrid.demo.simulator`) on the demo district's real territory and people, and writes the rows
with `executemany` (SQLite) or `COPY` (PostgreSQL) with the secondary indexes dropped during the
load and built again afterwards.

What a case gets: a `Case` row whose current fields agree with its history, a lead task (and a
co-department task for joint cases) per dispatch, and its events, each with the `data` the
services write (the class and source of a report, the lead, co-departments and deadline of a
dispatch, the new deadline of an approved extension, on-time of a close, the satisfaction of a
call-back). Paths: report → self-close on the spot; report → reject; report → verification →
reject (not found) or register; register → dispatch (→ misrouted: return → re-dispatch or
arbitration) → sign → (extension asked → approved or refused) → feed back → start check →
(fail → feed back → start check)* → pass → close → call-back → (unsatisfied: reopen → the whole
disposal again); stalled tasks stop at dispatch or sign; about 1 % of reports are merged into
the grid's previous case. Late tasks get an escalation event. History ends at `Spec.end`:
whatever would happen later is cut, so the last weeks hold open cases, as a real system does.

Left out, because no measure reads them: photos, reporter rows, idempotency records, the
reports' text (a short fixed description), escalation rows. Working time is approximated as
Monday–Friday 09:00–17:00 Asia/Shanghai (no public holidays) for deadlines and desk delays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import random
import re
import time
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import shapely

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src" / "onegrid"

LOCAL = 8 * 3600  # Asia/Shanghai has had no daylight saving time since 1991
OPEN, CLOSE = 9 * 3600, 17 * 3600  # ONEGRID_WORKDAY_START / _END defaults
WORK_DAY_HOURS = (CLOSE - OPEN) / 3600
P_MERGE = 0.01
P_ESCALATE_IF_LATE = 0.9
P_CO_LATE = 0.1
DESCRIPTION = "合成数据"  # every synthetic case's text (measures never read it)


@dataclass(frozen=True)
class Spec:
    """What a generated database holds; its key names the cached copy."""

    size: int
    seed: int = 20261205
    years: int = 4
    end: dt.date = dt.date(2026, 12, 1)  # local midnight: history stops here
    events: bool = True  # False: cases, facts and rollups only (the 10M run)

    @property
    def end_epoch(self) -> int:
        return _epoch(self.end)

    @property
    def start(self) -> dt.date:
        return self.end.replace(year=self.end.year - self.years)

    def name(self) -> str:
        """Names the cached database: size, seed, span, with or without events."""
        kind = "ev" if self.events else "noev"
        return f"m{_short(self.size)}-s{self.seed}-y{self.years}-{kind}"


def data_key(spec: Spec) -> str:
    """What the generated rows depend on: the spec, the generator and demo sources, the
    catalogue, and the columns of the tables written (so a migration elsewhere, such as a new
    rollup table, keeps the data; the rollups have their own key). Needs Django set up."""
    from django.apps import apps

    digest = hashlib.sha256()
    digest.update(repr(spec).encode())
    from onegrid.demo import simulator

    for path in [
        SRC / "cases" / "data" / "default_catalogue.csv",
        SRC / "demo" / "district.py",
        SRC / "demo" / "people.py",
    ]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    # Of the simulator, only the mixes and probabilities drawn from.
    for name in sorted(set(re.findall(r"\bsim\.([A-Z_]+)", _section(GENERATOR_PART).decode()))):
        digest.update(f"{name}={getattr(simulator, name)!r}\n".encode())
    digest.update(_section(GENERATOR_PART))
    for label in ("cases.Case", "cases.Task", "cases.CaseEvent", "territory.Grid", "org.User"):
        model = apps.get_model(label)
        for f in model._meta.concrete_fields:
            digest.update(f"{label}.{f.column}:{f.get_internal_type()}:{f.null}\n".encode())
    return digest.hexdigest()[:16]


def _short(size: int) -> str:
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if size % div == 0:
            return f"{size // div}{unit}"
    return str(size)


def _epoch(day: dt.date) -> int:
    """The epoch second of local midnight starting `day`."""
    return (day - dt.date(1970, 1, 1)).days * 86400 - LOCAL


def work_add(t: float, hours: float) -> float:
    """`hours` of working time after the epoch second `t` (Mon–Fri 09:00–17:00 local)."""
    rest = hours * 3600.0
    local = t + LOCAL
    day, off = divmod(local, 86400)
    while True:
        if (day + 3) % 7 < 5:  # 1970-01-01 was a Thursday; 0 = Monday
            off = max(off, OPEN)
            if off < CLOSE:
                if rest <= CLOSE - off:
                    return day * 86400 + off + rest - LOCAL
                rest -= CLOSE - off
        day += 1
        off = 0


# --- the world: territory, catalogue, departments and people already in the database -----


@dataclass
class World:
    # id, community, street, street code, label lon, label lat, grid worker, geometry
    grids: list[tuple]
    grid_weights: list[float]
    classes: dict[str, tuple]  # code → (id, major, unit, limit, urgency, closable, dept, police)
    patrol_mix: tuple[list[str], list[float]]
    call_mix: tuple[list[str], list[float]]
    departments: dict[str, int]
    handlers: dict[str, int | None]
    desks: dict[tuple[str, int], int | None]  # (prefix, street id) → user id
    street_codes: dict[int, str]


def load_world(seed: int) -> World:
    """Read what `ensure_world` built: grids with their worker, classes, departments, desks."""
    from onegrid.cases.models import CaseClass
    from onegrid.demo import simulator as sim
    from onegrid.demo.people import department_username, desk_username, grid_worker_username
    from onegrid.org.models import Department, User
    from onegrid.territory.models import AdminUnit, Grid

    users = dict(User.objects.values_list("username", "id"))
    grids = []
    rows = Grid.objects.order_by("code").values_list(
        "id", "code", "community_id", "street_id", "street__code", "label_lon", "label_lat",
        "geometry_wkb",
    )  # fmt: skip
    for pk, code, community, street, scode, lon, lat, wkb in rows:
        geometry = shapely.from_wkb(bytes(wkb))
        shapely.prepare(geometry)
        worker = users.get(grid_worker_username(code))
        grids.append((pk, community, street, scode, lon, lat, worker, geometry))
    # Some grids are busier than others (markets, stations, old housing): log-normal weights.
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0, 0.8) for _ in grids]
    classes = {}
    for row in CaseClass.objects.filter(active=True).values_list(
        "code",
        "id",
        "major__code",
        "time_unit",
        "time_limit",
        "urgency",
        "minor_self_closable",
        "default_department__code",
        "route_to_street_police",
    ):
        if row[7] or row[8]:
            classes[row[0]] = row[1:]

    def mix(wanted):
        codes = sorted(classes)
        return codes, list(accumulate(wanted.get(c, sim.WEIGHT_REST) for c in codes))

    departments = {}
    handlers = {}
    for dept in Department.objects.select_related("street"):
        departments[dept.code] = dept.pk
        handlers[dept.code] = users.get(department_username(dept))
    streets = list(AdminUnit.objects.filter(level=AdminUnit.Level.STREET))
    desks = {
        (prefix, street.pk): users.get(desk_username(prefix, street))
        for street in streets
        for prefix in ("acc", "disp", "cb")
    }
    return World(
        grids=grids,
        grid_weights=list(accumulate(weights)),
        classes=classes,
        patrol_mix=mix(sim.PATROL_MIX),
        call_mix=mix(sim.RESIDENT_MIX),
        departments=departments,
        handlers=handlers,
        desks=desks,
        street_codes={s.pk: s.code for s in streets},
    )


# --- one case ------------------------------------------------------------------------------


def _iso(t: float) -> str:
    """A deadline as the services write it into event data: local time with its offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(int(t) + LOCAL))


def _check_data(at: float) -> str:
    """A check start's data as rules.start_check_clock writes it: the check's deadline."""
    return json.dumps({"check_due_at": _iso(work_add(at, CHECK_HOURS))})


def _dispatch(lead: str, co: list[str], due: float, tasks: list[int]) -> dict:
    """A dispatch's data as rules.create_tasks writes it; the shaper names the tasks."""
    return {"lead": lead, "co": co, "due_at": _iso(due), "_tasks": tasks, "_due": due}


@dataclass
class Drawn:
    """One generated case: its row values, tasks and events (times as epoch seconds)."""

    n: int
    at: int
    source: str
    grid: tuple
    cls: tuple
    class_code: str
    urgency: str
    lon: float = 0.0
    lat: float = 0.0
    merged_into: int | None = None  # index of the earlier case
    tasks: list[list] = field(default_factory=list)  # [dept code, role, dispatched, due, …]
    events: list[tuple] = field(default_factory=list)  # (action, from, to, actor, role, task…)


class Generator:
    """Draws cases day by day from one seeded random stream; see the module docstring."""

    def __init__(self, spec: Spec, world: World) -> None:
        from onegrid.demo import simulator as sim

        self.spec = spec
        self.world = world
        self.sim = sim
        self.rng = random.Random(spec.seed)
        self.general = sorted(
            c for c, pk in world.departments.items() if not c.startswith("police_")
        )
        self.sources = [s for s, _ in sim.SOURCES]
        self.source_cum = list(accumulate(p for _, p in sim.SOURCES))
        self.satisfaction = [s for s, _ in sim.SATISFACTION]
        self.satisfaction_cum = list(accumulate(p for _, p in sim.SATISFACTION))
        self.last_in_grid: dict[int, int] = {}

    def day_counts(self) -> list[tuple[dt.date, int]]:
        """How many reports each day gets: the size spread over the span, fewer at weekends,
        a summer peak, exact in total."""
        spec = self.spec
        days = (spec.end - spec.start).days
        weights = []
        for d in range(days):
            day = spec.start + dt.timedelta(days=d)
            share = 1.0 if day.weekday() < 5 else self.sim.WEEKEND_SHARE
            season = 1 + 0.2 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
            weights.append(share * season * self.rng.uniform(0.85, 1.15))
        total = sum(weights)
        # Rounded running totals, so that the days add up to the size exactly.
        running = [round(x / total * spec.size) for x in accumulate(weights)]
        return [
            (spec.start + dt.timedelta(days=d), n - (running[d - 1] if d else 0))
            for d, n in enumerate(running)
        ]

    def cases(self) -> Iterator[Drawn]:
        n = 0
        rng = self.rng
        for day, count in self.day_counts():
            base = _epoch(day)
            times = sorted(
                base + int(rng.triangular(8.5, 17.5, 10.0) * 3600)
                if rng.random() < 0.8
                else base + int(rng.uniform(6.0, 23.0) * 3600)
                for _ in range(count)
            )
            for at in times:
                yield self.draw(n, at)
                n += 1

    def pick(self, mix):
        codes, cum = mix
        return codes[bisect(cum, self.rng.random() * cum[-1])]

    def draw(self, n: int, at: int) -> Drawn:
        rng, sim, w = self.rng, self.sim, self.world
        source = self.sources[bisect(self.source_cum, rng.random() * self.source_cum[-1])]
        grid = w.grids[bisect(w.grid_weights, rng.random() * w.grid_weights[-1])]
        code = self.pick(w.patrol_mix if source == "grid_worker" else w.call_mix)
        cls = w.classes[code]
        case = Drawn(n, at, source, grid, cls, code, cls[4])
        # A point near the grid's label point, inside the grid (as the simulator places them).
        case.lon, case.lat = grid[4], grid[5]
        for _ in range(8):
            lon = round(grid[4] + rng.uniform(-8e-4, 8e-4), 7)
            lat = round(grid[5] + rng.uniform(-6e-4, 6e-4), 7)
            if shapely.contains_xy(grid[7], lon, lat):
                case.lon, case.lat = lon, lat
                break
        street = grid[2]
        worker = grid[6]
        acc, disp, cb = (w.desks.get((p, street)) for p in ("acc", "disp", "cb"))
        ev = case.events
        t = float(at)
        ev.append(
            ("report", "", "reported", worker if source == "grid_worker" else None, source, None,
             t, json.dumps({"class": code, "source": source, "crs": "wgs84"}))
        )  # fmt: skip
        if source == "grid_worker":
            if cls[5] and rng.random() < sim.P_SELF_CLOSE:
                t += rng.uniform(0.05, 0.5) * 3600
                ev.append(("self_close", "reported", "self_closed", worker, "grid_worker", None,
                           t, '{"on_time": true}'))  # fmt: skip
                return case
            if rng.random() < P_MERGE and grid[0] in self.last_in_grid:
                t = work_add(t, rng.uniform(0.1, 1.5))
                case.merged_into = self.last_in_grid[grid[0]]
                ev.append(("merge", "reported", "merged", acc, "acceptor", None, t,
                           json.dumps({"target": case.merged_into})))  # fmt: skip
                return case
            if rng.random() < sim.P_REJECT_PATROL:
                t = work_add(t, rng.uniform(0.1, 1.5))
                ev.append(("reject", "reported", "rejected", acc, "acceptor", None, t, "{}"))
                return case
        else:
            t = work_add(t, rng.uniform(0.1, 1.5))
            ev.append(("request_verification", "reported", "verifying", acc, "acceptor", None,
                       t, "{}"))  # fmt: skip
            t += rng.uniform(0.3, 4.0) * 3600
            found = rng.random() >= sim.P_NOT_FOUND
            result = '{"result": "confirmed"}' if found else '{"result": "not_found"}'
            ev.append(("verify", "verifying", "reported", worker, "grid_worker", None, t, result))
            if not found:
                t = work_add(t, rng.uniform(0.1, 1.5))
                ev.append(("reject", "reported", "rejected", acc, "acceptor", None, t, "{}"))
                return case
        self.last_in_grid[grid[0]] = n
        t = work_add(t, rng.uniform(0.1, 1.5))
        ev.append(("register", "reported", "registered", acc, "acceptor", None, t, "{}"))
        self.dispose(case, t, acc, disp, cb, worker)
        return case

    def dispose(self, case: Drawn, t: float, acc, disp, cb, worker, reopened: bool = False) -> None:
        """Dispatch to the close and call-back; a reopening runs it once more."""
        rng, sim, w = self.rng, self.sim, self.world
        ev = case.events
        cls = case.cls
        lead = f"police_{w.street_codes[case.grid[2]]}" if cls[7] else cls[6]
        sign_mean, p_on_time, p_stall = sim.PROFILES.get(
            "police" if lead.startswith("police_") else lead, sim.DEFAULT_PROFILE
        )
        limit_hours = cls[3] * (WORK_DAY_HOURS if cls[2] == "days" else 1)
        urgent = case.urgency == "red"
        co: list[str] = []
        first = lead
        arbitrate = False
        if not urgent and not reopened and rng.random() < sim.P_MISROUTE:
            first = rng.choice([d for d in self.general if d != lead])
            arbitrate = rng.random() < sim.P_DISPUTED
        elif not urgent and rng.random() < sim.P_JOINT:
            partners = [d for d in sim.CO_DEPARTMENTS.get(cls[1], ()) if d in w.departments]
            partners = [d for d in partners if d != lead]
            if partners:
                co = [rng.choice(partners)]
        t = t + 60 if urgent else work_add(t, rng.uniform(0.2, 2.5))
        if first != lead:  # misrouted: the wrong department returns it
            due = work_add(t, limit_hours)
            task = self.task(case, first, "lead", t, due)
            ev.append(("dispatch", "registered", "dispatched", disp, "dispatcher", None, t,
                       _dispatch(first, [], due, [task])))  # fmt: skip
            t = work_add(t, rng.uniform(0.5, 8.0))
            ev.append(("return", "dispatched", "registered", w.handlers.get(first),
                       "dept_handler", task, t, '{"lead": true}'))  # fmt: skip
            case.tasks[task][5] = "returned"
            if arbitrate:  # the right department disputes it too: the command centre decides
                due = work_add(t, limit_hours)
                task = self.task(case, lead, "lead", t, due)
                ev.append(("dispatch", "registered", "dispatched", disp, "dispatcher", None, t,
                           _dispatch(lead, [], due, [task])))  # fmt: skip
                t = work_add(t, rng.uniform(0.5, 8.0))
                ev.append(("return", "dispatched", "registered", w.handlers.get(lead),
                           "dept_handler", task, t, '{"lead": true}'))  # fmt: skip
                case.tasks[task][5] = "returned"
            t = work_add(t, rng.uniform(0.2, 4.0))
        action = "arbitrate" if arbitrate else "dispatch"
        due = work_add(t, limit_hours)
        lead_task = self.task(case, lead, "lead", t, due, arbitrated=arbitrate)
        co_tasks = [self.task(case, c, "co", t, due) for c in co]
        ev.append((action, "registered", "dispatched", disp, "dispatcher", None, t,
                   _dispatch(lead, co, due, [lead_task, *co_tasks])))  # fmt: skip
        dispatched = t
        stall = rng.random() < p_stall
        signed = work_add(t, rng.expovariate(1 / sign_mean))
        if stall and rng.random() < sim.P_NEVER_SIGNED:
            self.late(case, lead_task, due, ev)
            return
        ev.append(("sign", "dispatched", "in_progress", w.handlers.get(lead), "dept_handler",
                   lead_task, signed, "{}"))  # fmt: skip
        case.tasks[lead_task][4] = signed
        case.tasks[lead_task][5] = "in_progress"
        for ct in co_tasks:
            s = work_add(dispatched, rng.expovariate(1.0))
            ev.append(("sign", "in_progress", "in_progress", w.handlers.get(case.tasks[ct][0]),
                       "dept_handler", ct, s, "{}"))  # fmt: skip
            case.tasks[ct][4] = s
            case.tasks[ct][5] = "in_progress"
        if stall:
            self.late(case, lead_task, due, ev)
            return
        on_time = rng.random() < p_on_time
        fraction = rng.uniform(0.2, 0.97) if on_time else rng.uniform(1.05, 2.2)
        fed = max(work_add(dispatched, limit_hours * fraction), signed + 60)
        if rng.random() < (sim.P_EXTENSION_ANYWAY if on_time else sim.P_EXTENSION_IF_LATE):
            asked = signed + (fed - signed) * rng.uniform(0.3, 0.8)
            hours = max(4, round(limit_hours * rng.uniform(0.3, 1.2)))
            ev.append(("request_extension", "in_progress", "in_progress", w.handlers.get(lead),
                       "dept_handler", lead_task, asked, json.dumps({"hours": hours})))  # fmt: skip
            decided = asked + (fed - asked) * rng.uniform(0.1, 0.9)
            if rng.random() < sim.P_EXTENSION_APPROVED:
                old, due = due, work_add(due, hours)
                case.tasks[lead_task][3] = due
                data = {"hours": hours, "old_due_at": _iso(old), "due_at": _iso(due), "_due": due}
                ev.append(("approve_extension", "in_progress", "in_progress", disp, "dispatcher",
                           lead_task, decided, data))  # fmt: skip
            else:
                ev.append(("reject_extension", "in_progress", "in_progress", disp, "dispatcher",
                           lead_task, decided, "{}"))  # fmt: skip
        if fed > due and rng.random() < P_ESCALATE_IF_LATE:
            esc = work_add(due, 0.5)
            if esc < fed:
                ev.append(("escalate", "in_progress", "in_progress", None, "system", lead_task,
                           esc, '{"level": 1}'))  # fmt: skip
        last_fed = fed
        for ct in co_tasks:
            cf = max(
                work_add(dispatched, limit_hours * rng.uniform(0.2, 0.95)), case.tasks[ct][4] + 60
            )
            if rng.random() < P_CO_LATE:
                cf = work_add(due, rng.uniform(1, 10))
            ev.append(("feed_back", "in_progress", "in_progress", w.handlers.get(case.tasks[ct][0]),
                       "dept_handler", ct, cf, "{}"))  # fmt: skip
            case.tasks[ct][6] = cf
            last_fed = max(last_fed, cf)
        ev.append(("feed_back", "in_progress", "in_progress", w.handlers.get(lead),
                   "dept_handler", lead_task, fed, "{}"))  # fmt: skip
        case.tasks[lead_task][6] = fed
        t = max(last_fed, fed)
        ev.append(("start_check", "in_progress", "checking", None, "system", None, t + 1,
                   _check_data(t + 1)))  # fmt: skip
        roll = rng.random()
        fails = (
            2 if roll < sim.P_FAIL_TWICE else 1 if roll < sim.P_FAIL_ONCE + sim.P_FAIL_TWICE else 0
        )
        for _ in range(fails):
            t = work_add(t, rng.uniform(0.3, 6.0))
            ev.append(("fail_check", "checking", "in_progress", worker, "grid_worker", None, t,
                       "{}"))  # fmt: skip
            t = work_add(t, limit_hours * rng.uniform(0.05, 0.4))
            ev.append(("feed_back", "in_progress", "in_progress", w.handlers.get(lead),
                       "dept_handler", lead_task, t, "{}"))  # fmt: skip
            case.tasks[lead_task][6] = t
            fed = t
            ev.append(("start_check", "in_progress", "checking", None, "system", None, t + 1,
                       _check_data(t + 1)))  # fmt: skip
        t = work_add(t, rng.uniform(0.3, 6.0))
        ev.append(("pass_check", "checking", "checked", worker, "grid_worker", None, t, "{}"))
        t = work_add(t, rng.uniform(0.1, 2.0))
        closed_on_time = all(
            task[6] is not None and task[6] <= task[3]
            for task in (case.tasks[i] for i in [lead_task, *co_tasks])
        )
        ev.append(("close", "checked", "closed", acc, "acceptor", None, t,
                   '{"on_time": true}' if closed_on_time else '{"on_time": false}'))  # fmt: skip
        for i in [lead_task, *co_tasks]:
            case.tasks[i][5] = "done"
        if rng.random() < sim.P_REVISIT:
            t = work_add(t, rng.uniform(1.0, 16.0))
            sat = self.satisfaction[
                bisect(self.satisfaction_cum, rng.random() * self.satisfaction_cum[-1])
            ]
            ev.append(("revisit", "closed", "closed", cb, "callback", None, t,
                       json.dumps({"satisfaction": sat})))  # fmt: skip
            if sat == "unsatisfied" and not reopened and rng.random() < sim.P_REOPEN_IF_UNSATISFIED:
                t = work_add(t, rng.uniform(0.2, 2.0))
                ev.append(("reopen", "closed", "registered", cb, "callback", None, t, "{}"))
                self.dispose(case, t, acc, disp, cb, worker, reopened=True)

    def task(self, case: Drawn, dept: str, role: str, at: float, due: float, arbitrated=False):
        # dept code, role, dispatched, due, signed, state, fed back, arbitrated
        case.tasks.append([dept, role, at, due, None, "dispatched", None, arbitrated])
        return len(case.tasks) - 1

    def late(self, case: Drawn, task: int, due: float, ev: list) -> None:
        if self.rng.random() < P_ESCALATE_IF_LATE:
            ev.append(("escalate", ev[-1][2], ev[-1][2], None, "system", task,
                       work_add(due, 0.5), '{"level": 1}'))  # fmt: skip


# --- rows ----------------------------------------------------------------------------------

# Where each action leaves the case; None: the case stays where it is.
TARGET = {
    "report": "reported",
    "self_close": "self_closed",
    "merge": "merged",
    "reject": "rejected",
    "request_verification": "verifying",
    "verify": "reported",
    "register": "registered",
    "dispatch": "dispatched",
    "arbitrate": "dispatched",
    "return": "registered",
    "sign": "in_progress",
    "start_check": "checking",
    "fail_check": "in_progress",
    "pass_check": "checked",
    "close": "closed",
    "reopen": "registered",
}
# What the rebuild folds (cases.facts.ACTIONS), and the events whose data the fold reads
# beyond what the generator keeps as a mapping already.
FOLDED = frozenset(
    {
        "report", "register", "self_close", "dispatch", "arbitrate", "approve_extension",
        "feed_back", "start_check", "pass_check", "fail_check", "close", "reopen", "revisit",
    }
)  # fmt: skip
PARSED = frozenset({"close", "self_close", "revisit", "start_check"})
DISPATCH_HOURS = {"red": 1, "yellow": 4, "blue": 24}
CHECK_HOURS = 8  # ONEGRID["CHECK_HOURS"]


class Ids:
    """UUIDv7-shaped keys (time-ordered, as core.ids makes them) from the seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self, t: float) -> str:
        ms = int(t * 1000) & ((1 << 48) - 1)
        rand = self.rng.getrandbits(74)
        value = (
            (ms << 80)
            | (0x7 << 76)
            | ((rand >> 62) << 64)
            | (0b10 << 62)
            | (rand & ((1 << 62) - 1))
        )
        return f"{value:032x}"


@dataclass
class Rows:
    """One chunk of rows, as tuples in the column order of CASE_COLUMNS, TASK_COLUMNS and
    EVENT_COLUMNS; times as epoch seconds (the writer formats them)."""

    cases: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    facts: list[tuple] = field(default_factory=list)  # without events: cases_casefact rows
    closes: list[tuple] = field(default_factory=list)  # and cases_caseclose rows


CASE_COLUMNS = (
    "id", "number", "state", "source", "case_class_id", "description", "lon", "lat", "address",
    "grid_id", "community_id", "street_id", "reporter_id", "reporter_name", "reporter_phone",
    "urgency", "reported_at", "registered_at", "dispatch_due_at", "dispatched_at", "due_at",
    "fed_back_at", "check_due_at", "closed_at", "closed_on_time", "overdue",
    "escalation_level", "rework_count", "merged_into_id", "satisfaction", "updated_at",
    "tracking_code", "callback_needed",
)  # fmt: skip
CASE_TIMES = frozenset(
    i for i, c in enumerate(CASE_COLUMNS) if c.endswith("_at") and c != "dispatch_due_at"
) | {CASE_COLUMNS.index("dispatch_due_at")}
TASK_COLUMNS = (
    "id", "case_id", "department_id", "role", "state", "dispatched_at", "signed_at", "due_at",
    "fed_back_at", "extension_hours", "extension_reason", "overdue", "escalation_level",
    "arbitrated", "whistle_reason", "report_in_overdue", "rating", "rating_reason",
)  # fmt: skip
TASK_TIMES = frozenset(i for i, c in enumerate(TASK_COLUMNS) if c.endswith("_at"))
EVENT_COLUMNS = (
    "id", "case_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_role",
    "task_id", "at", "reason", "data",
)  # fmt: skip
EVENT_TIMES = frozenset({EVENT_COLUMNS.index("at")})


class Shaper:
    """Turns drawn cases into rows: cuts history at the end and derives the case's fields."""

    drawn = 0  # events kept (written or not) by the last shaper

    def __init__(self, spec: Spec, world: World, rng: random.Random) -> None:
        self.end = spec.end_epoch
        self.world = world
        self.ids = Ids(rng)
        Shaper.drawn = 0
        self.case_ids: dict[int, str] = {}
        self.serials: dict[str, int] = {}

    def add(self, case: Drawn, rows: Rows, *, events: bool, folder: Folder | None = None) -> None:
        end = self.end
        folded: list[tuple] = []
        kept = sorted((e for e in case.events if e[6] < end), key=lambda e: e[6])
        Shaper.drawn += len(kept)
        case_id = self.ids(case.at)
        self.case_ids[case.n] = case_id
        if len(self.case_ids) > 200_000:  # merge targets are a grid's last case: recent
            for n in list(itertools.islice(self.case_ids, 100_000)):
                del self.case_ids[n]
        day = time.strftime("%Y%m%d", time.gmtime(case.at + LOCAL))
        serial = self.serials[day] = self.serials.get(day, 0) + 1
        if len(self.serials) > 3:  # keep only the last few days
            del self.serials[min(self.serials)]
        task_ids = []
        w = self.world
        for dept, role, dispatched, due, signed, state, fed, arbitrated in case.tasks:
            if dispatched >= end:
                task_ids.append(None)
                continue
            tid = self.ids(dispatched)
            task_ids.append(tid)
            if fed is not None and fed >= end:
                fed = None
                state = "in_progress"
            if signed is not None and signed >= end:
                signed = None
                state = "dispatched"
            overdue = fed is None and state in ("dispatched", "in_progress") and due < end
            rows.tasks.append(
                (tid, case_id, w.departments[dept], role, state, dispatched, signed, due, fed,
                 None, "", overdue, 0, arbitrated, "", False, "", "")
            )  # fmt: skip
        state = ""
        f = {
            "registered": None, "dispatch_due": None, "dispatched": None, "due": None,
            "fed_back": None, "check_due": None, "closed": None, "on_time": None,
            "escalation": 0, "rework": 0, "satisfaction": "",
        }  # fmt: skip
        for seq, (action, _f, _t, actor, role, task, at, data) in enumerate(kept, 1):
            target = TARGET.get(action) or state
            due = None
            mapping = None
            if isinstance(data, dict):
                mapping = dict(data)
                due = mapping.pop("_due")
                if "_tasks" in mapping:
                    mapping["tasks"] = [_dashed(task_ids[i]) for i in mapping.pop("_tasks")]
                data = json.dumps(mapping)
            if folder is not None and action in FOLDED:
                if mapping is None:
                    mapping = json.loads(data) if action in PARSED else {}
                tid = None if task is None else task_ids[task]
                role_then = None if task is None else case.tasks[task][1]
                folded.append((action, at, actor, tid and _dashed(tid), role_then, mapping))
            if events:
                rows.events.append(
                    (self.ids(at), case_id, seq, action, state, target, actor, role,
                     None if task is None else task_ids[task], at, "", data)
                )  # fmt: skip
            state = target
            if action in ("register", "reopen", "return"):
                f["registered"] = at
                f["dispatch_due"] = work_add(at, DISPATCH_HOURS.get(case.urgency, 24))
                f["due"] = None
                if action == "reopen":
                    f["closed"] = f["on_time"] = None
                    f["satisfaction"] = "unsatisfied"
            elif action in ("dispatch", "arbitrate"):
                f["dispatched"] = at
                f["due"] = due
            elif action == "approve_extension":
                f["due"] = due
            elif action == "start_check":
                f["fed_back"] = at
                f["check_due"] = work_add(at, CHECK_HOURS)  # as in _check_data
            elif action == "fail_check":
                f["rework"] += 1
                f["fed_back"] = f["check_due"] = None
            elif action in ("close", "self_close"):
                f["closed"] = at
                f["on_time"] = "true" in data
            elif action == "revisit":
                f["satisfaction"] = json.loads(data)["satisfaction"]
            elif action == "escalate":
                f["escalation"] = 1
        grid = case.grid
        overdue = state in ("dispatched", "in_progress") and f["due"] is not None and f["due"] < end
        merged = self.case_ids.get(case.merged_into) if state == "merged" else None
        rows.cases.append(
            (case_id, f"120113-{day}-{serial:05d}", state, case.source, case.cls[0], DESCRIPTION,
             case.lon, case.lat, "", grid[0], grid[1], grid[2], None, "", "", case.urgency,
             case.at, f["registered"], f["dispatch_due"], f["dispatched"], f["due"],
             f["fed_back"], f["check_due"], f["closed"], f["on_time"], overdue,
             f["escalation"], f["rework"], merged, f["satisfaction"], kept[-1][6],
             f"{day[2:]}{serial:05d}", False)
        )  # fmt: skip
        if folder is not None:
            folder.fold(case, case_id, folded, rows)


def _dashed(key: str) -> str:
    return f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"


def chunks(
    spec: Spec, world: World, *, folder: Folder | None = None, per_chunk: int = 20_000
) -> Iterator[Rows]:
    """The whole generated history, `per_chunk` cases at a time, in report order; with a
    folder, each chunk carries the cases' facts and closes too."""
    generator = Generator(spec, world)
    shaper = Shaper(spec, world, random.Random(spec.seed + 1))
    rows = Rows()
    for case in generator.cases():
        shaper.add(case, rows, events=spec.events, folder=folder)
        if len(rows.cases) >= per_chunk:
            yield rows
            rows = Rows()
    if rows.cases:
        yield rows


# --- writing -------------------------------------------------------------------------------

BULK_TABLES = ("cases_case", "cases_task", "cases_caseevent")


def _sqlite_time(t: float | None) -> str | None:
    # Django keeps an aware datetime in SQLite as naive UTC text.
    return None if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(t)))


def _pg_time(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(int(t)))


class Writer:
    """Bulk rows into the Django default database: executemany on SQLite, COPY on PostgreSQL,
    with the tables' secondary indexes (and, on PostgreSQL, foreign keys) dropped until done."""

    def __init__(self, url: str | None = None) -> None:
        """The Django default database, or the database at `url` (sqlite:///… or postgres://…)
        through a connection of its own."""
        if url is None:
            from django.db import connection

            connection.ensure_connection()
            self.vendor = connection.vendor
            self.raw = connection.connection
        elif url.startswith("sqlite:///"):
            import sqlite3

            self.vendor = "sqlite"
            self.raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        else:
            import psycopg

            self.vendor = "postgresql"
            self.raw = psycopg.connect(url, autocommit=True)
        self.time = _sqlite_time if self.vendor == "sqlite" else _pg_time
        self.mark = "?" if self.vendor == "sqlite" else "%s"
        self.saved: list[str] = []

    def upsert(self, table: str, keys: tuple[str, ...], counters: tuple[str, ...], rows) -> None:
        """Add counters to rows, creating missing ones: the rollups' own additive upsert."""
        columns = [*keys, *counters]
        one = "(" + ", ".join([self.mark] * len(columns)) + ")"
        updates = ", ".join(f'"{c}" = "{table}"."{c}" + excluded."{c}"' for c in counters)
        day = str if self.vendor == "sqlite" else (lambda d: d)
        rows = [(day(k[0]), *k[1:], *values) for k, values in rows]
        names = ", ".join(f'"{c}"' for c in columns)
        conflict = ", ".join(f'"{k}"' for k in keys)
        sql = (
            f'INSERT INTO "{table}" ({names}) VALUES {one} '
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
        # One short statement many times: psycopg parses it once and pipelines the rows (a
        # 500-row VALUES list is parsed in Python for every batch: 10× slower).
        if self.vendor == "sqlite":
            self.raw.execute("BEGIN")
            self.raw.executemany(sql, rows)
            self.raw.execute("COMMIT")
        else:
            with self.raw.transaction(), self.raw.cursor() as cursor:
                cursor.executemany(sql, rows)

    def execute(self, sql: str, params=()) -> list[tuple]:
        cursor = self.raw.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def read_meta(self) -> dict[str, str]:
        try:
            return dict(self.execute(f"SELECT name, value FROM {META}"))
        except Exception:  # no such table: nothing generated here yet
            if self.vendor != "sqlite":
                self.raw.rollback()
            return {}

    def write_meta(self, **values: object) -> None:
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {META} (name varchar(40) PRIMARY KEY, value text)"
        )
        for name, value in values.items():
            self.execute(f"DELETE FROM {META} WHERE name = {self.mark}", (name,))
            self.execute(
                f"INSERT INTO {META} (name, value) VALUES ({self.mark}, {self.mark})",
                (name, str(value)),
            )

    def begin_load(self, tables=BULK_TABLES) -> None:
        if self.vendor == "sqlite":
            self.raw.execute("PRAGMA foreign_keys = OFF")
            self.raw.execute("PRAGMA synchronous = OFF")
            names = ",".join("?" * len(tables))
            for name, sql in self.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({names})",
                tables,
            ):
                self.saved.append(sql)
                self.execute(f'DROP INDEX "{name}"')
            return
        for name, table, definition in self.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            (list(tables),),
        ):
            self.saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            self.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, definition in self.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            (list(tables),),
        ):
            self.saved.insert(0, definition)
            self.execute(f'DROP INDEX "{name}"')

    def end_load(self) -> None:
        if self.vendor != "sqlite":
            self.execute("SET maintenance_work_mem = '512MB'")
        for sql in self.saved:
            self.execute(sql)
        self.saved = []
        if self.vendor == "sqlite":
            self.raw.execute("PRAGMA foreign_keys = ON")
            self.raw.execute("PRAGMA synchronous = NORMAL")
        self.execute("ANALYZE")

    def write(self, table: str, columns: tuple[str, ...], times: frozenset[int], rows) -> None:
        if not rows:
            return
        fmt = self.time
        if times:
            at = sorted(times)

            def formatted(row: tuple) -> list:
                row = list(row)
                for i in at:
                    if row[i] is not None:
                        row[i] = fmt(row[i])
                return row

            rows = [formatted(row) for row in rows]
        names = ", ".join(f'"{c}"' for c in columns)
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.raw.execute("BEGIN")
            self.raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            self.raw.execute("COMMIT")
            return
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def write_chunk(self, rows: Rows) -> None:
        self.write("cases_case", CASE_COLUMNS, CASE_TIMES, rows.cases)
        self.write("cases_task", TASK_COLUMNS, TASK_TIMES, rows.tasks)
        self.write("cases_caseevent", EVENT_COLUMNS, EVENT_TIMES, rows.events)
        self.write_facts(rows)

    def write_facts(self, rows: Rows) -> None:
        self.write("cases_casefact", FACT_COLUMNS, FACT_TIMES, rows.facts)
        self.write("cases_caseclose", CLOSE_COLUMNS, CLOSE_TIMES, rows.closes)


# --- the cached dataset --------------------------------------------------------------------

META = "bench_measures_meta"


def read_meta() -> dict[str, str]:
    return Writer().read_meta()


def write_meta(**values: object) -> None:
    Writer().write_meta(**values)


ROLLUP_TABLES = ("cases_casefact", "cases_caseclose")
ROLLUP_MODELS = ("DailyTotal", "PersonDailyTotal", "CaseClose", "CaseFact")


GENERATOR_PART = ("", "# --- writing ---")  # this file up to the writer: what draws the rows
FOLDER_PART = ("# --- rollups without events", None)


def _section(part: tuple[str, str | None]) -> bytes:
    """This file from the line starting with part[0] to the line starting with part[1]."""
    text = Path(__file__).read_text()
    begin = text.index("\n" + part[0]) + 1 if part[0] else 0
    end = text.index("\n" + part[1]) + 1 if part[1] else len(text)
    return text[begin:end].encode()


def rollups_key(spec: Spec) -> str:
    """What the stored rollups depend on beyond the data: the fold, the rebuild, the schema
    (and, without events, this file's fold of generated cases)."""
    digest = hashlib.sha256()
    if not spec.events:
        digest.update(_section(FOLDER_PART))
    for path in [
        SRC / "cases" / "facts.py",
        SRC / "cases" / "rollups.py",
        *sorted((SRC / "cases" / "migrations").glob("*.py")),
    ]:
        digest.update(path.name.encode() + b"\\0" + path.read_bytes() + b"\\0")
    return digest.hexdigest()[:16]


def _clear_rollups() -> None:
    from onegrid.cases import models

    for name in ROLLUP_MODELS:
        getattr(models, name).objects.all()._raw_delete("default")


def prepare() -> float:
    """Migrate and build the demo world (district, catalogue, people, beats, addresses) in the
    Django default database; the seconds it took."""
    import sys

    from django.core.management import call_command
    from django.core.management.base import OutputWrapper

    from onegrid.demo.management.commands.simulate import ensure_world

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    ensure_world(OutputWrapper(sys.stderr))
    return time.perf_counter() - began


def world_signature(writer: Writer) -> str:
    """The ids the generated rows refer to (grids, units, classes, departments, people): equal
    in two databases, one generated stream of rows fits both."""
    digest = hashlib.sha256()
    for table, column in (
        ("territory_grid", "code"),
        ("territory_adminunit", "code"),
        ("cases_caseclass", "code"),
        ("org_department", "code"),
        ("org_user", "username"),
    ):
        for row in writer.execute(f"SELECT id, {column} FROM {table} ORDER BY id"):
            digest.update(f"{table}:{row[0]}:{row[1]}\n".encode())
    return digest.hexdigest()


def load(spec: Spec, say, *, others: tuple[str, ...] = ()) -> None:
    """Write the generated history into the Django default database, prepared (`prepare`) and
    empty, and into the databases at the URLs `others` (prepared by the same code, so their
    ids agree: checked) at the same time. With events the rollups are left to `build_rollups`;
    without, they are folded and written as the rows go (`Folder`). The seconds each step took
    go to each database's meta table."""
    key = rollups_key(spec)  # the code that folds is the code loaded now
    writers = [Writer(), *(Writer(url) for url in others)]
    signature = world_signature(writers[0])
    for other in writers[1:]:
        if world_signature(other) != signature:
            raise RuntimeError("the databases' demo worlds differ: generate them one at a time")
    world = load_world(spec.seed)
    folder = None if spec.events else Folder(writers)
    began = time.perf_counter()
    for writer in writers:
        writer.begin_load(BULK_TABLES if folder is None else BULK_TABLES + ROLLUP_TABLES)
    written = [0, 0]
    for rows in chunks(spec, world, folder=folder):
        if folder is not None:
            rows.tasks = []  # no timed question reads tasks; at 10M they would cost 2 GB
        for writer in writers:
            writer.write_chunk(rows)
        written = [written[0] + len(rows.cases), written[1] + len(rows.events)]
        if written[0] % 200_000 < len(rows.cases):
            rate = written[0] / (time.perf_counter() - began)
            say(f"    {written[0]:,} cases, {written[1]:,} events ({rate:,.0f} cases/s)")
    if folder is not None:
        folder.finish()
    seconds = {"rows": time.perf_counter() - began}
    began = time.perf_counter()
    for writer in writers:
        writer.end_load()
    seconds["indexes"] = time.perf_counter() - began
    meta = {f"seconds_{k}": f"{v:.0f}" for k, v in seconds.items()}
    if folder is not None:
        meta.update(
            rollups_key=key,
            rollups_how=(
                "folded in memory while generating (no events written)"
                + (f", written to {len(writers)} databases at once" if others else "")
            ),
            seconds_rollups=f"{folder.seconds:.0f} (of the rows' time)",
        )
    for writer in writers:
        writer.write_meta(data_key=data_key(spec), events_drawn=Shaper.drawn, **meta)


def build_rollups(spec: Spec, say) -> None:
    """The rollups of the data in the database: `rebuild_rollups` over the events, or (without
    events) the generator run again with only the rollups written."""
    began = time.perf_counter()
    key = rollups_key(spec)  # the code that builds is the code loaded now
    if spec.events:
        from onegrid.cases.rollups import rebuild_rollups

        def progress(n: int) -> None:
            if n % 200_000 == 0:
                say(f"    {n:,} cases folded ({time.perf_counter() - began:.0f} s)")

        rebuild_rollups(progress=progress)  # derives the month tables too
        how = "cases.rollups.rebuild_rollups over the events"
        write_meta(month_tables=key)
    else:
        _clear_rollups()
        writer = Writer()
        writer.begin_load(ROLLUP_TABLES)
        folder = Folder([writer])
        for rows in chunks(spec, load_world(spec.seed), folder=folder):
            writer.write_facts(rows)
        folder.finish()
        writer.end_load()
        how = "folded in memory by running the generator again (no events written)"
    write_meta(
        rollups_key=key,
        rollups_how=how,
        seconds_rollups=f"{time.perf_counter() - began:.0f}",
    )


# --- rollups without events: the rebuild's fold, in memory -------------------------------

FACT_COLUMNS = (
    "case_id", "street_id", "community_id", "grid_id", "case_class_id", "source",
    "reported_at", "reporter_id", "valid", "self_closed", "repeat", "deadline", "deadline_lead",
    "lead", "closed", "on_time", "closed_at", "lowest_level", "first_check_at",
    "first_check_lead", "failed", "first_dispatch_at", "joint", "state",
)  # fmt: skip
FACT_TIMES = frozenset(
    i for i, c in enumerate(FACT_COLUMNS) if c.endswith("_at") or c == "deadline"
)
CLOSE_COLUMNS = ("case_id", "at", "case_class_id", "lon", "lat")
CLOSE_TIMES = frozenset({1})
UTC = dt.UTC


class Recurrence:
    """cases.facts' recurrence rule over the cases in report order: a report recurs when a case
    of its class closed in [report − window, report) within the radius. Closes come from cases
    already drawn (a case closes after it is reported), so a window of recent closes suffices."""

    def __init__(self) -> None:
        from onegrid.cases.facts import EARTH_RADIUS_M, distance_m, recurrence_settings

        self.radius, window = recurrence_settings()
        self.window = window.total_seconds()
        self.distance = distance_m
        self.cell = max(math.degrees(self.radius / EARTH_RADIUS_M), 1e-7)
        self.buckets: dict[tuple, list[tuple[float, float, float, str]]] = {}
        self.pruned = 0.0

    def recurs(self, case_id: str, at: float, class_id: int, lon: float, lat: float) -> bool:
        row, col = math.floor(lat / self.cell), math.floor(lon / self.cell)
        span = math.ceil(1 / max(math.cos(math.radians(lat)), 1e-6))
        since = at - self.window
        for dr in (-1, 0, 1):
            for dc in range(-span, span + 1):
                for t, x, y, other in self.buckets.get((class_id, row + dr, col + dc), ()):
                    if (
                        since <= t < at
                        and other != case_id
                        and self.distance(lon, lat, x, y) <= self.radius
                    ):
                        return True
        return False

    def add(self, case_id: str, at: float, class_id: int, lon: float, lat: float) -> None:
        key = (class_id, math.floor(lat / self.cell), math.floor(lon / self.cell))
        self.buckets.setdefault(key, []).append((at, lon, lat, case_id))

    def prune(self, now: float) -> None:
        """Forget closes too old for any report from `now` on (once a simulated week)."""
        if now - self.pruned < 7 * 86400:
            return
        self.pruned = now
        since = now - self.window
        for key in list(self.buckets):
            kept = [c for c in self.buckets[key] if c[0] >= since]
            if kept:
                self.buckets[key] = kept
            else:
                del self.buckets[key]


class _Totals:
    """The rebuild's own summing (`rollups._Totals.add`: contributions keyed by local day,
    place, class and department), written through the benchmark's writers, so one generated
    stream can fill several databases."""

    def __init__(self, writers: list[Writer]) -> None:
        from onegrid.cases import rollups

        self.rollups = rollups
        self.writers = writers
        self.sums = rollups._Totals(write=False)

    def add(self, facts) -> None:
        self.sums.add(facts)
        if len(self.sums.totals) + len(self.sums.people) > self.rollups.FLUSH_KEYS:
            self.flush()

    def flush(self) -> None:
        r = self.rollups
        for writer in self.writers:
            writer.upsert(
                "cases_dailytotal", r.TOTAL_KEY_COLUMNS, r.COUNTERS, self.sums.totals.items()
            )
            writer.upsert(
                "cases_persondailytotal",
                r.PERSON_KEY_COLUMNS,
                r.PERSON_COUNTERS,
                self.sums.people.items(),
            )
        self.sums.totals.clear()
        self.sums.people.clear()


class Folder:
    """What `rebuild_rollups` would write for generated cases whose events are not written:
    each case's events folded by `cases.facts.CaseFacts` (fed as `rollups.fold_histories` feeds
    them), contributions summed by the rebuild's `rollups._Totals`, facts rows as
    `rollups.fact_row` makes them (checked against it now and then). `CaseFact.state` (the
    fold's whole state, ~0.9 KB a case, read by the incremental upkeep and the per-event
    drill-down, by none of the timed questions) is written only with `keep_state`: at 10M cases
    it would add about 9 GB to each database."""

    def __init__(self, writers: list[Writer], keep_state: bool = False) -> None:
        from onegrid.cases import rollups
        from onegrid.cases.facts import CaseFacts
        from onegrid.org.models import Department

        self.rollups = rollups
        self.new = CaseFacts
        self.totals = _Totals(writers)
        self.streets = dict(Department.objects.values_list("code", "street_id"))
        self.recurrence = Recurrence()
        self.keep_state = keep_state
        self.seconds = 0.0
        self.n = 0

    def fold(self, case: Drawn, case_id: str, events: list[tuple], rows: Rows) -> None:
        began = time.perf_counter()
        facts = self.new()
        grid = case.grid
        class_id = case.cls[0]
        facts.set_place(
            street_id=grid[2], community_id=grid[1], grid_id=grid[0], class_id=class_id,
            source=case.source, lon=case.lon, lat=case.lat,
        )  # fmt: skip
        self.recurrence.prune(case.at)
        facts.repeat = self.recurrence.recurs(case_id, case.at, class_id, case.lon, case.lat)
        for action, at, actor, task_id, task_role, data in events:
            facts.apply(
                action,
                dt.datetime.fromtimestamp(int(at), UTC),
                actor_id=actor,
                task_id=task_id,
                task_role=task_role,
                data=data,
                class_id=class_id if action == "report" else None,
                department_streets=self.streets,
            )
        for at, _class in facts.closes:
            self.recurrence.add(case_id, at.timestamp(), class_id, case.lon, case.lat)
            rows.closes.append((case_id, at.timestamp(), class_id, case.lon, case.lat))
        self.totals.add(facts)
        values = _fact_values(case_id, facts)
        if self.n % 10_000 == 0 or self.keep_state:
            fact = self.rollups.fact_row(case_id, facts)
            made = tuple(
                v.timestamp() if isinstance(v, dt.datetime) else v
                for v in (getattr(fact, c) for c in FACT_COLUMNS[:-1])
            )
            if made != values[:-1]:
                raise RuntimeError("rollups.fact_row changed: update measures_data._fact_values")
            if self.keep_state:
                values = (*values[:-1], json.dumps(fact.state))
        rows.facts.append(values)
        self.n += 1
        self.seconds += time.perf_counter() - began

    def finish(self) -> None:
        began = time.perf_counter()
        self.totals.flush()
        self.seconds += time.perf_counter() - began


def _ts(moment: dt.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _fact_values(case_id: str, f) -> tuple:
    """`rollups.fact_row` as a row of FACT_COLUMNS (state empty), without a model instance."""
    return (
        case_id, f.street_id, f.community_id, f.grid_id, f.class_id, f.source,
        _ts(f.reported_at), f.reporter_id, f.registered or f.self_closed, f.self_closed,
        f.repeat, _ts(f.deadline), f.deadline_lead or "", f.lead or "", f.closed, f.on_time,
        _ts(f.closed_at), f.lowest_level, _ts(f.first_check_at), f.first_check_lead or "",
        f.failed, _ts(f.first_dispatch_at), f.joint, "{}",
    )  # fmt: skip
