"""Exact SHAP explanations for LightGBM models at prediction speed."""

from serving.explain.explainer import FastTreeShap, top_factors
from serving.explain.model import TreeArrays, parse_booster

__all__ = ["FastTreeShap", "TreeArrays", "parse_booster", "top_factors"]
