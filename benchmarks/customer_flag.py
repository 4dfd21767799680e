"""MQL precision with the accounts' ``is_customer`` flag dated against read as exported.

Usage: ``python -m benchmarks.customer_flag --seeds 10 11 ... [--contacts N]``. For each
seed, a generated CRM is validated and bot-filtered
(:func:`benchmarks.bot_scoring.validated_crm`, the *with filtering* variant of
:mod:`benchmarks.bot_scoring`), then the default rulebook is replayed at the newest date
with the training plan's horizon of known outcomes (:func:`benchmarks.bot_filter.
stage_figures_of`) twice, side by side in one process: with the flag as it stood at that
date (:func:`features.customers.accounts_at`, what the rules read) and with the flag as
exported (an account won later already a customer). Prints one JSON line per seed and the
means (a quality figure, not speed).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

import rules.scorer as rule_scorer
from benchmarks.bot_filter import stage_figures_of
from benchmarks.bot_scoring import validated_crm
from features.crm import CrmTables
from features.plan import make_plan
from pipelines.plan_slices import plan_request
from rules import load_rulebook
from serving.run_config import DEFAULT_RULEBOOK, resolve_train_config


def _as_exported(tables: CrmTables, as_of: pd.Timestamp) -> pd.DataFrame:
    return tables.accounts


def seed_figures(n_contacts: int, seed: int) -> dict[str, Any]:
    """MQL/SQL leads and their conversion rate, the flag dated and as exported."""
    tables = validated_crm(n_contacts, seed).tables
    book = load_rulebook(DEFAULT_RULEBOOK)
    horizon = make_plan(tables, plan_request(resolve_train_config())).horizon_days
    dated = rule_scorer.accounts_at
    out: dict[str, Any] = {"seed": seed}
    try:
        for name, reading in (("dated", dated), ("as_exported", _as_exported)):
            rule_scorer.accounts_at = reading
            figures = stage_figures_of(tables, book, horizon)
            out[name] = {"rate": float(figures["rate"]), "leads": int(figures["leads"])}
    finally:
        rule_scorer.accounts_at = dated
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--contacts", type=int, default=20_000)
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        runs.append(seed_figures(args.contacts, seed))
        print(json.dumps(runs[-1]), flush=True)
    for name in ("dated", "as_exported"):
        rate = sum(r[name]["rate"] for r in runs) / len(runs)
        leads = sum(r[name]["leads"] for r in runs) / len(runs)
        print(f"{name}: MQL precision {rate:.2%}, {leads:,.1f} MQL/SQL leads (mean)")


if __name__ == "__main__":
    main()
