"""Explaining one lead of a Parquet CRM: read only its account vs load the whole CRM.

Data: a synthetic CRM of N contacts written as canonical Parquet tables in the lead layout
(:func:`features.files.write_table`: activities and outcomes sorted by contact; ~27
activities per contact; generated once and cached, see :func:`crm_folder`; not timed).
Model: the default training config fitted once on a 20,000-contact CRM (not timed). The
lead is a contact with colleagues at its account and some activity.

Ours: :func:`serving.lead_explanation.explain_from_source` (DuckDB reads only the lead's
account's rows, skipping the other contacts' row groups; the suites' rules on those rows
with pandas; the bot filter; scoring and LightGBM's exact TreeSHAP of the one row), what
``leadscore explain`` runs after loading the scorer. Two references, each run as often as
ours and required to give the same scores and factors, else the benchmark fails:

* ``explain_one_lead_vs_read_all`` (every size): read every table whole with pandas, cut
  it to the account (:func:`serving.lead_rows.account_rows`, what other sources get), then
  the same steps as ours (:func:`serving.lead_explanation.explain_account`): the price of
  reading the whole CRM;
* ``explain_one_lead`` (up to ``FULL_LOAD_MAX`` contacts): the full-load path,
  :func:`features.ingest.ingest` of the whole CRM (Great Expectations, bot filter), then
  :func:`serving.lead_explanation.explain_contact` on all tables.

Imports and the scorer's load are not in any timing (the CLI pays them once: see the
README for ``time leadscore explain``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import AS_OF, trained_scorer
from features.ingest.load import ingest
from features.schema import TABLES
from features.synthetic import GENERATOR_VERSION, generate_crm, write_crm
from serving.lead_explanation import (
    LeadExplanation,
    explain_account,
    explain_contact,
    explain_from_source,
)
from serving.lead_rows import account_rows

SIZES = {"quick": [20_000], "full": [1_000_000]}
SEED = 303
#: Largest CRM the full-load reference (Great Expectations over every table) is run on:
#: at 1M contacts it needs over 16 GB and about 20 minutes.
FULL_LOAD_MAX = 100_000


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


def crm_folder(size: int, seed: int = SEED) -> Path:
    """A generated ``size``-contact Parquet CRM, generated once and kept in the cache.

    Generating 1M contacts holds the whole CRM in memory (about 20 GB at its peak) and takes
    minutes, so the folder is kept under ``$LEADSCORE_BENCH_CACHE`` (default
    ``~/.cache/leadscore-bench``), named by size, seed and generator version, and written
    under a temporary name then renamed, so a killed run leaves no half folder behind.
    """
    root = Path(os.environ.get("LEADSCORE_BENCH_CACHE", Path.home() / ".cache" / "leadscore-bench"))
    folder = root / f"crm-{size}-{seed}-{GENERATOR_VERSION}"
    if (folder / "manifest.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        crm = generate_crm(size, seed)
        write_crm(crm, Path(tmp) / "crm")
        del crm
        os.replace(Path(tmp) / "crm", folder)
    return folder


def read_all_then_cut(folder: Path, contact: str) -> dict[str, pd.DataFrame]:
    """The reference read: every row of every table, then the lead's account's rows."""
    raw = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return account_rows(raw, contact)


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time explaining one lead of a ``size``-contact Parquet CRM, against both references."""
    scorer = trained_scorer()
    folder = crm_folder(size)
    n_activities = pq.ParquetFile(folder / "activities.parquet").metadata.num_rows
    contact = _lead(folder)
    explain_from_source(folder, scorer, contact, AS_OF)  # warm-up (DuckDB): not timed
    ours = measure(lambda: explain_from_source(folder, scorer, contact, AS_OF), repeats)
    source = str(folder)
    read_all = measure(
        lambda: explain_account(read_all_then_cut(folder, contact), scorer, contact, AS_OF, source),
        repeats,
    )
    _same(ours.result, read_all.result)
    rows = [
        BenchResult(
            "explain_one_lead_vs_read_all",
            size,
            ours.median_s,
            read_all.median_s,
            max(ours.peak_rss_mb, read_all.peak_rss_mb),
            f"{n_activities:,} activities in the lead layout; ours: the lead's account read "
            "by DuckDB (row groups skipped); reference: every table read whole with pandas, "
            "then cut to the account; both then validate (pandas), filter bots and explain "
            "alike; same scores and factors checked; peak memory is the reference's",
        )
    ]
    if size <= FULL_LOAD_MAX:
        ref = measure(
            lambda: explain_contact(scorer, ingest(folder).tables, AS_OF, contact), repeats
        )
        _same(ours.result, ref.result)
        rows.append(
            BenchResult(
                "explain_one_lead",
                size,
                ours.median_s,
                ref.median_s,
                max(ours.peak_rss_mb, ref.peak_rss_mb),
                f"{n_activities:,} activities in the lead layout; ours as above; reference: "
                "whole CRM ingested (GX) and every lead prepared; same scores and factors "
                "checked; peak memory is the reference's",
            )
        )
    return rows
