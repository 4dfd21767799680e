"""Lazy package names stay the objects they name, whatever was imported first."""

from __future__ import annotations

import importlib
import types

import pytest

import models
import serving
import serving.explain
import serving.report


@pytest.mark.slow  # imports MLflow, matplotlib and jinja2
@pytest.mark.parametrize(
    "package", [models, serving, serving.explain, serving.report], ids=lambda p: p.__name__
)
def test_no_lazy_name_is_also_a_submodule(package: types.ModuleType) -> None:
    # A submodule imported by anyone becomes an attribute of its package and would shadow
    # a lazy name of the same spelling (``from serving.report import x`` -> the module).
    for name, module in package._LAZY.items():
        importlib.import_module(module)
        assert not isinstance(getattr(package, name), types.ModuleType), name
