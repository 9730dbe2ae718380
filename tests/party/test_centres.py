"""Party service centres: registering, the checklist, inspections with scores and photos, and
rectification items that become cases once (a replayed inspection reports nothing twice)."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from onegrid.cases.models import Case
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.party import centres
from onegrid.party.centre_selectors import centres_at, centres_for
from onegrid.party.models import Inspection, InspectionPhoto, Rectification, ServiceCentre
from support.cases import photo
from support.party_rows import party_rows


@pytest.fixture
def rows(world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return party_rows(world)


def _scores(rows, space=18, signage=10):
    return {rows.checklist[0].pk: space, rows.checklist[1].pk: signage}


def test_a_good_inspection_leaves_no_rectification(world, rows):
    out = centres.record_inspection(
        actor=rows.community_staff, centre=rows.centre, scores=_scores(rows), idempotency_key="i1"
    )
    # The street-only item does not apply to a community centre.
    assert (out.inspection.score, out.inspection.max_score) == (28, 30)
    assert out.inspection.scores.count() == 2
    assert not Rectification.objects.exists()


def test_a_low_score_becomes_one_case_in_the_loop_and_a_replay_makes_no_second(world, rows):
    before = Case.objects.count()
    out = centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows, space=11),  # 11 < 60 % of 20
        notes={rows.checklist[0].pk: "面积不足"},
        marked=[rows.checklist[1].pk],  # full marks, but marked by the inspector
        idempotency_key="i1",
    )
    rects = list(Rectification.objects.order_by("item__order"))
    assert [r.item for r in rects] == rows.checklist[:2]
    assert all(r.case is not None for r in rects)
    case = rects[0].case
    assert case.case_class.code == "I0201"
    assert (case.lon, case.lat) == (rows.centre.lon, rows.centre.lat)
    assert "第1社区党群服务中心" in case.description and "活动场所面积达标" in case.description
    assert "面积不足" in case.description
    assert case.source == "inspection" and case.state == "reported"
    assert Case.objects.count() == before + 2
    again = centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows, space=11),
        idempotency_key="i1",
    )
    assert again.replayed and again.inspection.pk == out.inspection.pk
    assert Case.objects.count() == before + 2
    assert Inspection.objects.count() == 1
    # Reporting again what has a case reports nothing.
    assert (
        centres.report_rectifications(actor=rows.community_staff, inspection=out.inspection) == []
    )
    assert Case.objects.count() == before + 2


def test_the_class_setting_picks_the_case_class(world, rows, settings):
    settings.ONEGRID = {**settings.ONEGRID, "CENTRE_RECTIFICATION_CLASS": "A0101"}
    centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows, space=0),
        idempotency_key="i1",
    )
    assert Rectification.objects.get().case.case_class.code == "A0101"


def test_an_unknown_class_keeps_the_inspection_and_the_item_without_a_case(world, rows, settings):
    settings.ONEGRID = {**settings.ONEGRID, "CENTRE_RECTIFICATION_CLASS": "ZZ99"}
    out = centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows, space=0),
        idempotency_key="i1",
    )
    rect = Rectification.objects.get()
    assert rect.case is None
    settings.ONEGRID = {**settings.ONEGRID, "CENTRE_RECTIFICATION_CLASS": "I0201"}
    made = centres.report_rectifications(actor=rows.community_staff, inspection=out.inspection)
    assert [r.pk for r in made] == [rect.pk]


def test_every_applicable_item_is_scored_within_its_maximum(world, rows):
    bad = [
        {rows.checklist[0].pk: 18},  # one missing
        _scores(rows, space=21),  # over the maximum
        _scores(rows, space=-1),
        _scores(rows, space="١٢"),  # other scripts' digits
        _scores(rows, space="1e3"),
        _scores(rows, space=True),
        _scores(rows, space="9" * 40),
        {**_scores(rows), rows.checklist[2].pk: 5},  # the street-only item
        {**_scores(rows), "nope": 5},
    ]
    for scores in bad:
        with pytest.raises(InvalidInput):
            centres.record_inspection(
                actor=rows.community_staff, centre=rows.centre, scores=scores, idempotency_key="i"
            )
    assert not Inspection.objects.exists()


def test_only_party_staff_of_the_place_or_above_inspect(world, rows):
    for stranger in (rows.other_staff, rows.admin, world.people.acceptor, world.people.leader):
        with pytest.raises(PermissionDenied):
            centres.record_inspection(
                actor=stranger, centre=rows.centre, scores=_scores(rows), idempotency_key="i"
            )
    for n, allowed in enumerate((rows.community_staff, rows.street_staff, rows.district_staff)):
        centres.record_inspection(
            actor=allowed, centre=rows.centre, scores=_scores(rows), idempotency_key=f"ok{n}"
        )


def test_a_key_used_for_another_centre_conflicts(world, rows):
    other = centres.register_centre(
        actor=rows.street_staff,
        unit=world.street,
        name="果园新村街道党群服务中心",
        lon=world.point[0],
        lat=world.point[1],
    )
    centres.record_inspection(
        actor=rows.street_staff, centre=rows.centre, scores=_scores(rows), idempotency_key="k"
    )
    with pytest.raises(Conflict):
        centres.record_inspection(
            actor=rows.street_staff,
            centre=other,
            scores={**_scores(rows), rows.checklist[2].pk: 10},
            idempotency_key="k",
        )


def test_photos_are_kept_as_copies_without_exif(world, rows):
    out = centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows),
        idempotency_key="i1",
        photo_files=[(None, photo()), (rows.checklist[1].pk, photo("b.png", "PNG"))],
    )
    stored = list(InspectionPhoto.objects.filter(inspection=out.inspection).order_by("id"))
    assert [p.item_id for p in stored] == [None, rows.checklist[1].pk]
    assert all(p.view.startswith("centres/") and p.view.endswith(".view.jpg") for p in stored)
    with default_storage.open(stored[0].view) as f:
        assert not Image.open(f).getexif()


def test_photo_bounds(world, rows, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PHOTO_MAX_BYTES": 2000}
    big = io.BytesIO()
    Image.effect_noise((200, 200), 100).convert("RGB").save(big, "PNG")
    cases = [
        [(None, SimpleUploadedFile("x.jpg", b"not an image"))],
        [(None, SimpleUploadedFile("big.png", big.getvalue()))],
        [(None, photo(f"{n}.jpg")) for n in range(10)],
        [(999_999, photo())],
    ]
    for files in cases:
        with pytest.raises(InvalidInput) as refused:
            centres.record_inspection(
                actor=rows.community_staff,
                centre=rows.centre,
                scores=_scores(rows),
                idempotency_key="i1",
                photo_files=files,
            )
        assert refused.value.field == "photos"
    assert not Inspection.objects.exists()


def test_registering_a_centre_checks_place_and_input(world, rows):
    centre = centres.register_centre(
        actor=rows.street_staff,
        unit=world.street,
        name="街道中心",
        lon="117.1",
        lat="39.2",
        floor_area_m2="800",
        opening_hours="9:00-17:00",
    )
    assert centre.level == ServiceCentre.Level.STREET and centre.floor_area_m2 == 800
    with pytest.raises(PermissionDenied):
        centres.register_centre(
            actor=rows.other_staff, unit=world.street, name="x", lon=117.1, lat=39.2
        )
    with pytest.raises(InvalidInput):
        centres.register_centre(
            actor=rows.district_staff, unit=world.district, name="x", lon=117.1, lat=39.2
        )
    for bad in (
        {"name": ""},
        {"name": "a\x00b"},
        {"name": "x" * 101},
        {"lon": "nan"},
        {"lon": "١١٧"},
        {"lat": 1e308},
        {"floor_area_m2": "-3"},
    ):
        fields = {"name": "x", "lon": 117.1, "lat": 39.2} | bad
        with pytest.raises(InvalidInput):
            centres.register_centre(actor=rows.street_staff, unit=world.street, **fields)


def test_the_checklist_is_configured_by_administrators_and_district_party_staff(world, rows):
    for allowed in (rows.admin, rows.district_staff):
        item = centres.save_checklist_item(
            actor=allowed, category="staff", text="专职工作人员", max_score=10
        )
        assert item.active
    with pytest.raises(PermissionDenied):
        centres.save_checklist_item(
            actor=rows.street_staff, category="staff", text="x", max_score=10
        )
    for bad in ({"category": "nope"}, {"max_score": 0}, {"max_score": "101"}, {"text": ""}):
        fields = {"category": "staff", "text": "x", "max_score": 5} | bad
        with pytest.raises(InvalidInput):
            centres.save_checklist_item(actor=rows.admin, **fields)


def test_centres_at_and_the_latest_score(world, rows):
    street_centre = centres.register_centre(
        actor=rows.street_staff, unit=world.street, name="街道中心", lon=117.1, lat=39.2
    )
    assert centres_at(world.community) == [rows.centre]
    assert set(centres_at(world.street)) == {rows.centre, street_centre}
    centres.record_inspection(
        actor=rows.community_staff,
        centre=rows.centre,
        scores=_scores(rows, space=10),
        idempotency_key="a",
    )
    centres.record_inspection(
        actor=rows.community_staff, centre=rows.centre, scores=_scores(rows), idempotency_key="b"
    )
    shown = {row.centre.pk: row for row in centres_for(rows.street_staff)}
    assert shown[rows.centre.pk].latest.score == 28 and shown[rows.centre.pk].percent == 93
    assert shown[street_centre.pk].latest is None
    assert centres_for(rows.other_staff) == []
    assert centres_for(world.people.resident) == []


def test_updating_and_closing_a_centre(world, rows):
    changed = centres.update_centre(
        actor=rows.community_staff,
        centre=rows.centre,
        name="第1社区党群服务中心（新址）",
        lon=world.point[0],
        lat=world.point[1],
        opening_hours="8:30-20:00",
        active=False,
    )
    assert changed.opening_hours == "8:30-20:00" and not changed.active
    assert centres_at(world.community) == []
    with pytest.raises(InvalidInput):
        centres.record_inspection(
            actor=rows.community_staff,
            centre=rows.centre,
            scores=_scores(rows),
            idempotency_key="closed",
        )
    with pytest.raises(PermissionDenied):
        centres.update_centre(
            actor=rows.other_staff, centre=rows.centre, name="x", lon=117.1, lat=39.2
        )
    with pytest.raises(InvalidInput):
        centres.update_centre(
            actor=rows.community_staff, centre=rows.centre, name="", lon=117.1, lat=39.2
        )
    rows.centre.refresh_from_db()
    assert rows.centre.name == "第1社区党群服务中心（新址）"
