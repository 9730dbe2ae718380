"""Constants shared by the `world` fixture (tests/conftest.py) and the tests that use it."""

import datetime as dt

# A Tuesday morning that is an ordinary working day; `world` freezes the test thread's clock there.
MONDAY_MORNING = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# Everyone the `world` fixture signs up, one per role and place (world.people.<name>).
EVERYONE = (
    "worker",
    "worker2",
    "far_worker",
    "resident",
    "acceptor",
    "dispatcher",
    "shift_lead",
    "callback",
    "other_acceptor",
    "command",
    "leader",
    "city_handler",
    "eco_handler",
    "market_handler",
    "police_handler",
)
