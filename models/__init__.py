"""leadscore models package: the calibrated conversion model, its evaluation and registry.

Evaluation's curves (:mod:`models.curves`) and figures (:mod:`models.plots`) are the
comparison report's too: one plotting stack for training, ``compare`` and ``fit-table``.

Light modules are imported eagerly; the MLflow- and matplotlib-dependent API (tracking,
pyfunc, registry, train) and the test-slice evaluation are resolved on first access, so
``import models`` (e.g. for the leakage guard) does not pay MLflow's import time.
"""

from typing import TYPE_CHECKING

from features.lazy import lazy_getattr, lazy_names
from models.config import LightGBMParams, QualityGates, TrainConfig, load_train_config
from models.estimator import ConversionModel
from models.metrics import decile_table, ece, evaluate, precision_recall_at_k, segment_metrics
from models.splits import Split, split_by_time, split_random_stratified

if TYPE_CHECKING:
    from models.evaluation import TestEvaluation, evaluate_test_slice  # noqa: F401
    from models.pyfunc import ConversionPyfunc, log_conversion_model, to_serving_frame  # noqa: F401
    from models.registry import PromotionDecision, register_and_promote  # noqa: F401
    from models.store import default_tracking_uri  # noqa: F401
    from models.tracking import RunContext, log_training_run  # noqa: F401
    from models.train import TrainResult, train_and_register  # noqa: F401

_LAZY = lazy_names(__file__)

__all__ = [
    "ConversionModel",
    "LightGBMParams",
    "QualityGates",
    "Split",
    "TrainConfig",
    "decile_table",
    "ece",
    "evaluate",
    "load_train_config",
    "precision_recall_at_k",
    "segment_metrics",
    "split_by_time",
    "split_random_stratified",
    *_LAZY,
]

__getattr__ = lazy_getattr(__name__, _LAZY)
