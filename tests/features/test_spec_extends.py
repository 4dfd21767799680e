"""A team's spec holds only what it changes (extends), and extra columns as categories."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_training_set import S1, S2, tables

from features.crm import CrmTables
from features.fit import fit_features
from features.spec import load_feature_spec
from features.training_set import build_training_set

DEFAULT = load_feature_spec()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_default_changes_only_what_the_file_says(tmp_path: Path) -> None:
    spec = load_feature_spec(
        _write(
            tmp_path / "team.yaml",
            "extends: default\nwindows: [14]\nfit:\n  passthrough_categorical: [page]\n",
        )
    )
    assert spec.windows == (14,)  # a list replaces the default's
    assert spec.fit.passthrough_categorical == ("page",)
    # mappings merge key by key: the rest of fit and every other setting is the default's
    assert spec.fit.passthrough_numeric == DEFAULT.fit.passthrough_numeric
    assert spec.fit.size_bands == DEFAULT.fit.size_bands
    assert spec.groups == DEFAULT.groups and spec.recency == DEFAULT.recency


def test_extends_a_file_beside_it_and_loops_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "base.yaml", "extends: default\nwindows: [5, 10]\n")
    child = load_feature_spec(_write(tmp_path / "child.yaml", "extends: base.yaml\n"))
    assert child.windows == (5, 10)
    _write(tmp_path / "a.yaml", "extends: b.yaml\n")
    _write(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ValueError, match="extends itself"):
        load_feature_spec(tmp_path / "a.yaml")
    with pytest.raises(ValueError, match="feature spec not found: .*nowhere.yaml"):
        load_feature_spec(_write(tmp_path / "c.yaml", "extends: nowhere.yaml\n"))


def _with_pages(pages: dict[str, str | None]) -> CrmTables:
    base = tables()
    contacts = base.contacts.assign(page=base.contacts["contact_id"].map(pages))
    return CrmTables(contacts, base.accounts, base.activities, base.outcomes)


def test_an_extra_column_becomes_a_category_of_its_values(tmp_path: Path) -> None:
    fit = DEFAULT.fit.model_copy(update={"passthrough_categorical": ("page",)})
    crm = _with_pages({"p1": " lp_b", "p2": "lp_a", "p3": "", "p4": None})
    out = fit_features(crm.contacts.head(4), crm.accounts, fit)
    assert list(out["page"].cat.categories) == ["lp_a", "lp_b"]  # stripped; blank is missing
    assert out["page"].astype("object").tolist()[:2] == ["lp_b", "lp_a"]
    assert out["page"].isna().tolist()[2:] == [True, True]
    missing = DEFAULT.fit.model_copy(update={"passthrough_categorical": ("nope",)})
    with pytest.raises(ValueError, match="'nope' is missing; keep it in the mapping"):
        fit_features(crm.contacts, crm.accounts, missing)
    clash = DEFAULT.fit.model_copy(update={"passthrough_categorical": ("lead_source",)})
    with pytest.raises(ValueError, match="'lead_source' is already a fit feature"):
        fit_features(crm.contacts, crm.accounts, clash)


def test_snapshots_with_other_values_stack_into_one_category_column() -> None:
    # p6 is created between S1 and S2 with a page nobody else has: S1's frame does not
    # know that value, S2's does; the training set must keep one category column.
    spec = DEFAULT.model_copy(
        update={"fit": DEFAULT.fit.model_copy(update={"passthrough_categorical": ("page",)})}
    )
    pages = {f"p{i}": "lp_a" if i % 2 else "lp_b" for i in range(1, 10)} | {"p6": "lp_new"}
    ts = build_training_set(_with_pages(pages), [S1, S2], horizon_days=30, spec=spec)
    assert isinstance(ts.X["page"].dtype, pd.CategoricalDtype)
    assert list(ts.X["page"].cat.categories) == ["lp_a", "lp_b", "lp_new"]
    got = dict(zip(ts.contact_id + "@" + ts.snapshot.dt.strftime("%m"), ts.X["page"].astype(str)))
    assert got["p6@02"] == "lp_new" and got["p1@01"] == "lp_a" and got["p8@01"] == "lp_b"
