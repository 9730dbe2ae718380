"""The district's own training data: its closed cases, each with its final class.

A case's class is the one it ended with: a desk's `reclassify` changes `Case.case_class`, so
the correction is what training reads. Only cases with a description teach anything (a field
report may be a photo alone). Beside the class, each case gives the department that led its
disposal (the lead task it closed with; none for a case fixed on the spot) and its urgency,
so the model learns those too.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.cases.models import Case, Task
from onegrid.cases.states import State

from . import classifier, features

DEFAULT_LIMIT = 50_000
CLOSED = (State.CLOSED, State.SELF_CLOSED)


def district_dataset(*, limit: int = DEFAULT_LIMIT) -> classifier.Dataset:
    """The most recent `limit` closed cases with a description; classes with fewer than
    MIN_CLASS_ROWS such cases are left out (and named in `notes`)."""
    rows = list(
        Case.objects.filter(state__in=CLOSED)
        .exclude(description="")
        .order_by("-closed_at")
        .values_list("pk", "description", "case_class__code", "urgency")[:limit]
    )
    leads: dict[object, str] = {}
    ids = [pk for pk, *_rest in rows]
    for start in range(0, len(ids), 5000):
        tasks = (
            Task.objects.filter(case_id__in=ids[start : start + 5000], role=Task.Role.LEAD)
            .exclude(state__in=(Task.State.RETURNED, Task.State.CANCELLED))
            .order_by("dispatched_at")
            .values_list("case_id", "department__code")
        )
        leads.update(tasks)  # the last lead of each case wins
    dataset = classifier.Dataset(
        texts=[], labels=[], departments=[], urgencies=[], source=_("the district's closed cases")
    )
    for pk, description, code, urgency in rows:
        text = features.normalise(description)
        if not text:
            continue
        dataset.texts.append(text)
        dataset.labels.append(code)
        dataset.departments.append(leads.get(pk, ""))
        dataset.urgencies.append(urgency or "")
    counts = dataset.counts()
    rare = sorted(label for label, n in counts.items() if n < classifier.MIN_CLASS_ROWS)
    if rare:
        left_out = set(rare)
        keep = [i for i, label in enumerate(dataset.labels) if label not in left_out]
        dataset = dataset.subset(keep)
        dataset.notes.append(
            ngettext(
                "Left out, with fewer than %(n)d closed cases: %(classes)s.",
                "Left out, with fewer than %(n)d closed cases each: %(classes)s.",
                len(rare),
            )
            % {
                "n": classifier.MIN_CLASS_ROWS,
                "classes": "、".join(f"{c} ({counts[c]})" for c in rare[:30])
                + ("…" if len(rare) > 30 else ""),
            }
        )
    if len(dataset.counts()) < 2:
        raise classifier.TrainingDataError(
            _(
                "Too few closed cases with a description to train on (%(n)d, in %(classes)d "
                "classes with at least %(min)d each): train on a labelled file with --csv."
            )
            % {
                "n": len(dataset),
                "classes": len(dataset.counts()),
                "min": classifier.MIN_CLASS_ROWS,
            },
            field="csv",
        )
    return dataset
