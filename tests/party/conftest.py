"""Fixtures of the Party tests: the tree on the `world` district (support/party_tree.py)."""

from __future__ import annotations

import pytest

from support.party_tree import build_tree


@pytest.fixture
def party(world):
    return build_tree(world)
