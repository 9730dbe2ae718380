"""Volunteer activities posted by communities, and each volunteer's sign-up to one: the
check-in and check-out on the phone (time and place), the hours they give and the hours the
organiser confirms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit

from .volunteering import Volunteer, VolunteerOrganisation


def default_check_in_radius() -> int:
    """Metres from the activity's place within which a check-in counts (the setting
    ONEGRID_VOLUNTEER_CHECK_IN_RADIUS_M, 200 m unless set)."""
    radius = settings.ONEGRID.get("VOLUNTEER_CHECK_IN_RADIUS_M", 200)
    return radius if isinstance(radius, int) else int(str(radius))


class Activity(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        VolunteerOrganisation,
        verbose_name=_("volunteer organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Where volunteers meet, WGS-84 (a GCJ-02 input is converted by the service).
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    check_in_radius_m = models.PositiveIntegerField(
        _("check-in radius (m)"), default=default_check_in_radius
    )
    capacity = models.PositiveSmallIntegerField(_("volunteers wanted"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        indexes = [models.Index(fields=["state", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="volunteers_activity_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="volunteers_activity_capacity"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SignUp(models.Model):
    """One volunteer's place on one activity. A cancelled sign-up keeps its row; a volunteer
    holds at most one live (not cancelled) sign-up per activity."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="sign_ups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="sign_ups")
    signed_up_at = models.DateTimeField(_("signed up at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_lon = models.FloatField(null=True, blank=True)
    check_in_lat = models.FloatField(null=True, blank=True)
    # The phone's own estimate of its error, metres.
    check_in_accuracy_m = models.FloatField(null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_lon = models.FloatField(null=True, blank=True)
    check_out_lat = models.FloatField(null=True, blank=True)
    # Hours between check-in and check-out within the activity's window (volunteers.activities).
    claimed_hours = models.DecimalField(
        _("hours claimed"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    confirmed_hours = models.DecimalField(
        _("hours confirmed"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Why the organiser confirmed other hours than those claimed.
    confirm_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The phone's keys: a retried request finds its own row and changes nothing.
    sign_up_key = models.CharField(max_length=64, blank=True)
    check_in_key = models.CharField(max_length=64, blank=True)
    check_out_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-signed_up_at"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=models.Q(cancelled_at__isnull=True),
                name="volunteers_one_live_sign_up",
            ),
            models.UniqueConstraint(
                fields=["volunteer", "sign_up_key"],
                condition=~models.Q(sign_up_key=""),
                name="volunteers_sign_up_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_in_at__isnull=False),
                name="volunteers_check_out_after_check_in",
            ),
        ]

    def __str__(self) -> str:
        return f"sign-up {self.pk} to {self.activity_id}"
