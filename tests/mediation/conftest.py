"""Fixtures of the mediation register tests."""

from __future__ import annotations

import pytest

from support.mediation_world import build


@pytest.fixture
def med(world):
    return build(world)
