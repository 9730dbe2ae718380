"""Shared set-up of the public pages' tests: the world's district with its pages on."""

from __future__ import annotations

import pytest

from onegrid.residents.public_models import PublicSettings


@pytest.fixture
def pages_on(world):
    """The world's district with public pages on (location to the grid, feed on)."""
    return PublicSettings.objects.create(district=world.district, enabled=True)
