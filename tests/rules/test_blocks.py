"""Scoring in blocks of contacts gives exactly the result of scoring all at once."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rulebook_helpers import AS_OF, tables

from features.crm import CrmTables
from features.events import positions_of
from features.synthetic import DirtConfig, generate_crm
from rules import load_rulebook, score_rulebook

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"
SYNTH_AS_OF = pd.Timestamp("2026-08-01", tz="UTC")


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(DEFAULT)


@pytest.fixture(scope="module")
def crm() -> CrmTables:
    return generate_crm(1200, 11, dirt=DirtConfig.none()).tables


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)
    pd.testing.assert_frame_equal(a.breakdown, b.breakdown, check_exact=True)
    pd.testing.assert_frame_equal(a.accounts, b.accounts, check_exact=True)


@pytest.mark.parametrize("block_size", [1000, 97])
def test_blocks_give_the_one_block_result(crm, rulebook, block_size):
    whole = score_rulebook(crm, rulebook, SYNTH_AS_OF, block_size=None)
    assert len(whole.breakdown) > 1000  # the data exercises many rules
    _same(score_rulebook(crm, rulebook, SYNTH_AS_OF, block_size=block_size), whole)


def test_blocks_with_shuffled_rows_unknown_contacts_and_previous_state(crm, rulebook, caplog):
    rng = np.random.default_rng(5)
    contacts = crm.contacts.take(rng.permutation(len(crm.contacts))).reset_index(drop=True)
    # activities in random order, a fifth of them of contacts left out of the run
    left_out = set(contacts["contact_id"].iloc[:200])
    acts = crm.activities.take(rng.permutation(len(crm.activities))).reset_index(drop=True)
    shuffled = CrmTables(contacts.iloc[200:], crm.accounts, acts, crm.outcomes)
    first = score_rulebook(shuffled, rulebook, SYNTH_AS_OF - pd.Timedelta(days=30))
    with caplog.at_level(logging.INFO, logger="rules.activities"):
        whole = score_rulebook(
            shuffled, rulebook, SYNTH_AS_OF, previous=first.scores, block_size=None
        )
    blocks = score_rulebook(shuffled, rulebook, SYNTH_AS_OF, previous=first.scores, block_size=64)
    _same(blocks, whole)
    ignored = int(acts["contact_id"].isin(left_out).sum())
    assert ignored > 0
    assert f"{ignored} activity rows belong to contacts not being scored" in caplog.text


def test_empty_contact_table_scores_in_blocks(rulebook):
    empty = tables([])
    result = score_rulebook(empty, rulebook, AS_OF, block_size=10)
    assert result.scores.empty and result.breakdown.empty


def test_block_size_below_one_is_rejected(crm, rulebook):
    with pytest.raises(ValueError, match="block_size must be a positive"):
        score_rulebook(crm, rulebook, SYNTH_AS_OF, block_size=0)


def test_positions_of_matches_a_dictionary_lookup():
    index = pd.Index(["c", "a", "b", "d"], dtype="str")
    # runs, a run split in two, unknown ids, nulls inside and at the edges
    values = pd.Series([None, "a", "a", "b", "x", "x", "a", None, None, "d", "d", "c"], dtype="str")
    lookup = {v: i for i, v in enumerate(index)}
    expected = [lookup.get(v, -1) if isinstance(v, str) else -1 for v in values]
    assert positions_of(values, index).tolist() == expected
    # the same ids as a category or as plain objects: the same answer
    assert positions_of(values.astype("category"), index).tolist() == expected
    assert positions_of(values.astype(object), index).tolist() == expected
    # every value different: looked up row by row, same answer
    distinct = pd.Series(["d", "q", "a", "c", "b"], dtype="str")
    assert positions_of(distinct, index).tolist() == [3, -1, 1, 0, 2]
