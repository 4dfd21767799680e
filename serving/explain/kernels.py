"""numba kernels: LightGBM's split decision and two exact per-tree SHAP kernels.

:func:`tree_shap` (the baseline) is the TreeSHAP recursion (Lundberg); :func:`tree_shap_quad`
is the quadrature form from ``paths.py``, reading precomputed leaf tables where it can.
The recursion is a line-by-line port of LightGBM's ``Tree::TreeSHAP`` (``src/io/tree.cpp``)
made iterative with an explicit stack, so that it compiles in numba's nopython mode. It
takes the decision of every internal node as a precomputed flag array: the SHAP values of
one tree depend on the row only through those decisions, which is what lets the callers
explain each distinct decision pattern once.

The model is passed as the tuple built by :func:`model_tuple`: the arrays of
:class:`~serving.explain.model.TreeArrays` in their declaration order.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
from numba import njit, prange

from serving.explain.model import MISSING_NAN, MISSING_ZERO, TreeArrays

K_ZERO_THRESHOLD = float(np.float32(1e-35))
"""LightGBM's ``kZeroThreshold`` (a float constant): |x| at or below it counts as zero."""

_INT_LIMIT = 2147483648.0  # static_cast<int> leaves int range at 2**31


def packed(table: Any, leave_out: tuple[str, ...] = ()) -> tuple[np.ndarray, ...]:
    """The array fields of the dataclass ``table`` in declaration order, but ``leave_out``:
    the order the kernels unpack them in."""
    values = (getattr(table, f.name) for f in fields(table) if f.name not in leave_out)
    return tuple(v for v in values if isinstance(v, np.ndarray))


def model_tuple(arrays: TreeArrays) -> tuple[np.ndarray, ...]:
    """Pack the arrays the kernels read (all of :class:`TreeArrays` but the per-tree depth
    and expected value), in the order the kernels unpack them."""
    return packed(arrays, leave_out=("tree_max_depth", "tree_expected"))


@njit(cache=True, inline="always")
def go_left(x, k, threshold, is_cat, default_left, missing, cat_start, cat_len, cat_words):
    """LightGBM's ``Tree::Decision`` for value ``x`` at global node ``k``: True = left.

    The arrays are the model tuple's entries 3, 4, 5, 6, 10, 11 and 12.
    """
    if is_cat[k]:
        # static_cast<int>(x) truncates; on x86-64 NaN and |x| >= 2**31 give INT_MIN,
        # and every negative category goes right.
        if not (x > -1.0 and x < _INT_LIMIT):
            return False
        cat = np.int64(x)
        word = cat >> 5
        if word >= cat_len[k]:
            return False
        return (np.int64(cat_words[cat_start[k] + word]) >> (cat & 31)) & 1 == 1
    if x != x:
        if missing[k] == MISSING_NAN:
            return default_left[k]
        x = 0.0
    if missing[k] == MISSING_ZERO and x >= -K_ZERO_THRESHOLD and x <= K_ZERO_THRESHOLD:
        return default_left[k]
    return x <= threshold[k]


@njit(cache=True, inline="always")
def _extend(pf, pz, po, pw, off, depth, zero_fraction, one_fraction, feature):
    pf[off + depth] = feature
    pz[off + depth] = zero_fraction
    po[off + depth] = one_fraction
    pw[off + depth] = 1.0 if depth == 0 else 0.0
    for i in range(depth - 1, -1, -1):
        pw[off + i + 1] += one_fraction * pw[off + i] * (i + 1) / (depth + 1)
        pw[off + i] = zero_fraction * pw[off + i] * (depth - i) / (depth + 1)


@njit(cache=True, inline="always")
def _unwind(pf, pz, po, pw, off, depth, path_index):
    one_fraction = po[off + path_index]
    zero_fraction = pz[off + path_index]
    next_one_portion = pw[off + depth]
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = pw[off + i]
            pw[off + i] = next_one_portion * (depth + 1) / ((i + 1) * one_fraction)
            next_one_portion = tmp - pw[off + i] * zero_fraction * (depth - i) / (depth + 1)
        else:
            pw[off + i] = (pw[off + i] * (depth + 1)) / (zero_fraction * (depth - i))
    for i in range(path_index, depth):
        pf[off + i] = pf[off + i + 1]
        pz[off + i] = pz[off + i + 1]
        po[off + i] = po[off + i + 1]


