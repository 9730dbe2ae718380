"""A reporter's notifications never carry another reporter's words: a report merged into an
earlier one makes its reporter a follower of that case, whose address the other reporter typed
(it may hold a flat number or a name)."""

from __future__ import annotations

from onegrid.cases import services as case_services
from onegrid.notify import services
from onegrid.notify.models import Delivery, Notification
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import act, new_key


def _report(world, who, address):
    return case_services.report_case(
        actor=who,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="楼下垃圾",
        address=address,
        idempotency_key=new_key(),
    ).case


def test_a_merged_in_reporter_is_not_sent_the_other_reporters_address(world):
    a = world.people.resident
    b = User.objects.create_user(
        username="13700003333", phone="13700003333", display_name="王五", password="x-pass-12"
    )
    RoleAssignment.objects.create(user=b, role=Role.RESIDENT, unit=world.district)
    first = _report(world, a, "果园新村3-201张秘密")
    act(first, world.people.acceptor, "request_verification")
    act(first, world.people.worker, "verify", result="confirmed")
    act(first, world.people.acceptor, "register")
    mine = _report(world, b, "")
    act(mine, world.people.acceptor, "merge", target=first.number)
    act(first, world.people.dispatcher, "dispatch")
    services.fan_out()
    to_b = Notification.objects.filter(user=b, case=first)
    assert to_b.exists()
    for n in to_b:
        assert "张秘密" not in n.title + n.body
    for d in Delivery.objects.filter(notification__user=b):
        assert "张秘密" not in str(d.payload)
