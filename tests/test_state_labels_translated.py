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


def test_words_shared_by_a_count_and_a_link_keep_the_counts_meaning():
    """ "Reports" heads counts (hotspots, monthly reports: 上报量) and "Open" the open cases on
    the live map (在办); the public pages' link to the list of reports is "Public reports"
    (问题上报), and no button text took over "Open" (it once read 查看 on the map)."""
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        assert gettext("Reports") == "上报量"
        assert gettext("Open") == "在办"
        assert gettext("Public reports") == "问题上报"
