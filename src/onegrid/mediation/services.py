"""The people's mediation register (人民调解): its own flow, not a case class.

One function per use case, keyword arguments, one transaction each, permission from
org.policies ("People's mediation"). A dispute is registered (from a case, by a resident, from
a screening, at the committee or on a referral) with its parties, accepted by the committee of
its place (the community's, else the street's) with a period due on the working calendar, or
declined; mediators of that committee are assigned (one lead), hold sessions, and record the
outcome: an agreement (mediation.agreements records it and calls `mark_agreed`) or a failure
with a referral. Follow-up visits, closing, withdrawal and one extension complete it.

Every write a client may retry is idempotent: a registration, a session or a follow-up under
the client's key returns the same row; a state move already made returns the dispute as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases.models import Case
from onegrid.core import clock, serials, workdays
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.core.text_input import bounded_text, idempotency_key, row_id
from onegrid.notify import kinds
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org.models import Role, User
from onegrid.territory.models import AdminUnit, Grid

from .models import (
    Dispute,
    DisputeParty,
    FollowUp,
    MediationCommittee,
    MediationSession,
    MediationType,
    MediatorAssignment,
    RefusedMediator,
    Screening,
)

MAX_PARTIES = 20
OPEN_STATES = (Dispute.State.REGISTERED, Dispute.State.ACCEPTED, Dispute.State.MEDIATING)
IN_MEDIATION = (Dispute.State.ACCEPTED, Dispute.State.MEDIATING)


# --- committees ------------------------------------------------------------------------------


def committee_for(*, community: AdminUnit | None, street: AdminUnit | None):
    """The committee that takes a dispute of this place: the community's active committee,
    else the street's; None when neither has one."""
    units = [u.pk for u in (community, street) if u is not None]
    found = {
        c.unit_id: c
        for c in MediationCommittee.objects.filter(unit_id__in=units, active=True).select_related(
            "unit"
        )
    }
    for unit_id in units:
        if unit_id in found:
            return found[unit_id]
    return None


def keep_committee(
    *,
    by: User,
    unit: AdminUnit,
    name: object,
    address: object = "",
    phone: object = "",
    active: bool = True,
) -> MediationCommittee:
    """Set up the committee of a street or community, or change it (one per unit: a retry
    changes nothing)."""
    if unit.level not in (AdminUnit.Level.STREET, AdminUnit.Level.COMMUNITY):
        raise InvalidInput(_("A committee stands at a street or a community."), field="unit")
    if not policies.may_keep_mediation_committees(by, unit):
        raise PermissionDenied(_("You may not keep the mediation committees here."))
    values = {
        "name": bounded_text(name, "name", max_length=100, required=True),
        "address": bounded_text(address, "address", max_length=200),
        "phone": _phone(phone, "phone"),
        "active": bool(active),
    }
    with transaction.atomic():
        committee, _created = MediationCommittee.objects.select_for_update().update_or_create(
            unit=unit, defaults=values
        )
    return committee


def mediators_of(committee: MediationCommittee) -> list[User]:
    """The people holding Role.MEDIATOR bound to the committee's unit."""
    ids = policies.holder_ids({Role.MEDIATOR}, [committee.unit_id])
    return list(User.objects.filter(pk__in=ids).order_by("username"))


# --- clocks ----------------------------------------------------------------------------------


def next_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    return day if workdays.is_working_day(day) else workdays.shift_working_days(day, 1)


def due_on_for(accepted_on: dt.date, months: int | None = None) -> dt.date:
    """The last day of the mediation period: `months` (settings.ONEGRID["MEDIATION_MONTHS"])
    calendar months after acceptance, moved to the next working day when it is a rest day."""
    if months is None:
        months = int(settings.ONEGRID["MEDIATION_MONTHS"])
    return next_working_day(clock.add_months(accepted_on, months))


def current_due(dispute: Dispute) -> dt.date | None:
    return dispute.extended_on or dispute.due_on


def is_overdue(dispute: Dispute, today: dt.date | None = None) -> bool:
    """Accepted, still being mediated and past its last day (the working calendar moved it
    already)."""
    due = current_due(dispute)
    if due is None or dispute.state not in IN_MEDIATION:
        return False
    return (today or clock.local_today()) > due


# --- input -----------------------------------------------------------------------------------


