"""The deliberation app's admin pages: topics and their proposals and meetings, read-only
(the services alone write them, so states, numbers and co-signatures hold) and scoped like the
committee desk (org.policies.deliberation_reach). The voter roll is not in the admin: it is
personal data, read on the desk where every unmasked read is logged (kind VOTER)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from onegrid.org import policies

from . import selectors
from .models import Meeting, Proposal, Topic


class ReadOnlyInReach(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.may_open_page(request.user, "deliberation")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.may_open_page(request.user, "deliberation")


@admin.register(Topic)
class TopicAdmin(ReadOnlyInReach):
    list_display = ["number", "title", "scope", "community", "state", "raised_at"]
    list_filter = ["state", "scope", "raised_by_staff"]
    search_fields = ["number", "title"]
    list_select_related = ["community"]
    exclude = ["raised_by", "reviewed_by", "idempotency_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        ids = selectors.topics_in_reach(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyInReach):
    list_display = ["title", "topic", "estimated_cost", "proposed_at", "withdrawn_at"]
    exclude = ["proposed_by", "idempotency_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        ids = selectors.topics_in_reach(request.user).values("pk")
        return super().get_queryset(request).filter(topic_id__in=ids)


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyInReach):
    list_display = ["topic", "held_at", "place", "participant_count"]
    # Participants are named in the minutes: read them on the topic page.
    exclude = ["participants", "created_by", "minutes_by", "idempotency_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        ids = selectors.topics_in_reach(request.user).values("pk")
        return super().get_queryset(request).filter(topic_id__in=ids)
