"""Notifications (the in-app inbox, one per event per person), their deliveries on the outside
channels (the Delivery table is the truth; the job queue only wakes the deliverer), each
person's preferences, the webhook endpoints and the fan-out's mark in the case history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.core.ids import uuid7


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # One of notify.kinds.KINDS.
    kind = models.CharField(_("kind"), max_length=32)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # One per event per person: f"{event_id}:{user_id}", f"due_soon:{task_id}:{user_id}"…
    key = models.CharField(max_length=160, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class WebhookEndpoint(models.Model):
    """A receiver of signed notification webhooks (a department's own system, a duty phone
    gateway…): every notification of the listed kinds (all when empty), of the department's
    cases when a department is set."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=300)
    secret = models.CharField(_("signing secret"), max_length=200)
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead")
        HELD = "held", _("Held (quiet hours)")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # The phone, the e-mail address or the endpoint's URL.
    address = models.CharField(_("address"), max_length=300)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["channel", "address", "case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.state} {self.key}"


class Preference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # {kind: ["sms", "email"]}; the in-app inbox is always on. A kind absent here takes
    # notify.kinds.DEFAULT_CHANNELS.
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    # Asia/Shanghai wall time; a span over midnight (22:00–07:00) is allowed.
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class FanOutMark(models.Model):
    """How far a reader of the case history has got (`name`: "notify"): the time of the newest
    event it has read. It rescans a safety window behind the mark on every pass, so an event
    committed late by a long transaction is still read; the unique keys make a rescan harmless."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at}"


class FanOutSeen(models.Model):
    """The case events the fan-out has read (their ids), so that a rescan of the window behind
    the mark skips them with one indexed look-up; rows older than the window are pruned."""

    event_id = models.UUIDField(primary_key=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return str(self.event_id)
