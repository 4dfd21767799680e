"""Turn the caller's rows into the float64 matrix LightGBM's predictor would see.

Mirrors ``lightgbm.basic`` for ``Booster.predict``: pandas categorical columns become the
codes of the categories seen in training (unseen levels and NaN become NaN), non-float
numpy arrays are cast through float32, and values with ``|x| <= kZeroThreshold`` are
dropped to 0 as LightGBM's dense row reader does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from serving.explain.kernels import K_ZERO_THRESHOLD


def _frame_to_numpy(
    frame: pd.DataFrame, feature_names: tuple[str, ...], pandas_categorical: list[list[Any]] | None
) -> np.ndarray:
    columns = [str(c) for c in frame.columns]
    missing = [name for name in feature_names if name not in columns]
    if missing:
        raise ValueError(
            f"input is missing model feature column(s) {missing[:10]}; pass a DataFrame with "
            f"the {len(feature_names)} columns the model was trained on."
        )
    if columns != list(feature_names):
        frame = frame.set_axis(columns, axis=1)[list(feature_names)]
    cat_cols = [c for c, dt in frame.dtypes.items() if isinstance(dt, pd.CategoricalDtype)]
    trained = pandas_categorical or []
    if len(cat_cols) != len(trained):
        raise ValueError(
            f"input has {len(cat_cols)} pandas category column(s) {cat_cols[:10]} but the model "
            f"was trained with {len(trained)}; cast the same columns to 'category' as in "
            "training."
        )
    out = np.empty((len(frame), len(feature_names)), dtype=np.float64)
    cat_levels = dict(zip(cat_cols, trained, strict=True))
    for j, name in enumerate(feature_names):
        col = frame[name]
        if name in cat_levels:
            codes = col.cat.set_categories(cat_levels[name]).cat.codes.to_numpy()
            out[:, j] = np.where(codes < 0, np.nan, codes)
        elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            raise ValueError(
                f"column {name!r} has dtype {col.dtype}, which the model cannot read; convert "
                "it to a number or to pandas 'category' as in training."
            )
    return out


def model_matrix(
    X: np.ndarray | pd.DataFrame,
    feature_names: tuple[str, ...],
    pandas_categorical: list[list[Any]] | None,
) -> np.ndarray:
    """Return a new C-ordered float64 ``(n, n_features)`` matrix for the kernels.

    Args:
        X: Rows to explain: a 2-D array with the model's columns in order, or a DataFrame
            holding every model feature by name (extra columns are ignored).
        pandas_categorical: Category levels per pandas category column, as saved by
            LightGBM at training time (``None`` when there were none).

    Returns:
        The matrix; the input is never modified.

    Raises:
        ValueError: Wrong number of columns, a missing feature column, a text column, or
            category columns that differ from training.
    """
    if isinstance(X, pd.DataFrame):
        out = _frame_to_numpy(X, feature_names, pandas_categorical)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != len(feature_names):
            raise ValueError(
                f"input has shape {arr.shape}, expected (n_rows, {len(feature_names)}) with "
                "the model's feature columns in training order."
            )
        if arr.dtype not in (np.float32, np.float64):
            if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
                raise ValueError(
                    f"input array has dtype {arr.dtype}; pass numbers (float64 preferred)."
                )
            arr = arr.astype(np.float32)  # what lightgbm.basic does with non-float arrays
        out = np.array(arr, dtype=np.float64, order="C", copy=True)
    with np.errstate(invalid="ignore"):
        out[np.abs(out) <= K_ZERO_THRESHOLD] = 0.0
    return out
