"""Find rows that make the same decisions, so each distinct pattern is explained once.

Two levels, both exact:

* :func:`decision_codes` quantises every feature the model splits on to the interval
  between the model's sorted thresholds (plus codes for zero and NaN where a split treats
  them specially, and the category for categorical features). Two rows with equal codes go
  the same way at every node of every tree, hence get identical SHAP values.
* :func:`unique_keys` deduplicates any ``uint64`` key matrix (those codes, or the bitmask
  of one tree's node decisions) with an open-addressing hash table that compares whole
  keys, so collisions never merge different rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from serving.explain.model import MISSING_NAN, MISSING_ZERO, TreeArrays

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT = np.uint64(31)


@njit(cache=True)
def _hash(keys, i, width):
    h = _MIX
    for j in range(width):
        h = (h ^ keys[i, j]) * _MUL
        h ^= h >> _SHIFT
    return h


@njit(cache=True)
def _same(keys, a, b, width):
    for j in range(width):  # noqa: SIM110 (numba has no generator all())
        if keys[a, j] != keys[b, j]:
            return False
    return True


@njit(cache=True)
def unique_keys(keys, width, inverse, first):
    """Deduplicate the rows of ``keys[:, :width]`` in first-seen order.

    Args:
        keys: ``(n, >= width)`` uint64 matrix.
        width: Number of leading columns that form the key.
        inverse: ``(n,)`` int64 output: the unique index of each row.
        first: ``(>= n,)`` int64 output: ``first[u]`` is the first row with key ``u``.

    Returns:
        The number of unique keys.
    """
    n = keys.shape[0]
    cap = 1024
    table = np.full(cap, -1, np.int64)
    hashes = np.empty(max(n, 1), np.uint64)
    n_unique = 0
    for i in range(n):
        h = _hash(keys, i, width)
        slot = np.int64(h & np.uint64(cap - 1))
        while True:
            u = table[slot]
            if u == -1:
                table[slot] = n_unique
                first[n_unique] = i
                hashes[n_unique] = h
                inverse[i] = n_unique
                n_unique += 1
                break
            if hashes[u] == h and _same(keys, first[u], i, width):
                inverse[i] = u
                break
            slot = (slot + 1) & (cap - 1)
        if 2 * n_unique > cap:  # keep the load factor under 1/2
            cap *= 4
            table = np.full(cap, -1, np.int64)
            for u in range(n_unique):
                slot = np.int64(hashes[u] & np.uint64(cap - 1))
                while table[slot] != -1:
                    slot = (slot + 1) & (cap - 1)
                table[slot] = u
    return n_unique


def _numeric_codes(x: np.ndarray, arrays: TreeArrays, nodes: np.ndarray) -> np.ndarray:
    thresholds = np.unique(arrays.node_threshold[nodes])
    missing = arrays.node_missing[nodes]
    nan_rows = np.isnan(x)
    nan_special = bool((missing == MISSING_NAN).any())
    x0 = np.where(nan_rows, 0.0, x)  # LightGBM treats NaN as 0 unless missing_type is NaN
    codes = np.searchsorted(thresholds, x0, side="left").astype(np.int64)
    if (missing == MISSING_ZERO).any():  # inputs are already snapped: zero means == 0
        codes = 2 * codes + (x0 == 0.0)
    if nan_special:
        codes[nan_rows] = -1
    return codes


def _categorical_codes(x: np.ndarray, arrays: TreeArrays, nodes: np.ndarray) -> np.ndarray:
    max_cat = int(32 * arrays.node_cat_len[nodes].max()) - 1
    valid = (x > -1.0) & (x < 2147483648.0)  # NaN fails both: it always goes right
    codes = np.where(valid, np.trunc(np.where(valid, x, 0.0)), -1).astype(np.int64)
    codes[codes > max_cat] = -1  # beyond every bitset: goes right like a negative
    return codes


def decision_codes(X: np.ndarray, arrays: TreeArrays) -> np.ndarray:
    """Quantise ``X`` (the ``(n, n_features)`` float64 matrix of ``serving.explain.inputs``)
    so that equal rows of the result make equal decisions in every tree of ``arrays``.

    Returns:
        ``(n, ceil(n_used / 2))`` uint64 keys: the int32 codes of the features the model
        splits on, two per word.
    """
    used = np.unique(arrays.node_feature)
    codes = np.zeros((X.shape[0], max(2, 2 * ((len(used) + 1) // 2))), dtype=np.int32)
    for col, feature in enumerate(used):
        nodes = np.flatnonzero(arrays.node_feature == feature)
        cat = arrays.node_is_cat[nodes]
        if cat.any() and not cat.all():
            raise ValueError(
                f"feature {feature} is split both as categorical and numerical; "
                "this model cannot be deduplicated, call shap_values(dedup_rows=False)."
            )
        x = X[:, feature]
        code_fn = _categorical_codes if cat.all() else _numeric_codes
        codes[:, col] = code_fn(x, arrays, nodes)
    return codes.view(np.uint64)
