"""Which leads a flat-export scorer learned from, without keeping a single id.

A flat export has no dates, so ``compare`` cannot hold out a later period: it evaluates
the rows the model never learned from. The scorer's run configuration keeps a compact
fingerprint of the contact ids of the rows it was fitted or calibrated on (the train and
validation slices): an 8-byte BLAKE2b digest of each id, sorted and base64-encoded (about
11 characters per lead). No raw id reaches MLflow; a digest only answers "was this id in
training?" (two ids share a digest with a chance of about n^2 / 2^65: nil for any export).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

DIGEST_BYTES = 8
PERSON = b"leadscore-ids"
"""BLAKE2b personalisation: digests of leadscore ids differ from plain hashes of the ids."""


def id_digests(ids: Iterable[object]) -> np.ndarray:
    """The 8-byte BLAKE2b digest of each id's text, as unsigned 64-bit integers (in order)."""
    values = [
        hashlib.blake2b(str(i).encode("utf-8"), digest_size=DIGEST_BYTES, person=PERSON).digest()
        for i in ids
    ]
    return np.frombuffer(b"".join(values), dtype=">u8").astype(np.uint64)


class TrainingIds(BaseModel):
    """The digests of the contact ids a flat-export scorer was fitted or calibrated on.

    Attributes:
        algorithm: How the digests were made (``blake2b-8``: 8-byte BLAKE2b of the id text).
        count: How many distinct ids.
        digests: The sorted digests, big-endian, base64-encoded.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["blake2b-8"] = "blake2b-8"
    count: int = Field(ge=0)
    digests: str

    @classmethod
    def of(cls, ids: Iterable[object]) -> TrainingIds:
        """The fingerprint of ``ids`` (repeats count once)."""
        unique = np.unique(id_digests(ids))
        return cls(
            count=len(unique), digests=base64.b64encode(unique.astype(">u8").tobytes()).decode()
        )

    def _sorted(self) -> np.ndarray:
        raw = base64.b64decode(self.digests.encode(), validate=True)
        return np.frombuffer(raw, dtype=">u8").astype(np.uint64)

    def contains(self, ids: pd.Series | pd.Index) -> np.ndarray:
        """Whether each id was among the training ids (a boolean array in ``ids``' order)."""
        known = self._sorted()
        digests = id_digests(pd.Series(ids).astype("string"))
        if not len(known):
            return np.zeros(len(digests), dtype=bool)
        at = np.clip(np.searchsorted(known, digests), 0, len(known) - 1)
        return np.asarray(known[at] == digests, dtype=bool)
