"""Does bot filtering make scoring better? The same CRMs scored with and without the filter.

For each seed a CRM is generated (:func:`features.synthetic.generate_crm`, the default bot
share), written and validated once as ``leadscore validate`` does (filter on). The
*without* variant puts the flagged activities back: the same validated rows, bots
included. Both variants then go through the training pipeline's own steps with one plan
(the filtered data's; same snapshot dates both ways): point-in-time features, leakage
guard, LightGBM with calibration on the default training config (no MLflow), and the
default rulebook. Per variant: the test slice's ROC AUC of the rules and of the model,
and the MQL precision (the share of leads at MQL/SQL at the newest date with 90 days of
known outcomes that converted within them).

Both variants are scored on the same test rows of the same CRM, so the question is whether
the *paired* difference is reliably positive (not whether it exceeds the spread of the AUC
level between CRMs). Per seed, DeLong's test compares the two AUCs on the test rows
(:func:`benchmarks.paired_stats.delong_test`). Over the seeds, per metric: the mean
paired gain, the seeds with a positive gain, a one-sided sign test and a one-sided paired
t-test (:func:`benchmarks.paired_stats.over_seeds`; for MQL precision, whose leads differ
between the variants, this per-seed paired comparison is the only test).

The criterion, stated before the 10-seed measurement in the README was run: a gain is
*claimed* when its mean over the seeds is positive, at least 90 % of the seeds (9 of 10)
show a positive gain, and the one-sided paired t-test over the seeds gives p < 0.01.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from benchmarks.bot_filter import stage_figures_of, with_bots
from benchmarks.paired_stats import delong_test, over_seeds
from features.crm import CrmTables
from features.files import atomic_write_text
from features.fit import spec_for_data
from features.infer import InferSettings
from features.ingest.load import ingest
from features.ingest.validation import ValidationReport
from features.plan import make_plan
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm, write_crm
from models.train import model_from_config
from pipelines.plan_slices import plan_request, plan_slices
from rules import Rulebook, load_rulebook
from serving.run_config import DEFAULT_RULEBOOK, resolve_train_config

METRICS = ("rules_auc", "model_auc", "mql_precision")
AUCS = {"rules_auc": "rules", "model_auc": "model"}  # metric -> the test-slice scores
CLAIM_SHARE_POSITIVE = 0.9  # at least this share of the seeds with a positive gain
CLAIM_T_TEST_P = 0.01  # and the one-sided paired t-test over the seeds below this


def variant_figures(
    tables: CrmTables, rulebook: Rulebook, plan: Any, spec: Any, config: Any
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Rules AUC, model AUC (test slice) and MQL precision of one variant of the tables.

    Returns:
        The figures, and the test slice's rows (``contact_id``, ``snapshot``, ``y``) with
        the rules' and the model's scores of them (for the paired test).
    """
    slices = plan_slices(tables, spec, plan, rulebook=rulebook)
    model = model_from_config(config).fit(
        slices.X("train"), slices.train.y, X_valid=slices.X("valid"), y_valid=slices.valid.y
    )
    y = slices.test.y
    rules = np.asarray(slices.manual_score_test, dtype=float)
    conversion = np.asarray(model.predict_conversion(slices.X("test")), dtype=float)
    stages = stage_figures_of(tables, rulebook, config.horizon_days)
    figures = {
        "rules_auc": float(roc_auc_score(y, rules)),
        "model_auc": float(roc_auc_score(y, conversion)),
        "mql_precision": float(stages["rate"]),
        "mql_leads": float(stages["leads"]),
    }
    rows = {
        "contact_id": slices.test.contact_id.astype("string").to_numpy(),
        "snapshot": slices.test.snapshot.astype("string").to_numpy(),
        "y": np.asarray(y, dtype=int),
        "rules": rules,
        "model": conversion,
    }
    return figures, rows


def paired_aucs(on: dict[str, np.ndarray], off: dict[str, np.ndarray]) -> dict[str, Any]:
    """DeLong's test, with against without filtering, of the rules' and the model's AUC.

    Raises:
        ValueError: The two variants' test slices are not the same rows with the same labels.
    """
    for key in ("contact_id", "snapshot", "y"):
        if not np.array_equal(on[key], off[key]):
            raise ValueError(f"the test slices differ in {key}; a paired test needs the same rows")
    return {
        metric: delong_test(on["y"], on[scores], off[scores]) for metric, scores in AUCS.items()
    }


