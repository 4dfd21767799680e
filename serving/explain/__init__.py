"""Exact SHAP explanations for LightGBM models at prediction speed.

:class:`FastTreeShap` (numba kernels) is imported on first use (:mod:`features.lazy`), so
code that only ranks factors (:func:`top_factors`) does not pay numba's import.
"""

from typing import TYPE_CHECKING

from features.lazy import lazy_getattr, lazy_names
from serving.explain.factors import top_factors
from serving.explain.model import TreeArrays, parse_booster

if TYPE_CHECKING:
    from serving.explain.explainer import FastTreeShap  # noqa: F401

_LAZY = lazy_names(__file__)
__all__ = ["TreeArrays", "parse_booster", "top_factors", *_LAZY]
__getattr__ = lazy_getattr(__name__, _LAZY)
