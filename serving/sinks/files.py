"""File sinks: Parquet or CSV, written atomically and idempotently.

Each file is written with :func:`features.files.atomic_write` (a temporary sibling, flushed,
then ``os.replace``), so a reader sees the old file or the new one, never half of one. When
the new bytes equal the existing file, the existing file is left untouched (same as_of and
inputs -> same name, same bytes). Rejects are always written, even when empty, so a re-run
that fixed them replaces the old list.

Files carry the contract columns plus ``model_name``, ``model_version`` and
``rulebook_version`` (not ``run_id`` or ``scored_at``, which differ between identical
re-runs). In CSV, ``as_of`` is ISO 8601 with offset and the reasons stay JSON strings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from features.files import atomic_write
from serving.sinks.contract import SCORE_COLUMNS, RunInfo, SinkResult

logger = logging.getLogger(__name__)

RUN_COLUMNS: tuple[str, ...] = ("model_name", "model_version", "rulebook_version")


def file_frame(scores: pd.DataFrame, run: RunInfo) -> pd.DataFrame:
    """The scores in contract column order, sorted by contact_id (stable file content
    whatever order the scoring step produced), with the run's model/rulebook versions."""
    out = scores.loc[:, list(SCORE_COLUMNS)].sort_values("contact_id", kind="stable")
    out = out.reset_index(drop=True)
    return out.assign(**{c: getattr(run, c) for c in RUN_COLUMNS})


def rejects_frame(rejects: pd.DataFrame, run: RunInfo) -> pd.DataFrame:
    """Rejects as ``contact_id, as_of, reason`` sorted by id (stable file content)."""
    out = pd.DataFrame(
        {
            "contact_id": rejects["contact_id"].astype("str"),
            "as_of": pd.Series(run.as_of, index=rejects.index, dtype="datetime64[us, UTC]"),
            "reason": rejects["reason"].astype("str"),
        }
    )
    return out.sort_values("contact_id", kind="stable").reset_index(drop=True)


def frame_writer(frame: pd.DataFrame, fmt: str) -> Callable[[Path], None]:
    """How every file sink writes a frame, for :func:`features.files.atomic_write`.

    Args:
        fmt: ``parquet``, or ``csv``: ``as_of`` (when there is one) as ISO 8601 text with
            its offset (values already text are written as they are), ``\\n`` line ends,
            no index.
    """
    if fmt == "parquet":
        return lambda tmp: frame.to_parquet(tmp, index=False)
    text = frame
    if "as_of" in frame.columns:
        # as_of is one value per run: format the distinct values, then map (no per-row call)
        iso = {
            v: v.isoformat() if isinstance(v, datetime) else v
            for v in frame["as_of"].drop_duplicates()
        }
        text = frame.assign(as_of=frame["as_of"].map(iso).astype("str"))
    return lambda tmp: text.to_csv(tmp, index=False, lineterminator="\n")


def as_of_label(as_of: pd.Timestamp) -> str:
    """The as_of as used in file names: ``2024-01-03T000000Z``."""
    return as_of.tz_convert("UTC").strftime("%Y-%m-%dT%H%M%SZ")


def write_files(
    kind: str, location: Path, scores: pd.DataFrame, run: RunInfo, rejects: pd.DataFrame
) -> SinkResult:
    """Write a file sink's scores and rejects.

    Args:
        kind: ``parquet`` or ``csv`` (``location`` is the scores file; the rejects go to
            ``<stem>_rejects<suffix>`` beside it) or ``folder`` (``scores_<as_of>.parquet``
            and ``rejects_<as_of>.parquet`` in ``location``).
    """
    if kind == "folder":
        label = as_of_label(run.as_of)
        scores_path = location / f"scores_{label}.parquet"
        rejects_path = location / f"rejects_{label}.parquet"
    else:
        scores_path = location
        rejects_path = location.with_name(f"{location.stem}_rejects{location.suffix}")
    fmt = "csv" if kind == "csv" else "parquet"  # a folder holds Parquet files
    scores_file = frame_writer(file_frame(scores, run), fmt)
    changed = atomic_write(scores_path, scores_file, skip_identical=True)
    atomic_write(rejects_path, frame_writer(rejects_frame(rejects, run), fmt), skip_identical=True)
    logger.info(
        "%s sink %s: %d scores (%s), %d rejects",
        fmt,
        scores_path,
        len(scores),
        "written" if changed else "unchanged",
        len(rejects),
    )
    return SinkResult(
        kind=fmt,
        target=str(scores_path),
        n_written=len(scores),
        n_current_updated=len(scores) if changed else 0,
        n_rejects=len(rejects),
        outputs=(str(scores_path), str(rejects_path)),
    )
