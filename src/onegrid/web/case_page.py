"""What the case page shows, built from scoped selectors and the one workflow table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases import calendar, overrides, selectors, workflow
from onegrid.cases.access import ACTIVE_TASK_STATES
from onegrid.cases.models import CaseClass, Photo, Source, Task
from onegrid.cases.rules import SATISFACTION, VERIFICATION_RESULTS
from onegrid.cases.whistles import RATABLE_STATES
from onegrid.core import clock
from onegrid.org import selectors as org_selectors
from onegrid.org.models import Role
from onegrid.smart import duplicates, suggestions

RESULT_LABELS = {
    "confirmed": gettext_lazy("Confirmed on site"),
    "not_found": gettext_lazy("Not found on site"),
}
SATISFACTION_LABELS = {
    "satisfied": gettext_lazy("Satisfied"),
    "basically_satisfied": gettext_lazy("Basically satisfied"),
    "unsatisfied": gettext_lazy("Unsatisfied"),
}
FIELDS = (
    "reason",
    "department",
    "hours",
    "result",
    "satisfaction",
    "target",
    "task",
    "class_code",
    "photo",
    "rating",
)
# Rows not offered as a form of their own in the side panel: approve_photo is a button beside
# each photo waiting for approval.
INLINE_ACTIONS = frozenset({"approve_photo"})


@dataclass
class ActionForm:
    action: str
    label: str
    reason_required: bool
    photo_kind: str | None
    photo_required: bool
    params: tuple[str, ...]
    key: str
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    # What the text box is called, when not "Reason" / "Note".
    reason_label: str = ""
    satisfaction_legend: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def top_error(self) -> str | None:
        shown = {*self.params, "reason", "photos"}
        return next((m for f, m in self.errors.items() if f not in shown), None)


def submitted_values(post) -> dict:
    values = {name: post.get(name, "").strip() for name in FIELDS if name in post}
    values["idempotency_key"] = post.get("idempotency_key", "")
    values["co_departments"] = [c for c in post.getlist("co_departments") if c]
    values["departments"] = [c for c in post.getlist("departments") if c]
    return values


def _action_forms(request, case, failed, allowed: list[str]) -> list[ActionForm]:
    forms = []
    for action in allowed:
        if action in INLINE_ACTIONS:
            continue
        t = workflow.BY_ACTION[action]
        form = ActionForm(
            action=action,
            label=str(t.label),
            reason_required=t.reason_required,
            photo_kind=t.photo_kind,
            photo_required=selectors.photo_required(request.user, case, action),
            params=t.params,
            key=uuid.uuid4().hex,
            reason_label=_reason_label(action),
            satisfaction_legend=_("How satisfied are you with the handling?")
            if action == "rate"
            else "",
        )
        if failed and failed[0] == action:
            error, values = failed[1], failed[2]
            form.values = values
            # The same key again: if the first try did go through, the retry is a replay.
            form.key = values.get("idempotency_key") or form.key
            form.errors = {error.field or "action": str(error.message)}
        forms.append(form)
    return forms


def _reason_label(action: str) -> str:
    if action == "comment":
        return _("Comment (required)")
    if action == "rate":
        return _("Why? (required when unsatisfied)")
    return ""


def _remaining(case) -> dict | None:
    running = selectors.running_clock(case)
    if running is None:
        return None
    start, due = running
    now = clock.now()
    district = overrides.calendar_district(case)  # "" while no district has days of its own
    if now < due:
        hours = calendar.working_hours_between(now, due, district)
        text = _("%(hours).1f working hours left") % {"hours": hours}
    else:
        hours = calendar.working_hours_between(due, now, district)
        text = _("overdue by %(hours).1f working hours") % {"hours": hours}
    return {"due": due, "text": text, "colour": selectors.timer_colour(case)}


def _timeline(request, case, events):
    hidden = selectors.hidden_actor_ids(request.user, case)
    rows = []
    for e in events:
        data = e.data or {}
        details = []
        if data.get("department"):
            details.append(_("department: %(d)s") % {"d": data["department"]})
        if data.get("co_departments"):
            details.append(_("co-departments: %(d)s") % {"d": ", ".join(data["co_departments"])})
        if data.get("result"):
            details.append(str(RESULT_LABELS.get(data["result"], data["result"])))
        if data.get("satisfaction"):
            details.append(str(SATISFACTION_LABELS.get(data["satisfaction"], data["satisfaction"])))
        if data.get("hours"):
            details.append(_("%(h)s working hours") % {"h": data["hours"]})
        if data.get("level"):
            details.append(_("level %(n)s") % {"n": data["level"]})
        if data.get("from_class"):
            details.append(
                _("class: %(old)s → %(new)s")
                % {"old": data["from_class"], "new": data.get("to_class")}
            )
        if data.get("target"):
            details.append(_("into %(n)s") % {"n": data["target"]})
        actor = None
        if e.actor and selectors.actor_visible(e, hidden):
            actor = str(e.actor)
        elif e.actor is None and e.actor_role == workflow.SYSTEM:
            actor = _("System timer")
        rows.append(
            {
                "seq": e.seq,
                "by_reporter": e.actor_role == workflow.REPORTER,
                "label": selectors.action_label(e.action),
                "action": e.action,
                "from": workflow.STATE_LABELS.get(e.from_state, ""),
                "to": workflow.STATE_LABELS.get(e.to_state, e.to_state),
                "actor": actor,
                "role": _role_label(e.actor_role),
                "department": e.task.department.name if e.task_id and e.task else "",
                "at": timezone.localtime(e.at),
                "reason": e.reason,
                "details": details,
                "photos": [_with_key(p) for p in e.photos.all()],
            }
        )
    return rows


def _with_key(photo: Photo) -> Photo:
    """The photo with a fresh idempotency key for its approve button."""
    photo.approve_key = uuid.uuid4().hex  # type: ignore[attr-defined]
    return photo


def _role_label(role: str) -> str:
    if not role or role == workflow.SYSTEM:
        return ""
    if role == workflow.REPORTER:
        return _("Reporter")
    if role in Source.values:  # staff entering a hotline or sensor report act as that source
        return str(Source(role).label)
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def case_context(request, case, *, failed=None) -> dict:
    events = list(selectors.case_events(case).order_by("seq"))
    tasks = list(selectors.case_tasks(case))
    photos = [p for e in events for p in e.photos.all()]
    before = [p for p in photos if p.kind == Photo.Kind.BEFORE]
    after = [p for p in photos if p.kind == Photo.Kind.AFTER]
    checks = [p for p in photos if p.kind == Photo.Kind.CHECK]
    allowed = selectors.allowed_actions(request.user, case)
    forms = _action_forms(request, case, failed, allowed)
    merge_offered = any(f.action == "merge" for f in forms)
    now = clock.now()
    district = overrides.calendar_district(case)
    return {
        "case": case,
        "state_label": workflow.STATE_LABELS.get(case.state, case.state),
        "source_label": Source(case.source).label if case.source in Source.values else case.source,
        "remaining": _remaining(case),
        "timeline": _timeline(request, case, events),
        "tasks": [
            {
                "task": t,
                "state_label": Task.State(t.state).label,
                "role_label": Task.Role(t.role).label,
                "colour": calendar.timer_colour(t.dispatched_at, t.due_at, now, district)
                if t.state in ACTIVE_TASK_STATES
                else None,
                # 吹哨报到: the report-in clock runs while the department is summoned.
                "report_in_colour": calendar.timer_colour(
                    t.dispatched_at, t.report_in_due_at, now, district
                )
                if t.state == Task.State.SUMMONED and t.report_in_due_at
                else None,
                "rating_label": SATISFACTION_LABELS.get(t.rating, ""),
            }
            for t in tasks
        ],
        "whistled": any(t.role == Task.Role.WHISTLE for t in tasks),
        # rate_whistle: the summoned departments' work waiting for the street's rating.
        "ratable_tasks": [
            t
            for t in tasks
            if t.role == Task.Role.WHISTLE and t.state in RATABLE_STATES and t.rated_at is None
        ],
        "before": before[-1] if before else None,
        "after": after[-1] if after else None,
        "check_photos": checks,
        "forms": forms,
        # Likely duplicates among the older open cases of the street (smart.duplicates), each
        # with a merge button: only while the desk may merge this case.
        "duplicates": duplicates.for_case(request.user, case) if merge_offered else [],
        "departments": list(org_selectors.departments())
        if _wants(forms, "department") or _wants(forms, "departments")
        else [],
        # The classifier's suggestion (smart.suggestions), made when the page is first opened;
        # one-click changes of the class for a desk that may reclassify.
        "suggestion": _suggestion_panel(case, forms),
        # Less the classes the case's district switched off (cases.overrides).
        "classes": list(selectors.active_classes(overrides.override_district(case)))
        if _wants(forms, "class_code")
        else [],
        "suggested_department": selectors.suggested_department(case)
        if _wants(forms, "department")
        else None,
        "pending_tasks": [t for t in tasks if t.state == Task.State.EXTENSION_REQUESTED],
        "results": [(r, RESULT_LABELS[r]) for r in VERIFICATION_RESULTS],
        "satisfactions": [(s, SATISFACTION_LABELS[s]) for s in SATISFACTION],
        "reporters": selectors.case_reporters(
            request.user, case, channel="page", path=request.path
        ),
        "stale_failure": _stale_failure(forms, failed),
        # A button beside each photo not yet approved for the public pages (street desk,
        # command centre); each approved one is marked.
        "may_approve_photos": "approve_photo" in allowed,
        "satisfaction_label": SATISFACTION_LABELS.get(case.satisfaction, ""),
    }


def _stale_failure(forms, failed) -> dict | None:
    """A refused action whose form is no longer offered (another desk acted first): shown at
    the top of the page with what the person typed, so neither the reason nor the text is lost."""
    if failed is None or any(f.action == failed[0] for f in forms):
        return None
    action, error, values = failed
    return {
        "label": selectors.action_label(action),
        "message": str(error.message),
        "reason": values.get("reason", ""),
    }


def _suggestion_panel(case, forms) -> dict | None:
    row = suggestions.suggestion_for(case)
    if row is None:
        return None
    may_change = any(f.action == "reclassify" for f in forms)
    options = [
        {
            "option": option,
            "percent": _percent(option.confidence),
            "current": option.code == case.case_class.code,
            "urgency_label": CaseClass.Urgency(option.urgency).label if option.urgency else "",
            "key": uuid.uuid4().hex,
        }
        for option in suggestions.stored_options(row, case)
    ]
    return {
        "row": row,
        "options": options,
        "top": options[0] if options else None,
        "may_change": may_change,
        "learned_urgency_label": CaseClass.Urgency(row.learned_urgency).label
        if row.learned_urgency in CaseClass.Urgency.values
        else row.learned_urgency,
    }


def _percent(confidence: float) -> str:
    """A confidence as a page shows it: whole percents, "<1" and ">99" at the ends (a
    calibrated model is never quite sure)."""
    if confidence < 0.005:
        return "<1"
    return ">99" if confidence >= 0.995 else str(round(100 * confidence))


def _wants(forms, param: str) -> bool:
    return any(param in f.params for f in forms)
