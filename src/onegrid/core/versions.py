"""Per-process caches that stay true: a counter per kind of data (CacheVersion), read in one
small query, and bumped in the transaction of whatever changes that data.

A cache entry remembers the counter it was read under and is used only while that is still
the current one, so a change (a token revoked, a role removed, a class switched off) is seen by
every process from the moment it commits. Entries also expire after `MAX_AGE` seconds, a bound
for the rare write that bypasses the bumping signals (a bulk `update()`).

Read the counter BEFORE the data: an entry is then never older than its counter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection

ACCESS = "access"  # API tokens, people (active, superuser), role assignments and their units
CATALOGUE = "catalogue"  # the problem classes and their major classes
MAX_AGE = 60.0
MAX_ENTRIES = 10_000

K = TypeVar("K")
V = TypeVar("V")


def current(name: str) -> int:
    """The counter of `name` now (0 before its first bump): one indexed read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM core_cacheversion WHERE name = %s", [name])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


_CACHES: dict[str, list[VersionedCache[Any, Any]]] = {}


def bump(name: str) -> None:
    """Count a change of `name`'s data, in the caller's transaction (one statement); this
    process's caches of it are emptied at once (other processes see the new counter)."""
    for cache in _CACHES.get(name, ()):
        cache.clear()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_cacheversion (name, version) VALUES (%s, 1) "
            "ON CONFLICT (name) DO UPDATE SET version = core_cacheversion.version + 1",
            [name],
        )


class VersionedCache(Generic[K, V]):
    """A process-wide map whose entries hold while `name`'s counter does."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[K, tuple[int, float, V]] = {}
        self._lock = threading.Lock()
        _CACHES.setdefault(name, []).append(self)

    def get(self, key: K, load: Callable[[], V], *, version: int | None = None) -> V:
        """The value of `key`, loaded by `load()` unless a current entry holds it. `version`:
        the counter when the caller has just read it (saves the query)."""
        if version is None:
            version = current(self.name)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version and now - entry[1] < MAX_AGE:
            return entry[2]
        value = load()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (version, now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
