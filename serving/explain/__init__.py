"""Exact SHAP explanations for LightGBM models at prediction speed.

:class:`FastTreeShap` (numba kernels) is imported on first use, so code that only ranks
factors (:func:`top_factors`) does not pay numba's import.
"""

from typing import Any

from serving.explain.factors import top_factors
from serving.explain.model import TreeArrays, parse_booster

__all__ = ["FastTreeShap", "TreeArrays", "parse_booster", "top_factors"]


def __getattr__(name: str) -> Any:
    if name == "FastTreeShap":
        from serving.explain.explainer import FastTreeShap

        return FastTreeShap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
