"""Suggested class, department and urgency for a report, always off the intake path.

* While a reporter types, the field app asks `suggest_text` (through the API) for the text so
  far; the report itself is sent and stored without waiting for any of this.
* For a stored case, `suggestion_for` makes the suggestion the first time someone opens its
  page (or `onegrid classifier suggest` makes it for recent cases from cron) and stores it
  (`models.Suggestion`), with the model version that made it.

The model suggests a class label. A label that is a class code of the catalogue (a model
trained on the district's own cases) or the exact name of one active class (a model trained
on a file) stands for that class: the catalogue then gives the department and urgency, by the
same rules the dispatch uses (`cases.rules.default_department`: the class's default
department, or the police station of the case's street for a police class). When the model also
learned the department and urgency from the training data (the district's closed cases carry
the department that handled them and their urgency), those come beside, with their own
confidence. A label the catalogue does not know is shown as it is, without a class to choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery

from onegrid.cases import rules
from onegrid.cases.models import Case, CaseClass, CaseEvent
from onegrid.cases.states import OPEN_STATES
from onegrid.core import clock
from onegrid.org.models import Department

from . import classifier, features
from .models import Suggestion


@dataclass
class ClassOption:
    """One suggested class with its confidence, and what the catalogue says about it."""

    label: str
    confidence: float
    case_class: CaseClass | None = None
    department: Department | None = None  # by the catalogue's rule
    police: bool = False  # a police class: the police station of the case's street
    urgency: str = ""

    @property
    def code(self) -> str:
        return self.case_class.code if self.case_class else ""

    @property
    def name(self) -> str:
        return self.case_class.name if self.case_class else self.label


@dataclass
class TextSuggestion:
    model_version: str
    options: list[ClassOption] = field(default_factory=list)
    learned_department: Department | None = None
    learned_department_confidence: float | None = None
    learned_urgency: str = ""
    learned_urgency_confidence: float | None = None

    @property
    def top(self) -> ClassOption | None:
        return self.options[0] if self.options else None


def catalogue_classes(labels: Iterable[str]) -> dict[str, CaseClass]:
    """The active catalogue class each label stands for: by code, else by a unique name."""
    wanted = set(labels)
    found: dict[str, CaseClass] = {
        c.code: c
        for c in CaseClass.objects.filter(code__in=wanted, active=True).select_related(
            "default_department", "major"
        )
    }
    by_name: dict[str, list[CaseClass]] = {}
    for c in CaseClass.objects.filter(name__in=wanted - set(found), active=True).select_related(
        "default_department", "major"
    ):
        by_name.setdefault(c.name, []).append(c)
    found.update({name: cs[0] for name, cs in by_name.items() if len(cs) == 1})
    return found


def department_by_rule(case_class: CaseClass, case: Case | None) -> tuple[Department | None, bool]:
    """The department the dispatch rule gives the class (for this case's street)."""
    if case_class.route_to_street_police:
        if case is None:
            return None, True
        probe = Case(case_class=case_class, street=case.street)
        return rules.default_department(probe), True
    return case_class.default_department, False


def _suggestions(
    model: classifier.Model, texts: Sequence[str], cases: Sequence[Case | None]
) -> list[TextSuggestion]:
    predictions = model.predict(texts)
    classes = catalogue_classes(label for p in predictions for label, _p in p.classes)
    departments = {
        d.code: d
        for d in Department.objects.filter(
            code__in={p.department[0] for p in predictions if p.department}
        )
    }
    out = []
    for prediction, case in zip(predictions, cases, strict=True):
        suggestion = TextSuggestion(model_version=model.version)
        for label, confidence in prediction.classes:
            option = ClassOption(label=label, confidence=confidence)
            case_class = classes.get(label)
            if case_class is not None:
                option.case_class = case_class
                option.department, option.police = department_by_rule(case_class, case)
                option.urgency = case_class.urgency
            suggestion.options.append(option)
        if prediction.department:
            code, confidence = prediction.department
            suggestion.learned_department = departments.get(code)
            suggestion.learned_department_confidence = confidence
        if prediction.urgency:
            suggestion.learned_urgency, suggestion.learned_urgency_confidence = prediction.urgency
        out.append(suggestion)
    return out


def suggest_text(text: str, *, case: Case | None = None) -> TextSuggestion | None:
    """The suggestion for a report's text; None when no model has been trained. A text with
    nothing to go on (empty, or only spaces and marks) gets a suggestion without options."""
    model = classifier.current.get()
    if model is None:
        return None
    text = features.normalise(text)
    if not any(ch.isalnum() for ch in text):
        return TextSuggestion(model_version=model.version)
    return _suggestions(model, [text], [case])[0]


def case_text(case: Case) -> str:
    """What the classifier reads of a stored case: its description."""
    return features.normalise(case.description)


def _stored(case: Case, suggestion: TextSuggestion) -> Suggestion:
    top = suggestion.top
    assert top is not None
    row = Suggestion(
        case=case,
        top_classes=[
            {"label": o.label, "code": o.code, "name": o.name, "confidence": round(o.confidence, 4)}
            for o in suggestion.options
        ],
        case_class=top.case_class,
        confidence=round(top.confidence, 4),
        department=top.department,
        urgency=top.urgency,
        learned_department=suggestion.learned_department,
        learned_department_confidence=suggestion.learned_department_confidence,
        learned_urgency=suggestion.learned_urgency,
        learned_urgency_confidence=suggestion.learned_urgency_confidence,
        model_version=suggestion.model_version,
        created_at=clock.now(),
        reported_class_id=case.case_class_id,
    )
    record_correction(row, save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another request stored it first
        return Suggestion.objects.get(case=case)
    return row


def suggestion_for(case: Case, *, compute: bool = True) -> Suggestion | None:
    """The stored suggestion for a case, made now when there is none yet (and a model, and a
    description to read); its correction brought up to date."""
    existing = (
        Suggestion.objects.filter(case=case)
        .select_related("case_class", "learned_department", "corrected_class")
        .first()
    )
    if existing is not None:
        record_correction(existing)
        return existing
    if not compute:
        return None
    text = case_text(case)
    if not text:
        return None
    suggestion = suggest_text(text, case=case)
    if suggestion is None or suggestion.top is None:
        return None
    return _stored(case, suggestion)


def stored_options(row: Suggestion, case: Case) -> list[ClassOption]:
    """A stored suggestion's classes as options, with what the catalogue says of them now."""
    classes = catalogue_classes(c["code"] for c in row.top_classes if c.get("code"))
    options = []
    for entry in row.top_classes:
        case_class = classes.get(entry.get("code") or "")
        option = ClassOption(
            label=str(entry.get("label", "")),
            confidence=float(entry.get("confidence", 0)),
            case_class=case_class,
        )
        if case_class is not None:
            option.department, option.police = department_by_rule(case_class, case)
            option.urgency = case_class.urgency
        options.append(option)
    return options


def record_correction(row: Suggestion, *, save: bool = True) -> bool:
    """Bring the row's correction up to date with the case's history: its last `reclassify`
    (the class it changed to, when, by whom). Whether anything changed."""
    events = CaseEvent.objects.filter(case_id=row.case_id, action="reclassify")
    if row.correction_seq is not None:
        events = events.filter(seq__gt=row.correction_seq)
    last = events.order_by("-seq").first()
    if last is None:
        return False
    row.corrected_class = CaseClass.objects.filter(code=last.data.get("to_class")).first()
    row.corrected_at = last.at
    row.corrected_by_id = last.actor_id
    row.correction_seq = last.seq
    if save and row.pk:
        row.save(
            update_fields=["corrected_class", "corrected_at", "corrected_by", "correction_seq"]
        )
    return True


def record_corrections() -> int:
    """Every stored suggestion whose case was reclassified since: its correction recorded.
    One query finds them (each suggestion beside its case's last `reclassify`), so a run costs
    the suggestions to bring up to date, not every case ever reclassified."""
    last = (
        CaseEvent.objects.filter(case_id=OuterRef("case_id"), action="reclassify")
        .order_by("-seq")
        .values("seq")[:1]
    )
    stale = (
        Suggestion.objects.annotate(last_seq=Subquery(last))
        .filter(last_seq__isnull=False)
        .filter(Q(correction_seq__isnull=True) | Q(correction_seq__lt=F("last_seq")))
    )
    return sum(record_correction(row) for row in stale)


def suggest_recent(*, since: dt.datetime, batch: int = 256) -> int:
    """Suggestions for the open cases reported since `since` that have a description and none
    yet (the cron job beside `onegrid tick`). How many were made."""
    model = classifier.current.get()
    if model is None:
        return 0
    made = 0
    pending = (
        Case.objects.filter(reported_at__gte=since, state__in=OPEN_STATES, suggestion__isnull=True)
        .exclude(description="")
        .select_related("case_class", "street")
        .order_by("reported_at")
    )
    cases = list(pending)
    for start in range(0, len(cases), batch):
        chunk = [c for c in cases[start : start + batch] if case_text(c)]
        texts = [case_text(c) for c in chunk]
        for case, suggestion in zip(chunk, _suggestions(model, texts, chunk), strict=True):
            if suggestion.top is not None:
                _stored(case, suggestion)
                made += 1
    return made