def validated_crm(n_contacts: int, seed: int) -> ValidationReport:
    """A generated CRM (the default bot share), written and validated once as ``leadscore
    validate`` does (bot filter on)."""
    crm = generate_crm(n_contacts, seed=seed)
    end = pd.Timestamp(crm.truth_params["end"])
    with tempfile.TemporaryDirectory() as folder:
        write_crm(crm, Path(folder))
        return ingest(folder, now=end)


def seed_figures(n_contacts: int, seed: int, rulebook_path: Path) -> dict[str, Any]:
    """With and without filtering on one generated CRM (see the module docstring)."""
    report = validated_crm(n_contacts, seed)
    filtered, everything = report.tables, with_bots(report)
    rulebook = load_rulebook(rulebook_path)
    config = resolve_train_config()
    spec, _ = spec_for_data(load_feature_spec(None), filtered.contacts, InferSettings())
    plan = make_plan(filtered, plan_request(config))
    config = config.model_copy(update={"framing": plan.framing, "horizon_days": plan.horizon_days})
    on, on_rows = variant_figures(filtered, rulebook, plan, spec, config)
    off, off_rows = variant_figures(everything, rulebook, plan, spec, config)
    return {
        "seed": seed,
        "bots_flagged": len(everything.activities) - len(filtered.activities),
        "test_rows": int(on_rows["y"].size),
        "test_positives": int(on_rows["y"].sum()),
        "with_filter": on,
        "without_filter": off,
        "delong": paired_aucs(on_rows, off_rows),
    }


def compare_seeds(
    seeds: list[int],
    n_contacts: int = 20_000,
    rulebook_path: Path = DEFAULT_RULEBOOK,
    out: Path | None = None,
) -> dict[str, Any]:
    """Per-seed figures and, per metric, the paired comparison over the seeds.

    Args:
        out: When given, the JSON so far is written there (atomically) after every seed,
            so a long run's finished seeds survive an interruption.

    Returns:
        ``contacts``, ``seeds``, ``criterion``, ``runs`` (per seed) and ``summary``
        (:func:`summarise`).
    """
    runs: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    for seed in seeds:
        runs.append(seed_figures(n_contacts, seed, rulebook_path))
        result = {
            "contacts": n_contacts,
            "seeds": seeds,
            "criterion": {
                "share_positive": CLAIM_SHARE_POSITIVE,
                "t_test_p_below": CLAIM_T_TEST_P,
            },
            "runs": runs,
            "summary": summarise(runs),
        }
        if out is not None:
            atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per metric over the seeds' runs: means, spread, the paired gains and whether to claim.

    Per metric: ``with_filter_mean``, ``without_filter_mean``, ``spread`` (the largest
    minus the smallest value over the seeds, of either variant, for context), the paired
    gains over the seeds (:func:`benchmarks.paired_stats.over_seeds`: ``gain_mean``,
    ``gain_min``, ``gain_max``, ``positive``, ``sign_test_p``, ``t_test_p``), for the AUCs
    each seed's DeLong p-value (``delong_p``, when the runs hold them), and ``claimed``:
    mean gain above 0, at least :data:`CLAIM_SHARE_POSITIVE` of the seeds positive and the
    paired t-test's p below :data:`CLAIM_T_TEST_P` (so never on one seed).
    """
    summary: dict[str, Any] = {}
    for metric in METRICS:
        on = [r["with_filter"][metric] for r in runs]
        off = [r["without_filter"][metric] for r in runs]
        paired = over_seeds(on, off)
        t_p = paired["t_test_p"]
        entry: dict[str, Any] = {
            "with_filter_mean": statistics.fmean(on),
            "without_filter_mean": statistics.fmean(off),
            "spread": max(max(on) - min(on), max(off) - min(off)),
            "gain_mean": paired["mean"],
            "gain_min": paired["min"],
            "gain_max": paired["max"],
            "positive": paired["positive"],
            "seeds": paired["seeds"],
            "sign_test_p": paired["sign_test_p"],
            "t_test_p": t_p,
            "claimed": bool(
                paired["mean"] > 0
                and paired["positive"] >= CLAIM_SHARE_POSITIVE * len(runs)
                and t_p is not None
                and t_p < CLAIM_T_TEST_P
            ),
        }
        if metric in AUCS and all("delong" in r for r in runs):
            entry["delong_p"] = [r["delong"][metric]["p_two_sided"] for r in runs]
        summary[metric] = entry
    return summary


def planting_figures(n_contacts: int, seed: int) -> dict[str, Any]:
    """How the generator's bots and people's e-mail engagement look on one CRM (no dirt).

    Returns:
        Conversion rate, activities per contact, the share of contacts with a planted
        bot event, bots' share of e-mail clicks and opens, and people's and bots' e-mail
        clicks per contact by quintile of the hidden propensity (1 = lowest).
    """
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
