"""The mediation agreement (人民调解协议书) and its judicial confirmation (司法确认).

* `record_agreement` records what the parties agreed, with the fields 人民调解法 art. 29 asks for
  (the parties' basic facts are their DisputeParty rows; the main facts, the matters in dispute
  and each party's responsibility; what was agreed; how and by when it is performed), written or
  oral (art. 28: a matter settled on the spot may be agreed orally, the mediator recording it),
  its number ``（2027）<committee unit code>调字第N号`` from the series
  ``agreement-<committee>-<year>`` (core.serials), and moves the dispute to AGREED in the same
  transaction (mediation.services.mark_agreed, the register's state move). It takes effect the
  day every party and the mediator signed (``effective_on``): not in the future, not before the
  dispute was accepted.
* `confirmation_deadline(effective_on)`: the parties may apply together to the people's court
  for judicial confirmation within 30 days of the agreement taking effect (art. 33). Counted as
  民事诉讼法 art. 85 counts a period in days: the day of effect is not counted, and a last day
  that is a rest day (a weekend or a statutory holiday; not a make-up working day, 调休) moves to
  the next working day (core.workdays, the administrators' holiday schedule).
* `apply_for_confirmation` records the joint application (the court, the day applied), refused
  after the window with the day it closed; `record_ruling` the court's ruling (confirmed valid
  or not, the day, the ruling's number).

Who records: org.policies.may_record_agreement / may_record_judicial_confirmation. Each write is
one transaction; a retry of the same write (same dispute, same content) replays the first row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onegrid.core import clock, columns, workdays
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.core.serials import next_serial
from onegrid.core.text_input import bounded_text
from onegrid.org import policies
from onegrid.org.models import User

from . import services
from .models import Agreement, Dispute, JudicialConfirmation

CONFIRMATION_DAYS = 30
# The copies: one for each party and one the committee keeps (art. 29).
MAX_COPIES = 50
# States in which mediation is under way, so an agreement can be reached.
AGREEABLE = (Dispute.State.ACCEPTED, Dispute.State.MEDIATING)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_TEXT_LIMITS = {
    "facts": columns.max_length(Agreement, "facts"),
    "matters": columns.max_length(Agreement, "matters"),
    "responsibilities": columns.max_length(Agreement, "responsibilities"),
    "terms": columns.max_length(Agreement, "terms"),
    "performance_manner": columns.max_length(Agreement, "performance_manner"),
}
MAX_COURT = columns.max_length(JudicialConfirmation, "court")
MAX_RULING_NUMBER = columns.max_length(JudicialConfirmation, "ruling_number")


@dataclass(frozen=True)
class Outcome:
    agreement: Agreement
    replayed: bool = False


@dataclass(frozen=True)
class ConfirmationOutcome:
    confirmation: JudicialConfirmation
    replayed: bool = False


# --- the calendar -------------------------------------------------------------------------------


def confirmation_deadline(effective_on: dt.date) -> dt.date:
    """The last day to apply for judicial confirmation of an agreement that took effect on
    `effective_on`: 30 days later (the day of effect not counted), moved to the next working day
    when that day is a rest day (民事诉讼法 art. 85)."""
    last = effective_on + dt.timedelta(days=CONFIRMATION_DAYS)
    while not workdays.is_working_day(last):
        last += dt.timedelta(days=1)
    return last


def parse_day(value: object, field: str, *, required: bool = True) -> dt.date | None:
    """A calendar day given as a date or as ``YYYY-MM-DD`` (ASCII digits only); else a 422 at
    `field`."""
    if isinstance(value, dt.datetime):
        raise InvalidInput(_("Give a day as YYYY-MM-DD."), field=field)
    if isinstance(value, dt.date):
        return value
    text = "" if value is None else value.strip() if isinstance(value, str) else None
    if text is None:
        raise InvalidInput(_("Give a day as YYYY-MM-DD."), field=field)
    if not text:
        if required:
            raise InvalidInput(_("This field is required."), field=field)
        return None
    match = _DAY.match(text)
    if match is None:
        raise InvalidInput(_("Give a day as YYYY-MM-DD."), field=field)
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise InvalidInput(_("No such day."), field=field) from None


def _accepted_on(dispute: Dispute) -> dt.date | None:
    if dispute.accepted_at is None:
        return None
    return clock.local_date(dispute.accepted_at)


# --- the agreement ------------------------------------------------------------------------------


def agreement_number(dispute: Dispute, year: int) -> str:
    """The next number of the committee's agreements of `year` (call inside the transaction),
    named by the committee's unit code: names repeat across streets (two 第1社区), codes never,
    and the register's number is unique."""
    committee = dispute.committee
    assert committee is not None
    serial = next_serial(f"agreement-{committee.pk}-{year}")
    return f"（{year}）{committee.unit.code}调字第{serial}号"


