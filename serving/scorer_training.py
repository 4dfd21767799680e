"""Assemble the scorer at the end of training: fit the blend, compare, log, register.

Called by the train flow after :func:`models.train.train_and_register`:

* the manual score of the validation and test rows is computed with the rulebook at
  each slice's ``as_of``;
* the blend (:func:`serving.blend.fit_blend`: manual calibration, manual weight, tier
  cut-offs from sales capacity) is fitted on the validation slice, the capacity spread
  over the lead flow measured there (:func:`serving.lead_flow.leads_per_period`);
* the final score is evaluated on the test slice next to the model alone and the manual
  score alone (metrics ``scorer_<what>_<metric>`` on the training run, with the weights and
  the share of leads per tier);
* the :class:`~serving.scorer.LeadScorer` is logged in the training run as ``scorer`` and
  registered as ``<model name>-scorer`` with the same alias the conversion model got
  (``champion`` only when it was promoted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from features.crm import CrmTables
from features.flat import flat_as_of, flat_rule_tables
from features.infer import TableTypes
from features.ingest.extra_types import trained_extra_types
from features.spec import FeatureSpec
from models.config import scorer_name_for
from models.metrics import evaluate
from models.store import use_tracking_uri
from models.train import TrainResult
from rules import Rulebook, score_rulebook
from serving.blend import BlendConfig, FittedBlend, fit_blend
from serving.lead_flow import leads_per_period
from serving.reason_rates import fit_reason_rates
from serving.run_config import RunConfig
from serving.scorer import LeadScorer
from serving.scorer_model import log_lead_scorer, to_pyfunc_frame
from serving.training_ids import TrainingIds

log = logging.getLogger(__name__)


class SlicesLike(Protocol):
    """What is read from :class:`pipelines.training_data.Slices`."""

    @property
    def kind(self) -> str: ...
    @property
    def train(self) -> Any: ...
    @property
    def valid(self) -> Any: ...
    @property
    def test(self) -> Any: ...
    @property
    def manual_score_test(self) -> np.ndarray | None: ...
    @property
    def manual_score_valid(self) -> np.ndarray | None: ...
    @property
    def flat_types(self) -> TableTypes | None: ...
    @property
    def time_valid(self) -> pd.Series: ...

    def X(self, part: str) -> pd.DataFrame: ...


@dataclass(frozen=True)
class ScorerRegistration:
    """What :func:`build_and_register_scorer` produced."""

    scorer: LeadScorer
    model_uri: str
    model_name: str
    version: str
    alias: str
    metrics: dict[str, float]


def manual_scores_at(
    tables: CrmTables, rulebook: Rulebook, as_of: pd.Timestamp, contact_ids: pd.Series
) -> np.ndarray:
    """The rulebook total of ``contact_ids`` at ``as_of`` (0 for contacts it did not score)."""
    totals = score_rulebook(tables, rulebook, as_of).scores.set_index("contact_id")["total"]
    return manual_scores_of(totals, contact_ids)


def manual_scores_of(totals: pd.Series, contact_ids: pd.Series) -> np.ndarray:
    """``totals`` (rulebook total by contact_id) of ``contact_ids``, 0 where not scored."""
    values = totals.reindex(contact_ids.astype(str).to_numpy()).to_numpy(dtype="float64")
    return np.nan_to_num(values, nan=0.0)


def validation_flow(slices: SlicesLike, blend: BlendConfig, tables: CrmTables) -> float:
    """Leads scored per ``blend.capacity_period_days``, measured on the validation slice
    (:func:`serving.lead_flow.leads_per_period`; a flat export: all its contacts)."""
    return leads_per_period(
        slices.valid.snapshot, slices.kind, blend.capacity_period_days, len(tables.contacts)
    )


def sales_share_of(slices: SlicesLike, blend: BlendConfig, tables: CrmTables) -> float:
    """The leads sales can work, as a share of the validation slice's lead flow
    (:meth:`serving.blend.BlendConfig.sales_share`): training's ``k_frac`` and the blend's."""
    return blend.sales_share(validation_flow(slices, blend, tables))


def blend_metrics(
    y: np.ndarray,
    probability: np.ndarray,
    manual: np.ndarray,
    blend: FittedBlend,
    k_frac: float,
) -> dict[str, float]:
    """Test metrics of the model alone, the manual score alone and the final score.

    The manual points are a ranking (no calibration metrics); ``manual_calibrated`` is
    the manual score as the blend's probability; the model and the final score are
    probabilities. Also the weights and the share of leads per tier.
    """
    final = blend.probability(probability, manual)
    parts = {
        "model": (probability, True),
        "manual": (manual, False),
        "manual_calibrated": (blend.manual_probability(manual), True),
        "final": (final, True),
    }
    out: dict[str, float] = {}
    for what, (score, is_probability) in parts.items():
        metrics = evaluate(y, score, is_probability=is_probability, k_frac=k_frac)
        out.update({f"{what}_{k}": v for k, v in metrics.items()})
    out["final_test_mean"] = float(np.mean(final))
    out["blend_fitted_weight"] = blend.fitted_weight
    out["blend_manual_weight"] = blend.weight
    tiers = pd.Series(blend.tier(100.0 * final))
    for tier in blend.config.tier_names:
        out[f"tier_{tier}_share"] = float((tiers == tier).mean())
    return out


def base_rate_note(metrics: dict[str, float]) -> str | None:
    """The conversion rate of the validation and test slices next to the final score's mean
    on test: a calibrated score can only be as right as the rate it was calibrated to.

    Returns:
        ``conversion rate: 13.0% on the validation slice, 7.5% on the test slice; the final
        score predicts 12.6% there on average``, or None when a figure is missing.
    """
    keys = ("valid_base_rate", "test_base_rate", "final_test_mean")
    if any(not np.isfinite(metrics.get(key, np.nan)) for key in keys):
        return None
    valid, test, mean = (metrics[key] for key in keys)
    return (
        f"conversion rate: {valid:.1%} on the validation slice, {test:.1%} on the test "
        f"slice; the final score predicts {mean:.1%} there on average"
    )


def build_and_register_scorer(
    train_result: TrainResult,
    slices: SlicesLike,
    tables: CrmTables,
    *,
    rulebook: Rulebook,
    spec: FeatureSpec | None,
    blend: BlendConfig | None = None,
    run_config: RunConfig | None = None,
    training_ids: TrainingIds | None = None,
) -> ScorerRegistration:
    """Assemble the scorer from a training run, log it in that run and register it.

    Args:
        train_result: What :func:`models.train.train_and_register` returned.
        slices: The training slices (after the leakage guard) the model was fitted on; their
            manual scores, when present, must come from ``rulebook``.
        tables: The validated CRM tables the slices came from (manual scores).
        spec: The feature spec of the slices; None for a flat export.
        blend: Blend settings (default :class:`BlendConfig`), fitted here on the
            validation slice.
        run_config: What the training run resolved; stored in the scorer (``compare``
            reads the horizon from it) with its scorer settings and registered name (None:
            the default settings and ``<conversion model name>-scorer``).
        training_ids: A flat export's fingerprint of the train and valid rows, kept by the
            scorer for ``compare`` (None: other framings).

    Returns:
        The scorer, its run and registry URIs, version, alias and the blend metrics.
    """
    blend = blend or (run_config.blend if run_config is not None else BlendConfig())
    model = train_result.model
    p_valid = model.predict_conversion(slices.X("valid"))

    def manual(part: str) -> np.ndarray:
        """The slice's manual scores: stored by the slicing, else scored here at the slice's
        ``as_of`` (its snapshot, or the day after the last lead of a flat export), on a flat
        export without its outcomes (:func:`features.flat.flat_rule_tables`, as scoring
        reads it; a dated framing's outcomes are CRM events before each ``as_of``)."""
        stored = getattr(slices, f"manual_score_{part}")
        if stored is not None:
            return np.asarray(stored)
        rows = getattr(slices, part)
        dated = len(rows.snapshot) and pd.notna(rows.snapshot.iloc[0])
        as_of = pd.Timestamp(rows.snapshot.iloc[0]) if dated else flat_as_of(tables.contacts)
        rule_tables = flat_rule_tables(tables) if slices.kind == "flat" else tables
        return manual_scores_at(rule_tables, rulebook, as_of, rows.contact_id)

    manual_valid = manual("valid")
    y_valid = np.asarray(slices.valid.y, dtype=int)
    flow = validation_flow(slices, blend, tables)
    fitted = fit_blend(
        p_valid,
        manual_valid,
        y_valid,
        blend,
        leads_per_period=flow,
        time=slices.time_valid,
        recency=model.calibration_recency_,
    )
    note = fitted.capacity_note()
    if note:
        log.warning("tiers: %s", note)
    manual_test = manual("test")
    X_test = slices.X("test")
    metrics = blend_metrics(
        np.asarray(slices.test.y, dtype=int),
        model.predict_conversion(X_test),
        np.nan_to_num(np.asarray(manual_test, dtype=float), nan=0.0),
        fitted,
        blend.sales_share(flow),
    )
    metrics["final_valid_mean"] = float(fitted.probability(p_valid, manual_valid).mean())
    metrics["valid_base_rate"] = float(y_valid.mean())
    metrics["test_base_rate"] = float(np.mean(slices.test.y))
    decision = train_result.decision
    name = run_config.scorer_name if run_config else scorer_name_for(decision.model_name)
    scorer = LeadScorer(
        model,
        rulebook,
        fitted,
        spec=spec,
        flat_types=slices.flat_types,
        run_config=run_config,
        reason_rates=fit_reason_rates(slices.X("train"), np.asarray(slices.train.y, dtype=int)),
        training_ids=training_ids,
        trained_types=trained_extra_types(tables),
        metadata={
            "scorer_name": name,
            "conversion_model": decision.model_name,
            "conversion_model_version": decision.version,
            "training_run_id": train_result.run_id,
        },
    )
    example = X_test.head(5).assign(
        contact_id=[f"example-{i}" for i in range(min(5, len(X_test)))],
        manual_score=np.asarray(manual_test, dtype=float)[:5],
        stage="lead",
        grade=None,
        top_rules="[]",
    )
    use_tracking_uri(train_result.tracking_uri)
    with mlflow.start_run(run_id=train_result.run_id):
        info = log_lead_scorer(scorer, to_pyfunc_frame(example, scorer))
        mlflow.log_metrics({f"scorer_{k}": v for k, v in metrics.items() if np.isfinite(v)})
    client = MlflowClient(train_result.tracking_uri, registry_uri=train_result.tracking_uri)
    version = str(mlflow.register_model(info.model_uri, name).version)
    client.set_registered_model_alias(name, decision.alias, version)
    for key, value in scorer.describe().items():
        client.set_model_version_tag(name, version, key, value)
    log.info(
        "scorer %s v%s -> %s (manual weight %.2f, fitted %.2f)",
        name, version, decision.alias, fitted.weight, fitted.fitted_weight,
    )  # fmt: skip
    return ScorerRegistration(
        scorer, f"models:/{name}@{decision.alias}", name, version,
        decision.alias, metrics,
    )  # fmt: skip
