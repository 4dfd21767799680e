"""The README's *Layout* section stays true: every path its tables name exists, every name
it gives in parentheses is defined at module level there, and every module outside tests
says in a docstring what it does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGES = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}


def layout_rows() -> list[str]:
    """The table rows (``| ... |``) of the README's ``## Layout`` section."""
    section = README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]


def named_places(row: str) -> list[tuple[str, list[str]]]:
    """Each ``path`` a row names with the ``names`` in the parentheses right after it.

    "`serving/blend.py` (`fit_blend`, tiers)" gives ``("serving/blend.py", ["fit_blend"])``.
    In a row of the folder table, a path without a package in front (`schema.py`) is in the
    row's folder.
    """
    folder = re.match(r"\| `(\w+/)` \|", row)
    places = []
    for match in re.finditer(r"`([\w/]+(?:\.py|/))`(?: \(([^)]*)\))?", row):
        path, parens = match.group(1), match.group(2) or ""
        if folder and path.split("/")[0] not in PACKAGES:
            path = folder.group(1) + path
        places.append((path, re.findall(r"`(\w+)`", parens)))
    return places


def module_names(path: Path) -> set[str]:
    """Names a module defines or imports at module level (what ``from module import n`` finds)."""
    names: set[str] = set()
    body = ast.parse(path.read_text(encoding="utf-8")).body
    # a package's lazily imported names stand under ``if TYPE_CHECKING:``
    body += [node for guard in body if isinstance(guard, ast.If) for node in guard.body]
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


PLACES = [place for row in layout_rows() for place in named_places(row)]


def test_the_layout_tables_are_found() -> None:
    paths = {path for path, _ in PLACES}
    assert {"features/", "serving/blend.py", "pipelines/flows/"} <= paths
    assert ("serving/blend.py", ["fit_blend"]) in PLACES


@pytest.mark.parametrize(("path", "names"), PLACES, ids=[p for p, _ in PLACES])
def test_each_place_the_layout_names_exists_with_its_names(path: str, names: list[str]) -> None:
    target = ROOT / path
    assert target.exists(), f"README's Layout names {path}, which does not exist"
    if path.endswith("/"):
        target = target / "__init__.py"
        if not target.exists():
            assert not names, f"{path} has no __init__.py to define {names}"
            return
    missing = set(names) - module_names(target)
    assert not missing, f"README's Layout says {path} has {sorted(missing)}; it does not"


def test_every_module_outside_tests_has_a_docstring() -> None:
    undocumented = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(ROOT.glob("[!.]*/**/*.py"))
        if not path.relative_to(ROOT).as_posix().startswith(("tests/", "notebooks/"))
        and path.stat().st_size
        and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert not undocumented, f"modules without a docstring: {undocumented}"