def _copies(value: object, parties: int) -> int:
    if value is None or value == "":
        return parties + 1
    if isinstance(value, bool):
        raise InvalidInput(_("Give the number of copies as a whole number."), field="copies")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 3:
            raise InvalidInput(_("Give the number of copies as a whole number."), field="copies")
        value = int(text)
    if not isinstance(value, int):
        raise InvalidInput(_("Give the number of copies as a whole number."), field="copies")
    if not parties + 1 <= value <= MAX_COPIES:
        raise InvalidInput(
            _(
                "An agreement is made in at least one copy for each party and one for the "
                "committee: from %(low)d to %(high)d copies."
            )
            % {"low": parties + 1, "high": MAX_COPIES},
            field="copies",
        )
    return value


def _form(value: object) -> str:
    text = Agreement.Form.WRITTEN if value in (None, "") else value
    if text not in Agreement.Form.values:
        raise InvalidInput(_("The form is written or oral."), field="form")
    return str(text)


def _same(agreement: Agreement, values: dict[str, Any]) -> bool:
    return all(getattr(agreement, name) == value for name, value in values.items())


@transaction.atomic
def record_agreement(
    *,
    actor: User,
    dispute: Dispute,
    facts: object,
    matters: object,
    responsibilities: object,
    terms: object,
    performance_manner: object,
    effective_on: object,
    performance_deadline: object = None,
    copies: object = None,
    form: object = None,
) -> Outcome:
    """Record the agreement the parties reached and move the dispute to AGREED.

    A retry with the same content answers the agreement recorded first (replayed); a different
    agreement for a dispute already agreed is a 409."""
    dispute = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("committee__unit", "type")
        .get(pk=dispute.pk)
    )
    if not policies.may_record_agreement(actor, dispute):
        raise PermissionDenied(
            _("Only the mediators of the committee holding the dispute record its agreement."),
            field="dispute",
        )
    given = {
        "facts": facts,
        "matters": matters,
        "responsibilities": responsibilities,
        "terms": terms,
        "performance_manner": performance_manner,
    }
    values: dict[str, Any] = {
        name: bounded_text(given[name], name, max_length=limit, required=True)
        for name, limit in _TEXT_LIMITS.items()
    }
    values["form"] = _form(form)
    effective = parse_day(effective_on, "effective_on")
    assert effective is not None
    deadline = parse_day(performance_deadline, "performance_deadline", required=False)
    values["effective_on"] = effective
    values["performance_deadline"] = deadline
    parties = dispute.parties.count()
    values["copies"] = _copies(copies, parties)

    earlier = Agreement.objects.filter(dispute=dispute).first()
    if earlier is not None:
        if _same(earlier, values):
            return Outcome(earlier, replayed=True)
        raise Conflict(
            _("An agreement is already recorded for this dispute (%(number)s).")
            % {"number": earlier.number},
            field="dispute",
        )
    if dispute.state not in AGREEABLE:
        raise Conflict(
            _(
                "An agreement is recorded while the dispute is being mediated, not when it is "
                "%(state)s."
            )
            % {"state": dispute.get_state_display()},
            field="dispute",
        )
    if dispute.committee is None:
        raise InvalidInput(
            _("The dispute has no mediation committee; accept it first."), field="dispute"
        )
    if parties < 2:
        raise InvalidInput(
            _("Record both parties of the dispute before its agreement."), field="parties"
        )
    now = clock.now()
    if effective > clock.local_date(now):
        raise InvalidInput(
            _("The agreement takes effect the day all signed; that cannot be in the future."),
            field="effective_on",
        )
    accepted_on = _accepted_on(dispute)
    if accepted_on is not None and effective < accepted_on:
        raise InvalidInput(
            _("The agreement cannot take effect before the dispute was accepted (%(day)s).")
            % {"day": accepted_on.isoformat()},
            field="effective_on",
        )
    if deadline is not None and deadline < effective:
        raise InvalidInput(
            _("The agreement is performed by a day on or after it takes effect."),
            field="performance_deadline",
        )
    agreement = Agreement.objects.create(
        dispute=dispute,
        number=agreement_number(dispute, effective.year),
        confirmation_deadline=confirmation_deadline(effective),
        recorded_by=actor,
        recorded_at=now,
        **values,
    )
    # The register's own state move (mediation.services), in this transaction.
    services.mark_agreed(by=actor, dispute=dispute)
    return Outcome(agreement)


# --- judicial confirmation ------------------------------------------------------------------


def _agreement_of(dispute: Dispute) -> Agreement:
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .filter(dispute_id=dispute.pk)
        .select_related("dispute")
        .first()
    )
    if agreement is None:
        raise Conflict(_("The dispute has no agreement to confirm."), field="dispute")
    return agreement


def _may_record_confirmation(actor: User, dispute: Dispute) -> None:
    if not policies.may_record_judicial_confirmation(actor, dispute):
        raise PermissionDenied(
            _(
                "Only the committee's mediators and the judicial office over the dispute record"
                " its judicial confirmation."
            ),
            field="dispute",
        )


