"""The fingerprint of a flat-export scorer's training ids: membership, no raw id stored."""

import hashlib
import json

import pandas as pd
import pytest

from models.config import TrainConfig
from serving.run_config import RulebookRef, RunConfig
from serving.training_ids import TrainingIds, id_digests

IDS = ["7927b2df-8bba-4d29-b9a2-b6e0beafe620", "lead-2", "lead-3", "lead-2"]


def test_membership_is_exact_for_the_ids_given_and_no_other():
    ids = TrainingIds.of(IDS)
    assert ids.count == 3  # the repeat counts once
    asked = pd.Series(["lead-3", "lead-4", IDS[0], "LEAD-2", "lead-2"], dtype="string")
    assert ids.contains(asked).tolist() == [True, False, True, False, True]
    assert TrainingIds.of([]).contains(asked).tolist() == [False] * 5


def test_a_digest_is_the_8_byte_blake2b_of_the_id_text():
    expected = hashlib.blake2b(b"lead-2", digest_size=8, person=b"leadscore-ids").digest()
    assert int(id_digests(["lead-2"])[0]) == int.from_bytes(expected, "big")
    # 8 bytes per id, base64: 12 characters per id (4 per 3 bytes, padded)
    assert len(TrainingIds.of(IDS).digests) == 32


def test_the_run_configuration_keeps_digests_not_ids_and_reads_them_back():
    run = RunConfig(
        framing="flat",
        train=TrainConfig(),
        rulebook=RulebookRef(name="empty", version="1", source="empty.yaml", empty=True),
        tracking_uri="sqlite:///unused.db",
        training_ids=TrainingIds.of(IDS),
    )
    text = json.dumps(run.model_dump(mode="json"))
    assert not any(i in text for i in IDS)
    again = RunConfig.model_validate(json.loads(text))
    assert again.training_ids is not None
    assert again.training_ids.contains(pd.Series(IDS)).all()
    with pytest.raises(ValueError, match="training_ids are a flat export's"):
        RunConfig(
            framing="snapshots",
            train=TrainConfig(),
            feature_spec={},
            rulebook=run.rulebook,
            tracking_uri="sqlite:///unused.db",
            training_ids=TrainingIds.of(IDS),
        )
