"""Input checks and alignment of feature frames for :class:`models.estimator.ConversionModel`.

Scoring frames are re-coded to the training columns and category levels: a category level
never seen in training becomes missing (LightGBM routes missing values like the rarest
side of each split), columns are put in training order, extra columns are ignored and
the index is dropped, so a lead's score never depends on its row label or neighbours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# LightGBM stores feature names in a JSON model string and rejects these characters.
_FORBIDDEN_NAME_CHARS = set('[]{}:,"')


def learn_categories(X: pd.DataFrame, name: str) -> dict[str, list[Any]]:
    """Validate a training frame (``name`` in messages) and return its category levels.

    Returns:
        Column name -> list of category levels, for every ``category`` column.

    Raises:
        ValueError: Not a DataFrame, empty, duplicate or unusable column names, or a
            column whose dtype is neither numeric, boolean nor ``category``.
    """
    _check_frame(X, name)
    if len(X.columns) == 0:
        raise ValueError(f"{name} has no feature columns; pass at least one feature")
    duplicated = X.columns[X.columns.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"{name} has duplicate column names {duplicated}; rename them")
    categories: dict[str, list[Any]] = {}
    for col in X.columns:
        if not isinstance(col, str) or _FORBIDDEN_NAME_CHARS & set(col):
            raise ValueError(
                f"column {col!r} in {name}: names must be strings without any of "
                f"{''.join(sorted(_FORBIDDEN_NAME_CHARS))}; rename it"
            )
        dtype = X[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories[col] = X[col].cat.categories.tolist()
        elif not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(
                f"column {col!r} in {name} has dtype {dtype}; the model takes numeric, "
                "boolean or pandas 'category' columns: convert it with .astype('category') "
                "or drop it"
            )
    return categories


def align_features(
    X: pd.DataFrame,
    feature_names: list[str],
    categories: dict[str, list[Any]],
    name: str,
) -> pd.DataFrame:
    """Return ``X`` re-coded to the training columns, dtypes and category levels.

    Extra columns of ``X`` are ignored; ``name`` names the frame in error messages.

    Returns:
        A new frame with a fresh RangeIndex: numeric columns as float64, category columns
        with exactly the training levels (unseen levels become missing).

    Raises:
        ValueError: Columns are missing (all are listed) or a numeric training column
            holds non-numeric data.
    """
    _check_frame(X, name)
    missing = [c for c in feature_names if c not in X.columns]
    if missing:
        raise ValueError(
            f"{name} lacks {len(missing)} feature column(s) the model was trained on: "
            f"{missing}; build the features with the same feature spec"
        )
    out: dict[str, Any] = {}
    for col in feature_names:
        series = X[col]
        if col in categories:
            levels = pd.Index(categories[col])
            if isinstance(series.dtype, pd.CategoricalDtype):
                out[col] = series.cat.set_categories(levels).array
            else:
                out[col] = pd.Categorical(series.to_numpy(dtype=object), categories=levels)
        elif pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            out[col] = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            raise ValueError(
                f"column {col!r} in {name} has dtype {series.dtype} but the model was trained "
                "on it as numeric; pass numbers (missing as NaN)"
            )
    return pd.DataFrame(out, index=pd.RangeIndex(len(X)))


def check_target(y: Any, n_rows: int, name: str) -> np.ndarray:
    """Validate 0/1 labels (or booleans) holding both classes and return them as a 1-D int
    array.

    Args:
        n_rows: Expected length (rows of the matching feature frame).

    Raises:
        ValueError: Wrong length, missing values, values other than 0/1, or one class only.
    """
    arr = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y.to_numpy())
    if len(arr) != n_rows:
        raise ValueError(f"{name} has {len(arr)} labels but its feature frame has {n_rows} rows")
    if arr.isna().any():
        row = int(np.flatnonzero(arr.isna().to_numpy())[0])
        raise ValueError(f"{name} has a missing label at position {row}; labels must be 0/1")
    values = pd.to_numeric(arr, errors="coerce")
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{name} has label {arr.iloc[row]!r} at position {row}; labels must be 0/1"
        )
    labels = values.to_numpy(dtype=int)
    if len(np.unique(labels)) < 2:
        raise ValueError(
            f"{name} holds only class {labels[0] if len(labels) else '-'}; "
            "training and validation need both converted and not converted rows"
        )
    return labels


def _check_frame(X: Any, name: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError(f"{name} has no rows")


def text_or_none(values: pd.Series) -> pd.Series:
    """Each value as a Python ``str``, missing as ``None`` (object dtype, same index).

    The form text columns take at the model's boundaries: the pyfunc's string inputs and
    the Arrow transport to Spark, where pandas' own missing markers are not accepted.
    """
    return (
        values.astype(object)
        .where(values.notna(), None)
        .map(lambda v: None if v is None else str(v))
    )
