"""双报到: writes of the report-ins of units' Party organisations and of employed members.

A unit's Party organisation (kind unit) reports in to the community where it stands (its
`unit`); an employed (in-service) member to the community where they live (home_community).
The community's Party-organisation staff confirm or decline (with a reason); a confirmed
report-in is what lets a unit or member claim the community's list items (volunteers.lists).

One live (pending or confirmed) report-in per unit and per member. A report-in is not ended by
itself when a member transfers (组织关系转接) or moves home, or a unit's organisation moves:
the community has recorded service against it, so it stays until the member, the unit's
secretary or the community's staff end it (`end`); reporting in to the new community is
refused until then, with a message naming the community still holding it.

Who may do what is org.policies (may_report_in_member, may_report_in_unit,
may_decide_report_in). Each function is one transaction; reporting in takes a client key and a
retry with the same key returns the first report-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import idempotency_key
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from .models import Member, Organisation, ReportIn

State = ReportIn.State
LIVE = (State.PENDING, State.CONFIRMED)
MAX_REASON = 200


@dataclass(frozen=True)
class Outcome:
    report_in: ReportIn
    replayed: bool = False


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot report in twice.")
    )


def _reason(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise InvalidInput(_("Give the reason for declining."), field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(
            _("The reason is longer than %(n)d characters.") % {"n": MAX_REASON}, field="reason"
        )
    if any((ch < " " and ch not in "\n\t") or ch == "\x7f" for ch in text):
        raise InvalidInput(_("The reason may not contain control characters."), field="reason")
    return text


def _replay(key: str, **subject: Member | Organisation) -> Outcome | None:
    earlier = ReportIn.objects.filter(idempotency_key=key).first()
    if earlier is None:
        return None
    if any(
        getattr(earlier, f"{name}_id") != getattr(value, "pk", None)
        for name, value in subject.items()
    ):
        raise Conflict(
            _("This idempotency key was already used for another report-in."),
            field="idempotency_key",
        )
    return Outcome(earlier, replayed=True)


def _refuse_second_live(live: ReportIn | None) -> None:
    if live is None:
        return
    if live.state == State.PENDING:
        message = _("Already reported in to %(community)s, awaiting its confirmation.")
    else:
        message = _("Already reported in to %(community)s; end that report-in first.")
    raise InvalidInput(message % {"community": live.community.name}, field="community")


def _create(**fields: object) -> ReportIn:
    try:
        with transaction.atomic():
            return ReportIn.objects.create(**fields)
    except IntegrityError:
        # Another request made the live one (or used the key) at the same moment.
        key = fields["idempotency_key"]
        earlier = ReportIn.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            return earlier
        raise InvalidInput(
            _("Already reported in to a community; end that report-in first."), field="community"
        ) from None


@transaction.atomic
def report_in_member(
    *,
    actor: User,
    member: Member,
    idempotency_key: str | None,
    community: AdminUnit | None = None,
) -> Outcome:
    """An employed member reports in to their home community. `community`, if given, must be
    that community (a form names it so a stale page cannot report in elsewhere)."""
    key = _key(idempotency_key)
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("home_community")
        .get(pk=member.pk)
    )
    home = member.home_community
    if home is None:
        raise InvalidInput(
            _("Set the member's home community before reporting in."), field="home_community"
        )
    if not policies.may_report_in_member(actor, member_user_id=member.user_id, home=home):
        raise PermissionDenied(
            _("Only the member or the community's Party-organisation staff report them in."),
            field="member",
        )
    replay = _replay(key, member=member)
    if replay is not None:
        return replay
    if member.organisation_id is None:
        raise InvalidInput(_("This person is no longer a Party member."), field="member")
    if member.category != Member.Category.IN_SERVICE:
        raise InvalidInput(
            _(
                "Only employed (in-service) members report in to the community where they live;"
                " a %(category)s member takes part through their own branch."
            )
            % {"category": member.get_category_display()},
            field="member",
        )
    if home.level != AdminUnit.Level.COMMUNITY:
        raise InvalidInput(_("The home community must be a community."), field="home_community")
    if community is not None and community.pk != home.pk:
        raise InvalidInput(
            _("A member reports in to their home community, %(community)s.")
            % {"community": home.name},
            field="community",
        )
    _refuse_second_live(
        ReportIn.objects.filter(member=member, state__in=LIVE).select_related("community").first()
    )
    report_in = _create(
        kind=ReportIn.Kind.MEMBER,
        community=home,
        member=member,
        state=State.PENDING,
        reported_at=clock.now(),
        reported_by=actor,
        idempotency_key=key,
    )
    return Outcome(report_in)


@transaction.atomic
def report_in_unit(
    *,
    actor: User,
    organisation: Organisation,
    idempotency_key: str | None,
    community: AdminUnit | None = None,
) -> Outcome:
    """A unit's Party organisation reports in to the community where it stands."""
    key = _key(idempotency_key)
    org = Organisation.objects.select_for_update().select_related("unit").get(pk=organisation.pk)
    if org.kind != Organisation.Kind.UNIT:
        raise InvalidInput(
            _("Only a unit's Party organisation reports in (双报到)."), field="organisation"
        )
    if not policies.may_report_in_unit(actor, secretary_id=org.secretary_id, place=org.unit):
        raise PermissionDenied(
            _("Only the unit's secretary or the community's Party staff report it in."),
            field="organisation",
        )
    replay = _replay(key, organisation=org)
    if replay is not None:
        return replay
    if org.dissolved_at is not None:
        raise InvalidInput(_("This organisation has been dissolved."), field="organisation")
    if org.unit.level != AdminUnit.Level.COMMUNITY:
        raise InvalidInput(
            _("Record the community where the unit stands before reporting in."),
            field="organisation",
        )
    if community is not None and community.pk != org.unit_id:
        raise InvalidInput(
            _("A unit reports in to the community where it stands, %(community)s.")
            % {"community": org.unit.name},
            field="community",
        )
    _refuse_second_live(
        ReportIn.objects.filter(organisation=org, state__in=LIVE)
        .select_related("community")
        .first()
    )
    report_in = _create(
        kind=ReportIn.Kind.UNIT,
        community=org.unit,
        organisation=org,
        state=State.PENDING,
        reported_at=clock.now(),
        reported_by=actor,
        idempotency_key=key,
    )
    return Outcome(report_in)


