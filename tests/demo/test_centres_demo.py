"""The demo's Party service centres: the checklist, a centre at every street and community of
the small world inside its place, inspections scored at or above the rectification line (no
cases), made once."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import Point

from onegrid.cases.models import Case
from onegrid.demo.centres import CHECKLIST, seed_centres
from onegrid.demo.party import seed_party
from onegrid.demo.people import seed_teams
from onegrid.insight.periods import TZ
from onegrid.party.models import Inspection, InspectionScore, Rectification, ServiceCentre
from onegrid.territory.models import AdminUnit, Grid

START = dt.datetime(2026, 2, 1, tzinfo=TZ)
END = START + dt.timedelta(days=30)  # before the world's frozen now (2026-03-10)


def test_centres_checklist_and_inspections(world):
    seed_teams(world.district)
    seed_party(start=START, end=END)  # the ``party`` account
    cases = Case.objects.count()
    result = seed_centres(start=START, end=END)
    assert not result.refused, result.refused
    places = AdminUnit.objects.filter(level__in=("street", "community"), parent__isnull=False)
    assert result.centres == ServiceCentre.objects.count() == places.count()
    assert result.checklist == len(CHECKLIST)
    for centre in ServiceCentre.objects.select_related("unit"):
        grids = Grid.objects.filter(
            **(
                {"community": centre.unit}
                if centre.level == "community"
                else {"street": centre.unit}
            )
        )
        assert any(g.geometry.covers(Point(centre.lon, centre.lat)) for g in grids), centre.name
    inspections = Inspection.objects.all()
    assert (
        result.inspections
        == inspections.count()
        >= ServiceCentre.objects.filter(level="street").count()
    )
    assert all(START <= i.inspected_at < END for i in inspections)
    assert all(s.score >= 0.6 * s.max_score for s in InspectionScore.objects.all())
    assert not Rectification.objects.exists() and Case.objects.count() == cases
    again = seed_centres(start=START, end=END)
    assert not again.made_now and ServiceCentre.objects.count() == result.centres
    assert Inspection.objects.count() == result.inspections
