"""A month of believable case history, made by driving the real services through simulated time.

Nothing here writes a case, task or event itself: every step is a call to
``cases.services.report_case`` / ``perform_action`` / ``tick`` with the clock frozen at the
simulated moment (core.clock), so the history obeys the workflow table, the guards, the working
calendar and the escalation timer exactly as real use would, and the §5 measures computed from
it mean what they mean in production.

Two stages keep it reproducible:

1. ``make_plan`` draws everything random up front from ``random.Random(seed)``: when and where
   each problem is reported, by whom, its class, and its whole fate (self-closed, rejected,
   misrouted, joint, how fast the department is, extension, failed checks, call-back). The plan
   depends only on the seed, the dates and the territory and catalogue in the database, and
   has a digest, so two runs can be compared without a database.
2. ``simulate`` plays the plan: a heap of timed steps, processed in time order, one simulated
   hour at a time, with ``tick()`` at the end of every hour so overdue tasks escalate. Each
   step schedules the case's next one from the moment it actually happened.

Reports carry descriptions (demo/descriptions.py), and some problems are reported again by
someone else, close by and in other words (`duplicate_of`, the ground truth smart.duplicates is
measured on; the desk merges them while the first case is open), beside look-alikes: another
problem of the same kind close by (`lookalike_of`). Both come from generators of their own, so
the first reports and their fates are what the seed gave before they existed. So does the share
of patrol and resident reports (`TEAM_SHARE`) made instead by a Party member or volunteer of
the grid's team (``pm-``/``vol-`` accounts, demo.people.seed_teams): the service calls those
reports the team's (source "team"), registered without an on-site check like a patrol's.

Desk and department work happens in working time (Asia/Shanghai working calendar); reports
come in through the day. Department behaviour differs per department (sign-for delay, share
of work finished in time, share never finished within the run).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import io
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext
from PIL import Image

from onegrid.cases import calendar, services
from onegrid.cases.models import Case, CaseClass
from onegrid.cases.states import OPEN_STATES
from onegrid.core import clock
from onegrid.core.errors import DomainError
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit, Grid

from . import descriptions
from .people import RESIDENTS, department_username, desk_username, grid_worker_username

TZ = ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)

# What grid workers find on patrol: street-level nuisances dominate (rubbish, flyers,
# business spilling onto the pavement, parking and vending), as in every city-management
# system's statistics. Classes missing from the catalogue are skipped; the rest get WEIGHT_REST.
PATROL_MIX = {
    "A0102": 14,
    "A0104": 10,
    "A0201": 9,
    "A0502": 7,
    "A0501": 6,
    "A0105": 6,
    "A0103": 5,
    "D0103": 6,
    "D0102": 4,
    "D0101": 3,
    "AC0102": 3,
    "AC0201": 3,
    "AC0101": 1,
    "A0101": 2,
    "A0202": 2,
    "A0302": 2,
    "A0107": 1,
    "B0101": 1,
    "B0202": 1,
    "E0301": 2,
    "E0101": 1,
    "I0101": 2,
    "I0201": 1,
    "I0301": 1,
    "G0401": 0.5,
    "G0101": 0.5,
}
# What residents and 12345 callers complain about: noise, fumes, services at home, disputes.
RESIDENT_MIX = {
    "A0301": 5,
    "B0102": 4,
    "H0101": 3,
    "H0102": 3,
    "H0201": 3,
    "F0201": 4,
    "F0101": 3,
    "F0401": 2,
    "A0102": 4,
    "AC0102": 3,
    "AC0201": 3,
    "D0102": 2,
    "A0501": 2,
    "C0103": 2,
    "C0102": 1,
    "A0401": 1,
    "F0301": 1,
    "H0301": 1,
}
WEIGHT_REST = 0.2
SOURCES = (("grid_worker", 0.80), ("resident", 0.10), ("hotline", 0.10))
# Of the patrol and resident reports that are not fixed on the spot and not found wanting on
# site, the share made by a Party member or volunteer of the grid's team, where it has one.
TEAM_SHARE = 0.07
# Departments' habits: mean sign-for delay (working hours), share finished within the time
# limit, share never finished within the run. "police" stands for every street's station.
PROFILES = {
    "city_management": (0.5, 0.86, 0.02),
    "ecology": (1.0, 0.82, 0.03),
    "market": (1.0, 0.80, 0.03),
    "housing": (2.0, 0.72, 0.05),
    "water": (0.5, 0.88, 0.02),
    "transport": (1.5, 0.76, 0.04),
    "civil_affairs": (1.0, 0.84, 0.02),
    "fire": (0.5, 0.88, 0.02),
    "health": (1.0, 0.82, 0.03),
    "emergency": (1.0, 0.82, 0.03),
    "planning": (2.0, 0.70, 0.06),
    "justice": (1.5, 0.80, 0.03),
    "hrss": (2.0, 0.74, 0.04),
    "public_security": (0.5, 0.85, 0.02),
    "governance": (1.0, 0.86, 0.02),
    "police": (0.3, 0.86, 0.02),
}
DEFAULT_PROFILE = (1.0, 0.80, 0.03)
# Plausible partners for a joint case, by major class.
CO_DEPARTMENTS = {
    "A": ("ecology", "housing", "transport", "market"),
    "B": ("city_management", "water"),
    "C": ("health", "city_management"),
    "D": ("emergency", "city_management", "housing"),
    "E": ("governance",),
    "F": ("civil_affairs", "governance"),
    "G": ("civil_affairs", "health"),
    "H": ("housing", "civil_affairs"),
    "I": ("public_security",),
}
P_SELF_CLOSE = 0.37  # of patrol reports of a class that may be fixed on the spot
P_REJECT_PATROL = 0.02
P_NOT_FOUND = 0.08  # resident/hotline reports not confirmed on site
P_MISROUTE = 0.05
P_DISPUTED = 0.25  # of misrouted cases, the right department disputes it too: arbitration
P_JOINT = 0.07
P_EXTENSION_IF_LATE = 0.55
P_EXTENSION_ANYWAY = 0.02
P_EXTENSION_APPROVED = 0.85
P_FAIL_ONCE, P_FAIL_TWICE = 0.09, 0.015
P_NEVER_SIGNED = 0.3  # of stalled tasks; the rest are signed but never fed back
P_REVISIT = 0.7
SATISFACTION = (("satisfied", 0.72), ("basically_satisfied", 0.20), ("unsatisfied", 0.08))
P_REOPEN_IF_UNSATISFIED = 0.5
WEEKEND_SHARE = 0.35  # patrols and calls on rest days, relative to a working day
# Descriptions: the share of reports with one, by source (grid workers often send a photo only).
P_DESCRIBED = {"grid_worker": 0.8, "resident": 0.95, "hotline": 1.0}
# Second reports (smart.duplicates is measured on them): a problem someone else reports again
# later, close by, in other words (同一问题多人上报) — ground truth `duplicate_of`; and a
# look-alike, a different problem of the same class close by (a hard negative, `lookalike_of`).
P_DUPLICATE = 0.06  # of first reports, reported again by someone else
P_THIRD = 0.2  # of those, by a third reporter too
P_SAME_CLASS_AGAIN = 0.8  # the second reporter picks the same minor class (else a neighbour)
P_LOOKALIKE = 0.04
P_LOOKALIKE_SAME_CLASS = 0.75
DUPLICATE_DELAY_H = (1.5, 1.2)  # median hours and log-sd of the second report's delay
LOOKALIKE_DELAY_H = (0.1, 240.0)  # log-uniform between these
DUPLICATE_OFFSET_M = (15.0, 45.0, 0.15)  # sd of the point (m), sd for a far one, share far
LOOKALIKE_RING_M = (20.0, 150.0)
P_DESK_MERGES = 0.9  # the desk recognises a duplicate of an open case and merges it
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extension:
    at: float  # when it is asked for, as a share of the time limit
    hours: int
    approved: bool


@dataclass(frozen=True)
class CasePlan:
    """One report and everything that will happen to it; all the randomness of one case."""

    n: int
    at: dt.datetime
    source: str  # grid_worker | resident | hotline | team
    grid_code: str
    street_code: str
    lon: float
    lat: float
    class_code: str
    lead: str  # the department that should handle it
    resident: int = 0
    reporter: str = ""  # the team member's username (source "team")
    caller: tuple[str, str] = ("", "")
    with_photo: bool = True
    self_close: bool = False
    found: bool = True  # confirmed on site (resident and hotline reports)
    reject: bool = False
    desk_delay: float = 0.5  # working hours, for each desk step
    verify_delay: float = 1.0
    dispatch_delay: float = 0.5
    misroute: str | None = None  # wrong department dispatched first
    disputed: bool = False  # the right department returns it too: arbitration
    co: tuple[str, ...] = ()
    sign_delay: float = 0.5
    fraction: float = 0.6  # feedback after this share of the time limit
    co_fractions: tuple[float, ...] = ()
    stall: bool = False
    never_signed: bool = False
    extension: Extension | None = None
    fails: int = 0
    rework_fraction: float = 0.2
    check_delay: float = 1.0
    close_delay: float = 0.5
    revisit_delay: float | None = None
    satisfaction: str = "satisfied"
    reopen: bool = False
    second_fraction: float = 0.5
    description: str = ""
    duplicate_of: int = 0  # the first report of the same problem (ground truth), 0: none
    merge: bool = False  # the desk merges it into duplicate_of while that one is open
    lookalike_of: int = 0  # a report it resembles but does not duplicate (a hard negative)


@dataclass
class Plan:
    seed: int
    start: dt.datetime
    end: dt.datetime
    cases: list[CasePlan]

    def digest(self) -> str:
        h = hashlib.sha256()
        for c in self.cases:
            h.update(repr(c).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class _ClassInfo:
    code: str
    major: str
    unit: str
    limit: int
    urgency: str
    self_closable: bool
    department: str | None  # None: the street's police station
    to_police: bool


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _mix(classes: dict[str, _ClassInfo], wanted: Mapping[str, float]) -> list[tuple[str, float]]:
    return [(code, wanted.get(code, WEIGHT_REST)) for code in sorted(classes)]


def _load_classes() -> dict[str, _ClassInfo]:
    rows = CaseClass.objects.filter(active=True).values_list(
        "code",
        "major__code",
        "time_unit",
        "time_limit",
        "urgency",
        "minor_self_closable",
        "default_department__code",
        "route_to_street_police",
    )
    return {
        code: _ClassInfo(code, major, unit, limit, urgency, closable, dept, police)
        for code, major, unit, limit, urgency, closable, dept, police in rows
        if dept or police
    }


def _point_in(rng: random.Random, grid) -> tuple[float, float]:
    """A point near the grid's label point, kept strictly inside the polygon."""
    code, label_lon, label_lat, geom = grid
    for _ in range(8):
        lon = label_lon + rng.uniform(-8e-4, 8e-4)
        lat = label_lat + rng.uniform(-6e-4, 6e-4)
        if shapely.contains_xy(geom, lon, lat):
            return round(lon, 7), round(lat, 7)
    return label_lon, label_lat


