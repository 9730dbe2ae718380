import pytest
from django.db import transaction

from onegrid.core.serials import next_serial


@pytest.mark.django_db(transaction=True)
def test_series_count_from_one_each_on_its_own():
    assert [next_serial("dispute-2026") for _ in range(3)] == [1, 2, 3]
    assert next_serial("topic-2026") == 1
    assert next_serial("dispute-2027") == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_writer_gives_its_number_back():
    next_serial("risk-2026")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_serial("risk-2026") == 2
        raise RuntimeError("the numbered row failed")
    assert next_serial("risk-2026") == 2