@njit(cache=True, inline="always")
def _unwound_sum(pz, po, pw, off, depth, path_index):
    one_fraction = po[off + path_index]
    zero_fraction = pz[off + path_index]
    next_one_portion = pw[off + depth]
    total = 0.0
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = next_one_portion * (depth + 1) / ((i + 1) * one_fraction)
            total += tmp
            next_one_portion = pw[off + i] - tmp * zero_fraction * ((depth - i) / (depth + 1))
        else:
            total += (pw[off + i] / zero_fraction) / ((depth - i) / (depth + 1))
    return total


@njit(cache=True)
def new_workspace(max_depth):
    """Scratch arrays for :func:`tree_shap`, sized for trees up to ``max_depth`` deep."""
    path_len = (max_depth + 2) * (max_depth + 3) // 2
    stack_len = 2 * max_depth + 4
    path_feature = np.empty(path_len, np.int64)
    path_floats = np.empty((3, path_len), np.float64)
    stack_ints = np.empty((4, stack_len), np.int64)
    stack_floats = np.empty((2, stack_len), np.float64)
    return path_feature, path_floats, stack_ints, stack_floats


@njit(cache=True, inline="always")
def _cover(child, node_base, leaf_base, node_count, leaf_count):
    if child >= 0:
        return node_count[node_base + child]
    return leaf_count[leaf_base + ~child]


@njit(cache=True)
def tree_shap(t, left, phi, m, ws):
    """Add tree ``t``'s SHAP values to ``phi`` given each node's decision in ``left``.

    Args:
        t: Tree index.
        left: ``left[j]`` is True when the row goes left at the tree's node ``j``.
        phi: Row of contributions indexed by feature; updated in place.
        m: The model tuple from :func:`model_tuple`.
        ws: A workspace from :func:`new_workspace`.
    """
    node_start, leaf_start, feature = m[0], m[1], m[2]
    left_child, right_child, node_count = m[7], m[8], m[9]
    leaf_value, leaf_count = m[13], m[14]
    pf, floats, s_int, s_float = ws
    pz, po, pw = floats[0], floats[1], floats[2]
    nb, lb = node_start[t], leaf_start[t]
    if node_start[t + 1] == nb:  # single-leaf tree: only the expected value
        return
    s_int[0, 0], s_int[1, 0], s_int[2, 0], s_int[3, 0] = 0, 0, 0, -1
    s_float[0, 0], s_float[1, 0] = 1.0, 1.0
    sp = 1
    while sp > 0:
        sp -= 1
        node, depth, parent_off = s_int[0, sp], s_int[1, sp], s_int[2, sp]
        off = parent_off + depth
        for i in range(depth):
            pf[off + i] = pf[parent_off + i]
            pz[off + i] = pz[parent_off + i]
            po[off + i] = po[parent_off + i]
            pw[off + i] = pw[parent_off + i]
        _extend(pf, pz, po, pw, off, depth, s_float[0, sp], s_float[1, sp], s_int[3, sp])
        if node < 0:
            value = leaf_value[lb + ~node]
            for i in range(1, depth + 1):
                w = _unwound_sum(pz, po, pw, off, depth, i)
                phi[pf[off + i]] += w * (po[off + i] - pz[off + i]) * value
            continue
        k = nb + node
        if left[node]:
            hot, cold = left_child[k], right_child[k]
        else:
            hot, cold = right_child[k], left_child[k]
        w = node_count[k]
        hot_zero = _cover(hot, nb, lb, node_count, leaf_count) / w
        cold_zero = _cover(cold, nb, lb, node_count, leaf_count) / w
        incoming_zero, incoming_one = 1.0, 1.0
        split = feature[k]
        path_index = 0
        while path_index <= depth and pf[off + path_index] != split:
            path_index += 1
        if path_index != depth + 1:
            incoming_zero, incoming_one = pz[off + path_index], po[off + path_index]
            _unwind(pf, pz, po, pw, off, depth, path_index)
            depth -= 1
        # cold is pushed first so that hot runs first, as in LightGBM's recursion
        s_int[0, sp], s_int[1, sp], s_int[2, sp], s_int[3, sp] = cold, depth + 1, off, split
        s_float[0, sp], s_float[1, sp] = cold_zero * incoming_zero, 0.0
        sp += 1
        s_int[0, sp], s_int[1, sp], s_int[2, sp], s_int[3, sp] = hot, depth + 1, off, split
        s_float[0, sp], s_float[1, sp] = hot_zero * incoming_zero, incoming_one
        sp += 1


