"""The case and what hangs off it. No workflow here: states change only in services.py."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.tracking import new_code as new_tracking_code
from onegrid.core.ids import uuid7
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit, Grid


class MajorClass(models.Model):
    """Top level of the catalogue (A 城市管理, B 生态环境, …)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("major class")
        verbose_name_plural = _("major classes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CaseClass(models.Model):
    """A minor class: what the catalogue says about one kind of problem."""

    class Unit(models.TextChoices):
        WORKING_HOURS = "hours", _("working hours")
        WORKING_DAYS = "days", _("working days")

    class Urgency(models.TextChoices):
        RED = "red", _("Urgent")
        YELLOW = "yellow", _("Priority")
        BLUE = "blue", _("General")

    code = models.CharField(_("code"), max_length=20, unique=True)
    major = models.ForeignKey(MajorClass, on_delete=models.PROTECT, related_name="classes")
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    filing_criteria = models.TextField(_("filing criteria"), blank=True)
    closing_criteria = models.TextField(_("closing criteria"), blank=True)
    time_limit = models.PositiveIntegerField(_("time limit"))
    time_unit = models.CharField(_("time unit"), max_length=5, choices=Unit.choices)
    default_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Police classes go to the police station of the case's street instead of one department.
    route_to_street_police = models.BooleanField(default=False)
    urgency = models.CharField(
        _("urgency"), max_length=6, choices=Urgency.choices, default=Urgency.BLUE
    )
    minor_self_closable = models.BooleanField(_("may be self-closed on the spot"), default=False)
    active = models.BooleanField(default=True)
    # The class's reports may appear on the public pages (when the district's pages are on).
    public = models.BooleanField(_("shown on the public pages"), default=True)
    # The legal basis (法律依据) staff act on for this class: the law and its article(s).
    legal_basis_law = models.CharField(_("law"), max_length=100, blank=True)
    legal_basis_article = models.CharField(_("article"), max_length=60, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("case class")
        verbose_name_plural = _("case classes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ClassOverride(models.Model):
    """What one district of a city changes of a class of the shared catalogue: its time limit,
    its default department, its urgency, or whether its reporters may choose it at all. A blank
    field keeps the catalogue's value. cases.overrides reads these (cached per process, reloaded
    when OverrideState's version changes) wherever a case's class is read for its district."""

    district = models.ForeignKey(
        AdminUnit,
        on_delete=models.CASCADE,
        related_name="class_overrides",
        limit_choices_to={"level": AdminUnit.Level.DISTRICT},
        verbose_name=_("district"),
    )
    case_class = models.ForeignKey(
        CaseClass, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("class")
    )
    time_limit = models.PositiveIntegerField(_("time limit"), null=True, blank=True)
    time_unit = models.CharField(
        _("time unit"), max_length=5, choices=CaseClass.Unit.choices, blank=True
    )
    default_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default department"),
    )
    urgency = models.CharField(
        _("urgency"), max_length=6, choices=CaseClass.Urgency.choices, blank=True
    )
    # None: as the catalogue; False: switched off in this district (not offered, refused).
    active = models.BooleanField(_("offered in this district"), null=True, blank=True)
    updated_by = models.CharField(_("changed by"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["district__code", "case_class__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "case_class"], name="class_override_once_per_district"
            )
        ]
        verbose_name = _("district class override")
        verbose_name_plural = _("district class overrides")

    def __str__(self) -> str:
        return f"{self.district_id}/{self.case_class_id}"


class OverrideState(models.Model):
    """The overrides' version, one row: every change bumps it, and each process's copy
    (cases.overrides) reloads when (version, updated_at) changes."""

    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"overrides v{self.version}"


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    TEAM = "team", _("Grid team member")
    RESIDENT = "resident", _("Resident")
    HOTLINE = "hotline", _("12345 hotline")
    SENSOR = "sensor", _("Camera/IoT")
    IMPORT = "import", _("Import")
    OPEN311 = "open311", _("Open311 client")
    PUBLIC = "public", _("Public web form (anonymous)")
    # A rectification item of a Party service centre's standardisation inspection (party.centres).
    INSPECTION = "inspection", _("Standardisation inspection")
    # Carrying out a resident deliberation's decision (决议), reported by the community committee
    # (deliberation.decisions): like an inspection's items, found by staff, not verified on site.
    DELIBERATION = "deliberation", _("Deliberation decision")


# Found by the grid team itself (the proactive-discovery share, self-close, no on-site
# verification). An inspection's items are found by Party-organisation staff, not the grid team,
# so they are not proactive; like imports they need no verification: the inspection recorded them
# on site with scores and photos.
PROACTIVE_SOURCES = {Source.GRID_WORKER, Source.TEAM, Source.SENSOR}


class CaseQuerySet(models.QuerySet["Case"]):
    def by_ref(self, ref: object) -> Case | None:
        """The case an API path or a form names: by its id (UUID) or by its case number."""
        try:
            return self.filter(pk=uuid.UUID(str(ref))).first()
        except ValueError:
            number = str(ref).strip()
            # No case number holds a NUL or is that long; PostgreSQL would refuse the NUL (a 500).
            if "\x00" in number or len(number) > 32:
                return None
            return self.filter(number=number).first()


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    number = models.CharField(_("case number"), max_length=32, unique=True)
    # What residents and the public follow a case by (cases.tracking): 10 random Crockford
    # base-32 characters, unguessable, unlike the case number.
    # Rows made without services.report_case (fixtures, benchmarks) draw one too.
    tracking_code = models.CharField(
        _("tracking code"), max_length=12, unique=True, default=new_tracking_code
    )
    state = models.CharField(_("state"), max_length=24, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    case_class = models.ForeignKey(CaseClass, on_delete=models.PROTECT, related_name="cases")
    description = models.TextField(_("description"), blank=True)
    lon = models.FloatField(_("longitude (WGS-84)"))
    lat = models.FloatField(_("latitude (WGS-84)"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="cases")
    community = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=20, blank=True)
    urgency = models.CharField(_("urgency"), max_length=6, choices=CaseClass.Urgency.choices)

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatch_due_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The disposal deadline of the lead task; moves only by an approved extension.
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    fed_back_at = models.DateTimeField(null=True, blank=True)
    check_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField(null=True)
    overdue = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    satisfaction = models.CharField(max_length=20, blank=True)
    # When the reporter rated the case (the `rate` action); cleared by reopen.
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # An unsatisfied rating asks the call-back staff to call the reporter; revisit and reopen
    # clear it.
    callback_needed = models.BooleanField(_("to call back"), default=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["street", "state"]),
            models.Index(fields=["grid", "state"]),
        ]

    def __str__(self) -> str:
        return self.number


class Task(models.Model):
    """One department's share of a case (lead, co-department, or a department the street
    summoned: 吹哨报到), with its own clock."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead department")
        CO = "co", _("Co-department")
        # 吹哨报到: summoned by the street's whistle; reports in first, then acts as a co does.
        WHISTLE = "whistle", _("Summoned department")

    class State(models.TextChoices):
        SUMMONED = "summoned", _("Summoned, to report in")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        FED_BACK = "fed_back", _("Fed back")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tasks")
    role = models.CharField(max_length=7, choices=Role.choices)
    state = models.CharField(max_length=20, choices=State.choices, db_index=True)
    dispatched_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(db_index=True)
    fed_back_at = models.DateTimeField(null=True, blank=True)
    extension_hours = models.PositiveIntegerField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    overdue = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    # Set when the command centre arbitrated a disputed case: the department may not return it.
    arbitrated = models.BooleanField(default=False)
    # 吹哨报到 (role "whistle"): the matter the street whistled for, the report-in clock (working
    # hours on the Chinese calendar) and the street's rating of the department's work.
    whistle_reason = models.TextField(_("matter whistled for"), blank=True)
    report_in_due_at = models.DateTimeField(_("report in by"), null=True, blank=True)
    reported_in_at = models.DateTimeField(_("reported in at"), null=True, blank=True)
    reported_in_on_time = models.BooleanField(_("reported in on time"), null=True, blank=True)
    # Set once by the tick when the report-in deadline passed with no report-in.
    report_in_overdue = models.BooleanField(default=False)
    rating = models.CharField(_("street's rating"), max_length=20, blank=True)
    rating_reason = models.TextField(_("reason for the rating"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["role", "dispatched_at"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.department_id} · {self.role}"


class Photo(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")
        CHECK = "check", _("On-site check")
        COMMENT = "comment", _("Comment")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        "CaseEvent", null=True, on_delete=models.CASCADE, related_name="photos"
    )
    kind = models.CharField(max_length=7, choices=Kind.choices)
    # The original as sent, kept as evidence (EXIF included), named by its SHA-256.
    file = models.FileField(upload_to="photos/%Y/%m/")
    # What pages show (cases.photo_copies): upright JPEGs without EXIF, named after the
    # original's hash. Empty on rows older than the copies until `onegrid photos rebuild-copies`
    # (or the first request for a copy) makes them.
    view = models.FileField(upload_to="photos/", max_length=200, blank=True)
    thumb = models.FileField(upload_to="photos/", max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # Public pages show a photo only once the street desk or the command centre approved it.
    approved_at = models.DateTimeField(_("approved for public pages at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"{self.kind} photo {self.sha256[:12]}"


class PhotoContent(models.Model):
    """One stored photo content (original and copies, one set of files per SHA-256), shared by
    every Photo row with that hash. Its row lock orders the two things that race on those files:
    a transaction attaching the content to a new Photo and the clean-up deleting files that no
    committed Photo uses (cases.photos)."""

    sha256 = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.sha256[:12]


class CaseEvent(models.Model):
    """One append-only line of a case's history; measures are computed from these."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    at = models.DateTimeField(db_index=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("case history is append-only: an event cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("case history is append-only: an event cannot be deleted")


class CaseReporter(models.Model):
    """Everyone who reported a case, including reporters of duplicates merged into it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reporters")
    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_name = models.CharField(max_length=100, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reporter of {self.case_id}"


class Escalation(models.Model):
    """One escalation step of one task; the unique key makes the tick escalate exactly once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "level"], name="one_escalation_per_step")
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} level {self.level}"


