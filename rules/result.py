"""The scorer's result: per-contact scores, the long rule breakdown and the account roll-up."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rules.block import BlockRows, BlockScores, Layout, index_dtype

BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "scale",
    "rule",
    "category",
    "value",
    "points_raw",
    "points_after_decay",
    "points_after_caps",
)


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`rules.score_rulebook` returns.

    Attributes:
        scores: One row per contact: ``contact_id``, ``total`` (primary scale), one column
            per scale, ``<scale>_level`` for scales with thresholds, ``fit`` and
            ``engagement`` (sums of the fit / engagement categories on the primary scale after
            decay and category caps, before the total cap and gate), ``grade``, ``stage``,
            ``excluded_reason`` (categoricals), ``rulebook``, ``rulebook_version``,
            ``as_of``. Pass it as ``previous`` to the next run.
        breakdown: Long format, one row per (contact, scale, rule that fired):
            ``contact_id`` (categorical), ``scale``, ``rule``, ``category``, ``value`` (band
            measure or number of scoring activities; NaN for criteria), ``points_raw``,
            ``points_after_decay``, ``points_after_caps``. Per contact and scale,
            ``points_after_caps`` adds up to the scale total.
        accounts: Account roll-up (see :func:`rules.accounts.roll_up_accounts`) with
            ``rulebook``, ``rulebook_version`` and ``as_of``, or None without ``accounts:``.
        rulebook_name: Name of the rulebook used.
        rulebook_version: Its version (recorded with every score).
        as_of: The scoring date (UTC).
        cuts: What caps and gates cut, one row per (contact, scale, cut): ``contact_id``,
            ``scale``, ``cut`` (``cap <category>``, ``total cap``, ``gate <name>``),
            ``before``, ``after`` (the sums on either side, e.g. 127.5 -> 69).
        unparsed: Per ``extra_columns`` column, how many given values did not parse as
            the declared type (``"maybe"`` in a bool column) and were read as missing.
    """

    scores: pd.DataFrame
    breakdown: pd.DataFrame
    accounts: pd.DataFrame | None
    rulebook_name: str
    rulebook_version: str
    as_of: pd.Timestamp
    cuts: pd.DataFrame | None = None
    unparsed: dict[str, int] = field(default_factory=dict)


CUT_COLUMNS: tuple[str, ...] = ("contact_id", "scale", "cut", "before", "after")


def cuts_frame(ids: pd.Index, starts: list[int], blocks: list[BlockScores]) -> pd.DataFrame:
    """Every cap and gate cut of every block, with contact ids (see :class:`ScoreResult`)."""
    rows = [
        (ids[where + offset], scale, label, before, after)
        for block, offset in zip(blocks, starts, strict=True)
        for scale, label, where, before, after in block.cuts
    ]
    if not rows:
        dtypes = {c: "float64" if c in {"before", "after"} else "str" for c in CUT_COLUMNS}
        return pd.DataFrame({c: pd.Series(dtype=dtype) for c, dtype in dtypes.items()})
    return pd.DataFrame(
        {
            "contact_id": np.concatenate([np.asarray(r[0], dtype=object) for r in rows]),
            "scale": np.concatenate([np.full(len(r[3]), r[1], dtype=object) for r in rows]),
            "cut": np.concatenate([np.full(len(r[3]), r[2], dtype=object) for r in rows]),
            "before": np.concatenate([r[3] for r in rows]).astype(float),
            "after": np.concatenate([r[4] for r in rows]).astype(float),
        }
    )


def _categorical(codes: np.ndarray, names: list[str] | pd.Index) -> pd.Categorical:
    index = names if isinstance(names, pd.Index) else pd.Index(names)
    return pd.Categorical.from_codes(
        codes, categories=index if index.dtype == "str" else index.astype("str")
    )


def breakdown_frame(
    ids: pd.Index,
    starts: list[int],
    blocks: list[BlockScores],
    layout: Layout,
) -> pd.DataFrame:
    """Assemble the long breakdown from the blocks' rows (categoricals keep it compact).

    Rows come grouped by scale, then rule (rulebook order), contacts ascending within; the
    order is deterministic and does not depend on the block size. Sorting by contact would
    cost more than it helps: filter instead. ``ids`` are all contact ids in scoring order,
    ``starts`` the position of each block's first contact (``blocks`` in contact order).
    """
    n_rules = len(layout.rule_names)
    pieces: list[tuple[BlockRows, int, int, int]] = []  # rows, offset, first, end
    scale_of: list[int] = []
    for s_i, scale in enumerate(layout.scale_names):
        segments = [np.searchsorted(b.rows[scale].rule, np.arange(n_rules + 1)) for b in blocks]
        for r in range(n_rules):
            for b, offset, seg in zip(blocks, starts, segments, strict=True):
                if seg[r + 1] > seg[r]:
                    pieces.append((b.rows[scale], offset, int(seg[r]), int(seg[r + 1])))
                    scale_of.append(s_i)
    sizes = np.array([end - first for _, _, first, end in pieces], dtype=np.int64)
    pos_type = np.int32 if len(ids) < 2**31 else np.int64

    def column(name: str) -> np.ndarray:
        parts = [getattr(rows, name)[first:end] for rows, _, first, end in pieces]
        return np.concatenate(parts) if parts else np.zeros(0)

    pos = (
        np.concatenate(
            [rows.pos[first:end].astype(pos_type) + offset for rows, offset, first, end in pieces]
        )
        if pieces
        else np.zeros(0, dtype=pos_type)
    )
    code_type = index_dtype(max(n_rules, len(layout.scale_names)))
    rule_idx = column("rule").astype(code_type)
    return pd.DataFrame(  # copy=False: no consolidation copy of tens of millions of rows
        {
            "contact_id": _categorical(pos, ids),
            "scale": _categorical(
                np.repeat(np.asarray(scale_of, dtype=code_type), sizes), layout.scale_names
            ),
            "rule": _categorical(rule_idx, layout.rule_names),
            "category": _categorical(layout.cat_of_rule[rule_idx], layout.categories),
            "value": column("value").astype(float, copy=False),
            "points_raw": column("raw").astype(float, copy=False),
            "points_after_decay": column("decayed").astype(float, copy=False),
            "points_after_caps": column("capped").astype(float, copy=False),
        },
        copy=False,
    )
