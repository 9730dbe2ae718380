"""Time-ordered primary keys: UUIDv7 inserts faster than random UUIDv4 as tables grow."""

import uuid

import uuid6


def uuid7() -> uuid.UUID:
    return uuid.UUID(str(uuid6.uuid7()))
