"""When accounts became customers: computed once per tables object against once per read.

Data: canonical tables built directly (generated, never timed): ``size`` contacts at
``size / 10`` accounts (30 % flagged ``is_customer``), 9 % of the contacts with a won deal
(90,000 winners at 1M contacts), creations spread over a year.

Work: what a training run with the rule score as a feature reads at each of its 8
snapshot dates (6 training, 1 validation, 1 test): the rules' dated accounts
(:func:`features.customers.accounts_at`), the dated ``account_is_customer`` feature (the
same call) and training's "at a customer account" exclusion of every contact
(:func:`features.customers.customer_at`). Ours: one ``CrmTables`` for the run, so
:func:`features.customers.customer_since` is computed at the first read and kept on it.
Reference: every read computes it again (:func:`features.customers.compute_customer_since`,
what each read did before it was kept). The two give identical flags (checked before
timing). A nightly score reads it once either way: there the cost is one computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.harness import BenchResult, measure
from features.crm import CrmTables, empty_table
from features.customers import accounts_at, compute_customer_since, customer_at, customer_since
from features.schema import TABLES

SIZES = {"quick": [20_000], "full": [1_000_000]}
SEED = 43
SNAPSHOTS = pd.date_range("2025-03-01", periods=8, freq="30D", tz="UTC")


def customer_tables(size: int, seed: int = SEED) -> CrmTables:
    """``size`` contacts, ``size // 10`` accounts, 9 % of the contacts winning a deal."""
    rng = np.random.default_rng(seed)
    n_accounts, n_won = max(1, size // 10), int(size * 0.09)
    ids = pd.array([f"c{i}" for i in range(size)], dtype="string")
    start = pd.Timestamp("2025-01-01", tz="UTC")
    created = start + pd.to_timedelta(rng.integers(0, 365 * 86_400, size), unit="s")
    contacts = empty_table("contacts").reindex(range(size))
    contacts["contact_id"] = ids
    contacts["created_at"] = created
    account = rng.integers(0, n_accounts, size)
    contacts["account_id"] = pd.array([f"a{i}" for i in account], dtype="string")
    accounts = empty_table("accounts").reindex(range(n_accounts))
    accounts["account_id"] = pd.array([f"a{i}" for i in range(n_accounts)], dtype="string")
    accounts["is_customer"] = pd.array(rng.random(n_accounts) < 0.3, dtype="boolean")
    won = rng.choice(size, n_won, replace=False)
    outcomes = empty_table("outcomes").reindex(range(n_won))
    outcomes["contact_id"] = ids[won]
    outcomes["converted_at"] = created[won] + pd.to_timedelta(rng.integers(1, 90, n_won), "D")
    allowed = TABLES["outcomes"].column("outcome").allowed
    outcomes["outcome"] = pd.Categorical(["won"] * n_won, categories=allowed)
    return CrmTables(contacts, accounts, empty_table("activities"), outcomes)


def unkept(tables: CrmTables) -> CrmTables:
    """The same frames in a new ``CrmTables``: nothing computed from them kept yet."""
    return CrmTables(tables.contacts, tables.accounts, tables.activities, tables.outcomes)


def training_reads(tables: CrmTables, fresh: bool) -> list[np.ndarray]:
    """The customer flags a training run reads at each snapshot (see the module
    docstring); ``fresh`` computes :func:`customer_since` again for every read."""

    def read() -> CrmTables:
        return unkept(tables) if fresh else tables

    out = []
    for as_of in SNAPSHOTS:
        for _ in ("rules", "feature"):
            out.append(accounts_at(read(), as_of)["is_customer"].fillna(False).to_numpy())
        since = compute_customer_since(tables) if fresh else customer_since(tables)
        out.append(customer_at(tables.contacts["account_id"].astype("object"), as_of, since))
    return out


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time a run's reads with ``customer_since`` kept on the tables and recomputed."""
    frames = customer_tables(size)

    def ours() -> list[np.ndarray]:
        return training_reads(unkept(frames), fresh=False)

    def reference() -> list[np.ndarray]:
        return training_reads(frames, fresh=True)

    for kept, again in zip(ours(), reference(), strict=True):
        np.testing.assert_array_equal(kept, again)
    mine, ref = measure(ours, repeats), measure(reference, repeats)
    notes = (
        f"{len(SNAPSHOTS)} snapshots x 3 reads; {len(frames.outcomes):,} winners at "
        f"{len(frames.accounts):,} accounts; flags identical; reference: computed per read"
    )
    return [
        BenchResult(
            "customer_since_kept", size, mine.median_s, ref.median_s, mine.peak_rss_mb, notes
        )
    ]
