"""Gated registration: a new model version becomes ``champion`` only when it earns it.

Train -> evaluate -> register -> check the quality gates -> re-score the current champion
on the same test slice -> move the ``champion`` alias only if the gates pass and the new
version is better (higher ROC AUC; equal AUC broken by lower log loss). Otherwise the new
version keeps the ``challenger`` alias. The decision and its reason are written to the
run (tags and ``promotion.json``) and to the model version (tags). Aliases replace the
deprecated registry stages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from features.json_text import json_text
from models.config import CHALLENGER, CHAMPION, QualityGates
from models.store import use_tracking_uri

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionDecision:
    """Outcome of :func:`register_and_promote`."""

    model_name: str
    version: str
    alias: str
    promoted: bool
    reason: str
    gate_failures: tuple[str, ...] = ()
    previous_champion: str | None = None
    champion_metrics: dict[str, float] | None = None


def check_gates(metrics: Mapping[str, float], gates: QualityGates) -> list[str]:
    """Names and values of the quality gates ``metrics`` fails (empty: all pass).

    ``metrics`` uses the test-slice names of :func:`models.metrics.evaluate` (``roc_auc``,
    ``ece``, ``top_decile_lift``) plus ``auc_over_manual`` when a manual score exists.
    """
    failures = []
    checks = [
        ("roc_auc", gates.min_auc, ">="),
        ("ece", gates.max_ece, "<="),
        ("top_decile_lift", gates.min_top_decile_lift, ">="),
        ("auc_over_manual", gates.min_auc_over_manual, ">="),
    ]
    for key, bound, op in checks:
        if bound is None:
            continue
        value = metrics.get(key)
        if value is None:
            failures.append(f"{key} is missing (gate {op} {bound})")
        elif (op == ">=" and not value >= bound) or (op == "<=" and not value <= bound):
            failures.append(f"{key}={value:.4f} fails gate {op} {bound}")
    return failures


def compare_with_champion(
    new: Mapping[str, float], champion: Mapping[str, float]
) -> tuple[bool, str]:
    """Whether ``new`` beats ``champion`` on the same slice, and why (AUC, then log loss)."""
    new_auc, old_auc = new["roc_auc"], champion["roc_auc"]
    if new_auc > old_auc:
        return True, f"AUC {new_auc:.4f} > champion's {old_auc:.4f}"
    if new_auc < old_auc:
        return False, f"AUC {new_auc:.4f} < champion's {old_auc:.4f}"
    new_ll, old_ll = new["log_loss"], champion["log_loss"]
    if new_ll < old_ll:
        return True, f"AUC tied at {new_auc:.4f}; log loss {new_ll:.4f} < {old_ll:.4f}"
    return False, f"AUC tied at {new_auc:.4f}; log loss {new_ll:.4f} not below {old_ll:.4f}"


def current_champion(client: MlflowClient, model_name: str) -> str | None:
    """Version number holding the ``champion`` alias, or None."""
    try:
        return str(client.get_model_version_by_alias(model_name, CHAMPION).version)
    except MlflowException:
        return None


def register_and_promote(
    run_id: str,
    model_name: str,
    metrics: Mapping[str, float],
    gates: QualityGates,
    *,
    test_slice_scorer: Callable[[str], Mapping[str, float]],
    model_uri: str,
    tracking_uri: str,
) -> PromotionDecision:
    """Register the run's model and move ``champion`` if it passes the gates and wins.

    Args:
        run_id: Run that logged the model.
        metrics: New model's test-slice metrics (``roc_auc``, ``log_loss``, ``ece``, ...).
        test_slice_scorer: Given a model URI, returns that model's metrics on the same
            test slice; used to re-score the current champion.
        model_uri: URI of the logged model.
        tracking_uri: Tracking and registry URI.

    Returns:
        The decision; its reason is also logged as run and model-version tags.
    """
    use_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    previous = current_champion(client, model_name)
    version = str(mlflow.register_model(model_uri, model_name).version)
    failures = tuple(check_gates(metrics, gates))
    champion_metrics: dict[str, float] | None = None
    if failures:
        promoted, reason = False, "quality gates failed: " + "; ".join(failures)
    elif previous is None:
        promoted, reason = True, "gates passed and there is no champion yet"
    else:
        try:
            champion_metrics = dict(test_slice_scorer(f"models:/{model_name}/{previous}"))
        except Exception as err:  # noqa: BLE001 - any failure to re-score blocks promotion
            promoted = False
            what = f"missing column {err}" if isinstance(err, KeyError) else str(err)
            reason = (
                f"could not re-score champion v{previous} on the test slice ({what}); if it "
                "was trained on other data, give each data set its own model_name (training "
                "config) or --workdir; else compare by hand and move the alias with "
                "set_registered_model_alias"
            )
        else:
            promoted, why = compare_with_champion(metrics, champion_metrics)
            reason = f"gates passed; {why} (v{previous})"
    alias = CHAMPION if promoted else CHALLENGER
    client.set_registered_model_alias(model_name, alias, version)
    decision = PromotionDecision(
        model_name, version, alias, promoted, reason, failures, previous, champion_metrics
    )
    _record(client, run_id, decision)
    log.info("model %s v%s -> %s: %s", model_name, version, alias, reason)
    return decision


def _record(client: MlflowClient, run_id: str, decision: PromotionDecision) -> None:
    client.set_tag(run_id, "leadscore.promotion", decision.alias)
    client.set_tag(run_id, "leadscore.promotion_reason", decision.reason)
    client.set_tag(run_id, "leadscore.model_version", decision.version)
    client.set_model_version_tag(decision.model_name, decision.version, "promotion", decision.alias)
    client.set_model_version_tag(
        decision.model_name, decision.version, "promotion_reason", decision.reason
    )
    client.log_text(run_id, json_text(asdict(decision)), "promotion.json")
