"""The scorer the serving benchmarks share: the default config fitted on a 20k-contact CRM.

Trained once per process (not timed) and reused by ``bench_batch`` and ``bench_shap``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import TrainConfig
from models.train import model_from_config
from rules import load_rulebook
from serving.blend import BlendConfig, fit_blend
from serving.scorer import LeadScorer

RULEBOOK = Path(__file__).resolve().parents[1] / "rules" / "rulebooks" / "default.yaml"


@lru_cache(maxsize=1)
def trained_scorer() -> LeadScorer:
    """The default-config model trained on a 20k-contact CRM, blend fitted on its valid slice."""
    from pipelines.training_data import snapshot_slices

    tables = generate_crm(20_000, 101, dirt=DirtConfig.none()).tables
    spec, rulebook = load_feature_spec(), load_rulebook(RULEBOOK)
    slices = snapshot_slices(tables, spec, horizon_days=90, rulebook=rulebook)
    model = model_from_config(TrainConfig()).fit(
        slices.X("train"), slices.train.y, X_valid=slices.X("valid"), y_valid=slices.valid.y
    )
    blend = fit_blend(
        model.predict_conversion(slices.X("valid")),
        slices.manual_score_valid,
        slices.valid.y,
        BlendConfig(),
    )
    return LeadScorer(model, rulebook, blend, spec=spec)
