"""No module imports another module's private (underscored) name from the modules that
share customers, training labels, the blend, calibration and one lead's rows: a name
shared across modules is public API (``features.training_set.concat_keeping_categories``),
and no import renames a public name to a private alias."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (
    "features.customers",
    "features.training_set",
    "rules.scorer",
    "rules.variables",
    "serving.blend",
    "models.calibration",
    "models.estimator",
    "serving.lead_rows",
    "serving.lead_explanation",
)


def _private(name: str | None) -> bool:
    return name is not None and name.startswith("_") and not name.startswith("__")


def _imports() -> list[tuple[str, int, str, str, str | None]]:
    """(file, line, module, name, alias) of every absolute ``from M import n`` outside tests."""
    found = []
    for path in sorted(ROOT.glob("[!.]*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tests/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(rel, node.lineno, node.module, a.name, a.asname) for a in node.names]
    return found


IMPORTS = _imports()


def test_the_scan_sees_the_shared_modules_imports() -> None:
    assert ("features/first_touch.py", "features.training_set") in {
        (f, m) for f, _, m, _, _ in IMPORTS
    }


@pytest.mark.parametrize("module", SHARED)
def test_no_private_name_crosses_the_module(module: str) -> None:
    own = module.replace(".", "/") + ".py"
    bad = [
        f"{f}:{line} imports {m}.{n}" + (f" as {a}" if a else "")
        for f, line, m, n, a in IMPORTS
        if (m == module or f == own) and (_private(n) or _private(a))
    ]
    assert not bad, "make the name public or move it: " + "; ".join(bad)
