"""The demo's people: one account per desk and department, one grid worker per grid.

Usernames are short and say what the account is for, so a visitor can log in as any role from
the printed table: ``gw-<grid code>``, ``acc-/disp-/lead-/cb-<street serial>`` (the street's
three digits, e.g. ``acc-001`` for 果园新村街道), ``dept-<department code>`` (police stations:
``police-<street serial>``), and ``command``, ``supervisor``, ``leader``, ``auditor``, ``admin``,
``resident1``…

Everyone shares one password, hashed once: hashing is deliberately slow (PBKDF2), and hashing
it 1,400 times would take minutes where one hash and bulk inserts take seconds.

Each grid's 1+3+N team beyond its grid worker (`seed_teams`) is made up too, deterministically:
a grid head (``gh-<grid code>``) and one or two building heads (``bh-<grid code>[-2]``) for most
grids, community police officers (``cp-<community code>-<n>``) who each serve up to three grids of
their community, and a few volunteers and Party members (``vol-``/``pm-<grid code>-<n>``). About
one helper place in fourteen is left empty, so the vacancies report has something to show. These
people cannot sign in (their password is unusable): they are not on the login table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from onegrid.org.departments import ensure_default_departments
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.org.teams import load_default_slots
from onegrid.territory.models import AdminUnit, Grid

# Printed on the login table of `onegrid demo`; a demo is not a deployment.
DEMO_PASSWORD = "onegrid-demo"
RESIDENTS = 5
_RESIDENT_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强")
# Desks of each street: (role, username prefix, Chinese title).
STREET_DESKS = (
    (Role.ACCEPTOR, "acc", "受理员"),
    (Role.DISPATCHER, "disp", "派遣员"),
    (Role.SHIFT_LEAD, "lead", "值班长"),
    (Role.CALLBACK, "cb", "回访员"),
)
DISTRICT_DESKS = (
    (Role.COMMAND_CENTRE, "command", "区指挥中心"),
    (Role.SUPERVISOR, "supervisor", "区监督考核"),
    (Role.LEADER, "leader", "区领导"),
    (Role.AUDITOR, "auditor", "数据保护审计员"),
    (Role.ADMIN, "admin", "系统管理员"),
)
# The order of the login table: from the street up.
LOGIN_ORDER = (
    Role.GRID_WORKER,
    Role.RESIDENT,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.DEPT_HANDLER,
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    Role.LEADER,
    Role.AUDITOR,
    Role.ADMIN,
)


@dataclass(frozen=True)
class _Person:
    username: str
    display_name: str
    role: str
    unit_id: int | None = None
    grid_id: int | None = None
    department_id: int | None = None
    superuser: bool = False


def street_serial(street: AdminUnit) -> str:
    """The street's own three digits of its 12-digit code (120113001000 → 001)."""
    return street.code[6:9]


def grid_worker_username(grid_code: str) -> str:
    return f"gw-{grid_code}"


def desk_username(prefix: str, street: AdminUnit) -> str:
    return f"{prefix}-{street_serial(street)}"


def department_username(department: Department) -> str:
    if department.street_id is not None:
        return f"police-{street_serial(department.street)}"
    return f"dept-{department.code}"


def _district() -> AdminUnit:
    district = AdminUnit.objects.filter(level=AdminUnit.Level.DISTRICT).order_by("code").first()
    if district is None:
        raise RuntimeError("No district is loaded: build one first (onegrid load_district).")
    return district


def _people(
    district: AdminUnit, streets: list[AdminUnit], departments: list[Department]
) -> list[_Person]:
    people = [
        _Person(username, title, role, unit_id=district.pk, superuser=role == Role.ADMIN)
        for role, username, title in DISTRICT_DESKS
    ]
    for street in streets:
        for role, prefix, title in STREET_DESKS:
            people.append(
                _Person(
                    desk_username(prefix, street), f"{street.name}{title}", role, unit_id=street.pk
                )
            )
    for department in departments:
        people.append(
            _Person(
                department_username(department),
                f"{department.name}处置员",
                Role.DEPT_HANDLER,
                department_id=department.pk,
            )
        )
    grids = (
        Grid.objects.filter(street__parent=district)
        .order_by("code")
        .values_list("id", "code", "name", "community__name")
    )
    for grid_id, code, name, community in grids:
        people.append(
            _Person(
                grid_worker_username(code),
                f"{community}{name}网格员",
                Role.GRID_WORKER,
                grid_id=grid_id,
            )
        )
    for i in range(RESIDENTS):
        people.append(
            _Person(
                f"resident{i + 1}",
                _RESIDENT_NAMES[i % len(_RESIDENT_NAMES)],
                Role.RESIDENT,
                unit_id=district.pk,
            )
        )
    return people


