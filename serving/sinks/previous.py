"""The previous run read back from a sink: final scores (score trend) and stages.

:func:`previous_scores` reads any sink; :func:`previous_stages` (stages never move
backwards) reads a database sink's history.

Where the previous run comes from, per sink kind:

* database: the latest ``as_of`` before this run in the append-only history (not the
  current table), so re-running the same ``as_of`` sees the same previous run;
* folder: the ``scores_<as_of>.parquet`` file with the latest ``as_of`` before this run;
* ``.parquet`` / ``.csv`` file and ``hubspot:PATH.csv``: the file holds one run, the one
  written last. A file of an earlier ``as_of`` is the previous run; a file of this same
  ``as_of`` (a re-run) is returned with its ``score_trend`` so the trends are kept (the
  run before it is gone); a file of a later ``as_of`` gives no previous run. The HubSpot
  file stores the day only (``leadscore_as_of``): a file of the same UTC day is this run.

Returns ``contact_id, final_score, as_of`` (+ ``score_trend`` from files), or None.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from serving.sinks.dispatch import parse_sink
from serving.sinks.files import as_of_label
from serving.sinks.queries import latest_scores, previous_run
from serving.sinks.tables import DEFAULT_TABLE_PREFIX, build_tables, connect

_FOLDER_FILE = "scores_"


def _previous_run(
    url: str,
    as_of: pd.Timestamp,
    table_prefix: str,
    select: Callable[[sa.Table, datetime], sa.Select[Any]],
) -> pd.DataFrame | None:
    """``select``'s rows of the history's previous run (one per contact), or None.

    A database without the history table gives None, not an error: this is read before
    the run writes, and the first nightly run on a new, empty sink must work (the tables
    are created by the write). The read helpers of :mod:`serving.sinks.queries` run after
    a write and refuse a database without the tables instead.
    """
    history = build_tables(table_prefix).history
    with connect(url) as conn:
        if not sa.inspect(conn).has_table(history.name):
            return None
        found = previous_run(conn, history, as_of, select)
    if found is None:
        return None
    when, frame = found
    return frame.assign(as_of=when)


def _stages_at(history: sa.Table, when: datetime) -> sa.Select[Any]:
    return (
        sa.select(history.c.contact_id, history.c.stage)
        .where(history.c.as_of == when)
        .order_by(history.c.scored_at)
    )


def previous_stages(
    sink: str, as_of: pd.Timestamp, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> pd.DataFrame | None:
    """``contact_id, stage, as_of`` of the latest earlier run in the database sink's history
    (see the module docstring); None without one, and for other sinks (they keep no stages)."""
    if parse_sink(sink).kind != "database":
        return None
    return _previous_run(sink, as_of, table_prefix, _stages_at)


def _one_run(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """The file's run if it is earlier than (or the same as) ``as_of``, else None."""
    if frame.empty:
        return None
    stamp = pd.to_datetime(frame["as_of"], utc=True).iloc[0]
    if stamp > as_of:
        return None
    keep = [c for c in ("contact_id", "final_score", "score_trend") if c in frame.columns]
    out = frame.loc[:, keep].assign(contact_id=frame["contact_id"].astype("str"), as_of=stamp)
    return out.reset_index(drop=True)


def _from_folder(folder: Path, as_of: pd.Timestamp) -> pd.DataFrame | None:
    label = as_of_label(as_of)
    earlier = sorted(
        p
        for p in folder.glob(f"{_FOLDER_FILE}*.parquet")
        if p.stem.removeprefix(_FOLDER_FILE) < label  # labels sort as times
    )
    return _one_run(pd.read_parquet(earlier[-1]), as_of) if earlier else None


def _from_hubspot(path: Path, as_of: pd.Timestamp) -> pd.DataFrame | None:
    frame = pd.read_csv(path, dtype={"Record ID": "str", "leadscore_score_trend": "str"})
    if frame.empty:
        return None
    day = pd.Timestamp(str(frame["leadscore_as_of"].iloc[0]), tz="UTC")
    stamp = as_of if day == as_of.normalize() else day
    out = pd.DataFrame(
        {
            "contact_id": frame["Record ID"].astype("str"),
            "final_score": frame["leadscore_final_score"].astype("float64"),
            "as_of": stamp,
        }
    )
    if "leadscore_score_trend" in frame.columns:
        out["score_trend"] = frame["leadscore_score_trend"]
    return _one_run(out, as_of)


def previous_scores(
    sink: str, as_of: pd.Timestamp, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> pd.DataFrame | None:
    """The previous run's scores in any ``sink`` of :func:`serving.sinks.write_scores` (see
    the module docstring): ``contact_id, final_score, as_of`` (files add ``score_trend``), or
    None without one."""
    target = parse_sink(sink)
    if target.kind == "database":
        found = _previous_run(target.location, as_of, table_prefix, latest_scores)
        return None if found is None else found.drop(columns="tier")
    path = Path(target.location)
    if target.kind == "folder":
        return _from_folder(path, as_of) if path.is_dir() else None
    if not path.is_file():
        return None
    if target.kind == "hubspot":
        return _from_hubspot(path, as_of)
    if target.kind == "csv":
        return _one_run(pd.read_csv(path, dtype={"contact_id": "str", "score_trend": "str"}), as_of)
    return _one_run(pd.read_parquet(path), as_of)
