"""Admin pages: targets (secrets write-only) with their rules, and the forwards' states with
actions to send again now and to revive dead letters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onegrid.core import clock

from . import services
from .models import Forward, Rule, Target


class TargetForm(forms.ModelForm):
    """The secret and the API key are write-only: a blank field keeps the one stored."""

    secret = forms.CharField(
        label=_("webhook secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to keep the stored one."),
    )
    api_key = forms.CharField(
        label=_("Open311 API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to keep the stored one."),
    )

    class Meta:
        model = Target
        fields = [
            "name",
            "kind",
            "url",
            "secret",
            "api_key",
            "jurisdiction_id",
            "service_codes",
            "include_reporter",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The Open311 key travels in the clear: kept only while the address stays, so that no
        # one who may edit a target can move it to their own server and read the key there.
        moved = bool({"url", "kind"} & set(self.changed_data))
        for name in ("secret", "api_key"):
            if not data.get(name) and self.instance.pk:
                if name == "api_key" and moved and data.get("kind") == Target.Kind.OPEN311:
                    self.add_error(
                        "api_key",
                        _("The address changed: enter the API key again for the new address."),
                    )
                    continue
                data[name] = getattr(self.instance, name)
        return data


class RuleForm(forms.ModelForm):
    """A new rule's "on" starts unchosen: with the model's default (on registration) already
    selected, the commonest rule — every class, any department, on registration — left the
    row as drawn, and Django drops an extra row that was not changed: the target was saved
    with no rule at all and forwarded nothing. Choosing the step is what adds the rule."""

    class Meta:
        model = Rule
        fields = ["on", "class_prefix", "department", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial["on"] = ""
            field = self.fields["on"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "---------"), *Rule.On.choices]


class RuleInline(admin.TabularInline[Rule, Target]):
    model = Rule
    form = RuleForm
    extra = 1
    fields = ["on", "class_prefix", "department", "active"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Target]):
    form = TargetForm
    list_display = ["name", "kind", "url", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "url"]
    inlines = [RuleInline]


@admin.register(Forward)
class ForwardAdmin(admin.ModelAdmin[Forward]):
    """Read-only rows: only the services change a forward's state."""

    list_display = [
        "case",
        "target",
        "state",
        "attempts",
        "next_attempt_at",
        "external_id",
        "acknowledged_at",
        "last_error",
    ]
    list_filter = ["state", "target"]
    search_fields = ["case__number", "external_id", "token"]
    list_select_related = ["case", "target"]
    actions = ["send_now", "revive"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Forward | None = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("forwarding.change_forward")

    @admin.action(description=_("Send the chosen forwards again now"), permissions=["resend"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[Forward]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = services.send_again(forward_ids=ids, now=clock.now())
        self.message_user(
            request,
            ngettext(
                "%(n)d forward will be sent again.", "%(n)d forwards will be sent again.", count
            )
            % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revive the chosen dead forwards"), permissions=["resend"])
    def revive(self, request: HttpRequest, queryset: QuerySet[Forward]) -> None:
        ids = list(queryset.filter(state=Forward.State.DEAD).values_list("pk", flat=True))
        count = services.retry_dead(forward_ids=ids, now=clock.now())
        self.message_user(
            request,
            ngettext("%(n)d dead forward revived.", "%(n)d dead forwards revived.", count)
            % {"n": count},
            messages.SUCCESS,
        )
