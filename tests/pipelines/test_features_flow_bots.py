"""The feature flow reads the CRM as training and scoring do: same mapping, same bot filter,
same spec.

A tiny CRM with a planted burst of page views that only a team's bot settings flag: the
feature table follows the settings the request names (hand-computed counts), as scoring's
features do, and the validation flow writes the same flagged rows to ``bots.csv``. A
mapped export's kept column is a feature in the table as in the scorer trained on it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.build import build_features
from features.ingest.load import ingest
from features.spec import load_feature_spec
from pipelines.flow_requests import FeaturesRequest, ValidateRequest
from pipelines.flows.build_features import build_features_flow
from pipelines.flows.ingest import validate_flow

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0"
CONTACTS = "contact_id,created_at\nc1,2026-01-01T00:00:00Z\nc2,2026-01-01T00:00:00Z\n"
# c1: one page view by a person, then three within one second (a burst only under the
# team's settings below: the default burst needs 5 events within 2 s); c2: one page view
ACTIVITIES = (
    "activity_id,contact_id,occurred_at,activity_type,user_agent,ip\n"
    f"a1,c1,2026-02-20T09:00:00Z,page_view,{BROWSER},198.51.100.7\n"
    f"a2,c1,2026-02-25T10:00:00Z,page_view,{BROWSER},198.51.100.7\n"
    f"a3,c1,2026-02-25T10:00:00.500Z,page_view,{BROWSER},198.51.100.7\n"
    f"a4,c1,2026-02-25T10:00:01Z,page_view,{BROWSER},198.51.100.7\n"
    f"a5,c2,2026-02-26T10:00:00Z,page_view,{BROWSER},198.51.100.9\n"
)
AS_OF = "2026-03-01"


@pytest.fixture()
def crm(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS)
    (folder / "activities.csv").write_text(ACTIVITIES)
    bots = tmp_path / "bots.yaml"
    bots.write_text("burst:\n  events: 3\n  within_seconds: 2.0\n")
    return folder, bots


def page_views(table: pd.DataFrame) -> dict[str, int]:
    return table.set_index("contact_id")["page_views_30d"].astype(int).to_dict()


@pytest.mark.slow  # 11.6 s measured on the busy machine (three ingestions with GX)
def test_feature_table_filters_bots_with_the_requests_settings(
    crm: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, bots = crm
    out = tmp_path / "features.parquet"
    request = FeaturesRequest(data=str(folder), out=out, as_of=AS_OF, bots=bots)
    result = build_features_flow.fn(request)
    written = pd.read_parquet(out)
    assert page_views(written) == {"c1": 1, "c2": 1}  # the burst a2-a4 kept out
    assert result["bots"]["bots"] == 3 and result["bots"]["by_reason"] == {"burst": 3}

    # the features scoring computes: the CRM through the same ingestion and bot filter
    # (score_flow: validate_crm(data, mapping, bots)), then features at the same as_of
    tables = ingest(folder, bots=bots).tables
    scored = build_features(tables, pd.Timestamp(AS_OF, tz="UTC"), load_feature_spec())
    pd.testing.assert_frame_equal(written, scored.reset_index(), check_dtype=False)

    # without the team's file the default settings apply: the burst stays a person's
    default = build_features_flow.fn(FeaturesRequest(data=str(folder), out=out, as_of=AS_OF))
    assert page_views(pd.read_parquet(out)) == {"c1": 4, "c2": 1}
    assert default["bots"]["bots"] == 0


def test_validation_flow_writes_what_the_settings_flag_to_the_default_folder(
    crm: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, bots = crm
    request = ValidateRequest(data=str(folder), workdir=tmp_path / "work", bots=bots)
    result = validate_flow.fn(request)
    assert result["counts"]["activities.accepted"] == 5  # flagged activities are valid rows
    assert "bots: 3 of 5 activities kept out" in result["text"]
    written = pd.read_csv(tmp_path / "work" / "validation" / "crm" / "bots.csv")
    assert written["activity_id"].tolist() == ["a2", "a3", "a4"]
    assert set(written["bot_reason"]) == {"burst"}


def test_a_column_the_mapping_kept_is_a_feature_as_in_training(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text(
        "Id,Created,Plan\nc1,2026-01-01 00:00,basic\nc2,2026-01-02 00:00,pro\n"
        "c3,2026-01-03 00:00,basic\nc4,2026-01-04 00:00,pro\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n"
        "    contact_id: Id\n    created_at: Created\n  keep_extra: true\n"
    )
    out = tmp_path / "features.parquet"
    request = FeaturesRequest(data=str(folder), mapping=str(mapping), out=out, as_of=AS_OF)
    build_features_flow.fn(request)
    written = pd.read_parquet(out).set_index("contact_id")
    plans = {"c1": "basic", "c2": "pro", "c3": "basic", "c4": "pro"}
    assert written["plan"].astype("string").to_dict() == plans

    # the spec train_flow resolves and stores with the scorer: the same features
    from features.fit import spec_for_data
    from features.infer import InferSettings

    tables = ingest(folder, str(mapping)).tables
    spec, notes = spec_for_data(load_feature_spec(), tables.contacts, InferSettings())
    assert notes == ["extra column plan used as a category"]
    trained = build_features(tables, pd.Timestamp(AS_OF, tz="UTC"), spec)
    pd.testing.assert_frame_equal(written, trained, check_dtype=False)
