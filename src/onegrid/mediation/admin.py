"""The mediation app's admin pages, read-only (mediation.services alone writes the register, so
its states and clocks hold).

A dispute's content is confidential (人民调解法 art. 15): the dispute pages open only to those
org.policies.may_open_disputes_admin allows (mediators and the judicial office), list only the
disputes whose content they may read (mediation.selectors.readable), and record every page that
shows content (PersonalDataRead, MEDIATION). Administrators and superusers without such a role
do not open them: as Party membership (party/admin.py), the file is not theirs to read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from onegrid.org import access_log, policies

from . import selectors
from .models import Dispute, DisputeParty, MediationCommittee, MediationType

PARTY_ADMIN_FIELDS = ("side", "kind", *selectors.PARTY_FIELDS)
# What the list shows: the register line, no names and no content.
LINE_FIELDS = ("number", "type", "state", "street", "community", "registered_at", "due_on")
CONTENT_FIELDS = ("title", "facts", "claims")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MediationCommittee)
class CommitteeAdmin(ReadOnly):
    list_display = ["name", "unit", "phone", "active"]
    list_select_related = ["unit"]
    search_fields = ["name"]
    readonly_fields = [f.name for f in MediationCommittee._meta.fields]


if not admin.site.is_registered(MediationType):

    @admin.register(MediationType)
    class TypeAdmin(ReadOnly):
        list_display = ["code", "name", "legal_basis_law", "legal_basis_article", "active"]
        readonly_fields = [f.name for f in MediationType._meta.fields]


class PartyInline(admin.TabularInline):
    model = DisputeParty
    extra = 0
    fields = PARTY_ADMIN_FIELDS
    readonly_fields = PARTY_ADMIN_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shown on a dispute's page, which only its readers open (DisputeAdmin).
        return _opens(request) and (obj is None or policies.may_read_dispute(request.user, obj))


def _opens(request: HttpRequest) -> bool:
    return policies.may_open_disputes_admin(request.user)


@admin.register(Dispute)
class DisputeAdmin(access_log.RecordedReadsAdmin, ReadOnly):
    list_display = list(LINE_FIELDS)
    list_filter = ["state", "source"]
    list_select_related = ["type", "street", "community"]
    readonly_fields = (*LINE_FIELDS, *CONTENT_FIELDS, "source", "committee", "accepted_at")
    fields = readonly_fields
    inlines = [PartyInline]
    access_kind = access_log.Kind.MEDIATION

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dispute]:
        # Only what the reader may read in full: the same rule as the pages and the API.
        readable = selectors.readable(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=readable)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _opens(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not _opens(request):
            return False
        return obj is None or policies.may_read_dispute(request.user, obj)

    def personal_fields(self, obj: Dispute, *, listed: bool) -> list[str]:
        if listed:
            return []  # the list shows the register line only
        return ["facts"] + access_log.shown_fields(obj, ["claims"]) + ["parties"]

    def access_subject(self, obj: Dispute) -> Any:
        return f"dispute:{obj.pk}"
