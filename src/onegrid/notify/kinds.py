"""The kinds of notification, their labels, and the outside channels each goes out on by default
(the in-app inbox always receives every one; a person's Preference replaces the defaults)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TO_MY_DESK = "to_my_desk"
TO_MY_DEPARTMENT = "to_my_department"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED = "escalated"
RETURNED = "returned"
CHECKED = "checked"
CLOSED = "closed"
REPORTER_RECEIVED = "reporter_received"
REPORTER_REGISTERED = "reporter_registered"
REPORTER_DISPATCHED = "reporter_dispatched"
REPORTER_FIXED = "reporter_fixed"
REPORTER_CLOSED = "reporter_closed"
PLEASE_RATE = "please_rate"
CODE = "code"
# People's mediation: a dispute's period ends soon, or ended with no outcome (its mediators and,
# once late, the judicial office over it).
MEDIATION_DUE_SOON = "mediation_due_soon"
MEDIATION_OVERDUE = "mediation_overdue"
# Screening, risks and legal advice (mediation): a high risk escalated to the street and the
# judicial office (once); a resident's question answered; a question late for its answer.
RISK_ESCALATED = "risk_escalated"
LEGAL_ANSWERED = "legal_answered"
LEGAL_OVERDUE = "legal_overdue"
# Resident deliberation: a vote opened on a topic of the place where a resident is on the roll.
BALLOT_OPENED = "ballot_opened"
# Resident deliberation: a topic awaits the committee's review (its committee members); the
# committee accepted or declined a resident's topic (the one who raised it).
TOPIC_TO_REVIEW = "topic_to_review"
TOPIC_REVIEWED = "topic_reviewed"
# What a case's reporters are told of it (the rest goes to staff).
FOR_REPORTERS = frozenset(
    {
        REPORTER_RECEIVED,
        REPORTER_REGISTERED,
        REPORTER_DISPATCHED,
        REPORTER_FIXED,
        REPORTER_CLOSED,
        PLEASE_RATE,
    }
)

KINDS: dict[str, StrOrPromise] = {
    TO_MY_DESK: _("A case came to my desk"),
    TO_MY_DEPARTMENT: _("A case was dispatched to my department"),
    DUE_SOON: _("A task is due soon"),
    OVERDUE: _("A task is overdue"),
    ESCALATED: _("A case was escalated"),
    RETURNED: _("A case was returned"),
    CHECKED: _("A case passed its on-site check"),
    CLOSED: _("A case was closed"),
    REPORTER_RECEIVED: _("My report was received"),
    REPORTER_REGISTERED: _("My report was registered"),
    REPORTER_DISPATCHED: _("My report was sent to a department"),
    REPORTER_FIXED: _("The department reports my problem fixed"),
    REPORTER_CLOSED: _("My report was closed"),
    PLEASE_RATE: _("Please rate how my report was handled"),
    CODE: _("One-time codes"),
    MEDIATION_DUE_SOON: _("A dispute's mediation period ends soon"),
    MEDIATION_OVERDUE: _("A dispute's mediation period ended without an outcome"),
    RISK_ESCALATED: _("A high risk to stability was escalated"),
    LEGAL_ANSWERED: _("The legal adviser answered my question"),
    LEGAL_OVERDUE: _("A question to the legal adviser is late for its answer"),
    BALLOT_OPENED: _("A vote opened on a topic of my place"),
    TOPIC_TO_REVIEW: _("A deliberation topic awaits the committee's review"),
    TOPIC_REVIEWED: _("The committee reviewed the topic I raised"),
}

# The kinds a person may choose channels for (one-time codes always go by SMS).
CHOOSABLE = tuple(k for k in KINDS if k != CODE)

CHANNELS = ("sms", "email")

# Outside channels a kind goes out on when the person chose nothing. Staff read the inbox; the
# urgent ones also by SMS. Residents hear about their report by SMS at the steps that matter.
DEFAULT_CHANNELS: dict[str, list[str]] = {
    TO_MY_DESK: [],
    TO_MY_DEPARTMENT: ["sms"],
    DUE_SOON: [],
    OVERDUE: ["sms"],
    ESCALATED: ["sms"],
    RETURNED: [],
    CHECKED: [],
    CLOSED: [],
    REPORTER_RECEIVED: [],
    REPORTER_REGISTERED: [],
    REPORTER_DISPATCHED: [],
    REPORTER_FIXED: ["sms"],
    REPORTER_CLOSED: ["sms"],
    PLEASE_RATE: [],
    CODE: ["sms"],
    MEDIATION_DUE_SOON: [],
    MEDIATION_OVERDUE: [],
    RISK_ESCALATED: ["sms"],
    LEGAL_ANSWERED: ["sms"],
    LEGAL_OVERDUE: [],
    BALLOT_OPENED: [],
    TOPIC_TO_REVIEW: [],
    TOPIC_REVIEWED: [],
}


def label(kind: str) -> StrOrPromise:
    return KINDS.get(kind, kind)
