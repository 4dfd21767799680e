"""No module imports another project module's private (underscored) name: a name shared
across modules is public API (``features.training_set.concat_keeping_categories``,
``pipelines.training_data.require_both_classes``,
``benchmarks.real_data.baseline_probabilities``), and no import renames a public name to a
private alias."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())
"""The project's top-level packages (features, models, rules, serving, pipelines, ...)."""


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


def test_the_scan_sees_the_project_imports() -> None:
    seen = {(f, m) for f, _, m, _, _ in IMPORTS}
    assert ("features/first_touch.py", "features.training_set") in seen
    assert ("benchmarks/time_folds.py", "benchmarks.real_data") in seen
    assert ("pipelines/plan_slices.py", "pipelines.training_data") in seen
    assert {"features", "models", "rules", "serving", "pipelines", "benchmarks"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_private_name_crosses_a_module(package: str) -> None:
    bad = [
        f"{f}:{line} imports {m}.{n}" + (f" as {a}" if a else "")
        for f, line, m, n, a in IMPORTS
        if (m.split(".")[0] == package or f.startswith(f"{package}/"))
        and (_private(n) or _private(a))
    ]
    assert not bad, "make the name public or move it: " + "; ".join(bad)
