"""Writes for grid teams (1+3+N): the district's slot configuration, members, the duty roster.

Every grid has one team: one accountable full-time grid worker (the core "1"), standing helpers
(the "3": grid head, community police officer, building heads…) and any number of volunteers and
Party members (the "N"). The shape is configurable per district (`TeamSlot`, one row per role);
until a district configures it, `DEFAULT_SLOTS` applies.

Only administrators and the district command centre may change the slot configuration; they and
the street staff of a grid's street may change that grid's team and roster. Who may give whom
which place is org.policies.check_team_change: staff places (grid worker, grid head, police
officer, building head) only from administrators and the command centre, volunteer places also
from the street's staff, nobody their own. Each function is one transaction and raises a
DomainError naming the field at fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.territory.models import Grid

from . import policies
from .models import DutyShift, Role, RoleAssignment, TeamSlot, User


@dataclass(frozen=True)
class SlotSpec:
    role: str
    label: str
    group: str
    minimum: int
    order: int


# The default 1+3+N shape (Beichen): 1 full-time grid worker; 3 helpers — the grid head, the
# community police officer and a building head; N volunteers and Party members.
DEFAULT_SLOTS: list[SlotSpec] = [
    SlotSpec(Role.GRID_WORKER, "专职网格员", TeamSlot.Group.CORE, 1, 10),
    SlotSpec(Role.GRID_HEAD, "网格长", TeamSlot.Group.HELPER, 1, 20),
    SlotSpec(Role.POLICE_OFFICER, "社区民警", TeamSlot.Group.HELPER, 1, 30),
    SlotSpec(Role.BUILDING_HEAD, "楼栋长", TeamSlot.Group.HELPER, 1, 40),
    SlotSpec(Role.PARTY_MEMBER, "党员", TeamSlot.Group.VOLUNTEER, 0, 50),
    SlotSpec(Role.VOLUNTEER, "志愿者", TeamSlot.Group.VOLUNTEER, 0, 60),
]

MAX_MINIMUM = 50
MAX_SHIFT = dt.timedelta(days=7)
# Times outside these years are typing errors (0001-01-01, 9999-12-31); refusing them also keeps
# the arithmetic and the time-zone conversions on them from overflowing.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def current_slots() -> list[TeamSlot]:
    """The configured slots in order; the (unsaved) defaults when none are configured."""
    slots = list(TeamSlot.objects.all())
    if slots:
        return slots
    return [
        TeamSlot(role=s.role, label=s.label, group=s.group, minimum=s.minimum, order=s.order)
        for s in DEFAULT_SLOTS
    ]


def default_label(role: str) -> str:
    """The role's name in the district's language (settings.LANGUAGE_CODE), whatever the
    language of the request: what a slot shows when no label was typed for it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(Role(role).label)


# --- permissions -----------------------------------------------------------------------------


def may_configure_slots(user: User) -> bool:
    return policies.may_configure_team_slots(user)


def may_manage_team(user: User, grid: Grid) -> bool:
    """Admins, the command centre, and the street staff of the grid's street."""
    return policies.may_manage_team(user, policies.grid_place(grid))


def grantable_roles(user: User, grid: Grid) -> frozenset[str]:
    """The team places `user` may give or take away on `grid` (for the page's role list)."""
    return policies.grantable_team_roles(user, policies.grid_place(grid))


def _require_team_manager(actor: User, grid: Grid) -> None:
    if not may_manage_team(actor, grid):
        raise PermissionDenied(_("You may not change this grid's team."), field="actor")


def _live_grid(grid_code: str, *, lock: bool = False) -> Grid:
    rows = Grid.objects.filter(code=str(grid_code).strip())
    if lock:
        rows = rows.select_for_update()
    grid = rows.first()
    if grid is None:
        raise InvalidInput(
            _("No grid has the code %(code)s.") % {"code": grid_code}, field="grid_code"
        )
    return grid


def _active_user(username: str, *, active: bool = True) -> User:
    users = User.objects.filter(username=str(username).strip())
    user = (users.filter(is_active=True) if active else users).first()
    if user is None:
        raise InvalidInput(
            _("No active user is called %(name)s.") % {"name": username}, field="username"
        )
    return user


# --- slot configuration ----------------------------------------------------------------------


