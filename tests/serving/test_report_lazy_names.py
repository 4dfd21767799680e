"""serving.report's lazy names stay the functions they name, whatever was imported first."""

from __future__ import annotations

import importlib
import types

import serving.report as report


def test_no_lazy_name_is_also_a_submodule() -> None:
    # A submodule imported by anyone becomes an attribute of the package and would shadow
    # a lazy name of the same spelling (``from serving.report import x`` -> the module).
    for name, module in report._LAZY.items():
        importlib.import_module(module)
        assert not isinstance(getattr(report, name), types.ModuleType), name
