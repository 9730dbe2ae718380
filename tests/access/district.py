"""The small district the role × endpoint table is tested on (tests/access).

The same places as the `world` fixture (tests/conftest.py): one district, two streets, the first
street's community with two grids, the other street's with one; departments and classes. On it,
one person per role, each holding exactly that role where the role is bound (grid-team roles on
the first grid, handlers in the city-management department, a community's roles at the first
community, a street's at the first street, the rest at the district), a superuser, and the rows
the endpoints' path parameters name: a case in the first grid, a dispute, a risk, a legal
question, the Party tree, a volunteering activity, the points store, the community's lists,
a deliberation topic with a meeting and a ballot.

Built once per test module (`build()` runs inside the module's transaction, rolled back at
its end), because building takes a second and the table has thousands of cells.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from shapely import box

from onegrid.cases.models import CaseClass, MajorClass
from onegrid.core import clock
from onegrid.mediation.legal_basis import ensure_default_types
from onegrid.org.models import TEAM_ROLES, Department, Role, RoleAssignment, User
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit, Grid, LayerState
from support.world import MONDAY_MORNING

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
# Every role of org.models.Role, in its order, between the anonymous caller and the superuser.
ROLES: tuple[str, ...] = (ANONYMOUS, *Role.values, SUPERUSER)

# Where each role is bound in the district (org.models.RoleAssignment: a grid, a unit or a
# department): the roles of a community's committees and organisers at the first community,
# the service hall's and the judicial office's at the first street, the rest at the district.
COMMUNITY_ROLES = {
    Role.COMMUNITY_COMMITTEE,
    Role.MEDIATOR,
    Role.LEGAL_ADVISER,
    Role.ORGANISER,
    Role.VOLUNTEER,
}
STREET_ROLES = {
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.JUDICIAL_OFFICE,
    Role.PARTY_STAFF,
}


def _places() -> SimpleNamespace:
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
    return SimpleNamespace(
        city=city,
        district=district,
        street=street,
        other_street=other_street,
        community=community,
        grids=grids,
        city_mgmt=city_mgmt,
        ecology=city_mgmt,
        market=city_mgmt,
        police=police,
        rubbish=rubbish,
        point=(grids[0].label_lon, grids[0].label_lat),
        far_point=(grids[2].label_lon, grids[2].label_lat),
    )


def _person(username: str, role: str, **where) -> User:
    user = User.objects.create_user(
        username, password="pw-" + username, display_name=username, phone="13812345678"
    )
    RoleAssignment.objects.create(user=user, role=role, **where)
    return user


def holder(world: SimpleNamespace, role: str) -> User:
    """The one person holding `role` (and nothing else) where that role is bound."""
    username = f"as_{role}"
    if role in TEAM_ROLES:
        return _person(username, role, grid=world.grids[0])
    if role == Role.DEPT_HANDLER:
        return _person(username, role, department=world.city_mgmt)
    if role in COMMUNITY_ROLES:
        return _person(username, role, unit=world.community)
    if role in STREET_ROLES:
        return _person(username, role, unit=world.street)
    return _person(username, role, unit=world.district)


def build() -> SimpleNamespace:
    """The district, its people (`users`: role → User; None for the anonymous caller) and the
    rows named by path parameters (`rows`)."""
    from support import cases as case_rows
    from support import community_lists, mediation_world, party_tree, points, volunteering
    from support import deliberation_votes as dv

    clock.set_now(MONDAY_MORNING)
    # The rows migrations seed (the mediation types) are gone after a transactional test
    # elsewhere in the run flushed the database: put them back (a no-op when present).
    ensure_default_types()
    world = _places()
    # The `world` fixture's people the support factories act as (tests/support/*.py).
    world.people = SimpleNamespace(
        worker=_person("worker", Role.GRID_WORKER, grid=world.grids[0]),
        resident=_person("resident", Role.RESIDENT, unit=world.district),
        acceptor=_person("acceptor", Role.ACCEPTOR, unit=world.street),
        dispatcher=_person("dispatcher", Role.DISPATCHER, unit=world.street),
        city_handler=_person("city_handler", Role.DEPT_HANDLER, department=world.city_mgmt),
    )
    users: dict[str, User | None] = {ANONYMOUS: None}
    for role in Role.values:
        users[role] = holder(world, role)
    users[SUPERUSER] = User.objects.create_superuser(
        "as_superuser", password="pw-as_superuser", display_name="as_superuser"
    )

    case = case_rows.drive(world, "dispatched")
    med = mediation_world.build(world)
    dispute = mediation_world.accepted(world, med)
    tree = party_tree.build_tree(world)
    activity = volunteering.make(world)
    store = points.make_store(world)
    lists = community_lists.build(world)
    topic = dv.topic(world.grids[0])
    proposal = dv.proposal(topic)
    world.rows = SimpleNamespace(
        case=case,
        dispute=dispute,
        tree=tree,
        activity=activity,
        store=store,
        lists=lists,
        topic=topic,
        proposal=proposal,
        med=med,
    )
    world.users = users
    world.when = MONDAY_MORNING + dt.timedelta(0)
    return world
