"""The shape of the workflow table: keyword rows, declared targets and follow-ups, the lead's
feedback photo as data, and the table as `GET /api/v1/workflow` serves it."""

from __future__ import annotations

import inspect
import re

import pytest
from django.test import Client

from onegrid.cases import rules, workflow
from onegrid.cases.rules import ActionContext
from onegrid.core.errors import InvalidInput
from support.cases import act, drive, photo


def test_rows_are_written_with_keywords():
    with pytest.raises(TypeError):
        workflow.Transition(1, "x", "x", frozenset(), ("reported",), frozenset())


def test_every_row_declares_its_targets_among_the_states():
    for t in workflow.TABLE:
        assert t.targets, t.action
        assert set(t.targets) <= set(workflow.STATE_LABELS) | {workflow.STAY}, t.action
        for follow_up in t.follow_ups:
            follow = workflow.BY_ACTION[follow_up.action]
            assert follow.roles == {workflow.SYSTEM} or workflow.SYSTEM in follow.roles
            # A follow-up starts where its row may end.
            reachable = {s for s in t.targets if s != workflow.STAY} or set(t.sources)
            assert reachable & follow.sources, (t.action, follow_up.action)


def test_effects_set_no_state_of_their_own():
    source = inspect.getsource(rules)
    assert not re.search(r"ctx\.target\s*=", source)  # only ActionContext.choose sets it
    assert not re.search(r"\.state\s*=\s*[\"']", source)  # a raw state string
    assert "follow_ups" not in source


def test_an_effect_may_only_choose_a_declared_target(world):
    ctx = ActionContext(
        case=drive(world, "dispatched"),
        action="return",
        actor=None,
        actor_roles=set(),
        now=None,
        targets=workflow.BY_ACTION["return"].targets,
    )
    ctx.choose(workflow.State.REGISTERED)
    with pytest.raises(ValueError):
        ctx.choose(workflow.State.CLOSED)


def test_follow_ups_are_declared_in_the_rows():
    assert [f.action for f in workflow.BY_ACTION["feed_back"].follow_ups] == ["start_check"]
    assert [f.action for f in workflow.BY_ACTION["register"].follow_ups] == ["dispatch"]
    assert workflow.BY_ACTION["feed_back"].photo_required_for_tasks == {"lead"}


def test_the_lead_needs_an_after_photo_and_a_co_department_does_not(world):
    p = world.people
    case = act(drive(world, "registered"), p.dispatcher, "dispatch", co_departments=["ecology"])
    act(case, p.city_handler, "sign")
    act(case, p.eco_handler, "sign")
    with pytest.raises(InvalidInput) as error:
        act(case, p.city_handler, "feed_back", reason="done")
    assert error.value.field == "photos"
    case = act(case, p.eco_handler, "feed_back", reason="done")
    assert case.state == "in_progress"
    case = act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
    assert case.state == "checking"  # the declared follow-up ran
    assert list(case.events.order_by("-seq").values_list("action", flat=True)[:2]) == [
        "start_check",
        "feed_back",
    ]
    # The follow-up happens at the moment of the feedback that asked for it.
    start, feed = case.events.order_by("-seq")[:2]
    assert start.at == feed.at == case.fed_back_at


def test_the_api_serves_targets_and_follow_ups(world):
    client = Client()
    client.force_login(world.people.acceptor)
    rows = {r["action"]: r for r in client.get("/api/v1/workflow").json()}
    assert rows["return"]["targets"] == [workflow.STAY, "registered"]
    assert rows["return"]["to"] is None
    assert rows["feed_back"]["follow_ups"] == ["start_check"]
    assert rows["feed_back"]["photo_required_for_tasks"] == ["lead"]
    assert rows["register"]["follow_ups"] == ["dispatch"]
    assert rows["pass_check"]["to"] == "checked"
