"""The fingerprint of a flat-export scorer's training ids: membership, no raw id stored,
8 bytes a lead beside the run configuration, and the inline form older scorers kept."""

import base64
import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from models.config import TrainConfig
from serving.run_config import RulebookRef, RunConfig
from serving.training_ids import TrainingIds, id_digests

IDS = ["7927b2df-8bba-4d29-b9a2-b6e0beafe620", "lead-2", "lead-3", "lead-2"]


def _blake(text: str) -> bytes:
    """The 8-byte personalised BLAKE2b of ``text`` (independently of the module)."""
    return hashlib.blake2b(text.encode(), digest_size=8, person=b"leadscore-ids").digest()


def test_membership_is_exact_for_the_ids_given_and_no_other():
    ids = TrainingIds.of(IDS)
    assert ids.count == 3  # the repeat counts once
    asked = pd.Series(["lead-3", "lead-4", IDS[0], "LEAD-2", "lead-2"], dtype="string")
    assert ids.contains(asked).tolist() == [True, False, True, False, True]
    assert TrainingIds.of([]).contains(asked).tolist() == [False] * 5


def test_a_digest_is_the_8_byte_blake2b_of_the_id_text_stored_sorted_in_8_bytes():
    assert int(id_digests(["lead-2"])[0]) == int.from_bytes(_blake("lead-2"), "big")
    ids = TrainingIds.of(IDS)
    expected = sorted(int.from_bytes(_blake(i), "big") for i in set(IDS))
    assert ids.digests.dtype == np.uint64 and ids.digests.tolist() == expected
    assert ids.digests.nbytes == 24  # 3 distinct ids, 8 bytes each


def test_the_stored_fingerprint_holds_digests_not_ids():
    stored = pickle.dumps(TrainingIds.of(IDS))  # as the scorer's pickle holds it
    assert not any(i.encode() in stored for i in IDS)
    assert pickle.loads(stored).contains(pd.Series(IDS)).all()


def _run(**extra: object) -> dict:
    run = RunConfig(
        framing="flat",
        train=TrainConfig(),
        rulebook=RulebookRef(name="empty", version="1", source="empty.yaml", empty=True),
        tracking_uri="sqlite:///unused.db",
    )
    return {**run.model_dump(mode="json"), **extra}


def _inline(ids: list[str]) -> dict:
    """The inline form older scorers kept, built by hand: sorted big-endian, base64."""
    raw = b"".join(sorted({_blake(i) for i in ids}))
    return {
        "algorithm": "blake2b-8",
        "count": len(raw) // 8,
        "digests": base64.b64encode(raw).decode(),
    }


def test_the_run_configuration_has_no_fingerprint_and_an_old_one_loads_without_it():
    assert "training_ids" not in _run()
    old = _run(training_ids=_inline(IDS))  # a run_config.json from before
    again = RunConfig.model_validate(json.loads(json.dumps(old)))
    assert "training_ids" not in again.model_dump()


def test_an_inline_fingerprint_of_an_older_scorer_is_read():
    ids = TrainingIds.from_inline(_inline(IDS))
    assert ids.count == 3
    assert ids.digests.tolist() == TrainingIds.of(IDS).digests.tolist()
    asked = pd.Series(["lead-3", "lead-4", IDS[0]], dtype="string")
    assert ids.contains(asked).tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("stored", "match"),
    [
        ({**_inline(IDS), "algorithm": "sha1"}, "made with 'sha1'"),
        ({**_inline(IDS), "digests": "not base64!"}, "not base64"),
        ({**_inline(IDS), "count": 4}, "24 bytes, not 4 digests"),
    ],
)
def test_an_unreadable_inline_fingerprint_says_to_retrain(stored, match):
    with pytest.raises(ValueError, match=f"{match}.*retrain the scorer"):
        TrainingIds.from_inline(stored)
