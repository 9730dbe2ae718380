"""Browser tests poll the page with functions, never with expressions (checked on the source).

Playwright's `wait_for_function` evaluates its predicate with `eval` inside the page: a function
once, while Playwright's own call is running (which the CSP lets through), an expression again
at every poll, which the pages' CSP (script-src 'self', no 'unsafe-eval') refuses, so a
predicate that is not true at once fails with an EvalError. `evaluate` runs its expression
once, inside Playwright's call, so an expression is fine there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).parent
FUNCTION = re.compile(r"\s*(async\s+)?(function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


def _leading_text(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The predicate's source text as far as it is known before the test runs (an f-string up to
    its first placeholder), or None when it cannot be read from the source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def predicates_that_are_not_functions(path: Path, root: Path = TESTS) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "wait_for_function"
            and node.args
        ):
            continue
        text = _leading_text(node.args[0], constants)
        if text is None or not FUNCTION.match(text):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {text!r}")
    return found


def test_the_rule_tells_functions_from_expressions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "READY = '() => window.ready'\n"
        "page.wait_for_function(READY)\n"
        "page.wait_for_function(f'(n) => count() === {n}', 1)\n"
        "page.wait_for_function('async () => await ready()')\n"
        "page.wait_for_function('function () { return 1; }')\n"
        "page.wait_for_function('document.title !== \"\"')\n"
        "page.wait_for_function(f'onegridMap.markerCount() === {n}')\n"
        "page.wait_for_function(predicate())\n",
        encoding="utf-8",
    )
    found = predicates_that_are_not_functions(sample, root=tmp_path)
    assert [line.split(":")[1] for line in found] == ["6", "7", "8"]


def test_browser_tests_wait_for_functions_only():
    found = []
    for path in sorted([*(TESTS / "browser").glob("*.py"), *(TESTS / "support").glob("*.py")]):
        found += predicates_that_are_not_functions(path)
    assert not found, found
