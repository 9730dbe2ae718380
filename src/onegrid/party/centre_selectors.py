"""Reads of the Party service centres: those of a place, those a person may see with their
latest score, one centre's inspections, photos and rectification cases.

Centres are public places (not personal data); who reads them where is
org.policies.centres_reach. A centre outside the reader's reach is not found, like one that
does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from .models import Inspection, InspectionPhoto, InspectionScore, Rectification, ServiceCentre


def centres_at(unit: AdminUnit) -> list[ServiceCentre]:
    """The active service centres of a street or community: a community's own; a street's own
    and its communities'."""
    rows = ServiceCentre.objects.filter(active=True).select_related("unit")
    if unit.level == AdminUnit.Level.STREET:
        rows = rows.filter(Q(unit=unit) | Q(unit__parent=unit))
    else:
        rows = rows.filter(unit=unit)
    return list(rows.order_by("level", "name"))


def _in_reach(user: User) -> Q | None:
    reach = policies.centres_reach(user)
    if reach.district_wide:
        return Q()
    if not reach.reads_anything:
        return None
    return (
        Q(unit_id__in=reach.street_ids)
        | Q(unit__parent_id__in=reach.street_ids)
        | Q(unit_id__in=reach.community_ids)
        | Q(unit_id__in=reach.district_ids)  # a city's district, read whole
    )


def visible_centres(user: User) -> QuerySet[ServiceCentre]:
    where = _in_reach(user)
    if where is None:
        return ServiceCentre.objects.none()
    return ServiceCentre.objects.filter(where).select_related("unit", "unit__parent")


@dataclass(frozen=True)
class CentreRow:
    centre: ServiceCentre
    latest: Inspection | None

    @property
    def percent(self) -> int | None:
        if self.latest is None or not self.latest.max_score:
            return None
        return round(100 * self.latest.score / self.latest.max_score)


def latest_inspections(centre_ids: list[int]) -> dict[int, Inspection]:
    """The latest inspection of each centre (one query)."""
    latest: dict[int, Inspection] = {}
    for inspection in Inspection.objects.filter(centre_id__in=centre_ids).order_by(
        "centre_id", "-inspected_at", "-id"
    ):
        latest.setdefault(inspection.centre_id, inspection)
    return latest


def centres_for(user: User, *, include_closed: bool = False) -> list[CentreRow]:
    """The centres `user` may see, each with its latest inspection."""
    rows = visible_centres(user)
    if not include_closed:
        rows = rows.filter(active=True)
    centres = list(rows.order_by("unit__parent__name", "level", "name"))
    latest = latest_inspections([c.pk for c in centres])
    return [CentreRow(c, latest.get(c.pk)) for c in centres]


def _id(value: object) -> int | None:
    """A row id from a path or form: 0-9 only, in the column's range."""
    text = str(value).strip()
    if not text or len(text) > 18 or not all("0" <= ch <= "9" for ch in text):
        return None
    return int(text) or None


def centre_for(user: User, centre_id: object) -> ServiceCentre:
    """One centre `user` may see, or NotFound."""
    pk = _id(centre_id)
    found = visible_centres(user).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_no_such_centre(), field="centre")
    return found


def _no_such_centre() -> str:
    return _("No such service centre.")


def inspections_of(centre: ServiceCentre, *, limit: int = 50) -> list[Inspection]:
    """The centre's inspections, latest first, with their scores, photos and rectifications."""
    return list(
        Inspection.objects.filter(centre=centre)
        .select_related("inspector")
        .prefetch_related(
            Prefetch("scores", queryset=InspectionScore.objects.select_related("item")),
            Prefetch("photos", queryset=InspectionPhoto.objects.select_related("item")),
            Prefetch(
                "rectifications",
                queryset=Rectification.objects.select_related("item", "case"),
            ),
        )[:limit]
    )


def rectifications_of(centre: ServiceCentre) -> list[Rectification]:
    """Every rectification item of the centre, latest first, with its case."""
    return list(
        Rectification.objects.filter(inspection__centre=centre)
        .select_related("item", "case", "inspection")
        .order_by("-created_at", "-id")
    )


def photo_for(user: User, photo_id: object) -> InspectionPhoto:
    """An inspection photo of a centre `user` may see, or NotFound."""
    pk = _id(photo_id)
    found = (
        InspectionPhoto.objects.filter(pk=pk, inspection__centre__in=visible_centres(user))
        .select_related("inspection")
        .first()
        if pk
        else None
    )
    if found is None:
        raise NotFound(_no_such_centre(), field="photo")
    return found
