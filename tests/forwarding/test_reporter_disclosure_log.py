"""A reporter's name and phone sent to another system (a target with include_reporter) are
recorded in the log of reads of personal data (org.access_log), by the system; a target
without them records nothing."""

from __future__ import annotations

import pytest

from onegrid.cases.models import CaseReporter
from onegrid.forwarding import services
from onegrid.org.models import PersonalDataRead
from support.cases import drive
from support.forwarding_remotes import webhook_target


@pytest.mark.django_db
@pytest.mark.parametrize("include_reporter", [True, False])
def test_a_forward_with_the_reporter_is_recorded(world, receiver, include_reporter):
    target = webhook_target(receiver.url)
    target.include_reporter = include_reporter
    target.save()
    case = drive(world, "registered")
    type(case).objects.filter(pk=case.pk).update(reporter_name="李四", reporter_phone="13900002222")
    services.scan()
    services.deliver_due()
    assert len(receiver.accepted) == 1
    rows = list(
        PersonalDataRead.objects.values_list("user", "kind", "subject_id", "fields", "channel")
    )
    if not include_reporter:
        assert rows == []
        return
    own = CaseReporter.objects.get(case=case, from_case=case)
    assert rows == [(None, "case_reporter", str(own.pk), "name,phone", "forward")]
    assert PersonalDataRead.objects.get().path == f"webhook:{target.name}"
