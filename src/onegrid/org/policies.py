"""Who may see and do what: the one place every service and selector consults.

A person holds roles, each bound to a grid, an admin unit (district, street or community) or a
department. From those bindings come the person's scope (what they may see) and, for any place,
the roles they hold over it (what they may do there). It also decides who may give whom which
place on a grid team, and which duties on one case exclude each other.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import PermissionDenied
from onegrid.territory import district as districts
from onegrid.territory.models import AdminUnit, Grid
from onegrid.territory.selectors import streets_of_districts

from . import phone_masking
from .models import TEAM_ROLES, Role, RoleAssignment, User

DISTRICT_WIDE_READERS = {
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    Role.LEADER,
    Role.AUDITOR,
    Role.ADMIN,
}
STREET_STAFF = {Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK}
GRID_TEAM = set(TEAM_ROLES)
# Roles that see only what they reported themselves, wherever they are bound.
OWN_REPORTS_ONLY = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}
# Roles that may report a problem wherever they stand: residents report anywhere in the district.
# Party-organisation staff report only the rectification items of the service centres they
# inspect (party.centres), with the inspection source: STAFF_SOURCE_ROLES. Community committee
# members report only the cases carrying out their community's decisions (deliberation.decisions),
# with the deliberation source.
REPORTING_ROLES = (
    GRID_TEAM
    | {Role.RESIDENT}
    | STREET_STAFF
    | {Role.COMMAND_CENTRE}
    | {Role.PARTY_STAFF}
    | {Role.COMMUNITY_COMMITTEE}
)
# Who enters a report of each source on someone else's behalf (cases.services: the case has no
# reporter account). Party-organisation staff enter no hotline, camera or import report.
STAFF_SOURCE_ROLES: dict[str, frozenset[str]] = {
    "hotline": frozenset(STREET_STAFF | {Role.COMMAND_CENTRE}),
    "sensor": frozenset(STREET_STAFF | {Role.COMMAND_CENTRE}),
    "import": frozenset(STREET_STAFF | {Role.COMMAND_CENTRE}),
    "inspection": frozenset({Role.PARTY_STAFF}),
    "deliberation": frozenset({Role.COMMUNITY_COMMITTEE}),
}
# The two axes of DOMAIN.md §3, which stay apart: supervision (the grid team's checkers find and
# check) and disposal (departments fix).
CHECKERS = frozenset({Role.GRID_WORKER, Role.GRID_HEAD})
DISPOSERS = frozenset({Role.DEPT_HANDLER})

# The district's keepers: the administrators and the district command centre keep what the
# whole district shares (its territory and layers, the holiday schedule, the teams' 1+3+N
# shape) and appoint staff. A superuser counts as an administrator (`_keeps_the_district`).
DISTRICT_KEEPERS = frozenset({Role.ADMIN, Role.COMMAND_CENTRE})
# Who appoints staff: the district's keepers, over the grids in their scope. Street desks run
# the cases of their street; if they also appointed the people who check those cases, a desk
# could make itself (or a friend) the checker of what it dispatched.
STAFF_APPOINTERS = DISTRICT_KEEPERS
# Staff places on a grid team are the ones that reach other people's cases. Every team role
# outside OWN_REPORTS_ONLY is bound to its grid's scope (the grid's cases and their reporters,
# masked), and grid workers and heads also self-close, verify and check: so the grid worker,
# the grid head, the community police officer (a post of the public-security bureau, DOMAIN.md
# §1 "the 3") and the building head are staff places. Volunteers and Party members see only
# their own reports: the N, which street desks may fill. Deriving the split from
# OWN_REPORTS_ONLY keeps it true if a role's reach ever changes.
STAFF_TEAM_ROLES = frozenset(GRID_TEAM - OWN_REPORTS_ONLY)
VOLUNTEER_TEAM_ROLES = frozenset(GRID_TEAM & OWN_REPORTS_ONLY)

# Separation of duties on one case: an action a person may not take on a case once they took
# one of the listed actions on it (its history says who did what). Who handled a case for a
# department (signed for it, returned it, asked for more time, fed back) neither checks nor
# closes it; who passed its check does not also close it; no one approves or refuses their own
# extension request. Reporting a case does not exclude checking it: the grid worker who found a
# problem is the one who checks the repair on site (DOMAIN.md §1, the APP), and a reporter has
# no share in the disposal being judged.
DISPOSAL_ACTIONS = frozenset({"sign", "return", "request_extension", "feed_back"})
EXCLUDED_AFTER: dict[str, frozenset[str]] = {
    "pass_check": DISPOSAL_ACTIONS,
    "fail_check": DISPOSAL_ACTIONS,
    "close": DISPOSAL_ACTIONS | {"pass_check"},
    "approve_extension": frozenset({"request_extension"}),
    "reject_extension": frozenset({"request_extension"}),
}


@dataclass(frozen=True)
class Place:
    """Where a case lies in the territory tree (`district_id`: only for a place that is a whole
    district, which has no street)."""

    grid_id: int | None
    community_id: int | None
    street_id: int | None
    district_id: int | None = None


@dataclass
class Scope:
    """What a person may see: the union over all their role bindings."""

    user_id: int
    # Every district the installation serves: a superuser, a binding at the city, or (in a
    # one-district installation) at the district. In a city a binding at a district reads as
    # a binding at each of its streets (street_ids) and names the district in district_ids.
    district_wide: bool = False
    street_ids: set[int] = field(default_factory=set)
    community_ids: set[int] = field(default_factory=set)
    grid_ids: set[int] = field(default_factory=set)
    department_ids: set[int] = field(default_factory=set)
    own_reports: bool = True  # everyone sees the cases they reported themselves
    # The whole districts read (their own district-level rows too); None: every district.
    bound_district_ids: set[int] = field(default_factory=set)

    @property
    def district_ids(self) -> frozenset[int] | None:
        """The districts read whole; None: every district (district_wide)."""
        return None if self.district_wide else frozenset(self.bound_district_ids)


# --- A city's districts ------------------------------------------------------------------------
#
# In a one-district installation a binding at the district (or city) reads everything, as it
# always did: nothing here costs a query. In a city (territory.district.is_city) only a binding
# at the city unit reads everything; a binding at a district reads as a binding at each of the
# district's streets, so every selector that filters by street_ids keeps district A's staff to
# district A without a change of its own, and a row that lies nowhere in a street (a district's
# own row) is read through district_ids. The streets are read once per request (cached on the
# user, dropped by forget()).


def _reads_every_district(unit: AdminUnit) -> bool:
    """Whether a binding at `unit` reads every district: the city's, or a district's in an
    installation that serves one."""
    if unit.level == AdminUnit.Level.CITY:
        return True
    return unit.level == AdminUnit.Level.DISTRICT and not districts.is_city()


def _district_street_ids(user: User, district_id: int) -> frozenset[int]:
    """The streets of a district the user is bound to (a city's installation), read once for
    every district-level binding the user holds."""
    cached: dict[int, frozenset[int]] | None = user.__dict__.get("_onegrid_district_streets")
    if cached is None:
        bound = {
            a.unit.pk
            for a in assignments(user)
            if a.unit is not None and a.unit.level == AdminUnit.Level.DISTRICT
        }
        cached = streets_of_districts(bound | {district_id})
        user.__dict__["_onegrid_district_streets"] = cached
    if district_id not in cached:
        cached.update(streets_of_districts({district_id}))
    return cached.get(district_id, frozenset())


def _district_binding_covers(user: User, unit: AdminUnit, place: Place) -> bool:
    """Whether a binding at `unit` (a district or the city) covers `place`."""
    if _reads_every_district(unit):
        return True
    if unit.level != AdminUnit.Level.DISTRICT:
        return False
    if place.district_id is not None:
        return place.district_id == unit.pk
    return place.street_id is not None and place.street_id in _district_street_ids(user, unit.pk)


def _add_binding(user: User, unit: AdminUnit, streets: set[int], communities: set[int]) -> bool:
    """Adds a binding at `unit` to a reach's streets or communities; True when it reads every
    district (the caller sets district_wide)."""
    level = unit.level
    if _reads_every_district(unit):
        return True
    if level == AdminUnit.Level.DISTRICT:
        streets.update(_district_street_ids(user, unit.pk))
    elif level == AdminUnit.Level.STREET:
        streets.add(unit.pk)
    elif level == AdminUnit.Level.COMMUNITY:
        communities.add(unit.pk)
    return False


def reader_district_ids(user: User) -> frozenset[int] | None:
    """The districts `user` reads whole: None for every district (a superuser, a binding at
    the city, or any district binding in a one-district installation), else the districts
    their roles are bound to (empty: none whole)."""
    if user.is_superuser:
        return None
    found: set[int] = set()
    for a in assignments(user):
        if a.unit is None:
            continue
        if _reads_every_district(a.unit):
            return None
        if a.unit.level == AdminUnit.Level.DISTRICT:
            found.add(a.unit.pk)
    return frozenset(found)


def keeps_district(user: User, district_id: int | None = None) -> bool:
    """An administrator's (DISTRICT_KEEPERS) hold over a district: a superuser over every one;
    in one district any keeper; in a city a keeper bound to the city over every district, and
    one bound to district `district_id` over that one (None: the installation's own settings,
    which only a city's keeper changes)."""
    if user.is_superuser:
        return True
    if not districts.is_city():
        return bool(role_names(user) & DISTRICT_KEEPERS)
    for a in assignments(user):
        if a.role not in DISTRICT_KEEPERS or a.unit is None:
            continue
        if a.unit.level == AdminUnit.Level.CITY:
            return True
        if district_id is not None and a.unit_id == district_id:
            return True
    return False


def kept_district_ids(user: User | AnonymousUser) -> frozenset[int] | None:
    """The districts `user` keeps as an administrator (keeps_district): None for every one (a
    superuser, a keeper bound to the city, any keeper in one district), else the districts
    their keeper roles are bound to (empty: none). For pages that list a district's rows."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return None
    held = [a for a in assignments(user) if a.role in DISTRICT_KEEPERS]
    if not districts.is_city():
        return None if held else frozenset()
    if any(a.unit is not None and a.unit.level == AdminUnit.Level.CITY for a in held):
        return None
    return frozenset(
        a.unit.pk for a in held if a.unit is not None and a.unit.level == AdminUnit.Level.DISTRICT
    )


def restrict_to_districts(qs: Any, district_ids: frozenset[int] | None, street_path: str) -> Any:
    """`qs` kept to the rows whose street (`street_path`, e.g. "street_id" or "grid__street_id")
    lies in `district_ids` (None: every district). A one-district installation filters nothing:
    the same query as before, no join."""
    if district_ids is None or not districts.is_city():
        return qs
    path = street_path.removesuffix("_id").removesuffix("__id")
    return qs.filter(**{f"{path}__parent_id__in": list(district_ids)})


def assignments(user: User) -> list[RoleAssignment]:
    cached = getattr(user, "_onegrid_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("unit"))
        user._onegrid_roles = cached
    return cached


def forget(user: User) -> None:
    """Drop the per-request cache after a role change."""
    if hasattr(user, "_onegrid_roles"):
        del user._onegrid_roles
    user.__dict__.pop("_onegrid_unit_chains", None)
    user.__dict__.pop("_onegrid_district_streets", None)


def reader_holding(
    roles: Iterable[tuple[str, AdminUnit]],
    *,
    username: str,
    display_name: str = "",
    is_superuser: bool = False,
) -> User:
    """An unsaved user holding only `roles` (role, unit bound to), for reads made on a role's
    behalf rather than a person's: the monthly reports read the figures as a leader of their
    district or street reads them. The roles are kept where assignments() reads them, so no
    query looks for this user in the database."""
    user = User(username=username, display_name=display_name, is_superuser=is_superuser)
    user._onegrid_roles = [RoleAssignment(user=user, role=role, unit=unit) for role, unit in roles]
    return user


def role_names(user: User) -> set[str]:
    return {a.role for a in assignments(user)}


def holder_ids(roles: Collection[str], unit_ids: Iterable[int | None]) -> list[int]:
    """The active accounts holding one of `roles` bound to one of `unit_ids` (None skipped),
    each once, ascending: who hears of something at a place (a notice's recipients)."""
    units = [u for u in unit_ids if u is not None]
    if not units:
        return []
    return list(
        RoleAssignment.objects.filter(role__in=list(roles), unit_id__in=units, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def scope_for(user: User) -> Scope:
    scope = Scope(user_id=user.pk)
    if user.is_superuser:
        scope.district_wide = True
    for a in assignments(user):
        # An API client's binding names its jurisdiction, not cases it may read.
        if a.role in OWN_REPORTS_ONLY or a.role == Role.API_CLIENT:
            continue
        if a.department_id:
            scope.department_ids.add(a.department_id)
        if a.grid_id:
            scope.grid_ids.add(a.grid_id)
        if a.unit is not None:  # assignments() selected it: no query
            if _add_binding(user, a.unit, scope.street_ids, scope.community_ids):
                scope.district_wide = True
            elif a.unit.level == AdminUnit.Level.DISTRICT:
                scope.bound_district_ids.add(a.unit.pk)
    return scope


def roles_over(user: User, place: Place, department_ids: Collection[int] = ()) -> set[str]:
    """The roles `user` holds over `place` (and over any of `department_ids`' tasks there).

    A superuser holds the administrator role over every place: it reads everything and manages
    teams, the catalogue and the territory, but no row of the workflow table names the
    administrator, so a superuser without a desk role of its own takes (and is offered) no case
    action: every case event names the desk that acted.
    """
    held: set[str] = set()
    if user.is_superuser:
        held.add(Role.ADMIN)
    for a in assignments(user):
        if a.department_id:
            if a.department_id in department_ids:
                held.add(a.role)
            continue
        if a.grid_id:
            if a.grid_id == place.grid_id:
                held.add(a.role)
            continue
        if a.unit is not None:
            level = a.unit.level
            if (
                (
                    level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY)
                    and _district_binding_covers(user, a.unit, place)
                )
                or (level == AdminUnit.Level.STREET and a.unit_id == place.street_id)
                or (level == AdminUnit.Level.COMMUNITY and a.unit_id == place.community_id)
            ):
                held.add(a.role)
    return held


def may_see_place(user: User, place: Place) -> bool:
    scope = scope_for(user)
    return (
        scope.district_wide
        or (place.district_id is not None and place.district_id in scope.bound_district_ids)
        or place.street_id in scope.street_ids
        or place.community_id in scope.community_ids
        or place.grid_id in scope.grid_ids
    )


def may_sign_in_with_code(user: User | None) -> bool:
    """Whether `user` may sign in with a one-time code sent to their number: an active resident
    account alone (residents, volunteers, Party members: OWN_REPORTS_ONLY). Anyone holding a
    staff role (or staff/superuser rights) signs in with a password, even when an administrator
    named the account by its phone number."""
    if user is None or not user.is_active or user.is_staff or user.is_superuser:
        return False
    return not user.roles.exclude(role__in=OWN_REPORTS_ONLY).exists()


def may_report(user: User) -> bool:
    return user.is_superuser or bool(role_names(user) & REPORTING_ROLES)


def may_report_as_client(user: User) -> bool:
    """An external system's service account (Open311 clients, Role.API_CLIENT) reports through
    its API, with source "open311". The role gives no scope: a client reads no case by it."""
    return Role.API_CLIENT in role_names(user)


def may_see_reporter(user: User, place: Place) -> bool:
    """Departments never see who reported a case (PIPL: reporters are hidden from handlers)."""
    return may_see_place(user, place) and bool(role_names(user) - {Role.DEPT_HANDLER})


def _keeps_the_district(user: User) -> bool:
    """The installation's administrators (a city's: those bound to the city, keeps_district)."""
    return keeps_district(user)


def may_manage_territory(user: User) -> bool:
    """Base data of the territory (standard addresses): the district's GIS officers, who sit
    with the administrators or the command centre, as the layer pages do."""
    return _keeps_the_district(user)


def may_review_sign_ins(user: User | AnonymousUser) -> bool:
    """The record of failed sign-ins and throttled callers (/admin/, org/throttling.py): the
    administrators and the data-protection auditors."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.AUDITOR})


def may_read_access_log(user: User | AnonymousUser) -> bool:
    """The log of reads of personal data (org.access_log, in /admin/): the data-protection
    auditors and the administrators."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.AUDITOR})


def may_enter_staff_report(user: User, source: str) -> bool:
    """Hotline, sensor and import reports are entered by street or command-centre staff; the
    rectification items of a service centre's standardisation inspection by Party-organisation
    staff (source "inspection"), who enter nothing else."""
    roles = STAFF_SOURCE_ROLES.get(source)
    return roles is not None and (user.is_superuser or bool(role_names(user) & roles))


def duty_conflict(action: str, own_actions: Iterable[str]) -> str | None:
    """The earlier action of the same person on a case that bars them from `action` on it now,
    or None (EXCLUDED_AFTER). `own_actions`: the actions they took on the case."""
    excluded = EXCLUDED_AFTER.get(action)
    if not excluded:
        return None
    return next((a for a in sorted(own_actions) if a in excluded), None)


def has_duty_conflicts(action: str) -> bool:
    """Whether `action` can be barred by the person's own history on the case (so whether that
    history needs reading at all)."""
    return action in EXCLUDED_AFTER


# --- grid team places ------------------------------------------------------------------------


def grid_place(grid: Grid) -> Place:
    return Place(grid.pk, grid.community_id, grid.street_id)


def may_configure_team_slots(user: User) -> bool:
    """The district's 1+3+N shape is set by those who appoint staff."""
    return _keeps_the_district(user)


def grantable_team_roles(user: User, place: Place) -> frozenset[str]:
    """The team places `user` may give or take away on the grid at `place`: every place for the
    administrators and the command centre over it, the volunteer places for the staff of its
    street, none for anyone else."""
    return _grantable(roles_over(user, place))


def _grantable(held: set[str]) -> frozenset[str]:
    """grantable_team_roles for one who holds `held` over the grid."""
    if held & STAFF_APPOINTERS:
        return frozenset(GRID_TEAM)
    if held & STREET_STAFF:
        return VOLUNTEER_TEAM_ROLES
    return frozenset()


def may_manage_team(user: User, place: Place) -> bool:
    """Whether `user` may change anything on the team of the grid at `place` (members, roster)."""
    return bool(grantable_team_roles(user, place))


def may_take_away_team_place(
    actor: User, *, person_id: int, role: str, place: Place, grantable: frozenset[str] | None = None
) -> bool:
    """Whether `actor` may take `role` on the grid at `place` away from the person `person_id`:
    what check_team_change(adding=False) lets through, for offering a Remove button only where
    it would work. `grantable`: grantable_team_roles(actor, place), when the caller has it."""
    if grantable is None:
        grantable = grantable_team_roles(actor, place)
    return person_id != actor.pk and role in grantable


def staff_names_hidden_from(user: User) -> bool:
    """Whether the names of the staff who took a case's steps are kept from `user`: a resident
    (no role beyond OWN_REPORTS_ONLY, not a superuser) reading their own report sees the steps,
    not who took them."""
    return not user.is_superuser and role_names(user) <= OWN_REPORTS_ONLY


def _is_resident_account(person: User) -> bool:
    """An account whose every role is a resident's (resident, volunteer, Party member)."""
    names = role_names(person)
    return bool(names) and names <= OWN_REPORTS_ONLY


def _belongs_to_street(person: User, street_id: int | None) -> bool:
    """Whether every binding of `person` other than a resident's lies inside the street: its
    grids, its communities, the street itself (district-wide and department roles do not). An
    ordinary resident, or a person with no role yet, belongs anywhere."""
    grid_ids: set[int] = set()
    for a in assignments(person):
        if a.role in OWN_REPORTS_ONLY:
            continue
        if a.grid_id:
            grid_ids.add(a.grid_id)
        elif a.unit is not None:
            unit = a.unit
            inside = (unit.level == AdminUnit.Level.STREET and unit.pk == street_id) or (
                unit.level == AdminUnit.Level.COMMUNITY and unit.parent_id == street_id
            )
            if not inside:
                return False
        else:
            return False
    streets = set(Grid.all_objects.filter(pk__in=grid_ids).values_list("street_id", flat=True))
    return streets <= {street_id}


def check_team_change(
    actor: User, *, person: User, role: str, place: Place, adding: bool = True
) -> None:
    """Raise PermissionDenied, naming the field at fault (`username` for the person, `role`),
    unless `actor` may give (`adding`) or take away `person`'s `role` on the grid at `place`.

    - No one gives or takes away their own team places: a second person always acts, so no one
      widens their own reach or steps out of their own duty.
    - Staff places (STAFF_TEAM_ROLES) are given and taken away only by STAFF_APPOINTERS over
      the grid; street staff of the grid's street handle the volunteer places.
    - A staff place goes to a staff account only: never to an account whose every role is a
      resident's, so no resident gains staff reach through a team place (a staff account is
      made for the job), and never a checking place to a department handler (who fixes a case
      does not check it).
    - Street staff add only people of their street (every non-resident binding inside it) or
      ordinary residents.
    Taking a place away grants nothing, so only the first two rules apply to it.
    """
    held = roles_over(actor, place)
    grantable = _grantable(held)
    if not grantable:
        raise PermissionDenied(_("You may not change this grid's team."), field="actor")
    if person.pk == actor.pk:
        raise PermissionDenied(
            _("No one changes their own place on a team: another person must do it."),
            field="username",
        )
    if role not in grantable:
        raise PermissionDenied(
            _("Only administrators and the command centre appoint or remove a %(role)s.")
            % {"role": Role(role).label},
            field="role",
        )
    if not adding:
        return
    if role in STAFF_TEAM_ROLES and _is_resident_account(person):
        raise PermissionDenied(
            _("%(name)s has a resident's account: a staff place on a team needs a staff account.")
            % {"name": person},
            field="username",
        )
    if role in CHECKERS and role_names(person) & DISPOSERS:
        raise PermissionDenied(
            _(
                "%(name)s handles cases for a department: whoever fixes cases may not also "
                "check them."
            )
            % {"name": person},
            field="username",
        )
    if not held & STAFF_APPOINTERS and not _belongs_to_street(person, place.street_id):
        raise PermissionDenied(
            _(
                "%(name)s works outside this street: street staff add only people of their "
                "street or residents."
            )
            % {"name": person},
            field="username",
        )


# --- measures (insight) ------------------------------------------------------------------------

# Who steers by the figures: leaders, supervision and assessment, the command centre and the
# administrators read the measures of the unit their role is bound to (the whole district when
# bound to it, their street or community when bound there). Street staff read their street's
# (or community's). The data-protection auditor audits access; it does not read the figures.
MEASURE_READERS = frozenset({Role.LEADER, Role.SUPERVISOR, Role.COMMAND_CENTRE, Role.ADMIN})
# Whose own work is measured person by person: grid workers and grid heads (reports, checks)
# read their own figures and their grid's; department handlers their own and their
# department's.
PERSON_MEASURED = frozenset({Role.GRID_WORKER, Role.GRID_HEAD, Role.DEPT_HANDLER})
MEASURE_KINDS = ("district", "street", "community", "grid", "beat", "department", "person")
LEAGUE_KINDS = ("street", "department", "grid_worker")


@dataclass(frozen=True)
class MeasuresReach:
    """Which figures a person may read: the union over their role bindings (measures_reach)."""

    district_wide: bool = False
    street_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    own_figures: bool = False  # their own person figures (grid worker, department handler)
    # In a city: the districts read whole (their streets are in street_ids too).
    district_ids: frozenset[int] = frozenset()

    @property
    def reads_anything(self) -> bool:
        return bool(
            self.district_wide
            or self.street_ids
            or self.community_ids
            or self.grid_ids
            or self.department_ids
            or self.own_figures
        )

    def covers(self, place: Place) -> bool:
        """Whether the place's figures (a street, community or grid) are within reach."""
        return (
            self.district_wide
            or (place.district_id is not None and place.district_id in self.district_ids)
            or (place.street_id is not None and place.street_id in self.street_ids)
            or (place.community_id is not None and place.community_id in self.community_ids)
            or (place.grid_id is not None and place.grid_id in self.grid_ids)
        )


def measures_reach(user: User) -> MeasuresReach:
    """What of the measures `user` may read (see MEASURE_READERS and PERSON_MEASURED). A
    superuser reads the whole district; residents, volunteers, Party members, police officers,
    building heads and auditors read none."""
    district_wide = user.is_superuser
    streets: set[int] = set()
    communities: set[int] = set()
    grids: set[int] = set()
    departments: set[int] = set()
    own = False
    whole: set[int] = set()
    for a in assignments(user):
        if a.role in MEASURE_READERS or a.role in STREET_STAFF:
            if a.unit is not None:
                if _add_binding(user, a.unit, streets, communities):
                    district_wide = True
                elif a.unit.level == AdminUnit.Level.DISTRICT:
                    whole.add(a.unit.pk)
            elif a.grid_id:
                grids.add(a.grid_id)
        elif a.role in PERSON_MEASURED:
            own = True
            if a.grid_id:
                grids.add(a.grid_id)
            if a.department_id:
                departments.add(a.department_id)
    return MeasuresReach(
        district_wide=district_wide,
        street_ids=frozenset(streets),
        community_ids=frozenset(communities),
        grid_ids=frozenset(grids),
        department_ids=frozenset(departments),
        own_figures=own,
        district_ids=frozenset(whole),
    )


def may_read_measures(
    user: User,
    *,
    kind: str,
    place: Place | None = None,
    department_id: int | None = None,
    person: User | None = None,
) -> bool:
    """Whether `user` may read the figures of one scope, and drill down into its cases:
    `kind` district or beat (district-wide readers only: a beat may cross streets), street,
    community or grid (`place`), department (`department_id`) or person (`person`).

    Department figures are the department's work across the district: district-wide readers
    and the department's own handlers read them. A person's figures: the person (a grid worker
    or department handler), district-wide readers, and for grid workers the readers of a
    street or community where the person holds a grid place."""
    reach = measures_reach(user)
    if kind == "district" and place is not None and place.district_id is not None:
        return reach.covers(place)  # one of a city's districts
    if kind in ("city", "district", "beat"):
        return reach.district_wide
    if kind in ("street", "community", "grid"):
        return place is not None and reach.covers(place)
    if kind == "department":
        return reach.district_wide or (
            department_id is not None and department_id in reach.department_ids
        )
    if kind == "person":
        if person is None:
            return False
        if reach.district_wide or (person.pk == user.pk and reach.own_figures):
            return True
        if not (reach.street_ids or reach.community_ids):
            return False
        return any(
            a.grid is not None
            and (a.grid.street_id in reach.street_ids or a.grid.community_id in reach.community_ids)
            for a in RoleAssignment.objects.filter(
                user=person, role__in=(Role.GRID_WORKER, Role.GRID_HEAD), grid__isnull=False
            ).select_related("grid")
        )
    return False


def may_read_league(user: User, kind: str) -> bool:
    """Whether `user` may read a league table (红黑榜) of `kind` (LEAGUE_KINDS). The streets'
    and the grid workers' tables: district-wide readers and street readers (a street's staff
    or leaders see every street ranked, and the grid workers of their own street). The
    departments' table: those, and department handlers (where their department stands).
    Reading a table is not drilling into a row: that needs may_read_measures for the row."""
    reach = measures_reach(user)
    if reach.district_wide:
        return kind in LEAGUE_KINDS
    if kind in ("street", "grid_worker"):
        return bool(reach.street_ids)
    if kind == "department":
        if districts.is_city():
            # A department works across a city's districts: its row holds other districts'
            # figures, which a district's street readers do not read.
            return bool(reach.department_ids)
        return bool(reach.street_ids or reach.department_ids)
    return False


# Who reads the monthly PDF reports (insight.reports): those who steer by the figures and the
# street desks. A report of the district is district-wide figures; a street's, that street's.
REPORT_READERS = frozenset(MEASURE_READERS | STREET_STAFF)


def may_read_report(user: User, *, kind: str, street_id: int | None = None) -> bool:
    """Whether `user` may read (download) a monthly report of `kind` "district" or "street"
    (`street_id`): a district-wide reader any report; a reader bound to a street (its desk
    staff, its leaders) that street's. Grid workers, department handlers, residents and
    auditors read none (their own figures are on the measures page)."""
    if not (user.is_superuser or role_names(user) & REPORT_READERS):
        return False
    reach = measures_reach(user)
    if reach.district_wide:
        return kind in ("district", "street")
    return kind == "street" and street_id is not None and street_id in reach.street_ids


def may_generate_report(user: User, *, kind: str, street_id: int | None = None) -> bool:
    """Whether `user` may have a monthly report written now ("generate now"): whoever may read
    it. Writing one costs a few seconds of a worker; one writer runs at a time."""
    return may_read_report(user, kind=kind, street_id=street_id)


def may_manage_campaigns(user: User) -> bool:
    """Campaigns (集中整治) are declared by the command centre and the administrators, as the
    district's other shared settings."""
    return _keeps_the_district(user)


# --- pages and the admin site ----------------------------------------------------------------

# Which roles open which page of the web app (web.access gates the doors with it). A page only
# gates the door: what it then shows comes from the same scoped selectors as the API.
# Who reads hotspots, heat, repeat places and surge alerts (insight.hotspots, insight.alerts):
# those who steer by the figures (leaders, supervision, the command centre, administrators) and
# the street desks, each over the territory their roles are bound to (scope_for), so a street
# desk's hotspots are computed from its own street's cases only.
HOTSPOT_READERS = frozenset(
    {Role.LEADER, Role.SUPERVISOR, Role.COMMAND_CENTRE, Role.ADMIN} | STREET_STAFF
)

PAGE_ROLES: dict[str, frozenset[str]] = {
    "field": frozenset(GRID_TEAM | {Role.RESIDENT}),
    "console": frozenset(STREET_STAFF | {Role.COMMAND_CENTRE, Role.SUPERVISOR, Role.ADMIN}),
    "inbox": frozenset({Role.DEPT_HANDLER}),
    "map": frozenset(DISTRICT_WIDE_READERS | STREET_STAFF),
    "layers": DISTRICT_KEEPERS,
    "calendar": DISTRICT_KEEPERS,
    # The measures dashboard, its drill-down and league tables: whoever has figures to read
    # (measures_reach decides which: a street desk its street, a grid worker their own).
    "measures": frozenset(MEASURE_READERS | STREET_STAFF | PERSON_MEASURED),
    # The big screen (大屏) of the command centre's wall and the leaders' offices.
    "bigscreen": frozenset({Role.COMMAND_CENTRE, Role.LEADER, Role.SUPERVISOR}),
    "hotspots": HOTSPOT_READERS,
    # The monthly PDF reports: REPORT_READERS, each reading the reports may_read_report allows.
    "reports": REPORT_READERS,
    # The resident portal (/resident/): my reports, reporting, comments and ratings. Those
    # who see only their own reports (residents, volunteers, Party members) follow them there.
    "resident": frozenset(OWN_REPORTS_ONLY),
    # The Party organisation tree and map (/party/): its structure is not secret, so the staff
    # who steer or serve the territory read it over their scope; members only where
    # may_read_party_membership says so.
    "party": frozenset(
        {Role.PARTY_STAFF, Role.LEADER, Role.COMMAND_CENTRE, Role.SUPERVISOR, Role.ADMIN}
        | STREET_STAFF
    ),
    # The Party service centres (/party/centres/): public places with their inspections, read
    # by those who read the Party tree, over their scope (centres_reach).
    "centres": frozenset(
        {Role.PARTY_STAFF, Role.LEADER, Role.COMMAND_CENTRE, Role.SUPERVISOR, Role.ADMIN}
        | STREET_STAFF
    ),
    # 双报到 to confirm and confirmed (/party/report-ins/): names who is a Party member, so
    # Party-organisation staff only.
    "report_ins": frozenset({Role.PARTY_STAFF}),
}


def may_view_hotspots(user: User | AnonymousUser) -> bool:
    """Hotspots and surge alerts (page, API, the big screen's feed): HOTSPOT_READERS, over
    their scope."""
    return may_open_page(user, "hotspots")


def may_open_page(user: User | AnonymousUser, page: str) -> bool:
    """Whether `user` may open the web app's `page` (a key of PAGE_ROLES): holding one of its
    roles anywhere. A superuser opens every page; what a page then shows is still decided by
    scope_for and roles_over, where a superuser counts as an administrator (no case action
    without a desk role of its own)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_names(user) & PAGE_ROLES[page])


# Whose main work a page is, where that is fewer than the roles that may open it: street desks
# and grid workers open the measures page for their own figures, but their work is the console
# and the field app; leaders, supervision and the command centre steer by the figures.
LANDING_ROLES: dict[str, frozenset[str]] = {
    "measures": frozenset({Role.LEADER, Role.SUPERVISOR, Role.COMMAND_CENTRE}),
    # Residents open the field app to report too, but their work is the resident portal.
    "field": frozenset(GRID_TEAM),
    "resident": frozenset({Role.RESIDENT}),
}


def landing_page(user: User, order: Sequence[str]) -> str | None:
    """The first page of `order` that the person's work is on: the first whose landing roles
    (LANDING_ROLES, else its PAGE_ROLES) they hold, a superuser counting as an administrator
    (it may open every page, but its work is the console's, not an empty department inbox)."""
    held = role_names(user) | ({Role.ADMIN} if user.is_superuser else set())
    for page in order:
        if held & LANDING_ROLES.get(page, PAGE_ROLES[page]):
            return page
    return None


def may_lift_sign_in_lockout(user: User | AnonymousUser) -> bool:
    """Deleting a failed sign-in count in /admin/ lifts that account's or address's lockout at
    once: superusers only. Administrators and auditors read the counts
    (may_review_sign_ins) but do not lift them."""
    return user.is_authenticated and user.is_superuser


def may_keep_calendar(user: User) -> bool:
    """The holiday schedule every deadline is counted on: administrators and the command
    centre import it (core.holiday_schedule), as they keep the catalogue."""
    return _keeps_the_district(user)


def told_of_missing_calendar(user: User) -> bool:
    """Who is warned that next year has no holiday schedule: those who keep it, and the street
    desks whose deadlines it moves (they ask the administrators)."""
    return _keeps_the_district(user) or bool(role_names(user) & STREET_STAFF)


def mask_phone(phone: str) -> str:
    """A phone as others see it: 138****5678, 022-****1234转****, ******34 (the rule for every
    length and format is in org.phone_masking)."""
    return phone_masking.mask_phone(phone)


def may_manage_api_clients(user: User | AnonymousUser) -> bool:
    """Open311 clients and their keys (open311.services, the admin): administrators only."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Role.ADMIN in role_names(user)


def may_see_delivery_alerts(user: User | AnonymousUser) -> bool:
    """The console's red alert when notifications or forwards to other systems fail (dead,
    retrying long): the district's keepers — the command centre and administrators, a
    superuser counting as one — who run the gateways and the integrations."""
    return user.is_authenticated and _keeps_the_district(user)


# --- Party organisations (一核引领) ---------------------------------------------------------


# The units above a unit's parent read in one query (the tree is city → district → street →
# community: a community's whole chain comes in one row; a deeper tree takes another row).
_ABOVE_PARENT = ("parent_id", "parent__parent_id", "parent__parent__parent_id")


def _unit_and_ancestors(unit: AdminUnit) -> frozenset[int]:
    """The ids of `unit` and every unit above it (a community's street, district and city)."""
    ids = {unit.pk}
    step = unit.parent_id
    while step is not None and step not in ids:
        ids.add(step)
        row = AdminUnit.objects.filter(pk=step).order_by().values_list(*_ABOVE_PARENT).first()
        step = None
        for depth, above in enumerate(row or (), start=1):
            if above is None or above in ids:
                break
            if depth == len(_ABOVE_PARENT):
                step = above  # the row ends below the root: walk on from there
            else:
                ids.add(above)
    return frozenset(ids)


def _party_staff_over(user: User, unit: AdminUnit) -> bool:
    bound = {a.unit_id for a in assignments(user) if a.role == Role.PARTY_STAFF and a.unit_id}
    if not bound:
        return False
    # Staff of the unit itself or of its parent need no walk up the tree.
    if unit.pk in bound or unit.parent_id in bound:
        return True
    # Services ask again and again about the same places (a page of members, the demo's
    # thousands of joins): each unit's chain is read once and kept with the user's roles for
    # the request (forget drops both).
    chains: dict[int, frozenset[int]] = user.__dict__.setdefault("_onegrid_unit_chains", {})
    chain = chains.get(unit.pk)
    if chain is None:
        chain = chains[unit.pk] = _unit_and_ancestors(unit)
    return bool(bound & chain)


def may_read_party_membership(user: User | AnonymousUser, unit: AdminUnit) -> bool:
    """Whether `user` may read who is a Party member at `unit` (a district, street or
    community): Party membership reveals political opinion, sensitive personal data (PIPL art.
    28), so only Party-organisation staff bound to `unit` or a unit above it read it; every such
    read is logged (org.access_log, PARTY_MEMBERSHIP). Administrators, superusers included,
    read it only if they hold that role too: everyone else sees members masked."""
    if not user.is_authenticated:
        return False
    return _party_staff_over(user, unit)


def may_open_party_members_admin(user: User | AnonymousUser) -> bool:
    """The admin's pages of Party members (read-only, each page recorded): superusers and
    Party-organisation staff; the pages and the API scope the rest by place."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Role.PARTY_STAFF in role_names(user)


def party_members_admin_units(user: User) -> set[int] | None:
    """The units whose members (with those standing below them) the admin's member pages list
    for `user`: None for a superuser (every member), else the units its Party-organisation
    staff roles are bound to, as on the Party pages and the API."""
    if user.is_superuser:
        return None
    return {a.unit_id for a in assignments(user) if a.role == Role.PARTY_STAFF and a.unit_id}


def may_keep_party_members(user: User, unit: AdminUnit) -> bool:
    """Joining, transfers (组织关系转接) and leaving of the members of an organisation standing
    at `unit`: whoever may read Party membership there."""
    return may_read_party_membership(user, unit)


def may_keep_party_organisations(user: User, unit: AdminUnit) -> bool:
    """Creating, moving, dissolving Party organisations standing at `unit` and naming their
    secretaries: Party-organisation staff bound to `unit` or above, and the administrators
    (the tree's shape is base data of the district; its members are not theirs to read)."""
    if user.is_superuser or Role.ADMIN in role_names(user):
        return True
    return _party_staff_over(user, unit)


@dataclass(frozen=True)
class PartyTreeReach:
    """Where a person reads the Party organisation tree (its names and shape, not members)."""

    district_wide: bool = False
    street_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    # In a city: the districts read whole (their own district-level organisations too).
    district_ids: frozenset[int] = frozenset()

    @property
    def reads_anything(self) -> bool:
        return self.district_wide or bool(self.street_ids or self.community_ids)


def party_tree_reach(user: User | AnonymousUser) -> PartyTreeReach:
    """The territory whose Party organisations `user` reads: the places their PAGE_ROLES["party"]
    roles are bound to (a superuser: the district). Residents, volunteers, Party members, grid
    teams and departments read none here."""
    if not user.is_authenticated:
        return PartyTreeReach()
    district_wide = user.is_superuser
    streets: set[int] = set()
    communities: set[int] = set()
    whole: set[int] = set()
    for a in assignments(user):
        if a.role not in PAGE_ROLES["party"] or a.unit is None:
            continue
        if _add_binding(user, a.unit, streets, communities):
            district_wide = True
        elif a.unit.level == AdminUnit.Level.DISTRICT:
            whole.add(a.unit.pk)
    return PartyTreeReach(
        district_wide, frozenset(streets), frozenset(communities), frozenset(whole)
    )


# --- A community's lists, co-building units and page (双报到 claims) ---------------------------

# Who keeps a community's three lists and its co-building units, acts for units and partners
# when they claim, and confirms the service done: the Party-organisation staff and volunteer
# organisers of the community, its street or the district. Street desks run cases, not these.
LIST_KEEPERS = frozenset({Role.PARTY_STAFF, Role.ORGANISER})
# Who opens the community page (PAGE_ROLES["community"]) over the whole of it: the territory's
# staff, each within their scope. Volunteers and Party members (OWN_REPORTS_ONLY) open any
# community's page too, to find items to claim, with every person's data masked.
COMMUNITY_PAGE_STAFF = frozenset(
    STREET_STAFF | STAFF_TEAM_ROLES | LIST_KEEPERS | {Role.COMMAND_CENTRE, Role.LEADER}
)
PAGE_ROLES["community"] = frozenset(COMMUNITY_PAGE_STAFF | {Role.VOLUNTEER, Role.PARTY_MEMBER})


def community_place(community: AdminUnit) -> Place:
    return Place(grid_id=None, community_id=community.pk, street_id=community.parent_id)


def may_keep_community_lists(user: User | AnonymousUser, community: AdminUnit) -> bool:
    """Adding, editing and closing list items, registering co-building units, claiming for a
    unit, a partner or a volunteer organisation, and confirming service: LIST_KEEPERS bound to
    the community, its street or the district (a superuser without such a role does not)."""
    if not user.is_authenticated:
        return False
    held = roles_over(user, community_place(community))
    return bool(held & LIST_KEEPERS)


def may_open_community(user: User | AnonymousUser, community: AdminUnit) -> bool:
    """The community page and its API: staff of COMMUNITY_PAGE_STAFF whose scope reaches the
    community (a grid team's through one of its grids), and volunteers and Party members
    anywhere (masked view: may_keep_community_lists and may_read_party_membership decide what
    is shown unmasked). A superuser opens every community."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    held = role_names(user)
    if held & {Role.VOLUNTEER, Role.PARTY_MEMBER}:
        return True
    for a in assignments(user):
        if a.role not in COMMUNITY_PAGE_STAFF:
            continue
        if a.grid_id:
            if Grid.objects.filter(pk=a.grid_id, community=community).exists():
                return True
        elif a.unit is not None and (
            _district_binding_covers(user, a.unit, community_place(community))
            or a.unit_id in (community.pk, community.parent_id)
        ):
            return True
    return False


# --- Volunteers and activities (多元参与) ----------------------------------------------------

# Who runs volunteering at a place: a community's or street's volunteer organisers (a district
# organiser everywhere) post and close activities, check real names, read the roster with
# phones and confirm hours. Party-organisation staff also found volunteer organisations
# (志愿服务队 are often set up by the Party branch) but do not run the activities.
VOLUNTEER_ORGANISERS = frozenset({Role.ORGANISER})
VOLUNTEER_ORGANISATION_FOUNDERS = frozenset({Role.ORGANISER, Role.PARTY_STAFF})
# Who may register themselves as a volunteer and use the field app's volunteering pages: the
# accounts that see only their own reports (residents, grid-team volunteers, Party members).
# Registering does not grant the grid-team role VOLUNTEER: a place on a grid team is given by
# the street desks (grantable_team_roles), a registration is only a person offering time.
VOLUNTEERING_ACCOUNTS = frozenset(OWN_REPORTS_ONLY)
PAGE_ROLES["volunteering"] = VOLUNTEERING_ACCOUNTS
PAGE_ROLES["organiser"] = frozenset(VOLUNTEER_ORGANISATION_FOUNDERS)


def _volunteering_place(unit: AdminUnit) -> Place:
    """A community or a street as a Place, for roles_over."""
    if unit.level == AdminUnit.Level.COMMUNITY:
        return Place(grid_id=None, community_id=unit.pk, street_id=unit.parent_id)
    if unit.level == AdminUnit.Level.STREET:
        return Place(grid_id=None, community_id=None, street_id=unit.pk)
    if unit.level == AdminUnit.Level.DISTRICT:
        return Place(grid_id=None, community_id=None, street_id=None, district_id=unit.pk)
    return Place(grid_id=None, community_id=None, street_id=None)


def may_register_as_volunteer(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and bool(role_names(user) & VOLUNTEERING_ACCOUNTS)


def may_organise_volunteers(user: User | AnonymousUser, unit: AdminUnit) -> bool:
    """Posting, cancelling and finishing `unit`'s activities, checking its volunteers' real
    names, reading their phones and confirming hours: organisers bound to the community, its
    street or the district. A superuser counts as a district organiser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(roles_over(user, _volunteering_place(unit)) & VOLUNTEER_ORGANISERS)


def may_found_volunteer_organisation(user: User | AnonymousUser, unit: AdminUnit) -> bool:
    """A volunteer organisation of a community or street: its organisers or its
    Party-organisation staff (bound there or above)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    held = roles_over(user, _volunteering_place(unit))
    return bool(held & VOLUNTEER_ORGANISATION_FOUNDERS)


@dataclass(frozen=True)
class VolunteeringReach:
    """The territory whose volunteers, organisations and activities a person keeps."""

    district_wide: bool = False
    street_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    # In a city: the districts read whole (their own district-level organisations too).
    district_ids: frozenset[int] = frozenset()


def volunteering_reach(user: User | AnonymousUser) -> VolunteeringReach:
    """Where `user` reads the organiser pages' rows: the places their organiser or Party-staff
    roles are bound to (a superuser: the district)."""
    if not user.is_authenticated:
        return VolunteeringReach()
    district_wide = user.is_superuser
    streets: set[int] = set()
    communities: set[int] = set()
    whole: set[int] = set()
    for a in assignments(user):
        if a.role not in VOLUNTEER_ORGANISATION_FOUNDERS or a.unit is None:
            continue
        if _add_binding(user, a.unit, streets, communities):
            district_wide = True
        elif a.unit.level == AdminUnit.Level.DISTRICT:
            whole.add(a.unit.pk)
    return VolunteeringReach(
        district_wide, frozenset(streets), frozenset(communities), frozenset(whole)
    )


# --- Points and the points store (积分, 积分超市) ----------------------------------------------

# Who holds points and opens "my points" in the field app (/field/points/): the grid teams,
# volunteers and Party members among them, and residents (a verified report earns points).
PAGE_ROLES["points"] = frozenset(GRID_TEAM | OWN_REPORTS_ONLY)
# The points-store counter (/volunteers/counter/) and its stock: volunteer organisers.
POINTS_CLERKS = frozenset({Role.ORGANISER})
PAGE_ROLES["counter"] = POINTS_CLERKS


def _unit_place(unit: AdminUnit) -> Place:
    """A street or community as a Place, for roles_over (a street's place has no community)."""
    if unit.level == AdminUnit.Level.COMMUNITY:
        return Place(grid_id=None, community_id=unit.pk, street_id=unit.parent_id)
    if unit.level == AdminUnit.Level.STREET:
        return Place(grid_id=None, community_id=None, street_id=unit.pk)
    if unit.level == AdminUnit.Level.DISTRICT:
        return Place(grid_id=None, community_id=None, street_id=None, district_id=unit.pk)
    return Place(grid_id=None, community_id=None, street_id=None)


def may_serve_points_counter(user: User | AnonymousUser, unit: AdminUnit) -> bool:
    """Redeeming, cancelling redemptions and keeping the items and stock of the points store of
    `unit` (a community or street): volunteer organisers bound to it, its street or the
    district. A superuser without that role does not: every redemption names a clerk."""
    if not user.is_authenticated:
        return False
    return bool(roles_over(user, _unit_place(unit)) & POINTS_CLERKS)


def points_counter_units(user: User | AnonymousUser) -> list[AdminUnit]:
    """The units whose points-store counter `user` serves (where their ORGANISER roles are
    bound); empty for everyone else."""
    if not user.is_authenticated:
        return []
    return [a.unit for a in assignments(user) if a.role in POINTS_CLERKS and a.unit is not None]


def may_configure_points_rules(user: User | AnonymousUser) -> bool:
    """The district's points rules (points per hour, per verified report, per confirmed claim):
    administrators, and Party-organisation staff or volunteer organisers bound to the district."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or Role.ADMIN in role_names(user):
        return True
    return any(
        a.role in (Role.PARTY_STAFF, Role.ORGANISER)
        and a.unit is not None
        and _reads_every_district(a.unit)
        for a in assignments(user)
    )


def may_adjust_points(user: User | AnonymousUser) -> bool:
    """A correction of someone's points (with a reason, on the ledger like any entry): the
    administrators only."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Role.ADMIN in role_names(user)


# --- 双报到 and the Party service centres ----------------------------------------------------


def may_report_in_member(user: User, *, member_user_id: int | None, home: AdminUnit) -> bool:
    """Whether `user` may report a member in (双报到) to their home community `home`: the member
    themselves (their linked account), or Party-organisation staff over that community."""
    if member_user_id is not None and user.pk == member_user_id:
        return True
    return _party_staff_over(user, home)


def may_report_in_unit(user: User, *, secretary_id: int | None, place: AdminUnit) -> bool:
    """Whether `user` may report a unit's Party organisation in to the community where it
    stands (`place`): its secretary, or Party-organisation staff over that community."""
    if secretary_id is not None and user.pk == secretary_id:
        return True
    return _party_staff_over(user, place)


def may_decide_report_in(user: User, community: AdminUnit) -> bool:
    """Confirming or declining a report-in, and ending one: the community's side of 双报到,
    Party-organisation staff bound to the community or above (never the one reporting in)."""
    return _party_staff_over(user, community)


def may_keep_centres(user: User, unit: AdminUnit) -> bool:
    """Registering and changing the Party service centre of a street or community, and
    inspecting it: Party-organisation staff bound to it or above."""
    return _party_staff_over(user, unit)


def may_configure_centre_checklist(user: User) -> bool:
    """The district's standardisation checklist for the centres: the administrators and the
    district's Party-organisation staff."""
    if user.is_superuser or Role.ADMIN in role_names(user):
        return True
    return any(
        a.role == Role.PARTY_STAFF and a.unit is not None and _reads_every_district(a.unit)
        for a in assignments(user)
    )


def centres_reach(user: User | AnonymousUser) -> PartyTreeReach:
    """Where `user` reads the Party service centres: the places their PAGE_ROLES["centres"]
    roles are bound to (the same readers as the Party tree)."""
    return party_tree_reach(user)


# --- participation measures (insight.participation) ------------------------------------------

# Who reads the participation measures (reports, claims and hours by Party members, volunteers
# and units; 双报到 coverage; whistle response), place by place: the measures' readers of places
# (measures_reach: leaders, supervision, the command centre, administrators, street desks, grid
# workers and grid heads for their grid) and the Party-organisation staff over the unit they
# are bound to. Department handlers' figures are their department's: participation is
# measured by place, so they read none of it.
PARTICIPATION_READERS = frozenset(MEASURE_READERS | STREET_STAFF | CHECKERS | {Role.PARTY_STAFF})
PAGE_ROLES["participation"] = PARTICIPATION_READERS


def participation_reach(user: User | AnonymousUser) -> MeasuresReach:
    """The places whose participation figures `user` reads: measures_reach's places, and the
    unit each PARTY_STAFF role is bound to (the district, a street or a community)."""
    if not user.is_authenticated:
        return MeasuresReach()
    reach = measures_reach(user)
    district_wide = reach.district_wide
    streets, communities = set(reach.street_ids), set(reach.community_ids)
    for a in assignments(user):
        if a.role != Role.PARTY_STAFF or a.unit is None:
            continue
        if _add_binding(user, a.unit, streets, communities):
            district_wide = True
    return MeasuresReach(
        district_wide=district_wide,
        street_ids=frozenset(streets),
        community_ids=frozenset(communities),
        grid_ids=reach.grid_ids,
    )


def may_read_participation(user: User | AnonymousUser, *, place: Place | None) -> bool:
    """Whether `user` reads the participation figures of `place` (a street, community or
    grid; None: the whole district)."""
    reach = participation_reach(user)
    if place is None:
        return reach.district_wide
    return reach.covers(place)


# --- Resident deliberation (议事协商) --------------------------------------------------------

# Who keeps a community's deliberation: its committee members (居委会成员) bound to the
# community or its street, and the district's administrators. They keep the voter roll (and so
# read it unmasked), review topics, hold meetings, record proposals and run the votes.
DELIBERATION_KEEPERS = frozenset({Role.COMMUNITY_COMMITTEE, Role.ADMIN})
# Who reads a community's deliberation (topics, meetings, proposals; the roll masked) without
# keeping it: those who steer by the figures and the street desks, within their scope.
DELIBERATION_STAFF_READERS = frozenset(MEASURE_READERS | STREET_STAFF)
# The committee desk (/deliberation/): keepers and staff readers.
PAGE_ROLES["deliberation"] = frozenset(DELIBERATION_KEEPERS | DELIBERATION_STAFF_READERS)
# The resident pages (/resident/deliberation/): the accounts that speak for themselves
# (residents, volunteers, Party members): apply to the roll, raise and co-sign topics.
DELIBERATION_ACCOUNTS = frozenset(OWN_REPORTS_ONLY)
PAGE_ROLES["resident_deliberation"] = DELIBERATION_ACCOUNTS


def may_keep_deliberation(user: User | AnonymousUser, community: AdminUnit) -> bool:
    """Checking identities on the roll, refusing and removing voters, raising topics straight
    to review, reviewing, meetings, minutes, attachments and proposals: a COMMUNITY_COMMITTEE
    bound to the community or its street, or an administrator of the district (a superuser
    counts as one)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    for a in assignments(user):
        if a.unit is None:
            continue
        if a.role == Role.COMMUNITY_COMMITTEE and a.unit_id in (community.pk, community.parent_id):
            return True
        if a.role == Role.ADMIN and _district_binding_covers(
            user, a.unit, community_place(community)
        ):
            return True
    return False


def may_read_deliberation(
    user: User | AnonymousUser, community: AdminUnit, *, on_roll: bool = False
) -> bool:
    """Reading a community's topics, meetings (with their attachments) and proposals: its
    keepers; DELIBERATION_STAFF_READERS whose scope reaches the community; and a resident
    account on the community's roll (`on_roll`: a verified roll entry there, which the
    caller's selector looks up)."""
    if not user.is_authenticated:
        return False
    if may_keep_deliberation(user, community):
        return True
    if on_roll and role_names(user) & DELIBERATION_ACCOUNTS:
        return True
    held = roles_over(user, community_place(community))
    return bool(held & DELIBERATION_STAFF_READERS)


def may_read_voter_roll(user: User | AnonymousUser, community: AdminUnit) -> bool:
    """Names on the roll unmasked (each read logged, kind VOTER): the roll's keepers only.
    Staff readers see the roll's entries masked."""
    return may_keep_deliberation(user, community)


def deliberation_keeper_ids(community: AdminUnit) -> list[int]:
    """Who hears that a topic of `community` awaits review: the committee members bound to the
    community or its street (the district's administrators are not told of every topic)."""
    return holder_ids({Role.COMMUNITY_COMMITTEE}, [community.pk, community.parent_id])


def may_take_part_in_deliberation(user: User | AnonymousUser) -> bool:
    """Applying to the roll, raising a topic and co-signing (the service then checks the roll
    entry and the topic's place): resident accounts (DELIBERATION_ACCOUNTS)."""
    if not user.is_authenticated:
        return False
    return bool(role_names(user) & DELIBERATION_ACCOUNTS)


def deliberation_reach(user: User | AnonymousUser) -> Scope | None:
    """The communities whose deliberation `user` reads as staff: None for none; a Scope
    (district_wide, street_ids, community_ids, grid_ids) otherwise. Keepers bound to a
    community or street read it; staff readers their scope."""
    if not user.is_authenticated:
        return None
    scope = Scope(user_id=user.pk)
    found = False
    if user.is_superuser:
        scope.district_wide = True
        return scope
    for a in assignments(user):
        if a.unit is None:
            continue
        level = a.unit.level
        district = level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY)
        # The same bindings as may_keep_deliberation and may_read_deliberation.
        if a.role == Role.COMMUNITY_COMMITTEE and district:
            continue
        if a.role not in DELIBERATION_KEEPERS | DELIBERATION_STAFF_READERS:
            continue
        found = True
        if _add_binding(user, a.unit, scope.street_ids, scope.community_ids):
            scope.district_wide = True
        elif level == AdminUnit.Level.DISTRICT:
            scope.bound_district_ids.add(a.unit.pk)
    return scope if found else None


# --- People's mediation (人民调解) ----------------------------------------------------------

# A dispute's content (facts, claims, parties, sessions, the agreement) is confidential
# (人民调解法 art. 15, PIPL): only the mediators of the committee that holds it and the judicial
# office over its street (司法所) or the district (司法局) read it. Administrators, superusers,
# leaders and street desks do not: they hold no role here. Street desks read a register line
# (number, type, state, dates; no names, no content) of the disputes of their street.
MEDIATION_READERS = frozenset({Role.MEDIATOR, Role.JUDICIAL_OFFICE})
MEDIATION_REGISTER_LINE_READERS = frozenset(STREET_STAFF)
PAGE_ROLES["mediation"] = frozenset(MEDIATION_READERS | MEDIATION_REGISTER_LINE_READERS)
# Residents apply for mediation in the resident portal (/resident/mediation/).
MEDIATION_APPLICANTS = frozenset({Role.RESIDENT})


def _bound_units(user: User, role: str) -> set[int]:
    return {a.unit_id for a in assignments(user) if a.role == role and a.unit_id}


def _bound_district_wide(user: User, role: str) -> bool:
    return any(
        a.role == role and a.unit is not None and _reads_every_district(a.unit)
        for a in assignments(user)
    )


def _dispute_committee_units(dispute: Any) -> set[int]:
    """The units whose mediators hold `dispute`: its committee's unit once accepted; before
    that the units a committee for its place may stand at (its community, its street)."""
    committee = getattr(dispute, "committee", None) if dispute.committee_id else None
    if committee is not None:
        return {committee.unit_id}
    return {u for u in (dispute.community_id, dispute.street_id) if u}


def is_mediator_of(user: User | AnonymousUser, committee_unit_id: int | None) -> bool:
    """Whether `user` holds Role.MEDIATOR bound to the committee's unit."""
    if not user.is_authenticated or committee_unit_id is None:
        return False
    return committee_unit_id in _bound_units(user, Role.MEDIATOR)


def _judicial_office_over(user: User, street_id: int | None) -> bool:
    if _bound_district_wide(user, Role.JUDICIAL_OFFICE):
        return True
    if street_id is None:
        return False
    place = Place(None, None, street_id)
    return any(
        a.role == Role.JUDICIAL_OFFICE
        and a.unit is not None
        and (a.unit_id == street_id or _district_binding_covers(user, a.unit, place))
        for a in assignments(user)
    )


def may_read_dispute(user: User | AnonymousUser, dispute: Any) -> bool:
    """Whether `user` reads the content of `dispute` (facts, claims, parties, sessions, the
    agreement): mediators bound to its committee's unit (before acceptance: to its community
    or street), and the judicial office bound to its street or the district. Nobody else: not
    administrators, superusers, leaders or street desks. Every such read is logged
    (PersonalDataRead, MEDIATION)."""
    if not user.is_authenticated:
        return False
    if _bound_units(user, Role.MEDIATOR) & _dispute_committee_units(dispute):
        return True
    return _judicial_office_over(user, dispute.street_id)


def may_act_on_dispute(user: User | AnonymousUser, dispute: Any) -> bool:
    """Accepting, declining, assigning mediators, sessions, the outcome, follow-ups, closing,
    withdrawing on the applicant's behalf and the one extension: the mediators of the committee
    that holds it (before acceptance: of its community or street). The judicial office reads
    and guides; it does not mediate."""
    if not user.is_authenticated:
        return False
    return bool(_bound_units(user, Role.MEDIATOR) & _dispute_committee_units(dispute))


def may_see_dispute_register(user: User | AnonymousUser, *, street_id: int | None) -> bool:
    """A register line (number, type, state, dates; no names, no content) of the disputes of
    `street_id`: street desks bound to the street or the district, and whoever reads disputes
    there (mediators and the judicial office)."""
    if not user.is_authenticated or street_id is None:
        return False
    held = roles_over(user, Place(grid_id=None, community_id=None, street_id=street_id))
    if user.is_superuser:
        held.discard(Role.ADMIN)
    return bool(held & (MEDIATION_REGISTER_LINE_READERS | {Role.JUDICIAL_OFFICE}))


@dataclass(frozen=True)
class MediationReach:
    """Where a person reads the mediation register: units whose committees' disputes they read
    in full (mediator_units), streets where they read them in full (judicial), and streets
    where they read register lines only (lines)."""

    district_wide: bool = False
    mediator_units: frozenset[int] = frozenset()
    judicial_street_ids: frozenset[int] = frozenset()
    line_street_ids: frozenset[int] = frozenset()
    lines_district_wide: bool = False

    @property
    def reads_anything(self) -> bool:
        return bool(
            self.district_wide
            or self.mediator_units
            or self.judicial_street_ids
            or self.line_street_ids
            or self.lines_district_wide
        )


def mediation_reach(user: User | AnonymousUser) -> MediationReach:
    """The disputes `user` finds in the register (the selectors scope by it): mediators their
    committees', the judicial office its street's or the district's, street desks register
    lines of their street (the district's, when bound there). A superuser holds none of it."""
    if not user.is_authenticated:
        return MediationReach()
    judicial: set[int] = set()
    lines: set[int] = set()
    lines_district = False
    for a in assignments(user):
        if a.unit is None:
            continue
        wide = _reads_every_district(a.unit)
        in_district = a.unit.level == AdminUnit.Level.DISTRICT and not wide
        if a.role == Role.JUDICIAL_OFFICE and a.unit.level == AdminUnit.Level.STREET:
            judicial.add(a.unit.pk)
        elif a.role == Role.JUDICIAL_OFFICE and in_district:  # a city's district (司法局)
            judicial.update(_district_street_ids(user, a.unit.pk))
        elif a.role in MEDIATION_REGISTER_LINE_READERS:
            if wide:
                lines_district = True
            elif in_district:
                lines.update(_district_street_ids(user, a.unit.pk))
            elif a.unit.level == AdminUnit.Level.STREET:
                lines.add(a.unit.pk)
            elif a.unit.level == AdminUnit.Level.COMMUNITY and a.unit.parent_id:
                lines.add(a.unit.parent_id)
    return MediationReach(
        district_wide=_bound_district_wide(user, Role.JUDICIAL_OFFICE),
        mediator_units=frozenset(_bound_units(user, Role.MEDIATOR)),
        judicial_street_ids=frozenset(judicial),
        line_street_ids=frozenset(lines),
        lines_district_wide=lines_district,
    )


def may_refer_case_to_mediation(user: User | AnonymousUser, place: Place) -> bool:
    """The case page's "转人民调解": the street desks over the case's street, and the mediators
    bound to its community or street."""
    if not user.is_authenticated:
        return False
    if bool(roles_over(user, Place(None, None, place.street_id)) & STREET_STAFF):
        return True
    mediator_units = _bound_units(user, Role.MEDIATOR)
    return bool(mediator_units & {place.community_id, place.street_id})


def may_register_dispute(user: User | AnonymousUser, *, community_id: int, street_id: int) -> bool:
    """A walk-in or a referral registered at the committee: mediators bound to the community or
    its street."""
    if not user.is_authenticated:
        return False
    return bool(_bound_units(user, Role.MEDIATOR) & {community_id, street_id})


def may_register_screened_dispute(user: User | AnonymousUser, place: Place) -> bool:
    """A dispute found in a monthly screening, registered by the grid's worker or head."""
    if not user.is_authenticated:
        return False
    return bool(roles_over(user, place) & CHECKERS) or bool(
        _bound_units(user, Role.MEDIATOR) & {place.community_id, place.street_id}
    )


def may_apply_for_mediation(user: User | AnonymousUser) -> bool:
    """A resident applies for mediation of their own dispute (/resident/mediation/)."""
    return user.is_authenticated and bool(role_names(user) & MEDIATION_APPLICANTS)


def may_keep_mediation_committees(user: User | AnonymousUser, unit: AdminUnit) -> bool:
    """Setting up and changing the mediation committee of a street or community: the judicial
    office bound to its street or the district, and the administrators (a committee's name and
    address are base data; its files are not theirs to read)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or Role.ADMIN in role_names(user):
        return True
    street_id = unit.pk if unit.level == AdminUnit.Level.STREET else unit.parent_id
    return _judicial_office_over(user, street_id)


def may_open_disputes_admin(user: User | AnonymousUser) -> bool:
    """The admin's dispute pages (read-only, each page recorded): only mediators and the
    judicial office; the admin lists for them what may_read_dispute allows."""
    return user.is_authenticated and bool(role_names(user) & MEDIATION_READERS)


# --- Mediation agreements and judicial confirmation (人民调解协议书, 司法确认) -------------

# The agreement is part of the dispute's confidential file: whoever reads the dispute
# (may_read_dispute) reads it and downloads its PDF (each read logged, MEDIATION). The
# committee's mediators record it, as they record every step of the mediation
# (may_act_on_dispute). The parties' joint application for judicial confirmation and the court's
# ruling are recorded by the mediators (who help the parties apply) or by the judicial office
# over the dispute, which follows the confirmations of its street.


def may_record_agreement(user: User | AnonymousUser, dispute: object) -> bool:
    """Recording the agreement the parties reached (and so the dispute's AGREED outcome)."""
    return may_act_on_dispute(user, dispute)


def may_record_judicial_confirmation(user: User | AnonymousUser, dispute: object) -> bool:
    """Recording the application for judicial confirmation and the court's ruling (`dispute`: a
    mediation.Dispute, which this module may not import)."""
    return may_act_on_dispute(user, dispute) or (
        isinstance(user, User)
        and user.is_authenticated
        and _judicial_office_over(user, getattr(dispute, "street_id", None))
    )


# --- Screening, risks and legal advice (矛盾纠纷排查, 不稳定因素, 一村一法律顾问) --------------

# The monthly dispute screening of a grid (mediation.screening) is the grid's checkers' work:
# its grid worker and grid head, bound to it, in the field app (/field/screening/).
SCREENERS = CHECKERS
PAGE_ROLES["screening"] = frozenset(SCREENERS)
# Who keeps the risk register (raise a risk, follow it up, change its level, resolve it): the
# grid's checkers over their grid, the street desks over their street and the judicial office
# (司法所 of a street, 司法局 of the district) over theirs. Who reads it besides: the grid's
# other staff places (police officer, building head) and, read-only, the leaders and the
# command centre over the unit they are bound to, and the people's mediators over the unit
# (community or street) they are bound to, who follow the disputes found early. A risk
# names no personal data beyond its owner (a member of staff); the register is not
# confidential as a dispute's file is.
RISK_KEEPERS = frozenset(SCREENERS | STREET_STAFF | {Role.JUDICIAL_OFFICE})
RISK_READERS = frozenset(
    RISK_KEEPERS | STAFF_TEAM_ROLES | {Role.LEADER, Role.COMMAND_CENTRE, Role.MEDIATOR}
)
PAGE_ROLES["risks"] = RISK_READERS
# Who hears of a high risk once (Risk.escalated_at): the street's shift leads and the judicial
# office bound to the street (the district's when the street has none).
RISK_ESCALATION_ROLES = frozenset({Role.SHIFT_LEAD, Role.JUDICIAL_OFFICE})
# A resident asks their community's legal adviser (/resident/legal/); the advisers bound to a
# community answer its questions (/legal/). Questions are personal: nobody else reads them,
# not administrators, not superusers, not the judicial office (each adviser read is logged,
# LEGAL_QUESTION).
LEGAL_ASKERS = frozenset(OWN_REPORTS_ONLY)
PAGE_ROLES["resident_legal"] = LEGAL_ASKERS
PAGE_ROLES["legal"] = frozenset({Role.LEGAL_ADVISER})
# Who appoints a community's legal adviser (一村（社区）一法律顾问 is organised by the judicial
# administration): the judicial office bound to the community's street or the district, and
# the district's administrators. Nobody appoints themselves, and the adviser's account is a
# staff account, never a resident's.
LEGAL_ADVISER_APPOINTERS = frozenset({Role.JUDICIAL_OFFICE, Role.ADMIN})
# The appointers' page (/legal/advisers/): the communities in their reach (legal_adviser_reach)
# with their advisers, the forms to appoint and dismiss, and the oversight of answers: the
# questions open or answered late, by community, times and adviser only, never the question's
# or the answer's text nor the asker (who may read a question stays may_read_legal_question).
PAGE_ROLES["legal_advisers"] = LEGAL_ADVISER_APPOINTERS


def may_screen_grid(user: User | AnonymousUser, grid: Grid) -> bool:
    """Recording `grid`'s monthly screening: its grid worker or grid head (bound to the grid)."""
    if not user.is_authenticated:
        return False
    return any(a.role in SCREENERS and a.grid_id == grid.pk for a in assignments(user))


def screening_grid_ids(user: User | AnonymousUser) -> list[int]:
    """The grids whose monthly screening `user` records (their grid-worker and grid-head
    places)."""
    if not user.is_authenticated:
        return []
    return sorted({a.grid_id for a in assignments(user) if a.role in SCREENERS and a.grid_id})


def may_keep_risk(user: User | AnonymousUser, place: Place) -> bool:
    """Raising, following up and resolving a risk at `place`: RISK_KEEPERS over it (a grid's
    checkers for that grid, street desks and the judicial office for their street or the
    district). A superuser without such a role does not: every step names who took it."""
    if not user.is_authenticated:
        return False
    return _holds_risk_role(user, place, RISK_KEEPERS)


def _holds_risk_role(user: User, place: Place, roles: frozenset[str]) -> bool:
    for a in assignments(user):
        if a.role not in roles:
            continue
        if a.grid_id:
            if place.grid_id is not None and a.grid_id == place.grid_id:
                return True
            continue
        if a.unit is not None:
            level = a.unit.level
            if (
                (
                    level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY)
                    and _district_binding_covers(user, a.unit, place)
                )
                or (level == AdminUnit.Level.STREET and a.unit_id == place.street_id)
                or (level == AdminUnit.Level.COMMUNITY and a.unit_id == place.community_id)
            ):
                return True
    return False


def may_read_risk(user: User | AnonymousUser, place: Place) -> bool:
    """Reading a risk at `place`: RISK_READERS over it. A superuser reads the district's."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or _holds_risk_role(user, place, RISK_READERS)


def risk_reach(user: User | AnonymousUser) -> Scope | None:
    """Where `user` reads the risk register: None for nowhere; else a Scope of the grids,
    communities and streets their RISK_READERS roles are bound to (district-wide for a
    district binding or a superuser)."""
    if not user.is_authenticated:
        return None
    scope = Scope(user_id=user.pk)
    found = user.is_superuser
    scope.district_wide = user.is_superuser
    for a in assignments(user):
        if a.role not in RISK_READERS:
            continue
        if a.grid_id:
            scope.grid_ids.add(a.grid_id)
            found = True
        elif a.unit is not None:
            found = True
            if _add_binding(user, a.unit, scope.street_ids, scope.community_ids):
                scope.district_wide = True
            elif a.unit.level == AdminUnit.Level.DISTRICT:
                scope.bound_district_ids.add(a.unit.pk)
    return scope if found else None


def may_own_risk(person: User, place: Place) -> bool:
    """Whether `person` may be named a risk's owner (the one responsible for following it up):
    an active staff account holding a RISK_KEEPERS role over the risk's place."""
    return person.is_active and _holds_risk_role(person, place, RISK_KEEPERS)


def may_ask_legal_adviser(user: User | AnonymousUser) -> bool:
    """Asking a community's legal adviser: resident accounts (LEGAL_ASKERS)."""
    return user.is_authenticated and bool(role_names(user) & LEGAL_ASKERS)


def is_legal_adviser_of(user: User | AnonymousUser, community_id: int) -> bool:
    """A LEGAL_ADVISER bound to that very community (not to its street or the district)."""
    if not user.is_authenticated:
        return False
    return any(
        a.role == Role.LEGAL_ADVISER and a.unit_id == community_id for a in assignments(user)
    )


def legal_adviser_community_ids(user: User | AnonymousUser) -> list[int]:
    """The communities whose questions `user` answers."""
    if not user.is_authenticated:
        return []
    return sorted(
        {a.unit_id for a in assignments(user) if a.role == Role.LEGAL_ADVISER and a.unit_id}
    )


def may_read_legal_question(
    user: User | AnonymousUser, *, asked_by_id: int, community_id: int
) -> bool:
    """A question and its answer: the resident who asked it and the advisers of its community;
    nobody else (administrators and superusers included)."""
    if not user.is_authenticated:
        return False
    return user.pk == asked_by_id or is_legal_adviser_of(user, community_id)


def may_appoint_legal_adviser(
    actor: User | AnonymousUser, *, person: User, community: AdminUnit
) -> bool:
    """Giving (or taking away) Role.LEGAL_ADVISER bound to `community`: the judicial office
    bound to its street or the district, or an administrator of the district (a superuser
    counts as one); never to oneself, and never to a resident's account."""
    if not actor.is_authenticated or person.pk == actor.pk:
        return False
    if _is_resident_account(person):
        return False
    return appoints_legal_advisers_at(actor, community)


def appoints_legal_advisers_at(actor: User | AnonymousUser, community: AdminUnit) -> bool:
    """Whether `actor` appoints anyone as `community`'s legal adviser (the appointer's half of
    may_appoint_legal_adviser): asked before the person named is looked up, so that no one else
    learns which usernames (a resident's is their phone) have an account."""
    if not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    for a in assignments(actor):
        if a.role not in LEGAL_ADVISER_APPOINTERS or a.unit is None:
            continue
        if a.unit.level in (
            AdminUnit.Level.DISTRICT,
            AdminUnit.Level.CITY,
        ) and _district_binding_covers(actor, a.unit, community_place(community)):
            return True
        if a.role == Role.JUDICIAL_OFFICE and a.unit_id == community.parent_id:
            return True
    return False


def legal_adviser_reach(actor: User | AnonymousUser) -> Scope | None:
    """The communities whose advisers `actor` appoints (appoints_legal_advisers_at), as a Scope:
    district_wide for the district's judicial office, an administrator or a superuser, else the
    streets of the judicial office's places; None for nowhere."""
    if not actor.is_authenticated:
        return None
    scope = Scope(user_id=actor.pk)
    scope.district_wide = actor.is_superuser
    for a in assignments(actor):
        if a.role not in LEGAL_ADVISER_APPOINTERS or a.unit is None:
            continue
        if _reads_every_district(a.unit):
            scope.district_wide = True
        elif a.unit.level == AdminUnit.Level.DISTRICT:
            scope.street_ids.update(_district_street_ids(actor, a.unit.pk))
            scope.bound_district_ids.add(a.unit.pk)
        elif a.role == Role.JUDICIAL_OFFICE and a.unit.level == AdminUnit.Level.STREET:
            scope.street_ids.add(a.unit.pk)
    return scope if scope.district_wide or scope.street_ids else None


# --- Measures of 自治 and 法治 (insight.governance) ---------------------------------------------

# Who reads the governance measures (/console/governance/, /api/v1/insight/governance): counts
# only, never a dispute's content or a name. Three sections, each with its own readers, over the
# unit (or grid) their role is bound to:
# - "mediation" (mediation success and on-time rates, disputes per 10,000 residents,
#   recurrence): those who steer by the figures (leaders, supervision, the command centre,
#   administrators), the judicial office, the street desks, and the mediators (their
#   committee's unit);
# - "stability" (screening coverage, risks open by level, escalations): the same, mediators
#   aside;
# - "deliberation" (participation, co-signatures, topics by state, decisions carried out): the
#   same, mediators aside, and the community committee members (their community).
GOVERNANCE_SECTIONS = ("mediation", "stability", "deliberation")
_GOVERNANCE_STEERING = frozenset(MEASURE_READERS | {Role.JUDICIAL_OFFICE} | STREET_STAFF)
GOVERNANCE_READERS: dict[str, frozenset[str]] = {
    "mediation": frozenset(_GOVERNANCE_STEERING | {Role.MEDIATOR}),
    "stability": _GOVERNANCE_STEERING,
    "deliberation": frozenset(_GOVERNANCE_STEERING | {Role.COMMUNITY_COMMITTEE}),
}
PAGE_ROLES["governance"] = frozenset().union(*GOVERNANCE_READERS.values())
# Nobody's main work: the page is in the menu of its readers, who land on their desks.
LANDING_ROLES["governance"] = frozenset()


def governance_reach(user: User | AnonymousUser, section: str) -> MeasuresReach:
    """The places whose `section` figures (GOVERNANCE_SECTIONS) `user` reads: the unit or grid
    each of their roles among GOVERNANCE_READERS[section] is bound to (a district binding: the
    whole district). A superuser reads the whole district, as the other measures."""
    if not user.is_authenticated or section not in GOVERNANCE_READERS:
        return MeasuresReach()
    readers = GOVERNANCE_READERS[section]
    district_wide = user.is_superuser
    streets: set[int] = set()
    communities: set[int] = set()
    grids: set[int] = set()
    for a in assignments(user):
        if a.role not in readers:
            continue
        if a.unit is not None:
            if _add_binding(user, a.unit, streets, communities):
                district_wide = True
        elif a.grid_id:
            grids.add(a.grid_id)
    return MeasuresReach(
        district_wide=district_wide,
        street_ids=frozenset(streets),
        community_ids=frozenset(communities),
        grid_ids=frozenset(grids),
    )


def may_read_governance(user: User | AnonymousUser, *, section: str, place: Place | None) -> bool:
    """Whether `user` reads the `section` figures of `place` (a street, community or grid;
    None: the whole district)."""
    reach = governance_reach(user, section)
    if place is None:
        return reach.district_wide
    return reach.covers(place)
