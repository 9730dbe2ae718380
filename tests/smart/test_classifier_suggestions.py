"""Suggestions off the intake path: for a text while the reporter types (the API), stored for a
case when its page is first opened, with the department and urgency of the catalogue's rules;
a desk's one-click correction recorded beside it; the next training without --csv reading the
district's closed cases with their final class."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from onegrid.cases.models import Case
from onegrid.smart import classifier, suggestions, training
from onegrid.smart.models import Suggestion
from support.cases import act, drive, photo, report
from support.classifier import TEXTS, train_world_model


@pytest.fixture
def model(tmp_path, settings):
    path = train_world_model(tmp_path / "model.npz")
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(path)}
    classifier.current.forget()
    yield path
    classifier.current.forget()


def test_a_text_gets_three_classes_with_the_catalogues_department_and_urgency(world, model):
    suggestion = suggestions.suggest_text("人行道上有个井盖没了，差点摔倒")
    top = suggestion.top
    assert [o.code for o in suggestion.options][0] == "A0201"
    assert len(suggestion.options) == 3
    assert top.department == world.city_mgmt and top.urgency == "red"
    assert 0.3 < top.confidence <= 1
    police = suggestions.suggest_text("半夜有人在楼下打架斗殴").top
    assert police.code == "E0101" and police.police and police.department is None
    # For a stored case, the police station of the case's street.
    case = report(world, description="半夜有人在楼下打架斗殴")
    assert suggestions.suggest_text(case.description, case=case).top.department == world.police


def test_without_a_model_or_text_there_is_no_suggestion(world, settings, tmp_path, model):
    assert suggestions.suggest_text("  。，！ ").options == []
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(tmp_path / "none.npz")}
    assert suggestions.suggest_text("井盖丢了") is None
    assert suggestions.suggestion_for(report(world, description="井盖丢了")) is None


def test_a_case_gets_its_suggestion_once_and_keeps_it(world, model):
    case = report(world, description="小区门口井盖不见了")
    assert suggestions.suggestion_for(report(world)) is None  # no description, nothing to read
    first = suggestions.suggestion_for(case)
    assert first.case_class.code == "A0201" and first.reported_class == world.rubbish
    assert first.model_version == classifier.current.get().version
    assert [c["code"] for c in first.top_classes][0] == "A0201"
    assert first.department == world.city_mgmt and first.urgency == "red"
    assert not first.right  # reported as rubbish: the suggestion disagrees
    assert suggestions.suggestion_for(case).pk == first.pk
    assert Suggestion.objects.count() == 1


def test_a_desks_correction_is_recorded_beside_the_suggestion(world, model):
    case = report(world, description="雨水井盖缺失，晚上有人掉下去")
    row = suggestions.suggestion_for(case)
    act(case, world.people.acceptor, "reclassify", class_code="A0201")
    row = suggestions.suggestion_for(case)
    assert row.corrected_class.code == "A0201" and row.corrected_by == world.people.acceptor
    assert row.right
    event = case.events.get(action="reclassify")
    assert row.correction_seq == event.seq and row.corrected_at == event.at


def test_the_cron_verb_makes_missing_suggestions_and_records_corrections(world, model):
    cases = [report(world, description=t) for t in ("井盖碎了", "楼顶违章搭建", "")]
    out = io.StringIO()
    with translation.override("en"):
        call_command("classifier", "suggest", "--days", "1", stdout=out)
    assert "2 suggestions made" in out.getvalue()
    assert Suggestion.objects.filter(case__in=cases).count() == 2
    act(cases[0], world.people.acceptor, "reclassify", class_code="A0201")
    assert suggestions.record_corrections() == 1
    assert suggestions.record_corrections() == 0


def test_training_without_a_file_reads_the_closed_cases_final_class(world, settings, tmp_path):
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(tmp_path / "district.npz")}
    p = world.people
    for text in TEXTS["A0102"][:4]:
        act(report(world, description=text), p.worker, "self_close", photos=[photo()])
    for text in TEXTS["A0101"][:4]:
        # Reported as rubbish, corrected by the desk, then closed: it teaches 私搭乱建.
        case = act(report(world, description=text), p.acceptor, "reclassify", class_code="A0101")
        for who, action, extra in [
            (p.acceptor, "register", {}),
            (p.dispatcher, "dispatch", {}),
            (p.city_handler, "sign", {}),
            (p.city_handler, "feed_back", {"reason": "done", "photos": [photo()]}),
            (p.worker, "pass_check", {}),
            (p.acceptor, "close", {}),
        ]:
            case = act(case, who, action, **extra)
        assert case.state == "closed"
    drive(world, "closed")  # no description: not a training text
    act(report(world, description="井盖丢了", case_class=world.manhole), p.acceptor, "reject", "x")
    dataset = training.district_dataset()
    assert sorted(dataset.counts().items()) == [("A0101", 4), ("A0102", 4)]
    assert set(dataset.departments) == {"", "city_management"}
    out = io.StringIO()
    with translation.override("en"):
        call_command("classifier", "train", stdout=out)
    model = classifier.Model.load(tmp_path / "district.npz")
    assert set(model.labels) == {"A0101", "A0102"}
    assert "8 closed cases" in out.getvalue()
    classifier.current.forget()


def test_training_without_a_file_needs_enough_closed_cases(world, settings, tmp_path):
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(tmp_path / "d.npz")}
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("classifier", "train", stdout=io.StringIO())
    assert "--csv" in str(refused.value)
    assert not (tmp_path / "d.npz").exists()


def test_the_api_suggests_for_reporters_only_and_bounds_the_text(world, model):
    client = Client()
    client.force_login(world.people.worker)
    answer = client.post(
        "/api/v1/smart/suggest", {"text": "人行道上井盖丢了"}, content_type="application/json"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["model_version"] == classifier.current.get().version
    first = body["suggestions"][0]
    assert first["class_code"] == "A0201" and first["department"]["code"] == "city_management"
    assert first["urgency"] == "red" and 0 < first["confidence"] <= 1
    too_long = client.post(
        "/api/v1/smart/suggest", {"text": "井" * 2001}, content_type="application/json"
    )
    assert too_long.status_code == 422 and too_long.json()["field"] == "text"
    handler = Client()
    handler.force_login(world.people.city_handler)
    refused = handler.post("/api/v1/smart/suggest", {"text": "x"}, content_type="application/json")
    assert refused.status_code == 403


def test_the_api_gives_a_cases_suggestion_to_those_who_see_it(world, model):
    case = report(world, description="有人在小区里打架")
    client = Client()
    client.force_login(world.people.acceptor)
    body = client.get(f"/api/v1/smart/cases/{case.number}/suggestion").json()
    assert body["suggestions"][0]["class_code"] == "E0101"
    assert body["suggestions"][0]["department"]["code"] == world.police.code
    assert body["case_class"] == "A0102" and body["corrected"] is False
    other = Client()
    other.force_login(world.people.other_acceptor)
    assert other.get(f"/api/v1/smart/cases/{case.number}/suggestion").status_code == 404
    # A reference no case can have is a 404 (a NUL would make PostgreSQL refuse the query).
    for ref in ("%00", "x%00y", "9" * 40):
        assert client.get(f"/api/v1/smart/cases/{ref}/suggestion").status_code == 404


def test_the_case_page_shows_the_suggestion_and_the_desk_changes_the_class_in_one_click(
    world, model
):
    case = report(world, description="人行道上井盖丢了，很危险")
    client = Client()
    client.force_login(world.people.acceptor)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'id="suggestions"' in page and "井盖缺失" in page and 'class="reclassify"' in page
    panel = page[page.index('id="suggestions"') :]
    key = panel.split('name="idempotency_key" value="')[1].split('"')[0]
    url = reverse("web:case_action", args=[case.number, "reclassify"])
    assert f'action="{url}"' in panel and 'name="class_code" value="A0201"' in panel
    answer = client.post(url, {"class_code": "A0201", "idempotency_key": key})
    assert answer.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.case_class.code == "A0201" and case.urgency == "red"
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "A0102 → A0201" in page  # the timeline says from what to what
    assert Suggestion.objects.get(case=case).corrected_class.code == "A0201"
    # A worker sees the suggestion but is offered no change of class.
    worker = Client()
    worker.force_login(world.people.worker)
    page = worker.get(f"/cases/{case.number}/").content.decode()
    assert 'id="suggestions"' in page and 'class="reclassify"' not in page


@pytest.mark.parametrize(
    "content",
    [b"not a model at all", b"PK\x03\x04 truncated zip", None],
    ids=["garbage", "truncated", "other-npz"],
)
def test_an_unreadable_model_file_means_no_suggestion_not_a_broken_page(
    world, settings, tmp_path, content, caplog
):
    # A damaged or foreign file where the model should be: the case page and the API answer
    # as without a model (the page must not fail because of it), and the file is read once
    # per change, not at every request.
    import numpy as np

    path = tmp_path / "broken.npz"
    if content is None:
        np.savez(path, meta=np.array('{"format": "someone-else/1"}'))
    else:
        path.write_bytes(content)
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(path)}
    classifier.current.forget()
    try:
        assert classifier.current.get() is None
        assert suggestions.suggest_text("井盖丢了") is None
        case = report(world, description="井盖丢了")
        client = Client()
        client.force_login(world.people.acceptor)
        page = client.get(f"/cases/{case.number}/")
        assert page.status_code == 200
        assert 'id="suggestions"' not in page.content.decode()
        answer = client.get(f"/api/v1/smart/cases/{case.number}/suggestion")
        assert answer.status_code == 200 and answer.json()["model_version"] is None
        worker = Client()
        worker.force_login(world.people.worker)
        answer = worker.post(
            "/api/v1/smart/suggest", {"text": "井盖丢了"}, content_type="application/json"
        )
        assert answer.status_code == 200 and answer.json()["suggestions"] == []
        assert "cannot read the classifier model" in caplog.text
        assert caplog.text.count("cannot read the classifier model") == 1
    finally:
        classifier.current.forget()
