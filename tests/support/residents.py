"""A resident's report driven through the staff's steps (tests/residents, the browser test)."""

from __future__ import annotations

from onegrid.cases.models import Case, CaseEvent
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


ORDER = ["reported", "verifying", "registered", "dispatched", "in_progress", "checking"]
ORDER += ["checked", "closed"]


def _done(case: Case, action: str, reached: str) -> bool:
    """Whether the step is behind the case already (a second call goes on from there)."""
    verified = CaseEvent.objects.filter(case=case, action="verify").exists()
    if action == "request_verification":
        return verified or case.state != "reported"
    if action == "verify":
        return verified
    return ORDER.index(reached) <= ORDER.index(case.state)


def staff_take(world, case: Case, until: str = "closed") -> Case:
    """The staff of the small world take a resident's report along the main path to `until`,
    from wherever it stands on that path."""
    case = Case.objects.get(pk=case.pk)
    for reached, who, action, extra in STAFF_PATH:
        if case.state == until:
            break
        if _done(case, action, reached):
            continue
        kwargs = dict(extra)
        if kwargs.pop("photos", None):
            kwargs["photos"] = [photo()]
        case = act(case, getattr(world.people, who), action, **kwargs)
        assert case.state == reached, (action, case.state)
    assert case.state == until
    return case
