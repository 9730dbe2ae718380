"""The party app's admin pages: the organisation tree and its members, read-only (party.services
alone writes them, so the tree's shape and the members' history hold). Members are sensitive
personal data (PIPL art. 28): their pages open only to superusers and Party-organisation staff,
and every page of them that shows a name or phone is recorded (PARTY_MEMBERSHIP)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from onegrid.org import access_log, policies

from .models import Member, Membership, Organisation


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnly):
    list_display = ["code", "name", "kind", "unit", "grid", "parent", "dissolved_at"]
    list_filter = ["kind", "unit_kind"]
    search_fields = ["code", "name"]
    list_select_related = ["unit", "grid", "parent"]
    readonly_fields = [f.name for f in Organisation._meta.fields if f.name != "secretary"]
    exclude = ["secretary"]  # a secretary is a Party member: named on the Party pages only


def _reads_members(request: HttpRequest) -> bool:
    return policies.may_open_party_members_admin(request.user)


STAY_FIELDS = ("organisation", "started_on", "start", "ended_on", "end", "reason", "end_reason")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = STAY_FIELDS
    readonly_fields = STAY_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(access_log.RecordedReadsAdmin, ReadOnly):
    list_display = ["name", "category", "status", "organisation"]
    list_filter = ["category", "status"]
    list_select_related = ["organisation"]
    readonly_fields = [f.name for f in Member._meta.fields]
    inlines = [MembershipInline]
    access_kind = access_log.Kind.PARTY_MEMBERSHIP

    def get_queryset(self, request: HttpRequest) -> QuerySet[Member]:
        # Party-organisation staff read the members of the unit they are bound to and below
        # (may_read_party_membership), here as on the Party pages; superusers read them all.
        members = super().get_queryset(request)
        bound = policies.party_members_admin_units(request.user)  # type: ignore[arg-type]
        if bound is None:
            return members
        return members.filter(
            Q(organisation__unit_id__in=bound)
            | Q(organisation__unit__parent_id__in=bound)
            | Q(organisation__unit__parent__parent_id__in=bound)
            | Q(organisation__unit__parent__parent__parent_id__in=bound)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads_members(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads_members(request)

    def personal_fields(self, obj: Member, *, listed: bool) -> list[str]:
        if listed:
            return access_log.shown_fields(obj, ["name"])
        return access_log.shown_fields(obj, ["name", "phone", "employer", "joined_party_on"])


# The service centres' admin pages (党群服务中心) live beside their services.
from . import centres_admin as centres_admin  # noqa: E402
