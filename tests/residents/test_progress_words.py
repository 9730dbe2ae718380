"""A rating with its reason in the reader's language: 不满意：… in Chinese, "Unsatisfied: …" in
English (the English timeline had the Chinese full-width colon)."""

from django.utils import translation

from onegrid.cases.models import CaseEvent
from onegrid.residents import progress


def test_a_rating_and_its_reason_are_joined_in_the_readers_language():
    event = CaseEvent(action="rate", data={"satisfaction": "unsatisfied"}, reason="还是很脏")
    with translation.override("zh-hans"):
        assert progress._detail(event) == "不满意：还是很脏"
    with translation.override("en"):
        assert progress._detail(event) == "Unsatisfied: 还是很脏"
    satisfied = CaseEvent(action="rate", data={"satisfaction": "satisfied"}, reason="")
    with translation.override("en"):
        assert progress._detail(satisfied) == "Satisfied"