def _fate(rng: random.Random, plan: dict, info: _ClassInfo, departments: set[str]) -> None:
    """Draw the disposal part of a case's plan (everything after registration)."""
    lead = plan["lead"]
    sign_mean, p_on_time, p_stall = PROFILES.get(
        "police" if lead.startswith("police_") else lead, DEFAULT_PROFILE
    )
    plan["dispatch_delay"] = rng.uniform(0.2, 2.5)
    if info.urgency != "red" and rng.random() < P_MISROUTE:
        wrong = sorted(departments - {lead})
        plan["misroute"] = rng.choice(wrong)
        plan["disputed"] = rng.random() < P_DISPUTED
    elif info.urgency != "red" and rng.random() < P_JOINT:
        partners = [d for d in CO_DEPARTMENTS.get(info.major, ()) if d in departments and d != lead]
        if partners:
            plan["co"] = (rng.choice(partners),)
    plan["sign_delay"] = rng.expovariate(1 / sign_mean)
    on_time = rng.random() < p_on_time
    plan["fraction"] = rng.uniform(0.2, 0.97) if on_time else rng.uniform(1.05, 2.2)
    plan["co_fractions"] = tuple(rng.uniform(0.2, 0.95) for _ in plan.get("co", ()))
    if rng.random() < p_stall:
        plan["stall"] = True
        plan["never_signed"] = rng.random() < P_NEVER_SIGNED
    if rng.random() < (P_EXTENSION_ANYWAY if on_time else P_EXTENSION_IF_LATE):
        plan["extension"] = Extension(
            at=rng.uniform(0.4, 0.9), hours=0, approved=rng.random() < P_EXTENSION_APPROVED
        )
    roll = rng.random()
    plan["fails"] = 2 if roll < P_FAIL_TWICE else 1 if roll < P_FAIL_ONCE + P_FAIL_TWICE else 0
    plan["rework_fraction"] = rng.uniform(0.05, 0.4)
    plan["check_delay"] = rng.uniform(0.3, 6.0)
    plan["close_delay"] = rng.uniform(0.1, 2.0)
    if rng.random() < P_REVISIT:
        plan["revisit_delay"] = rng.uniform(1.0, 16.0)
        plan["satisfaction"] = _weighted(rng, SATISFACTION)
        plan["reopen"] = (
            plan["satisfaction"] == "unsatisfied" and rng.random() < P_REOPEN_IF_UNSATISFIED
        )
    plan["second_fraction"] = rng.uniform(0.2, 0.8)


