"""The states of a case read as states in Chinese, each its own words (a template's "Reported"
column heading once made the "reported" state read 上报时间, "time reported", on case pages,
the console's filter and the API's state_label)."""

from django.utils import translation

from onegrid.cases.states import STATE_LABELS


def test_each_state_has_its_own_chinese_label_and_none_reads_as_a_time():
    with translation.override("zh-hans"):
        labels = {state: str(label) for state, label in STATE_LABELS.items()}
    assert labels["reported"] == "已上报"
    assert len(set(labels.values())) == len(labels)
    assert not [label for label in labels.values() if "时间" in label]
