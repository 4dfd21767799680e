"""Every third-party module the code imports is declared in pyproject.toml, in its group.

Runtime packages may import the runtime dependencies, and an optional extra's modules
only where that extra is for (``pyspark``: ``serving/spark``); ``benchmarks/`` may also
import the dev extras. Imports inside functions count too (the AST is read, nothing runs).
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
FIRST_PARTY = {"features", "models", "rules", "serving", "pipelines", "benchmarks"}
EXTRA_PLACES = {"spark": ("serving/spark/",)}
"""Optional extras whose modules runtime code imports, and where it may."""


_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _normal(_REQUIREMENT.match(requirement).group(1))


def _declared(group: list[str]) -> set[str]:
    return {_name(r) for r in group} - {"leadscore"}


RUNTIME = _declared(PROJECT["dependencies"])
EXTRAS = {name: _declared(reqs) for name, reqs in PROJECT["optional-dependencies"].items()}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - FIRST_PARTY - set(sys.stdlib_module_names) - {"__future__"}


@functools.cache
def _installed() -> dict[str, list[str]]:
    return packages_distributions()  # slow: read once


def _distributions(module: str) -> set[str]:
    found = _installed().get(module)
    assert found, f"{module} is imported but installs with no distribution: declare it"
    return {_normal(d) for d in found}


def _files(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


@pytest.mark.parametrize(
    "path",
    _files("features", "models", "rules", "serving", "pipelines"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_runtime_code_imports_only_declared_runtime_dependencies(path: Path) -> None:
    where = str(path.relative_to(ROOT))
    allowed = set(RUNTIME)
    for extra, places in EXTRA_PLACES.items():
        if where.startswith(places):
            allowed |= EXTRAS[extra]
    for module in sorted(_imports(path)):
        assert _distributions(module) & allowed, (
            f"{where} imports {module}, not a runtime dependency in pyproject.toml"
        )


@pytest.mark.parametrize("path", _files("benchmarks"), ids=lambda p: str(p.relative_to(ROOT)))
def test_benchmarks_import_only_declared_dependencies(path: Path) -> None:
    allowed = RUNTIME | EXTRAS["dev"] | EXTRAS["spark"]
    for module in sorted(_imports(path)):
        assert _distributions(module) & allowed, f"{path.name} imports undeclared {module}"


def test_the_dev_install_includes_every_optional_path() -> None:
    """CI installs the dev extras: the optional paths (Excel, PostgreSQL, Spark) are then
    tested for real, not skipped."""
    matches = [_REQUIREMENT.match(r) for r in PROJECT["optional-dependencies"]["dev"]]
    (extras,) = [m.group(2) for m in matches if m.group(1) == "leadscore"]
    assert {e.strip() for e in extras.split(",")} == set(EXTRAS) - {"dev"}


@pytest.mark.slow
def test_great_expectations_imports_where_main_has_no_file() -> None:
    """pyspark without its ``connect`` requirements (grpc) calls ``sys.exit(0)`` when
    ``pyspark.sql.connect`` is imported and ``__main__`` has no file (``python -c``,
    pytest-xdist workers); great_expectations imports it, so validation ended the process
    without a word. The spark extra asks for ``pyspark[connect]``."""
    import pyspark  # noqa: F401  (the dev install has the spark extra: the case at stake)

    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "import great_expectations; print('imported')"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and done.stdout.strip() == "imported", done.stderr[-2000:]
