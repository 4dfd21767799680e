"""The contract between the scoring job and the sinks: the scores frame, rejects, run metadata.

The scores frame has one row per scored contact and these columns:

============== ======================== ==================================================
column         dtype                    meaning
============== ======================== ==================================================
contact_id     str, unique, not null    CRM contact (lead) id, stored verbatim.
as_of          datetime64[*, UTC]       Scoring reference time; the same for every row and
                                        equal to ``RunInfo.as_of``.
final_score    float in [0, 100]        Blended score.
tier           str, not empty           Score band, e.g. ``A``/``B``/``C``/``D``.
stage          str in LIFECYCLE_STAGES  Lifecycle stage (subscriber/lead/mql/sql/...).
probability    float in [0, 1]          Calibrated model probability of conversion.
manual_score   float, not null          Points from the YAML rulebook.
grade          str or null              Fit grade, e.g. ``A2``.
top_reasons    str (JSON list)          Up to 3 factors up, 2 down: ``{"feature", "text",
                                        "lift", "contribution"}`` (``lift`` with rates).
top_rules      str (JSON list)          Up to 3 ``{"rule", "points"}``.
score_trend    str in SCORE_TRENDS      ``improving``/``steady``/``declining`` against the
                                        lead's ``final_score`` in the previous run of the
                                        sink, ``new`` without one (:mod:`serving.trend`).
============== ======================== ==================================================

The scorer produces :data:`SCORED_COLUMNS` (all but ``score_trend``); the batch adds the
trend from the sink's previous run (:func:`serving.batch.score_batch`).

Leads that could not be scored travel in a rejects frame ``contact_id, reason`` so that
``scored + rejected == eligible`` always holds (see ``serving.sinks.accounting``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd

from features.schema import LIFECYCLE_STAGES

#: How a lead's final score moved since the sink's previous run (``new``: no previous score).
SCORE_TRENDS: tuple[str, ...] = ("improving", "steady", "declining", "new")
ScoreKind = Literal["id", "time", "number", "text", "text or null", "json"]
#: Every column of the scores frame, in order, with its kind: what :func:`validate_scores`
#: checks and the database sink's column types (:mod:`serving.sinks.tables`) are read
#: from here ("text", "id" and "json" must not be empty; "json" holds a JSON list).
SCORE_KINDS: dict[str, ScoreKind] = {
    "contact_id": "id",
    "as_of": "time",
    "final_score": "number",
    "tier": "text",
    "stage": "text",
    "probability": "number",
    "manual_score": "number",
    "grade": "text or null",
    "top_reasons": "json",
    "top_rules": "json",
    "score_trend": "text",
}
SCORE_COLUMNS: tuple[str, ...] = tuple(SCORE_KINDS)
#: The columns the scorer produces; the sink contract adds ``score_trend``.
SCORED_COLUMNS: tuple[str, ...] = tuple(c for c in SCORE_COLUMNS if c != "score_trend")
REJECT_COLUMNS: tuple[str, ...] = ("contact_id", "reason")


def score_columns(*kinds: ScoreKind) -> tuple[str, ...]:
    """The score columns of any of ``kinds``, in frame order (:data:`SCORE_KINDS`)."""
    return tuple(c for c, kind in SCORE_KINDS.items() if kind in kinds)


_RANGES = {"final_score": (0.0, 100.0), "probability": (0.0, 1.0)}
_SHOWN = 5  # how many offending values an error message lists


def _utc(value: datetime, name: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"RunInfo.{name}={value!s} has no time zone: pass a UTC-aware datetime")
    if stamp.nanosecond:
        raise ValueError(f"RunInfo.{name}={value!s} has nanoseconds: databases keep microseconds")
    return stamp.tz_convert("UTC")


@dataclass(frozen=True)
class RunInfo:
    """Metadata of one scoring run, stored beside every score it wrote.

    Attributes:
        as_of: Scoring reference time (time-zone aware; normalised to UTC).
        model_name: Registered model name.
        model_version: Model version (registry version or alias resolution).
        rulebook_version: Version of the YAML rulebook.
        run_id: Id of the job run (e.g. the Prefect flow-run id).
        scored_at: When the scores were computed (time-zone aware; normalised to UTC).
    """

    as_of: datetime
    model_name: str
    model_version: str
    rulebook_version: str
    run_id: str
    scored_at: datetime

    def __post_init__(self) -> None:
        for name in ("model_name", "model_version", "rulebook_version", "run_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"RunInfo.{name} must be a non-empty string, got {value!r}")
        object.__setattr__(self, "as_of", _utc(self.as_of, "as_of"))
        object.__setattr__(self, "scored_at", _utc(self.scored_at, "scored_at"))


@dataclass(frozen=True)
class SinkResult:
    """What one sink write did.

    Attributes:
        kind: ``database``, ``parquet``, ``csv`` or ``hubspot``.
        target: The sink as given (database URLs with the password masked).
        n_written: Score rows accepted by the sink (= rows of the scores frame).
        n_current_updated: Database: current-score rows inserted or changed (0 when the run
            was already written or is older than the stored scores). Files: rows written
            when the file content changed, 0 when an identical file was already there.
        n_history_inserted: History rows added (database only).
        n_history_unchanged: History rows already present from an earlier identical run.
        n_rejects: Rejected leads recorded.
        outputs: Tables or file paths written.
        n_accounts: Account scores given to the sink (0: the rulebook has no roll-up).
        n_accounts_updated: Database: current account rows inserted or changed; files:
            accounts written when the file changed.
    """

    kind: str
    target: str
    n_written: int
    n_current_updated: int
    n_history_inserted: int = 0
    n_history_unchanged: int = 0
    n_rejects: int = 0
    outputs: tuple[str, ...] = field(default_factory=tuple)
    n_accounts: int = 0
    n_accounts_updated: int = 0


def shown_ids(values: pd.Series | pd.Index) -> str:
    """The first few ids for an error message: ``c-1, c-2, c-3, c-4, c-5 (+7 more)``."""
    shown = [str(v) for v in values.tolist()[:_SHOWN]]
    more = f" (+{len(values) - _SHOWN} more)" if len(values) > _SHOWN else ""
    return ", ".join(shown) + more


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} frame is missing column(s) {missing}; expected columns {list(columns)}"
        )


def _check_unique_ids(frame: pd.DataFrame, what: str) -> None:
    dup = frame.loc[frame["contact_id"].duplicated(keep=False), "contact_id"].drop_duplicates()
    if len(dup):
        raise ValueError(
            f"{what} column 'contact_id' has {len(dup)} duplicated id(s): {shown_ids(dup)}; "
            "each contact must appear once per run"
        )


def validate_scores(frame: pd.DataFrame) -> None:
    """Check a scores frame against the contract in this module's docstring.

    Raises:
        ValueError: Naming the column (and offending ids or values) that breaks the contract.
    """
    _require_columns(frame, SCORE_COLUMNS, "scores")
    if not pd.api.types.is_string_dtype(frame["contact_id"]):
        raise ValueError(
            f"scores column 'contact_id' must hold strings, got dtype {frame['contact_id'].dtype}; "
            "convert ids with .astype('str') so ids like '007' keep their leading zeros"
        )
    for col in score_columns("id", "text", "json"):
        values = frame[col]
        bad = values.isna() | (values.astype(str).str.strip() == "")
        if bad.any():
            rows = frame.loc[bad, "contact_id"]
            raise ValueError(f"scores column '{col}' is empty for contact_id(s): {shown_ids(rows)}")
    _check_unique_ids(frame, "scores")
    as_of = frame["as_of"]
    if not isinstance(as_of.dtype, pd.DatetimeTZDtype) or str(as_of.dtype.tz) != "UTC":
        raise ValueError(f"scores column 'as_of' must be datetime64[ns, UTC], got {as_of.dtype}")
    if as_of.isna().any() or as_of.nunique() > 1:
        raise ValueError(
            "scores column 'as_of' must hold one non-null time for all rows, found "
            f"{sorted(str(v) for v in as_of.unique())[:_SHOWN]}"
        )
    for col in score_columns("number"):
        values = pd.to_numeric(frame[col], errors="coerce")
        lo, hi = _RANGES.get(col, (-math.inf, math.inf))
        bad = values.isna() | ~values.between(lo, hi) | values.isin([math.inf, -math.inf])
        if bad.any():
            rows = frame.loc[bad, ["contact_id", col]].head(_SHOWN).to_dict("records")
            raise ValueError(
                f"scores column '{col}' must be a number in [{lo}, {hi}]; bad rows: {rows}"
            )
    for col, allowed in (("stage", LIFECYCLE_STAGES), ("score_trend", SCORE_TRENDS)):
        ok = frame[col].isin(allowed)
        if not ok.all():
            rows = frame.loc[~ok, ["contact_id", col]].head(_SHOWN).to_dict("records")
            raise ValueError(
                f"scores column '{col}' must be one of {list(allowed)}; bad rows: {rows}"
            )
    for col in score_columns("json"):
        text = frame[col].astype(str).str.strip()
        bad = ~(text.str.startswith("[") & text.str.endswith("]"))
        if bad.any():
            raise ValueError(
                f"scores column '{col}' must hold a JSON list string per row; "
                f"bad contact_id(s): {shown_ids(frame.loc[bad, 'contact_id'])}"
            )


def validate_rejects(rejects: pd.DataFrame, scores: pd.DataFrame) -> None:
    """Check a rejects frame: ids and reasons present, unique, and not also scored.

    Args:
        rejects: Frame with ``contact_id`` and ``reason``.
        scores: The (validated) scores frame of the same run.

    Raises:
        ValueError: Naming the column and offending contact ids.
    """
    _require_columns(rejects, REJECT_COLUMNS, "rejects")
    for col in REJECT_COLUMNS:
        bad = rejects[col].isna() | (rejects[col].astype(str).str.strip() == "")
        if bad.any():
            raise ValueError(f"rejects column '{col}' is empty in {int(bad.sum())} row(s)")
    _check_unique_ids(rejects, "rejects")
    # isin on object arrays hashes once; pandas' Arrow-string isin boxes every value (slow).
    scored = scores["contact_id"].to_numpy(dtype=object)
    both = rejects.loc[rejects["contact_id"].astype(object).isin(scored), "contact_id"]
    if len(both):
        raise ValueError(
            f"rejects column 'contact_id' lists {len(both)} contact(s) that are also scored: "
            f"{shown_ids(both)}; a lead is either scored or rejected"
        )


def check_run_matches(scores: pd.DataFrame, run: RunInfo) -> None:
    """Check that the frame's ``as_of`` equals the run's ``as_of``.

    Raises:
        ValueError: When they differ.
    """
    if len(scores) and scores["as_of"].iloc[0] != run.as_of:
        raise ValueError(
            f"scores column 'as_of' is {scores['as_of'].iloc[0]} but RunInfo.as_of is "
            f"{run.as_of}: pass the RunInfo of the run that produced these scores"
        )
