"""The Party organisation tree on the territory, its members and their membership history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit, Grid


class Organisation(models.Model):
    """One Party organisation. Territorial ones stand on exactly one place of the territory tree
    (the district, a street, a community or a grid); a unit's organisation (机关, 企事业单位,
    两新组织) stands in the community where the unit is. party.services keeps the tree's shape
    (kind ↔ parent ↔ place) and refuses cycles; this row only holds the data."""

    class Kind(models.TextChoices):
        DISTRICT_COMMITTEE = "district_committee", _("District Party committee")
        STREET_COMMITTEE = "street_committee", _("Street/township Party (working) committee")
        COMMUNITY_COMMITTEE = "community_committee", _("Community/village Party committee")
        COMMUNITY_BRANCH = "community_branch", _("Community/village Party branch")
        GRID_BRANCH = "grid_branch", _("Grid Party branch")
        GRID_GROUP = "grid_group", _("Grid Party group")
        UNIT = "unit", _("Unit Party organisation")

    class UnitKind(models.TextChoices):
        ORGAN = "organ", _("Government organ (机关)")
        ENTERPRISE = "enterprise", _("Enterprise")
        INSTITUTION = "institution", _("Public institution (事业单位)")
        NEW_ECONOMIC = "new_economic", _("Non-public enterprise (两新)")
        NEW_SOCIAL = "new_social", _("Social organisation (两新)")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The place it stands on: the district, street or community (grids: the grid's community).
    unit = models.ForeignKey(
        AdminUnit, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organisations",
    )
    unit_kind = models.CharField(
        _("kind of unit"), max_length=16, choices=UnitKind.choices, blank=True
    )
    # Where a unit's organisation (or a territorial one's office) is, for the map (WGS-84).
    lon = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The secretary (书记) is first-responsible; a grid head may be their grid group's.
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_organisations_led",
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    dissolved_at = models.DateTimeField(_("dissolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        indexes = [models.Index(fields=["unit", "kind"])]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A Party member (党员): sensitive personal data (PIPL art. 28). Read unmasked only by
    Party-organisation staff of the right scope (org.policies), every read logged."""

    class Category(models.TextChoices):
        IN_SERVICE = "in_service", _("In service (employed)")
        RETIRED = "retired", _("Retired")
        STUDENT = "student", _("Student")
        MOBILE = "mobile", _("Mobile (流动党员)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        FULL = "full", _("Full member")
        PROBATIONARY = "probationary", _("Probationary member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    status = models.CharField(
        _("membership status"), max_length=12, choices=Status.choices, default=Status.FULL
    )
    joined_party_on = models.DateField(_("joined the Party on"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    # Where they live: an employed member reports in (双报到) to this community.
    home_community = models.ForeignKey(
        AdminUnit,
        verbose_name=_("home community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_grid = models.ForeignKey(
        Grid,
        verbose_name=_("home grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The organisation of the open Membership (kept here for scoped lists); None once they left.
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["organisation_id", "name"]
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")

    def __str__(self) -> str:
        return f"member {self.pk}"  # never the name: str() reaches logs and admin messages


class Membership(models.Model):
    """One stay of a member in one organisation: joined or transferred in, then transferred out
    (组织关系转接) or left. Append-only history; at most one open stay per member."""

    class Start(models.TextChoices):
        JOINED = "joined", _("Joined the Party")
        TRANSFERRED_IN = "transferred_in", _("Transferred in")
        REGISTERED = "registered", _("Registered (existing member)")

    class End(models.TextChoices):
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        LEFT = "left", _("Left the Party")
        DIED = "died", _("Died")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    started_on = models.DateField(_("from"))
    start = models.CharField(_("how it began"), max_length=16, choices=Start.choices)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end = models.CharField(_("how it ended"), max_length=16, choices=End.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # Why it ended (the reason above is why it began: a transfer's letter names both).
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client keys of the form or phone that opened and closed it: a retry replays the first.
    client_key = models.CharField(max_length=64, blank=True)
    end_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["member_id", "started_on", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_on__isnull=True),
                name="party_one_open_membership",
            ),
            models.UniqueConstraint(
                fields=["recorded_by", "client_key"],
                condition=~models.Q(client_key=""),
                name="party_membership_client_key",
            ),
            models.UniqueConstraint(
                fields=["ended_by", "end_key"],
                condition=~models.Q(end_key=""),
                name="party_membership_end_key",
            ),
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} in {self.organisation_id} from {self.started_on}"
