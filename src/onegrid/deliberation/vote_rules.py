"""The rules a ballot is counted under (pure functions, exact integer arithmetic).

A rule is a fraction with a comparison, written as the committee writes it: ">1/2" (more than
half), ">=2/3" (at least two thirds; "≥2/3" reads the same). The quorum compares those who
voted (online) or were present (meeting) with the electorate on the roll when the ballot
opened; the majority compares the votes for with the votes cast, abstentions included
(村民委员会组织法 arts. 22 and 23 count a meeting's decisions against those present). Both are
compared as integers: count × denominator against numerator × total, so no float rounding can
tip a close vote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from onegrid.core.errors import InvalidInput

# Denominators above this are no rule a meeting would write (and keep within the model's
# small integers).
MAX_DENOMINATOR = 1000

PASSED = "passed"
FAILED = "failed"
NO_QUORUM = "no_quorum"

_RULE = re.compile(r"(>=|>)([0-9]{1,4})/([0-9]{1,4})")


@dataclass(frozen=True)
class Rule:
    """num/den with strict (">") or not (">=")."""

    numerator: int
    denominator: int
    strict: bool

    def __str__(self) -> str:
        return f"{'>' if self.strict else '>='}{self.numerator}/{self.denominator}"

    def met(self, count: int, total: int) -> bool:
        """Whether `count` out of `total` meets the rule: count/total > (or ≥) num/den,
        compared as count·den against num·total."""
        left, right = count * self.denominator, self.numerator * total
        return left > right if self.strict else left >= right


def parse_rule(value: object, field: str, *, at_least_one: bool = False) -> Rule:
    """A rule from ">1/2" or ">=2/3" (spaces and "≥" allowed); anything else is a 422 naming
    `field`. With `at_least_one` (a majority) the rule must ask for some votes for: ">=0/1"
    would pass a proposal nobody voted for."""
    if not isinstance(value, str):
        raise InvalidInput(_rule_help(), field=field)
    text = "".join(value.split()).replace("≥", ">=").replace("＞", ">")
    match = _RULE.fullmatch(text)
    if match is None:
        raise InvalidInput(_rule_help(), field=field)
    strict = match.group(1) == ">"
    numerator, denominator = int(match.group(2)), int(match.group(3))
    if denominator < 1 or denominator > MAX_DENOMINATOR:
        raise InvalidInput(
            _("The denominator is a whole number from 1 to %(max)d.") % {"max": MAX_DENOMINATOR},
            field=field,
        )
    if numerator > denominator:
        raise InvalidInput(_("The fraction may not be more than the whole."), field=field)
    if at_least_one and numerator == 0:
        raise InvalidInput(_("A majority asks for more than no votes at all."), field=field)
    if strict and numerator == denominator:
        raise InvalidInput(_("More than the whole can never be reached."), field=field)
    return Rule(numerator, denominator, strict)


def _rule_help() -> str:
    return _('Write the rule as ">1/2" (more than half) or ">=2/3" (at least two thirds).')


def quorum_met(turnout: int, electorate: int, rule: Rule) -> bool:
    """Enough of the electorate voted (or were present). An empty electorate never meets a
    quorum that asks for anyone (≥ of nothing would otherwise hold)."""
    if turnout == 0 and rule.numerator > 0:
        return False
    return rule.met(turnout, electorate)


def majority_met(votes_for: int, votes_against: int, abstentions: int, rule: Rule) -> bool:
    """Enough of the votes cast (for, against and abstentions) are for; with no votes cast
    nothing is carried."""
    cast = votes_for + votes_against + abstentions
    if cast == 0:
        return False
    return rule.met(votes_for, cast)


def result(
    *,
    electorate: int,
    turnout: int,
    votes_for: int,
    votes_against: int,
    abstentions: int,
    quorum: Rule,
    majority: Rule,
) -> str:
    """PASSED, FAILED or NO_QUORUM: the quorum is judged first; without it nothing passes."""
    if not quorum_met(turnout, electorate, quorum):
        return NO_QUORUM
    if majority_met(votes_for, votes_against, abstentions, majority):
        return PASSED
    return FAILED
