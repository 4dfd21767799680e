"""Explaining one lead of a Parquet CRM: read only its account vs load the whole CRM.

Data: a synthetic CRM of N contacts written as canonical Parquet tables in the lead layout
(:mod:`features.parquet_layout`: activities and outcomes sorted by contact; ~21
activities per contact; not timed). Model: the default training config fitted once on a
20,000-contact CRM (not timed). The lead is a contact with colleagues at its account and
some activity.

Ours: :func:`serving.lead_explanation.explain_from_source` (DuckDB reads only the lead's
account's rows, skipping the other contacts' row groups; the suites' rules on those rows
with pandas; the bot filter; scoring and LightGBM's exact TreeSHAP of the one row), what
``leadscore explain`` runs after loading the scorer. Reference: the full-load path,
:func:`features.ingest.ingest` of the whole CRM (Great Expectations, bot filter) then
:func:`serving.lead_explanation.explain_contact` on all tables (one run above
``REF_REPEAT_MAX`` contacts). Both must give the same scores and factors, else the
benchmark fails. Imports and the scorer's MLflow load are not in either timing (the CLI
pays them once: see the README for ``time leadscore explain``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import trained_scorer
from features.ingest.load import ingest
from features.synthetic import generate_crm, write_crm
from serving.lead_explanation import LeadExplanation, explain_contact, explain_from_source

SIZES = {"quick": [20_000], "full": [1_000_000]}
REF_REPEAT_MAX = 100_000
AS_OF = pd.Timestamp("2026-09-01", tz="UTC")


def _lead(folder: Path) -> str:
    """A lead to explain: created before ``AS_OF``, two or more colleagues, some activity,
    no outcome, not an employee, not at a customer account (those are rejected)."""
    contacts = pd.read_parquet(folder / "contacts.parquet")
    accounts = pd.read_parquet(folder / "accounts.parquet", columns=["account_id", "is_customer"])
    acts = pd.read_parquet(folder / "activities.parquet", columns=["contact_id"])
    outcomes = pd.read_parquet(folder / "outcomes.parquet", columns=["contact_id"])
    active = set(acts["contact_id"].value_counts().loc[lambda n: n >= 5].index.astype(str))
    customers = set(accounts.loc[accounts["is_customer"].fillna(False).astype(bool), "account_id"])
    sizes = contacts.groupby("account_id")["contact_id"].transform("size")
    created = pd.to_datetime(contacts["created_at"], utc=True)
    ids = contacts["contact_id"].astype(str)
    ok = (sizes >= 3) & (created < AS_OF) & ids.isin(active)
    ok &= ~ids.isin(set(outcomes["contact_id"].astype(str)))
    ok &= ~contacts["is_employee"].fillna(False).astype(bool)
    ok &= ~contacts["account_id"].isin(customers).fillna(False)
    return str(contacts.loc[ok, "contact_id"].iloc[len(contacts.loc[ok]) // 2])


def _same(ours: LeadExplanation, ref: LeadExplanation) -> None:
    """Fail loudly when the two paths disagree."""
    for key, value in ref.scores.items():
        mine = ours.scores[key]
        if isinstance(value, float) and not np.isclose(mine, value, rtol=0, atol=1e-9):
            raise AssertionError(f"{key}: {mine} != {value}")
        if not isinstance(value, float) and str(mine) != str(value):
            raise AssertionError(f"{key}: {mine} != {value}")
    pd.testing.assert_frame_equal(ours.factors, ref.factors, check_exact=False, atol=1e-9)
    pd.testing.assert_frame_equal(ours.rules, ref.rules)


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time explaining one lead of a ``size``-contact Parquet CRM, both ways."""
    scorer = trained_scorer()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "crm"
        crm = generate_crm(size, 303)
        n_activities = len(crm.tables.activities)
        write_crm(crm, folder)
        del crm
        contact = _lead(folder)
        explain_from_source(folder, scorer, contact, AS_OF)  # warm-up (DuckDB, GX): not timed
        ours = measure(lambda: explain_from_source(folder, scorer, contact, AS_OF), repeats)
        ref_repeats = repeats if size <= REF_REPEAT_MAX else 1

        def full_load() -> LeadExplanation:
            return explain_contact(scorer, ingest(folder).tables, AS_OF, contact)

        ref = measure(full_load, ref_repeats)
        _same(ours.result, ref.result)
    return [
        BenchResult(
            "explain_one_lead",
            size,
            ours.median_s,
            ref.median_s,
            max(ours.peak_rss_mb, ref.peak_rss_mb),
            f"{n_activities:,} activities in the lead layout; ours: the lead's account read "
            "by DuckDB (row groups skipped), validated with pandas; reference: whole CRM "
            f"ingested (GX) and prepared ({ref_repeats} run(s)); "
            "same scores and factors checked; peak memory is the reference's",
        )
    ]
