"""People, departments and the roles that bind a person to a part of the territory."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit, Grid


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class Department(models.Model):
    """A department that disposes of cases (城管, 生态环境, 市场监管, a street's police…)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # Set for departments that serve one street only (the street's police station).
    street = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="departments"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_HEAD = "grid_head", _("Grid head")
    POLICE_OFFICER = "police_officer", _("Community police officer")
    BUILDING_HEAD = "building_head", _("Building head")
    PARTY_MEMBER = "party_member", _("Party member")
    ACCEPTOR = "acceptor", _("Acceptor")
    DISPATCHER = "dispatcher", _("Dispatcher")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    CALLBACK = "callback", _("Call-back staff")
    COMMAND_CENTRE = "command_centre", _("District command centre")
    SUPERVISOR = "supervisor", _("Supervision and assessment")
    DEPT_HANDLER = "dept_handler", _("Department handler")
    LEADER = "leader", _("Leader")
    AUDITOR = "auditor", _("Data-protection auditor")
    ADMIN = "admin", _("Administrator")


class RoleAssignment(models.Model):
    """One role of one person, bound to a grid, an admin unit or a department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("role assignment")
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        where = self.grid or self.unit or self.department or "-"
        return f"{self.user} · {self.get_role_display()} · {where}"


class ApiToken(models.Model):
    """A bearer token for app clients; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d}"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