@njit(cache=True)
def new_quad_workspace(max_slots, max_points):
    """Scratch arrays for :func:`tree_shap_quad`."""
    size = max(max_slots, 1) + 1
    ones = np.empty(size, np.float64)
    prefix = np.empty((size, max(max_points, 1)), np.float64)
    values = np.empty(size, np.float64)
    return ones, prefix, values


@njit(cache=True)
def leaf_contributions(leaf, ones, p, qws, values):
    """``values[j]``: what ``leaf`` adds to its ``j``-th distinct path feature, given
    ``ones[j]`` (1.0 if the row follows all that feature's splits on the path, else 0.0);
    the leaf value is not yet applied."""
    slot_start, slot_zero, quad_t, quad_w = p[4], p[6], p[7], p[8]
    prefix = qws[1]
    s0 = slot_start[leaf]
    d = slot_start[leaf + 1] - s0
    n_points = (d + 1) // 2
    ts, ws = quad_t[n_points], quad_w[n_points]
    for q in range(n_points):  # prefix[j, q] = prod_{k < j} f_k(t_q)
        prefix[0, q] = 1.0
    for j in range(d):
        z, o = slot_zero[s0 + j], ones[j]
        for q in range(n_points):
            prefix[j + 1, q] = prefix[j, q] * (z + (o - z) * ts[q])
    for q in range(n_points):  # reuse the last row for w_q * prod_{k > j} f_k(t_q)
        prefix[d, q] = ws[q]
    for j in range(d - 1, -1, -1):
        z, o = slot_zero[s0 + j], ones[j]
        total = 0.0
        for q in range(n_points):
            total += prefix[d, q] * prefix[j, q]
            prefix[d, q] *= z + (o - z) * ts[q]
        values[j] = (o - z) * total


@njit(cache=True)
def tree_shap_quad(t, left, phi, m, p, qws, table_start, table):
    """Same result as :func:`tree_shap`, by exact quadrature (see ``paths.py``).

    Leaves with a precomputed table (``table_start[leaf] >= 0``, one row of values per
    pattern of followed/not-followed path features) are looked up instead of computed.
    """
    leaf_start, leaf_value = m[1], m[13]
    step_start, step_node, step_left, step_slot = p[0], p[1], p[2], p[3]
    slot_start, slot_feature = p[4], p[5]
    ones, values = qws[0], qws[2]
    if m[0][t + 1] == m[0][t]:
        return
    for leaf in range(leaf_start[t], leaf_start[t + 1]):
        s0 = slot_start[leaf]
        d = slot_start[leaf + 1] - s0
        if table_start[leaf] >= 0:
            pattern = (1 << d) - 1
            for s in range(step_start[leaf], step_start[leaf + 1]):
                if left[step_node[s]] != step_left[s]:
                    pattern &= ~(1 << step_slot[s])
            base = table_start[leaf] + pattern * d
            for j in range(d):
                phi[slot_feature[s0 + j]] += table[base + j]
            continue
        for j in range(d):
            ones[j] = 1.0
        for s in range(step_start[leaf], step_start[leaf + 1]):
            if left[step_node[s]] != step_left[s]:
                ones[step_slot[s]] = 0.0
        leaf_contributions(leaf, ones, p, qws, values)
        value = leaf_value[leaf]
        for j in range(d):
            phi[slot_feature[s0 + j]] += value * values[j]


@njit(parallel=True, cache=True)
def fill_leaf_tables(leaf_value, p, max_slots, table_start, table):
    """Precompute every pattern's contributions for the leaves that have a table."""
    slot_start = p[4]
    for leaf in prange(len(table_start)):
        if table_start[leaf] < 0:
            continue
        qws = new_quad_workspace(max_slots, (max_slots + 1) // 2)
        ones, values = qws[0], qws[2]
        d = slot_start[leaf + 1] - slot_start[leaf]
        for pattern in range(1 << d):
            for j in range(d):
                ones[j] = float((pattern >> j) & 1)
            leaf_contributions(leaf, ones, p, qws, values)
            base = table_start[leaf] + pattern * d
            for j in range(d):
                table[base + j] = leaf_value[leaf] * values[j]
