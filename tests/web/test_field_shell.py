"""The field app's offline shell: the service worker keeps every ES module the app's script
imports, and a change to any of them installs a new worker (so phones drop stale copies)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onegrid.web.views import field
from support.web import client_for

STATIC = Path(field.__file__).resolve().parents[1] / "static"


@pytest.fixture
def fresh_shell():
    """The shell's file list and version are worked out once per process: start afresh."""
    field._shell_static.cache_clear()
    field._worker_source.cache_clear()
    yield
    field._shell_static.cache_clear()
    field._worker_source.cache_clear()


def worker_config(world) -> dict:
    body = client_for(world, "worker").get("/field/sw.js").content.decode()
    return json.loads(body.split("const FIELD_SW = ", 1)[1].split(";\n", 1)[0])


def test_the_worker_keeps_every_module_of_the_field_app(world, fresh_shell):
    assets = worker_config(world)["assets"]
    modules = sorted(path.relative_to(STATIC).as_posix() for path in imported_from("web/field.js"))
    assert "web/lib/dom.js" in modules, "the field app's modules are found, lib/ included"
    assert {m for m in modules if m.startswith("web/field/")} == {
        path.relative_to(STATIC).as_posix() for path in (STATIC / "web/field").glob("*.js")
    }, "every module under field/ is reached from field.js"
    for module in ["web/field.js", *modules]:
        assert any(asset.endswith("/" + module) for asset in assets), module
    assert len(assets) == len(set(assets))
    # Reached through imports only: the service worker itself, other pages' scripts and the
    # charts (lib/charts.js and the vendored ECharts, a megabyte the field app never uses) not.
    assert not any(
        asset.endswith(("web/map.js", "web/field-sw.js", "web/lib/charts.js"))
        or "/vendor/" in asset
        for asset in assets
    )


IMPORT = re.compile(
    r"""(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']"""  # import {a} from "./x.js"
    r"""|import\s*["']([^"']+)["']"""  # import "./x.js"
)


def imported_from(entry: str) -> set[Path]:
    """The ES modules `entry` reaches through relative imports, read from the sources."""
    seen: set[Path] = set()
    todo = [STATIC / entry]
    while todo:
        source = todo.pop()
        for match in IMPORT.finditer(source.read_text(encoding="utf-8")):
            target = match.group(1) or match.group(2)
            if target.startswith("."):
                path = (source.parent / target).resolve()
                if path not in seen:
                    seen.add(path)
                    todo.append(path)
    return seen


def test_a_changed_module_changes_the_workers_version(world, fresh_shell, monkeypatch):
    before = worker_config(world)["version"]
    real = field._read_static

    def edited(path):
        content = real(path)
        return content + b"\n// edited" if path == "web/field/outbox.js" else content

    monkeypatch.setattr(field, "_read_static", edited)
    field._shell_static.cache_clear()
    field._worker_source.cache_clear()
    assert worker_config(world)["version"] != before
