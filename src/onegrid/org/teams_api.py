"""Grid team API (1+3+N): teams, members, roster, vacancies.

Thin: parse, call one service (org.teams) or selector (org.selectors), render. Reads are scoped
like every selector: a grid the caller may not see is a 404 (`not_found`, field `grid_code`),
the same as one that does not exist. Writes need org.teams.may_manage_team (administrators, the
command centre, the street staff of the grid's street); the slot configuration needs
may_configure_slots. Phones are always masked. Times are ISO 8601; a shift's start and end must
carry a time zone (+08:00 for Beijing time).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onegrid.core import clock, jsonlimits
from onegrid.core.api_errors import errors
from onegrid.core.api_types import Moment
from onegrid.core.errors import InvalidInput

from . import access_log, selectors, teams
from .models import Role, TeamSlot
from .policies import mask_phone
from .requests import SignedInRequest

router = Router(tags=["teams"])

MAX_SHIFT_WINDOW = dt.timedelta(days=62)


# --- schemas ---------------------------------------------------------------------------------


class MemberOut(Schema):
    username: str = Field(..., description="The member's username (for removing them).")
    name: str = Field(..., description="Display name.")
    role: str = Field(..., description="Team role code, e.g. grid_head.")
    role_label: str = Field(..., description="The slot's label for that role, e.g. 网格长.")
    phone: str = Field(..., description="Masked phone number (138****5678).")


class MemberAddedOut(MemberOut):
    replayed: bool = Field(
        ..., description="True when the person already held this role (nothing changed)."
    )


class SlotOut(Schema):
    role: str = Field(..., description="Team role code.")
    label: str = Field(..., description="The district's label for the slot.")
    minimum: int = Field(..., description="How many people each grid needs in this role.")
    missing: int = Field(..., description="Places of this slot empty on this grid.")
    members: list[MemberOut]


class GroupOut(Schema):
    group: str = Field(..., description="core (the 1), helper (the 3) or volunteer (the N).")
    group_label: str
    required: int = Field(..., description="Sum of the group's slot minimums.")
    missing: int = Field(..., description="Empty places in the group.")
    slots: list[SlotOut]


class OnDutyOut(Schema):
    name: str
    role_labels: list[str]
    phone: str = Field(..., description="Masked phone number.")
    starts_at: dt.datetime
    ends_at: dt.datetime


class TeamOut(Schema):
    grid_code: str
    grid_name: str
    community: str = Field(..., description="Community name.")
    street: str = Field(..., description="Street name.")
    may_manage: bool = Field(..., description="Whether the caller may change this team.")
    groups: list[GroupOut]
    on_duty: list[OnDutyOut] = Field(..., description="Who is on duty in the grid right now.")


class MemberIn(Schema):
    username: str = Field(..., description="The person to put on (or take off) the team.")
    role: str = Field(..., description="One of the district's team slot roles, e.g. grid_head.")


class ShiftIn(Schema):
    username: str = Field(..., description="A member of this grid's team.")
    starts_at: Moment = Field(..., description="Start, ISO 8601 with time zone.")
    ends_at: Moment = Field(
        ..., description="End, ISO 8601 with time zone; after the start, at most 7 days later."
    )


class ShiftOut(Schema):
    id: int
    username: str
    name: str
    phone: str = Field(..., description="Masked phone number.")
    role_labels: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime


class ShiftsQuery(Schema):
    start: Moment | None = Field(
        None, description="Shifts that end after this moment (default: now)."
    )
    end: Moment | None = Field(
        None, description="Shifts that start before this moment (default: start + 7 days)."
    )


class VacancyRowOut(Schema):
    grid_code: str
    grid_name: str
    street: str
    community: str
    group: str
    role: str
    label: str
    required: int
    filled: int
    missing: int


class VacancySummaryOut(Schema):
    grids: int = Field(..., description="Grids counted.")
    fully_staffed: int = Field(..., description="Grids with every slot minimum met.")
    missing_core: int = Field(..., description="Grids missing their full-time grid worker.")
    grids_missing_helpers: int = Field(..., description="Grids with a helper place empty.")
    missing_helpers: int = Field(..., description="Helper places empty, summed over grids.")
    missing_total: int = Field(..., description="Places empty in all.")


class VacanciesOut(Schema):
    summary: VacancySummaryOut
    rows: list[VacancyRowOut] = Field(..., description="Only slots with a vacancy.")


class VacanciesQuery(Schema):
    street: str | None = Field(None, description="12-digit street code: only its grids.")


class SlotConfig(Schema):
    role: str = Field(..., description="A grid team role code.")
    label: str = Field("", description="Shown label (default: the role's name); ≤ 50 characters.")
    group: str = Field(..., description="core, helper or volunteer.")
    minimum: int = Field(0, description="People needed per grid in this role, 0–50.")
    order: int | None = Field(None, description="Sort order (default: position × 10).")


class SlotConfigOut(Schema):
    role: str
    label: str
    group: str
    group_label: str
    minimum: int
    order: int


class SlotsIn(Schema):
    slots: list[SlotConfig] = Field(
        ..., description="The whole shape; roles left out are dropped from it."
    )


class SlotsOut(Schema):
    configured: bool = Field(..., description="False while the defaults apply.")
    may_configure: bool = Field(..., description="Whether the caller may change the slots.")
    slots: list[SlotConfigOut]


def _shift_out(s: selectors.Shift) -> dict[str, object]:
    """A roster row (selectors.shifts, selectors.shift_view) as ShiftOut."""
    return {
        "id": s.id,
        "username": s.username,
        "name": s.name,
        "phone": s.phone,
        "role_labels": s.role_labels,
        "starts_at": timezone.localtime(s.starts_at),
        "ends_at": timezone.localtime(s.ends_at),
    }


def _slots_out(request: SignedInRequest) -> dict[str, object]:
    groups = dict(TeamSlot.Group.choices)
    return {
        "configured": TeamSlot.objects.exists(),
        "may_configure": teams.may_configure_slots(request.user),
        "slots": [
            {
                "role": s.role,
                "label": s.label,
                "group": s.group,
                "group_label": str(groups.get(s.group, s.group)),
                "minimum": s.minimum,
                "order": s.order,
            }
            for s in teams.current_slots()
        ],
    }


# --- district-wide reads (declared before /teams/{grid_code}) --------------------------------


@router.get(
    "/teams/vacancies",
    response={200: VacanciesOut, **errors(401, 403, 422)},
    summary="Empty team places per grid",
)
def vacancies(request: SignedInRequest, q: Query[VacanciesQuery]) -> dict[str, object]:
    """Over the grids the caller may see, optionally one street's."""
    report = selectors.vacancies(request.user, street_code=q.street or None)
    s = report.summary
    return {
        "summary": {
            "grids": s.grids,
            "fully_staffed": s.fully_staffed,
            "missing_core": s.missing_core,
            "grids_missing_helpers": s.grids_missing_helpers,
            "missing_helpers": s.missing_helpers,
            "missing_total": s.missing_total,
        },
        "rows": [
            {
                "grid_code": r.grid_code,
                "grid_name": r.grid_name,
                "street": r.street,
                "community": r.community,
                "group": r.group,
                "role": r.role,
                "label": r.label,
                "required": r.required,
                "filled": r.filled,
                "missing": r.missing,
            }
            for r in report.rows
        ],
    }