def _day_times(rng: random.Random, day: dt.date, count: int) -> list[dt.datetime]:
    # Patrols start at 08:30 and peak mid-morning; nobody reports at night in this simulation.
    base = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    hours = sorted(rng.triangular(8.5, 17.5, 10.0) for _ in range(count))
    return [base + dt.timedelta(seconds=round(h * 3600)) for h in hours]


def make_plan(
    days: int,
    seed: int,
    start: dt.datetime,
    reports_per_day: int = 120,
    team_share: float = TEAM_SHARE,
) -> Plan:
    """Every report of the run and its fate, drawn from `seed`; reads territory and catalogue."""
    rng = random.Random(seed)
    classes = _load_classes()
    if not classes:
        raise RuntimeError(
            "The catalogue is empty: load it first (onegrid catalogue load-default)."
        )
    grids = [
        (code, lon, lat, shapely.from_wkb(bytes(wkb)), street)
        for code, lon, lat, wkb, street in Grid.objects.order_by("code").values_list(
            "code", "label_lon", "label_lat", "geometry_wkb", "street__code"
        )
    ]
    if not grids:
        raise RuntimeError("No grids are loaded: build the district first.")
    for g in grids:
        shapely.prepare(g[3])
    departments = set(Department.objects.filter(street__isnull=True).values_list("code", flat=True))
    patrol = _mix(classes, PATROL_MIX)
    calls = _mix(classes, RESIDENT_MIX)
    end = start + dt.timedelta(days=days)
    plans: list[CasePlan] = []
    problems: list[descriptions.Problem] = []
    texts = random.Random(f"{seed}:texts")
    words = dict(CaseClass.objects.values_list("code", "name"))
    n = itertools.count(1)
    first_day = start.astimezone(TZ).date()
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        share = 1.0 if calendar.is_working_day(day) else WEEKEND_SHARE
        count = round(reports_per_day * share * rng.uniform(0.85, 1.15))
        for at in _day_times(rng, day, count):
            if not start <= at < end:
                continue
            source = _weighted(rng, SOURCES)
            grid = rng.choice(grids)
            info = classes[_weighted(rng, patrol if source == "grid_worker" else calls)]
            street_code = grid[4]
            lon, lat = _point_in(rng, grid[:4])
            plan = {
                "n": next(n),
                "at": at,
                "source": source,
                "grid_code": grid[0],
                "street_code": street_code,
                "lon": lon,
                "lat": lat,
                "class_code": info.code,
                # Named as org.departments.police_station_code names a street's station.
                "lead": f"police_{street_code}" if info.to_police else info.department,
                "desk_delay": rng.uniform(0.1, 1.5),
            }
            _reporter_and_fate(rng, plan, info, departments)
            # Words come from their own generator, so the fates above stay what they were.
            problem = descriptions.new_problem(texts, info.code)
            if texts.random() < P_DESCRIBED[source]:
                plan["description"] = descriptions.describe(
                    texts, problem, source=source, name=words[info.code]
                )
            plans.append(CasePlan(**plan))
            problems.append(problem)
    world = _World(classes, departments, words, {g[0]: g[4] for g in grids}, end)
    plans += _second_reports(random.Random(f"{seed}:again"), plans, problems, world, n)
    plans = _by_the_team(random.Random(f"{seed}:team"), plans, team_share)
    return Plan(seed=seed, start=start, end=end, cases=plans)


