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

    # org.policies.assignments keeps the person's role assignments here for the request (an
    # attribute only while cached; not a field).
    _onegrid_roles: list[RoleAssignment]

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
    API_CLIENT = "api_client", _("External system (API client)")
    # 党务工作者: keeps the Party organisations of their unit (district, street or community):
    # the tree, members, 双报到 and service centres. The only staff who read Party membership.
    PARTY_STAFF = "party_staff", _("Party-organisation staff")
    # A community's (or street's) volunteer organiser: posts activities, confirms hours, keeps
    # the needs/resources/projects lists and serves the points-store counter.
    ORGANISER = "organiser", _("Volunteer organiser")
    # 居（村）民委员会成员: a community committee member, bound to their community: keeps the
    # deliberation voter roll, reviews topics, holds meetings and votes, publishes decisions.
    COMMUNITY_COMMITTEE = "community_committee", _("Community committee member")
    # 人民调解员: a mediator of the people's mediation committee of the unit they are bound to.
    MEDIATOR = "mediator", _("People's mediator")
    # 司法所 (street) or 司法局 (district) staff: guide the mediation committees in their unit and
    # read their files; receive the high risks escalated there.
    JUDICIAL_OFFICE = "judicial_office", _("Judicial office")
    # 一村（社区）一法律顾问: the lawyer serving the communities they are bound to.
    LEGAL_ADVISER = "legal_adviser", _("Community legal adviser")


class RoleAssignment(models.Model):
    """One role of one person, bound to a grid, an admin unit or a department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)

    # Set by org.teams.add_member on the assignment it returns: True when it existed already
    # (the request was a retry). Not a field.
    replayed = False

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


# The grid-team roles (1+3+N), in the order a team is listed: the accountable worker first.
# The one list of them: org.policies.GRID_TEAM is its set (policies imports this module).
TEAM_ROLES = [
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
]


class TeamSlot(models.Model):
    """One role of the district's 1+3+N team shape, the same for every grid.

    One row per role. `minimum` is how many people must hold that role on each grid; a group's
    requirement is the sum of its rows' minimums (the "1" is the core group, the "3" the helper
    group, the "N" the volunteer group, usually with minimum 0).
    """

    class Group(models.TextChoices):
        CORE = "core", _("Core (the 1: full-time grid worker)")
        HELPER = "helper", _("Helpers (the 3)")
        VOLUNTEER = "volunteer", _("Volunteers and Party members (the N)")

    role = models.CharField(
        _("role"),
        max_length=20,
        unique=True,
        choices=[(r.value, r.label) for r in TEAM_ROLES],
    )
    label = models.CharField(_("label"), max_length=50)
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    minimum = models.PositiveSmallIntegerField(_("minimum per grid"), default=0)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "role"]
        verbose_name = _("team slot")
        verbose_name_plural = _("team slots")

    def __str__(self) -> str:
        return f"{self.label} ({self.get_group_display()}) ≥ {self.minimum}"


class DutyShift(models.Model):
    """One person on duty in one grid from `starts_at` to `ends_at` (aware datetimes).

    One person is never on two overlapping shifts: org.teams.schedule_duty enforces it.
    """

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="duty_shifts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="duty_shifts")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Set by org.teams.schedule_duty on the shift it returns: True when it existed already
    # (the request was a retry). Not a field.
    replayed = False

    class Meta:
        ordering = ["starts_at", "grid_id"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        indexes = [
            models.Index(fields=["user", "starts_at"]),
            models.Index(fields=["grid", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="org_dutyshift_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.grid_id} · {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        """For admin forms: the same time rules as org.teams.schedule_duty (no membership check)."""
        from django.core.exceptions import ValidationError

        if self.starts_at and self.ends_at:
            if self.ends_at <= self.starts_at:
                raise ValidationError({"ends_at": _("A shift must end after it starts.")})
            if self.user_id and (
                DutyShift.objects.filter(
                    user_id=self.user_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
                )
                .exclude(pk=self.pk)
                .exists()
            ):
                raise ValidationError(
                    {"starts_at": _("This person is already on duty at that time.")}
                )


class PersonalDataRead(models.Model):
    """One person's (or the system's) read of one subject's personal data shown unmasked: the
    access log the developers' guide asks for (PIPL). Append-only: written only through
    org.access_log.record (one bulk insert a request), read by auditors and administrators in
    the admin, never changed there."""

    class Kind(models.TextChoices):
        CASE_REPORTER = "case_reporter", _("Case reporter")
        OPEN311_CONTACT = "open311_contact", _("Open311 contact")
        USER_ACCOUNT = "user_account", _("User account")
        DELIVERY_ADDRESS = "delivery_address", _("Notification address")
        RESIDENT_ACCOUNT = "resident_account", _("Resident account")
        ONE_TIME_CODE = "one_time_code", _("One-time code request")
        ANONYMOUS_REPORT = "anonymous_report", _("Anonymous report")
        SIGN_IN_RECORD = "sign_in_record", _("Sign-in record")
        TEAM_MEMBER_PHONE = "team_member_phone", _("Team member's phone (as username)")
        PARTY_MEMBERSHIP = "party_membership", _("Party membership")
        VOLUNTEER = "volunteer", _("Volunteer's personal data")
        PARTNER_CONTACT = "partner_contact", _("Co-building unit's contact")
        VOTER = "voter", _("Voter roll entry")
        MEDIATION = "mediation", _("Mediation file")
        LEGAL_QUESTION = "legal_question", _("Question to the legal adviser")

    class Channel(models.TextChoices):
        PAGE = "page", _("Web page")
        API = "api", _("API")
        ADMIN = "admin", _("Admin")
        DOWNLOAD = "download", _("Download")
        FORWARD = "forward", _("Forwarded to another system")

    PATH_LENGTH = 300

    user = models.ForeignKey(
        User,
        verbose_name=_("reader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the record still names the reader after the account is deleted.
    username = models.CharField(_("username"), max_length=150, blank=True)
    at = models.DateTimeField(_("time of read"), db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    subject_id = models.CharField(_("subject"), max_length=64)
    fields = models.CharField(_("fields"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    path = models.CharField(_("path"), max_length=PATH_LENGTH, blank=True)

    class Meta:
        verbose_name = _("personal data read")
        verbose_name_plural = _("personal data reads")
        indexes = [
            models.Index(fields=["kind", "subject_id"]),
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username or '-'} · {self.kind}:{self.subject_id} · {self.at:%Y-%m-%d %H:%M}"