@router.get(
    "/teams/slots",
    response={200: SlotsOut, **errors(401, 403)},
    summary="The district's team slots",
)
def get_slots(request: SignedInRequest) -> dict[str, object]:
    return _slots_out(request)


@router.put(
    "/teams/slots",
    response={200: SlotsOut, **errors(400, 401, 403, 413, 422)},
    summary="Replace the district's team slots",
)
def put_slots(request: SignedInRequest, payload: SlotsIn) -> dict[str, object]:
    """Administrators and the command centre only. The core group must hold the full-time grid
    worker with a minimum of at least 1."""
    teams.configure_slots(actor=request.user, slots=[s.model_dump() for s in payload.slots])
    return _slots_out(request)


# --- one grid's team -------------------------------------------------------------------------


@router.get(
    "/teams/{grid_code}",
    response={200: TeamOut, **errors(401, 404, 422)},
    summary="A grid's team and who is on duty",
)
def team(request: SignedInRequest, grid_code: str) -> dict[str, object]:
    grid = selectors.visible_grid(request.user, grid_code)
    slots = teams.current_slots()
    groups = selectors.team_of(
        request.user, grid, slots=slots, channel=access_log.Channel.API, path=request.path
    )
    access_log.record_usernames_shown(
        request, [m.username for g in groups for s in g.slots for m in s.members], channel="api"
    )
    return {
        "grid_code": grid.code,
        "grid_name": grid.name,
        "community": grid.community.name,
        "street": grid.street.name,
        "may_manage": teams.may_manage_team(request.user, grid),
        "groups": [
            {
                "group": g.group,
                "group_label": g.group_label,
                "required": g.required,
                "missing": g.missing,
                "slots": [
                    {
                        "role": s.role,
                        "label": s.label,
                        "minimum": s.minimum,
                        "missing": s.missing,
                        "members": [
                            {
                                "username": m.username,
                                "name": m.name,
                                "role": m.role,
                                "role_label": m.role_label,
                                "phone": m.phone,
                            }
                            for m in s.members
                        ],
                    }
                    for s in g.slots
                ],
            }
            for g in groups
        ],
        "on_duty": [
            {
                "name": d.name,
                "role_labels": d.role_labels,
                "phone": d.phone,
                "starts_at": timezone.localtime(d.starts_at),
                "ends_at": timezone.localtime(d.ends_at),
            }
            for d in selectors.on_duty(
                request.user, grid, clock.now(), slots=slots, channel="api", path=request.path
            )
        ],
    }


