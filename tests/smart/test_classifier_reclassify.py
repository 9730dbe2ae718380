"""The desk's correction of a case's class (`reclassify`, a row of the one workflow table): the
case takes the class and its urgency, the history records the class before and after, and the
dispatch rule applies to a registered case that became urgent."""

from __future__ import annotations

import pytest
from django.utils import translation

from onegrid.cases import workflow
from onegrid.cases.history import replay_states
from onegrid.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from support.cases import act, advance, drive, report


def test_a_desk_changes_the_class_and_the_history_says_from_what(world):
    p = world.people
    case = report(world)  # 暴露垃圾 A0102, blue
    case = act(case, p.acceptor, "reclassify", class_code=world.building.code)
    assert case.state == "reported"
    assert case.case_class == world.building
    event = case.events.order_by("-seq").first()
    assert event.action == "reclassify"
    assert (event.from_state, event.to_state) == ("reported", "reported")
    assert event.data["from_class"] == "A0102"
    assert event.data["to_class"] == event.data["class"] == "A0101"
    assert event.actor == p.acceptor
    assert replay_states(list(case.events.order_by("seq")))[-1] == case.state


def test_the_new_class_brings_its_urgency_and_the_dispatch_clock_follows(world):
    p = world.people
    case = drive(world, "registered")
    registered_at, blue_due = case.registered_at, case.dispatch_due_at
    world.building.urgency = "yellow"
    world.building.save()
    case = act(case, p.dispatcher, "reclassify", class_code=world.building.code)
    assert case.urgency == "yellow"
    assert case.registered_at == registered_at  # the registration itself did not move
    assert case.dispatch_due_at < blue_due  # 24 working hours from registration, not 72


def test_a_missed_dispatch_deadline_stays_missed_after_a_reclassify(world):
    p = world.people
    world.building.urgency = "yellow"
    world.building.save()
    case = act(
        drive(world, "registered"), p.dispatcher, "reclassify", class_code=world.building.code
    )
    yellow_due = case.dispatch_due_at
    advance(hours=24 * 7)  # well past the 24 working hours of a yellow class
    case = act(case, p.dispatcher, "reclassify", class_code="A0102")  # blue: 72 working hours
    assert case.urgency == "blue"
    assert case.dispatch_due_at == yellow_due  # not moved later: the case stays overdue


def test_a_registered_case_that_became_urgent_is_dispatched_at_once(world):
    case = act(drive(world, "registered"), world.people.acceptor, "reclassify", class_code="A0201")
    assert case.state == "dispatched"
    assert case.urgency == "red"
    assert list(case.events.order_by("-seq").values_list("action", flat=True)[:2]) == [
        "dispatch",
        "reclassify",
    ]
    assert case.tasks.get().department == world.city_mgmt


def test_an_urgent_class_on_a_reported_case_waits_for_registration(world):
    case = act(report(world), world.people.acceptor, "reclassify", class_code="A0201")
    assert case.state == "reported"
    assert not case.tasks.exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Choose"),
        ("Z9999", "Unknown"),
        ("A0102", "already"),
        ("A0102\x00", "Unknown"),
        ("A0102\n", "already"),  # trimmed, as the report takes it
        ("A" * 300, "Unknown"),
    ],
)
def test_a_missing_unknown_or_same_class_is_refused_at_its_field(world, code, message):
    case = report(world)
    with translation.override("en"):
        with pytest.raises(InvalidInput) as refused:
            act(case, world.people.acceptor, "reclassify", class_code=code)
        assert refused.value.field == "class_code"
        assert message in str(refused.value.message)
    assert case.events.count() == 1


def test_an_inactive_class_is_refused(world):
    world.building.active = False
    world.building.save()
    with pytest.raises(InvalidInput):
        act(report(world), world.people.acceptor, "reclassify", class_code="A0101")


def test_only_the_street_desk_reclassifies_and_only_before_dispatch(world):
    row = workflow.BY_ACTION["reclassify"]
    assert row.sources == {"reported", "verifying", "registered"}
    assert row.params == ("class_code",)
    with pytest.raises(PermissionDenied):
        act(report(world), world.people.worker, "reclassify", class_code="A0101")
    with pytest.raises(NotFound):  # another street's desk does not even see it
        act(report(world), world.people.other_acceptor, "reclassify", class_code="A0101")
    dispatched = drive(world, "dispatched")
    with pytest.raises(DomainError) as refused:
        act(dispatched, world.people.acceptor, "reclassify", class_code="A0101")
    assert refused.value.field == "action"
