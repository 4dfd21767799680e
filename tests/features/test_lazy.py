"""Lazy package names: read from the ``if TYPE_CHECKING:`` block, resolved on first use."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.lazy import lazy_getattr, lazy_names

INIT = '''"""A package."""
from typing import TYPE_CHECKING

import json

if TYPE_CHECKING:
    from os.path import join, split
    from collections import OrderedDict
    import decimal
'''


def test_names_come_from_the_type_checking_block_only(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(INIT, "utf-8")
    assert lazy_names(str(init)) == {
        "join": "os.path",
        "split": "os.path",
        "OrderedDict": "collections",
    }


def test_a_package_without_the_block_is_named(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text('"""No lazy names."""\nimport json\n', "utf-8")
    with pytest.raises(ValueError, match=r"__init__\.py: no top-level 'if TYPE_CHECKING:'"):
        lazy_names(str(init))


def test_a_renamed_name_is_refused(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(INIT.replace("split", "split as split_path"), "utf-8")
    with pytest.raises(ValueError, match=r"cannot be renamed \(split\)"):
        lazy_names(str(init))


def test_getattr_imports_the_named_object_and_refuses_others() -> None:
    getattr_ = lazy_getattr("pkg", {"OrderedDict": "collections"})
    from collections import OrderedDict

    assert getattr_("OrderedDict") is OrderedDict
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'deque'"):
        getattr_("deque")