def _phone(value: object, field: str) -> str:
    text = bounded_text(value, field, max_length=20)
    if text and not all(ch in "0123456789+- " for ch in text):
        raise InvalidInput(_("A phone number has digits, spaces, + and - only."), field=field)
    return text


def _choice(value: object, choices, field: str, *, default: str | None = None) -> str:
    if (value is None or value == "") and default is not None:
        return default
    if not isinstance(value, str) or value not in choices.values:
        raise InvalidInput(_("Not one of the choices."), field=field)
    return value


def _small_int(value: object, field: str, *, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(_("Expected a whole number."), field=field)
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only: "١٢" or "１２" are not numbers a form sends.
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise InvalidInput(_("Expected a whole number."), field=field)
        value = int(text)
    if not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            _("Expected a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            field=field,
        )
    return value


def mediation_type(value: object, field: str = "type") -> MediationType:
    """An active mediation type by its code (or id)."""
    if isinstance(value, MediationType):
        return value
    code = bounded_text(value if not isinstance(value, int) else str(value), field, max_length=20)
    found = MediationType.objects.filter(code=code, active=True).first()
    if found is None and (pk := row_id(code)) is not None:
        found = MediationType.objects.filter(pk=pk, active=True).first()
    if found is None:
        raise InvalidInput(_("No such mediation type."), field=field)
    return found


def clean_party(raw: object, i: int = 0) -> dict[str, Any]:
    """One party's facts (人民调解法 art. 29), its errors naming `parties[i].<field>`."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(_("Expected a party's facts."), field=f"parties[{i}]")

    def f(name: str) -> str:
        return f"parties[{i}].{name}"

    kind = _choice(raw.get("kind"), DisputeParty.Kind, f("kind"), default="person")
    party = {
        "side": _choice(raw.get("side"), DisputeParty.Side, f("side"), default="applicant"),
        "kind": kind,
        "name": bounded_text(raw.get("name"), f("name"), max_length=100, required=True),
        "sex": _choice(raw.get("sex"), DisputeParty.Sex, f("sex"), default=""),
        "age": _small_int(raw.get("age"), f("age"), low=0, high=150),
        "ethnicity": bounded_text(raw.get("ethnicity"), f("ethnicity"), max_length=20),
        "occupation": bounded_text(raw.get("occupation"), f("occupation"), max_length=100),
        "address": bounded_text(raw.get("address"), f("address"), max_length=200),
        "phone": _phone(raw.get("phone"), f("phone")),
        "representative": bounded_text(
            raw.get("representative"), f("representative"), max_length=50
        ),
    }
    if kind == DisputeParty.Kind.ORGANISATION:
        if not party["representative"]:
            raise InvalidInput(
                _("Name the organisation's legal representative."), field=f("representative")
            )
        if party["sex"] or party["age"] is not None:
            raise InvalidInput(_("An organisation has no sex or age."), field=f("sex"))
    return party


def clean_parties(parties: object) -> list[dict[str, Any]]:
    """The parties as the register keeps them (人民调解法 art. 29: name, sex, age, ethnicity,
    occupation, address, phone; an organisation's legal representative). At least one
    applicant; at most MAX_PARTIES."""
    if not isinstance(parties, (list, tuple)) or not parties:
        raise InvalidInput(_("Name at least one party."), field="parties")
    if len(parties) > MAX_PARTIES:
        raise InvalidInput(
            _("At most %(n)d parties.") % {"n": MAX_PARTIES}, field="parties", code="too_long"
        )
    cleaned = [clean_party(raw, i) for i, raw in enumerate(parties)]
    if not any(p["side"] == DisputeParty.Side.APPLICANT for p in cleaned):
        raise InvalidInput(_("Name at least one applicant."), field="parties")
    return cleaned


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("An idempotency key is needed, so a retry does not register twice.")
    )


def _lock(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("committee")
        .get(pk=dispute.pk)
    )


def _replay(found: Dispute) -> Dispute:
    found.replayed = True  # type: ignore[attr-defined]
    return found


# --- registering -----------------------------------------------------------------------------


def _register(
    *,
    by: User | None,
    source: str,
    community: AdminUnit,
    grid: Grid | None,
    type: object,
    title: object,
    facts: object,
    claims: object,
    parties: object,
    risk: object,
    key: str,
    public_hearing: object = "",
    case: Case | None = None,
    screening: Screening | None = None,
    applicant_user: User | None = None,
) -> Dispute:
    found = Dispute.objects.filter(idempotency_key=key).first()
    if found is not None:
        if found.registered_by_id != (by.pk if by else None) or found.source != source:
            raise Conflict(
                _("This idempotency key was used for another dispute."), field="idempotency_key"
            )
        return _replay(found)
    if community.level != AdminUnit.Level.COMMUNITY or community.parent_id is None:
        raise InvalidInput(_("Name a community."), field="community")
    kind = mediation_type(type)
    values = {
        "title": bounded_text(title, "title", max_length=100, required=True),
        "facts": bounded_text(facts, "facts", max_length=8000, required=True),
        "claims": bounded_text(claims, "claims", max_length=4000),
        "risk": _choice(risk, Dispute.Risk, "risk", default=Dispute.Risk.LOW),
        "public_hearing": _choice(
            public_hearing, Dispute.Hearing, "public_hearing", default=Dispute.Hearing.UNSPECIFIED
        ),
    }
    people = clean_parties(parties)
    now = clock.now()
    try:
        with transaction.atomic():
            serial = serials.next_serial(f"dispute-{clock.local_date(now).year}")
            dispute = Dispute.objects.create(
                number=f"TJ{clock.local_date(now).year}{serial:05d}",
                type=kind,
                source=source,
                case=case,
                screening=screening,
                grid=grid,
                community=community,
                street_id=community.parent_id,
                state=Dispute.State.REGISTERED,
                registered_at=now,
                registered_by=by,
                idempotency_key=key,
                **values,
            )
            first_applicant = True
            rows = []
            for party in people:
                user = None
                if applicant_user is not None and first_applicant and party["side"] == "applicant":
                    user, first_applicant = applicant_user, False
                rows.append(DisputeParty(dispute=dispute, user=user, **party))
            DisputeParty.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent retry under the same key, or a second dispute of the same case.
        found = Dispute.objects.filter(idempotency_key=key).first()
        if found is not None:
            return _replay(found)
        raise Conflict(_("This case was referred to mediation already."), field="case") from None
    dispute.replayed = False  # type: ignore[attr-defined]
    return dispute


def refer_case(
    *,
    by: User,
    case: Case,
    type: object,
    facts: object = "",
    claims: object = "",
    parties: object,
    title: object = "",
    risk: object = "",
    public_hearing: object = "",
    idempotency_key: object,
) -> Dispute:
    """ "转人民调解": register the dispute behind a case (one dispute per case), by the street desks
    over its street or the mediators of its community or street."""
    key = _key(idempotency_key)
    place = policies.Place(case.grid_id, case.community_id, case.street_id)
    if not policies.may_refer_case_to_mediation(by, place):
        raise PermissionDenied(_("You may not refer this case to mediation."))
    existing = Dispute.objects.filter(case=case).first()
    if existing is not None and existing.idempotency_key != key:
        raise Conflict(_("This case was referred to mediation already."), field="case")
    return _register(
        by=by,
        source=Dispute.Source.CASE,
        community=case.community,
        grid=case.grid,
        type=type,
        title=title or case.case_class.name,
        facts=facts or case.description,
        claims=claims,
        parties=parties,
        risk=risk,
        key=key,
        case=case,
        public_hearing=public_hearing,
    )


def apply_as_resident(
    *,
    by: User,
    community: AdminUnit,
    type: object,
    title: object,
    facts: object,
    claims: object = "",
    parties: object,
    public_hearing: object = "",
    idempotency_key: object,
) -> Dispute:
    """A resident applies for mediation (/resident/mediation/): the first applicant is them,
    and they follow the application's state."""
    key = _key(idempotency_key)
    if not policies.may_apply_for_mediation(by):
        raise PermissionDenied(_("Only residents apply for mediation here."))
    return _register(
        by=by,
        source=Dispute.Source.RESIDENT,
        community=community,
        grid=None,
        type=type,
        title=title,
        facts=facts,
        claims=claims,
        parties=parties,
        risk="",
        key=key,
        applicant_user=by,
        public_hearing=public_hearing,
    )


def register_from_screening(
    *,
    by: User,
    screening: Screening,
    type: object,
    title: object,
    facts: object,
    claims: object = "",
    parties: object,
    risk: object = "",
    idempotency_key: object,
) -> Dispute:
    """A dispute found in a monthly screening (mediation.screening calls this), registered by
    the grid's worker or head, or a mediator of its community or street."""
    key = _key(idempotency_key)
    grid = screening.grid
    place = policies.Place(grid.pk, grid.community_id, grid.street_id)
    if not policies.may_register_screened_dispute(by, place):
        raise PermissionDenied(_("You may not register disputes of this grid."))
    return _register(
        by=by,
        source=Dispute.Source.SCREENING,
        community=grid.community,
        grid=grid,
        type=type,
        title=title,
        facts=facts,
        claims=claims,
        parties=parties,
        risk=risk,
        key=key,
        screening=screening,
    )


def register_at_committee(
    *,
    by: User,
    community: AdminUnit,
    type: object,
    title: object,
    facts: object,
    claims: object = "",
    parties: object,
    risk: object = "",
    referred: bool = False,
    grid: Grid | None = None,
    public_hearing: object = "",
    idempotency_key: object,
) -> Dispute:
    """A walk-in at the committee, or a matter referred by a court, the police or another body:
    registered by a mediator of the community or its street."""
    key = _key(idempotency_key)
    if not policies.may_register_dispute(
        by, community_id=community.pk, street_id=community.parent_id or 0
    ):
        raise PermissionDenied(_("You may not register disputes here."))
    if grid is not None and grid.community_id != community.pk:
        raise InvalidInput(_("The grid is not in this community."), field="grid")
    return _register(
        by=by,
        source=Dispute.Source.REFERRED if referred else Dispute.Source.WALK_IN,
        community=community,
        grid=grid,
        type=type,
        title=title,
        facts=facts,
        claims=claims,
        parties=parties,
        risk=risk,
        key=key,
        public_hearing=public_hearing,
    )


# --- acceptance ------------------------------------------------------------------------------


def _acting(by: User, dispute: Dispute) -> None:
    if not policies.may_act_on_dispute(by, dispute):
        raise PermissionDenied(_("Only the committee's mediators act on this dispute."))


def _state_error(dispute: Dispute) -> Conflict:
    return Conflict(
        _("Not possible while the dispute is %(state)s.") % {"state": dispute.get_state_display()},
        field="state",
    )


def accept(*, by: User, dispute: Dispute) -> Dispute:
    """Accept a registered dispute: the committee of its place takes it, and the period runs
    to `due_on_for(the acceptance date)`. Accepting it again changes nothing."""
    _acting(by, dispute)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state != Dispute.State.REGISTERED:
            if dispute.accepted_at is not None and dispute.state != Dispute.State.DECLINED:
                return _replay(dispute)
            raise _state_error(dispute)
        committee = committee_for(community=dispute.community, street=dispute.street)
        if committee is None:
            raise Conflict(
                _("No mediation committee serves this place: the judicial office sets one up."),
                field="committee",
            )
        now = clock.now()
        dispute.committee = committee
        dispute.state = Dispute.State.ACCEPTED
        dispute.accepted_at = now
        dispute.accepted_by = by
        dispute.due_on = due_on_for(clock.local_date(now))
        dispute.save(update_fields=["committee", "state", "accepted_at", "accepted_by", "due_on"])
    dispute.replayed = False  # type: ignore[attr-defined]
    return dispute


def decline(*, by: User, dispute: Dispute, reason: object) -> Dispute:
    """Decline a registered dispute with a reason (art. 18: not for people's mediation, one
    party refuses, already before a court…)."""
    _acting(by, dispute)
    text = bounded_text(reason, "reason", max_length=300, required=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state == Dispute.State.DECLINED:
            return _replay(dispute)
        if dispute.state != Dispute.State.REGISTERED:
            raise _state_error(dispute)
        dispute.state = Dispute.State.DECLINED
        dispute.declined_reason = text
        dispute.closed_at = clock.now()
        dispute.save(update_fields=["state", "declined_reason", "closed_at"])
    return dispute


# --- mediators and sessions --------------------------------------------------------------------


def _committee_mediator_ids(dispute: Dispute) -> set[int]:
    if dispute.committee is None:
        return set()
    return set(policies.holder_ids({Role.MEDIATOR}, [dispute.committee.unit_id]))


def _user_ids(values: Iterable[object], field: str) -> list[int]:
    ids = []
    for value in values:
        if isinstance(value, User):
            ids.append(value.pk)
            continue
        number = _small_int(value, field, low=1, high=2**31 - 1)
        if number is None:
            raise InvalidInput(_("Name a mediator."), field=field)
        ids.append(number)
    return list(dict.fromkeys(ids))


def assign_mediators(
    *,
    by: User,
    dispute: Dispute,
    mediators: object,
    lead: object,
    chosen_by_parties: object = False,
) -> Dispute:
    """Assign mediators of the committee (people holding Role.MEDIATOR at its unit), one of
    them the lead. Those already assigned stay; the lead moves when another is named.
    `chosen_by_parties`: the parties chose those named (人民调解法 art. 23 (一)); it marks them,
    and an assignment once marked stays marked. A mediator a party refused on this dispute is
    not assigned to it again."""
    if not isinstance(chosen_by_parties, bool):
        raise InvalidInput(_("Not one of the choices."), field="chosen_by_parties")
    _acting(by, dispute)
    if not isinstance(mediators, (list, tuple)):
        mediators = [mediators] if mediators not in (None, "") else []
    ids = _user_ids(mediators, "mediators")
    (lead_id,) = _user_ids([lead], "lead") if lead not in (None, "") else (None,)
    if lead_id is not None and lead_id not in ids:
        ids.append(lead_id)
    if not ids:
        raise InvalidInput(_("Name a mediator."), field="mediators")
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state not in IN_MEDIATION:
            raise _state_error(dispute)
        allowed = _committee_mediator_ids(dispute)
        if set(ids) - allowed:
            raise InvalidInput(
                _("Only mediators of the committee may be assigned."), field="mediators"
            )
        if RefusedMediator.objects.filter(dispute=dispute, mediator_id__in=ids).exists():
            raise Conflict(_("A party refused this mediator on this dispute."), field="mediators")
        now = clock.now()
        current = {a.mediator_id: a for a in dispute.assignments.all()}
        if lead_id is None and not any(a.lead for a in current.values()):
            lead_id = ids[0]
        if lead_id is not None:
            dispute.assignments.filter(lead=True).exclude(mediator_id=lead_id).update(lead=False)
        for uid in ids:
            if uid in current:
                if uid == lead_id and not current[uid].lead:
                    MediatorAssignment.objects.filter(pk=current[uid].pk).update(lead=True)
                if chosen_by_parties and not current[uid].chosen_by_parties:
                    MediatorAssignment.objects.filter(pk=current[uid].pk).update(
                        chosen_by_parties=True
                    )
                continue
            MediatorAssignment.objects.create(
                dispute=dispute,
                mediator_id=uid,
                lead=uid == lead_id,
                chosen_by_parties=chosen_by_parties,
                assigned_at=now,
                assigned_by=by,
            )
    return dispute


def refuse_mediator(*, by: User, dispute: Dispute, mediator: object, reason: object) -> Dispute:
    """A party refused a mediator assigned to the dispute (人民调解法 art. 23 (一)): the
    mediators record it with the reason; the mediator leaves the dispute (when they led it,
    the next assignment names a new lead) and is not assigned to it again. Again: nothing
    changes."""
    _acting(by, dispute)
    (uid,) = _user_ids([mediator], "mediator") if mediator not in (None, "") else (None,)
    if uid is None:
        raise InvalidInput(_("Name a mediator."), field="mediator")
    text = bounded_text(reason, "reason", max_length=300, required=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        if RefusedMediator.objects.filter(dispute=dispute, mediator_id=uid).exists():
            return _replay(dispute)
        if dispute.state not in IN_MEDIATION:
            raise _state_error(dispute)
        _mediator_on_committee(by, dispute)
        removed, _rows = MediatorAssignment.objects.filter(
            dispute=dispute, mediator_id=uid
        ).delete()
        if not removed:
            raise InvalidInput(_("This mediator is not assigned to the dispute."), field="mediator")
        RefusedMediator.objects.create(
            dispute=dispute, mediator_id=uid, reason=text, at=clock.now(), by=by
        )
    dispute.replayed = False  # type: ignore[attr-defined]
    return dispute


def set_public_hearing(*, by: User, dispute: Dispute, public_hearing: object) -> Dispute:
    """Whether the parties asked for the mediation to be held in public or not (人民调解法 art.
    23 (三)), recorded or changed by the mediators acting on the dispute while it is open."""
    _acting(by, dispute)
    value = _choice(public_hearing, Dispute.Hearing, "public_hearing")
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.public_hearing == value:
            return _replay(dispute)
        if dispute.state not in OPEN_STATES:
            raise _state_error(dispute)
        dispute.public_hearing = value
        dispute.save(update_fields=["public_hearing"])
    dispute.replayed = False  # type: ignore[attr-defined]
    return dispute


def _moment(value: object, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if not text.isascii() or len(text) > 40:
                raise ValueError
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(_("Expected a date and time."), field=field) from None
    else:
        raise InvalidInput(_("Expected a date and time."), field=field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(_("Expected a date and time."), field=field)
    if moment > clock.now() + dt.timedelta(minutes=5):
        raise InvalidInput(_("This lies in the future."), field=field)
    return moment


def _date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip().isascii() and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(_("Expected a date (YYYY-MM-DD)."), field=field)


def _mediator_on_committee(by: User, dispute: Dispute) -> None:
    if not policies.is_mediator_of(by, dispute.committee.unit_id if dispute.committee else None):
        raise PermissionDenied(_("Only the committee's mediators act on this dispute."))


Record = TypeVar("Record", MediationSession, FollowUp)


def _replayed(model: type[Record], key: str, dispute: Dispute) -> Record | None:
    """The record an earlier request with `key` made on `dispute` (marked replayed), or None;
    a key used on another dispute is a 409."""
    found = model.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    if found.dispute_id != dispute.pk:
        raise Conflict(
            _("This idempotency key was used for another record."), field="idempotency_key"
        )
    found.replayed = True  # type: ignore[attr-defined]
    return found


def record_session(
    *,
    by: User,
    dispute: Dispute,
    held_at: object,
    place: object,
    attendees: object = "",
    notes: object,
    idempotency_key: object,
) -> MediationSession:
    """Record a session (调解笔录, confidential); the first one starts the mediation."""
    key = _key(idempotency_key)
    # Who may act comes first: a replayed key hands back a confidential record.
    _acting(by, dispute)
    found = _replayed(MediationSession, key, dispute)
    if found is not None:
        return found
    values = {
        "held_at": _moment(held_at, "held_at"),
        "place": bounded_text(place, "place", max_length=200, required=True),
        "attendees": bounded_text(attendees, "attendees", max_length=500),
        "notes": bounded_text(notes, "notes", max_length=20000, required=True),
    }
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state not in IN_MEDIATION:
            raise _state_error(dispute)
        _mediator_on_committee(by, dispute)
        if not dispute.assignments.exists():
            raise Conflict(_("Assign the mediators first."), field="mediators")
        session = MediationSession.objects.create(
            dispute=dispute, recorded_by=by, recorded_at=clock.now(), idempotency_key=key, **values
        )
        if dispute.state == Dispute.State.ACCEPTED:
            dispute.state = Dispute.State.MEDIATING
            dispute.save(update_fields=["state"])
    session.replayed = False  # type: ignore[attr-defined]
    return session


def add_party(*, by: User, dispute: Dispute, party: object) -> DisputeParty:
    """A party the registration did not name or named too briefly — a respondent found later,
    a third party — added by the committee's mediators before the outcome, so that the
    agreement (which names every party with the facts of art. 29) can be recorded. A party of
    the same side and name already there is completed instead: the facts given fill or correct
    its facts (so sending the same form twice changes nothing more)."""
    _acting(by, dispute)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state not in (Dispute.State.REGISTERED, *IN_MEDIATION):
            raise _state_error(dispute)
        count = dispute.parties.count()
        values = clean_party(party, count)
        found = dispute.parties.filter(side=values["side"], name=values["name"]).first()
        if found is not None:
            given = [k for k, v in values.items() if v not in ("", None) and k != "kind"]
            if values["kind"] != found.kind and (values["representative"] or values["age"]):
                given.append("kind")
            for k in given:
                setattr(found, k, values[k])
            if given:
                found.save(update_fields=given)
            return found
        if count >= MAX_PARTIES:
            raise InvalidInput(
                _("At most %(n)d parties.") % {"n": MAX_PARTIES}, field="parties", code="too_long"
            )
        return DisputeParty.objects.create(dispute=dispute, **values)


# --- outcome ---------------------------------------------------------------------------------


def mark_agreed(*, by: User, dispute: Dispute) -> Dispute:
    """The state move of an agreement: mediation.agreements records the Agreement and calls
    this inside its transaction. Marking it again changes nothing."""
    _acting(by, dispute)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state == Dispute.State.AGREED:
            return _replay(dispute)
        if dispute.state not in IN_MEDIATION:
            raise _state_error(dispute)
        _mediator_on_committee(by, dispute)
        dispute.state = Dispute.State.AGREED
        dispute.outcome_at = clock.now()
        dispute.save(update_fields=["state", "outcome_at"])
    dispute.replayed = False  # type: ignore[attr-defined]
    return dispute


def fail(
    *, by: User, dispute: Dispute, reason: object, referral: object, referral_note: object = ""
) -> Dispute:
    """Mediation failed: the reason, and where the parties are told to go (litigation,
    arbitration, administrative handling, the petition office: art. 26)."""
    _acting(by, dispute)
    text = bounded_text(reason, "reason", max_length=500, required=True)
    where = _choice(referral, Dispute.Referral, "referral")
    note = bounded_text(referral_note, "referral_note", max_length=300)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state == Dispute.State.FAILED:
            return _replay(dispute)
        if dispute.state not in IN_MEDIATION:
            raise _state_error(dispute)
        _mediator_on_committee(by, dispute)
        dispute.state = Dispute.State.FAILED
        dispute.failure_reason = text
        dispute.referral = where
        dispute.referral_note = note
        dispute.outcome_at = clock.now()
        dispute.save(
            update_fields=["state", "failure_reason", "referral", "referral_note", "outcome_at"]
        )
    return dispute


def record_follow_up(
    *,
    by: User,
    dispute: Dispute,
    visited_at: object,
    performance: object,
    note: object = "",
    idempotency_key: object,
) -> FollowUp:
    """A follow-up visit (回访) after an agreement: is it being performed?"""
    key = _key(idempotency_key)
    # Who may act comes first: a replayed key hands back a confidential record.
    _acting(by, dispute)
    found = _replayed(FollowUp, key, dispute)
    if found is not None:
        return found
    visited = _moment(visited_at, "visited_at")
    values = {
        "visited_at": visited,
        "performance": _choice(performance, FollowUp.Performance, "performance"),
        "note": bounded_text(note, "note", max_length=500),
    }
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state not in (Dispute.State.AGREED, Dispute.State.CLOSED):
            raise _state_error(dispute)
        if dispute.outcome_at and visited < dispute.outcome_at:
            raise InvalidInput(_("A follow-up comes after the agreement."), field="visited_at")
        visit = FollowUp.objects.create(
            dispute=dispute, visited_by=by, idempotency_key=key, **values
        )
    visit.replayed = False  # type: ignore[attr-defined]
    return visit


def close(*, by: User, dispute: Dispute) -> Dispute:
    """Close an agreed or failed dispute (the file is complete). Again: nothing changes."""
    _acting(by, dispute)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state == Dispute.State.CLOSED:
            return _replay(dispute)
        if dispute.state not in (Dispute.State.AGREED, Dispute.State.FAILED):
            raise _state_error(dispute)
        dispute.state = Dispute.State.CLOSED
        dispute.closed_at = clock.now()
        dispute.save(update_fields=["state", "closed_at"])
    return dispute


def may_withdraw(user: User, dispute: Dispute) -> bool:
    """The applicant who applied (their account is a party) or the committee's mediators."""
    if policies.may_act_on_dispute(user, dispute):
        return True
    return (
        user.is_authenticated
        and dispute.source == Dispute.Source.RESIDENT
        and dispute.registered_by_id == user.pk
    )


def withdraw(*, by: User, dispute: Dispute, reason: object) -> Dispute:
    """The applicant withdraws (art. 26: a party may ask to end the mediation), or the mediators
    record it for them, with the reason (recorded). Again: nothing changes (the first reason
    stays)."""
    if not may_withdraw(by, dispute):
        raise PermissionDenied(_("You may not withdraw this dispute."))
    text = bounded_text(reason, "reason", max_length=300, required=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state == Dispute.State.WITHDRAWN:
            return _replay(dispute)
        if dispute.state not in OPEN_STATES:
            raise _state_error(dispute)
        dispute.state = Dispute.State.WITHDRAWN
        dispute.withdrawal_reason = text
        dispute.closed_at = clock.now()
        dispute.save(update_fields=["state", "withdrawal_reason", "closed_at"])
    return dispute


def extend(*, by: User, dispute: Dispute, reason: object, until: object = None) -> Dispute:
    """Extend the period once, with a reason: to `until` (a date after the current last day, at
    most another period later), by default that whole period; a rest day moves to the next
    working day."""
    _acting(by, dispute)
    text = bounded_text(reason, "reason", max_length=300, required=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        if dispute.state not in IN_MEDIATION or dispute.due_on is None:
            raise _state_error(dispute)
        if dispute.extended_on is not None:
            if dispute.extension_reason == text:
                return _replay(dispute)
            raise Conflict(_("The period was extended once already."), field="until")
        latest = due_on_for(dispute.due_on)
        day = latest if until in (None, "") else next_working_day(_date(until, "until"))
        if not dispute.due_on < day <= latest:
            raise InvalidInput(
                _("Extend to a day after %(due)s and no later than %(latest)s.")
                % {"due": dispute.due_on.isoformat(), "latest": latest.isoformat()},
                field="until",
            )
        dispute.extended_on = day
        dispute.extension_reason = text
        dispute.save(update_fields=["extended_on", "extension_reason"])
    return dispute


# --- timers ----------------------------------------------------------------------------------

# A period "ends soon" when at most this many working days are left before its last day.
DUE_SOON_WORKING_DAYS = 2
DUE_SOON_TITLE = gettext_lazy("The mediation period of dispute %(number)s ends on %(due)s")
OVERDUE_TITLE = gettext_lazy("Dispute %(number)s is past its mediation period (%(due)s)")


def _due_recipients(dispute: Dispute, *, with_judicial_office: bool) -> list[int]:
    ids = list(dispute.assignments.values_list("mediator_id", flat=True))
    if not ids:
        ids = sorted(_committee_mediator_ids(dispute))
    if with_judicial_office:
        ids += policies.holder_ids({Role.JUDICIAL_OFFICE}, [dispute.street_id])
    return list(dict.fromkeys(ids))


def notify_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell the mediators of each dispute whose period ends within DUE_SOON_WORKING_DAYS
    working days, and its mediators and the street's judicial office of each dispute past its
    last day with no outcome: once per dispute and last day (notify.services.tell is idempotent
    on the key, so any number of ticks tell once; an extension makes a new last day). The texts
    name the number only: no content. Returns the counts told."""
    now = now or clock.now()
    today = clock.local_date(now)
    told = {"mediation_due_soon": 0, "mediation_overdue": 0}
    # Only disputes whose last day is near or past: the others have nothing to tell, and the
    # tick runs every minute over the whole register. The horizon is generous in calendar days
    # (no run of rest days is longer than the Spring Festival's); the loop below decides.
    horizon = today + dt.timedelta(days=DUE_SOON_WORKING_DAYS + 14)
    rows = (
        Dispute.objects.filter(state__in=IN_MEDIATION, due_on__isnull=False)
        .filter(Q(extended_on__isnull=True, due_on__lte=horizon) | Q(extended_on__lte=horizon))
        .select_related("committee")
    )
    for dispute in rows.iterator(chunk_size=500):
        due = current_due(dispute)
        assert due is not None
        url = f"/mediation/disputes/{dispute.pk}/"
        params: dict[str, object] = {"number": dispute.number, "due": due.isoformat()}
        if today > due:
            told["mediation_overdue"] += bool(
                notify_services.tell(
                    kind=kinds.MEDIATION_OVERDUE,
                    user_ids=_due_recipients(dispute, with_judicial_office=True),
                    key=f"mediation_overdue:{dispute.pk}:{due.isoformat()}",
                    title=OVERDUE_TITLE,
                    url=url,
                    params=params,
                    now=now,
                )
            )
        elif workdays.count_working_days(today, due) <= DUE_SOON_WORKING_DAYS:
            told["mediation_due_soon"] += bool(
                notify_services.tell(
                    kind=kinds.MEDIATION_DUE_SOON,
                    user_ids=_due_recipients(dispute, with_judicial_office=False),
                    key=f"mediation_due_soon:{dispute.pk}:{due.isoformat()}",
                    title=DUE_SOON_TITLE,
                    url=url,
                    params=params,
                    now=now,
                )
            )
    return told
