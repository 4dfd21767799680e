"""Write a generated CRM to a folder: the four tables, a manifest and the truth apart."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from features.files import atomic_write, atomic_write_text, write_table
from features.schema import TABLES
from features.synthetic.config import GENERATOR_VERSION, SyntheticCrm

logger = logging.getLogger(__name__)
TRUTH_DIR = "_truth"
CSV_CHUNK_ROWS = 500_000


def iso_utc_text(times: pd.Series) -> pa.Array:
    """UTC timestamps as ISO 8601 text with offset (``2026-03-01T09:15:00+00:00``), to the
    second; NaT becomes null.

    Arrow casts the whole column to text at once: tens of millions of timestamps take
    seconds, not the minutes of a per-value ``strftime``.
    """
    seconds = pa.array(times.dt.tz_convert("UTC")).cast(pa.timestamp("s"), safe=False)
    text = pc.replace_substring(pc.cast(seconds, pa.string()), " ", "T")
    return pc.binary_join_element_wise(text, "+00:00", "")


def _csv_chunk(frame: pd.DataFrame, typos: pd.Series | None, offset: int) -> pa.Table:
    """One slice of a table as Arrow columns ready for CSV (times as ISO 8601 text)."""
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            arr = iso_utc_text(col)
            if typos is not None and name == "occurred_at":
                local = typos[(typos.index >= offset) & (typos.index < offset + len(frame))]
                if len(local):
                    values = pd.Series(arr, dtype="string")
                    values.iloc[local.index.to_numpy() - offset] = local.to_numpy()
                    arr = pa.array(values, type=pa.string())
        elif isinstance(col.dtype, pd.CategoricalDtype):
            arr = pa.array(col).cast(pa.string())
        else:
            arr = pa.array(col)
        columns[name] = arr
    return pa.table(columns)


def _write_csv(frame: pd.DataFrame, path: Path, typos: pd.Series | None = None) -> None:
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    first = _csv_chunk(frame.iloc[:0], None, 0)
    with pacsv.CSVWriter(str(path), first.schema, write_options=options) as writer:
        for offset in range(0, len(frame), CSV_CHUNK_ROWS):
            chunk = _csv_chunk(frame.iloc[offset : offset + CSV_CHUNK_ROWS], typos, offset)
            writer.write_table(chunk.cast(first.schema))


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_crm(
    crm: SyntheticCrm, out_dir: Path, *, fmt: Literal["parquet", "csv"] = "parquet"
) -> dict[str, Path]:
    """Write a generated CRM to ``out_dir``.

    Layout: ``contacts|accounts|activities|outcomes.<fmt>`` and ``manifest.json`` (size,
    seed, end date, row counts, generator version) in ``out_dir``; the hidden truth in
    ``out_dir/_truth/propensity.parquet``, ``out_dir/_truth/bot_activities.csv`` (the ids
    of the bots' activities, column ``activity_id``) and ``out_dir/_truth/params.json``, apart so
    that readers of the data never see it. Every file is written to a temporary name in
    the same folder and renamed, so a crash never leaves a half-written file; writing the
    same CRM again gives identical files. Parquet tables are in the lead layout
    (:func:`features.files.write_table`: activities and outcomes sorted by contact, so one
    lead's rows can be read alone); CSV tables keep the generated order. CSV times are
    ISO 8601 with offset (``2026-03-01T09:15:00+00:00``); CSV activities also carry the
    planted unparseable timestamps.

    Args:
        crm: Output of :func:`generate_crm`.
        out_dir: Folder to write into (created if missing).
        fmt: ``parquet`` (typed, compact) or ``csv``.

    Returns:
        Paths by key: the four table names, ``truth``, ``params`` and ``manifest``.

    Raises:
        ValueError: If ``fmt`` is neither ``parquet`` nor ``csv``.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
    out_dir = Path(out_dir)
    truth_dir = out_dir / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in TABLES:
        frame = crm.tables.table(name)
        path = out_dir / f"{name}.{fmt}"
        typos = crm.csv_timestamp_typos if name == "activities" else None
        if fmt == "csv":
            atomic_write(path, partial(_write_csv, frame, typos=typos))
        else:
            atomic_write(path, partial(write_table, frame, name))
        paths[name] = path
        logger.info("wrote %s (%d rows)", path, len(frame))
    paths["truth"] = truth_dir / "propensity.parquet"
    atomic_write(paths["truth"], lambda p: crm.truth.to_parquet(p, index=False))
    paths["bot_activities"] = truth_dir / "bot_activities.csv"
    bots = crm.bot_activities.to_frame("activity_id")
    atomic_write_text(paths["bot_activities"], bots.to_csv(index=False, lineterminator="\n"))
    paths["params"] = truth_dir / "params.json"
    atomic_write(paths["params"], lambda p: _write_json(crm.truth_params, p))
    params = crm.truth_params
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "n_contacts": params["n_contacts"],
        "seed": params["seed"],
        "end": params["end"],
        "months": params["months"],
        "format": fmt,
        "files": {name: paths[name].name for name in TABLES},
        "rows": {name: len(crm.tables.table(name)) for name in TABLES},
    }
    paths["manifest"] = out_dir / "manifest.json"
    atomic_write(paths["manifest"], lambda p: _write_json(manifest, p))
    return paths
