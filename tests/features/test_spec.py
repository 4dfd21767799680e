"""The feature spec: loading, errors with YAML paths, fingerprint, a new group in YAML."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from table_rows import canonical_frame
from test_build import AS_OF, DAY, tables

from features.build import build_features
from features.crm import CrmTables
from features.reasons import feature_catalog, feature_reason
from features.spec import DEFAULT_SPEC_PATH, load_feature_spec

WHITEPAPER = """
  whitepaper_downloads:
    match: {activity_type: content_download, asset_type: whitepaper}
    windows: [14]
"""


def _with_groups(tmp_path, extra: str, replace: tuple[str, str] | None = None):
    text = DEFAULT_SPEC_PATH.read_text(encoding="utf-8")
    if extra:
        text = text.replace("\ngroups:\n", "\ngroups:" + extra, 1)
    if replace:
        text = text.replace(*replace)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_spec_loads_and_is_frozen():
    spec = load_feature_spec()
    assert spec.windows == (7, 30, 90)
    assert spec.group_windows("demo_request") == (30, 90)
    with pytest.raises(Exception, match="frozen"):
        spec.windows = (1,)


def test_fingerprint_is_stable_and_tracks_content(tmp_path):
    assert load_feature_spec().fingerprint() == load_feature_spec().fingerprint()
    changed = load_feature_spec(_with_groups(tmp_path, WHITEPAPER))
    assert changed.fingerprint() != load_feature_spec().fingerprint()


def test_whitepaper_downloads_in_14_days_is_a_three_line_yaml_change(tmp_path):
    assert len(WHITEPAPER.strip().splitlines()) == 3
    spec = load_feature_spec(_with_groups(tmp_path, WHITEPAPER))
    base = tables()
    downloads = canonical_frame(
        "activities",
        [
            {"activity_id": "w1", "contact_id": "c1", "occurred_at": AS_OF - 3 * DAY,
             "activity_type": "content_download", "asset_type": "whitepaper"},
            {"activity_id": "w2", "contact_id": "c1", "occurred_at": AS_OF - 14 * DAY,
             "activity_type": "content_download", "asset_type": "whitepaper"},
            {"activity_id": "w3", "contact_id": "c1", "occurred_at": AS_OF - 15 * DAY,
             "activity_type": "content_download", "asset_type": "whitepaper"},
            {"activity_id": "w4", "contact_id": "c2", "occurred_at": AS_OF - 1 * DAY,
             "activity_type": "content_download", "asset_type": "ebook"},
        ],
    )  # fmt: skip
    grown = CrmTables(
        base.contacts,
        base.accounts,
        pd.concat([base.activities, downloads], ignore_index=True),
        base.outcomes,
    )
    out = build_features(grown, AS_OF, spec)
    assert out["whitepaper_downloads_14d"].tolist() == [2, 0, 0]
    assert "whitepaper_downloads_7d" not in out.columns
    assert out.columns[-1] != "whitepaper_downloads_14d"  # sits with the other counts


@pytest.mark.parametrize(
    ("extra", "replace", "message"),
    [
        ("\n  x:\n    match: {activity_type: page_visit}\n", None,
         r"groups\.x\.match: .*unknown value\(s\) \['page_visit'\]"),
        ("\n  x:\n    match: {activity_type: page_view, page_category: price}\n", None,
         r"groups\.x\.match: .*page_category"),
        ("\n  x:\n    match: {activity_type: page_view}\n    window: [3]\n", None,
         r"groups\.x\.window: Extra inputs"),
        ("\n  x:\n    match: {activity_type: page_view}\n    windows: [0]\n", None,
         r"groups\.x\.windows: .*positive"),
        ("\n  Bad-Name:\n    match: {activity_type: page_view}\n", None, r"names must match"),
        ("", ("recency: [any_engagement,", "recency: [nope,"), r"recency: unknown group 'nope'"),
        ("", ('{label: "5001+"}', '{label: "5001+", max: 9}'), r"fit\.size_bands: .*last band"),
        ("", ("windows: [7, 30, 90]", "windows: []"), r"windows: .*at least 1"),
    ],
)  # fmt: skip
def test_spec_errors_name_the_yaml_path(tmp_path, extra, replace, message):
    with pytest.raises(ValueError, match=message):
        load_feature_spec(_with_groups(tmp_path, extra, replace))


def test_not_a_mapping_and_bad_yaml(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a mapping"):
        load_feature_spec(path)
    path.write_text("windows: [7\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_feature_spec(path)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("pricing_views_7d", 4, "visited the pricing page 4 times in the last 7 days"),
        ("pricing_views_7d", 1.0, "visited the pricing page once in the last 7 days"),
        ("days_since_last_email_click", math.nan, "never clicked a link in an e-mail"),
        ("days_since_last_email_click", 2.0, "last clicked a link in an e-mail 2 days ago"),
        ("max_form_stage", 3.0, "reached the BOFU form stage"),
        ("unsubscribed", 1.0, "unsubscribed from e-mail"),
        ("company_size_band", "51-200", "company size (employees) is 51-200"),
        ("Total Time Spent", 12, "Total Time Spent is 12"),
    ],
)
def test_feature_reason(name, value, text):
    assert feature_reason(name, value) == text


def test_every_built_column_has_a_reason():
    spec = load_feature_spec()
    out = build_features(tables(), AS_OF, spec)
    assert set(out.columns) <= set(feature_catalog(spec))
