"""A Ninja schema's class name is its name in the OpenAPI document's components, global to the
whole API: two schemas of one name in different routers overwrite each other there, and the
API then declares one endpoint's answers with the other's shape (the participation router,
registered after the hotspots router, made /insight/hotspots/grids' period a PeriodOut with
`kind` and `key`, which its answers lack)."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from ninja import Schema

import onegrid


def test_no_two_api_schemas_share_a_name():
    defined: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.walk_packages(onegrid.__path__, "onegrid."):
        last = info.name.rsplit(".", 1)[-1]
        if not (last == "api" or last.endswith("_api") or last.startswith("api_")):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Schema)
                and value.__module__ == info.name
            ):
                defined[value.__name__].add(info.name)
    shared = {name: sorted(mods) for name, mods in defined.items() if len(mods) > 1}
    assert not shared


def test_the_hotspots_period_is_declared_as_answered(client):
    spec = client.get("/api/v1/openapi.json").json()
    answer = spec["paths"]["/api/v1/insight/hotspots/grids"]["get"]["responses"]["200"]
    ref = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    period_ref = spec["components"]["schemas"][ref]["properties"]["period"]["$ref"]
    period = spec["components"]["schemas"][period_ref.rsplit("/", 1)[-1]]
    assert set(period["required"]) == {"first", "last", "label"}
