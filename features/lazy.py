"""Package names imported on first use, declared once as ``if TYPE_CHECKING:`` imports.

A package whose public names live in heavy submodules (MLflow, matplotlib, numba) writes
them as ordinary ``from module import name`` statements under ``if TYPE_CHECKING:`` in its
``__init__.py``: type checkers and readers see the real objects, and nothing is imported
at run time. :func:`lazy_names` reads that block from the package's own source (as
scientific-python's ``lazy_loader`` reads a stub), so the names are listed once, and
:func:`lazy_getattr` resolves each on first access::

    if TYPE_CHECKING:
        from serving.blend import BlendConfig

    _LAZY = lazy_names(__file__)
    __all__ = sorted(_LAZY)
    __getattr__ = lazy_getattr(__name__, _LAZY)
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any


def lazy_names(init_file: str) -> dict[str, str]:
    """``{name: module}`` of the ``from module import name`` lines under ``if TYPE_CHECKING:``.

    Args:
        init_file: The package's ``__init__.py`` (its ``__file__``).

    Raises:
        ValueError: The file has no top-level ``if TYPE_CHECKING:`` block, or a name in it
            is renamed (``import x as y``: the module has no ``y`` to resolve).
    """
    tree = ast.parse(Path(init_file).read_text("utf-8"), filename=init_file)
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            imports = [s for s in node.body if isinstance(s, ast.ImportFrom) and s.module]
            renamed = [a.name for s in imports for a in s.names if a.asname]
            if renamed:
                raise ValueError(
                    f"{init_file}: lazy names cannot be renamed ({', '.join(renamed)}); "
                    "import them under their own names"
                )
            return {alias.name: str(s.module) for s in imports for alias in s.names}
    raise ValueError(
        f"{init_file}: no top-level 'if TYPE_CHECKING:' block listing the lazy names; "
        "add one with a 'from module import name' line per name"
    )


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` importing ``names[name]`` on first use.

    Args:
        package: The package's ``__name__`` (for the error message).
        names: ``{name: module}``, e.g. from :func:`lazy_names`.
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
