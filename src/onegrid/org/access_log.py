"""The log of reads of personal data (PersonalDataRead): who saw whose unmasked personal data,
when, which fields, through which channel and path.

Every place that shows personal data unmasked to a person calls `record` once per request with
all the subjects it shows: a list page or a download of 5,000 rows costs one INSERT. Masked
values (org.phone_masking) are not personal data any more and are not recorded; neither is a
subject whose fields shown are all empty (pass only the fields actually shown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F
from django.http import HttpRequest

from onegrid.core import clock

from .models import PersonalDataRead, User

Kind = PersonalDataRead.Kind
Channel = PersonalDataRead.Channel


def record(
    *,
    user: User | AnonymousUser | None,
    kind: str,
    channel: str,
    subjects: Iterable[tuple[Any, Iterable[str]]],
    path: str = "",
) -> int:
    """Append one row per subject (subject id, the names of the fields shown unmasked) in one
    bulk insert; subjects with no field shown are skipped. `user` None (or anonymous) is the
    system. Returns the number of rows written."""
    if kind not in Kind.values:
        raise ValueError(f"unknown personal data kind {kind!r}")
    if channel not in Channel.values:
        raise ValueError(f"unknown access channel {channel!r}")
    reader = user if isinstance(user, User) and user.is_authenticated else None
    at = clock.now()
    path = (path or "")[: PersonalDataRead.PATH_LENGTH]
    rows = []
    for subject_id, fields in subjects:
        shown = ",".join(dict.fromkeys(f for f in fields if f))
        if not shown:
            continue
        rows.append(
            PersonalDataRead(
                user=reader,
                username=reader.get_username() if reader else "",
                at=at,
                kind=kind,
                subject_id=str(subject_id)[:64],
                fields=shown[:200],
                channel=channel,
                path=path,
            )
        )
    if rows:
        PersonalDataRead.objects.bulk_create(rows)
    return len(rows)


def record_request(
    request: HttpRequest,
    *,
    kind: str,
    channel: str,
    subjects: Iterable[tuple[Any, Iterable[str]]],
) -> int:
    """`record` for the request's user and path."""
    return record(
        user=getattr(request, "user", None),
        kind=kind,
        channel=channel,
        subjects=subjects,
        path=request.path,  # not the query: a search may hold a phone
    )


def record_usernames_shown(request: HttpRequest, usernames: Iterable[str], *, channel: str) -> int:
    """A page or answer that lists people by username (the grid teams' pages and API) shows a
    resident's phone: their username is their mobile number (residents.services.register).
    Records those among `usernames` (one look-up, one insert) as team_member_phone reads."""
    names = {u for u in usernames if u}
    if not names:
        return 0
    phones = User.objects.filter(username__in=names, phone=F("username")).values_list(
        "pk", flat=True
    )
    return record_request(
        request,
        kind=Kind.TEAM_MEMBER_PHONE,
        channel=channel,
        subjects=[(pk, ["username"]) for pk in phones],
    )


def shown_fields(obj: object, names: Iterable[str]) -> list[str]:
    """The names among `names` whose value on `obj` is not empty (what a page actually shows)."""
    return [n for n in names if getattr(obj, n, "")]


class RecordedReadsAdmin:
    """A ModelAdmin mixin: the change page and the list of a model that shows personal data
    unmasked record what they showed (one insert a page). Set `access_kind` and override
    `personal_fields(obj, listed=)`: the names of the personal fields the page shows of `obj`
    with a value (in the list when `listed`, else on its own page)."""

    access_kind: str = ""

    def personal_fields(self, obj: Any, *, listed: bool) -> list[str]:
        return []

    def access_subject(self, obj: Any) -> Any:
        """The id the log names the subject by (the shown row's own by default)."""
        return obj.pk

    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().change_view(request, *args, **kwargs)  # type: ignore[misc]
        original = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and original is not None:
            self._record_shown(request, [original], listed=False)
        return response

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().changelist_view(request, *args, **kwargs)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            # The page's own rows (evaluated here once; the template reuses them).
            self._record_shown(request, changelist.result_list, listed=True)
        return response

    def _record_shown(self, request: HttpRequest, objs: Iterable[Any], *, listed: bool) -> None:
        shown = [(obj, self.personal_fields(obj, listed=listed)) for obj in objs]
        # The subject is looked up only for rows that show something (it may cost a query).
        subjects = [(self.access_subject(obj), fields) for obj, fields in shown if fields]
        record_request(request, kind=self.access_kind, channel=Channel.ADMIN, subjects=subjects)


def purge(*, older_than_days: int) -> int:
    """Delete the reads recorded more than `older_than_days` days ago (retention: the log is
    personal data itself). The only way rows leave the log. Returns how many went."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    deleted, _ = PersonalDataRead.objects.filter(at__lt=cutoff).delete()
    return deleted
