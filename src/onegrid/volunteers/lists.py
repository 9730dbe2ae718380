"""A community's three lists (需求清单、资源清单、项目清单): items added, edited and closed by the
community's list keepers; claims on them by those who serve the community; the service done,
recorded by the claimant's side and confirmed by the community.

Who may claim an item (for the item's community):
- a Party member with a confirmed 双报到 report-in to that community, through their own account;
- a unit's Party organisation with a confirmed report-in there, through its secretary or a keeper;
- an active co-building unit of the community, through a keeper;
- an active volunteer organisation of the community or its street, through a keeper.
Keepers are org.policies.may_keep_community_lists. An item takes `capacity` claimants: its live
claims (claimed, done, confirmed) never exceed it — claims lock the item row, so two racing for
the last place cannot both win — and one claimant holds at most one live claim on an item.
Claims carry the phone's client key, so a retry returns the first claim. On confirmation a
member with an account earns the district's points per claim (volunteers.points).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text, idempotency_key
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.party.models import Member, Organisation
from onegrid.party.report_in_selectors import live_report_in
from onegrid.territory.models import AdminUnit

from . import points
from .models import Claim, CoBuildingUnit, ListItem, VolunteerOrganisation

TITLE_LENGTH = 100
DESCRIPTION_LENGTH = 2000
NOTE_LENGTH = 2000
MAX_CAPACITY = 100
# One claim's service in person-hours: a unit's project may take many people over weeks, but
# more than this is a typing error (an extra zero or two).
MAX_SERVICE_HOURS = Decimal("5000")
LIVE_STATES = (Claim.State.CLAIMED, Claim.State.DONE, Claim.State.CONFIRMED)
CLAIMANT_FIELDS = ("member", "organisation", "partner", "volunteer_organisation")


@dataclass(frozen=True)
class ClaimOutcome:
    claim: Claim
    replayed: bool


# --- items ----------------------------------------------------------------------------------


def _community(community_id: int) -> AdminUnit:
    community = AdminUnit.objects.filter(pk=community_id, level=AdminUnit.Level.COMMUNITY).first()
    if community is None:
        raise NotFound(_("No such community."), field="community")
    return community


def _check_keeper(actor: User, community: AdminUnit) -> None:
    if not policies.may_keep_community_lists(actor, community):
        raise PermissionDenied(
            _(
                "Only the community's Party-organisation staff "
                "and volunteer organisers keep its lists."
            )
        )


def _kind(value: str) -> str:
    if value not in ListItem.Kind.values:
        raise InvalidInput(_("Choose the list: need, resource or project."), field="kind")
    return value


def _capacity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip(), 10) if str(value).strip().isascii() else None
        except ValueError:
            value = None
    if not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise InvalidInput(
            _("Claimants wanted is a whole number from 1 to %(n)d.") % {"n": MAX_CAPACITY},
            field="capacity",
        )
    return value


@transaction.atomic
def add_item(
    *,
    actor: User,
    community_id: int,
    kind: str,
    title: str,
    description: str = "",
    capacity: object = 1,
) -> ListItem:
    """Put an item on one of the community's three lists, open for claims."""
    community = _community(community_id)
    _check_keeper(actor, community)
    return ListItem.objects.create(
        community=community,
        kind=_kind(kind),
        title=bounded_text(title, "title", max_length=TITLE_LENGTH, required=True),
        description=bounded_text(description, "description", max_length=DESCRIPTION_LENGTH),
        capacity=_capacity(capacity),
        state=ListItem.State.OPEN,
        created_at=clock.now(),
        created_by=actor,
    )


def _locked_item(item_id: int) -> ListItem:
    item = (
        ListItem.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk=item_id)
    )
    found = item.first()
    if found is None:
        raise NotFound(_("No such list item."), field="item")
    return found


def _live_claims(item: ListItem) -> int:
    return Claim.objects.filter(item=item, state__in=LIVE_STATES).count()


@transaction.atomic
def edit_item(
    *,
    actor: User,
    item_id: int,
    title: str | None = None,
    description: str | None = None,
    capacity: object = None,
    open: bool | None = None,
) -> ListItem:
    """Change an item's title, description or claimants wanted (never below its live claims);
    `open` False closes it to new claims, True opens it again."""
    item = _locked_item(item_id)
    _check_keeper(actor, item.community)
    if title is not None:
        item.title = bounded_text(title, "title", max_length=TITLE_LENGTH, required=True)
    if description is not None:
        item.description = bounded_text(description, "description", max_length=DESCRIPTION_LENGTH)
    if capacity is not None:
        wanted = _capacity(capacity)
        if wanted < _live_claims(item):
            raise Conflict(
                _("More claimants already hold this item: withdraw claims first."),
                field="capacity",
            )
        item.capacity = wanted
    if open is not None:
        item.state = ListItem.State.OPEN if open else ListItem.State.CLOSED
    item.save()
    return item


