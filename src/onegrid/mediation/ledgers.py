"""The registers (台账) a judicial office and a mediation committee keep and print: the mediation
register with its outcomes, the risk register and the month's screening of each grid. Rows as
dicts, for web.downloads to write.

- The mediation register (人民调解登记台账) holds every dispute on the reader's register
  (mediation.selectors.filtered, the page's own filters). A row carries the register line
  (number, type, source, place, dates, state) for everyone who finds it there; the columns of the
  file (the parties' names, the mediators, the outcome, the referral, the agreement's number and
  its judicial confirmation) only where org.policies.may_read_dispute allows, and those rows are
  recorded as read (PersonalDataRead, MEDIATION, channel download) in one insert per request:
  the dispute and each party named. Street desks get the lines, and no read is recorded.
- The risk register (不稳定因素台账) is what mediation.risk_selectors lets the reader see.
- The month's screening (矛盾纠纷排查台账): every grid in the reader's risk reach
  (org.policies.risk_reach) for one month, screened or not, with what the screening found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext

from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.territory.models import Grid

from . import risk_selectors, selectors
from .models import Agreement, Dispute, DisputeParty, Level, Risk, Screening

# The register line every reader of the register gets, then the file's columns.
LINE_KEYS = (
    "number",
    "type",
    "source",
    "street",
    "community",
    "committee",
    "registered_at",
    "accepted_at",
    "due_on",
    "extended",
    "state",
    "overdue",
    "outcome_at",
    "closed_at",
)
CONTENT_KEYS = (
    "title",
    "applicants",
    "respondents",
    "mediators",
    "sessions",
    "public_hearing",
    "declined_reason",
    "failure_reason",
    "referral",
    "agreement_number",
    "agreement_form",
    "effective_on",
    "confirmation_deadline",
    "confirmation",
    "follow_ups",
)


def _who(user: User | None) -> str:
    if user is None:
        return ""
    return user.display_name or user.username


def _names(parties: Iterable[DisputeParty], side: str) -> str:
    return "、".join(p.name for p in parties if p.side == side)


def _agreement(dispute: Dispute) -> Agreement | None:
    try:
        return dispute.agreement
    except Agreement.DoesNotExist:
        return None


def _confirmation(agreement: Agreement | None) -> str:
    if agreement is None:
        return ""
    try:
        found = agreement.confirmation
    except Agreement.confirmation.RelatedObjectDoesNotExist:
        return ""
    parts = [str(found.get_state_display()), found.court]
    if found.ruling_number:
        parts.append(found.ruling_number)
    return " · ".join(p for p in parts if p)


def mediation_register(
    user: User,
    *,
    path: str,
    state: str = "",
    type_code: str = "",
    overdue: bool = False,
    number: str = "",
) -> list[dict[str, object]]:
    """The register's rows for `user` under the page's filters (the caller bounds the count
    first): the line for every row, the file's columns where `user` reads the dispute; those
    reads recorded once (one insert)."""
    rows = (
        selectors.filtered(user, state=state, type_code=type_code, overdue=overdue, number=number)
        .select_related("type", "committee", "community", "street", "agreement__confirmation")
        .prefetch_related("parties", "assignments__mediator")
        .annotate(
            session_count=Count("sessions", distinct=True),
            follow_up_count=Count("follow_ups", distinct=True),
        )
    )
    out: list[dict[str, object]] = []
    subjects: list[tuple[object, list[str]]] = []
    for dispute in rows:
        line = selectors.register_line(dispute)
        row: dict[str, object] = {key: line.get(key) for key in LINE_KEYS}
        row["type"] = f"{dispute.type.code} {dispute.type.name}"
        row["source"] = line["source_label"]
        row["state"] = line["state_label"]
        if policies.may_read_dispute(user, dispute):
            parties = list(dispute.parties.all())
            agreement = _agreement(dispute)
            mediators = [
                _who(a.mediator)
                + (gettext(" (lead)") if a.lead else "")
                + (gettext(" (chosen by the parties)") if a.chosen_by_parties else "")
                for a in dispute.assignments.all()
            ]
            row.update(
                {
                    "title": dispute.title,
                    "applicants": _names(parties, DisputeParty.Side.APPLICANT),
                    "respondents": _names(parties, DisputeParty.Side.RESPONDENT),
                    "mediators": "、".join(mediators),
                    "sessions": dispute.session_count,
                    "public_hearing": str(dispute.get_public_hearing_display()),
                    "declined_reason": dispute.declined_reason,
                    "failure_reason": dispute.failure_reason,
                    "referral": " · ".join(
                        p
                        for p in (str(dispute.get_referral_display()), dispute.referral_note)
                        if dispute.referral and p
                    ),
                    "agreement_number": agreement.number if agreement else "",
                    "agreement_form": str(agreement.get_form_display()) if agreement else "",
                    "effective_on": agreement.effective_on if agreement else None,
                    "confirmation_deadline": (
                        agreement.confirmation_deadline if agreement else None
                    ),
                    "confirmation": _confirmation(agreement),
                    "follow_ups": dispute.follow_up_count,
                }
            )
            shown = ["register", "title"] + (["agreement"] if agreement else [])
            subjects.append((f"dispute:{dispute.pk}", shown))
            subjects += [(f"party:{p.pk}", ["name"]) for p in parties if p.name]
        out.append(row)
    access_log.record(
        user=user,
        kind=access_log.Kind.MEDIATION,
        channel=access_log.Channel.DOWNLOAD,
        subjects=subjects,
        path=path,
    )
    return out


def risk_register(user: User, *, level: str, state: str, limit: int) -> list[dict[str, object]]:
    """The risk register as the page lists it (high first), every column of a risk."""
    rows = risk_selectors.register(user, level=level, state=state, limit=limit)
    ids = [r.risk.pk for r in rows]
    counts = dict(
        Risk.objects.filter(pk__in=ids).annotate(n=Count("follow_ups")).values_list("pk", "n")
    )
    return [
        {
            "number": r.risk.number,
            "title": r.risk.title,
            "description": r.risk.description,
            "level": str(r.risk.get_level_display()),
            "state": str(r.risk.get_state_display()),
            "street": r.risk.street.name,
            "community": r.risk.community.name,
            "grid": r.risk.grid.name if r.risk.grid else "",
            "owner": _who(r.risk.owner),
            "raised_at": r.risk.raised_at,
            "escalated_at": r.risk.escalated_at,
            "follow_ups": counts.get(r.risk.pk, 0),
            "next_follow_up": r.follow_up_due_at,
            "overdue": r.overdue,
            "resolved_at": r.risk.resolved_at,
            "resolution": r.risk.resolution,
        }
        for r in rows
    ]


def screening_grids(user: User) -> list[Grid]:
    """The grids in `user`'s risk reach (those whose screenings they follow)."""
    reach = policies.risk_reach(user)
    if reach is None:
        return []
    grids = Grid.objects.select_related("community", "street").order_by("code")
    if not reach.district_wide:
        grids = grids.filter(
            Q(pk__in=reach.grid_ids)
            | Q(street_id__in=reach.street_ids)
            | Q(community_id__in=reach.community_ids)
        )
    return list(grids)


