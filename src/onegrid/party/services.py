"""Writes for the Party organisation tree and its members (一核引领).

The tree stands on the territory: the district committee at the district, street Party
(working) committees at their streets, community/village committees or branches at their
communities, grid Party branches or groups at their grids (their place: the grid's community),
and the organisations of units (机关, 企事业单位, 两新组织) at the community where the unit is,
under that community's, its street's or the district's committee (属地管理). `_check_shape`
holds those rules; every write of the tree goes through it, so no organisation stands anywhere
its kind and parent do not allow and no re-parenting makes a cycle.

Members join (or are registered), transfer (组织关系转接: one stay closes, the next opens the
same day) and leave; their history (Membership) is only ever appended to or closed, never
rewritten. Who may do what is org.policies: the tree by Party-organisation staff of the place or
above and the administrators, members by Party-organisation staff only. Each function is one
transaction and raises a DomainError naming the field at fault; the member writes a phone or a
form may retry take a client key and replay the first result.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.core.text_input import bounded_text
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit, Grid

from .models import Member, Membership, Organisation

Kind = Organisation.Kind
Level = AdminUnit.Level

TERRITORIAL_KINDS = frozenset(
    {
        Kind.DISTRICT_COMMITTEE,
        Kind.STREET_COMMITTEE,
        Kind.COMMUNITY_COMMITTEE,
        Kind.COMMUNITY_BRANCH,
        Kind.GRID_BRANCH,
        Kind.GRID_GROUP,
    }
)
GRID_KINDS = frozenset({Kind.GRID_BRANCH, Kind.GRID_GROUP})
COMMUNITY_KINDS = frozenset({Kind.COMMUNITY_COMMITTEE, Kind.COMMUNITY_BRANCH})
# Dates before this are typing errors (the Party was founded in 1921).
FIRST_DATE = dt.date(1921, 7, 1)
MAX_KEY = 64


# --- input ------------------------------------------------------------------------------------


def _choice(value: object, choices: type[TextChoices], field: str) -> str:
    text = "" if value is None else str(value)
    if text not in choices.values:
        raise InvalidInput(_("Choose one of the offered values."), field=field)
    return text


def _date(value: dt.date | None, field: str) -> dt.date:
    today = timezone.localdate(clock.now())
    if value is None:
        return today
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(_("Enter a date."), field=field)
    if value < FIRST_DATE or value > today:
        raise InvalidInput(_("The date must lie between 1921 and today."), field=field)
    return value


def _key(value: object) -> str:
    key = bounded_text(value, "client_key", max_length=MAX_KEY)
    return key


def _coords(lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    try:
        lon_f, lat_f = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(
            _("Give both longitude and latitude, or neither."), field="lon"
        ) from None
    if not (-180 <= lon_f <= 180):
        raise InvalidInput(_("The longitude lies outside -180…180."), field="lon")
    if not (-90 <= lat_f <= 90):
        raise InvalidInput(_("The latitude lies outside -90…90."), field="lat")
    return lon_f, lat_f


# --- the tree's shape ---------------------------------------------------------------------------


def _check_shape(
    *,
    kind: str,
    unit: AdminUnit,
    grid: Grid | None,
    parent: Organisation | None,
    unit_kind: str,
) -> None:
    """Raise InvalidInput unless an organisation of `kind` may stand at `unit` (and `grid`)
    under `parent`: the rules of the module docstring."""
    if kind in GRID_KINDS:
        if grid is None:
            raise InvalidInput(_("A grid Party branch or group stands at a grid."), field="grid")
        if grid.community_id != unit.pk:
            raise InvalidInput(
                _("A grid's Party organisation stands in the grid's community."), field="unit"
            )
    elif grid is not None:
        raise InvalidInput(_("Only grid Party branches and groups stand at a grid."), field="grid")
    if kind == Kind.UNIT:
        if not unit_kind:
            raise InvalidInput(_("Say what kind of unit this is."), field="unit_kind")
    elif unit_kind:
        raise InvalidInput(
            _("Only a unit's Party organisation has a kind of unit."), field="unit_kind"
        )
    if parent is not None and parent.dissolved_at is not None:
        raise InvalidInput(_("The parent organisation is dissolved."), field="parent")

    def need(level: str) -> None:
        if unit.level != level:
            raise InvalidInput(
                _("An organisation of this kind stands at a %(level)s.")
                % {"level": Level(level).label},
                field="unit",
            )

    def parent_is(*allowed: tuple[str, int | None]) -> None:
        if parent is None or (parent.kind, parent.unit_id) not in allowed:
            raise InvalidInput(
                _("This parent cannot hold an organisation of this kind at this place."),
                field="parent",
            )

    if kind == Kind.DISTRICT_COMMITTEE:
        need(Level.DISTRICT)
        if parent is not None:
            raise InvalidInput(_("The district committee has no parent."), field="parent")
    elif kind == Kind.STREET_COMMITTEE:
        need(Level.STREET)
        parent_is((Kind.DISTRICT_COMMITTEE, unit.parent_id))
    elif kind == Kind.COMMUNITY_COMMITTEE:
        need(Level.COMMUNITY)
        parent_is((Kind.STREET_COMMITTEE, unit.parent_id))
    elif kind == Kind.COMMUNITY_BRANCH:
        need(Level.COMMUNITY)
        parent_is((Kind.STREET_COMMITTEE, unit.parent_id), (Kind.COMMUNITY_COMMITTEE, unit.pk))
    elif kind in GRID_KINDS:
        need(Level.COMMUNITY)
        parent_is((Kind.COMMUNITY_COMMITTEE, unit.pk), (Kind.COMMUNITY_BRANCH, unit.pk))
    elif kind == Kind.UNIT:
        need(Level.COMMUNITY)
        street = (
            AdminUnit.objects.filter(pk=unit.parent_id).only("parent_id").first()
            if unit.parent_id is not None
            else None
        )
        parent_is(
            (Kind.COMMUNITY_COMMITTEE, unit.pk),
            (Kind.COMMUNITY_BRANCH, unit.pk),
            (Kind.STREET_COMMITTEE, unit.parent_id),
            (Kind.DISTRICT_COMMITTEE, street.parent_id if street else None),
        )


def _check_grid_group_parent(
    kind: str, grid: Grid | None, parent: Organisation | None, unit: AdminUnit
) -> bool:
    """A grid group may also sit under its own grid's Party branch."""
    return (
        kind == Kind.GRID_GROUP
        and parent is not None
        and parent.kind == Kind.GRID_BRANCH
        and grid is not None
        and parent.grid_id == grid.pk
        and parent.unit_id == unit.pk
        and parent.dissolved_at is None
    )


