"""Forwarding cases to other systems (a city 12345 platform, say) by webhook or Open311, retried
until acknowledged and reconciled.

A `Target` is one outside system; `Rule`s say which cases go to it and on which step; one
`Forward` per (case, target) carries the delivery's state. The case history is the outbox: the
scan (services.scan) reads CaseEvents behind its own `Mark` and creates Forwards by rule.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Case, CaseEvent
from onegrid.core import clock
from onegrid.core.ids import uuid7
from onegrid.org.models import Department

_http_url = URLValidator(schemes=["http", "https"])


class Target(models.Model):
    """An outside system cases are forwarded to."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", _("Signed webhook")
        OPEN311 = "open311", _("Open311 GeoReport v2")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    url = models.CharField(
        _("URL"),
        max_length=300,
        validators=[_http_url],
        help_text=_(
            "Webhook: the endpoint that receives the POST. Open311: the base of the GeoReport "
            "v2 endpoint, e.g. https://example.org/open311/v2/"
        ),
    )
    secret = models.CharField(
        _("webhook secret"),
        max_length=200,
        blank=True,
        help_text=_("Signs every webhook (HMAC-SHA256, header X-OneGrid-Signature)."),
    )
    api_key = models.CharField(_("Open311 API key"), max_length=200, blank=True)
    jurisdiction_id = models.CharField(_("Open311 jurisdiction"), max_length=100, blank=True)
    service_codes = models.JSONField(
        _("Open311 service codes"),
        default=dict,
        blank=True,
        help_text=_(
            'Class code (or a prefix of it) → the remote\'s service_code, e.g. {"A01": "101"}; '
            "the longest prefix wins; a class with none is sent with its own code."
        ),
    )
    include_reporter = models.BooleanField(
        _("send the reporter's name and phone"),
        default=False,
        help_text=_("Off by default: personal data leaves OneGrid only where agreed."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("forwarding target")
        verbose_name_plural = _("forwarding targets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.url or "").isprintable() or " " in (self.url or ""):
            raise ValidationError({"url": _("A URL has no spaces or control characters.")})
        if self.kind == self.Kind.WEBHOOK and not self.secret:
            raise ValidationError({"secret": _("A webhook target needs a secret.")})
        if self.kind == self.Kind.OPEN311 and not self.api_key:
            raise ValidationError({"api_key": _("An Open311 target needs an API key.")})
        codes = self.service_codes
        if not isinstance(codes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v and len(v) <= 100
            for k, v in codes.items()
        ):
            raise ValidationError(
                {"service_codes": _("Give an object of class code → service code (both text).")}
            )

    def service_code_for(self, class_code: str) -> str:
        best = ""
        for prefix in self.service_codes or {}:
            if class_code.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return str(self.service_codes[best]) if best else class_code


class Rule(models.Model):
    """Which cases go to a target, and on which step: a class code prefix and/or a department."""

    class On(models.TextChoices):
        REGISTER = "register", _("when registered")
        DISPATCH = "dispatch", _("when dispatched")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="rules")
    on = models.CharField(_("on"), max_length=8, choices=On.choices, default=On.REGISTER)
    class_prefix = models.CharField(
        _("class code prefix"),
        max_length=16,
        blank=True,
        help_text=_("Empty: every class. 'A01' matches A0101, A0102…"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_(
            "Empty: any. On registration the class's default department; on dispatch the "
            "lead or a co-department."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    # A rule forwards the steps taken from its making on, not the history before it (within
    # the scan's rescan window, or a demo's month of history written minutes ago).
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("forwarding rule")
        verbose_name_plural = _("forwarding rules")

    def __str__(self) -> str:
        what = self.class_prefix or "*"
        if self.department_id:
            what += f" · {self.department_id}"
        return f"{self.target} ← {what} ({self.on})"


class Forward(models.Model):
    """One case sent to one target: at most one per (case, target), whatever rules match."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        # The remote answered 2xx but has not given its id yet (an Open311 token, or a webhook
        # answer without an acknowledgement): asked again until it does.
        SENT = "sent", _("Sent, awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FAILED = "failed", _("Failed, retrying")
        DEAD = "dead", _("Dead (given up)")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="forwards")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="forwards")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    external_id = models.CharField(_("remote id"), max_length=100, blank=True)
    token = models.CharField(_("Open311 token"), max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("forward")
        verbose_name_plural = _("forwards")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "target"], name="one_forward_per_case_target")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.target_id} ({self.state})"


class Mark(models.Model):
    """How far the scan has read the case history (by event id: UUIDv7, time-ordered)."""

    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.UUIDField(null=True)
    scanned_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"