def month_screening(user: User, month: dt.date) -> list[dict[str, object]]:
    """Every grid in `user`'s reach for `month` (its first day), the unscreened first, with what
    its screening found."""
    grids = screening_grids(user)
    found = {
        s.grid_id: s
        for s in Screening.objects.filter(grid__in=grids, month=month)
        .select_related("screened_by")
        .annotate(n_risks=Count("risks"), n_disputes=Count("disputes"))
    }
    levels = dict(Level.choices)
    rows = []
    for grid in grids:
        s = found.get(grid.pk)
        rows.append(
            {
                "month": month.strftime("%Y-%m"),
                "street": grid.street.name if grid.street_id else "",
                "community": grid.community.name if grid.community_id else "",
                "grid_code": grid.code,
                "grid": grid.name,
                "screened": s is not None,
                "screened_at": s.screened_at if s else None,
                "screened_by": _who(s.screened_by) if s else "",
                "disputes_found": s.disputes_found if s else None,
                "registered": s.n_disputes if s else None,
                "risk_level": str(levels.get(s.risk_level, s.risk_level)) if s else "",
                "stable": s.stable if s else None,
                "risks_raised": s.n_risks if s else None,
                "note": s.note if s else "",
            }
        )
    rows.sort(key=lambda r: (bool(r["screened"]), str(r["grid_code"])))
    return rows