def check_shape(
    *,
    kind: str,
    unit: AdminUnit,
    grid: Grid | None,
    parent: Organisation | None,
    unit_kind: str = "",
) -> None:
    """The shape rules for one organisation (public for the tree-invariant tests)."""
    if _check_grid_group_parent(kind, grid, parent, unit):
        return
    _check_shape(kind=kind, unit=unit, grid=grid, parent=parent, unit_kind=unit_kind)


def _require_tree_keeper(actor: User, unit: AdminUnit) -> None:
    if not policies.may_keep_party_organisations(actor, unit):
        raise PermissionDenied(
            _("You may not keep the Party organisations of this place."), field="unit"
        )


def _require_member_keeper(actor: User, organisation: Organisation) -> None:
    if not policies.may_keep_party_members(actor, organisation.unit):
        raise PermissionDenied(
            _("Only Party-organisation staff of this place keep its members."),
            field="organisation",
        )


def _live(organisation: Organisation, field: str) -> Organisation:
    if organisation.dissolved_at is not None:
        raise InvalidInput(_("This organisation is dissolved."), field=field)
    return organisation


# --- the tree ---------------------------------------------------------------------------------


@transaction.atomic
def create_organisation(
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    unit: AdminUnit | None = None,
    grid: Grid | None = None,
    parent: Organisation | None = None,
    unit_kind: str = "",
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    founded_on: dt.date | None = None,
) -> Organisation:
    """A new organisation. A grid's takes its place from the grid (its community). The code is
    the client's key: a retry with the same code, kind, place and parent returns the first."""
    code = bounded_text(code, "code", max_length=40, required=True)
    name = bounded_text(name, "name", max_length=100, required=True)
    kind = _choice(kind, Kind, "kind")
    unit_kind = _choice(unit_kind, Organisation.UnitKind, "unit_kind") if unit_kind else ""
    address = bounded_text(address, "address", max_length=200)
    lon, lat = _coords(lon, lat)
    if grid is not None:
        unit = unit or grid.community
    if unit is None:
        raise InvalidInput(_("Say where the organisation stands."), field="unit")
    _require_tree_keeper(actor, unit)
    if parent is not None:
        parent = Organisation.objects.select_for_update().get(pk=parent.pk)
    founded = _date(founded_on, "founded_on") if founded_on is not None else None
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        if (existing.kind, existing.unit_id, existing.grid_id, existing.parent_id) == (
            kind,
            unit.pk,
            grid.pk if grid else None,
            parent.pk if parent else None,
        ):
            return existing
        raise Conflict(_("Another organisation has this code."), field="code") from None
    check_shape(kind=kind, unit=unit, grid=grid, parent=parent, unit_kind=unit_kind)
    if (
        kind == Kind.DISTRICT_COMMITTEE
        and Organisation.objects.filter(kind=kind, unit=unit, dissolved_at__isnull=True).exists()
    ):
        raise Conflict(_("This district has its Party committee already."), field="kind")
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                code=code,
                name=name,
                kind=kind,
                unit=unit,
                grid=grid,
                parent=parent,
                unit_kind=unit_kind,
                lon=lon,
                lat=lat,
                address=address,
                founded_on=founded,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict(_("Another organisation has this code."), field="code") from None


