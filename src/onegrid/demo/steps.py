"""Timed chains of service calls for the demo's 自治 and 法治 (demo.deliberation,
demo.mediation).

A chain is one matter's story (a topic, a dispute, a question): its steps run in time order
with core.clock frozen at each step's moment, interleaved with every other chain's (a heap,
like the simulator and demo.volunteering). Each step gets the chain's box (what earlier steps
made) and runs in its own transaction. A step the services refuse (a DomainError: a rule of
the service) is counted by step and message, and the rest of its chain is dropped, as a real
person would stop there; a step at or after the month's end is never run.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import transaction

from onegrid.core import clock
from onegrid.core.errors import DomainError

Step = Callable[[dict[str, Any]], object]


class Chain:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.box: dict[str, Any] = {}
        self.broken = False
        self.last: dt.datetime | None = None

    def at(self, when: dt.datetime, what: str, step: Step) -> Chain:
        """Plan `step` at `when` (never before the chain's previous step)."""
        if self.last is not None and when <= self.last:
            when = self.last + dt.timedelta(minutes=1)
        self.last = when
        self.runner.plan(when, what, self, step)
        return self


class Runner:
    def __init__(self, end: dt.datetime, refused: Counter | None = None) -> None:
        self.end = end
        self.heap: list[tuple[dt.datetime, int, str, Chain, Step]] = []
        self.serial = itertools.count()
        self.refused: Counter = refused if refused is not None else Counter()
        self.done: Counter = Counter()

    def chain(self) -> Chain:
        return Chain(self)

    def plan(self, when: dt.datetime, what: str, chain: Chain, step: Step) -> None:
        if when < self.end:
            heapq.heappush(self.heap, (when, next(self.serial), what, chain, step))

    def run(self) -> None:
        while self.heap:
            when, _n, what, chain, step = heapq.heappop(self.heap)
            if chain.broken:
                continue
            with clock.frozen_at(when):
                try:
                    with transaction.atomic():
                        step(chain.box)
                except DomainError as error:
                    self.refused[f"{what}: {error.message}"] += 1
                    chain.broken = True
                    continue
            self.done[what] += 1


def refused_line(refused: Counter, gettext: Callable[[str], str]) -> list[str]:
    if not refused:
        return []
    what = ", ".join(f"{k} {v}" for k, v in sorted(refused.items()))
    return ["  " + gettext("refused by the services: %(what)s") % {"what": what}]
