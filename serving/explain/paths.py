"""Per-leaf root paths for the quadrature form of TreeSHAP (an O(T L D) algorithm).

For path-dependent TreeSHAP, leaf ``l`` with value ``v`` and distinct path features
``U`` adds to feature ``i`` in ``U``::

    v * (o_i - z_i) * integral_0^1 prod_{j in U, j != i} (z_j + (o_j - z_j) t) dt

where ``z_j`` is the product of the cover ratios of ``j``'s splits on the path and
``o_j`` is 1 when the row follows all of them, else 0. This is the Shapley weight
``k! (d-1-k)! / d! = integral t^k (1-t)^(d-1-k) dt`` summed over coalitions, the identity
behind Linear TreeSHAP (Yu et al., 2022). The integrand has degree ``d - 1``, so
Gauss-Legendre quadrature with ``ceil(d / 2)`` points is exact. Only ``o_j`` depends on
the row, so everything else is precomputed here, once per model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from serving.explain.model import TreeArrays


@dataclass(frozen=True)
class LeafPaths:
    """Flat per-leaf path tables (leaves indexed as in ``TreeArrays.leaf_*``), the arrays in
    the order the quadrature kernel unpacks them (:func:`serving.explain.kernels.packed`)."""

    step_start: np.ndarray  # (L + 1,) into step_* : the splits on the leaf's path
    step_node: np.ndarray  # local node index of the split
    step_left: np.ndarray  # True when the path goes left there
    step_slot: np.ndarray  # which distinct feature of the leaf the split belongs to
    slot_start: np.ndarray  # (L + 1,) into slot_* : the leaf's distinct features
    slot_feature: np.ndarray
    slot_zero: np.ndarray  # z_j, product of cover ratios along the path
    quad_t: np.ndarray  # (Q + 1, Q) Gauss-Legendre nodes on [0, 1], row q has q points
    quad_w: np.ndarray  # (Q + 1, Q) matching weights
    max_slots: int


def _gauss_tables(max_points: int) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.zeros((max_points + 1, max(max_points, 1)))
    weights = np.zeros_like(nodes)
    for q in range(1, max_points + 1):
        x, w = np.polynomial.legendre.leggauss(q)
        nodes[q, :q], weights[q, :q] = (x + 1.0) / 2.0, w / 2.0
    return nodes, weights


def _cover(arrays: TreeArrays, t: int, child: int) -> float:
    if child >= 0:
        return float(arrays.node_count[arrays.tree_node_start[t] + child])
    return float(arrays.leaf_count[arrays.tree_leaf_start[t] + ~child])


def leaf_paths(arrays: TreeArrays) -> LeafPaths:
    """Walk every root-to-leaf path once and tabulate it for the quadrature kernel."""
    n_leaves = len(arrays.leaf_value)
    steps: list[list[tuple[int, bool, int]]] = [[] for _ in range(n_leaves)]
    slots: list[list[tuple[int, float]]] = [[] for _ in range(n_leaves)]
    for t in range(arrays.n_trees):
        nb, lb = int(arrays.tree_node_start[t]), int(arrays.tree_leaf_start[t])
        if arrays.tree_node_start[t + 1] == nb:
            continue
        stack: list[tuple[int, list[tuple[int, bool, int]], list[tuple[int, float]]]]
        stack = [(0, [], [])]
        while stack:
            node, path, feats = stack.pop()
            if node < 0:
                steps[lb + ~node], slots[lb + ~node] = path, feats
                continue
            k = nb + node
            feature, count = int(arrays.node_feature[k]), float(arrays.node_count[k])
            names = [f for f, _ in feats]
            for child, went_left in (
                (int(arrays.node_left[k]), True),
                (int(arrays.node_right[k]), False),
            ):
                ratio = _cover(arrays, t, child) / count
                new_feats = list(feats)
                if feature in names:
                    slot = names.index(feature)
                    new_feats[slot] = (feature, new_feats[slot][1] * ratio)
                else:
                    slot = len(new_feats)
                    new_feats.append((feature, ratio))
                stack.append((child, [*path, (node, went_left, slot)], new_feats))
    max_slots = max((len(s) for s in slots), default=0)
    quad_t, quad_w = _gauss_tables((max_slots + 1) // 2)
    return LeafPaths(
        step_start=np.cumsum([0] + [len(s) for s in steps], dtype=np.int64),
        step_node=np.array([n for s in steps for n, _, _ in s], dtype=np.int64),
        step_left=np.array([g for s in steps for _, g, _ in s], dtype=np.bool_),
        step_slot=np.array([j for s in steps for _, _, j in s], dtype=np.int64),
        slot_start=np.cumsum([0] + [len(s) for s in slots], dtype=np.int64),
        slot_feature=np.array([f for s in slots for f, _ in s], dtype=np.int64),
        slot_zero=np.array([z for s in slots for _, z in s], dtype=np.float64),
        quad_t=quad_t,
        quad_w=quad_w,
        max_slots=max_slots,
    )


def leaf_table_starts(
    paths: LeafPaths, max_slots: int = 10, budget: int = 16_000_000
) -> np.ndarray:
    """Offsets of each leaf's pattern table (``-1``: computed on the fly instead).

    A leaf with ``d`` distinct path features needs ``2**d * d`` floats. Leaves get a table
    in order of increasing ``d`` while ``d <= max_slots`` and the total stays within
    ``budget`` floats (16M = 128 MB by default).
    """
    sizes = np.diff(paths.slot_start)
    entries = (2**sizes) * sizes
    starts = np.full(len(sizes), -1, dtype=np.int64)
    offset = 0
    for leaf in np.argsort(sizes, kind="stable"):
        if sizes[leaf] > max_slots or offset + entries[leaf] > budget:
            break
        starts[leaf] = offset
        offset += int(entries[leaf])
    return starts
