"""The demo's people: one account per desk and department, one grid worker per grid.

Usernames are short and say what the account is for, so a visitor can log in as any role from
the printed table: ``gw-<grid code>``, ``acc-/disp-/lead-/cb-<street serial>`` (the street's
three digits, e.g. ``acc-001`` for 果园新村街道), ``dept-<department code>`` (police stations:
``police-<street serial>``), and ``command``, ``supervisor``, ``leader``, ``auditor``, ``admin``,
``resident1``…

Everyone shares one password, hashed once: hashing is deliberately slow (PBKDF2), and hashing
it 1,400 times would take minutes where one hash and bulk inserts take seconds.
"""

from __future__ import annotations

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
                    is_staff=p.superuser,
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

    examples: dict[str, str] = {}
    for p in people:
        examples.setdefault(p.role, p.username)
    # The city-management handler is the one a visitor will find cases for.
    city = next((d for d in departments if d.code == "city_management"), None)
    if city is not None:
        examples[Role.DEPT_HANDLER] = department_username(city)
    return {str(role): examples[role] for role in LOGIN_ORDER if role in examples}


def people_seeded() -> bool:
    return (
        User.objects.filter(username="admin").exists()
        and RoleAssignment.objects.filter(role=Role.GRID_WORKER).exists()
    )
