"""The inbox over what the fan-out (notify.services.fan_out) really writes: a report reaches the
street desk's bell and list with a way to its case, and the resident's with a way to their
report's page; nobody else's."""

from __future__ import annotations

import re

from onegrid.notify import selectors, services
from support.cases import act, advance, report
from support.web import client_for


def test_a_report_reaches_the_desk_and_the_reporter_and_no_one_else(world):
    p = world.people
    case = report(world, who=p.resident)
    advance(seconds=5)
    assert services.fan_out() > 0
    assert selectors.unread_count(p.acceptor) >= 1
    assert selectors.unread_count(p.other_acceptor) == 0
    desk = selectors.items(p.acceptor, selectors.notifications_for(p.acceptor))
    assert all(i.case_number == case.number for i in desk)
    assert all(i.link == f"/cases/{case.number}/" for i in desk)
    act(case, p.acceptor, "request_verification")
    act(case, p.worker, "verify", result="confirmed")
    case = act(case, p.acceptor, "register")
    advance(seconds=5)
    services.fan_out()
    mine = selectors.items(p.resident, selectors.notifications_for(p.resident))
    assert "reporter_registered" in [i.kind for i in mine]
    assert all(i.link and case.tracking_code in i.link for i in mine)

    client = client_for(world, "acceptor")
    html = client.get("/console/").content.decode()
    unread = selectors.unread_count(p.acceptor)
    assert re.search(rf'id="bell-count">{unread}</span>', html)
    listed = client.get("/notifications/").content.decode()
    assert case.number in listed
    item_id = re.findall(r'<li class="unread" data-id="([^"]+)"', listed)[-1]
    answer = client.post(f"/notifications/{item_id}/open/")
    assert answer["Location"] == f"/cases/{case.number}/"
    assert selectors.unread_count(p.acceptor) == unread - 1
    # Running the fan-out again adds nothing: one per event per person.
    assert services.fan_out() == 0
