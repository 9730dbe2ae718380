"""Deliberation meetings (议事会/协商会) on an accepted topic: scheduled by the committee, their
participants and minutes recorded after, and files attached (sign-in sheets, photos, plans).

Attachments are bounded: a type whitelist checked on the bytes themselves (PDF, PNG, JPEG),
at most MAX_ATTACHMENT_BYTES each and MAX_ATTACHMENTS per meeting; they are stored under
ONEGRID_VAR_DIR/deliberation/meetings/<meeting>/ named by their SHA-256, and served only to
those who may read the topic (web.views.deliberation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.text_input import bounded_text, chosen_row_id, idempotency_key
from onegrid.org import policies
from onegrid.org.models import User

from .models import Meeting, MeetingAttachment, Topic
from .topics import locked_topic

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
# What a file's first bytes must be, and the type it is then served as.
ATTACHMENT_TYPES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
# A meeting is scheduled on a topic the committee accepted (or is voting on); its minutes
# and files are recorded until the topic is closed.
SCHEDULABLE = (Topic.State.ACCEPTED, Topic.State.VOTING)
RECORDABLE = (Topic.State.ACCEPTED, Topic.State.VOTING, Topic.State.DECIDED, Topic.State.REJECTED)
MAX_PARTICIPANTS = 100_000


def attachments_root() -> Path:
    return Path(settings.VAR_DIR) / "deliberation" / "meetings"


def _kept(actor: User, topic: Topic) -> None:
    if not policies.may_keep_deliberation(actor, topic.community):
        raise PermissionDenied(_("Only the community committee keeps this topic's meetings."))


def _held_at(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = bounded_text(value, "held_at", max_length=40, required=True)
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                _("Enter a date and time such as 2026-03-10 08:00."), field="held_at"
            ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if not 2000 <= parsed.year <= 2100:
        raise InvalidInput(_("Enter a date and time such as 2026-03-10 08:00."), field="held_at")
    return parsed


@transaction.atomic
def schedule(
    *,
    actor: User,
    topic_id: object,
    held_at: object,
    place: object,
    key: object,
    chaired_by: object = "",
) -> Meeting:
    """The committee schedules a meeting on an accepted topic. A retry with the same key
    returns it."""
    key = idempotency_key(
        key, missing=_("An idempotency key is required, so a retry schedules once.")
    )
    existing = Meeting.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.created_by_id != actor.pk:
            raise Conflict(
                _("This idempotency key was used for another request."), field="idempotency_key"
            )
        return existing
    topic = locked_topic(topic_id)
    _kept(actor, topic)
    if topic.state not in SCHEDULABLE:
        raise Conflict(_("Meetings are held on accepted topics."), field="topic")
    when = _held_at(held_at)
    place_text = bounded_text(place, "place", max_length=200, required=True)
    chair = bounded_text(chaired_by, "chaired_by", max_length=100)
    try:
        with transaction.atomic():
            return Meeting.objects.create(
                topic=topic,
                held_at=when,
                place=place_text,
                chaired_by=chair,
                created_at=clock.now(),
                created_by=actor,
                idempotency_key=key,
            )
    except IntegrityError:
        existing = Meeting.objects.filter(idempotency_key=key, created_by=actor).first()
        if existing is None:
            raise
        return existing


def _locked_meeting(meeting_id: object) -> Meeting:
    return locked_row(
        Meeting.objects.select_related("topic__community"),
        chosen_row_id(meeting_id, "meeting"),
        NotFound(_("No such meeting."), field="meeting"),
    )


def _count(value: object) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_("Enter a whole number."), field="participant_count")
    text = str(value if value is not None else "").strip() or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise InvalidInput(_("Enter a whole number."), field="participant_count")
    number = int(text)
    if number > MAX_PARTICIPANTS:
        raise InvalidInput(_("Enter a whole number."), field="participant_count")
    return number


@transaction.atomic
def record_minutes(
    *,
    actor: User,
    meeting_id: object,
    minutes: object,
    participants: object = "",
    participant_count: object = 0,
) -> Meeting:
    """The minutes of a meeting held: who took part (one per line, as the minutes record them),
    how many, what was said. Recording them again replaces them (the last word is kept)."""
    meeting = _locked_meeting(meeting_id)
    _kept(actor, meeting.topic)
    if meeting.topic.state not in RECORDABLE:
        raise Conflict(_("This topic is closed."), field="meeting")
    now = clock.now()
    if meeting.held_at > now:
        raise Conflict(_("Minutes are recorded after the meeting is held."), field="minutes")
    meeting.minutes = bounded_text(minutes, "minutes", max_length=20000, required=True)
    meeting.participants = bounded_text(participants, "participants", max_length=4000)
    count = _count(participant_count)
    listed = len([line for line in meeting.participants.splitlines() if line.strip()])
    meeting.participant_count = max(count, listed)
    meeting.minutes_by = actor
    meeting.minutes_at = now
    meeting.save(
        update_fields=[
            "minutes",
            "participants",
            "participant_count",
            "minutes_by",
            "minutes_at",
        ]
    )
    return meeting


def _sniff(data: bytes) -> tuple[str, str]:
    for magic, content_type, ext in ATTACHMENT_TYPES:
        if data.startswith(magic):
            return content_type, ext
    raise InvalidInput(_("Attach a PDF, PNG or JPEG file."), field="file")


@transaction.atomic
def attach(*, actor: User, meeting_id: object, name: object, data: bytes) -> MeetingAttachment:
    """A file of the meeting. The same file (same bytes) attached again returns the first."""
    meeting = _locked_meeting(meeting_id)
    _kept(actor, meeting.topic)
    if meeting.topic.state not in RECORDABLE:
        raise Conflict(_("This topic is closed."), field="meeting")
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidInput(_("Choose a file to upload."), field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            _("A file may be at most %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            field="file",
            code="too_large",
        )
    content_type, ext = _sniff(bytes(data))
    digest = hashlib.sha256(data).hexdigest()
    existing = meeting.attachments.filter(sha256=digest).first()
    if existing is not None:
        return existing
    if meeting.attachments.count() >= MAX_ATTACHMENTS:
        raise Conflict(
            _("A meeting has at most %(n)d files.") % {"n": MAX_ATTACHMENTS}, field="file"
        )
    raw_name = bounded_text(name, "name", max_length=300) or f"file.{ext}"
    # Only the last part of what the browser sent, kept as a label: the stored path is ours.
    label = raw_name.replace("\\", "/").rsplit("/", 1)[-1][-120:] or f"file.{ext}"
    relative = f"deliberation/meetings/{meeting.pk}/{digest}.{ext}"
    target = Path(settings.VAR_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(bytes(data))
    partial.replace(target)
    return MeetingAttachment.objects.create(
        meeting=meeting,
        name=label,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        path=relative,
        uploaded_at=clock.now(),
        uploaded_by=actor,
    )


def attachment_path(attachment: MeetingAttachment) -> Path:
    """Where the attachment's bytes lie (inside ONEGRID_VAR_DIR, never outside it)."""
    root = Path(settings.VAR_DIR).resolve()
    path = (root / attachment.path).resolve()
    if root not in path.parents:
        raise NotFound(_("No such file."), field="attachment")
    return path
