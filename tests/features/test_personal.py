"""Personal data is found by content, whatever the column is called or how few values."""

from __future__ import annotations

import pandas as pd
import pytest
from test_spec_extends import DEFAULT, _with_pages

from features.fit import fit_features
from features.infer import infer_table_types
from features.personal import personal_columns, personal_data_reason


@pytest.mark.parametrize(
    "value",
    [
        "ann@example.com",
        "Write to Ann.Lee+crm@sub.example.co.uk please",
        "+44 20 7946 0958",
        "(555) 010-0199",
        "555-010-0123",
        "0049 30 901820",
        "+15550100123",
    ],
)
def test_an_e_mail_or_phone_anywhere_makes_the_column_personal(value: str) -> None:
    column = pd.Series(["Google", "Direct", value, None])
    reason = personal_data_reason(column)
    assert reason is not None and reason.startswith("personal data: ")
    assert value not in reason  # counts, never the value


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-31", "31/01/2024", "2024-01-31 10:00"],  # dates
        ["1234567.50", "-12", "1e6", "20000000"],  # numbers
        ["Select", "Google", "C-level", "10-50", "@handle"],  # categories, not addresses
        ["v1.2.3", "A-12"],  # codes with few digits
        ["1-10", "1001-5000", "10000-50000", "10.000.000", "1 000 000"],  # bands, numbers
    ],
)
def test_dates_numbers_and_categories_are_not_personal(values: list[str]) -> None:
    assert personal_data_reason(pd.Series(values)) is None


def test_numbers_and_flags_are_never_personal() -> None:
    frame = pd.DataFrame({"visits": [5550100123, 1], "flag": [True, False]})
    assert personal_columns(frame) == {}


def test_type_inference_excludes_personal_columns_with_counts_only() -> None:
    frame = pd.DataFrame(
        {
            "Owner": ["rep@acme.com"] * 60,  # constant: once quoted in the reason
            "Lead Email": [f"l{i % 3}@x.org" for i in range(60)],  # 3 levels: a category
            "source": ["a", "b", "c"] * 20,
        }
    )
    types = infer_table_types(frame)
    assert types.excluded == {
        "Owner": "personal data: e-mail addresses in 1 distinct value(s); never used as a "
        "feature or logged",
        "Lead Email": "personal data: e-mail addresses in 3 distinct value(s); never used "
        "as a feature or logged",
    }
    assert types.columns["source"].kind == "category"


def test_a_personal_passthrough_column_is_refused_by_the_feature_spec() -> None:
    fit = DEFAULT.fit.model_copy(update={"passthrough_categorical": ("page",)})
    crm = _with_pages({"p1": "lp_a", "p2": "owner@acme.com", "p3": None, "p4": "lp_b"})
    with pytest.raises(ValueError, match="'page' holds personal data: e-mail addresses in 1"):
        fit_features(crm.contacts.head(4), crm.accounts, fit)


def test_an_address_or_phone_typed_into_any_column_is_redacted_in_the_quarantine() -> None:
    from test_validation import NOW, base_raw, with_rows

    from features.ingest.validation import validate_tables

    raw = with_rows(
        base_raw(),
        "contacts",
        [
            {"contact_id": "c8", "created_at": "2026-01-04", "seniority": "bob@example.com"},
            {"contact_id": "c9", "created_at": "+44 20 7946 0958"},
        ],
    )
    report = validate_tables(raw, now=NOW, source="exports")
    reasons = report.quarantine["contacts"]["_reason"].tolist()
    assert len(reasons) == 2 and all("<redacted>" in r for r in reasons)
    assert not any("bob@" in r or "7946" in r for r in reasons)
    texts = repr([i.as_dict() for i in report.issues]) + report.summary_text()
    assert "bob@" not in texts and "7946" not in texts
