"""How alike two short Chinese texts are: the cosine of their character n-gram counts.

Two people who report the same problem name the same things in it — the landmark (3号楼东侧,
小区南门), the object (垃圾, 井盖), the trouble (不亮, 堵塞) — in their own words and order.
Chinese has no spaces, so words are not cut out: every character and every pair of adjacent
characters counts as a feature, and the cosine of the two count vectors says how much the texts
share. Pairs keep word-like units (东侧, 南门, 井盖); single characters let 东侧 meet 东边 half
way. No dictionary, no model, no dependency: the same code runs for every class and for mixed
Chinese, digits and Latin letters.

Before counting, a text is normalised: NFKC (full-width digits and letters become ASCII),
case folded, Chinese digits (一…九, 〇/零) written as 1…9 and 0 so 三号楼 meets 3号楼, and
everything that is neither a letter nor a digit (punctuation, spaces, symbols) dropped.
Characters that carry no meaning of their own here (的, 了, 有, 在, 是…) count for nothing
alone, though they still join pairs.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

CHINESE_DIGITS = str.maketrans("〇零一二两三四五六七八九", "001223456789")
# Function characters: no weight as single characters (they still form pairs).
FUNCTION_CHARACTERS = frozenset("的了有在是和与及也都很就还又把被着过啊吧呢吗")
UNIGRAM_WEIGHT = 0.5
BIGRAM_WEIGHT = 1.0
MAX_CHARACTERS = 2000  # a report's description is at most this long (cases.services)


def normalise(text: str) -> str:
    """Letters and digits only, NFKC, case folded, Chinese digits as ASCII."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARACTERS * 2]).casefold()
    text = text.translate(CHINESE_DIGITS)
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")[:MAX_CHARACTERS]


@lru_cache(maxsize=4096)
def profile(text: str) -> tuple[dict[str, float], float]:
    """The weighted n-gram counts of `text` and their Euclidean norm (0 for no letters)."""
    chars = normalise(text)
    weights: dict[str, float] = {}
    for c in chars:
        if c not in FUNCTION_CHARACTERS:
            weights[c] = weights.get(c, 0.0) + UNIGRAM_WEIGHT
    for a, b in zip(chars, chars[1:], strict=False):
        weights[a + b] = weights.get(a + b, 0.0) + BIGRAM_WEIGHT
    return weights, math.sqrt(sum(w * w for w in weights.values()))


def similarity(a: str, b: str) -> float | None:
    """Cosine similarity of the two texts' n-gram profiles, in [0, 1]; None when either text has
    no letter or digit (nothing to compare: unknown, not different)."""
    pa, na = profile(a or "")
    pb, nb = profile(b or "")
    if not na or not nb:
        return None
    if len(pa) > len(pb):
        pa, pb = pb, pa
    dot = sum(w * pb.get(gram, 0.0) for gram, w in pa.items())
    return min(1.0, dot / (na * nb))
