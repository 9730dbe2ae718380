"""Which cases are forwarded where: rules by class prefix, department and step; one forward per
(case, target) however often the history is read; late events inside the rescan window."""

import re
import uuid

import pytest

from onegrid.cases.models import CaseEvent
from onegrid.forwarding import services
from onegrid.forwarding.models import Forward, Mark, Rule, Target
from support.cases import act, advance, drive, report
from support.forwarding_remotes import open311_target, webhook_target

URL = "http://127.0.0.1:9/"  # nothing listens: these tests never deliver


def _pairs():
    return sorted(
        (f.case.number, f.target.name) for f in Forward.objects.select_related("case", "target")
    )


@pytest.mark.django_db
def test_register_rule_by_class_prefix(world):
    target = webhook_target(URL, class_prefix="A01")
    rubbish = drive(world, "registered")  # A0102
    manhole = report(world, case_class=world.manhole)  # A0201: other prefix
    act(manhole, world.people.acceptor, "register")
    not_registered = report(world)
    assert services.scan() == 1
    forward = Forward.objects.get()
    assert (forward.case, forward.target, forward.state) == (rubbish, target, "pending")
    assert forward.event.action == "register"
    assert not Forward.objects.filter(case=not_registered).exists()


@pytest.mark.django_db
def test_a_rule_forwards_the_steps_taken_after_it_was_made(world):
    """A rule added to a live system does not send the history before it, even what lies
    inside the rescan window (after `make demo`, the month of simulated history was written
    minutes ago: adding a rule then sent every old case to the target)."""
    before = drive(world, "registered")
    advance(minutes=1)
    target = webhook_target(URL)
    assert services.scan() == 0
    advance(minutes=1)
    after = drive(world, "registered")
    assert services.scan() == 1
    assert _pairs() == [(after.number, target.name)]
    assert not Forward.objects.filter(case=before).exists()


@pytest.mark.django_db
def test_one_forward_per_case_and_target_however_often_read(world):
    target = webhook_target(URL)
    Rule.objects.create(target=target, on="dispatch")  # a second rule to the same target
    case = drive(world, "dispatched")
    assert services.scan() == 1
    assert services.scan() == 0
    # The mark is forgotten: the whole window is read again, nothing is made twice.
    Mark.objects.all().update(last_event_id=None)
    Mark.objects.all().delete()
    assert services.scan() == 0
    assert Forward.objects.filter(case=case, target=target).count() == 1


@pytest.mark.django_db
def test_dispatch_rule_by_department_lead_or_co(world):
    eco = Target.objects.create(name="eco", kind="webhook", url=URL, secret="x")
    Rule.objects.create(target=eco, on="dispatch", department=world.ecology)
    city = Target.objects.create(name="city", kind="webhook", url=URL, secret="x")
    Rule.objects.create(target=city, on="dispatch", department=world.city_mgmt)
    plain = drive(world, "dispatched")  # city management leads alone
    joint = act(
        drive(world, "registered"), world.people.dispatcher, "dispatch", co_departments=["ecology"]
    )
    services.scan()
    assert _pairs() == sorted(
        [(plain.number, "city"), (joint.number, "city"), (joint.number, "eco")]
    )


@pytest.mark.django_db
def test_register_rule_by_the_class_default_department(world):
    target = webhook_target(URL, department=world.ecology)
    drive(world, "registered")  # its class's department is city management
    assert services.scan() == 0
    Rule.objects.filter(target=target).update(department=world.city_mgmt)
    Mark.objects.all().delete()
    assert services.scan() == 1


@pytest.mark.django_db
def test_inactive_targets_and_rules_take_nothing(world):
    off = webhook_target(URL)
    off.active = False
    off.save()
    rule_off = webhook_target("http://127.0.0.1:10/")
    rule_off.rules.update(active=False)
    drive(world, "registered")
    assert services.scan() == 0


@pytest.mark.django_db
def test_an_event_committed_late_is_still_read(world):
    """A long transaction commits an event older (by id) than the mark: the rescan window
    behind the mark still reads it; one beyond the window is not read again."""
    webhook_target(URL)
    case = drive(world, "registered")
    event = CaseEvent.objects.get(case=case, action="register")
    # The scan has already read up to an event made 5 s after this one.
    ahead = uuid.UUID(int=event.id.int + (5000 << 80))
    Mark.objects.create(name=services.MARK, last_event_id=ahead)
    assert services.scan() == 1
    Forward.objects.all().delete()
    far_ahead = uuid.UUID(int=event.id.int + (3600_000 << 80))
    Mark.objects.filter(name=services.MARK).update(last_event_id=far_ahead)
    assert services.scan() == 0
    # The mark never moves back.
    assert Mark.objects.get().last_event_id == far_ahead


@pytest.mark.django_db
def test_open311_target_and_service_code_map(world):
    target = open311_target(URL, service_codes={"A01": "101", "A0102": "102"})
    assert target.service_code_for("A0102") == "102"
    assert target.service_code_for("A0101") == "101"
    assert target.service_code_for("E0101") == "E0101"
    case = drive(world, "registered")
    services.scan()
    forward = Forward.objects.get()
    fields = services.open311_fields(forward)
    assert fields["service_code"] == "102"
    marker = services.reference(forward)
    assert re.fullmatch(r"ref [A-Z]{14}", marker)
    assert fields["description"] == f"[OneGrid {case.number} {marker}] {case.description}".rstrip()
    assert "phone" not in fields and "first_name" not in fields
