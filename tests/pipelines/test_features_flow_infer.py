"""The features flow types a kept column with the request's ``--infer`` settings, as training.

The flat export of :mod:`test_scoring_infer`: its kept ``visits`` column is numbers in 9 rows
of 10, text under the default ``numeric_min_share`` (0.95), numbers under 0.8. The feature
table built with the settings file a scorer was trained with holds what that training saw.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_scoring_infer import MAPPING, expected_visits, leads

from features.infer import InferSettings
from pipelines.flow_requests import FeaturesRequest
from pipelines.flows.build_features import build_features_flow


@pytest.fixture
def export(tmp_path):
    """The export folder, its mapping and an infer settings file (numeric_min_share 0.8)."""
    (tmp_path / "export").mkdir()
    leads().to_csv(tmp_path / "export" / "leads.csv", index=False)
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    (tmp_path / "infer.yaml").write_text("numeric_min_share: 0.8\n")
    return tmp_path


def visits_of(root, infer) -> pd.Series:
    """The ``visits`` feature of the table the flow writes with ``infer`` (a file or None)."""
    request = FeaturesRequest.from_files(
        {"infer": infer},
        data=str(root / "export"),
        mapping=str(root / "mapping.yaml"),
        out=root / "features.parquet",
        as_of="2024-07-01",
    )
    build_features_flow.fn(request)
    return pd.read_parquet(root / "features.parquet").set_index("contact_id")["visits"]


def test_infer_file_types_the_kept_column_as_numbers(export):
    visits = visits_of(export, export / "infer.yaml")
    assert visits.dtype == "float64"
    frame = leads().set_index("lead_id")
    expected = expected_visits(frame).astype("float64")
    pd.testing.assert_series_equal(
        visits.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    assert int(visits.isna().sum()) == len(frame) // 10  # the 'lots' rows, by construction


def test_default_settings_leave_the_kept_column_text(export):
    visits = visits_of(export, None)
    assert not pd.api.types.is_numeric_dtype(visits)
    assert set(visits.astype(str)) >= {"lots", "0", "3"}
    default = FeaturesRequest(data="x", out=export / "f.parquet").infer
    assert default == InferSettings() and default.numeric_min_share > 0.9  # 0.9 is text


def test_invalid_infer_file_is_named(export):
    bad = export / "bad.yaml"
    bad.write_text("numeric_min_shar: 0.8\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        FeaturesRequest.from_files({"infer": bad}, data="x", out=export / "f.parquet")
