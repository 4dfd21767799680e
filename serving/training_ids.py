"""Which leads a flat-export scorer learned from, without keeping a single id.

A flat export has no dates, so ``compare`` cannot hold out a later period: it evaluates
the rows the model never learned from. The scorer keeps a compact fingerprint of the
contact ids of the rows it was fitted or calibrated on (the train and validation slices):
an 8-byte BLAKE2b digest of each id, sorted, as one binary ``uint64`` array (8 bytes a
lead) stored with the scorer beside its run configuration, not in it, so
``run_config.json`` stays small and loading a scorer parses no text for it. No raw id
reaches MLflow; a digest only answers "was this id in training?" (two ids share a digest
with a chance of about n^2 / 2^65: nil for any export).

Scorers registered before kept the digests inline in their run configuration
(``training_ids``: base64 text); :meth:`TrainingIds.from_inline` reads them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

DIGEST_BYTES = 8
PERSON = b"leadscore-ids"
"""BLAKE2b personalisation: digests of leadscore ids differ from plain hashes of the ids."""
ALGORITHM = "blake2b-8"
"""How the digests are made: the 8-byte BLAKE2b of the id text."""


def id_digests(ids: Iterable[object]) -> np.ndarray:
    """The 8-byte BLAKE2b digest of each id's text, as unsigned 64-bit integers (in order)."""
    values = [
        hashlib.blake2b(str(i).encode("utf-8"), digest_size=DIGEST_BYTES, person=PERSON).digest()
        for i in ids
    ]
    return np.frombuffer(b"".join(values), dtype=">u8").astype(np.uint64)


@dataclass(frozen=True, eq=False)
class TrainingIds:
    """The digests of the contact ids a flat-export scorer was fitted or calibrated on.

    Attributes:
        digests: The distinct digests, sorted (``uint64``, native byte order).
    """

    digests: np.ndarray

    @classmethod
    def of(cls, ids: Iterable[object]) -> TrainingIds:
        """The fingerprint of ``ids`` (repeats count once)."""
        return cls(np.unique(id_digests(ids)))

    @classmethod
    def from_inline(cls, stored: Mapping[str, object]) -> TrainingIds:
        """The fingerprint a scorer registered before kept inline in its run configuration
        (``{"algorithm": "blake2b-8", "count": n, "digests": "<base64, big-endian>"}``).

        Raises:
            ValueError: Another algorithm, or digests that are not the base64 of ``count``
                8-byte values: retrain the scorer (``leadscore train``).
        """
        retrain = "retrain the scorer (leadscore train) to store a readable one"
        if stored.get("algorithm", ALGORITHM) != ALGORITHM:
            raise ValueError(
                f"run config: training_ids made with {stored.get('algorithm')!r}, not "
                f"{ALGORITHM!r}: {retrain}"
            )
        try:
            raw = base64.b64decode(str(stored.get("digests", "")).encode(), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"run config: training_ids are not base64 ({exc}): {retrain}") from exc
        if len(raw) % DIGEST_BYTES or len(raw) // DIGEST_BYTES != stored.get("count"):
            raise ValueError(
                f"run config: training_ids hold {len(raw)} bytes, not {stored.get('count')} "
                f"digests of {DIGEST_BYTES} bytes: {retrain}"
            )
        return cls(np.frombuffer(raw, dtype=">u8").astype(np.uint64))

    @property
    def count(self) -> int:
        """How many distinct ids."""
        return len(self.digests)

    def contains(self, ids: pd.Series | pd.Index) -> np.ndarray:
        """Whether each id was among the training ids (a boolean array in ``ids``' order)."""
        known = self.digests
        digests = id_digests(pd.Series(ids).astype("string"))
        if not len(known):
            return np.zeros(len(digests), dtype=bool)
        at = np.clip(np.searchsorted(known, digests), 0, len(known) - 1)
        return np.asarray(known[at] == digests, dtype=bool)
