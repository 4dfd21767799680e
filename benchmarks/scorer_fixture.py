"""The scorer the serving benchmarks share: the default config fitted on a 20k-contact CRM.

Trained once per process (not timed) and reused by the serving benchmarks, which score
at :data:`AS_OF` and record :data:`RUN` with every score.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from features.crm import CrmTables
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import Rulebook, load_rulebook
from serving.blend import BlendConfig, fit_blend
from serving.run_config import DEFAULT_RULEBOOK
from serving.scorer import LeadScorer

AS_OF = pd.Timestamp("2026-09-01", tz="UTC")
RUN = {"model_name": "bench-scorer", "model_version": "1"}


def fit_scorer(
    tables: CrmTables,
    *,
    lightgbm: LightGBMParams | None = None,
    rulebook: Rulebook | None = None,
    **slices: Any,
) -> LeadScorer:
    """An in-memory scorer (no MLflow): the model fitted on the snapshot slices
    ``leadscore train`` builds from ``tables`` (``slices``: training config settings such
    as ``train_snapshots`` and ``every_days``; snapshot framing, 90-day horizon by
    default; :func:`pipelines.plan_slices.config_slices`) and the blend fitted on their
    validation slice."""
    from pipelines.plan_slices import config_slices

    spec = load_feature_spec()
    rulebook = rulebook or load_rulebook(DEFAULT_RULEBOOK)
    settings = {"framing": "snapshots", "horizon_days": 90, **slices}
    config = TrainConfig(**settings, **({} if lightgbm is None else {"lightgbm": lightgbm}))
    part = config_slices(tables, spec, config, rulebook=rulebook)
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