@transaction.atomic
def seed_people(password: str) -> dict[str, str]:
    """Create the demo's accounts that are missing, all with `password`.

    Idempotent: existing accounts (by username) are left as they are, password included.
    Returns one example username per role, for the login table.
    """
    district = _district()
    streets = list(
        AdminUnit.objects.filter(parent=district, level=AdminUnit.Level.STREET).order_by("code")
    )
    ensure_default_departments(streets)
    load_default_slots()  # the 1+3+N team shape the vacancies report measures against
    departments = list(Department.objects.select_related("street").order_by("code"))
    people = _people(district, streets, departments)

    existing = set(
        User.objects.filter(username__in=[p.username for p in people]).values_list(
            "username", flat=True
        )
    )
    new = [p for p in people if p.username not in existing]
    if new:
        hashed = make_password(password)
        User.objects.bulk_create(
            [
                User(
                    username=p.username,
                    display_name=p.display_name,
                    password=hashed,
                    # The auditor signs in to /admin/ too, where the failed sign-ins are.
                    is_staff=p.superuser or p.role == Role.AUDITOR,
                    is_superuser=p.superuser,
                )
                for p in new
            ],
            batch_size=500,
        )
        ids = dict(
            User.objects.filter(username__in=[p.username for p in new]).values_list(
                "username", "id"
            )
        )
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(
                    user_id=ids[p.username],
                    role=p.role,
                    unit_id=p.unit_id,
                    grid_id=p.grid_id,
                    department_id=p.department_id,
                )
                for p in new
            ],
            batch_size=500,
        )

    seed_teams(district)

    examples: dict[str, str] = {}
    for p in people:
        examples.setdefault(p.role, p.username)
    # The city-management handler is the one a visitor will find cases for.
    city = next((d for d in departments if d.code == "city_management"), None)
    if city is not None:
        examples[Role.DEPT_HANDLER] = department_username(city)
    return {str(role): examples[role] for role in LOGIN_ORDER if role in examples}


# --- grid teams (1+3+N) beyond the grid worker -----------------------------------------------

TEAM_SEED = 1308
# Chance that a helper place is left empty (grid head, building head, police officer).
EMPTY_HELPER = 0.07
POLICE_GRIDS = 3  # grids one community police officer serves at most
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰文辉志强海燕红"
    "梅春生德胜晓东立新淑珍桂芝宝山"
)
_CHUNK = 900  # usernames per `IN (...)` query: under every database's parameter limit


@dataclass(frozen=True)
class _Member:
    username: str
    display_name: str
    phone: str
    roles: tuple[tuple[str, int], ...]  # (role, grid id)


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(_SURNAMES) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(("133", "135", "138", "139", "150", "186", "188")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _team_members(district: AdminUnit) -> list[_Member]:
    """The made-up helpers and volunteers of every grid of the district, always the same."""
    grids = list(
        Grid.objects.filter(street__parent=district)
        .order_by("code")
        .values_list("id", "code", "community_id", "community__code")
    )
    members: list[_Member] = []
    by_community: dict[str, list[tuple[int, str]]] = {}
    for grid_id, code, _community_id, community_code in grids:
        by_community.setdefault(community_code, []).append((grid_id, code))
        rng = random.Random(f"{TEAM_SEED}-{code}")
        if rng.random() >= EMPTY_HELPER:
            members.append(
                _Member(f"gh-{code}", _name(rng), _phone(rng), ((Role.GRID_HEAD, grid_id),))
            )
        if rng.random() >= EMPTY_HELPER:
            members.append(
                _Member(f"bh-{code}", _name(rng), _phone(rng), ((Role.BUILDING_HEAD, grid_id),))
            )
            if rng.random() < 0.25:  # a grid of many buildings has a second building head
                members.append(
                    _Member(
                        f"bh-{code}-2",
                        _name(rng),
                        _phone(rng),
                        ((Role.BUILDING_HEAD, grid_id),),
                    )
                )
        for i in range(rng.choice((0, 1, 1, 2))):
            members.append(
                _Member(
                    f"pm-{code}-{i + 1}", _name(rng), _phone(rng), ((Role.PARTY_MEMBER, grid_id),)
                )
            )
        for i in range(rng.choice((0, 1, 2, 2, 3))):
            members.append(
                _Member(
                    f"vol-{code}-{i + 1}", _name(rng), _phone(rng), ((Role.VOLUNTEER, grid_id),)
                )
            )
    # Community police officers: the community's grids in code order, up to three each; now and
    # then a grid is left out of its officer's round (a vacancy).
    for community_code, community_grids in sorted(by_community.items()):
        rng = random.Random(f"{TEAM_SEED}-police-{community_code}")
        for n, first in enumerate(range(0, len(community_grids), POLICE_GRIDS), start=1):
            served = [
                (Role.POLICE_OFFICER, grid_id)
                for grid_id, _code in community_grids[first : first + POLICE_GRIDS]
                if rng.random() >= EMPTY_HELPER
            ]
            if served:
                members.append(
                    _Member(
                        f"cp-{community_code}-{n}", _name(rng) + "警官", _phone(rng), tuple(served)
                    )
                )
    return members


def _chunks(items: list[str]):
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def seed_teams(district: AdminUnit | None = None) -> int:
    """Create the grid teams' helpers and volunteers that are missing; returns how many people
    were created. Idempotent: existing accounts (by username) and their roles are left alone."""
    district = district or _district()
    members = _team_members(district)
    names = [m.username for m in members]
    existing: set[str] = set()
    for chunk in _chunks(names):
        existing.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    new = [m for m in members if m.username not in existing]
    if not new:
        return 0
    unusable = make_password(None)  # nobody signs in as these people
    User.objects.bulk_create(
        [
            User(username=m.username, display_name=m.display_name, phone=m.phone, password=unusable)
            for m in new
        ],
        batch_size=500,
    )
    ids: dict[str, int] = {}
    for chunk in _chunks([m.username for m in new]):
        ids.update(User.objects.filter(username__in=chunk).values_list("username", "id"))
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user_id=ids[m.username], role=role, grid_id=grid_id)
            for m in new
            for role, grid_id in m.roles
        ],
        batch_size=500,
    )
    return len(new)


def people_seeded() -> bool:
    return (
        User.objects.filter(username="admin").exists()
        and RoleAssignment.objects.filter(role=Role.GRID_WORKER).exists()
    )
