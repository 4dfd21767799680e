"""leadscore serving: the final score, explanations, batch scoring and reports.

The scorer bundles feature spec, rulebook, calibrated model and blend (one MLflow
pyfunc); the batch job writes its scores to the CRM sinks. Heavy submodules (MLflow,
numba) load on first use, so ``import serving`` stays cheap.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "BlendConfig": "serving.blend",
    "FittedBlend": "serving.blend",
    "fit_blend": "serving.blend",
    "assign_tier": "serving.blend",
    "LeadScorer": "serving.scorer",
    "ScorerSettings": "serving.scorer_types",
    "load_scorer": "serving.scorer_model",
    "build_and_register_scorer": "serving.scorer_training",
    "run_batch": "serving.batch",
    "format_summary": "serving.batch_summary",
    "explain_lead": "serving.lead_explanation",
    "FastTreeShap": "serving.explain",
    "top_factors": "serving.explain",
    "write_scores": "serving.sinks",
    "comparison_inputs": "serving.compare",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'serving' has no attribute {name!r}")