class IdempotencyRecord(models.Model):
    """The first result of a client-keyed request, replayed for retries and offline sync.
    Anonymous reports (report_anonymously) have no user: their keys are unique among
    themselves."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(user__isnull=True),
                name="idempotency_anonymous_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class CaseCounter(models.Model):
    """Per-day serial for human-readable case numbers (120113-20261128-00042)."""

    day = models.CharField(max_length=8, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


# --- rollups (cases.facts, cases.rollups): kept in the transaction of each history event ---


def _counter() -> models.IntegerField[int, int]:
    return models.IntegerField(default=0)


class CaseFact(models.Model):
    """One case's facts (cases.facts.CaseFacts) as its history has them now: the whole state in
    `state`, and the columns drill-down lists filter on."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="+")
    street_id = models.IntegerField()
    community_id = models.IntegerField()
    grid_id = models.IntegerField()
    case_class_id = models.IntegerField()
    source = models.CharField(max_length=16)
    reported_at = models.DateTimeField(null=True, db_index=True)
    reporter_id = models.IntegerField(null=True)
    valid = models.BooleanField(default=False)
    self_closed = models.BooleanField(default=False)
    repeat = models.BooleanField(default=False)
    deadline = models.DateTimeField(null=True, db_index=True)
    deadline_lead = models.CharField(max_length=40, blank=True)
    lead = models.CharField(max_length=40, blank=True)
    closed = models.BooleanField(default=False)
    on_time = models.BooleanField(null=True)
    closed_at = models.DateTimeField(null=True, db_index=True)
    lowest_level = models.BooleanField(default=False)
    first_check_at = models.DateTimeField(null=True, db_index=True)
    first_check_lead = models.CharField(max_length=40, blank=True)
    failed = models.BooleanField(default=False)
    first_dispatch_at = models.DateTimeField(null=True, db_index=True)
    joint = models.BooleanField(default=False)
    state = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"facts of {self.case_id}"