@transaction.atomic
def set_item_open(*, actor: User, item_id: int, open: bool) -> ListItem:
    """Close an item to new claims (its claims go on to be served and confirmed) or open it
    again. Idempotent."""
    item = _locked_item(item_id)
    _check_keeper(actor, item.community)
    state = ListItem.State.OPEN if open else ListItem.State.CLOSED
    if item.state != state:
        item.state = state
        item.save(update_fields=["state"])
    return item


# --- claims ---------------------------------------------------------------------------------


def _check_key(key: str | None) -> str:
    return idempotency_key(key, missing=_("Send an idempotency key so a retry cannot claim twice."))


def _one_claimant(ids: dict[str, int | None]) -> tuple[str, int]:
    given = [(name, value) for name, value in ids.items() if value is not None]
    if len(given) != 1:
        raise InvalidInput(
            _(
                "Name exactly one claimant: a member, a unit's "
                "Party organisation, a co-building unit or a volunteer organisation."
            ),
            field="claimant",
        )
    return given[0]


def _claimant(actor: User, item: ListItem, field: str, pk: int) -> dict[str, object]:
    """The claimant as Claim's field, after checking it may claim on `item` and that `actor`
    may act for it."""
    community = item.community
    keeper = policies.may_keep_community_lists(actor, community)
    refused = PermissionDenied(_("You may not claim for this claimant."), field=field)
    if field == "member":
        member = Member.objects.filter(pk=pk).first()
        if member is None:
            raise NotFound(_("No such Party member."), field=field)
        if member.user_id is None or member.user_id != actor.pk:
            raise refused
        report_in = live_report_in(member=member)
        if report_in is None or report_in.community_id != community.pk:
            raise InvalidInput(
                _(
                    "Report in to this community first (双报到): "
                    "claims are for members reported in here."
                ),
                field=field,
            )
        return {"member": member}
    if field == "organisation":
        org = Organisation.objects.filter(pk=pk, kind=Organisation.Kind.UNIT).first()
        if org is None or org.dissolved_at is not None:
            raise NotFound(_("No such unit Party organisation."), field=field)
        if not keeper and (org.secretary_id is None or org.secretary_id != actor.pk):
            raise refused
        report_in = live_report_in(organisation=org)
        if report_in is None or report_in.community_id != community.pk:
            raise InvalidInput(
                _("This unit has not reported in to this community (双报到)."), field=field
            )
        return {"organisation": org}
    if field == "partner":
        partner = CoBuildingUnit.objects.filter(pk=pk).first()
        if partner is None or partner.community_id != community.pk or not partner.active:
            raise InvalidInput(
                _("Only an active co-building unit of this community may claim."), field=field
            )
        if not keeper:
            raise refused
        return {"partner": partner}
    team = VolunteerOrganisation.objects.filter(pk=pk).first()
    if team is None or not team.active or team.unit_id not in (community.pk, community.parent_id):
        raise InvalidInput(
            _("Only an active volunteer organisation of this community or its street may claim."),
            field=field,
        )
    if not keeper:
        raise refused
    return {"volunteer_organisation": team}


def _replay(existing: Claim, item_id: int, claimant: tuple[str, int]) -> ClaimOutcome:
    field, pk = claimant
    if existing.item_id != item_id or getattr(existing, f"{field}_id") != pk:
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            field="idempotency_key",
        )
    return ClaimOutcome(existing, replayed=True)


@transaction.atomic
def claim_item(
    *,
    actor: User,
    item_id: int,
    idempotency_key: str | None,
    member_id: int | None = None,
    organisation_id: int | None = None,
    partner_id: int | None = None,
    volunteer_organisation_id: int | None = None,
) -> ClaimOutcome:
    """Claim an open item with a place left for one claimant. A retry with the same key returns
    the first claim (`replayed`)."""
    key = _check_key(idempotency_key)
    claimant = _one_claimant(
        {
            "member": member_id,
            "organisation": organisation_id,
            "partner": partner_id,
            "volunteer_organisation": volunteer_organisation_id,
        }
    )
    existing = Claim.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, item_id, claimant)
    # Every claim on an item waits here for the one before it, so the count below is true.
    item = _locked_item(item_id)
    existing = Claim.objects.filter(idempotency_key=key).first()
    if existing is not None:  # a retry that waited on the lock behind the first try
        return _replay(existing, item_id, claimant)
    who = _claimant(actor, item, *claimant)
    if item.state != ListItem.State.OPEN:
        raise Conflict(_("This item is closed to claims."), field="item")
    if Claim.objects.filter(item=item, state__in=LIVE_STATES, **who).exists():
        raise Conflict(_("This claimant already holds a claim on this item."), field="item")
    if _live_claims(item) >= item.capacity:
        raise Conflict(_("This item has all the claimants it wants."), field="item")
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                item=item,
                state=Claim.State.CLAIMED,
                claimed_at=clock.now(),
                claimed_by=actor,
                idempotency_key=key,
                **who,
            )
    except IntegrityError:
        # The same key on another item: that request holds a different lock.
        existing = Claim.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, item_id, claimant)
    return ClaimOutcome(claim, replayed=False)