def ancestors(organisation: Organisation) -> list[Organisation]:
    """The organisations above `organisation`, nearest first (stops at a repeat)."""
    seen = {organisation.pk}
    out: list[Organisation] = []
    current = organisation.parent
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        out.append(current)
        current = current.parent
    return out


@transaction.atomic
def move_organisation(
    *, actor: User, organisation: Organisation, parent: Organisation | None
) -> Organisation:
    """Put `organisation` under `parent` (re-parent). Its place stays: only parents its kind
    may have there are accepted, and never one below itself."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_tree_keeper(actor, organisation.unit)
    _live(organisation, "organisation")
    if parent is not None:
        parent = Organisation.objects.select_for_update().get(pk=parent.pk)
        if parent.pk == organisation.pk or organisation.pk in {a.pk for a in ancestors(parent)}:
            raise InvalidInput(
                _("An organisation cannot sit under itself or one of its own."), field="parent"
            )
    check_shape(
        kind=organisation.kind,
        unit=organisation.unit,
        grid=organisation.grid,
        parent=parent,
        unit_kind=organisation.unit_kind,
    )
    organisation.parent = parent
    organisation.save(update_fields=["parent"])
    return organisation


@transaction.atomic
def set_secretary(
    *, actor: User, organisation: Organisation, secretary: User | None
) -> Organisation:
    """Name the organisation's secretary (书记), or none. Any active account may be one; a grid
    head is often their grid group's (the pages say who is)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_tree_keeper(actor, organisation.unit)
    _live(organisation, "organisation")
    if secretary is not None and secretary.pk == actor.pk:
        # A unit's secretary reports it in and claims for it: no keeper gives themselves that.
        raise PermissionDenied(
            _("Another keeper of the tree names you secretary."), field="secretary"
        )
    if secretary is not None and not secretary.is_active:
        raise InvalidInput(_("This account is not active."), field="secretary")
    organisation.secretary = secretary
    organisation.save(update_fields=["secretary"])
    return organisation


