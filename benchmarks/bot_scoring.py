"""Does bot filtering make scoring better? The same CRMs scored with and without the filter.

For each seed a CRM is generated (:func:`features.synthetic.generate_crm`, the default bot
share), written and validated once as ``leadscore validate`` does (filter on). The
*without* variant puts the flagged activities back: the same validated rows, bots
included. Both variants then go through the training pipeline's own steps with one plan
(the filtered data's; same snapshot dates both ways): point-in-time features, leakage
guard, LightGBM with calibration on the default training config (no MLflow), and the
default rulebook. Per variant: the test slice's ROC AUC of the rules and of the model,
and the MQL precision (the share of leads at MQL/SQL at the newest date with 90 days of
known outcomes that converted within them). The improvement is claimed only where its
mean exceeds the seed-to-seed spread.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

from features.crm import CrmTables
from features.ingest.load import ingest
from features.plan import make_plan, spec_for_data
from features.spec import load_feature_spec
from features.synthetic import generate_crm, write_crm
from models.train import model_from_config
from pipelines.plan_slices import plan_request, plan_slices
from rules import Rulebook, load_rulebook
from serving.run_config import DEFAULT_RULEBOOK, resolve_train_config

METRICS = ("rules_auc", "model_auc", "mql_precision")


def variant_figures(
    tables: CrmTables, rulebook: Rulebook, plan: Any, spec: Any, config: Any
) -> dict[str, float]:
    """Rules AUC, model AUC (test slice) and MQL precision of one variant of the tables."""
    from benchmarks.bot_filter import stage_figures_of

    slices = plan_slices(tables, spec, plan, rulebook=rulebook)
    model = model_from_config(config).fit(
        slices.X("train"), slices.train.y, X_valid=slices.X("valid"), y_valid=slices.valid.y
    )
    y = slices.test.y
    stages = stage_figures_of(tables, rulebook, config.horizon_days)
    return {
        "rules_auc": float(roc_auc_score(y, slices.manual_score_test)),
        "model_auc": float(roc_auc_score(y, model.predict_conversion(slices.X("test")))),
        "mql_precision": float(stages["rate"]),
        "mql_leads": float(stages["leads"]),
    }


def seed_figures(n_contacts: int, seed: int, rulebook_path: Path) -> dict[str, Any]:
    """With and without filtering on one generated CRM (see the module docstring)."""
    crm = generate_crm(n_contacts, seed=seed)
    end = pd.Timestamp(crm.truth_params["end"])
    with tempfile.TemporaryDirectory() as folder:
        write_crm(crm, Path(folder))
        report = ingest(folder, now=end)
    filtered = report.tables
    bots = report.bots if report.bots is not None else filtered.activities.iloc[:0]
    everything = replace(
        filtered,
        activities=pd.concat(
            [filtered.activities, bots.drop(columns="bot_reason", errors="ignore")],
            ignore_index=True,
        ),
    )
    rulebook = load_rulebook(rulebook_path)
    config = resolve_train_config()
    spec, _ = spec_for_data(load_feature_spec(None), filtered.contacts)
    plan = make_plan(filtered, plan_request(config))
    config = config.model_copy(update={"framing": plan.framing, "horizon_days": plan.horizon_days})
    return {
        "seed": seed,
        "bots_flagged": len(bots),
        "with_filter": variant_figures(filtered, rulebook, plan, spec, config),
        "without_filter": variant_figures(everything, rulebook, plan, spec, config),
    }


def compare_seeds(
    seeds: list[int], n_contacts: int = 20_000, rulebook_path: Path = DEFAULT_RULEBOOK
) -> dict[str, Any]:
    """Per-seed figures and, per metric, the mean and spread with and without filtering.

    ``spread`` is the largest minus the smallest value over the seeds (of one variant);
    ``gain`` is with minus without per seed (same CRM), with its mean, min and max;
    ``claimed`` says whether the mean gain exceeds both variants' seed-to-seed spread.
    """
    runs = [seed_figures(n_contacts, s, rulebook_path) for s in seeds]
    return {"contacts": n_contacts, "seeds": seeds, "runs": runs, "summary": summarise(runs)}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per metric over the seeds' runs: means, spread, paired gains and whether to claim.

    ``claimed`` needs two seeds or more and a mean gain above the spread.
    """
    summary: dict[str, Any] = {}
    for metric in METRICS:
        on = [r["with_filter"][metric] for r in runs]
        off = [r["without_filter"][metric] for r in runs]
        gains = [a - b for a, b in zip(on, off, strict=True)]
        spread = max(max(on) - min(on), max(off) - min(off))
        summary[metric] = {
            "with_filter_mean": statistics.fmean(on),
            "without_filter_mean": statistics.fmean(off),
            "spread": spread,
            "gain_mean": statistics.fmean(gains),
            "gain_min": min(gains),
            "gain_max": max(gains),
            "gain_positive_on_every_seed": min(gains) > 0,
            "claimed": len(runs) >= 2 and statistics.fmean(gains) > spread,
        }
    return summary


def planting_figures(n_contacts: int, seed: int) -> dict[str, Any]:
    """How the generator's bots and people's e-mail engagement look on one CRM (no dirt).

    Returns:
        Conversion rate, activities per contact, the share of contacts with a planted
        bot event, bots' share of e-mail clicks and opens, and people's and bots' e-mail
        clicks per contact by quintile of the hidden propensity (1 = lowest).
    """
    from features.synthetic import DirtConfig

    crm = generate_crm(n_contacts, seed=seed, dirt=DirtConfig.none())
    acts = crm.tables.activities
    truth = crm.truth.set_index("contact_id")
    bot = acts["activity_id"].isin(crm.bot_activities).to_numpy()
    kind = acts["activity_type"].astype("string")
    quintile = pd.qcut(truth["propensity"].rank(method="first"), 5, labels=False)

    def clicks_by_quintile(rows: Any) -> list[float]:
        per = acts.loc[rows, "contact_id"].value_counts().reindex(truth.index, fill_value=0)
        return [round(float(v), 3) for v in per.groupby(quintile).mean()]

    click, open_ = kind.eq("email_click").to_numpy(), kind.eq("email_open").to_numpy()
    return {
        "seed": seed,
        "conversion_rate": crm.truth_params["realised"]["conversion_rate"],
        "activities_per_contact": crm.truth_params["realised"]["activities_per_contact"],
        "contacts_with_bots": acts.loc[bot, "contact_id"].nunique() / n_contacts,
        "bot_share_of_clicks": float(bot[click].mean()),
        "bot_share_of_opens": float(bot[open_].mean()),
        "people_clicks_per_contact_by_quintile": clicks_by_quintile(click & ~bot),
        "bot_clicks_per_contact_by_quintile": clicks_by_quintile(click & bot),
    }
