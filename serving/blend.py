"""The final score: the model's calibrated probability blended with the manual point score.

Two methods, chosen in :class:`BlendConfig`:

* ``weighted``: ``final = w * 100 * p + (1 - w) * manual_0_100``, where the manual score is
  normalised to 0-100 over the rulebook's range. Marketing ops keeps control of ``w``.
* ``stacked``: a logistic regression on the model's logit and the normalised manual score,
  fitted on the validation slice, so ``final / 100`` is itself a calibrated probability.

The tier (A/B/C/D) comes from cut-offs on the final score.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sklearn.linear_model import LogisticRegression

_EPS = 1e-6


class BlendConfig(BaseModel):
    """How the final score is made.

    Attributes:
        method: ``weighted`` or ``stacked``.
        model_weight: Weight of the model's probability in ``weighted`` (0-1).
        manual_min: Manual score mapped to 0 (clip below).
        manual_max: Manual score mapped to 100 (clip above).
        tiers: Lowest final score of each tier, best first, e.g. {"A": 70, "B": 40, "C": 15};
            everything below the last cut-off gets ``bottom_tier``.
        bottom_tier: Tier of the leads below every cut-off.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["weighted", "stacked"] = "weighted"
    model_weight: float = Field(0.7, ge=0.0, le=1.0)
    manual_min: float = 0.0
    manual_max: float = 100.0
    tiers: dict[str, float] = Field(default_factory=lambda: {"A": 60.0, "B": 35.0, "C": 15.0})
    bottom_tier: str = "D"

    @model_validator(mode="after")
    def _check(self) -> BlendConfig:
        if self.manual_max <= self.manual_min:
            raise ValueError(
                f"blend: manual_max ({self.manual_max}) must be above manual_min "
                f"({self.manual_min})"
            )
        cuts = list(self.tiers.values())
        if cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
            raise ValueError(f"blend.tiers must be strictly decreasing, best tier first: {cuts}")
        return self


def manual_0_100(manual: pd.Series | np.ndarray, config: BlendConfig) -> np.ndarray:
    """The manual score normalised to 0-100 over [manual_min, manual_max], clipped.

    A missing manual score counts as 0 points (no rule fired).
    """
    values = np.nan_to_num(np.asarray(manual, dtype="float64"), nan=0.0)
    scaled = (values - config.manual_min) / (config.manual_max - config.manual_min) * 100.0
    return np.clip(scaled, 0.0, 100.0)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


class StackedBlend:
    """Logistic blend of the model's logit and the normalised manual score.

    Follows scikit-learn's contract: ``fit`` on the validation slice, then ``predict_proba``.
    """

    def __init__(self, config: BlendConfig, C: float = 1.0) -> None:
        self.config = config
        self.C = C

    def _design(self, probability: np.ndarray, manual: np.ndarray) -> np.ndarray:
        p = np.asarray(probability, dtype="float64")
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            raise ValueError("probability: values must be in [0, 1] with no missing values")
        return np.column_stack([_logit(p), manual_0_100(manual, self.config) / 100.0])

    def fit(self, probability: np.ndarray, manual: np.ndarray, y: np.ndarray) -> StackedBlend:
        y = np.asarray(y)
        if len(np.unique(y)) != 2:
            raise ValueError("y: the stacked blend needs both classes on the validation slice")
        model = LogisticRegression(C=self.C, max_iter=1000)
        model.fit(self._design(probability, manual), y)
        self.model_ = model
        self.coef_ = model.coef_[0].copy()
        self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, probability: np.ndarray, manual: np.ndarray) -> np.ndarray:
        """P(convert) from the blend: shape (n,)."""
        if not hasattr(self, "model_"):
            raise ValueError("StackedBlend is not fitted: call fit() on the validation slice")
        return self.model_.predict_proba(self._design(probability, manual))[:, 1]


def final_score(
    probability: np.ndarray,
    manual: np.ndarray,
    config: BlendConfig,
    stacked: StackedBlend | None = None,
) -> np.ndarray:
    """The final 0-100 score for each lead.

    Raises:
        ValueError: ``stacked`` method without a fitted :class:`StackedBlend`.
    """
    if config.method == "weighted":
        p = np.clip(np.asarray(probability, dtype="float64"), 0.0, 1.0)
        w = config.model_weight
        return w * 100.0 * p + (1.0 - w) * manual_0_100(manual, config)
    if stacked is None:
        raise ValueError("blend.method is 'stacked' but no fitted StackedBlend was given")
    return 100.0 * stacked.predict_proba(probability, manual)


def assign_tier(score: np.ndarray, config: BlendConfig) -> np.ndarray:
    """Tier of each final score: the best tier whose cut-off the score reaches."""
    score = np.asarray(score, dtype="float64")
    out = np.full(score.shape, config.bottom_tier, dtype=object)
    for tier, cut in reversed(list(config.tiers.items())):
        out[score >= cut] = tier
    return out
