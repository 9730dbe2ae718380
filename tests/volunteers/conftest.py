"""Fixtures of the volunteers tests (the points store: support.points)."""

from support.points import store

__all__ = ["store"]