def _reporter_and_fate(
    rng: random.Random, plan: dict, info: _ClassInfo, departments: set[str]
) -> None:
    """Draw who reports (self-close or rejection on patrol, confirmation on site, the resident
    or caller) and, for a case that goes on, its fate."""
    if plan["source"] == "grid_worker":
        if info.self_closable and rng.random() < P_SELF_CLOSE:
            plan["self_close"] = True
        elif rng.random() < P_REJECT_PATROL:
            plan["reject"] = True
    else:
        plan["found"] = rng.random() >= P_NOT_FOUND
        plan["verify_delay"] = rng.uniform(0.3, 4.0)
        if plan["source"] == "resident":
            plan["resident"] = rng.randrange(RESIDENTS)
            plan["with_photo"] = rng.random() < 0.5
        else:
            plan["with_photo"] = False
            plan["caller"] = (
                rng.choice(_SURNAMES) + rng.choice(("先生", "女士")),
                "13" + "".join(rng.choice("0123456789") for _ in range(9)),
            )
    if not plan.get("self_close") and not plan.get("reject") and plan.get("found", True):
        _fate(rng, plan, info, departments)


def _team_accounts() -> dict[str, list[str]]:
    """The usernames of each grid's team Party members and volunteers, by grid code."""
    accounts: dict[str, list[str]] = {}
    rows = (
        RoleAssignment.objects.filter(
            role__in=(Role.PARTY_MEMBER, Role.VOLUNTEER),
            grid__isnull=False,
            user__is_active=True,
        )
        .order_by("grid__code", "user__username")
        .values_list("grid__code", "user__username")
        .distinct()
    )
    for grid_code, username in rows:
        accounts.setdefault(grid_code, []).append(username)
    return accounts


def _by_the_team(rng: random.Random, plans: list[CasePlan], share: float) -> list[CasePlan]:
    """Hand `share` of the patrol and resident reports that go on to registration to a Party
    member or volunteer of the grid's team. Two draws for every plan, whatever it is, so which
    reports the team makes does not hang on the other grids' teams."""
    team = _team_accounts() if share > 0 else {}
    handed: list[CasePlan] = []
    for plan in plans:
        chosen, pick = rng.random(), rng.random()
        accounts = team.get(plan.grid_code)
        if (
            accounts
            and chosen < share
            and plan.source in ("grid_worker", "resident")
            and plan.found
            and not plan.self_close  # a volunteer does not fix a problem and close it
        ):
            # A team member's field report carries a photo, as the service requires.
            plan = replace(
                plan,
                source="team",
                reporter=accounts[int(pick * len(accounts))],
                resident=0,
                with_photo=True,
            )
        handed.append(plan)
    return handed


@dataclass(frozen=True)
class _World:
    classes: dict[str, _ClassInfo]
    departments: set[str]
    words: dict[str, str]  # class code → name
    street_of_grid: dict[str, str]
    end: dt.datetime


def _second_reports(
    rng: random.Random,
    firsts: list[CasePlan],
    problems: list[descriptions.Problem],
    world: _World,
    numbers: itertools.count,
) -> list[CasePlan]:
    """Reports of problems already reported (duplicates, with `duplicate_of`) and of other
    problems of the same class close by (look-alikes, with `lookalike_of`)."""
    # A reporter who picks another class picks a neighbour of the same group (暴露垃圾 and
    # 散落垃圾, A01), or of the major class when the group has no other.
    siblings: dict[str, list[str]] = {}
    for info in sorted(world.classes.values(), key=lambda i: i.code):
        siblings.setdefault(info.code[:-2], []).append(info.code)
        siblings.setdefault(info.major, []).append(info.code)
    made: list[CasePlan] = []
    for first, problem in zip(firsts, problems, strict=True):
        copies = 0
        if rng.random() < P_DUPLICATE:
            copies = 2 if rng.random() < P_THIRD else 1
        for _ in range(copies):
            again = _again(rng, first, problem, world, siblings, numbers, duplicate=True)
            if again is not None:
                made.append(again)
        if rng.random() < P_LOOKALIKE:
            other = _again(rng, first, problem, world, siblings, numbers, duplicate=False)
            if other is not None:
                made.append(other)
    return made


