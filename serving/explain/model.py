"""Flatten a LightGBM booster's trees into numpy arrays the SHAP kernels can walk.

``booster.dump_model()`` is parsed once. Every internal node of every tree gets one slot
in the ``node_*`` arrays and every leaf one slot in the ``leaf_*`` arrays; a tree's nodes
and leaves are contiguous and ``tree_node_start`` / ``tree_leaf_start`` say where each
tree begins. Children are stored as in LightGBM: ``>= 0`` is a node of the same tree
(local index), ``< 0`` is ``~leaf`` (local leaf index). Covers are the training row
counts (``internal_count`` / ``leaf_count``), which is what LightGBM's TreeSHAP uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
_MISSING_CODES = {"None": MISSING_NONE, "Zero": MISSING_ZERO, "NaN": MISSING_NAN}


@dataclass(frozen=True)
class TreeArrays:
    """All trees of one model as flat arrays (see the module docstring for the layout); the
    kernels unpack the arrays in this order (:func:`serving.explain.kernels.model_tuple`)."""

    n_features: int
    feature_names: tuple[str, ...]
    pandas_categorical: list[list[Any]] | None
    tree_node_start: np.ndarray  # (T + 1,) int64
    tree_leaf_start: np.ndarray  # (T + 1,) int64
    tree_max_depth: np.ndarray  # (T,) int64, 0 for a single-leaf tree
    tree_expected: np.ndarray  # (T,) float64, LightGBM's Tree::ExpectedValue
    node_feature: np.ndarray  # (N,) int64, real (input column) feature index
    node_threshold: np.ndarray  # (N,) float64, numerical splits only
    node_is_cat: np.ndarray  # (N,) bool
    node_default_left: np.ndarray  # (N,) bool
    node_missing: np.ndarray  # (N,) int64, MISSING_NONE / MISSING_ZERO / MISSING_NAN
    node_left: np.ndarray  # (N,) int64
    node_right: np.ndarray  # (N,) int64
    node_count: np.ndarray  # (N,) float64
    node_cat_start: np.ndarray  # (N,) int64, first word of the category bitset
    node_cat_len: np.ndarray  # (N,) int64, number of 32-bit words
    cat_words: np.ndarray  # (W,) uint32, all category bitsets
    leaf_value: np.ndarray  # (L,) float64
    leaf_count: np.ndarray  # (L,) float64

    @property
    def n_trees(self) -> int:
        """Number of trees explained."""
        return len(self.tree_max_depth)

    @property
    def expected_value(self) -> float:
        """Sum of the trees' expected values: the last column of ``pred_contrib``."""
        return float(self.tree_expected.sum())


