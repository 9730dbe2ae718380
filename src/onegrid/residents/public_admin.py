"""The admin page of the public pages' switches (one row per district)."""

from __future__ import annotations

from django.contrib import admin

from .public_models import PublicSettings


@admin.register(PublicSettings)
class PublicSettingsAdmin(admin.ModelAdmin):
    list_display = ("district", "enabled", "location", "feed_enabled", "updated_at")
    list_filter = ("enabled", "location", "feed_enabled")
    readonly_fields = ("photos_require_approval", "updated_at")
    fields = (
        "district",
        "enabled",
        "location",
        "feed_enabled",
        "photos_require_approval",
        "updated_at",
    )