def _again(
    rng: random.Random,
    first: CasePlan,
    problem: descriptions.Problem,
    world: _World,
    siblings: dict[str, list[str]],
    numbers: itertools.count,
    *,
    duplicate: bool,
) -> CasePlan | None:
    """A later report near `first`: of the same problem (`duplicate`) or of another one of the
    same kind close by. None when it would fall outside the run or the district."""
    if duplicate:
        median, spread = DUPLICATE_DELAY_H
        hours = median * math.exp(rng.gauss(0.0, spread))
        sd_near, sd_far, p_far = DUPLICATE_OFFSET_M
        sd = sd_far if rng.random() < p_far else sd_near
        east, north = rng.gauss(0.0, sd), rng.gauss(0.0, sd)
        same_class = rng.random() < P_SAME_CLASS_AGAIN
    else:
        low, high = LOOKALIKE_DELAY_H
        hours = math.exp(rng.uniform(math.log(low), math.log(high)))
        ring = rng.uniform(*LOOKALIKE_RING_M)
        bearing = rng.uniform(0.0, 2 * math.pi)
        east, north = ring * math.cos(bearing), ring * math.sin(bearing)
        same_class = rng.random() < P_LOOKALIKE_SAME_CLASS
    at = _reporting_hours(rng, first.at + dt.timedelta(hours=min(hours, 24 * 10)))
    metres_per_degree = 111_320.0
    lon = round(first.lon + east / (metres_per_degree * math.cos(math.radians(first.lat))), 7)
    lat = round(first.lat + north / metres_per_degree, 7)
    located = locator.locate(lon, lat)
    if at >= world.end or located is None or located.grid_code not in world.street_of_grid:
        return None
    info = world.classes[first.class_code]
    code = info.code
    if not same_class:
        near = [c for c in siblings[info.code[:-2]] if c != info.code]
        code = rng.choice(near or [c for c in siblings[info.major] if c != info.code] or [code])
        info = world.classes[code]
    if duplicate:
        weights = (0.0, 0.55, 0.45) if first.source == "grid_worker" else (0.4, 0.3, 0.3)
        source = rng.choices(("grid_worker", "resident", "hotline"), weights)[0]
    else:
        source = _weighted(rng, SOURCES)
    street_code = world.street_of_grid[located.grid_code]
    plan: dict = {
        "n": next(numbers),
        "at": at,
        "source": source,
        "grid_code": located.grid_code,
        "street_code": street_code,
        "lon": lon,
        "lat": lat,
        "class_code": code,
        "lead": f"police_{street_code}" if info.to_police else info.department,
        "desk_delay": rng.uniform(0.1, 1.5),
    }
    _reporter_and_fate(rng, plan, info, world.departments)
    if duplicate:
        # A problem already reported is not fixed on the spot by the one who reports it again.
        plan["self_close"] = False
        if plan.get("found", True) and not plan.get("reject") and "dispatch_delay" not in plan:
            _fate(rng, plan, info, world.departments)
        plan["duplicate_of"] = first.n
        plan["merge"] = street_code == first.street_code and rng.random() < P_DESK_MERGES
        said = problem
        first_words = False
    else:
        place = descriptions.nearby_landmark(rng, problem.place)
        said = descriptions.new_problem(rng, code, place)
        plan["lookalike_of"] = first.n
        first_words = True
    if rng.random() < P_DESCRIBED[source]:
        plan["description"] = descriptions.describe(
            rng, said, source=source, name=world.words[said.class_code], first=first_words
        )
    return CasePlan(**plan)


def _reporting_hours(rng: random.Random, at: dt.datetime) -> dt.datetime:
    """`at`, or the next morning when it falls outside the hours people report in (08–18)."""
    local = at.astimezone(TZ)
    if 8 <= local.hour < 18:
        return at
    day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
    morning = dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ)
    return morning + dt.timedelta(minutes=rng.uniform(0, 120))


# --- photos ---------------------------------------------------------------------------------


