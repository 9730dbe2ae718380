"""The volunteers app in /admin/: the points ledger and store are read-only here (every change
goes through volunteers.points, one append-only entry at a time). Rows show account and user
ids, not names: the admin reads no personal data here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import PointsAccount, PointsEntry, PointsRule, Redemption, StoreItem


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnly):
    list_display = ["created_at", "account_id", "kind", "amount", "balance_after", "source_key"]
    list_filter = ["kind"]
    search_fields = ["source_key"]
    fields = ["account", "amount", "kind", "source_key", "balance_after", "created_at", "note"]


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnly):
    list_display = ["pk", "user_id", "balance", "created_at"]
    fields = ["balance", "created_at"]


@admin.register(PointsRule)
class PointsRuleAdmin(ReadOnly):
    list_display = ["kind", "points", "active", "changed_at"]
    list_filter = ["kind", "active"]


@admin.register(StoreItem)
class StoreItemAdmin(ReadOnly):
    list_display = ["name", "unit", "price", "stock", "active"]
    list_filter = ["active"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ["created_at", "account_id", "item", "quantity", "points", "state"]
    list_filter = ["state"]
    fields = ["account", "item", "quantity", "points", "state", "created_at", "cancelled_at"]
