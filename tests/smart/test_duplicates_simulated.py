"""The duplicate score on the simulator's labelled reports, and the simulator's duplicates.

The floors hold on a plan drawn with a seed that is neither the one the model was fitted on
(duplicates.FIT_SEED) nor the demo's: the figures measured on other seeds (docs/performance.md)
sit well above them, so a floor failing means the score or the simulator got worse."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from onegrid.cases.catalogue import load_default_catalogue
from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.demo.management.commands.duplicates import labelled
from onegrid.demo.people import seed_people
from onegrid.demo.simulator import make_plan, simulate
from onegrid.smart import duplicates, evaluation
from onegrid.territory import locator

SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, tzinfo=SH)
TEST_SEED = 20261205
assert TEST_SEED != duplicates.FIT_SEED


@pytest.fixture
def district(beichen, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    locator.invalidate()
    load_default_catalogue()
    yield
    clock.set_now(None)
    locator.invalidate()


def _pairs(plan, *, read_text=True):
    """The pairs the live check would score, at its radius and window."""
    return evaluation.pairs(labelled(plan), read_text=read_text)


def test_the_plan_holds_labelled_duplicates_and_look_alikes(district):
    plan = make_plan(5, TEST_SEED, START, 80)
    by_n = {c.n: c for c in plan.cases}
    again = [c for c in plan.cases if c.duplicate_of]
    alike = [c for c in plan.cases if c.lookalike_of]
    assert len(again) >= 10 and len(alike) >= 5
    for c in again + alike:
        first = by_n[c.duplicate_of or c.lookalike_of]
        assert first.at < c.at and not first.duplicate_of
        assert first.class_code[:1] == c.class_code[:1]  # the same major class
        metres = duplicates.case_selectors.distance_m(first.lon, first.lat, c.lon, c.lat)
        assert metres < 400
        assert locator.locate(c.lon, c.lat).grid_code == c.grid_code
    # Second reports word the problem their own way; most reports say something.
    described = [c for c in plan.cases if c.description]
    assert len(described) > 0.8 * len(plan.cases)
    same_words = [c for c in again if c.description == by_n[c.duplicate_of].description]
    assert len(same_words) <= len(again) // 10
    assert make_plan(5, TEST_SEED, START, 80).digest() == plan.digest()


def test_precision_and_recall_stay_above_their_floors_on_an_unseen_seed(district):
    plan = make_plan(10, TEST_SEED, START, 120)
    scored = _pairs(plan)
    assert sum(p.same for p in scored) >= 50
    cut = duplicates.threshold()
    m = evaluation.measure(scored, evaluation.model_scores(duplicates.MODEL, scored), cut)
    assert m.precision >= 0.8, m
    assert m.recall >= 0.8, m
    assert m.top1_rate >= 0.85, m
    # The hint to a reporter who may not read the other case's words: place, class and time.
    hidden = _pairs(plan, read_text=False)
    h = evaluation.measure(hidden, evaluation.model_scores(duplicates.MODEL, hidden), cut)
    assert h.precision >= 0.75, h
    assert h.recall >= 0.7, h
    # The words help: with them the score finds more at no loss of precision.
    assert m.f1 > h.f1


def test_fitting_recovers_the_model_and_a_threshold(district):
    scored = _pairs(make_plan(10, TEST_SEED + 1, START, 120))
    fitted = evaluation.fit(scored, folds=3)
    m = fitted.model
    assert m.per_100m < 0 and m.log_hours < 0 and m.text > 0
    # The split between "same class" and "same group" varies from plan to plan; together they
    # always count for a duplicate.
    assert m.same_group + m.same_class > 0
    assert 0.05 <= fitted.threshold <= 0.95 and fitted.cv_f1 > 0.8


def test_the_command_prints_precision_and_recall(district):
    out = io.StringIO()
    call_command(
        "duplicates", "evaluate", "--days", "3", "--per-day", "60", "--seed", "5", stdout=out
    )
    text = out.getvalue()
    assert "precision" in text or "精确率" in text or "查准率" in text, text


def test_the_simulated_desk_merges_duplicates_into_the_case_they_repeat(district):
    seed_people("pw-simulated")
    plan = make_plan(2, TEST_SEED, START, 60)
    result = simulate(2, TEST_SEED, START, 60)
    assert not result.errors, result.errors[:5]
    merged = list(Case.objects.filter(state="merged").select_related("merged_into"))
    assert merged, result.summary()
    planned = {c.n: c for c in plan.cases}
    for case in merged:
        # The plan's report this case came from: same class, moment and place.
        [p] = [
            c
            for c in plan.cases
            if c.class_code == case.case_class.code
            and c.at == case.reported_at
            and abs(c.lon - case.lon) < 1e-6
        ]
        assert p.duplicate_of and p.merge, p
        assert case.merged_into.reported_at == planned[p.duplicate_of].at
        assert case.description == p.description
        assert case.merged_into.reporters.filter(from_case=case).exists()
