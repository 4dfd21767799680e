"""A synthetic CRM larger than memory, written as Parquet part files one chunk at a time.

:func:`features.synthetic.generate_crm` builds the whole CRM in memory (about 4 GB per
million contacts), so 10M contacts do not fit this machine. Here each chunk of contacts is
generated with its own seed, its ids are prefixed with the chunk number (``k003-c12``) so
that they stay unique, and it is appended as ``<table>/part-00003.parquet``: the folder
layout :func:`serving.spark.read_spark_tables` reads. Peak memory is one chunk.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.crm import CrmTables
from features.schema import TABLES
from features.synthetic import DirtConfig, generate_crm

# the id columns of each canonical table that must stay unique across chunks
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "contacts": ("contact_id", "account_id"),
    "activities": ("activity_id", "contact_id"),
    "outcomes": ("contact_id",),
}


def chunk_tables(n_contacts: int, chunk_no: int, seed: int) -> CrmTables:
    """One chunk of clean synthetic tables with ids prefixed ``k<chunk_no>-``."""
    tables = generate_crm(n_contacts, seed + chunk_no, dirt=DirtConfig.none()).tables
    tag = f"k{chunk_no:03d}-"
    frames = {}
    for name in TABLES:
        frame = tables.table(name)
        for col in ID_COLUMNS[name]:
            if col in frame.columns:
                values = frame[col].astype("string")
                frame[col] = (tag + values).astype(frame[col].dtype)
        frames[name] = frame
    return CrmTables(**frames)


def write_chunked_crm(
    n_contacts: int, folder: Path, *, seed: int = 202, chunk: int = 1_000_000
) -> dict[str, int]:
    """Write ``n_contacts`` synthetic contacts (and their tables) under ``folder``.

    Args:
        n_contacts: Total contacts; chunks of ``chunk`` contacts, the last one smaller.
        folder: Created if missing; gets ``contacts/``, ``accounts/``, ``activities/`` and
            ``outcomes/`` folders of ``part-NNNNN.parquet`` files.
        seed: Chunk ``k`` is generated with seed ``seed + k``.
        chunk: Contacts per chunk (peak memory is one chunk's tables).

    Returns:
        Rows written per table.
    """
    if n_contacts < 1 or chunk < 1:
        raise ValueError(f"n_contacts and chunk must be positive, got {n_contacts}, {chunk}")
    rows = dict.fromkeys(TABLES, 0)
    for name in TABLES:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for k, start in enumerate(range(0, n_contacts, chunk)):
        tables = chunk_tables(min(chunk, n_contacts - start), k, seed)
        for name in TABLES:
            frame: pd.DataFrame = tables.table(name)
            frame.to_parquet(folder / name / f"part-{k:05d}.parquet", index=False)
            rows[name] += len(frame)
        del tables
    return rows