@transaction.atomic
def apply_for_confirmation(
    *, actor: User, dispute: Dispute, court: object, applied_on: object
) -> ConfirmationOutcome:
    """Record the parties' joint application to `court` on `applied_on`: within the window
    (the day of effect to confirmation_deadline, inclusive), not in the future."""
    _may_record_confirmation(actor, dispute)
    agreement = _agreement_of(dispute)
    court_name = bounded_text(court, "court", max_length=MAX_COURT, required=True)
    day = parse_day(applied_on, "applied_on")
    assert day is not None
    earlier = JudicialConfirmation.objects.filter(agreement=agreement).first()
    if earlier is not None:
        if (earlier.court, earlier.applied_on) == (court_name, day):
            return ConfirmationOutcome(earlier, replayed=True)
        raise Conflict(
            _("The application for judicial confirmation is already recorded."),
            field="applied_on",
        )
    if day > clock.local_today():
        raise InvalidInput(_("The day applied cannot be in the future."), field="applied_on")
    if day < agreement.effective_on:
        raise InvalidInput(
            _("The application cannot precede the agreement taking effect (%(day)s).")
            % {"day": agreement.effective_on.isoformat()},
            field="applied_on",
        )
    if day > agreement.confirmation_deadline:
        raise InvalidInput(
            _(
                "The 30 days to apply for judicial confirmation closed on %(day)s (人民调解法 "
                "art. 33); the parties may still go to court over the agreement itself."
            )
            % {"day": agreement.confirmation_deadline.isoformat()},
            field="applied_on",
            code="window_closed",
        )
    confirmation = JudicialConfirmation.objects.create(
        agreement=agreement,
        court=court_name,
        applied_on=day,
        state=JudicialConfirmation.State.APPLIED,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    return ConfirmationOutcome(confirmation)


@transaction.atomic
def record_ruling(
    *,
    actor: User,
    dispute: Dispute,
    confirmed: object,
    ruled_on: object,
    ruling_number: object,
) -> ConfirmationOutcome:
    """The court's ruling on the application: confirmed valid, or not (then the parties may
    change the agreement or reach a new one through mediation, or sue: art. 33)."""
    _may_record_confirmation(actor, dispute)
    agreement = _agreement_of(dispute)
    confirmation = (
        JudicialConfirmation.objects.select_for_update().filter(agreement=agreement).first()
    )
    if confirmation is None:
        raise Conflict(
            _("Record the application for judicial confirmation before the ruling."),
            field="confirmed",
        )
    if not isinstance(confirmed, bool):
        raise InvalidInput(_("Say whether the court confirmed the agreement."), field="confirmed")
    state = (
        JudicialConfirmation.State.CONFIRMED if confirmed else JudicialConfirmation.State.REFUSED
    )
    day = parse_day(ruled_on, "ruled_on")
    assert day is not None
    number = bounded_text(ruling_number, "ruling_number", max_length=MAX_RULING_NUMBER)
    if confirmation.state != JudicialConfirmation.State.APPLIED:
        if (confirmation.state, confirmation.ruled_on, confirmation.ruling_number) == (
            state,
            day,
            number,
        ):
            return ConfirmationOutcome(confirmation, replayed=True)
        raise Conflict(_("The court's ruling is already recorded."), field="confirmed")
    if day > clock.local_today():
        raise InvalidInput(_("The day of the ruling cannot be in the future."), field="ruled_on")
    if day < confirmation.applied_on:
        raise InvalidInput(
            _("The ruling cannot precede the application (%(day)s).")
            % {"day": confirmation.applied_on.isoformat()},
            field="ruled_on",
        )
    confirmation.state = state
    confirmation.ruled_on = day
    confirmation.ruling_number = number
    confirmation.save(update_fields=["state", "ruled_on", "ruling_number"])
    return ConfirmationOutcome(confirmation)


# --- reads ----------------------------------------------------------------------------------


def agreement_of(dispute: Dispute) -> Agreement | None:
    """The dispute's agreement with its confirmation (None before one is recorded). Callers
    check may_read_dispute first: the agreement is part of the confidential file."""
    return (
        Agreement.objects.filter(dispute_id=dispute.pk)
        .select_related("dispute__committee__unit", "dispute__type", "confirmation")
        .first()
    )


def record_read(
    user: User, dispute: Dispute, agreement: Agreement, *, channel: str, path: str, pdf: bool
) -> None:
    """Record one read of the agreement (PersonalDataRead, MEDIATION), with the parties whose
    basic facts it shows (the PDF names them all)."""
    from onegrid.org import access_log

    shown = ["agreement"] + (["pdf"] if pdf else [])
    subjects: list[tuple[object, list[str]]] = [(f"dispute:{dispute.pk}", shown)]
    if pdf:
        subjects += [
            (f"party:{p.pk}", access_log.shown_fields(p, PARTY_FACTS))
            for p in dispute.parties.all()
        ]
    access_log.record(
        user=user,
        kind=access_log.Kind.MEDIATION,
        channel=channel,
        subjects=subjects,
        path=path,
    )


PARTY_FACTS = (
    "name",
    "sex",
    "age",
    "ethnicity",
    "occupation",
    "address",
    "representative",
)
