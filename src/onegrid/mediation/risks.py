"""The register of risks to stability (不稳定因素): raised from a screening or directly, each with
a level (low, medium, high), the grid (or community) it stands in and an owner, the member of
staff responsible for following it up; follow-ups record what was done and may change the
level; a risk is resolved with a note saying how.

A high risk (raised high, or raised to high by a follow-up) is escalated once: escalated_at is
set and the street's shift leads and the judicial office bound to the street (the district's
when the street has none) are notified (notify kind risk_escalated). Lowering a risk and
raising it to high again does not escalate it a second time: they already know of it.

Who may raise, follow up and resolve is org.policies.may_keep_risk; who may own a risk,
may_own_risk. Each function is one transaction; raising and following up take a client key (a
retry replays), resolving an already resolved risk with the same note replays too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock, workdays
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.serials import next_serial
from onegrid.core.text_input import bounded_text, idempotency_key, row_id
from onegrid.notify import kinds
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit, Grid

from .models import Risk, RiskFollowUp, Screening

RiskLevel = Risk.RiskLevel
State = Risk.State
MAX_TITLE = 100
MAX_DESCRIPTION = 4000
MAX_NOTE = 1000
MAX_RESOLUTION = 500
# How often an open risk is followed up, by level (days since it was raised or last followed
# up): past that the register marks it overdue.
FOLLOW_UP_DAYS = {RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 15, RiskLevel.LOW: 30}


@dataclass(frozen=True)
class Outcome:
    risk: Risk
    replayed: bool = False
    escalated: bool = False


def place_of(risk: Risk) -> policies.Place:
    return policies.Place(risk.grid_id, risk.community_id, risk.street_id)


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot record this twice.")
    )


def _level(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if text not in RiskLevel.values:
        raise InvalidInput(_("Choose a level: low, medium or high."), field="level")
    return text


def _where(
    *, grid: Grid | str | None, community: AdminUnit | int | str | None
) -> tuple[Grid | None, AdminUnit]:
    if isinstance(grid, str):
        code = grid.strip()
        grid = Grid.objects.filter(code=code).first() if code else None
        if code and grid is None:
            raise NotFound(_("No such grid."), field="grid")
    if grid is not None:
        return grid, grid.community
    if isinstance(community, AdminUnit):
        unit: AdminUnit | None = community
    elif isinstance(community, int) and not isinstance(community, bool):
        unit = AdminUnit.objects.filter(pk=community).first()
    elif isinstance(community, str) and community.strip():
        unit = AdminUnit.objects.filter(code=community.strip()).first()
    else:
        raise InvalidInput(_("Name the grid (or the community) the risk is in."), field="grid")
    if unit is None or unit.level != AdminUnit.Level.COMMUNITY:
        raise NotFound(_("No such community."), field="community")
    return None, unit


def _owner(value: User | int | str | None) -> User:
    if isinstance(value, User):
        return value
    person = None
    if isinstance(value, int) and not isinstance(value, bool):
        person = User.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        person = User.objects.filter(username=text).first()
        if person is None and (pk := row_id(text)) is not None:
            person = User.objects.filter(pk=pk).first()
    if person is None:
        if (isinstance(value, str) and value.strip()) or isinstance(value, int):
            raise _not_responsible(value)
        raise InvalidInput(_("Name the risk's owner."), field="owner")
    return person


def _not_responsible(named: object) -> InvalidInput:
    """The refusal of an owner who may not own the risk, naming them as they were typed: the
    same for an account that does not exist, so that no username, phone number or id tells
    a keeper whose account it is (nor that there is one)."""
    typed = named.strip() if isinstance(named, str) else named
    return InvalidInput(
        _("%(name)s is not responsible here: choose staff of the grid or the street.")
        % {"name": typed},
        field="owner",
    )


@transaction.atomic
def raise_risk(
    *,
    actor: User,
    title: object,
    description: object,
    level: object,
    owner: User | int | str | None,
    idempotency_key: str | None,
    grid: Grid | str | None = None,
    community: AdminUnit | int | str | None = None,
    screening: Screening | int | None = None,
) -> Outcome:
    """Raise a risk at a grid (or a community), from `screening` when given (its grid)."""
    key = _key(idempotency_key)
    earlier = Risk.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if not policies.may_keep_risk(actor, place_of(earlier)):
            raise Conflict(
                _("This idempotency key was already used for another risk."),
                field="idempotency_key",
            )
        return Outcome(earlier, replayed=True)
    found_in: Screening | None = None
    if screening is not None:
        pk = screening.pk if isinstance(screening, Screening) else screening
        found_in = Screening.objects.select_related("grid").filter(pk=pk).first()
        if found_in is None:
            raise NotFound(_("No such screening."), field="screening")
        grid = found_in.grid
    at_grid, at_community = _where(grid=grid, community=community)
    street_id = at_community.parent_id
    if street_id is None:
        raise NotFound(_("No such community."), field="community")
    place = policies.Place(at_grid.pk if at_grid else None, at_community.pk, at_community.parent_id)
    if not policies.may_keep_risk(actor, place):
        raise PermissionDenied(
            _("Only the grid's checkers, the street desks and the judicial office keep its risks."),
            field="grid",
        )
    text_title = bounded_text(title, "title", max_length=MAX_TITLE, required=True)
    text_description = bounded_text(
        description, "description", max_length=MAX_DESCRIPTION, required=True
    )
    chosen = _level(level)
    person = _owner(owner)
    if not policies.may_own_risk(person, place):
        raise _not_responsible(owner if isinstance(owner, str | int) else person)
    now = clock.now()
    year = timezone.localtime(now, workdays.TZ).year
    number = f"FX{year}{next_serial(f'risk-{year}'):05d}"
    try:
        with transaction.atomic():
            risk = Risk.objects.create(
                number=number,
                title=text_title,
                description=text_description,
                level=chosen,
                grid=at_grid,
                community=at_community,
                street_id=street_id,
                state=State.OPEN,
                owner=person,
                screening=found_in,
                raised_at=now,
                raised_by=actor,
                idempotency_key=key,
            )
    except IntegrityError:
        earlier = Risk.objects.filter(idempotency_key=key).first()
        if earlier is None:
            raise
        return Outcome(earlier, replayed=True)
    escalated = _escalate_if_high(risk, now)
    return Outcome(risk, escalated=escalated)


def _locked(risk: Risk | int) -> Risk:
    pk = risk.pk if isinstance(risk, Risk) else row_id(risk)
    return locked_row(Risk.objects.all(), pk, NotFound(_("No such risk."), field="risk"))


@transaction.atomic
def follow_up(
    *,
    actor: User,
    risk: Risk | int,
    note: object,
    level: object = None,
    idempotency_key: str | None,
) -> Outcome:
    """Record what was done about an open risk, and its level now (unchanged when not given)."""
    key = _key(idempotency_key)
    row = _locked(risk)
    if not policies.may_read_risk(actor, place_of(row)):
        raise NotFound(_("No such risk."), field="risk")
    if not policies.may_keep_risk(actor, place_of(row)):
        raise PermissionDenied(_("You read this risk but do not keep it."), field="risk")
    earlier = RiskFollowUp.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.risk_id != row.pk:
            raise Conflict(
                _("This idempotency key was already used for another follow-up."),
                field="idempotency_key",
            )
        return Outcome(row, replayed=True)
    if row.state != State.OPEN:
        raise Conflict(_("This risk is resolved."), field="risk")
    text = bounded_text(note, "note", max_length=MAX_NOTE, required=True)
    after = row.level if level in (None, "") else _level(level)
    now = clock.now()
    RiskFollowUp.objects.create(
        risk=row,
        at=now,
        by=actor,
        note=text,
        level_before=row.level,
        level_after=after,
        idempotency_key=key,
    )
    if after != row.level:
        row.level = after
        row.save(update_fields=["level"])
    escalated = _escalate_if_high(row, now)
    return Outcome(row, escalated=escalated)


@transaction.atomic
def resolve(*, actor: User, risk: Risk | int, resolution: object) -> Outcome:
    """Resolve an open risk, saying how. Resolving it again with the same note replays."""
    row = _locked(risk)
    if not policies.may_read_risk(actor, place_of(row)):
        raise NotFound(_("No such risk."), field="risk")
    if not policies.may_keep_risk(actor, place_of(row)):
        raise PermissionDenied(_("You read this risk but do not keep it."), field="risk")
    text = bounded_text(resolution, "resolution", max_length=MAX_RESOLUTION, required=True)
    if row.state == State.RESOLVED:
        if row.resolution == text:
            return Outcome(row, replayed=True)
        raise Conflict(_("This risk is resolved already."), field="risk")
    row.state = State.RESOLVED
    row.resolved_at = clock.now()
    row.resolution = text
    row.save(update_fields=["state", "resolved_at", "resolution"])
    return Outcome(row)


def escalation_recipients(risk: Risk) -> list[int]:
    """The street's shift leads and the judicial office bound to the street (the district's
    judicial office when none is bound to the street)."""
    street_people = set(
        RoleAssignment.objects.filter(
            unit_id=risk.street_id, role__in=policies.RISK_ESCALATION_ROLES
        ).values_list("user_id", "role")
    )
    ids = {user_id for user_id, _role in street_people}
    if not any(role == Role.JUDICIAL_OFFICE for _user, role in street_people):
        ids |= set(
            RoleAssignment.objects.filter(
                role=Role.JUDICIAL_OFFICE,
                unit__level__in=(AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY),
            ).values_list("user_id", flat=True)
        )
    return sorted(ids)


def _risk_url(risk: Risk) -> str:
    try:
        return reverse("web:risk", args=[risk.pk])
    except NoReverseMatch:
        return ""


def _escalate_if_high(risk: Risk, now: dt.datetime) -> bool:
    """Escalate `risk` (locked or just created in this transaction) if it is high and was never
    escalated: set escalated_at and notify. Returns whether it did."""
    if risk.level != RiskLevel.HIGH or risk.escalated_at is not None:
        return False
    # A conditional update: of two transactions racing here only one sets it.
    if not Risk.objects.filter(pk=risk.pk, escalated_at__isnull=True).update(escalated_at=now):
        return False
    risk.escalated_at = now
    place = risk.grid.name if risk.grid_id and risk.grid else risk.community.name
    notify_services.tell(
        kind=kinds.RISK_ESCALATED,
        user_ids=escalation_recipients(risk),
        key=f"risk_escalated:{risk.pk}",
        title=_("High risk %(number)s: %(title)s"),
        body=_("%(place)s · owner %(owner)s"),
        params={
            "number": risk.number,
            "title": risk.title,
            "place": place,
            "owner": risk.owner.display_name or risk.owner.get_username(),
        },
        url=_risk_url(risk),
        now=now,
    )
    return True


def follow_up_due_at(risk: Risk, last_follow_up: dt.datetime | None) -> dt.datetime | None:
    """When an open risk's next follow-up is due (None once resolved)."""
    if risk.state != State.OPEN:
        return None
    since = max(filter(None, (risk.raised_at, last_follow_up)))
    return since + dt.timedelta(days=FOLLOW_UP_DAYS[RiskLevel(risk.level)])
