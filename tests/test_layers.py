"""Lower apps never import higher ones (ARCHITECTURE.md): checked on the source itself."""

import ast
from pathlib import Path

import onegrid

ORDER = [
    "core",
    "territory",
    "org",
    "cases",
    "notify",
    "forwarding",
    "party",
    "volunteers",
    "deliberation",
    "mediation",
    "smart",
    "insight",
    "residents",
    "open311",
    "demo",
    "web",
    "config",
]
LEVEL = {app: level for level, app in enumerate(ORDER)}
# territory and org are levels 1 and 2: org may use territory, never the other way round.


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "onegrid" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_no_app_imports_a_higher_one():
    root = Path(onegrid.__file__).parent
    offences = []
    for app in ORDER:
        for path in (root / app).rglob("*.py"):
            for other in imported_apps(path) - {app}:
                if other in LEVEL and LEVEL[other] > LEVEL[app]:
                    offences.append(f"{path.relative_to(root)} imports onegrid.{other}")
    assert not offences, offences