def clean_slot(raw: Mapping[str, object] | SlotSpec, index: int = 0) -> SlotSpec:
    """One slot checked on its own (role, label, group, minimum, order); raises InvalidInput
    naming the field at fault. `index` gives the default order ((index + 1) * 10)."""

    def get(key: str, default: object = None) -> object:
        if isinstance(raw, Mapping):
            return raw.get(key, default)
        return getattr(raw, key, default)

    role = str(get("role", "") or "").strip()
    if role not in {r.value for r in policies.GRID_TEAM}:
        raise InvalidInput(
            _("%(role)s is not a grid team role.") % {"role": role or "-"}, field="role"
        )
    label = str(get("label", "") or "").strip() or default_label(role)
    if len(label) > 50:
        raise InvalidInput(_("A label has at most 50 characters."), field="label")
    group = str(get("group", "") or "").strip()
    if group not in set(TeamSlot.Group.values):
        raise InvalidInput(
            _("%(group)s is not a team group (core, helper or volunteer).")
            % {"group": group or "-"},
            field="group",
        )
    minimum = get("minimum", 0)
    if isinstance(minimum, bool) or not isinstance(minimum, int | str):
        raise InvalidInput(_("The minimum must be a whole number."), field="minimum")
    try:
        minimum = int(minimum)
    except ValueError:
        raise InvalidInput(_("The minimum must be a whole number."), field="minimum") from None
    if not 0 <= minimum <= MAX_MINIMUM:
        raise InvalidInput(
            _("The minimum must lie between 0 and %(max)d.") % {"max": MAX_MINIMUM},
            field="minimum",
        )
    given = get("order", None)
    try:
        if given in (None, ""):
            order = (index + 1) * 10
        elif isinstance(given, int | str | float):
            order = int(given)
        else:
            raise TypeError
    except (TypeError, ValueError):
        raise InvalidInput(_("The order must be a whole number."), field="order") from None
    if not 0 <= order <= 32767:
        raise InvalidInput(_("The order must lie between 0 and 32767."), field="order")
    return SlotSpec(role, label, group, minimum, order)


