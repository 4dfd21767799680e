"""Tests of the synthetic CRM generator: reproducibility, schema, realism and the truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.schema import ACTIVITY_TYPES, PANDAS_DTYPES, TABLES
from features.synthetic import DirtConfig, SyntheticCrm, generate_crm
from features.synthetic.assemble import NOT_SIMULATED

END = pd.Timestamp("2026-09-30", tz="UTC")
FREE_DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
    "gmx.de",
    "proton.me",
]
N = 3000


@pytest.fixture(scope="module")
def clean() -> SyntheticCrm:
    return generate_crm(N, seed=11, dirt=DirtConfig.none())


def _tables_equal(a: SyntheticCrm, b: SyntheticCrm) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a.tables.table(name), b.tables.table(name))
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.truth_params == b.truth_params


def test_same_seed_gives_identical_data() -> None:
    _tables_equal(generate_crm(500, seed=4), generate_crm(500, seed=4))


def test_different_seed_gives_different_data() -> None:
    a, b = generate_crm(500, seed=4), generate_crm(500, seed=5)
    assert not a.tables.contacts["email"].equals(b.tables.contacts["email"])
    assert len(a.tables.activities) != len(b.tables.activities)
    assert not np.allclose(a.truth["propensity"], b.truth["propensity"])


@pytest.mark.parametrize("name", list(TABLES))
def test_tables_have_canonical_columns_and_dtypes(clean: SyntheticCrm, name: str) -> None:
    frame = clean.tables.table(name)
    table = TABLES[name]
    assert list(frame.columns) == list(table.names)
    for col in table.columns:
        assert str(frame[col.name].dtype) == PANDAS_DTYPES[col.dtype], col.name


@pytest.mark.parametrize("name", list(TABLES))
def test_clean_values_stay_in_vocabularies_and_bounds(clean: SyntheticCrm, name: str) -> None:
    frame = clean.tables.table(name)
    for col in TABLES[name].columns:
        values = frame[col.name]
        if not col.nullable:
            assert values.notna().all(), col.name
        if col.allowed is not None:
            assert set(values.dropna().astype(str)) <= set(col.allowed), col.name
        if col.min is not None:
            assert (values.dropna() >= col.min).all(), col.name
        if col.max is not None:
            assert (values.dropna() <= col.max).all(), col.name


def test_clean_keys_are_unique_and_references_resolve(clean: SyntheticCrm) -> None:
    t = clean.tables
    for name, table in TABLES.items():
        frame = t.table(name)
        assert not frame.duplicated(list(table.primary_key)).any(), name
    assert t.activities["contact_id"].isin(t.contacts["contact_id"]).all()
    assert t.outcomes["contact_id"].isin(t.contacts["contact_id"]).all()
    linked = t.contacts["account_id"].dropna()
    assert linked.isin(t.accounts["account_id"]).all()


def test_every_simulated_activity_type_occurs(clean: SyntheticCrm) -> None:
    seen = set(clean.tables.activities["activity_type"].astype(str))
    assert seen == set(ACTIVITY_TYPES) - set(NOT_SIMULATED)


# activity type -> detail columns that must be filled (all others stay empty)
DETAILS = {
    "page_view": {"page_url", "page_category"},
    "form_submit": {"form_id", "form_stage"},
    "content_download": {"asset_type", "campaign"},
    "webinar_register": {"asset_type", "campaign"},
    "webinar_attend": {"asset_type", "campaign"},
    "ad_click": {"campaign"},
    "email_sent": {"email_id", "campaign"},
    "email_open": {"email_id", "campaign"},
    "email_click": {"email_id", "campaign"},
    "email_unsubscribe": {"email_id", "campaign"},
    "email_bounce": {"email_id", "campaign"},
    "sales_feedback": {"feedback"},
    "deal_stage_change": {"deal_stage"},
    "list_join": {"list_name"},
}
DETAIL_COLUMNS = {c for cols in DETAILS.values() for c in cols}


@pytest.mark.parametrize("kind", ACTIVITY_TYPES)
def test_detail_fields_match_activity_type(clean: SyntheticCrm, kind: str) -> None:
    acts = clean.tables.activities
    rows = acts[acts["activity_type"] == kind]
    assert rows["channel"].notna().all()
    filled = DETAILS.get(kind, set())
    for col in DETAIL_COLUMNS:
        if col in filled:
            assert rows[col].notna().all(), (kind, col)
        else:
            assert rows[col].isna().all(), (kind, col)


def test_page_category_agrees_with_url(clean: SyntheticCrm) -> None:
    pages = clean.tables.activities.dropna(subset=["page_url"])
    url, cat = pages["page_url"].astype(str), pages["page_category"].astype(str)
    expected = {"pricing": "/pricing", "careers": "/careers", "blog": "/blog", "docs": "/docs"}
    for category, prefix in expected.items():
        assert (url[cat == category].str.startswith(prefix)).all(), category
        assert (cat[url.str.startswith(prefix)] == category).all(), category
    assert set(url[cat == "demo"]) <= {"/demo", "/book-a-demo"}
    assert {"pricing", "demo", "careers", "blog", "case_study"} <= set(cat)
    forms = clean.tables.activities.dropna(subset=["form_id"])
    bofu_forms = {"contact-sales", "demo-request", "pricing-quote", "free-trial-signup"}
    assert set(forms.loc[forms["form_stage"] == "BOFU", "form_id"]) <= bofu_forms
    assets = set(clean.tables.activities["asset_type"].dropna().astype(str))
    assert {"ebook", "whitepaper", "price_list"} <= assets


def test_everything_happens_in_order_and_before_the_end(clean: SyntheticCrm) -> None:
    t = clean.tables
    created = t.contacts.set_index("contact_id")["created_at"]
    acts = t.activities
    assert (acts["occurred_at"] >= acts["contact_id"].map(created)).all()
    assert (acts["occurred_at"] < END).all()
    out = t.outcomes
    assert (out["converted_at"] > out["contact_id"].map(created)).all()
    assert (out["converted_at"] < END).all()
    opened = out[out["outcome"] == "opportunity"].set_index("contact_id")["converted_at"]
    closed = out[out["outcome"] != "opportunity"]
    assert (closed["converted_at"] > closed["contact_id"].map(opened)).all()
    first = t.contacts.dropna(subset=["account_id"]).groupby("account_id")["created_at"].min()
    accounts = t.accounts.set_index("account_id")
    assert (accounts.loc[first.index, "created_at"] <= first).all()


def test_contacts_arrive_uniformly_over_the_window(clean: SyntheticCrm) -> None:
    created = clean.tables.contacts["created_at"]
    start = END - pd.DateOffset(months=18)
    assert created.min() >= start and created.max() < END
    quarter = ((created - start) / (END - start) * 6).astype(int)
    shares = quarter.value_counts(normalize=True)
    assert len(shares) == 6
    assert shares.between(0.12, 0.22).all()  # 1/6 = 0.167 each


def test_conversion_rate_is_realistic_and_matches_outcomes(clean: SyntheticCrm) -> None:
    truth, out = clean.truth, clean.tables.outcomes
    assert 0.05 <= truth["converted"].mean() <= 0.20
    first_opp = out[out["outcome"] == "opportunity"].groupby("contact_id")["converted_at"].min()
    converted = truth[truth["converted"]].set_index("contact_id")["converted_at"]
    pd.testing.assert_series_equal(
        converted.sort_index(), first_opp.sort_index(), check_names=False
    )
    assert truth.loc[~truth["converted"], "converted_at"].isna().all()
    won = out[out["outcome"].isin(["won", "lost"])]
    assert won["deal_value"].gt(0).all() and len(won) > 0


def test_true_propensity_ranks_converters_first(clean: SyntheticCrm) -> None:
    truth = clean.truth
    assert truth["propensity"].between(0, 1).all()
    assert roc_auc_score(truth["converted"], truth["propensity"]) > 0.75


def _signal_rates(clean: SyntheticCrm, mask: pd.Series) -> tuple[float, float]:
    """Share of converters vs non-converters with a signal before conversion (or the end)."""
    truth = clean.truth.set_index("contact_id")
    acts = clean.tables.activities
    cutoff = acts["contact_id"].map(truth["converted_at"]).fillna(END)
    hits = acts.loc[mask & (acts["occurred_at"] < cutoff), "contact_id"].unique()
    has = truth.index.isin(hits)
    return has[truth["converted"]].mean(), has[~truth["converted"]].mean()


def test_converters_show_more_buying_signals_before_converting(clean: SyntheticCrm) -> None:
    acts = clean.tables.activities
    conv, rest = _signal_rates(clean, acts["page_category"] == "pricing")
    assert conv > 1.5 * rest
    conv, rest = _signal_rates(clean, acts["form_stage"] == "BOFU")
    assert conv > 1.5 * rest


def test_engagement_rises_in_the_month_before_conversion(clean: SyntheticCrm) -> None:
    truth = clean.truth.set_index("contact_id")
    acts = clean.tables.activities
    hot = acts[acts["page_category"].isin(["pricing", "demo"])]
    conv_at = hot["contact_id"].map(truth["converted_at"])
    last_month = (hot["occurred_at"] < conv_at) & (
        hot["occurred_at"] >= conv_at - pd.Timedelta(30, "D")
    )
    converters = truth["converted"].sum()
    per_converter = last_month.sum() / converters
    # non-converters: views in their last 30 days before the end, per contact
    old = truth.index[~truth["converted"]]
    recent = hot["contact_id"].isin(old) & (hot["occurred_at"] >= END - pd.Timedelta(30, "D"))
    per_other = recent.sum() / len(old)
    assert per_converter > 3 * per_other


def test_activity_volume_has_a_heavy_tail(clean: SyntheticCrm) -> None:
    counts = clean.tables.activities.groupby("contact_id").size()
    counts = counts.reindex(clean.tables.contacts["contact_id"], fill_value=0)
    assert 15 <= counts.mean() <= 30
    assert (counts <= 2).mean() >= 0.10
    assert counts.max() >= 5 * counts.mean()


def test_accounts_look_like_companies(clean: SyntheticCrm) -> None:
    acc = clean.tables.accounts
    assert 0.005 <= acc["is_customer"].mean() <= 0.04
    assert 0.002 <= acc["is_competitor"].mean() <= 0.03
    assert not (acc["is_customer"] & acc["is_competitor"]).any()
    employees = acc["employees"].astype(float)
    assert employees.max() > 50 * employees.median()
    assert employees.corr(acc["annual_revenue"], method="spearman") > 0.7
    assert acc["domain"].is_unique
    assert acc["domain"].str.fullmatch(r"[a-z0-9-]+\.[a-z.]+").all()


def test_contacts_look_like_leads(clean: SyntheticCrm) -> None:
    c = clean.tables.contacts
    assert c["email"].is_unique
    domain = c["email"].str.split("@").str[1]
    free = domain.isin(FREE_DOMAINS)
    assert 0.2 <= free.mean() <= 0.45
    acc_domain = c["account_id"].map(clean.tables.accounts.set_index("account_id")["domain"])
    corporate = ~free & c["account_id"].notna()
    assert (domain[corporate] == acc_domain[corporate]).all()
    assert (domain[c["is_employee"]] == "leadscore.example").all()
    by_title = c.groupby("job_title")[["seniority", "department"]].nunique()
    assert (by_title == 1).all().all()  # seniority and department derive from the title
    first = c.drop_duplicates("job_title").set_index("job_title")
    assert first.loc["Student", "seniority"] == "student"
    assert tuple(first.loc["VP of Marketing", ["seniority", "department"]]) == ("vp", "marketing")
    assert 0.2 <= c["phone"].notna().mean() <= 0.9
    assert 0.02 <= c["budget"].notna().mean() <= 0.5


def test_do_not_email_and_lifecycle_follow_behaviour(clean: SyntheticCrm) -> None:
    c = clean.tables.contacts.set_index("contact_id")
    acts, out = clean.tables.activities, clean.tables.outcomes
    unsubscribed = acts.loc[acts["activity_type"] == "email_unsubscribe", "contact_id"]
    assert c.loc[unsubscribed, "do_not_email"].all()
    won = out.loc[out["outcome"] == "won", "contact_id"]
    assert (c.loc[won, "lifecycle_stage"] == "customer").all()
    opp = c.index[c["lifecycle_stage"] == "opportunity"]
    assert opp.isin(out["contact_id"]).all()
    staff = c["is_employee"] | c["is_partner"]
    assert (c.loc[staff, "lifecycle_stage"] == "other").all()
    assert not c.index[c["is_employee"]].isin(out["contact_id"]).any()


def test_truth_has_one_row_per_contact_and_json_params(clean: SyntheticCrm) -> None:
    truth = clean.truth
    assert list(truth.columns) == [
        "contact_id",
        "fit_logit",
        "engagement_logit",
        "propensity",
        "converted",
        "converted_at",
    ]
    assert truth["contact_id"].is_unique
    assert set(truth["contact_id"]) == set(clean.tables.contacts["contact_id"])
    params = json.loads(json.dumps(clean.truth_params))
    assert params["n_contacts"] == N and params["seed"] == 11
    assert params["propensity"]["fit"]["competitor"] < 0


def test_competitors_and_students_rarely_convert(clean: SyntheticCrm) -> None:
    c = clean.tables.contacts.set_index("contact_id")
    truth = clean.truth.set_index("contact_id")
    competitor_accounts = clean.tables.accounts.loc[
        clean.tables.accounts["is_competitor"], "account_id"
    ]
    competitor = c["account_id"].isin(competitor_accounts)
    student = c["seniority"] == "student"
    overall = truth["propensity"].mean()
    assert truth.loc[competitor, "propensity"].mean() < overall / 3
    assert truth.loc[student, "propensity"].mean() < overall / 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_contacts": 0}, "n_contacts"), ({"n_contacts": 10, "months": 0}, "months")],
)
def test_invalid_arguments_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        generate_crm(**kwargs)


def test_end_and_months_move_the_window() -> None:
    crm = generate_crm(300, seed=1, end="2025-01-01", months=6, dirt=DirtConfig.none())
    end = pd.Timestamp("2025-01-01", tz="UTC")
    created = crm.tables.contacts["created_at"]
    assert created.min() >= end - pd.DateOffset(months=6)
    assert crm.tables.activities["occurred_at"].max() < end
