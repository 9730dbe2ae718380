"""Resident deliberation API (/api/v1/deliberation/): the voter roll, topics, co-signing, the
committee's review, meetings (minutes, attachments) and proposals. Ballots are
api_ballots.py, decisions api_decisions.py (mounted at the same prefix).

Thin: parse, call one selector or service, render. Roll entries come masked unless the caller
keeps the community's roll (org.policies.may_read_voter_roll), and every unmasked entry is
logged (PersonalDataRead kind VOTER, channel api). Writes that create carry `client_key`: a
retry with the same key replays the first result.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status, UploadedFile
from ninja.params import functions as param
from pydantic import StrictBool

from onegrid.core.api_errors import BINARY, answered_as, errors
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import chosen_row_id
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest

from . import meetings, proposals, roll, selectors, topics
from .models import Meeting, MeetingAttachment, Proposal, Topic, Voter

router = Router(tags=["deliberation"])

KEY = Field(
    "",
    max_length=64,
    description="A key the client makes for this request: sent again, it returns the first "
    "result instead of doing it twice.",
)
ONE_FILE = param.File(...)
FILE = answered_as(
    "The file.", {"application/pdf": BINARY, "image/png": BINARY, "image/jpeg": BINARY}
)


class RollApplyIn(Schema):
    household: str = Field(..., description="The standard address code of your household.")
    client_key: str = KEY


class VoterOut(Schema):
    id: int
    state: str
    state_label: str
    household_code: str
    household: str
    community_id: int
    community: str
    method: str
    reason: str
    applied_at: dt.datetime
    checked_at: dt.datetime | None


class RollEntryOut(Schema):
    id: int
    name: str = Field(..., description="张* unless the caller keeps the roll.")
    household: str = Field(..., description="Empty unless the caller keeps the roll.")
    grid: str
    community: str
    state: str
    state_label: str
    method_label: str
    reason: str
    applied_at: dt.datetime
    checked_at: dt.datetime | None
    masked: bool


class CheckIn(Schema):
    method: str = Field(..., description="id_card, hukou, residence_permit or in_person.")
    adult_resident: StrictBool = Field(
        True,
        description=(
            "The committee's word that the document seen shows a resident of the place aged 18 "
            "or older (城市居民委员会组织法 art. 8, 村民委员会组织法 art. 13); false is a 422."
        ),
    )


class TopicReasonIn(Schema):
    reason: str


class TopicIn(Schema):
    title: str
    body: str
    scope: str = Field(..., description="community, grid or building (of your household).")
    client_key: str = KEY


class StaffTopicIn(Schema):
    community_id: int
    title: str
    body: str
    scope: str = Field(..., description="community, grid or building.")
    grid_id: int | None = None
    building: str = ""
    client_key: str = KEY


class TopicOut(Schema):
    id: int
    number: str
    title: str
    body: str
    scope: str
    community_id: int
    community: str
    grid_id: int | None
    building: str
    state: str
    state_label: str
    raised_by_staff: bool
    raised_at: dt.datetime
    cosign_threshold: int
    cosign_count: int
    cosign_until: dt.datetime | None
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    review_note: str
    closed_at: dt.datetime | None


class ReviewIn(Schema):
    accept: bool
    note: str = ""


class CoSignOut(Schema):
    topic: TopicOut
    signed_at: dt.datetime


class MeetingIn(Schema):
    held_at: str = Field(..., description="ISO date and time, Asia/Shanghai when no offset.")
    place: str
    chaired_by: str = ""
    client_key: str = KEY


class MinutesIn(Schema):
    minutes: str
    participants: str = Field("", description="One per line, as the minutes record them.")
    participant_count: int = Field(0, ge=0, le=meetings.MAX_PARTICIPANTS)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class MeetingOut(Schema):
    id: int
    topic_id: int
    held_at: dt.datetime
    place: str
    chaired_by: str
    participants: str
    participant_count: int
    minutes: str
    minutes_at: dt.datetime | None
    attachments: list[AttachmentOut]


class ProposalIn(Schema):
    title: str
    body: str
    estimated_cost: str | None = Field(None, description="Yuan, such as 1200.50.")
    client_key: str = KEY


class ProposalOut(Schema):
    id: int
    topic_id: int
    title: str
    body: str
    estimated_cost: Decimal | None
    proposed_at: dt.datetime
    withdrawn_at: dt.datetime | None


class RollQuery(Schema):
    state: str = ""
    community_id: int | None = Field(None, ge=1, le=2**62)


class TopicQuery(Schema):
    state: str = ""


def _voter_out(v: Voter) -> dict[str, object]:
    return {
        "id": v.pk,
        "state": v.state,
        "state_label": str(v.get_state_display()),
        "household_code": v.household.code,
        "household": v.household.name,
        "community_id": v.community_id,
        "community": v.community.name,
        "method": v.method,
        "reason": v.reason,
        "applied_at": v.applied_at,
        "checked_at": v.checked_at,
    }


def _topic_out(t: Topic) -> dict[str, object]:
    count = getattr(t, "cosign_count", None)
    if count is None:
        count = t.cosignatures.count()
    return {
        "id": t.pk,
        "number": t.number,
        "title": t.title,
        "body": t.body,
        "scope": t.scope,
        "community_id": t.community_id,
        "community": t.community.name,
        "grid_id": t.grid_id,
        "building": t.building,
        "state": t.state,
        "state_label": str(t.get_state_display()),
        "raised_by_staff": t.raised_by_staff,
        "raised_at": t.raised_at,
        "cosign_threshold": t.cosign_threshold,
        "cosign_count": count,
        "cosign_until": t.cosign_until,
        "submitted_at": t.submitted_at,
        "reviewed_at": t.reviewed_at,
        "review_note": t.review_note,
        "closed_at": t.closed_at,
    }


def _attachment_out(a: MeetingAttachment) -> dict[str, object]:
    return {
        "id": a.pk,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": a.uploaded_at,
    }


def _meeting_out(m: Meeting) -> dict[str, object]:
    return {
        "id": m.pk,
        "topic_id": m.topic_id,
        "held_at": m.held_at,
        "place": m.place,
        "chaired_by": m.chaired_by,
        "participants": m.participants,
        "participant_count": m.participant_count,
        "minutes": m.minutes,
        "minutes_at": m.minutes_at,
        "attachments": [_attachment_out(a) for a in m.attachments.all()],
    }


def _proposal_out(p: Proposal) -> dict[str, object]:
    return {
        "id": p.pk,
        "topic_id": p.topic_id,
        "title": p.title,
        "body": p.body,
        "estimated_cost": p.estimated_cost,
        "proposed_at": p.proposed_at,
        "withdrawn_at": p.withdrawn_at,
    }


def _fresh(topic: Topic) -> dict[str, object]:
    return _topic_out(selectors.annotated_topics().get(pk=topic.pk))


def _state(value: str, choices: list[str], field: str = "state") -> str:
    if value and value not in choices:
        raise InvalidInput(_("Choose from the list."), field=field)
    return value


# --- the roll ---------------------------------------------------------------------------------


@router.post(
    "/roll",
    response={201: VoterOut, **errors(400, 401, 403, 409, 422)},
    summary="Apply to stand on the voter roll with your household (resident accounts)",
)
def apply(request: SignedInRequest, payload: RollApplyIn) -> Status[dict[str, object]]:
    entry = roll.apply_to_roll(
        actor=request.user, household=payload.household, key=payload.client_key
    )
    entry = Voter.objects.select_related("household", "community").get(pk=entry.pk)
    return Status(201, _voter_out(entry))


@router.get(
    "/roll/mine",
    response={200: list[VoterOut], **errors(401)},
    summary="Your own roll entries, newest first",
)
def my_roll(request: SignedInRequest) -> list[dict[str, object]]:
    return [_voter_out(v) for v in selectors.my_entries(request.user)]


@router.get(
    "/roll",
    response={200: list[RollEntryOut], **errors(401, 403, 422)},
    summary="The roll of the communities in your reach (masked unless you keep it; logged)",
)
def roll_list(request: SignedInRequest, query: Query[RollQuery]) -> list[dict[str, object]]:
    if not policies.may_open_page(request.user, "deliberation"):
        raise PermissionDenied(_("You may not read the voter roll."))
    rows = selectors.roll_of(
        request.user,
        channel=access_log.Channel.API,
        path=request.path,
        state=_state(query.state, Voter.State.values),
        community_id=query.community_id,
    )
    return [r.__dict__ for r in rows]


@router.post(
    "/roll/{voter_id}/check",
    response={200: VoterOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee has checked the applicant's identity: on the roll",
)
def check(request: SignedInRequest, voter_id: str, payload: CheckIn) -> dict[str, object]:
    entry = roll.check_identity(
        actor=request.user,
        voter_id=chosen_row_id(voter_id, "voter"),
        method=payload.method,
        adult_resident=payload.adult_resident,
    )
    return _voter_out(Voter.objects.select_related("household", "community").get(pk=entry.pk))


@router.post(
    "/roll/{voter_id}/refuse",
    response={200: VoterOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee refuses an application, with a reason",
)
def refuse(request: SignedInRequest, voter_id: str, payload: TopicReasonIn) -> dict[str, object]:
    entry = roll.refuse(
        actor=request.user, voter_id=chosen_row_id(voter_id, "voter"), reason=payload.reason
    )
    return _voter_out(Voter.objects.select_related("household", "community").get(pk=entry.pk))


@router.post(
    "/roll/{voter_id}/remove",
    response={200: VoterOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee removes a voter from the roll, with a reason",
)
def remove(request: SignedInRequest, voter_id: str, payload: TopicReasonIn) -> dict[str, object]:
    entry = roll.remove(
        actor=request.user, voter_id=chosen_row_id(voter_id, "voter"), reason=payload.reason
    )
    return _voter_out(Voter.objects.select_related("household", "community").get(pk=entry.pk))


# --- topics -----------------------------------------------------------------------------------


@router.get(
    "/topics",
    response={200: list[TopicOut], **errors(401, 422)},
    summary="Topics: for staff those of their reach, for residents those of their place",
)
def topic_list(request: SignedInRequest, query: Query[TopicQuery]) -> list[dict[str, object]]:
    state = _state(query.state, Topic.State.values)
    if policies.may_open_page(request.user, "deliberation"):
        qs = selectors.topics_in_reach(request.user, state=state)
    else:
        qs = selectors.my_topics(request.user)
        if state:
            qs = qs.filter(state=state)
    return [_topic_out(t) for t in qs.order_by("-raised_at", "-pk")[:200]]


@router.post(
    "/topics",
    response={201: TopicOut, **errors(400, 401, 403, 409, 422)},
    summary="A resident on the roll raises a topic for their place (co-signs it first)",
)
def raise_topic(request: SignedInRequest, payload: TopicIn) -> Status[dict[str, object]]:
    topic = topics.raise_topic(
        actor=request.user,
        title=payload.title,
        body=payload.body,
        scope=payload.scope,
        key=payload.client_key,
    )
    return Status(201, _fresh(topic))


@router.post(
    "/topics/committee",
    response={201: TopicOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The community committee raises a topic straight to its review",
)
def raise_as_committee(
    request: SignedInRequest, payload: StaffTopicIn
) -> Status[dict[str, object]]:
    topic = topics.raise_topic_as_committee(
        actor=request.user,
        community_id=payload.community_id,
        title=payload.title,
        body=payload.body,
        scope=payload.scope,
        grid_id=payload.grid_id,
        building=payload.building,
        key=payload.client_key,
    )
    return Status(201, _fresh(topic))


@router.get(
    "/topics/{topic_id}",
    response={200: TopicOut, **errors(401, 403, 404, 422)},
    summary="One topic",
)
def topic_detail(request: SignedInRequest, topic_id: str) -> dict[str, object]:
    return _topic_out(selectors.topic_for(request.user, topic_id))


@router.post(
    "/topics/{topic_id}/cosign",
    response={200: CoSignOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Co-sign a topic of your place (once; again returns the first signature)",
)
def cosign(request: SignedInRequest, topic_id: str) -> dict[str, object]:
    signature = topics.cosign(actor=request.user, topic_id=topic_id)
    return {"topic": _fresh(signature.topic), "signed_at": signature.signed_at}


@router.post(
    "/topics/{topic_id}/review",
    response={200: TopicOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee accepts a submitted topic, or declines it with a reason",
)
def review(request: SignedInRequest, topic_id: str, payload: ReviewIn) -> dict[str, object]:
    topic = topics.review(
        actor=request.user, topic_id=topic_id, accept=payload.accept, note=payload.note
    )
    return _fresh(topic)


@router.post(
    "/topics/{topic_id}/withdraw",
    response={200: TopicOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Withdraw a topic (the one who raised it, or the committee)",
)
def withdraw(request: SignedInRequest, topic_id: str) -> dict[str, object]:
    return _fresh(topics.withdraw(actor=request.user, topic_id=topic_id))


# --- meetings and proposals -------------------------------------------------------------------


@router.get(
    "/topics/{topic_id}/meetings",
    response={200: list[MeetingOut], **errors(401, 403, 404, 422)},
    summary="A topic's meetings, with minutes and files",
)
def meeting_list(request: SignedInRequest, topic_id: str) -> list[dict[str, object]]:
    topic = selectors.topic_for(request.user, topic_id)
    return [_meeting_out(m) for m in selectors.meetings_of(topic)]


@router.post(
    "/topics/{topic_id}/meetings",
    response={201: MeetingOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee schedules a meeting on an accepted topic",
)
def schedule(
    request: SignedInRequest, topic_id: str, payload: MeetingIn
) -> Status[dict[str, object]]:
    meeting = meetings.schedule(
        actor=request.user,
        topic_id=topic_id,
        held_at=payload.held_at,
        place=payload.place,
        chaired_by=payload.chaired_by,
        key=payload.client_key,
    )
    return Status(201, _meeting_out(meeting))


@router.post(
    "/meetings/{meeting_id}/minutes",
    response={200: MeetingOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The minutes of a meeting held: participants and what was said",
)
def minutes(request: SignedInRequest, meeting_id: str, payload: MinutesIn) -> dict[str, object]:
    meeting = meetings.record_minutes(
        actor=request.user,
        meeting_id=meeting_id,
        minutes=payload.minutes,
        participants=payload.participants,
        participant_count=payload.participant_count,
    )
    return _meeting_out(meeting)


@router.post(
    "/meetings/{meeting_id}/attachments",
    response={201: AttachmentOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Attach a file to a meeting (PDF, PNG or JPEG; bounded in size and number)",
)
def attach(
    request: SignedInRequest, meeting_id: str, file: UploadedFile = ONE_FILE
) -> Status[dict[str, object]]:
    if file.size is None or file.size > meetings.MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            _("A file may be at most %(mb)d MB.")
            % {"mb": meetings.MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            field="file",
            code="too_large",
        )
    attachment = meetings.attach(
        actor=request.user, meeting_id=meeting_id, name=file.name or "", data=file.read()
    )
    return Status(201, _attachment_out(attachment))


@router.get(
    "/attachments/{attachment_id}",
    response=errors(401, 403, 404, 422),
    openapi_extra=FILE,
    summary="A meeting's file (only for those who may read the topic)",
)
def attachment(request: SignedInRequest, attachment_id: str) -> FileResponse:
    found = selectors.attachment_for(request.user, attachment_id)
    return attachment_response(found)


def attachment_response(found: MeetingAttachment) -> FileResponse:
    try:
        opened = meetings.attachment_path(found).open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing."), field="attachment") from None
    response = FileResponse(opened, content_type=found.content_type)
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/topics/{topic_id}/proposals",
    response={200: list[ProposalOut], **errors(401, 403, 404, 422)},
    summary="A topic's proposals (withdrawn ones left out)",
)
def proposal_list(request: SignedInRequest, topic_id: str) -> list[dict[str, object]]:
    topic = selectors.topic_for(request.user, topic_id)
    return [_proposal_out(p) for p in selectors.proposals_of(topic)]


@router.post(
    "/topics/{topic_id}/proposals",
    response={201: ProposalOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="The committee records a proposal on an accepted topic",
)
def propose(
    request: SignedInRequest, topic_id: str, payload: ProposalIn
) -> Status[dict[str, object]]:
    proposal = proposals.propose(
        actor=request.user,
        topic_id=topic_id,
        title=payload.title,
        body=payload.body,
        estimated_cost=payload.estimated_cost,
        key=payload.client_key,
    )
    return Status(201, _proposal_out(proposal))


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response={200: ProposalOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Withdraw a proposal never put to a vote",
)
def withdraw_proposal(request: SignedInRequest, proposal_id: str) -> dict[str, object]:
    return _proposal_out(proposals.withdraw_proposal(actor=request.user, proposal_id=proposal_id))
