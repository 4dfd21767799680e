"""leadscore models package: the calibrated conversion model, its evaluation and registry.

Evaluation's curves (:mod:`models.curves`) and figures (:mod:`models.plots`) are the
comparison report's too: one plotting stack for training, ``compare`` and ``fit-table``.

Light modules are imported eagerly; the MLflow- and matplotlib-dependent API (evaluation,
tracking, pyfunc, registry, train) is resolved on first access, so ``import models``
(e.g. for the leakage guard) does not pay MLflow's import time.
"""

from importlib import import_module
from typing import Any

from models.config import LightGBMParams, QualityGates, TrainConfig, load_train_config
from models.estimator import ConversionModel
from models.metrics import decile_table, ece, evaluate, precision_recall_at_k, segment_metrics
from models.splits import Split, split_by_time, split_random_stratified

# from models.leakage import ...  (the leakage guard; added by its owner)

_LAZY = {
    "TestEvaluation": "models.evaluation",
    "evaluate_test_slice": "models.evaluation",
    "ConversionPyfunc": "models.pyfunc",
    "log_conversion_model": "models.pyfunc",
    "to_serving_frame": "models.pyfunc",
    "PromotionDecision": "models.registry",
    "register_and_promote": "models.registry",
    "RunContext": "models.tracking",
    "default_tracking_uri": "models.tracking",
    "log_training_run": "models.tracking",
    "TrainResult": "models.train",
    "train_and_register": "models.train",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")
