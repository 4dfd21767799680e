"""Readable reasons for the score of a lead from a flat table, from per-feature contributions.

The columns of a flat export are not known in advance, so the text is generic: a number
reads ``Total Time Spent on Website = 1,532 (high)`` (high/low against the training rows'
quartiles), a category ``Lead Source = Google``, a yes/no column ``Do Not Email = yes``, a
missing value ``City is blank``. Contributions are SHAP values in log-odds (margin) space.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from features.number_text import numbers_text


def feature_value_text(
    values: pd.Series, kind: str, quartiles: tuple[float, float] | None = None
) -> pd.Series:
    """``name = value`` text for every row of one feature.

    Args:
        values: The feature column (float or ``category``), named as the feature.
        kind: ``numeric``, ``boolean``, ``date`` or ``category``.
        quartiles: (25th, 75th) percentiles of the training rows, for (low)/(high).

    Returns:
        Text per row (same index).
    """
    name = str(values.name)
    missing = values.isna().to_numpy()
    if kind == "category" or isinstance(values.dtype, pd.CategoricalDtype):
        shown = values.astype("string")
        text = (name + " = " + shown).astype("string")
    elif kind == "boolean":
        text = pd.Series(np.where(values.to_numpy() == 1, f"{name} = yes", f"{name} = no"))
    else:
        number = values.to_numpy(dtype=float)
        text = name + " = " + numbers_text(np.nan_to_num(number))
        if quartiles is not None and quartiles[0] < quartiles[1]:
            band = np.where(
                number > quartiles[1], " (high)", np.where(number < quartiles[0], " (low)", "")
            )
            text = text + pd.Series(band, dtype="string")
    text = pd.Series(text.to_numpy(), index=values.index, dtype="string")
    return text.where(~missing, f"{name} is blank")


def top_reasons(
    X: pd.DataFrame,
    contributions: np.ndarray,
    *,
    kinds: Mapping[str, str],
    quartiles: Mapping[str, tuple[float, float]],
    k: int = 3,
) -> pd.DataFrame:
    """The ``k`` features raising each row's score most and the ``k`` lowering it most.

    Args:
        X: The model matrix the contributions were computed on (same column order).
        contributions: ``(n, n_features)`` or ``(n, n_features + 1)`` SHAP values (a
            trailing expected-value column is ignored).
        kinds: Feature -> kind (see :func:`feature_value_text`); default numeric.
        quartiles: Feature -> training (25th, 75th) percentiles, for numeric features.
        k: Reasons per direction.

    Returns:
        Columns ``reason_up_1`` ... ``reason_up_k`` and ``reason_down_1`` ... with the text,
        and ``*_shap`` columns with the contribution (log-odds); empty text and 0.0 where
        fewer than ``k`` features push in that direction. Same index as ``X``.
    """
    phi = np.asarray(contributions, dtype=float)[:, : X.shape[1]]
    out: dict[str, pd.Series] = {}
    for direction, sign in (("up", 1.0), ("down", -1.0)):
        order = np.argsort(-sign * phi, axis=1, kind="stable")[:, :k]
        for slot in range(min(k, phi.shape[1])):
            idx = order[:, slot]
            value = phi[np.arange(len(phi)), idx]
            pushes = sign * value > 0
            text = pd.Series("", index=X.index, dtype="string")
            for feature in np.unique(idx[pushes]):
                rows = pushes & (idx == feature)
                name = X.columns[feature]
                part = X.loc[rows, name]
                kind = kinds.get(name, "numeric")
                text.loc[part.index] = feature_value_text(part, kind, quartiles.get(name))
            out[f"reason_{direction}_{slot + 1}"] = text
            out[f"reason_{direction}_{slot + 1}_shap"] = pd.Series(
                np.where(pushes, value, 0.0), index=X.index
            )
    return pd.DataFrame(out, index=X.index)


def training_quartiles(X: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(25th, 75th) percentiles of every numeric column of ``X`` (missing ignored)."""
    numeric = X.select_dtypes(include="number")
    q = numeric.quantile([0.25, 0.75])
    return {str(c): (float(q.loc[0.25, c]), float(q.loc[0.75, c])) for c in numeric.columns}


def mean_abs_contribution(X: pd.DataFrame, contributions: np.ndarray) -> pd.DataFrame:
    """Features ranked by mean |SHAP| (log-odds), strongest first."""
    phi = np.abs(np.asarray(contributions, dtype=float)[:, : X.shape[1]])
    frame = pd.DataFrame({"feature": list(X.columns), "mean_abs_shap": phi.mean(axis=0)})
    return frame.sort_values("mean_abs_shap", ascending=False, ignore_index=True)
