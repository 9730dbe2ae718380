"""The rules a ballot is counted under (deliberation.vote_rules): parsing the committee's
fractions, quorum and majority at their edges, and the result against a reference computed
with exact fractions (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.core.errors import InvalidInput
from onegrid.deliberation import vote_rules
from onegrid.deliberation.vote_rules import Rule, parse_rule


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (">1/2", Rule(1, 2, True)),
        (">=2/3", Rule(2, 3, False)),
        (" >= 2 / 3 ", Rule(2, 3, False)),
        ("≥2/3", Rule(2, 3, False)),
        (">=0/1", Rule(0, 1, False)),
        (">=1/1", Rule(1, 1, False)),
    ],
)
def test_rules_parse(text, rule):
    assert parse_rule(text, "quorum") == rule
    assert str(rule) in (text.replace(" ", ""), ">=2/3")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1/2",
        "=1/2",
        "<1/2",
        ">1/0",
        ">3/2",
        ">1/1",  # more than the whole
        ">1/2000",  # denominator too large
        ">99999/2",
        ">١/٢",  # Arabic-Indic digits
        ">１/２",  # full-width digits
        ">1/2\x00",
        ">1.5/2",
        ">-1/2",
        None,
        5,
        [">1/2"],
    ],
)
def test_odd_rules_are_a_422_naming_the_field(text):
    with pytest.raises(InvalidInput) as refused:
        parse_rule(text, "majority")
    assert refused.value.field == "majority"
    assert refused.value.status == 422


def test_a_majority_of_nothing_is_refused():
    assert parse_rule(">=0/1", "quorum") == Rule(0, 1, False)
    with pytest.raises(InvalidInput) as refused:
        parse_rule(">=0/1", "majority", at_least_one=True)
    assert refused.value.field == "majority"


def test_quorum_edges():
    half = Rule(1, 2, True)
    assert not vote_rules.quorum_met(5, 10, half)
    assert vote_rules.quorum_met(6, 10, half)
    assert vote_rules.quorum_met(5, 10, Rule(1, 2, False))
    assert not vote_rules.quorum_met(4, 10, Rule(1, 2, False))
    # Two thirds of 10 is 6.67: 7 is enough, 6 is not (no rounding either way).
    assert vote_rules.quorum_met(7, 10, Rule(2, 3, False))
    assert not vote_rules.quorum_met(6, 10, Rule(2, 3, False))
    # Nobody voting never meets a quorum that asks for anyone, even of an empty roll.
    assert not vote_rules.quorum_met(0, 0, Rule(1, 2, False))
    assert vote_rules.quorum_met(0, 10, Rule(0, 1, False))


def test_majority_counts_abstentions_as_cast():
    half = Rule(1, 2, True)
    assert vote_rules.majority_met(3, 2, 0, half)
    assert not vote_rules.majority_met(3, 2, 1, half)  # 3 of 6 is not more than half
    assert vote_rules.majority_met(3, 2, 1, Rule(1, 2, False))
    assert not vote_rules.majority_met(0, 0, 0, Rule(1, 2, False))  # nothing cast
    assert vote_rules.majority_met(2, 1, 0, Rule(2, 3, False))
    assert not vote_rules.majority_met(2, 1, 0, Rule(2, 3, True))


def test_result_judges_the_quorum_first():
    args = {"quorum": Rule(1, 2, True), "majority": Rule(1, 2, True)}
    base = {"electorate": 10, "votes_against": 0, "abstentions": 0}
    assert vote_rules.result(turnout=5, votes_for=5, **base, **args) == vote_rules.NO_QUORUM
    assert vote_rules.result(turnout=6, votes_for=6, **base, **args) == vote_rules.PASSED
    assert (
        vote_rules.result(
            electorate=10, turnout=6, votes_for=3, votes_against=3, abstentions=0, **args
        )
        == vote_rules.FAILED
    )
    # At a meeting those present may exceed the votes cast: the quorum counts those present.
    assert (
        vote_rules.result(
            electorate=10, turnout=8, votes_for=2, votes_against=1, abstentions=0, **args
        )
        == vote_rules.PASSED
    )


rules = st.builds(
    lambda den, num, strict: Rule(min(num, den - 1) if strict else min(num, den), den, strict),
    st.integers(1, vote_rules.MAX_DENOMINATOR),
    st.integers(0, vote_rules.MAX_DENOMINATOR),
    st.booleans(),
)


def _reference(electorate, turnout, f, a, x, quorum, majority):
    """The same rules written with exact fractions, separately from the module."""

    def meets(share: Fraction, rule: Rule) -> bool:
        bar = Fraction(rule.numerator, rule.denominator)
        return share > bar if rule.strict else share >= bar

    if turnout == 0 and quorum.numerator > 0:
        return vote_rules.NO_QUORUM
    if electorate and not meets(Fraction(turnout, electorate), quorum):
        return vote_rules.NO_QUORUM
    cast = f + a + x
    if cast == 0 or not meets(Fraction(f, cast), majority):
        return vote_rules.FAILED
    return vote_rules.PASSED


@given(
    electorate=st.integers(1, 10**7),
    data=st.data(),
    quorum=rules,
    majority=rules.filter(lambda r: r.numerator > 0),
)
def test_result_equals_a_reference_computation(electorate, data, quorum, majority):
    turnout = data.draw(st.integers(0, electorate))
    f = data.draw(st.integers(0, turnout))
    a = data.draw(st.integers(0, turnout - f))
    x = data.draw(st.integers(0, turnout - f - a))
    got = vote_rules.result(
        electorate=electorate,
        turnout=turnout,
        votes_for=f,
        votes_against=a,
        abstentions=x,
        quorum=quorum,
        majority=majority,
    )
    assert got == _reference(electorate, turnout, f, a, x, quorum, majority)


@given(rule=rules)
def test_a_rule_reads_back_as_written(rule):
    assert parse_rule(str(rule), "quorum") == rule


@given(
    electorate=st.integers(1, 10**6),
    turnout=st.integers(0, 10**6),
    quorum=rules,
    more=st.integers(0, 50),
)
def test_more_turnout_never_loses_a_quorum(electorate, turnout, quorum, more):
    turnout = min(turnout, electorate)
    if vote_rules.quorum_met(turnout, electorate, quorum):
        assert vote_rules.quorum_met(min(turnout + more, electorate), electorate, quorum)
