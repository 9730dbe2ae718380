"""The inbox's reads and writes (notify.selectors, notify.inbox): only one's own, even by id;
newest first; links only while the case is still the reader's to see; marks idempotent."""

from __future__ import annotations

import uuid

import pytest

from onegrid.core.errors import InvalidInput, NotFound
from onegrid.notify import inbox, selectors
from onegrid.notify.models import Notification
from support.cases import advance, report
from support.notify_ui import notify


def test_a_reader_sees_only_their_own_newest_first(world):
    p = world.people
    old = notify(p.acceptor, title="old", minutes=-5)
    new = notify(p.acceptor, title="new")
    notify(p.dispatcher, title="someone else's")
    rows = list(selectors.notifications_for(p.acceptor))
    assert [n.title for n in rows] == ["new", "old"]
    assert selectors.unread_count(p.acceptor) == 2
    assert selectors.get_notification(p.acceptor, str(old.pk)) == old
    assert selectors.newest_id(p.acceptor) == new.pk


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "\x00", "1" * 500, None])
def test_anyone_elses_or_a_malformed_id_is_not_found(world, bad):
    p = world.people
    theirs = notify(p.dispatcher)
    with pytest.raises(NotFound) as refused:
        selectors.get_notification(p.acceptor, theirs.pk)
    assert refused.value.field == "notification_id"
    with pytest.raises(NotFound):
        selectors.get_notification(p.acceptor, bad)
    with pytest.raises(NotFound):
        selectors.get_notification(p.acceptor, uuid.uuid4())


def test_marking_someone_elses_notification_is_not_found_and_changes_nothing(world):
    p = world.people
    theirs = notify(p.dispatcher)
    with pytest.raises(NotFound):
        inbox.mark_read(actor=p.acceptor, notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_twice_keeps_the_first_time(world):
    p = world.people
    n = notify(p.acceptor)
    first = inbox.mark_read(actor=p.acceptor, notification_id=str(n.pk)).read_at
    assert first is not None
    advance(minutes=10)
    again = inbox.mark_read(actor=p.acceptor, notification_id=n.pk)
    assert again.read_at == first
    assert selectors.unread_count(p.acceptor) == 0


def test_mark_all_read_stops_at_the_newest_the_reader_had_seen(world):
    p = world.people
    seen = [notify(p.acceptor, minutes=-2), notify(p.acceptor, minutes=-1)]
    up_to = selectors.newest_id(p.acceptor)
    later = notify(p.acceptor)  # arrived after the page was made
    theirs = notify(p.dispatcher)
    assert inbox.mark_all_read(actor=p.acceptor, up_to=str(up_to)) == 2
    assert all(Notification.objects.get(pk=n.pk).read_at for n in seen)
    assert Notification.objects.get(pk=later.pk).read_at is None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert inbox.mark_all_read(actor=p.acceptor, up_to=str(up_to)) == 0  # a retry
    assert inbox.mark_all_read(actor=p.acceptor) == 1
    with pytest.raises(InvalidInput) as refused:
        inbox.mark_all_read(actor=p.acceptor, up_to="１２３")
    assert refused.value.field == "up_to"


def test_an_item_leads_to_its_case_only_while_the_reader_may_see_it(world):
    p = world.people
    case = report(world)  # in the first grid of the first street
    mine = notify(p.acceptor, case=case, url=f"/cases/{case.number}/")
    elsewhere = notify(p.other_acceptor, case=case, url=f"/cases/{case.number}/")
    (item,) = selectors.items(p.acceptor, [mine])
    assert item.link == f"/cases/{case.number}/"
    assert item.case_number == case.number
    (hidden,) = selectors.items(p.other_acceptor, [elsewhere])
    assert hidden.link is None
    assert hidden.case_number is None, "not even the number of a case they may not see"
    # The reporter follows their own report.
    (own,) = selectors.items(p.worker, [notify(p.worker, case=case, kind="reporter_received")])
    assert own.case_number == case.number


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/", "/\\evil", ""]
)
def test_a_link_is_only_ever_a_path_on_this_site(world, url):
    p = world.people
    (item,) = selectors.items(p.acceptor, [notify(p.acceptor, url=url)])
    assert item.link is None