def _locked_claim(claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("item__community", "member", "organisation")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(_("No such claim."), field="claim")
    return claim


def may_act_for_claim(actor: User, claim: Claim) -> bool:
    """Whether `actor` speaks for the claimant: a member through their own account, a unit's
    Party organisation through its secretary, and every claimant through the community's list
    keepers (the member alone excepted: a keeper confirms a member's service, not records it)."""
    if claim.member is not None:
        return claim.member.user_id is not None and claim.member.user_id == actor.pk
    if claim.organisation is not None and claim.organisation.secretary_id == actor.pk:
        return True
    return policies.may_keep_community_lists(actor, claim.item.community)


def speaks_as_claimant(actor: User, claim: Claim) -> bool:
    """Whether `actor` is the claimant themselves (the member's account, the unit's secretary):
    a keeper who is also the claimant may not confirm (and so earn points for) their own
    service."""
    if claim.member is not None:
        return claim.member.user_id == actor.pk
    return claim.organisation is not None and claim.organisation.secretary_id == actor.pk


@transaction.atomic
def withdraw_claim(*, actor: User, claim_id: int) -> Claim:
    """The claimant's side gives a claim up before the community confirmed it; its place frees.
    Idempotent: a withdrawn claim stays withdrawn."""
    claim = _locked_claim(claim_id)
    if not may_act_for_claim(actor, claim):
        raise PermissionDenied(_("Only the claimant's side may withdraw this claim."))
    if claim.state == Claim.State.WITHDRAWN:
        return claim
    if claim.state == Claim.State.CONFIRMED:
        raise Conflict(_("A confirmed claim cannot be withdrawn."), field="claim")
    claim.state = Claim.State.WITHDRAWN
    claim.save(update_fields=["state"])
    return claim


def _hours(value: object) -> Decimal:
    text = str(value).strip() if value is not None else ""
    try:
        hours = Decimal(text) if text.isascii() and text else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or not 0 <= hours <= MAX_SERVICE_HOURS:
        raise InvalidInput(
            _("Service hours are a number from 0 to %(n)s.") % {"n": MAX_SERVICE_HOURS},
            field="hours",
        )
    if hours != hours.quantize(Decimal("0.01")):
        raise InvalidInput(_("Give service hours to at most two decimals."), field="hours")
    return hours.quantize(Decimal("0.01"))


@transaction.atomic
def record_service(
    *,
    actor: User,
    claim_id: int,
    note: str,
    hours: object,
    done_at: dt.datetime | None = None,
) -> Claim:
    """The claimant's side records what was done, the person-hours it took and when it was
    done (not in the future, not before the claim). Recorded again until confirmed."""
    claim = _locked_claim(claim_id)
    if not may_act_for_claim(actor, claim):
        raise PermissionDenied(_("Only the claimant's side may record its service."))
    if claim.state not in (Claim.State.CLAIMED, Claim.State.DONE):
        raise Conflict(_("Only a live, unconfirmed claim takes a service record."), field="claim")
    now = clock.now()
    when = done_at or now
    if when.tzinfo is None:
        raise InvalidInput(_("Give the time with its time zone."), field="done_at")
    if when > now or when < claim.claimed_at:
        raise InvalidInput(_("The service is done between the claim and now."), field="done_at")
    claim.service_note = bounded_text(note, "note", max_length=NOTE_LENGTH, required=True)
    claim.service_hours = _hours(hours)
    claim.done_at = when
    claim.state = Claim.State.DONE
    claim.save(update_fields=["service_note", "service_hours", "done_at", "state"])
    return claim


@transaction.atomic
def confirm_service(*, actor: User, claim_id: int) -> Claim:
    """The community confirms a recorded service; a member with an account earns the points
    per claim. Idempotent: a confirmed claim stays as it was, earning nothing more."""
    claim = _locked_claim(claim_id)
    if not policies.may_keep_community_lists(actor, claim.item.community):
        raise PermissionDenied(_("Only the community's list keepers confirm service."))
    if speaks_as_claimant(actor, claim):
        raise PermissionDenied(_("Another of the community's keepers confirms your own service."))
    if claim.state == Claim.State.CONFIRMED:
        return claim
    if claim.state != Claim.State.DONE:
        raise Conflict(_("Record the service before confirming it."), field="claim")
    claim.state = Claim.State.CONFIRMED
    claim.confirmed_at = clock.now()
    claim.confirmed_by = actor
    claim.save(update_fields=["state", "confirmed_at", "confirmed_by"])
    member = claim.member
    if member is not None and member.user is not None:
        points.award(
            user=member.user,
            rule="claim",
            source_key=f"claim:{claim.pk}",
            note=str(claim.item.title),
        )
    return claim
