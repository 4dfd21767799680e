"""The features flow decides which kept text columns are id-like with the request's
``--infer`` ``max_unique_share``, as the train flow does (:func:`features.fit.spec_for_data`
through :func:`pipelines.flows.common.feature_spec`).

A hand-made export of 10 leads whose kept ``page`` column has 6 distinct values (60 %),
judged from 10 rows on (``min_rows_id_like: 10``): id-like under the default 0.5, a
category under 0.7; under the default ``min_rows_id_like`` (50) 10 rows are too few to
judge and it is a category, as type inference types it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.flow_requests import FeaturesRequest
from pipelines.flows.build_features import build_features_flow

pytestmark = pytest.mark.slow  # two validations with Great Expectations

MAPPING = """version: 1
contacts:
  source: leads.csv
  columns:
    contact_id: lead_id
    created_at: {constant: "2024-06-30T00:00:00Z"}
  keep_extra: [page]
"""
PAGES = ["a", "b", "c", "d", "e", "f", "a", "a", "a", "a"]  # 6 distinct of 10


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (tmp_path / "export").mkdir()
    pd.DataFrame({"lead_id": [f"L{i}" for i in range(10)], "page": PAGES}).to_csv(
        tmp_path / "export" / "leads.csv", index=False
    )
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    (tmp_path / "judged.yaml").write_text("min_rows_id_like: 10\n")
    (tmp_path / "infer.yaml").write_text("min_rows_id_like: 10\nmax_unique_share: 0.7\n")
    return tmp_path


def _columns(root: Path, infer: Path | None) -> list[str]:
    request = FeaturesRequest.from_files(
        {"infer": infer},
        data=str(root / "export"),
        mapping=str(root / "mapping.yaml"),
        out=root / "features.parquet",
        as_of="2024-07-01",
    )
    build_features_flow.fn(request)
    return pd.read_parquet(root / "features.parquet").columns.tolist()


def test_a_kept_column_of_60_percent_distinct_values_is_id_like_by_default(export: Path) -> None:
    assert "page" not in _columns(export, export / "judged.yaml")


def test_ten_rows_are_too_few_to_call_it_id_like_by_default(export: Path) -> None:
    assert "page" in _columns(export, None)


def test_max_unique_share_0_7_keeps_it_as_a_feature(export: Path) -> None:
    assert "page" in _columns(export, export / "infer.yaml")
