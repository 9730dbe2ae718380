"""A resident's report driven through the staff's steps (tests/residents, the browser test)."""

from __future__ import annotations

from onegrid.cases.models import Case
from support.cases import act, photo

# A resident's report is confirmed on site before it is registered (DOMAIN.md §3, row 3).
STAFF_PATH = (
    ("verifying", "acceptor", "request_verification", {}),
    ("reported", "worker", "verify", {"result": "confirmed"}),
    ("registered", "acceptor", "register", {}),
    ("dispatched", "dispatcher", "dispatch", {}),
    ("in_progress", "city_handler", "sign", {}),
    ("checking", "city_handler", "feed_back", {"reason": "已清理", "photos": "after"}),
    ("checked", "worker", "pass_check", {}),
    ("closed", "acceptor", "close", {}),
)


def staff_take(world, case: Case, until: str = "closed") -> Case:
    """The staff of the small world take a resident's report along the main path to `until`."""
    case = Case.objects.get(pk=case.pk)
    for reached, who, action, extra in STAFF_PATH:
        if case.state == until:
            break
        kwargs = dict(extra)
        if kwargs.pop("photos", None):
            kwargs["photos"] = [photo()]
        case = act(case, getattr(world.people, who), action, **kwargs)
        assert case.state == reached, (action, case.state)
    assert case.state == until
    return case
