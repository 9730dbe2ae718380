"""Residents: accounts with a mobile number and one-time codes, anonymous reports with tracking
codes, and the public pages of reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onegrid.core.ids import uuid7
from onegrid.org.phone_masking import mask_phone

# --- resident accounts (residents.services) -------------------------------------------------


class OneTimeCode(models.Model):
    """A one-time code sent by SMS to a mobile number, for registering or signing in.

    Only a keyed digest of the code is stored (residents.codes). A code lives
    ONEGRID["RESIDENTS"]["CODE_LIFE_SECONDS"] (10 minutes), takes at most "CODE_MAX_TRIES" wrong
    tries, and is used once. One live code per phone and purpose: asking again retires the
    one before. The rows also count the requests that the sending throttle limits (per phone
    and per client address), so retired rows are kept until `onegrid residents purge`.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", _("Register")
        SIGN_IN = "sign_in", _("Sign in")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    phone = models.CharField(_("phone"), max_length=11)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Set when the code can no longer be used: used, replaced by a newer code, or out of tries.
    retired_at = models.DateTimeField(null=True, blank=True)
    # Where the request came from (org.throttling.client_address), for the per-address limit.
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # Whether a message was sent: no message goes to a number asking to sign in to an
    # account it does not have (the answer is the same either way).
    sent = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["phone", "created_at"]),
            models.Index(fields=["client_address", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["phone", "purpose"],
                condition=Q(retired_at__isnull=True),
                name="residents_one_live_code_per_phone_and_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} · {self.purpose} · {self.created_at:%Y-%m-%d %H:%M}"


class ResidentProfile(models.Model):
    """What a resident account holds beyond org.User (whose username and phone are the mobile
    number): when and how it was registered, and when the number was last proven by a code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_profile"
    )
    registered_at = models.DateTimeField(_("registered at"))
    phone_verified_at = models.DateTimeField(_("phone verified at"))

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")

    def __str__(self) -> str:
        return str(self.user)


class AnonymousReport(models.Model):
    """A report made on the anonymous form (/report/): the case and the address it came from,
    kept for the per-address limit on anonymous reports and for abuse reviews."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="anonymous_report"
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("anonymous report")
        verbose_name_plural = _("anonymous reports")
        indexes = [models.Index(fields=["client_address", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.created_at:%Y-%m-%d %H:%M}"


# --- the public pages (residents.public; the model lives in residents/public_models.py) -------

from .public_models import PublicSettings  # noqa: E402,F401
