"""Admin pages: deliveries (the dead letters the console links to, with a retry action),
webhook endpoints (the secret is write-only), notifications read-only."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onegrid.core import clock
from onegrid.org import access_log

from . import jobs
from .kinds import CHOOSABLE, CODE, KINDS
from .models import Delivery, Notification, WebhookEndpoint


@admin.register(Delivery)
class DeliveryAdmin(access_log.RecordedReadsAdmin, admin.ModelAdmin[Delivery]):
    list_display = ("created_at", "channel", "address", "state", "attempts", "next_attempt_at")
    # An SMS's phone and an e-mail's address are shown in full (the list, the delivery's page
    # with its payload): each look is recorded. A webhook's address is an endpoint, not a person.
    access_kind = access_log.Kind.DELIVERY_ADDRESS
    list_filter = ("state", "channel")
    search_fields = ("address", "key")
    ordering = ("-created_at",)
    # The payload through shown_payload: a one-time code's text never reaches the page (with
    # it anyone who may read deliveries could sign in as the resident it was sent to).
    exclude = ["payload"]
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "payload"] + [
        "shown_payload"
    ]
    actions = ["retry_now"]

    def personal_fields(self, obj: Delivery, *, listed: bool) -> list[str]:
        if obj.channel not in (Delivery.Channel.SMS, Delivery.Channel.EMAIL):
            return []
        return access_log.shown_fields(obj, ["address"] if listed else ["address", "payload"])

    @admin.display(description=_("payload"))
    def shown_payload(self, obj: Delivery) -> str:
        payload = obj.payload
        if isinstance(payload, dict) and payload.get("kind") == CODE and "text" in payload:
            payload = {**payload, "text": str(_("(one-time code: not shown)"))}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        now = clock.now()
        n = 0
        for delivery in queryset.exclude(state=Delivery.State.SENT):
            delivery.state = Delivery.State.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = now
            delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
            jobs.wake(delivery, now=now)
            n += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d delivery will be sent again.", "%(n)d deliveries will be sent again.", n
            )
            % {"n": n},
            messages.SUCCESS,
        )


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(label=_("URL"), max_length=300, assume_scheme="https")
    # Write-only: the form never shows the stored secret; left empty, it stays as it was.
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Shared with the receiver to check signatures. Leave empty to keep it."),
    )
    # Ticked by name: a JSON text box of kind codes gave no clue which codes there are.
    kinds = forms.TypedMultipleChoiceField(
        label=_("kinds"),
        choices=[(k, label) for k, label in KINDS.items() if k in CHOOSABLE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "department", "kinds", "active"]

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data.get("secret") or ""
        if not secret:
            if self.instance.pk and self.instance.secret:
                return self.instance.secret
            raise forms.ValidationError(_("Give the endpoint a signing secret."))
        if len(secret) < 16:
            raise forms.ValidationError(_("Use a secret of at least 16 characters."))
        return secret

    def clean_kinds(self) -> list[str]:
        value = self.cleaned_data.get("kinds") or []
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise forms.ValidationError(_("A list of notification kinds."))
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise forms.ValidationError(
                _("Unknown kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}
            )
        return value


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ("name", "url", "department", "active", "created_at")
    list_filter = ("active",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "key")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
