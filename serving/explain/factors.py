"""The strongest factors up and down per row of a SHAP matrix: plain numpy.

Apart from :mod:`serving.explain.explainer` so that explaining one lead (LightGBM's own
``pred_contrib``) does not import numba's kernels.
"""

from __future__ import annotations

import numpy as np


def top_factors(
    contributions: np.ndarray, k: int = 3, lift: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` features pushing each row's score up most, and the ``k`` pushing it down.

    Args:
        contributions: ``(n, n_features + 1)`` output of ``shap_values`` (the last,
            expected-value column is ignored).
        k: Factors per direction.
        lift: ``(n, n_features)`` conversion rate of each value over the average
            (:meth:`serving.reason_rates.ReasonRates.lift_matrix`), or None. Given, a
            factor counts up only when its lift is above 1 and down only when it is below
            1: a reason never says "converts 1.3x the average" of a factor that lowers
            the score (SHAP weighs a value given the lead's other values, the rate does
            not), and the next factor whose rate agrees takes its place.

    Returns:
        ``(idx_pos, val_pos, idx_neg, val_neg)``, each ``(n, k)``: feature indices and
        contributions, strongest first (ties: lower feature index first). Slots without a
        strictly positive (negative) contribution hold index -1 and value 0.0.

    Raises:
        ValueError: ``k`` is below 1 or ``contributions`` is not 2-D.
    """
    if k < 1 or contributions.ndim != 2:
        raise ValueError(
            f"top_factors needs k >= 1 and a 2-D contribution matrix, got k={k} and shape "
            f"{contributions.shape}."
        )
    phi = contributions[:, :-1]
    if lift is not None and lift.shape != phi.shape:
        raise ValueError(f"top_factors: lift has shape {lift.shape}, expected {phi.shape}")
    k_eff = min(k, phi.shape[1])
    result: list[np.ndarray] = []
    for sign in (1.0, -1.0):
        agrees = phi if lift is None else np.where(sign * (lift - 1.0) > 0, phi, 0.0)
        order = np.argsort(-sign * agrees, axis=1, kind="stable")[:, :k_eff]
        values = np.take_along_axis(agrees, order, axis=1)
        keep = sign * values > 0
        idx = np.full((phi.shape[0], k), -1, dtype=np.int64)
        val = np.zeros((phi.shape[0], k), dtype=np.float64)
        idx[:, :k_eff] = np.where(keep, order, -1)
        val[:, :k_eff] = np.where(keep, values, 0.0)
        result.extend([idx, val])
    return result[0], result[1], result[2], result[3]