@router.post(
    "/teams/{grid_code}/members",
    response={
        201: MemberAddedOut,
        200: MemberAddedOut,
        **errors(400, 401, 403, 404, 409, 413, 422),
    },
    summary="Put a person on the grid's team (idempotent)",
)
def add_member(
    request: SignedInRequest, grid_code: str, payload: MemberIn
) -> Status[dict[str, object]]:
    """201 when the person joined; 200 with `replayed: true` when they already held exactly this
    role on the grid, so a retry is safe."""
    grid = selectors.visible_grid(request.user, grid_code)
    a = teams.add_member(
        actor=request.user, grid_code=grid.code, username=payload.username, role=payload.role
    )
    label = {s.role: s.label for s in teams.current_slots()}.get(a.role, a.role)
    if a.role == Role.PARTY_MEMBER:
        # The answer names the person holding the Party-member place: a read of Party
        # membership (PIPL art. 28), logged as the team page's and roster's are.
        access_log.record_request(
            request,
            kind=access_log.Kind.PARTY_MEMBERSHIP,
            channel="api",
            subjects=[(f"user:{a.user.pk}", ["team_role"])],
        )
    return Status(
        200 if a.replayed else 201,
        {
            "username": a.user.username,
            "name": str(a.user),
            "role": a.role,
            "role_label": label,
            "phone": mask_phone(a.user.phone),
            "replayed": a.replayed,
        },
    )


def _member_args(
    request: SignedInRequest, username: str | None, role: str | None
) -> tuple[str, str]:
    """username and role from the query string or, failing that, a JSON body."""
    if not (username and role) and request.body:
        # Nesting bounded: `json.loads` raises RecursionError on deep bodies (a 500).
        body = jsonlimits.loads(request.body, field="body")
        if isinstance(body, dict):
            username = username or body.get("username")
            role = role or body.get("role")
    return _required("username", username), _required("role", role)


def _required(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("%(field)s is required.") % {"field": field}, field=field)
    return value


@router.delete(
    "/teams/{grid_code}/members",
    response={204: None, **errors(400, 401, 403, 404, 413, 422)},
    summary="Take a person's role on the grid's team away",
)
def remove_member(
    request: SignedInRequest, grid_code: str, username: str | None = None, role: str | None = None
) -> Status[None]:
    """`username` and `role` in the query string or a JSON body. The person's future shifts on
    the grid are cancelled when this was their last team role there. Idempotent: 204 also when
    the person no longer holds the role (a retry); an unknown person or a role that is no grid
    team role is refused."""
    grid = selectors.visible_grid(request.user, grid_code)
    username, role = _member_args(request, username, role)
    teams.remove_member(actor=request.user, grid_code=grid.code, username=username, role=role)
    return Status(204, None)


@router.get(
    "/teams/{grid_code}/shifts",
    response={200: list[ShiftOut], **errors(401, 404, 422)},
    summary="The grid's roster",
)
def list_shifts(
    request: SignedInRequest, grid_code: str, q: Query[ShiftsQuery]
) -> list[dict[str, object]]:
    """Shifts overlapping [start, end): by default from now for 7 days; at most 62 days."""
    grid = selectors.visible_grid(request.user, grid_code)
    # Checked before any arithmetic on them: 9999-12-31 + 7 days overflows.
    start = teams.aware_moment(q.start or clock.now(), "start")
    end = teams.aware_moment(q.end or start + dt.timedelta(days=7), "end")
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), field="end")
    if end - start > MAX_SHIFT_WINDOW:
        raise InvalidInput(_("Ask for at most 62 days at a time."), field="end")
    shifts = selectors.shifts(request.user, grid, start, end, channel="api", path=request.path)
    access_log.record_usernames_shown(request, [s.username for s in shifts], channel="api")
    return [_shift_out(s) for s in shifts]


@router.post(
    "/teams/{grid_code}/shifts",
    response={201: ShiftOut, 200: ShiftOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Schedule a shift (idempotent)",
)
def add_shift(
    request: SignedInRequest, grid_code: str, payload: ShiftIn
) -> Status[dict[str, object]]:
    """201 with the new shift; 200 with the existing one when exactly this shift (person, grid,
    start, end) is already on the roster, so a retry never makes a second one."""
    grid = selectors.visible_grid(request.user, grid_code)
    shift = teams.schedule_duty(
        actor=request.user,
        grid_code=grid.code,
        username=payload.username,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(200 if shift.replayed else 201, _shift_out(selectors.shift_view(shift)))


@router.delete(
    "/teams/{grid_code}/shifts/{shift_id}",
    response={204: None, **errors(400, 401, 403, 404, 409, 422)},
    summary="Cancel a shift that has not started",
)
def cancel_shift(request: SignedInRequest, grid_code: str, shift_id: str) -> Status[None]:
    grid = selectors.visible_grid(request.user, grid_code)
    teams.cancel_shift(actor=request.user, grid_code=grid.code, shift_id=shift_id)
    return Status(204, None)
