"""mypy's configuration keeps its promises: core, org and cases are checked with every strict
flag and nothing of theirs is excused in the baseline (`make lint` runs mypy itself)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRICT_MODULES = ["onegrid.core.*", "onegrid.org.*", "onegrid.cases.*"]
# `strict = true` less the flags mypy accepts only globally (set there below).
STRICT_PER_MODULE = {
    "disallow_any_generics": True,
    "disallow_subclassing_any": True,
    "disallow_untyped_calls": True,
    "disallow_untyped_defs": True,
    "disallow_incomplete_defs": True,
    "disallow_untyped_decorators": True,
    "warn_return_any": True,
    "implicit_reexport": False,
    "strict_equality": True,
    "extra_checks": True,
}
STRICT_GLOBAL = {
    "check_untyped_defs": True,
    "warn_unused_configs": True,
    "warn_redundant_casts": True,
    "warn_unused_ignores": True,
    "strict_bytes": True,
}


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def test_core_org_and_cases_get_every_strict_flag():
    config = _mypy_config()
    assert {k: config.get(k) for k in STRICT_GLOBAL} == STRICT_GLOBAL
    strict = [o for o in config["overrides"] if o["module"] == STRICT_MODULES]
    assert len(strict) == 1
    assert {k: strict[0].get(k) for k in STRICT_PER_MODULE} == STRICT_PER_MODULE


def test_no_strict_module_is_loosened_by_another_override():
    for override in _mypy_config()["overrides"]:
        if override["module"] == STRICT_MODULES:
            continue
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        assert not [
            m for m in modules if m.startswith(("onegrid.core", "onegrid.org", "onegrid.cases"))
        ]


def test_the_baseline_excuses_nothing_in_core_org_or_cases():
    lines = (ROOT / "mypy-baseline.txt").read_text(encoding="utf-8").splitlines()
    excused = [
        line
        for line in lines
        if line.startswith(("src/onegrid/core/", "src/onegrid/org/", "src/onegrid/cases/"))
    ]
    assert excused == []
