"""The voter roll of resident deliberation (议事协商的居民名册): a resident applies with their
household (a standard address, 户) under a client key; the community committee checks who
they are (身份核验) with a method, or refuses with a reason; a voter on the roll may be removed
with a reason. One use case per function, each one transaction; who may is org.policies.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.text_input import bounded_text, idempotency_key
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import Address

from .models import Voter

LIVE_STATES = (Voter.State.PENDING, Voter.State.VERIFIED)


def _household(code: object) -> Address:
    text = bounded_text(code, "household", max_length=40, required=True)
    address = (
        Address.objects.select_related("grid", "grid__community")
        .filter(code=text, active=True)
        .first()
    )
    if address is None:
        raise InvalidInput(_("No such standard address: choose your household."), field="household")
    if address.grid is None or address.grid.retired_in is not None:
        raise InvalidInput(
            _("This address lies in no grid of the map: the community cannot check it."),
            field="household",
        )
    return address


@transaction.atomic
def apply_to_roll(*, actor: User, household: object, key: object) -> Voter:
    """A resident asks to stand on the roll of their household's community. A retry with the
    same key returns the first application; a second live entry is refused (409)."""
    key = idempotency_key(
        key, missing=_("An idempotency key is required, so a retry applies once.")
    )
    if not policies.may_take_part_in_deliberation(actor):
        raise PermissionDenied(_("Only resident accounts stand on the voter roll."))
    existing = Voter.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.user_id != actor.pk:
            raise Conflict(
                _("This idempotency key was used for another request."), field="idempotency_key"
            )
        return existing
    address = _household(household)
    assert address.grid is not None
    if Voter.objects.filter(user=actor, state__in=LIVE_STATES).exists():
        raise Conflict(
            _("You already stand on the roll or await its check: ask the committee to move you."),
            field="household",
        )
    try:
        with transaction.atomic():
            return Voter.objects.create(
                user=actor,
                household=address,
                community=address.grid.community,
                state=Voter.State.PENDING,
                applied_at=clock.now(),
                idempotency_key=key,
            )
    except IntegrityError:
        # A concurrent application of the same person (or the same key) won.
        existing = Voter.objects.filter(idempotency_key=key, user=actor).first()
        if existing is not None:
            return existing
        raise Conflict(
            _("You already stand on the roll or await its check."), field="household"
        ) from None


def _locked_voter(voter_id: int) -> Voter:
    return locked_row(
        Voter.objects.select_related("community", "household"),
        voter_id,
        NotFound(_("No such roll entry."), field="voter"),
    )


def _kept(actor: User, voter: Voter) -> None:
    if not policies.may_keep_deliberation(actor, voter.community):
        raise PermissionDenied(_("Only the community committee keeps this roll."))


@transaction.atomic
def check_identity(
    *, actor: User, voter_id: int, method: object, adult_resident: object = True
) -> Voter:
    """The committee has checked who the applicant is: the entry goes on the roll. Checking an
    entry already verified by the same method changes nothing (a replay).

    Only residents of the place who are 18 or older stand on the roll (城市居民委员会组织法
    art. 8 and 村民委员会组织法 art. 13: the residents' or villagers' meeting is of the adults
    living there): `adult_resident` is the committee's word that the document it saw shows
    both; anything but True is refused at that field (the page asks for it in a tick box)."""
    voter = _locked_voter(voter_id)
    _kept(actor, voter)
    if method not in Voter.Method.values:
        raise InvalidInput(_("Choose how identity was checked."), field="method")
    if adult_resident is not True:
        raise InvalidInput(
            _(
                "Only residents who are 18 or older and live in the place stand on the roll: "
                "confirm the document you saw shows both, or refuse the application."
            ),
            field="adult_resident",
        )
    if voter.state == Voter.State.VERIFIED and voter.method == method:
        return voter
    if voter.state != Voter.State.PENDING:
        raise Conflict(_("Only an application awaiting its check can be checked."), field="voter")
    if voter.user_id == actor.pk:
        raise PermissionDenied(_("No one checks their own identity."), field="voter")
    voter.state = Voter.State.VERIFIED
    voter.method = str(method)
    voter.checked_at = clock.now()
    voter.checked_by = actor
    voter.save(update_fields=["state", "method", "checked_at", "checked_by"])
    return voter


@transaction.atomic
def refuse(*, actor: User, voter_id: int, reason: object) -> Voter:
    """The committee refuses an application (identity not shown, not living there …)."""
    voter = _locked_voter(voter_id)
    _kept(actor, voter)
    text = bounded_text(reason, "reason", max_length=200, required=True)
    if voter.state == Voter.State.REFUSED and voter.reason == text:
        return voter
    if voter.state != Voter.State.PENDING:
        raise Conflict(_("Only an application awaiting its check can be refused."), field="voter")
    voter.state = Voter.State.REFUSED
    voter.reason = text
    voter.checked_at = clock.now()
    voter.checked_by = actor
    voter.save(update_fields=["state", "reason", "checked_at", "checked_by"])
    return voter


@transaction.atomic
def remove(*, actor: User, voter_id: int, reason: object) -> Voter:
    """A voter leaves the roll (moved away, died, checked wrongly): the committee removes the
    entry with a reason. Co-signatures and votes already given stay counted."""
    voter = _locked_voter(voter_id)
    _kept(actor, voter)
    text = bounded_text(reason, "reason", max_length=200, required=True)
    if voter.state == Voter.State.REMOVED and voter.reason == text:
        return voter
    if voter.state != Voter.State.VERIFIED:
        raise Conflict(_("Only a voter on the roll can be removed."), field="voter")
    voter.state = Voter.State.REMOVED
    voter.reason = text
    voter.ended_at = clock.now()
    voter.save(update_fields=["state", "reason", "ended_at"])
    return voter
