"""Fixtures shared by every test folder.

`beichen` builds the Beichen demo district (24 streets/towns, ~250 communities, ~1,300 grids)
once per session into the test database and commits it, because building takes seconds. Tests
that use it must not use `transactional_db` (its flush would delete the district for the rest of
the session); within `db` tests, changes to it roll back as usual.

The district's codes (120113…) would collide with tests that create their own small world with
the same codes, so tests that use `beichen` are moved to the end of the run: by the time the
district exists, those other tests have finished.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from shapely import box

from onegrid.cases.models import CaseClass, MajorClass
from onegrid.core import clock
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit, Grid, LayerState
from support.world import MONDAY_MORNING


@pytest.fixture(autouse=True)
def jobs_run_at_once(settings):
    """Background jobs (django-tasks) run in the test's own thread as they are enqueued; a test
    of the queue itself sets another backend."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notify", "forwarding"],
        }
    }


@pytest.fixture(scope="session")
def beichen(django_db_setup, django_db_blocker):
    """The demo district, built once; returns onegrid.demo.district.DistrictSummary."""
    from onegrid.demo.district import build_beichen
    from onegrid.territory import locator, selectors

    with django_db_blocker.unblock():
        summary = build_beichen()
    locator.invalidate()
    selectors.clear_cache()
    return summary


@pytest.fixture
def fresh_locator():
    """Start and end with an empty locator and GeoJSON cache.

    They are per-process caches keyed on the layer version; a test's rolled-back transaction
    can leave them holding a layer that no longer exists.
    """
    from onegrid.territory import locator, selectors

    locator.invalidate()
    selectors.clear_cache()
    yield locator.locator
    locator.invalidate()
    selectors.clear_cache()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    uses = [item for item in items if "beichen" in getattr(item, "fixturenames", ())]
    if uses:
        chosen = set(map(id, uses))
        items[:] = [item for item in items if id(item) not in chosen] + uses


@pytest.fixture(autouse=True)
def _fresh_working_calendar():
    # The holiday schedule is cached per process (core.workdays) and re-read only when its
    # version changes; a test's rolled-back import would otherwise linger for the next test.
    yield
    from onegrid.cases import overrides
    from onegrid.core import workdays

    workdays.forget()
    # The districts' class overrides and the street → district map, cached the same way.
    overrides.forget()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate limits (smart/api.py) count calls in the cache by user id; ids repeat from test to
    # test, so each test starts with nothing counted.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real PBKDF2 costs ~0.3 s per user; tests create dozens. Production keeps PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    # Requests with Accept-Language activate a language for the thread; start every test from
    # the default (zh-hans), as a fresh process would.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db):
    """A small world for workflow and page tests: one street with two grids, a second street
    with one, departments, four classes and one person per role (password "pw-<username>")."""
    city = AdminUnit.objects.create(code="120100000000", name="天津市", level="city")
    district = AdminUnit.objects.create(
        code="120113000000", name="北辰区", level="district", parent=city
    )
    street = AdminUnit.objects.create(
        code="120113001000", name="果园新村街道", level="street", parent=district
    )
    other_street = AdminUnit.objects.create(
        code="120113002000", name="集贤里街道", level="street", parent=district
    )
    community = AdminUnit.objects.create(
        code="120113001001", name="第1社区", level="community", parent=street
    )
    other_community = AdminUnit.objects.create(
        code="120113002001", name="第1社区", level="community", parent=other_street
    )
    grids = []
    for i, (comm, st) in enumerate(
        [(community, street), (community, street), (other_community, other_street)]
    ):
        shape = box(117.10 + i * 0.01, 39.20, 117.11 + i * 0.01, 39.21)
        grids.append(
            Grid.objects.create(
                code=f"{comm.code}{i + 1:03d}",
                name=f"第{i + 1:03d}网格",
                community=comm,
                street=st,
                geometry_wkb=shape.wkb,
                area_m2=1e6,
                label_lon=shape.centroid.x,
                label_lat=shape.centroid.y,
            )
        )
    LayerState.objects.update_or_create(name="grids", defaults={"version": 1})
    locator.invalidate()

    city_mgmt = Department.objects.create(code="city_management", name="城管委")
    ecology = Department.objects.create(code="ecology", name="生态环境局")
    market = Department.objects.create(code="market", name="市场监管局")
    police = Department.objects.create(
        code=f"police_{street.code}", name="果园新村派出所", street=street
    )
    major = MajorClass.objects.create(code="A", name="城市管理")
    rubbish = CaseClass.objects.create(
        code="A0102",
        major=major,
        name="暴露垃圾",
        time_limit=4,
        time_unit="hours",
        default_department=city_mgmt,
        minor_self_closable=True,
    )
    building = CaseClass.objects.create(
        code="A0101",
        major=major,
        name="私搭乱建",
        time_limit=15,
        time_unit="days",
        default_department=city_mgmt,
    )
    manhole = CaseClass.objects.create(
        code="A0201",
        major=major,
        name="井盖缺失",
        time_limit=2,
        time_unit="hours",
        default_department=city_mgmt,
        urgency="red",
    )
    fight = CaseClass.objects.create(
        code="E0101",
        major=MajorClass.objects.create(code="E", name="社会治安"),
        name="治安隐患",
        time_limit=1,
        time_unit="days",
        route_to_street_police=True,
    )

    def person(username, role, **where):
        user = User.objects.create_user(
            username, password="pw-" + username, display_name=username, phone="13812345678"
        )
        RoleAssignment.objects.create(user=user, role=role, **where)
        return user

    people = SimpleNamespace(
        worker=person("worker", Role.GRID_WORKER, grid=grids[0]),
        worker2=person("worker2", Role.GRID_WORKER, grid=grids[1]),
        far_worker=person("far_worker", Role.GRID_WORKER, grid=grids[2]),
        resident=person("resident", Role.RESIDENT, unit=district),
        acceptor=person("acceptor", Role.ACCEPTOR, unit=street),
        dispatcher=person("dispatcher", Role.DISPATCHER, unit=street),
        shift_lead=person("shift_lead", Role.SHIFT_LEAD, unit=street),
        callback=person("callback", Role.CALLBACK, unit=street),
        other_acceptor=person("other_acceptor", Role.ACCEPTOR, unit=other_street),
        command=person("command", Role.COMMAND_CENTRE, unit=district),
        leader=person("leader", Role.LEADER, unit=district),
        city_handler=person("city_handler", Role.DEPT_HANDLER, department=city_mgmt),
        eco_handler=person("eco_handler", Role.DEPT_HANDLER, department=ecology),
        market_handler=person("market_handler", Role.DEPT_HANDLER, department=market),
        police_handler=person("police_handler", Role.DEPT_HANDLER, department=police),
    )
    clock.set_now(MONDAY_MORNING)
    yield SimpleNamespace(
        district=district,
        street=street,
        other_street=other_street,
        community=community,
        grids=grids,
        people=people,
        rubbish=rubbish,
        building=building,
        manhole=manhole,
        fight=fight,
        city_mgmt=city_mgmt,
        ecology=ecology,
        market=market,
        police=police,
        point=(grids[0].label_lon, grids[0].label_lat),
        far_point=(grids[2].label_lon, grids[2].label_lat),
    )
    clock.set_now(None)
    locator.invalidate()