@cache
def _jpeg(kind: str) -> bytes:
    colours = {"before": (170, 120, 60), "after": (80, 160, 90), "check": (70, 110, 180)}
    image = Image.new("RGB", (64, 48), colours[kind])
    for x in range(0, 64, 8):  # a little structure so it is not one flat block
        image.putpixel((x, x * 48 // 64), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def photo(kind: str) -> SimpleUploadedFile:
    """A fresh upload object over the shared bytes (an upload is consumed when it is read)."""
    return SimpleUploadedFile(f"{kind}.jpg", _jpeg(kind), content_type="image/jpeg")


# --- playing the plan -----------------------------------------------------------------------


@dataclass
class SimulationResult:
    seed: int
    days: int
    start: dt.datetime
    end: dt.datetime
    plan_digest: str = ""
    reports: int = 0
    replayed: int = 0  # reports already made by an earlier identical run, not played again
    actions: Counter = field(default_factory=Counter)
    ticks: int = 0
    escalations: int = 0
    errors: list[str] = field(default_factory=list)
    states: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def service_calls(self) -> int:
        return sum(self.actions.values())

    @property
    def cases_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
        return gettext(
            "%(reports)d reports, %(calls)d service calls, %(escalations)d escalations, "
            "%(errors)d errors in %(seconds).1f s (%(rate).1f cases/s); states: %(states)s"
        ) % {
            "reports": self.reports,
            "calls": self.service_calls,
            "escalations": self.escalations,
            "errors": len(self.errors),
            "seconds": self.seconds,
            "rate": self.cases_per_second,
            "states": states,
        }


def working_after(moment: dt.datetime, hours: float) -> dt.datetime:
    """`hours` (fractional) working hours after `moment` on the working calendar."""
    whole = int(hours)
    rest = (hours - whole) * HOUR
    at = calendar.add_working_time(moment, whole, "hours").astimezone(TZ)
    close = dt.datetime.combine(at.date(), _workday_end(), tzinfo=TZ)
    if at + rest <= close:
        return at + rest
    # The fraction runs past today's close: carry what is left into the next window.
    return calendar.add_working_time(close, 0, "hours") + (rest - (close - at))


def _workday_end() -> dt.time:
    return dt.time.fromisoformat(settings.ONEGRID["WORKDAY_END"])


@dataclass
class _Live:
    plan: CasePlan
    case_id: object = None
    number: str = ""
    round: int = 0
    lead: str = ""
    dispatched_at: dt.datetime | None = None
    limit_h: float = 0.0
    fails_left: int = 0
    dead: bool = False
    merge_tried: bool = False


class _Player:
    def __init__(self, plan: Plan, result: SimulationResult, out) -> None:
        self.plan = plan
        self.result = result
        self.out = out
        self.heap: list = []
        self.seq = itertools.count()
        self.users: dict[str, User] = {}
        self.dept_user: dict[str, str] = {
            d.code: department_username(d) for d in Department.objects.select_related("street")
        }
        self.streets = {u.code: u for u in AdminUnit.objects.filter(level="street")}
        self.limits = {c: (i.limit, i.unit) for c, i in _load_classes().items()}
        self.key_prefix = f"sim-{plan.seed}-{plan.start.astimezone(TZ):%Y%m%d%H}"

    # helpers
    def user(self, username: str) -> User:
        # One object per person for the whole run, so org.policies caches their roles once.
        found = self.users.get(username)
        if found is None:
            found = self.users[username] = User.objects.get(username=username)
        return found

    def desk(self, live: _Live, prefix: str) -> User:
        return self.user(desk_username(prefix, self.streets[live.plan.street_code]))

    def worker(self, live: _Live) -> User:
        return self.user(grid_worker_username(live.plan.grid_code))

    def handler(self, department: str) -> User:
        return self.user(self.dept_user[department])

    def at(self, when: dt.datetime, step, live: _Live, *args) -> None:
        if when < self.plan.end:
            heapq.heappush(self.heap, (when, next(self.seq), step, live, args))

    def later(self, live: _Live, hours: float, step, *args) -> None:
        self.at(working_after(clock.now(), hours), step, live, *args)

    def act(
        self, live: _Live, actor: User, action: str, reason: str = "", photos=(), **params
    ) -> Case | None:
        try:
            outcome = services.perform_action(
                actor=actor,
                case_id=live.case_id,
                action=action,
                reason=reason,
                params=params,
                photo_files=[photo(k) for k in photos],
            )
        except DomainError as exc:
            live.dead = True
            self.result.errors.append(f"{live.number} {action} by {actor.username}: {exc.message}")
            return None
        self.result.actions[action] += 1
        return outcome.case

    # the run
    def run(self) -> None:
        self.lives: dict[int, _Live] = {}
        for case_plan in self.plan.cases:
            live = self.lives[case_plan.n] = _Live(case_plan)
            self.at(case_plan.at, self.report, live)
        hour = self.plan.start
        days_done = 0
        started = time.perf_counter()
        while hour < self.plan.end:
            nxt = hour + HOUR
            # One transaction per simulated hour: the services' own transactions become
            # savepoints, which SQLite handles far faster than one commit (and WAL write) per
            # call. Only this process writes, so nobody waits on the longer transaction.
            with transaction.atomic():
                self.play_hour(nxt)
            self.result.ticks += 1
            hour = nxt
            days = int((hour - self.plan.start) / dt.timedelta(days=1))
            if (
                self.out is not None
                and days != days_done
                and (days % 7 == 0 or hour >= self.plan.end)
            ):
                self.out.write(
                    gettext(
                        "  day %(day)d/%(days)d: %(reports)d reports, %(calls)d service "
                        "calls, %(seconds).0f s"
                    )
                    % {
                        "day": days,
                        "days": self.result.days,
                        "reports": self.result.reports,
                        "calls": self.result.service_calls,
                        "seconds": time.perf_counter() - started,
                    }
                    + "\n"
                )
            days_done = days

    def play_hour(self, nxt: dt.datetime) -> None:
        while self.heap and self.heap[0][0] < nxt:
            when, _seq, step, live, args = heapq.heappop(self.heap)
            if live.dead:
                continue
            with clock.frozen_at(when):
                step(live, *args)
        with clock.frozen_at(nxt):
            try:
                ticked = services.tick(now=nxt)
            except DomainError as exc:
                self.result.errors.append(f"tick at {nxt.isoformat()}: {exc.message}")
            else:
                self.result.escalations += ticked.escalated

    # steps, in the order a case meets them
    def report(self, live: _Live) -> None:
        p = live.plan
        extra: dict[str, Any] = {}
        if p.source == "grid_worker":
            actor = self.worker(live)
        elif p.source == "resident":
            actor = self.user(f"resident{p.resident + 1}")
        elif p.source == "team":
            actor = self.user(p.reporter)
        else:
            actor = self.desk(live, "acc")
            extra = {
                "source": "hotline",
                "reporter_name": p.caller[0],
                "reporter_phone": p.caller[1],
            }
        try:
            outcome = services.report_case(
                actor=actor,
                lon=p.lon,
                lat=p.lat,
                class_code=p.class_code,
                description=p.description,
                photo_files=[photo("before")] if p.with_photo else [],
                idempotency_key=f"{self.key_prefix}-{p.n}",
                **extra,
            )
        except DomainError as exc:
            self.result.errors.append(
                f"report {p.n} ({p.class_code} at {p.lon}, {p.lat}): {exc.message}"
            )
            return
        if outcome.replayed:
            self.result.replayed += 1
            return
        self.result.reports += 1
        self.result.actions["report"] += 1
        live.case_id, live.number = outcome.case.pk, outcome.case.number
        if p.self_close:
            self.at(
                clock.now() + dt.timedelta(minutes=5 + 25 * p.desk_delay / 1.5),
                self.self_close,
                live,
            )
        elif p.source in ("grid_worker", "team"):
            self.later(live, p.desk_delay, self.register)
        else:
            self.later(live, p.desk_delay, self.request_verification)

    def self_close(self, live: _Live) -> None:
        self.act(live, self.worker(live), "self_close", photos=["after"])

    def merged(self, live: _Live) -> bool:
        """The desk's first look at a duplicate: merged into the case it repeats while that is
        still open (the reporter joins that case)."""
        p = live.plan
        if not p.merge or live.merge_tried:
            return False
        live.merge_tried = True
        first = self.lives.get(p.duplicate_of)
        if first is None or not first.number:
            return False
        if not Case.objects.filter(number=first.number, state__in=OPEN_STATES).exists():
            return False
        return self.act(live, self.desk(live, "acc"), "merge", target=first.number) is not None

    def request_verification(self, live: _Live) -> None:
        if self.merged(live):
            return
        if self.act(live, self.desk(live, "acc"), "request_verification"):
            self.later(live, live.plan.verify_delay, self.verify)

    def verify(self, live: _Live) -> None:
        result = "confirmed" if live.plan.found else "not_found"
        if self.act(live, self.worker(live), "verify", photos=["check"], result=result):
            self.later(live, live.plan.desk_delay, self.register)

    def register(self, live: _Live) -> None:
        if self.merged(live):
            return
        p = live.plan
        acceptor = self.desk(live, "acc")
        if p.reject or not p.found:
            reason = "现场核实未发现该问题" if not p.found else "不符合立案标准"
            self.act(live, acceptor, "reject", reason=reason)
            return
        case = self.act(live, acceptor, "register")
        if case is None:
            return
        if case.state == "dispatched":  # urgent class: the dispatch rule sent it at once
            self.dispatched(live, p.lead)
        else:
            self.later(live, p.dispatch_delay, self.dispatch)

    def dispatch(self, live: _Live) -> None:
        p = live.plan
        first = live.round == 0 and not self._dispatched_before(live)
        department = p.misroute if first and p.misroute else None
        co = list(p.co) if first else []
        case = self.act(
            live, self.desk(live, "disp"), "dispatch", department=department, co_departments=co
        )
        if case is not None:
            self.dispatched(live, department or p.lead)

    def _dispatched_before(self, live: _Live) -> bool:
        return live.lead != ""

    def arbitrate(self, live: _Live) -> None:
        case = self.act(
            live,
            self.user("command"),
            "arbitrate",
            department=live.plan.lead,
            reason="经协调，属该部门职责，由该部门牵头办理",
        )
        if case is not None:
            self.dispatched(live, live.plan.lead, arbitrated=True)

    def dispatched(self, live: _Live, lead: str, arbitrated: bool = False) -> None:
        p = live.plan
        previous, live.lead = live.lead, lead
        live.dispatched_at = now = clock.now()
        limit, unit = self.limits[p.class_code]
        live.limit_h = calendar.working_hours_between(
            now, calendar.add_working_time(now, limit, unit)
        )
        sign_h = min(p.sign_delay, 0.4 * live.limit_h * min(p.fraction, 1.0))
        if live.round == 0 and not arbitrated:
            returns = (lead == p.misroute) or (previous and p.disputed)
            if returns:
                self.later(live, sign_h, self.give_back)
                return
            if p.never_signed:
                return
            for code, fraction in zip(p.co, p.co_fractions, strict=True):
                self.later(
                    live,
                    min(sign_h * 1.5, 0.4 * fraction * live.limit_h),
                    self.co_sign,
                    code,
                    fraction,
                )
        live.fails_left = p.fails if live.round == 0 else 0
        self.later(live, sign_h, self.sign)

    def give_back(self, live: _Live) -> None:
        reason = (
            "职责存在争议，请重新协调" if live.lead == live.plan.lead else "不属于本部门职责范围"
        )
        case = self.act(live, self.handler(live.lead), "return", reason=reason)
        if case is None:
            return
        if live.lead == live.plan.lead:  # the right department disputes it too
            self.later(live, live.plan.dispatch_delay + 1.0, self.arbitrate)
        else:
            self.later(live, live.plan.dispatch_delay, self.dispatch)

    def sign(self, live: _Live) -> None:
        p = live.plan
        if self.act(live, self.handler(live.lead), "sign") is None:
            return
        if live.round == 0 and p.stall:
            return
        fraction = p.fraction if live.round == 0 else p.second_fraction
        if live.round == 0 and p.extension is not None:
            ask = working_after(
                live.dispatched_at, p.extension.at * live.limit_h * min(fraction, 1.0)
            )
            self.at(max(ask, clock.now()), self.request_extension, live, fraction)
        else:
            self._feed_back_at(live, working_after(live.dispatched_at, fraction * live.limit_h))

    def _feed_back_at(self, live: _Live, when: dt.datetime) -> None:
        self.at(max(when, clock.now()), self.feed_back, live)

    def request_extension(self, live: _Live, fraction: float) -> None:
        # Ask for what is needed to finish in time, plus a margin.
        needed = max(0.0, (fraction - 1.0) * live.limit_h)
        hours = min(240, math.ceil(needed) + 2 + live.plan.n % 3)
        if self.act(
            live,
            self.handler(live.lead),
            "request_extension",
            reason="情况复杂，需协调相关单位，申请延期",
            hours=hours,
        ):
            self.later(live, 0.5 + live.plan.desk_delay, self.decide_extension, fraction)

    def decide_extension(self, live: _Live, fraction: float) -> None:
        dispatcher = self.desk(live, "disp")
        if live.plan.extension.approved:
            case = self.act(live, dispatcher, "approve_extension")
        else:
            case = self.act(live, dispatcher, "reject_extension", reason="理由不充分，请按期办结")
        if case is not None:
            self._feed_back_at(live, working_after(live.dispatched_at, fraction * live.limit_h))

    def feed_back(self, live: _Live) -> None:
        case = self.act(
            live, self.handler(live.lead), "feed_back", reason="已按要求处置完毕", photos=["after"]
        )
        if case is not None and case.state == "checking":
            self.later(live, live.plan.check_delay, self.check)

    def co_sign(self, live: _Live, code: str, fraction: float) -> None:
        if self.act(live, self.handler(code), "sign") is not None:
            self.at(
                working_after(live.dispatched_at, fraction * live.limit_h),
                self.co_feed_back,
                live,
                code,
            )

    def co_feed_back(self, live: _Live, code: str) -> None:
        case = self.act(live, self.handler(code), "feed_back", reason="配合处置完毕")
        if case is not None and case.state == "checking":
            self.later(live, live.plan.check_delay, self.check)

    def check(self, live: _Live) -> None:
        worker = self.worker(live)
        if live.fails_left > 0:
            live.fails_left -= 1
            if (
                self.act(
                    live,
                    worker,
                    "fail_check",
                    reason="现场仍有问题，未达到结案标准",
                    photos=["check"],
                )
                is None
            ):
                return
            self.later(live, live.plan.rework_fraction * live.limit_h, self.feed_back)
            for code in live.plan.co if live.round == 0 else ():
                self.later(
                    live, live.plan.rework_fraction * live.limit_h * 0.8, self.co_feed_back, code
                )
            return
        if self.act(live, worker, "pass_check", photos=["check"]):
            self.later(live, live.plan.close_delay, self.close)

    def close(self, live: _Live) -> None:
        if self.act(live, self.desk(live, "acc"), "close") is None:
            return
        if live.round == 0 and live.plan.revisit_delay is not None:
            self.later(live, live.plan.revisit_delay, self.revisit)

    def revisit(self, live: _Live) -> None:
        p = live.plan
        if p.source == "resident":
            # A resident rates their own report; an unsatisfied rating goes to call-back, whose
            # call records the same answer and may reopen the case.
            rated = self.act(
                live,
                self.user(f"resident{p.resident + 1}"),
                "rate",
                reason="问题没有彻底解决" if p.satisfaction == "unsatisfied" else "",
                satisfaction=p.satisfaction,
            )
            if rated is None or p.satisfaction != "unsatisfied":
                return
        if (
            self.act(live, self.desk(live, "cb"), "revisit", satisfaction=p.satisfaction)
            and p.reopen
        ):
            self.later(live, 0.2, self.reopen)

    def reopen(self, live: _Live) -> None:
        if self.act(live, self.desk(live, "cb"), "reopen", reason="回访群众不满意，问题仍未解决"):
            live.round = 1
            self.later(live, live.plan.dispatch_delay, self.dispatch)


def default_start(days: int) -> dt.datetime:
    """Local midnight `days` days before today, so the history ends where real time begins."""
    today = clock.now().astimezone(TZ).date()
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(0), tzinfo=TZ)


def simulate(
    days: int,
    seed: int,
    start: dt.datetime | None = None,
    reports_per_day: int = 120,
    out=None,
    team_share: float = TEAM_SHARE,
) -> SimulationResult:
    """Play `days` days of reports and their handling through the real services.

    Deterministic for a seed, start and database (territory, catalogue, people): the same
    arguments give the same history, up to generated ids. Needs the district, the catalogue
    and the demo people (demo.people.seed_people). Writes progress to `out` once a week.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    start = start or default_start(days)
    if start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    began = time.perf_counter()
    plan = make_plan(days, seed, start, reports_per_day, team_share)
    result = SimulationResult(
        seed=seed, days=days, start=start, end=plan.end, plan_digest=plan.digest()
    )
    if out is not None:
        out.write(
            gettext(
                "Simulating %(days)d days from %(start)s (%(n)d reports planned, seed %(seed)d)…"
            )
            % {
                "days": days,
                "start": f"{start.astimezone(TZ):%Y-%m-%d}",
                "n": len(plan.cases),
                "seed": seed,
            }
            + "\n"
        )
    _Player(plan, result, out).run()
    result.states = Counter(
        dict(
            Case.objects.filter(reported_at__gte=start, reported_at__lt=plan.end)
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
        )
    )
    result.seconds = time.perf_counter() - began
    return result
