"""``leadscore validate --infer FILE`` types kept columns with those settings (the defaults
without it), so tables written for ``score --engine spark`` can be typed as a scorer's
training typed them."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app

pytestmark = pytest.mark.slow  # three validations with Great Expectations (~10 s, busy)

MAPPING = """contacts:
  source: leads.csv
  columns:
    contact_id: Id
    created_at: Created
  keep_extra: true
"""
# 10 leads, 9 numbers and one 'lots': 0.9 of the values, numeric under 0.8, not under 0.95
VISITS = ["3", "1", "4", "lots", "5", "9", "2", "6", "5", "3"]


@pytest.fixture
def export(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    lines = ["Id,Created,Visits"] + [
        f"c{i},2026-01-{i:02d} 00:00,{v}" for i, v in enumerate(VISITS, start=1)
    ]
    (folder / "leads.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    (tmp_path / "infer.yaml").write_text("numeric_min_share: 0.8\n")
    return tmp_path


def _validate(root, out: str, *extra: str) -> pd.Series:
    result = CliRunner().invoke(
        app,
        [
            "validate", "--data", str(root / "export"), "--mapping", str(root / "mapping.yaml"),
            "--out", str(root / out), "--write-accepted", str(root / out / "accepted"), *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return pd.read_parquet(root / out / "accepted" / "contacts.parquet")["visits"]


def test_validate_types_kept_columns_with_the_infer_file_given(export):
    typed = _validate(export, "with", "--infer", str(export / "infer.yaml"))
    assert typed.dtype == "float64"
    expected = [3.0, 1.0, 4.0, None, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]
    assert [None if pd.isna(v) else v for v in typed] == expected


def test_validate_uses_the_defaults_without_it(export):
    text = _validate(export, "without")
    assert not pd.api.types.is_float_dtype(text)
    assert text.tolist() == VISITS


def test_an_invalid_infer_file_is_named(export):
    bad = export / "bad.yaml"
    bad.write_text("numeric_min_share: 2\n")
    result = CliRunner().invoke(
        app, ["validate", "--data", str(export / "export"), "--infer", str(bad)]
    )
    assert result.exit_code != 0
    assert "bad.yaml" in result.output and "numeric_min_share" in result.output