@transaction.atomic
def dissolve_organisation(*, actor: User, organisation: Organisation) -> Organisation:
    """Dissolve an organisation that has no members and no live organisations under it. A
    second call changes nothing."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_tree_keeper(actor, organisation.unit)
    if organisation.dissolved_at is not None:
        return organisation
    if Membership.objects.filter(organisation=organisation, ended_on__isnull=True).exists():
        raise InvalidInput(
            _("Transfer or close its members' memberships first."), field="organisation"
        )
    if organisation.children.filter(dissolved_at__isnull=True).exists():
        raise InvalidInput(
            _("Move or dissolve the organisations under it first."), field="organisation"
        )
    organisation.dissolved_at = clock.now()
    organisation.save(update_fields=["dissolved_at"])
    return organisation


# --- members ----------------------------------------------------------------------------------


def _replayed(actor: User, key: str) -> Membership | None:
    if not key:
        return None
    return Membership.objects.filter(recorded_by=actor, client_key=key).first()


def _replayed_end(actor: User, key: str) -> Membership | None:
    if not key:
        return None
    return Membership.objects.filter(ended_by=actor, end_key=key).first()


def _open_membership(member: Member) -> Membership:
    stay = (
        Membership.objects.select_for_update()
        .filter(member=member, ended_on__isnull=True)
        .select_related("organisation", "organisation__unit")
        .first()
    )
    if stay is None:
        raise InvalidInput(_("This member has no open membership."), field="member")
    return stay


def _close(
    stay: Membership, *, actor: User, on: dt.date, end: str, reason: str, key: str = ""
) -> None:
    if on < stay.started_on:
        raise InvalidInput(
            _("The date lies before the member joined this organisation."), field="on"
        )
    stay.ended_on = on
    stay.end = end
    stay.end_reason = reason
    stay.ended_by = actor
    stay.end_key = key
    stay.save(update_fields=["ended_on", "end", "end_reason", "ended_by", "end_key"])


@transaction.atomic
def join(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    category: str,
    phone: str = "",
    status: str = Member.Status.FULL,
    start: str = Membership.Start.JOINED,
    started_on: dt.date | None = None,
    joined_party_on: dt.date | None = None,
    employer: str = "",
    home_community: AdminUnit | None = None,
    home_grid: Grid | None = None,
    user: User | None = None,
    reason: str = "",
    client_key: str = "",
) -> Membership:
    """A new member of `organisation` with an open membership: joined the Party there, or an
    existing member registered. Returns the membership (its member on `.member`)."""
    key = _key(client_key)
    replay = _replayed(actor, key)
    if replay is not None:
        return replay
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_member_keeper(actor, organisation)
    _live(organisation, "organisation")
    name = bounded_text(name, "name", max_length=100, required=True)
    phone = bounded_text(phone, "phone", max_length=20)
    if phone and not all(ch.isascii() and (ch.isdigit() or ch in "+-() ") for ch in phone):
        raise InvalidInput(_("Enter a phone number of digits."), field="phone")
    category = _choice(category, Member.Category, "category")
    status = _choice(status, Member.Status, "status")
    start = _choice(start, Membership.Start, "start")
    if start == Membership.Start.TRANSFERRED_IN:
        raise InvalidInput(_("A transfer moves an existing member: use transfer."), field="start")
    employer = bounded_text(employer, "employer", max_length=100)
    reason = bounded_text(reason, "reason", max_length=200)
    on = _date(started_on, "started_on")
    joined_on = _date(joined_party_on, "joined_party_on") if joined_party_on else None
    if home_community is not None and home_community.level != Level.COMMUNITY:
        raise InvalidInput(_("Choose a community."), field="home_community")
    if home_grid is not None:
        if home_community is None:
            home_community = home_grid.community
        elif home_grid.community_id != home_community.pk:
            raise InvalidInput(
                _("The home grid lies outside the home community."), field="home_grid"
            )
    if user is not None and Member.objects.filter(user=user).exists():
        raise Conflict(_("This account is a Party member's already."), field="user")
    now = clock.now()
    member = Member.objects.create(
        user=user,
        name=name,
        phone=phone,
        category=category,
        status=status,
        joined_party_on=joined_on,
        employer=employer,
        home_community=home_community,
        home_grid=home_grid,
        organisation=organisation,
        created_at=now,
    )
    return Membership.objects.create(
        member=member,
        organisation=organisation,
        started_on=on,
        start=start,
        reason=reason,
        recorded_by=actor,
        recorded_at=now,
        client_key=key,
    )


@transaction.atomic
def transfer(
    *,
    actor: User,
    member: Member,
    to: Organisation,
    reason: str,
    on: dt.date | None = None,
    client_key: str = "",
) -> Membership:
    """组织关系转接: close the member's open membership (transferred out) and open one in `to`
    (transferred in) on the same day. Kept by the staff of the sending organisation's place.
    Returns the new membership."""
    key = _key(client_key)
    replay = _replayed(actor, key)
    if replay is not None:
        return replay
    member = Member.objects.select_for_update().get(pk=member.pk)
    stay = _open_membership(member)
    _require_member_keeper(actor, stay.organisation)
    to = Organisation.objects.select_for_update().get(pk=to.pk)
    _live(to, "to")
    if to.pk == stay.organisation_id:
        raise InvalidInput(_("The member is in this organisation already."), field="to")
    reason = bounded_text(reason, "reason", max_length=200, required=True)
    day = _date(on, "on")
    _close(stay, actor=actor, on=day, end=Membership.End.TRANSFERRED_OUT, reason=reason)
    member.organisation = to
    member.save(update_fields=["organisation"])
    return Membership.objects.create(
        member=member,
        organisation=to,
        started_on=day,
        start=Membership.Start.TRANSFERRED_IN,
        reason=reason,
        recorded_by=actor,
        recorded_at=clock.now(),
        client_key=key,
    )


@transaction.atomic
def leave(
    *,
    actor: User,
    member: Member,
    end: str = Membership.End.LEFT,
    reason: str = "",
    on: dt.date | None = None,
    client_key: str = "",
) -> Membership:
    """Close the member's open membership: left the Party or died. Returns it, closed."""
    key = _key(client_key)
    replay = _replayed_end(actor, key)
    if replay is not None:
        return replay
    end = _choice(end, Membership.End, "end")
    if end == Membership.End.TRANSFERRED_OUT:
        raise InvalidInput(_("A transfer names where the member goes: use transfer."), field="end")
    member = Member.objects.select_for_update().get(pk=member.pk)
    stay = _open_membership(member)
    _require_member_keeper(actor, stay.organisation)
    reason = bounded_text(reason, "reason", max_length=200)
    _close(stay, actor=actor, on=_date(on, "on"), end=end, reason=reason, key=key)
    member.organisation = None
    member.save(update_fields=["organisation"])
    return stay
