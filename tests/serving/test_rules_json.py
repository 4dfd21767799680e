"""top_rules cells against a per-contact sort, on a hand-made breakdown with ties."""

import json

import numpy as np
import pandas as pd
import pytest

from serving.reasons import rules_json

RULES = ["r0", "r1", "r2", "r3", "r4"]


def _breakdown(rows: list[tuple[int, str, str, float]], n_contacts: int) -> pd.DataFrame:
    pos, scale, rule, points = zip(*rows, strict=True)
    ids = [f"c{i}" for i in range(n_contacts)]
    return pd.DataFrame(
        {
            "contact_id": pd.Categorical.from_codes(list(pos), categories=ids),
            "scale": pd.Categorical(scale, categories=["main", "emea"]),
            "rule": pd.Categorical(rule, categories=RULES),
            "points_after_caps": np.asarray(points, dtype=float),
        }
    )


def _expected(rows, contact: int, k: int) -> list[tuple[str, float]]:
    mine = [(r, p) for c, s, r, p in rows if c == contact and s == "main" and p != 0]
    mine.sort(key=lambda rp: (-abs(rp[1]), RULES.index(rp[0])))  # ties: rulebook order
    return mine[:k]


@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_top_rules_are_the_k_largest_per_contact_ties_in_rulebook_order(k):
    rows = [  # listed rule by rule, as the scorer does, with contacts ascending within
        (0, "main", "r0", 5.0), (2, "main", "r0", -3.0), (3, "main", "r0", 0.0),
        (0, "main", "r1", -5.0), (1, "main", "r1", 2.5), (2, "main", "r1", 3.0),
        (0, "main", "r2", 1.0), (2, "main", "r2", 10.0), (4, "main", "r2", 7.0),
        (0, "main", "r3", 5.0), (1, "main", "r3", 2.5), (2, "main", "r3", -0.5),
        (0, "emea", "r4", 99.0), (1, "emea", "r4", -99.0), (2, "main", "r4", 3.0),
    ]  # fmt: skip
    cells, pos, rule, points = rules_json(_breakdown(rows, 5), 5, "main", k)
    for contact in range(5):
        got = [(e["rule"], e["points"]) for e in json.loads(cells.iloc[contact])]
        assert got == _expected(rows, contact, k)
    # the chosen rows come by contact, then largest first
    assert list(pos) == sorted(pos)
    assert len(rule) == len(points) == sum(len(_expected(rows, c, k)) for c in range(5))


def test_no_rows_gives_empty_lists():
    frame = _breakdown([(0, "emea", "r0", 1.0)], 2)
    cells, pos, _, _ = rules_json(frame, 2, "main", 3)
    assert [json.loads(c) for c in cells] == [[], []]
    assert pos.size == 0
