"""A model matrix from a flat export (one row per lead, no activity history).

Some sources (X Education) are a single table with the outcome as a column. There is no
``as_of`` to cut at, so nothing here is point-in-time: run :func:`models.leakage.check_leakage`
on the result before training, it is what catches columns filled in after the fact.

Usage::

    ts = flat_training_set(leads, "Converted", id_column="Prospect ID",
                           drop=["Lead Number"], missing_markers=("Select",))
    score_X = flat_features(new_leads.drop(columns=[...]), like=ts.X)  # same dtypes
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.training_set import TrainingSet

logger = logging.getLogger(__name__)


def _as_category(values: pd.Series, categories: pd.Index | None) -> pd.Series:
    text = values.astype("string").str.strip()
    if categories is None:
        categories = pd.Index(sorted(text.dropna().unique()), dtype="object")
    plain = text.astype("object").where(text.notna(), None)
    return pd.Series(pd.Categorical(plain, categories=categories), index=values.index)


def flat_features(
    frame: pd.DataFrame,
    *,
    like: pd.DataFrame | None = None,
    missing_markers: Sequence[str] = (),
) -> pd.DataFrame:
    """Numeric columns as float64, everything else as ``category``.

    Args:
        frame: The feature columns only (no id, no target).
        like: A matrix built earlier (training): its columns and categories are reused so
            scoring frames get identical dtypes; unseen values become missing.
        missing_markers: Strings that mean blank (X Education's "Select").

    Returns:
        The matrix, same index as ``frame``. Datetime columns are left out (logged).

    Raises:
        ValueError: ``like`` has a column that ``frame`` lacks.
    """
    cleaned = frame.replace(list(missing_markers), np.nan) if missing_markers else frame
    if like is not None:
        missing = [c for c in like.columns if c not in cleaned.columns]
        if missing:
            raise ValueError(f"flat_features: columns {missing} of the training matrix are absent")
    names = list(like.columns) if like is not None else list(cleaned.columns)
    out: dict[str, pd.Series] = {}
    for name in names:
        values = cleaned[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            logger.warning("flat_features: datetime column %r left out of the matrix", name)
            continue
        target_dtype = like[name].dtype if like is not None else None
        if isinstance(target_dtype, pd.CategoricalDtype):
            out[name] = _as_category(values, target_dtype.categories)
        elif target_dtype is not None or (
            pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
        ):
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[name] = _as_category(values, None)
    return pd.DataFrame(out, index=frame.index)


def flat_training_set(
    frame: pd.DataFrame,
    target: str | pd.Series,
    *,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    missing_markers: Sequence[str] = (),
) -> TrainingSet:
    """A :class:`TrainingSet` from a flat table whose outcome is a column (or a Series).

    Args:
        frame: One row per lead.
        target: The 0/1 (or boolean) outcome column's name, or the outcome itself aligned
            with ``frame``.
        id_column: Column holding the lead id (default: the row position).
        drop: Further columns to leave out (other ids, free text).
        missing_markers: Strings that mean blank.

    Returns:
        ``snapshot`` is NaT and ``horizon_days`` None: there is no point in time.

    Raises:
        ValueError: The target has missing values or values other than 0/1.
    """
    y = frame[target] if isinstance(target, str) else target
    numeric = pd.to_numeric(y.astype("object"), errors="coerce")
    bad = y.isna() | ~numeric.isin([0, 1])
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        raise ValueError(
            f"target {getattr(y, 'name', '')!r}: {int(bad.sum())} row(s) not 0/1 (first at "
            f"row {first}: {y.iloc[first]!r}); fix or remove those rows before training"
        )
    leave_out = [*drop, *([target] if isinstance(target, str) else [])]
    leave_out += [id_column] if id_column else []
    X = flat_features(frame.drop(columns=leave_out), missing_markers=missing_markers)
    ids = frame[id_column] if id_column else pd.Series(np.arange(len(frame)))
    return TrainingSet(
        X=X.reset_index(drop=True),
        y=pd.Series(numeric.to_numpy(dtype="int64"), name="converted"),
        snapshot=pd.Series(pd.NaT, index=range(len(frame)), dtype="datetime64[ns, UTC]"),
        contact_id=pd.Series(ids.astype("string").to_numpy(), name="contact_id", dtype="string"),
    )