class CaseClose(models.Model):
    """Every close and self-close, with the case's class then and its point: what a new report
    is compared with to tell whether its problem recurs (cases.facts, recurrence)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    case_class_id = models.IntegerField(null=True)
    lon = models.FloatField()
    lat = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["case_class_id", "at"], name="case_close_class_at")]

    def __str__(self) -> str:
        return f"{self.case_id} closed {self.at:%Y-%m-%d}"


class Counters(models.Model):
    """The additive counters of cases.facts.COUNTERS (a total row's columns)."""

    reports = _counter()
    proactive = _counter()
    valid = _counter()
    self_closed = _counter()
    repeats = _counter()
    n_due = _counter()
    closed = _counter()
    closed_on_time = _counter()
    closed_late = _counter()
    open_due = _counter()
    closures = _counter()
    lowest_level_closed = _counter()
    checks = _counter()
    reworked = _counter()
    checks_done = _counter()
    timely_checks = _counter()
    replies = _counter()
    satisfied = _counter()
    dispatches = _counter()
    joint_dispatches = _counter()
    dispatched_cases = _counter()
    joint_cases = _counter()

    class Meta:
        abstract = True


class DailyTotal(Counters):
    """The counters for one day (Asia/Shanghai) × street × community × grid × class ×
    department ("" for none). Ids, not foreign keys: a row must not lock or hold up the rows it
    counts for."""

    day = models.DateField()
    street_id = models.IntegerField()
    community_id = models.IntegerField()
    grid_id = models.IntegerField()
    case_class_id = models.IntegerField()
    department = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "street_id",
                    "community_id",
                    "grid_id",
                    "case_class_id",
                    "department",
                ],
                name="daily_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} grid {self.grid_id} class {self.case_class_id} {self.department}"


class StreetMonthTotal(Counters):
    """DailyTotal summed by month (its first day) × street × class × department: what a
    district's or a street's month, grouped by street, class or department, reads."""

    month = models.DateField()
    street_id = models.IntegerField()
    case_class_id = models.IntegerField()
    department = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "street_id", "case_class_id", "department"],
                name="street_month_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} street {self.street_id} class {self.case_class_id}"


class GridMonthTotal(Counters):
    """DailyTotal summed by month × grid (every class and department): what every grid's month
    reads."""

    month = models.DateField()
    street_id = models.IntegerField()
    community_id = models.IntegerField()
    grid_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "street_id", "community_id", "grid_id"],
                name="grid_month_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} grid {self.grid_id}"


class PersonDailyTotal(models.Model):
    """cases.facts.PERSON_COUNTERS for one day × person (reporter, checker, department
    handler)."""

    day = models.DateField()
    user_id = models.IntegerField()
    reports = _counter()
    valid = _counter()
    self_closed = _counter()
    checks = _counter()
    timely_checks = _counter()
    fed_back = _counter()
    fed_back_on_time = _counter()
    reworked = _counter()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user_id"], name="person_daily_total_key")
        ]
        indexes = [models.Index(fields=["user_id", "day"], name="person_daily_user_day")]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id}"