def _locked(report_in: ReportIn | int) -> ReportIn:
    pk = report_in.pk if isinstance(report_in, ReportIn) else report_in
    found = ReportIn.objects.select_for_update().select_related("community").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such report-in."), field="report_in")
    return found


def _require_decider(actor: User, report_in: ReportIn) -> None:
    if not policies.may_decide_report_in(actor, report_in.community):
        raise PermissionDenied(
            _("Only the community's Party-organisation staff confirm or decline report-ins."),
            field="report_in",
        )


@transaction.atomic
def confirm(*, actor: User, report_in: ReportIn | int) -> Outcome:
    """The community confirms a pending report-in; confirming it again changes nothing."""
    row = _locked(report_in)
    _require_decider(actor, row)
    if row.state == State.CONFIRMED:
        return Outcome(row, replayed=True)
    if row.state != State.PENDING:
        raise InvalidInput(
            _("Only a report-in awaiting confirmation can be confirmed."), field="report_in"
        )
    row.state = State.CONFIRMED
    row.decided_at = clock.now()
    row.decided_by = actor
    row.save(update_fields=["state", "decided_at", "decided_by"])
    return Outcome(row)


@transaction.atomic
def decline(*, actor: User, report_in: ReportIn | int, reason: str) -> Outcome:
    """The community declines a pending report-in, saying why; the unit or member may then
    report in again (to the right community)."""
    row = _locked(report_in)
    _require_decider(actor, row)
    text = _reason(reason)
    if row.state == State.DECLINED and row.decline_reason == text:
        return Outcome(row, replayed=True)
    if row.state != State.PENDING:
        raise InvalidInput(
            _("Only a report-in awaiting confirmation can be declined."), field="report_in"
        )
    row.state = State.DECLINED
    row.decided_at = clock.now()
    row.decided_by = actor
    row.decline_reason = text
    row.save(update_fields=["state", "decided_at", "decided_by", "decline_reason"])
    return Outcome(row)


def _may_end(actor: User, row: ReportIn) -> bool:
    if policies.may_decide_report_in(actor, row.community):
        return True
    if row.member_id is not None:
        return row.member is not None and row.member.user_id == actor.pk
    return row.organisation is not None and row.organisation.secretary_id == actor.pk


@transaction.atomic
def end(*, actor: User, report_in: ReportIn | int) -> Outcome:
    """End a live report-in (moved away, transferred, the unit left): the member or the unit's
    secretary, or the community's staff. Ending an ended one changes nothing."""
    row = _locked(report_in)
    if not _may_end(actor, row):
        raise PermissionDenied(
            _("Only the one reported in or the community's staff end a report-in."),
            field="report_in",
        )
    if row.state == State.ENDED:
        return Outcome(row, replayed=True)
    if row.state not in LIVE:
        raise InvalidInput(_("Only a live report-in can be ended."), field="report_in")
    row.state = State.ENDED
    row.ended_at = clock.now()
    row.save(update_fields=["state", "ended_at"])
    return Outcome(row)