class _Builder:
    """Accumulates nodes, leaves and category bitsets while walking the JSON dump."""

    def __init__(self) -> None:
        self.nodes: list[tuple[Any, ...]] = []
        self.leaves: list[tuple[float, float]] = []
        self.words: list[int] = []

    def add_tree(self, root: dict[str, Any], tree_index: int) -> tuple[int, float]:
        """Append one tree; return its maximum depth and LightGBM's expected value."""
        if "split_index" not in root:  # single-leaf tree: ExpectedValue is its output
            self.leaves.append((float(root["leaf_value"]), float(root.get("leaf_count", 0))))
            return 0, float(root["leaf_value"])
        nodes: list[tuple[Any, ...]] = []
        leaves: list[tuple[int, float, float]] = []
        max_depth = 0
        stack: list[tuple[dict[str, Any], int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            max_depth = max(max_depth, depth)
            if "split_index" in node:
                nodes.append(self._node_row(node, tree_index))
                stack.extend([(node["right_child"], depth + 1), (node["left_child"], depth + 1)])
            else:
                leaf = (int(node["leaf_index"]), float(node["leaf_value"]), node["leaf_count"])
                leaves.append(leaf)
        # Slot i holds split_index i / leaf_index i, so children resolve by local index.
        self.nodes.extend(sorted(nodes, key=lambda row: row[0]))
        leaves.sort()
        self.leaves.extend((value, float(count)) for _, value, count in leaves)
        total = float(root["internal_count"])
        expected = 0.0
        for _, value, count in leaves:  # same order of operations as Tree::ExpectedValue
            expected += (count / total) * value
        return max_depth, expected

    def _node_row(self, node: dict[str, Any], tree_index: int) -> tuple[Any, ...]:
        local = int(node["split_index"])
        if node["decision_type"] not in ("<=", "=="):
            raise ValueError(
                f"tree {tree_index}, node {local}: decision_type {node['decision_type']!r} is "
                "not supported (expected '<=' or '=='); re-train with a standard LightGBM."
            )
        is_cat = node["decision_type"] == "=="
        cat_start, cat_len, threshold = 0, 0, 0.0
        if is_cat:
            cats = [int(c) for c in str(node["threshold"]).split("||") if c != ""]
            bits = [0] * (max(cats) // 32 + 1 if cats else 0)
            for cat in cats:
                bits[cat // 32] |= 1 << (cat % 32)
            cat_start, cat_len = len(self.words), len(bits)
            self.words.extend(bits)
        else:
            threshold = float(node["threshold"])
        return (
            local,
            int(node["split_feature"]),
            threshold,
            is_cat,
            bool(node["default_left"]),
            _MISSING_CODES[node["missing_type"]],
            _child(node["left_child"]),
            _child(node["right_child"]),
            float(node["internal_count"]),
            cat_start,
            cat_len,
        )


def _child(child: dict[str, Any]) -> int:
    """LightGBM's child encoding: a node index, or ``~leaf_index`` for a leaf."""
    if "split_index" in child:
        return int(child["split_index"])
    return ~int(child["leaf_index"])


def parse_booster(booster: lgb.Booster, num_iteration: int | None = None) -> TreeArrays:
    """Parse ``booster.dump_model()`` into :class:`TreeArrays`.

    Args:
        booster: A trained single-output LightGBM model (binary or regression).
        num_iteration: Iterations to explain, as in ``booster.predict``: ``None`` uses the
            best iteration when one was recorded, else all; ``<= 0`` uses all.

    Raises:
        ValueError: The model has several outputs per iteration (multiclass) or linear
            trees, which ``pred_contrib`` explains differently.
    """
    dump = booster.dump_model(num_iteration=num_iteration)
    if int(dump.get("num_tree_per_iteration", 1)) != 1:
        raise ValueError(
            f"model has {dump['num_tree_per_iteration']} trees per iteration (multiclass); "
            "FastTreeShap explains single-output models only: use shap.TreeExplainer."
        )
    builder = _Builder()
    node_start, leaf_start, depths, expected = [0], [0], [], []
    for info in dump["tree_info"]:
        root = info["tree_structure"]
        if "leaf_coeff" in root or info.get("is_linear"):
            raise ValueError("linear_tree models are not supported; pred_contrib ignores them.")
        depth, exp = builder.add_tree(root, int(info["tree_index"]))
        node_start.append(len(builder.nodes))
        leaf_start.append(len(builder.leaves))
        depths.append(depth)
        expected.append(exp)
    cols = list(zip(*builder.nodes, strict=True)) if builder.nodes else [()] * 11
    return TreeArrays(
        n_features=int(dump["max_feature_idx"]) + 1,
        feature_names=tuple(dump["feature_names"]),
        pandas_categorical=dump.get("pandas_categorical"),
        tree_node_start=np.array(node_start, dtype=np.int64),
        tree_leaf_start=np.array(leaf_start, dtype=np.int64),
        tree_max_depth=np.array(depths, dtype=np.int64),
        tree_expected=np.array(expected, dtype=np.float64),
        node_feature=np.array(cols[1], dtype=np.int64),
        node_threshold=np.array(cols[2], dtype=np.float64),
        node_is_cat=np.array(cols[3], dtype=np.bool_),
        node_default_left=np.array(cols[4], dtype=np.bool_),
        node_missing=np.array(cols[5], dtype=np.int64),
        node_left=np.array(cols[6], dtype=np.int64),
        node_right=np.array(cols[7], dtype=np.int64),
        node_count=np.array(cols[8], dtype=np.float64),
        node_cat_start=np.array(cols[9], dtype=np.int64),
        node_cat_len=np.array(cols[10], dtype=np.int64),
        cat_words=np.array(builder.words, dtype=np.uint32),
        leaf_value=np.array([v for v, _ in builder.leaves], dtype=np.float64),
        leaf_count=np.array([c for _, c in builder.leaves], dtype=np.float64),
    )
