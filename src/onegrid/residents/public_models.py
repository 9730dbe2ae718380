"""The public pages' switches: one row per district (residents.public reads them).

Kept apart from the residents' account models (residents/models.py imports this module so that
Django sees the model in the residents app).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit


class PublicSettings(models.Model):
    """Whether a district's reports appear on the public pages (/public/), and how.

    A class appears only when its CaseClass.public is on as well. Photos always need a desk's
    approval (Photo.approved_at) before they are shown: the flag is stored so that the admin
    shows the rule, and a check constraint keeps it true.
    """

    class Location(models.TextChoices):
        GRID = "grid", _("The grid (its outline and a point inside it)")
        M100 = "100m", _("About 100 m (the centre of a 100 m square)")

    district = models.OneToOneField(
        AdminUnit,
        on_delete=models.CASCADE,
        related_name="public_settings",
        limit_choices_to={"level": AdminUnit.Level.DISTRICT},
        verbose_name=_("district"),
    )
    enabled = models.BooleanField(_("public pages on"), default=False)
    location = models.CharField(
        _("location shown as"),
        max_length=4,
        choices=Location.choices,
        default=Location.GRID,
        help_text=_("Never the exact point: the grid, or a ~100 m square."),
    )
    photos_require_approval = models.BooleanField(
        _("photos need a desk's approval"),
        default=True,
        editable=False,
        help_text=_("Always on: a photo is shown once a desk approved it."),
    )
    feed_enabled = models.BooleanField(_("Atom feed of fixed reports on"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("public pages of a district")
        verbose_name_plural = _("public pages of the districts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(photos_require_approval=True),
                name="public_photos_always_approved",
            )
        ]

    def __str__(self) -> str:
        return str(self.district)
