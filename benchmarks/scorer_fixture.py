"""The scorer the serving benchmarks share: the default config fitted on a 20k-contact CRM.

Trained once per process (not timed) and reused by ``bench_batch`` and ``bench_shap``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from features.crm import CrmTables
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import Rulebook, load_rulebook
from serving.blend import BlendConfig, fit_blend
from serving.scorer import LeadScorer

RULEBOOK = Path(__file__).resolve().parents[1] / "rules" / "rulebooks" / "default.yaml"


def fit_scorer(
    tables: CrmTables,
    *,
    lightgbm: LightGBMParams | None = None,
    rulebook: Rulebook | None = None,
    **slices: Any,
) -> LeadScorer:
    """An in-memory scorer (no MLflow): the model fitted on snapshot slices of ``tables``
    (``slices``: :func:`pipelines.training_data.snapshot_slices` options, 90-day horizon by
    default) and the blend fitted on their validation slice."""
    from pipelines.training_data import snapshot_slices

    spec = load_feature_spec()
    rulebook = rulebook or load_rulebook(RULEBOOK)
    part = snapshot_slices(tables, spec, **{"horizon_days": 90, **slices}, rulebook=rulebook)
    config = TrainConfig() if lightgbm is None else TrainConfig(lightgbm=lightgbm)
    model = model_from_config(config).fit(
        part.X("train"), part.train.y, X_valid=part.X("valid"), y_valid=part.valid.y
    )
    blend = fit_blend(
        model.predict_conversion(part.X("valid")),
        part.manual_score_valid,
        part.valid.y,
        BlendConfig(),
    )
    return LeadScorer(model, rulebook, blend, spec=spec)


@lru_cache(maxsize=1)
def trained_scorer() -> LeadScorer:
    """The default-config model trained on a 20k-contact CRM, blend fitted on its valid slice."""
    return fit_scorer(generate_crm(20_000, 101, dirt=DirtConfig.none()).tables)
