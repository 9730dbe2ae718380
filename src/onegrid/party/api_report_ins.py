"""双报到 API (/api/v1/party/report-ins…): report in (a member themselves, a unit's secretary,
or Party-organisation staff on their behalf), confirm, decline, end; the staff's queues.

Thin: parse, call one service (party.report_ins) or selector (party.report_in_selectors),
render. Members are named only to Party-organisation staff over the community (logged, channel
api); a member or organisation the caller has nothing to do with is a 404. Reporting in takes
an `idempotency_key`: a retry answers 200 with the first report-in.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest

from . import report_ins
from .models import Member, Organisation, ReportIn
from .report_in_selectors import ReportInRow, own_report_in, report_ins_for_staff

router = Router(tags=["party"])


class ReportInIn(Schema):
    idempotency_key: str = Field(..., description="The client's key: a retry replays.")


class ReportInOut(Schema):
    id: int
    kind: str = Field(..., description="unit or member.")
    state: str = Field(..., description="pending, confirmed, declined or ended.")
    community_id: int
    community: str
    reported_at: dt.datetime
    decided_at: dt.datetime | None
    decline_reason: str
    replayed: bool = False


class ReportInRowOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    community_id: int
    community: str
    name: str = Field(..., description="The unit, or the member (masked unless allowed).")
    masked: bool
    reported_at: dt.datetime
    decided_at: dt.datetime | None
    decline_reason: str


class DeclineIn(Schema):
    reason: str = Field(..., description="Why the community declines (≤ 200 characters).")


class QueueQuery(Schema):
    state: str = Field("pending", description="pending (to decide) or confirmed.")


def _out(r: ReportIn, *, replayed: bool = False) -> dict[str, object]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "state": r.state,
        "community_id": r.community_id,
        "community": r.community.name,
        "reported_at": timezone.localtime(r.reported_at),
        "decided_at": timezone.localtime(r.decided_at) if r.decided_at else None,
        "decline_reason": r.decline_reason,
        "replayed": replayed,
    }


def _row_out(r: ReportInRow) -> dict[str, object]:
    return r.__dict__ | {
        "reported_at": timezone.localtime(r.reported_at),
        "decided_at": timezone.localtime(r.decided_at) if r.decided_at else None,
    }


def _pk(value: str, what: str) -> int:
    text = value.strip()
    if not text or len(text) > 18 or not all("0" <= ch <= "9" for ch in text) or not int(text):
        raise NotFound(_("No such %(what)s.") % {"what": what}, field="id")
    return int(text)


def _answer(outcome: report_ins.Outcome) -> Status[dict[str, object]]:
    return Status(
        200 if outcome.replayed else 201, _out(outcome.report_in, replayed=outcome.replayed)
    )


@router.post(
    "/report-ins/me",
    response={201: ReportInOut, 200: ReportInOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Report in to my home community (an employed member's own account)",
)
def report_in_me(request: SignedInRequest, payload: ReportInIn) -> Status[dict[str, object]]:
    member, _last = own_report_in(request.user)
    if member is None:
        raise NotFound(_("Your account is not linked to a Party member."), field="member")
    return _answer(
        report_ins.report_in_member(
            actor=request.user, member=member, idempotency_key=payload.idempotency_key
        )
    )


@router.post(
    "/members/{member_id}/report-in",
    response={201: ReportInOut, 200: ReportInOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Report a member in to their home community (Party-organisation staff)",
)
def report_in_member(
    request: SignedInRequest, member_id: str, payload: ReportInIn
) -> Status[dict[str, object]]:
    member = (
        Member.objects.select_related("home_community").filter(pk=_pk(member_id, "member")).first()
    )
    # Whether someone is a Party member is theirs to know: a caller with no say over them
    # learns nothing, not even that the id exists.
    if member is None or not (
        member.user_id == request.user.pk
        or (
            member.home_community is not None
            and policies.may_decide_report_in(request.user, member.home_community)
        )
    ):
        raise NotFound(_("No such member."), field="member_id")
    return _answer(
        report_ins.report_in_member(
            actor=request.user, member=member, idempotency_key=payload.idempotency_key
        )
    )


@router.post(
    "/organisations/{org_id}/report-in",
    response={201: ReportInOut, 200: ReportInOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Report a unit's Party organisation in to the community where it stands",
)
def report_in_unit(
    request: SignedInRequest, org_id: str, payload: ReportInIn
) -> Status[dict[str, object]]:
    org = Organisation.objects.filter(pk=_pk(org_id, "organisation")).first()
    if org is None:
        raise NotFound(_("No such organisation."), field="org_id")
    return _answer(
        report_ins.report_in_unit(
            actor=request.user, organisation=org, idempotency_key=payload.idempotency_key
        )
    )


def _decided(request: SignedInRequest, report_in_id: str) -> ReportIn:
    found = (
        ReportIn.objects.select_related("community", "member", "organisation")
        .filter(pk=_pk(report_in_id, "report-in"))
        .first()
    )
    if found is None:
        raise NotFound(_("No such report-in."), field="report_in_id")
    return found


@router.post(
    "/report-ins/{report_in_id}/confirm",
    response={200: ReportInOut, **errors(400, 401, 403, 404, 422)},
    summary="Confirm a pending report-in (the community's Party-organisation staff)",
)
def confirm(request: SignedInRequest, report_in_id: str) -> dict[str, object]:
    out = report_ins.confirm(actor=request.user, report_in=_decided(request, report_in_id))
    return _out(out.report_in, replayed=out.replayed)


@router.post(
    "/report-ins/{report_in_id}/decline",
    response={200: ReportInOut, **errors(400, 401, 403, 404, 422)},
    summary="Decline a pending report-in, with the reason",
)
def decline(request: SignedInRequest, report_in_id: str, payload: DeclineIn) -> dict[str, object]:
    out = report_ins.decline(
        actor=request.user, report_in=_decided(request, report_in_id), reason=payload.reason
    )
    return _out(out.report_in, replayed=out.replayed)


@router.post(
    "/report-ins/{report_in_id}/end",
    response={200: ReportInOut, **errors(400, 401, 403, 404, 422)},
    summary="End a live report-in (moved away, transferred)",
)
def end(request: SignedInRequest, report_in_id: str) -> dict[str, object]:
    out = report_ins.end(actor=request.user, report_in=_decided(request, report_in_id))
    return _out(out.report_in, replayed=out.replayed)


@router.get(
    "/report-ins",
    response={200: list[ReportInRowOut], **errors(401, 403, 422)},
    summary="Report-ins to the communities the caller decides on (pending or confirmed)",
)
def queue(request: SignedInRequest, q: Query[QueueQuery]) -> list[dict[str, object]]:
    if not policies.may_open_page(request.user, "report_ins"):
        raise PermissionDenied(_("Only Party-organisation staff read report-ins."))
    if q.state not in (ReportIn.State.PENDING, ReportIn.State.CONFIRMED):
        raise InvalidInput(_("Ask for pending or confirmed report-ins."), field="state")
    rows = report_ins_for_staff(
        request.user, state=q.state, channel=access_log.Channel.API, path=request.path
    )
    return [_row_out(r) for r in rows]
