"""Score trend per lead: how its final score moved since the sink's previous run.

Pure: a scores frame and the previous run's ``contact_id, final_score`` in, one
``score_trend`` value per lead out (:data:`serving.sinks.SCORE_TRENDS`):

* ``improving`` / ``declining``: the final score rose / fell by at least
  ``ScorerSettings.trend_steady_points`` (the one threshold);
* ``steady``: it moved by less than that;
* ``new``: the lead has no score in the previous run.

When the previous frame is the *same* run already written (a single file or HubSpot import
file re-written for the same ``as_of``: the file no longer holds the run before it), its
``score_trend`` values are kept, so a re-run writes the same trends (see
:func:`serving.sinks.previous.previous_scores`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREVIOUS_COLUMNS: tuple[str, ...] = ("contact_id", "final_score", "as_of")


def score_trends(
    scores: pd.DataFrame, previous: pd.DataFrame | None, steady_points: float
) -> pd.Series:
    """The trend of each lead of ``scores`` against ``previous``.

    Args:
        scores: ``contact_id``, ``final_score`` and ``as_of`` (one value) of this run.
        previous: ``contact_id``, ``final_score``, ``as_of`` of the sink's previous run
            (optionally ``score_trend`` when it is this same run re-written), or None.
        steady_points: Moves smaller than this (in final-score points) are ``steady``.

    Returns:
        ``score_trend`` strings, aligned with ``scores``' index.

    Raises:
        ValueError: ``previous`` lacks a column or holds a contact twice.
    """
    new = pd.Series("new", index=scores.index, dtype="str")
    if previous is None or previous.empty or scores.empty:
        return new
    missing = [c for c in PREVIOUS_COLUMNS if c not in previous.columns]
    if missing:
        raise ValueError(f"previous scores lack column(s) {missing}; expected {PREVIOUS_COLUMNS}")
    ids = previous["contact_id"].astype("str")
    if ids.duplicated().any():
        raise ValueError(
            f"previous scores hold contact_id(s) {sorted(ids[ids.duplicated()])[:5]} twice; "
            "give one row per contact (the latest scored)"
        )
    keys = scores["contact_id"].astype("str")
    same_run = bool((pd.to_datetime(previous["as_of"], utc=True) == scores["as_of"].iloc[0]).all())
    if same_run:
        if "score_trend" not in previous.columns:
            return new
        kept = pd.Series(previous["score_trend"].to_numpy(), index=ids.to_numpy())
        return keys.map(kept).fillna("new").astype("str").set_axis(scores.index)
    before = pd.Series(previous["final_score"].to_numpy(dtype="float64"), index=ids.to_numpy())
    old = keys.map(before).to_numpy(dtype="float64", na_value=np.nan)
    delta = scores["final_score"].to_numpy(dtype="float64") - old
    trend = np.select(
        [np.isnan(old), np.abs(delta) < steady_points, delta > 0],
        ["new", "steady", "improving"],
        default="declining",
    )
    return pd.Series(trend, index=scores.index, dtype="str")
