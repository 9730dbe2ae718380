"""What a model's columns hold, for checking input against them before it reaches the database."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], name: str) -> int:
    """The max_length of `model`'s character column `name`."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):  # a programming error: the column has no bound
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length
