"""Account scores in the sinks: the rulebook's account roll-up, written with the contacts.

The roll-up (:func:`rules.accounts.roll_up_accounts`: ``account_id, score, n_contacts,
n_used, top_contact_id, hot``) goes into every sink beside the contact scores:

* database: ``<prefix>accounts_current`` (one row per account, upserted only by a newer
  ``as_of`` or changed values, like the contacts' current table) and
  ``<prefix>account_history`` (append-only; key account, as_of, rulebook version), in the
  same transaction as the contact scores, so both or neither are written;
* files: ``<stem>_accounts.<suffix>`` beside a Parquet/CSV file, ``accounts_<as_of>.parquet``
  in a folder, ``<stem>_accounts.csv`` beside a HubSpot import file; atomic and skipped
  when identical, like the scores.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.files import atomic_write
from serving.sinks.contract import RunInfo, SinkResult
from serving.sinks.ddl import (
    ROWCOUNT,
    columns,
    current_and_history,
    dialect_insert,
    upsert_newer,
)
from serving.sinks.files import as_of_label, frame_writer

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "score",
    "n_contacts",
    "n_used",
    "top_contact_id",
    "hot",
)
"""The account roll-up's columns, as the sinks store them (plus as_of and run metadata)."""


def validate_accounts(accounts: pd.DataFrame) -> pd.DataFrame:
    """The account roll-up in sink column order, checked.

    Raises:
        ValueError: A column is missing, an account id is missing or repeated, or a
            score is not a finite number.
    """
    missing = [c for c in ACCOUNT_COLUMNS if c not in accounts.columns]
    if missing:
        raise ValueError(
            f"accounts frame lacks column(s) {missing}; pass ScoreResult.accounts "
            "(the rulebook's accounts: roll-up)"
        )
    out = accounts.loc[:, list(ACCOUNT_COLUMNS)].copy()
    ids = out["account_id"]
    if ids.isna().any() or ids.duplicated().any():
        raise ValueError("accounts frame: account_id must be given and unique per row")
    score = pd.to_numeric(out["score"], errors="coerce")
    if score.isna().any() or (score.abs() == float("inf")).any():
        raise ValueError("accounts frame: every score must be a finite number")
    out["account_id"] = ids.astype("str")
    out["score"] = score.astype("float64")
    out["n_contacts"] = out["n_contacts"].astype("int64")
    out["n_used"] = out["n_used"].astype("int64")
    out["top_contact_id"] = out["top_contact_id"].astype("object")
    out["hot"] = out["hot"].astype("bool")
    return out.sort_values("account_id", kind="stable").reset_index(drop=True)


_SQL_TYPES = {"score": sa.Double, "n_contacts": sa.Integer, "n_used": sa.Integer, "hot": sa.Boolean}
"""SQL types of the account columns that are not strings."""


def _value_columns() -> list[sa.Column[Any]]:
    return columns(ACCOUNT_COLUMNS[1:], _SQL_TYPES, nullable=("top_contact_id",))


def _run_columns() -> list[sa.Column[Any]]:
    return columns(("rulebook_version", "run_id"), _SQL_TYPES)


def account_tables(
    metadata: sa.MetaData, prefix: str, timestamp: sa.types.TypeEngine[Any]
) -> tuple[sa.Table, sa.Table]:
    """``<prefix>accounts_current`` and ``<prefix>account_history`` in the sink's
    ``metadata`` (so :func:`serving.sinks.ddl.ensure_tables` creates them with the others)."""
    return current_and_history(
        metadata,
        (f"{prefix}accounts_current", f"{prefix}account_history"),
        "account_id",
        timestamp,
        _value_columns,
        _run_columns,
        versions=("rulebook_version",),
    )


def account_records(accounts: pd.DataFrame, run: RunInfo, as_of: Any) -> list[dict[str, Any]]:
    """Rows for the account tables: values bound by the driver, never formatted into SQL."""
    frame = accounts.astype(object).where(accounts.notna(), None)
    records = frame.to_dict("records")
    for record in records:
        record.update(as_of=as_of, rulebook_version=run.rulebook_version, run_id=run.run_id)
        record["score"] = float(record["score"])
        record["n_contacts"] = int(record["n_contacts"])
        record["n_used"] = int(record["n_used"])
        record["hot"] = bool(record["hot"])
    return records


def write_account_tables(
    conn: sa.Connection,
    current: sa.Table,
    history: sa.Table,
    records: list[dict[str, Any]],
) -> tuple[int, int]:
    """Upsert the current accounts and add their history rows (:func:`account_records`), in
    the caller's transaction.

    Returns:
        ``(current rows inserted or changed, history rows added)``.
    """
    if not records:
        return 0, 0
    stmt = upsert_newer(dialect_insert(conn, current), current, "account_id")
    n_current = int(conn.execute(stmt, records, execution_options=ROWCOUNT).rowcount)
    hist = dialect_insert(conn, history).on_conflict_do_nothing()
    n_history = int(conn.execute(hist, records, execution_options=ROWCOUNT).rowcount)
    return n_current, n_history


def write_account_file(
    accounts: pd.DataFrame, kind: str, location: str, run: RunInfo, written: SinkResult
) -> SinkResult:
    """Write the validated accounts, with ``as_of`` and the rulebook version, beside a file
    sink's scores (where: see the module docstring; atomic, skipped when identical).

    Args:
        kind: The sink's kind (``parquet``, ``csv``, ``folder`` or ``hubspot``).
        location: The sink's path.
        written: What the scores write returned.

    Returns:
        ``written`` with the accounts file and counts added.
    """
    where = Path(location)
    if kind == "folder":
        path = where / f"accounts_{as_of_label(pd.Timestamp(run.as_of))}.parquet"
    else:
        suffix = ".csv" if kind == "hubspot" else where.suffix
        path = where.with_name(f"{where.stem}_accounts{suffix}")
    as_of = pd.Series(run.as_of, index=accounts.index).astype("datetime64[us, UTC]")
    frame = accounts.assign(as_of=as_of, rulebook_version=run.rulebook_version)
    fmt = "csv" if kind in ("csv", "hubspot") else "parquet"  # the sink's kind, as parsed
    changed = atomic_write(path, frame_writer(frame, fmt), skip_identical=True)
    return replace(
        written,
        outputs=(*written.outputs, str(path)),
        n_accounts=len(accounts),
        n_accounts_updated=len(accounts) if changed else 0,
    )
