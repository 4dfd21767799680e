"""Fit flags, presence and first-touch source: hand-computed cases and spec errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from table_rows import canonical_frame

from features.fit import first_touch_source, fit_features, flag, present
from features.reasons import feature_catalog
from features.spec import FitSpec, load_feature_spec

BANDS = [{"label": "small", "max": 10}, {"label": "big"}]


def _spec(**fields) -> FitSpec:
    return FitSpec(size_bands=BANDS, revenue_bands=BANDS, **fields)


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A1", "is_competitor": True},
            {"account_id": "A2", "is_competitor": False},
            {"account_id": "A3"},  # flag unknown
        ],
    )
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "c1", "account_id": "A1", "is_partner": True,
             "phone": "+1 555 0100", "original_source": "Referrals"},
            {"contact_id": "c2", "account_id": "A2", "is_partner": False,
             "phone": "   ", "original_source": " PAID search"},
            {"contact_id": "c3", "account_id": "A3", "original_source": "paid_social"},
            {"contact_id": "c4", "account_id": None, "original_source": "Billboard"},
        ],
    ).set_index("contact_id", drop=False)  # fmt: skip
    return contacts, accounts


def test_flags_presence_and_source(tables):
    contacts, accounts = tables
    spec = _spec(
        source_labels={"Referrals": "referral", "Paid Search": "paid_search"},
        contact_flags=["is_partner"],
        account_flags=["is_competitor"],
        presence=["phone"],
    )
    out = fit_features(contacts, accounts, spec)
    np.testing.assert_array_equal(out["is_partner"], [1.0, 0.0, np.nan, np.nan])
    np.testing.assert_array_equal(out["account_is_competitor"], [1.0, 0.0, np.nan, np.nan])
    np.testing.assert_array_equal(out["phone_present"], [1.0, 0.0, 0.0, 0.0])  # blank = none
    # mapped label (any case, blanks), a vocabulary value, an unknown label -> other
    assert out["original_source"].astype("object").tolist() == [
        "referral", "paid_search", "paid_social", "other",
    ]  # fmt: skip
    assert list(out.index) == ["c1", "c2", "c3", "c4"]


def test_phone_number_never_becomes_a_feature(tables):
    contacts, accounts = tables
    out = fit_features(contacts, accounts, _spec(presence=["phone"]))
    assert "0100" not in out.astype("string").to_csv()


def test_switched_off_by_default(tables):
    contacts, accounts = tables
    out = fit_features(contacts, accounts, _spec())
    assert not {"original_source", "is_partner", "account_is_competitor", "phone_present"} & set(
        out.columns
    )


def test_missing_source_column_gives_unknown(tables):
    contacts, accounts = tables
    out = fit_features(contacts.drop(columns=["phone"]), accounts, _spec(presence=["phone"]))
    assert out["phone_present"].isna().all()


def test_flag_of_non_boolean_values_names_the_column():
    with pytest.raises(ValueError, match=r"'contacts.is_partner'.*boolean"):
        flag(pd.Series(["maybe", "yes"], name="contacts.is_partner"))


def test_present_and_source_helpers_keep_missing():
    assert present(pd.Series([None, "x", ""], dtype="string")).tolist() == [0.0, 1.0, 0.0]
    source = first_touch_source(pd.Series([None, "Webinar"], dtype="string"), {})
    assert pd.isna(source.iloc[0]) and source.iloc[1] == "webinar"


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (
            {"source_labels": {"Referrals": "friends"}},
            r"source_labels.*unknown lead source.*friends",
        ),
        ({"contact_flags": ["budget"]}, r"contact_flags.*unknown column.*budget"),
        ({"account_flags": ["is_partner"]}, r"account_flags.*unknown column.*is_partner"),
        ({"presence": ["mobile"]}, r"presence.*unknown column.*mobile"),
    ],
)
def test_spec_rejects_unknown_names(tmp_path, fields, match):
    raw = yaml.safe_load(load_feature_spec().model_dump_json())
    raw["fit"].update(fields)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=match):
        load_feature_spec(path)


def test_reasons_read_naturally():
    catalog = feature_catalog(load_feature_spec())
    assert catalog["account_is_competitor"](1.0) == "works at a competitor: yes"
    assert catalog["is_partner"](0.0) == "works for a partner: no"
    assert catalog["phone_present"](np.nan) == "phone given: unknown"
    assert catalog["original_source"]("referral") == "first-touch source is referral"


def test_absent_optional_canonical_column_passes_through_as_unknown(tables):
    contacts, accounts = tables
    contacts = contacts.assign(budget=[1000.0, None, 0.0, 250.0])
    out = fit_features(contacts, accounts, _spec(passthrough_numeric=("budget",)))
    np.testing.assert_array_equal(out["budget"].to_numpy(), [1000.0, np.nan, 0.0, 250.0])
    # a source without the optional column: unknown for everybody, same dtype
    out = fit_features(contacts.drop(columns="budget"), accounts,
                       _spec(passthrough_numeric=("budget",)))  # fmt: skip
    assert out["budget"].dtype == "float64" and out["budget"].isna().all()
    # a column that is not canonical must exist: it is a flat export's own column
    with pytest.raises(ValueError, match="'deal_size' is missing or not numeric"):
        fit_features(contacts, accounts, _spec(passthrough_numeric=("deal_size",)))
