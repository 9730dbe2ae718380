from typing import Any, TypeVar

from axes.models import AccessAttempt, AccessBase, AccessFailureLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from . import access_log, policies
from .models import Department, DutyShift, PersonalDataRead, RoleAssignment, TeamSlot, User


class RoleInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["unit", "grid", "department"]

    # Nobody grants themselves a role, nor takes one away: on one's own account the roles are
    # shown, not changed (a superuser who made themselves a mediator would read every dispute
    # of that committee; see org.policies, People's mediation). Another person must do it.
    def _own(self, request: HttpRequest, obj: object | None) -> bool:
        return obj is not None and getattr(obj, "pk", None) == request.user.pk

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


@admin.register(User)
class OneGridUserAdmin(access_log.RecordedReadsAdmin, UserAdmin[User]):
    fieldsets = [*(UserAdmin.fieldsets or ()), ("OneGrid", {"fields": ["display_name", "phone"]})]
    # An account's page shows its phone, e-mail and full name (a resident's phone is their
    # username too): each look is recorded. The list shows names only.
    access_kind = access_log.Kind.USER_ACCOUNT

    def personal_fields(self, obj: User, *, listed: bool) -> list[str]:
        # A resident's username is their mobile number (residents.services.register).
        username = ["username"] if obj.phone and obj.username == obj.phone else []
        if listed:
            return username
        return username + access_log.shown_fields(
            obj, ("phone", "email", "first_name", "last_name")
        )

    list_display = ["username", "display_name", "is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    inlines = [RoleInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "name_en", "street"]
    search_fields = ["code", "name"]


@admin.register(TeamSlot)
class TeamSlotAdmin(admin.ModelAdmin[TeamSlot]):
    list_display = ["order", "role", "label", "group", "minimum"]
    list_display_links = ["role"]
    list_editable = ["order", "label", "minimum"]
    list_filter = ["group"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin[DutyShift]):
    # DutyShift.clean applies the roster's time rules here; membership of the grid's team is
    # checked only by org.teams.schedule_duty.
    list_display = ["grid", "user", "starts_at", "ends_at", "created_by"]
    list_filter = ["grid__street"]
    search_fields = ["grid__code", "grid__name", "user__username", "user__display_name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["grid", "user"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: DutyShift, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):  # the admin site is signed in
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# django-axes ships no Chinese: its names for these models and columns, marked here so that
# our catalogue translates them in /admin/.
AXES_NAMES = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Attempt Time"),
    gettext_noop("Username"),
    gettext_noop("IP Address"),
    gettext_noop("Path"),
    gettext_noop("User Agent"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access lock out"),
]


_Record = TypeVar("_Record", bound=AccessBase)
SIGN_IN_COLUMNS = ("attempt_time", "username", "ip_address", "path_info", "user_agent")


class SignInRecordAdmin(access_log.RecordedReadsAdmin, admin.ModelAdmin[_Record]):
    """Read-only: django-axes writes these rows (org/throttling.py); administrators and
    auditors read them (policies.may_review_sign_ins), nobody edits them here. The username
    (a resident's is their mobile number) and the caller's address are shown in full: each
    look is recorded."""

    access_kind = access_log.Kind.SIGN_IN_RECORD

    def personal_fields(self, obj: _Record, *, listed: bool) -> list[str]:
        return access_log.shown_fields(obj, ("username", "ip_address"))

    list_display: tuple[str, ...] = SIGN_IN_COLUMNS
    search_fields = ["username", "ip_address", "path_info"]
    date_hierarchy = "attempt_time"
    list_filter = ["path_info"]

    def get_readonly_fields(self, request: HttpRequest, obj: _Record | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.may_review_sign_ins(request.user)

    def has_view_permission(self, request: HttpRequest, obj: _Record | None = None) -> bool:
        return policies.may_review_sign_ins(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _Record | None = None) -> bool:
        return False


@admin.register(AccessAttempt)
class FailedSignInCountAdmin(SignInRecordAdmin[AccessAttempt]):
    list_display = (*SIGN_IN_COLUMNS, "failures_since_start")
    exclude = ["get_data", "post_data"]

    def has_delete_permission(self, request: HttpRequest, obj: AccessAttempt | None = None) -> bool:
        # Deleting an account's or an address's rows lifts its lockout at once.
        return policies.may_lift_sign_in_lockout(request.user)


@admin.register(AccessFailureLog)
class FailedSignInAdmin(SignInRecordAdmin[AccessFailureLog]):
    list_display = (*SIGN_IN_COLUMNS, "locked_out")
    list_filter = ["locked_out", "path_info"]

    def has_delete_permission(
        self, request: HttpRequest, obj: AccessFailureLog | None = None
    ) -> bool:
        return False


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(admin.ModelAdmin[PersonalDataRead]):
    """The log of reads of personal data (org.access_log): auditors and administrators read it,
    filtered by reader, kind and date; nobody adds, changes or deletes a row here."""

    list_display = ["at", "username", "kind", "subject_id", "fields", "channel", "path"]
    list_filter = ["kind", "channel", "at"]
    search_fields = ["username", "subject_id", "path"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    show_full_result_count = False

    def get_readonly_fields(
        self, request: HttpRequest, obj: PersonalDataRead | None = None
    ) -> list[str]:
        return [f.name for f in PersonalDataRead._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.may_read_access_log(request.user)

    def has_view_permission(
        self, request: HttpRequest, obj: PersonalDataRead | None = None
    ) -> bool:
        return policies.may_read_access_log(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PersonalDataRead | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PersonalDataRead | None = None
    ) -> bool:
        return False
