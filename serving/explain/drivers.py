"""Parallel numba drivers that explain many rows with one of the two per-tree kernels.

* :func:`shap_per_row`: one kernel call per row and tree.
* :func:`shap_tree_dedup`: per tree, every row is reduced to the bitmask of its decisions
  at the tree's internal nodes; the kernel runs once per distinct bitmask and the results
  are scattered back. Exact, because a tree's SHAP values depend on the row only through
  those decisions. Trees are processed one at a time so each tree's leaf tables stay in
  cache.

``quad`` selects :func:`tree_shap_quad` (quadrature + leaf tables) over :func:`tree_shap`
(LightGBM's O(T L D^2) recursion, the baseline). Both add into ``out[:, :n_features]``;
the caller fills the expected-value column.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from serving.explain.dedup import unique_keys
from serving.explain.kernels import (
    go_left,
    new_quad_workspace,
    new_workspace,
    tree_shap,
    tree_shap_quad,
)

_BLOCK = 64  # rows or patterns per parallel work item


@njit(parallel=True, cache=True)
def shap_per_row(X, m, p, tables, sizes, quad, out):
    """Exact TreeSHAP for every row of ``X`` and every tree (no deduplication)."""
    node_start, feature = m[0], m[2]
    threshold, is_cat, default_left, missing = m[3], m[4], m[5], m[6]
    cat_start, cat_len, cat_words = m[10], m[11], m[12]
    max_depth, max_nodes, max_slots, max_points = sizes
    n_trees = len(node_start) - 1
    n_blocks = (X.shape[0] + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):  # scratch is allocated once per block of rows
        ws = new_workspace(max_depth)
        qws = new_quad_workspace(max_slots, max_points)
        left = np.empty(max(max_nodes, 1), np.bool_)
        # trees outside rows, so each tree's leaf tables stay in cache for the block
        for t in range(n_trees):
            nb, ne = node_start[t], node_start[t + 1]
            for i in range(b * _BLOCK, min(X.shape[0], (b + 1) * _BLOCK)):
                for k in range(nb, ne):
                    x = X[i, feature[k]]
                    left[k - nb] = go_left(
                        x,
                        k,
                        threshold,
                        is_cat,
                        default_left,
                        missing,
                        cat_start,
                        cat_len,
                        cat_words,
                    )
                if quad:
                    tree_shap_quad(t, left, out[i], m, p, qws, tables[0], tables[1])
                else:
                    tree_shap(t, left, out[i], m, ws)


@njit(parallel=True, cache=True)
def _tree_keys(X, m, t, keys, width):
    node_start, feature = m[0], m[2]
    threshold, is_cat, default_left, missing = m[3], m[4], m[5], m[6]
    cat_start, cat_len, cat_words = m[10], m[11], m[12]
    nb, ne = node_start[t], node_start[t + 1]
    for i in prange(X.shape[0]):
        for j in range(width):
            key = np.uint64(0)
            for k in range(nb + 64 * j, min(ne, nb + 64 * j + 64)):
                x = X[i, feature[k]]
                if go_left(
                    x, k, threshold, is_cat, default_left, missing, cat_start, cat_len, cat_words
                ):
                    key |= np.uint64(1) << np.uint64(k - nb - 64 * j)
            keys[i, j] = key


@njit(parallel=True, cache=True)
def _explain_patterns(
    m, p, tables, sizes, quad, t, keys, first, n_unique, feats, n_features, cache
):
    n_local = m[0][t + 1] - m[0][t]
    n_blocks = (n_unique + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):  # scratch is allocated once per block of patterns
        ws = new_workspace(sizes[0])
        qws = new_quad_workspace(sizes[2], sizes[3])
        phi = np.zeros(n_features, np.float64)
        left = np.empty(max(n_local, 1), np.bool_)
        for u in range(b * _BLOCK, min(n_unique, (b + 1) * _BLOCK)):
            row = first[u]
            for j in range(n_local):
                left[j] = (keys[row, j >> 6] >> np.uint64(j & 63)) & np.uint64(1) == 1
            if quad:
                tree_shap_quad(t, left, phi, m, p, qws, tables[0], tables[1])
            else:
                tree_shap(t, left, phi, m, ws)
            for j in range(len(feats)):
                cache[u, j] = phi[feats[j]]
                phi[feats[j]] = 0.0


@njit(parallel=True, cache=True)
def _scatter(out, inverse, feats, cache):
    for i in prange(out.shape[0]):
        u = inverse[i]
        for j in range(len(feats)):
            out[i, feats[j]] += cache[u, j]


@njit(cache=True)
def shap_tree_dedup(X, m, p, tables, sizes, quad, tree_feat_start, tree_feats, out):
    """Exact TreeSHAP, computed once per distinct decision bitmask of each tree.

    Returns:
        ``(T,)`` int64: the number of distinct bitmasks found in each tree.
    """
    node_start, max_nodes = m[0], sizes[1]
    n, n_trees, n_features = X.shape[0], len(node_start) - 1, out.shape[1] - 1
    keys = np.empty((n, max(1, (max_nodes + 63) // 64)), np.uint64)
    inverse = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    n_patterns = np.zeros(n_trees, np.int64)
    for t in range(n_trees):
        n_local = node_start[t + 1] - node_start[t]
        if n_local == 0 or n == 0:
            continue
        width = (n_local + 63) // 64
        _tree_keys(X, m, t, keys, width)
        n_unique = unique_keys(keys, width, inverse, first)
        n_patterns[t] = n_unique
        feats = tree_feats[tree_feat_start[t] : tree_feat_start[t + 1]]
        cache = np.empty((n_unique, len(feats)), np.float64)
        _explain_patterns(
            m, p, tables, sizes, quad, t, keys, first, n_unique, feats, n_features, cache
        )
        _scatter(out, inverse, feats, cache)
    return n_patterns