def _clean_slots(slots: Iterable[Mapping[str, object] | SlotSpec]) -> list[SlotSpec]:
    cleaned: list[SlotSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(slots):
        spec = clean_slot(raw, i)
        if spec.role in seen:
            raise InvalidInput(
                _("The role %(role)s is listed twice.") % {"role": spec.role}, field="role"
            )
        seen.add(spec.role)
        cleaned.append(spec)
    core = [s for s in cleaned if s.group == TeamSlot.Group.CORE]
    if not any(s.role == Role.GRID_WORKER and s.minimum >= 1 for s in core):
        raise InvalidInput(
            _("The core group must hold the full-time grid worker with a minimum of at least 1."),
            field="group",
        )
    return cleaned


def _replace_slots(specs: list[SlotSpec]) -> list[TeamSlot]:
    TeamSlot.objects.exclude(role__in=[s.role for s in specs]).delete()
    result = []
    for s in specs:
        slot, _created = TeamSlot.objects.update_or_create(
            role=s.role,
            defaults={"label": s.label, "group": s.group, "minimum": s.minimum, "order": s.order},
        )
        result.append(slot)
    return result


@transaction.atomic
def configure_slots(
    *, actor: User, slots: Iterable[Mapping[str, object] | SlotSpec]
) -> list[TeamSlot]:
    """Replace the district's team shape with `slots` (dicts or SlotSpec: role, label, group,
    minimum, order). Members already holding a role dropped from the shape keep it."""
    if not may_configure_slots(actor):
        raise PermissionDenied(
            _("Only administrators and the command centre may configure team slots."),
            field="actor",
        )
    return _replace_slots(_clean_slots(list(slots)))


@transaction.atomic
def load_default_slots(*, replace: bool = False) -> list[TeamSlot]:
    """Store DEFAULT_SLOTS (for the demo and `onegrid teams load-default-slots`).

    Without `replace`, a configuration that already exists is left as it is.
    """
    if TeamSlot.objects.exists() and not replace:
        return list(TeamSlot.objects.all())
    return _replace_slots(DEFAULT_SLOTS)


# --- members ---------------------------------------------------------------------------------


def _team_role(role: str) -> str:
    role = str(role or "").strip()
    if role not in {s.role for s in current_slots()}:
        raise InvalidInput(
            _("%(role)s is not one of the district's team slots.") % {"role": role or "-"},
            field="role",
        )
    return role


@transaction.atomic
def add_member(*, actor: User, grid_code: str, username: str, role: str) -> RoleAssignment:
    """Put `username` on the grid's team in `role` (a RoleAssignment bound to the grid).

    Idempotent: when the person already holds exactly this role on the grid, that assignment is
    returned and nothing changes, so a retry is safe. The returned assignment's `replayed`
    attribute says which happened (True: it existed already).
    """
    grid = _live_grid(grid_code, lock=True)
    _require_team_manager(actor, grid)
    role = _team_role(role)
    user = _active_user(username)
    # Before the replay below: a refused grant stays refused, whoever made the place before.
    policies.check_team_change(
        actor, person=user, role=role, place=policies.grid_place(grid), adding=True
    )
    assignment = RoleAssignment.objects.filter(user=user, grid=grid, role=role).first()
    if assignment is not None:
        assignment.user = user
        assignment.replayed = True
        return assignment
    assignment = RoleAssignment.objects.create(user=user, grid=grid, role=role)
    policies.forget(user)
    assignment.replayed = False
    return assignment


@transaction.atomic
def remove_member(*, actor: User, grid_code: str, username: str, role: str) -> bool:
    """Take `username`'s `role` on the grid away; True when it was taken away, False when the
    person did not hold it (a retry, or another desk was quicker: nothing to do).

    When that was the person's last team role on the grid, their future shifts there are
    cancelled and a shift under way ends now; past shifts stay as history. An unknown person or
    a role that is no grid team role is refused.
    """
    grid = _live_grid(grid_code, lock=True)
    _require_team_manager(actor, grid)
    role = str(role or "").strip()
    if role not in {r.value for r in policies.GRID_TEAM}:
        raise InvalidInput(
            _("%(role)s is not a grid team role.") % {"role": role or "-"}, field="role"
        )
    user = _active_user(username, active=False)  # a deactivated person can still leave
    policies.check_team_change(
        actor, person=user, role=role, place=policies.grid_place(grid), adding=False
    )
    deleted, _rows = RoleAssignment.objects.filter(user=user, grid=grid, role=role).delete()
    if not deleted:
        return False
    policies.forget(user)
    if not RoleAssignment.objects.filter(
        user=user, grid=grid, role__in=policies.GRID_TEAM
    ).exists():
        now = clock.now()
        shifts = DutyShift.objects.filter(user=user, grid=grid, ends_at__gt=now)
        shifts.filter(starts_at__gte=now).delete()
        shifts.filter(starts_at__lt=now).update(ends_at=now)
    return True


# --- duty roster -----------------------------------------------------------------------------


def aware_moment(value: object, field: str) -> dt.datetime:
    """`value` if it is a datetime with a time zone between FIRST_YEAR and LAST_YEAR (local
    time); InvalidInput(field=field) otherwise. For the roster's writes and reads."""
    if not isinstance(value, dt.datetime):
        raise InvalidInput(_("A date and time is needed."), field=field)
    if timezone.is_naive(value):
        raise InvalidInput(_("The time must carry a time zone."), field=field)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(
            _("Enter a date between the years %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            field=field,
        )
    return value


@transaction.atomic
def schedule_duty(
    *, actor: User, grid_code: str, username: str, starts_at: dt.datetime, ends_at: dt.datetime
) -> DutyShift:
    """Put a team member of the grid on duty there from `starts_at` to `ends_at`.

    Refused when the shift ends before it starts, lasts more than a week, or overlaps another
    shift of the same person on any grid (back-to-back shifts are fine).

    Idempotent: scheduling exactly the same shift again (same person, grid, start and end) returns
    the shift already there instead of refusing it as an overlap, so a retry is safe. The returned
    shift's `replayed` attribute says which happened (True: it existed already).
    """
    grid = _live_grid(grid_code)
    _require_team_manager(actor, grid)
    starts_at = aware_moment(starts_at, "starts_at")
    ends_at = aware_moment(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InvalidInput(_("A shift must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidInput(_("A shift lasts at most seven days."), field="ends_at")
    username = str(username).strip()
    # Lock the person so that two overlapping shifts scheduled at once cannot both pass the check.
    user = User.objects.select_for_update().filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("No active user is called %(name)s.") % {"name": username}, field="username"
        )
    if not RoleAssignment.objects.filter(
        user=user, grid=grid, role__in=policies.GRID_TEAM
    ).exists():
        raise InvalidInput(
            _("%(name)s is not on this grid's team.") % {"name": user}, field="username"
        )
    same = DutyShift.objects.filter(
        user=user, grid=grid, starts_at=starts_at, ends_at=ends_at
    ).first()
    if same is not None:
        same.user = user
        same.replayed = True
        return same
    clash = (
        DutyShift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("grid")
        .first()
    )
    if clash is not None:
        raise InvalidInput(
            _("%(name)s is already on duty in %(grid)s from %(start)s to %(end)s.")
            % {
                "name": user,
                "grid": clash.grid.name,
                "start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(clash.ends_at).strftime("%Y-%m-%d %H:%M"),
            },
            field="starts_at",
        )
    shift = DutyShift.objects.create(
        grid=grid, user=user, starts_at=starts_at, ends_at=ends_at, created_by=actor
    )
    shift.replayed = False
    return shift


@transaction.atomic
def cancel_shift(*, actor: User, grid_code: str, shift_id: str | int) -> None:
    """Cancel (delete) a shift of the grid that has not started yet.

    The same people who schedule shifts may cancel them. A shift under way or over is history:
    end it by taking the person off the team instead.
    """
    grid = _live_grid(grid_code)
    _require_team_manager(actor, grid)
    try:
        shift_pk = int(shift_id)
    except (TypeError, ValueError):
        shift_pk = None
    if shift_pk is not None and not 0 < shift_pk < 2**63:
        shift_pk = None
    shift = (
        DutyShift.objects.select_for_update().filter(pk=shift_pk, grid=grid).first()
        if shift_pk is not None
        else None
    )
    if shift is None:
        raise NotFound(_("This grid has no such shift."), field="shift_id")
    if shift.starts_at <= clock.now():
        raise InvalidInput(
            _("Only a shift that has not started yet can be cancelled."), field="shift_id"
        )
    shift.delete()
