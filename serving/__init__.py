"""leadscore serving: the final score, explanations, batch scoring and reports.

The scorer bundles feature spec, rulebook, calibrated model and blend (one MLflow
pyfunc); the batch job writes its scores to the CRM sinks. Heavy submodules (MLflow,
numba) load on first use, so ``import serving`` stays cheap: the names below are imported
for type checkers only and resolved on first access (:mod:`features.lazy`).
"""

from typing import TYPE_CHECKING

from features.lazy import lazy_getattr, lazy_names

if TYPE_CHECKING:
    from serving.batch import run_batch  # noqa: F401
    from serving.batch_summary import format_summary  # noqa: F401
    from serving.blend import BlendConfig, FittedBlend, assign_tier, fit_blend  # noqa: F401
    from serving.compare import comparison_inputs  # noqa: F401
    from serving.explain import FastTreeShap, top_factors  # noqa: F401
    from serving.lead_explanation import explain_lead  # noqa: F401
    from serving.scorer import LeadScorer  # noqa: F401
    from serving.scorer_model import load_scorer  # noqa: F401
    from serving.scorer_training import build_and_register_scorer  # noqa: F401
    from serving.scorer_types import ScorerSettings  # noqa: F401
    from serving.sinks import write_scores  # noqa: F401

_LAZY = lazy_names(__file__)
__all__ = sorted(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)
