"""A district's overrides change for every reader at once, whatever path changed them: a row
saved or deleted outside set_override and the admin (the shell, a cascade from its class), and
a department an override names deleted (the database nulls the override's department by an
UPDATE no signal reports). The process's copy is never left to its timed recheck."""

from __future__ import annotations

import pytest

from onegrid.cases import overrides
from onegrid.cases.models import CaseClass, ClassOverride
from onegrid.core.errors import InvalidInput
from onegrid.org.models import Department


@pytest.fixture
def slow_recheck(settings):
    # Only a bump may refresh the copy within the test.
    settings.ONEGRID = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    overrides.forget()
    yield
    overrides.forget()


def test_a_row_saved_or_deleted_directly_is_read_at_once(world, slow_recheck):
    assert overrides.effective(world.rubbish, world.district.pk).urgency == "blue"
    row = ClassOverride.objects.create(
        district=world.district, case_class=world.rubbish, urgency="red"
    )
    assert overrides.effective(world.rubbish, world.district.pk).urgency == "red"
    row.active = False
    row.save()
    with pytest.raises(InvalidInput):
        overrides.check_offered(world.rubbish, world.district.pk)
    row.delete()
    assert overrides.effective(world.rubbish, world.district.pk).urgency == "blue"
    overrides.check_offered(world.rubbish, world.district.pk)


def test_a_class_deleted_takes_its_overrides_along(world, slow_recheck):
    extra = CaseClass.objects.create(
        code="Z0101",
        name="test",
        major=world.rubbish.major,
        time_limit=4,
        time_unit="hours",
        urgency="blue",
    )
    overrides.set_override(district=world.district, case_class=extra, urgency="red")
    assert overrides.any_overrides()
    extra.delete()
    assert not overrides.any_overrides()


def test_a_deleted_department_is_no_override_default_at_once(world, slow_recheck):
    temporary = Department.objects.create(code="temp", name="临时部门")
    overrides.set_override(
        district=world.district, case_class=world.rubbish, default_department_id=temporary.pk
    )
    assert (
        overrides.effective(world.rubbish, world.district.pk).default_department_id == temporary.pk
    )
    temporary.delete()
    assert overrides.effective(world.rubbish, world.district.pk).default_department_id == (
        world.rubbish.default_department_id
    )


def test_a_deleted_department_leaves_the_cached_catalogue_at_once(world):
    from onegrid.cases import intake_cache

    temporary = Department.objects.create(code="temp", name="临时部门")
    CaseClass.objects.filter(pk=world.rubbish.pk).update(default_department=temporary)
    intake_cache.CLASSES.clear()
    code = world.rubbish.code
    assert intake_cache.active_class(code).default_department_id == temporary.pk
    temporary.delete()
    assert intake_cache.active_class(code).default_department_id is None
