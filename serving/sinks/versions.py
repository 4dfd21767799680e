"""Published rulebook versions, kept in the sink's database beside the scores they made.

Two tables per prefix, created through :func:`serving.sinks.ddl.ensure_tables`:

* ``<prefix>rulebook_versions``: one row per published version (its id, the rulebook's
  name and version, the YAML text, its SHA-256 checksum, who published it and when, the
  version that was current before it, whether it is current, and who reverted it when);
* ``<prefix>scores_snapshots`` and ``<prefix>accounts_snapshots``: for each version, the
  current-scores and current account-scores tables exactly as they were just before that
  version was published (copied row for row by the database, so restoring them gives the
  same values, bytes included).

:func:`record_publish` runs inside the publishing run's own transaction (see
:func:`serving.sinks.dispatch.write_scores`), so the version, its snapshot and the new
scores are committed together or not at all. :func:`revert_version` restores, in one
transaction, the snapshot taken when the reverted version was published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from serving.sinks.ddl import ensure_tables
from serving.sinks.tables import (
    DEFAULT_TABLE_PREFIX,
    UtcDateTime,
    build_tables,
    connect,
    validate_prefix,
)


@dataclass(frozen=True)
class VersionTables:
    """The two lifecycle tables of one prefix, bound to their own ``MetaData``."""

    metadata: sa.MetaData
    versions: sa.Table
    snapshots: sa.Table
    account_snapshots: sa.Table

    def pairs(self, prefix: str) -> tuple[tuple[sa.Table, sa.Table], ...]:
        """``(current table, its snapshot table)`` for the scores and the account scores."""
        sink = build_tables(prefix)
        return ((sink.current, self.snapshots), (sink.accounts_current, self.account_snapshots))


@dataclass(frozen=True)
class RulebookVersion:
    """One row of ``<prefix>rulebook_versions``."""

    version_id: int
    rulebook_name: str
    rulebook_version: str
    checksum: str
    text: str
    published_by: str
    published_at: datetime
    previous_version_id: int | None
    is_current: bool
    reverted_by: str | None
    reverted_at: datetime | None


def checksum_of(text: str) -> str:
    """SHA-256 of a rulebook's text (UTF-8), hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_tables(prefix: str) -> VersionTables:
    """Define the lifecycle tables for ``prefix`` (validated)."""
    p = validate_prefix(prefix)
    md = sa.MetaData()
    versions = sa.Table(
        f"{p}rulebook_versions",
        md,
        sa.Column("version_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rulebook_name", sa.String, nullable=False),
        sa.Column("rulebook_version", sa.String, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("published_by", sa.String, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=False),
        sa.Column("previous_version_id", sa.Integer, nullable=True),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("reverted_by", sa.String, nullable=True),
        sa.Column("reverted_at", UtcDateTime, nullable=True),
    )
    sink = build_tables(p)
    snapshots = _snapshot_of(sink.current, f"{p}scores_snapshots", md)
    account_snapshots = _snapshot_of(sink.accounts_current, f"{p}accounts_snapshots", md)
    return VersionTables(md, versions, snapshots, account_snapshots)


def _snapshot_of(table: sa.Table, name: str, md: sa.MetaData) -> sa.Table:
    """A table holding copies of ``table``'s rows per ``version_id`` (same column types)."""
    return sa.Table(
        name,
        md,
        sa.Column("version_id", sa.Integer, primary_key=True, autoincrement=False),
        *(
            sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
        ),
    )


def record_publish(
    conn: sa.Connection,
    prefix: str,
    *,
    rulebook_name: str,
    rulebook_version: str,
    text: str,
    published_by: str,
    published_at: datetime,
) -> int:
    """Record a new current version and snapshot the current scores, in ``conn``'s
    transaction (which must hold the sink's lock and have created the score tables).

    Returns:
        The new version's id.

    Raises:
        ValueError: The same text is already the current version.
    """
    vt = version_tables(prefix)
    ensure_tables(conn, vt.metadata, prefix)
    current = _current(_all(conn, vt))
    checksum = checksum_of(text)
    if current is not None and current.checksum == checksum:
        raise ValueError(
            f"this rulebook is already the published version {current.version_id} "
            f"(checksum {checksum[:12]}): nothing to publish"
        )
    last_id = sa.select(sa.func.coalesce(sa.func.max(vt.versions.c.version_id), 0))
    new_id = int(conn.execute(last_id).scalar_one()) + 1
    for live, snapshot in vt.pairs(prefix):
        columns = [c.name for c in live.columns]
        conn.execute(
            snapshot.insert().from_select(
                ["version_id", *columns],
                sa.select(sa.literal(new_id, sa.Integer), *(live.c[c] for c in columns)),
            )
        )
    conn.execute(vt.versions.update().values(is_current=False).where(vt.versions.c.is_current))
    conn.execute(
        vt.versions.insert().values(
            version_id=new_id,
            rulebook_name=rulebook_name,
            rulebook_version=rulebook_version,
            checksum=checksum,
            text=text,
            published_by=published_by,
            published_at=published_at,
            previous_version_id=None if current is None else current.version_id,
            is_current=True,
        )
    )
    return new_id


def list_versions(url: str, prefix: str = DEFAULT_TABLE_PREFIX) -> list[RulebookVersion]:
    """Every published version, oldest first (empty when nothing was published)."""
    vt = version_tables(prefix)
    with connect(url) as conn:
        if not sa.inspect(conn).has_table(vt.versions.name):
            return []
        return _all(conn, vt)


def current_version(url: str, prefix: str = DEFAULT_TABLE_PREFIX) -> RulebookVersion | None:
    """The current version, or None when nothing was published."""
    return _current(list_versions(url, prefix))


@dataclass(frozen=True)
class Reverted:
    """What :func:`revert_version` did.

    Attributes:
        restored_from: The snapshot restored (taken when this version was published).
        n_rows: Rows of the current-scores table after the revert.
    """

    from_version: int
    to_version: int
    restored_from: int
    n_rows: int


def revert_version(
    url: str,
    prefix: str = DEFAULT_TABLE_PREFIX,
    *,
    to: int | None = None,
    reverted_by: str,
    reverted_at: datetime,
) -> Reverted:
    """Make an earlier version current again and restore the scores it had, exactly.

    The current version's predecessors form a chain (each version records the one that
    was current before it). ``to`` must be in that chain (default: the one just before).
    The current-scores and current account-scores tables are replaced, in one
    transaction, by the snapshots taken when the chain's version after ``to`` was
    published.

    Args:
        to: The version to make current (None: the previous one).
        reverted_by: Who reverts (recorded on the version left).
        reverted_at: When (UTC-aware).

    Raises:
        ValueError: Nothing is published, the current version is the first, or ``to`` is
            not an earlier version of the current chain (the message lists it).
    """
    tables, vt = build_tables(prefix), version_tables(prefix)
    with connect(url, write=True) as conn:
        ensure_tables(conn, tables.metadata, prefix)
        ensure_tables(conn, vt.metadata, prefix)
        versions = {v.version_id: v for v in _all(conn, vt)}
        current = _current(versions.values())
        if current is None:
            raise ValueError(
                "no rulebook version is published in this sink: nothing to revert "
                "(publish one with leadscore rules publish)"
            )
        chain = [current.version_id]
        while (prev := versions[chain[-1]].previous_version_id) is not None:
            chain.append(prev)
        target = to if to is not None else (chain[1] if len(chain) > 1 else None)
        if target is None:
            raise ValueError(
                f"version {current.version_id} is the first published version: there is "
                "no earlier version to revert to"
            )
        if target not in chain[1:]:
            earlier = ", ".join(map(str, chain[1:])) or "none"
            raise ValueError(
                f"--to {target}: not an earlier version of the current one "
                f"({current.version_id}); earlier versions: {earlier}"
            )
        restored_from = chain[chain.index(target) - 1]
        for live, snapshot in vt.pairs(prefix):
            columns = [c.name for c in live.columns]
            conn.execute(live.delete())
            conn.execute(
                live.insert().from_select(
                    columns,
                    sa.select(*(snapshot.c[c] for c in columns)).where(
                        snapshot.c.version_id == restored_from
                    ),
                )
            )
        conn.execute(
            vt.versions.update()
            .where(vt.versions.c.version_id == current.version_id)
            .values(is_current=False, reverted_by=reverted_by, reverted_at=reverted_at)
        )
        conn.execute(
            vt.versions.update().where(vt.versions.c.version_id == target).values(is_current=True)
        )
        count = sa.select(sa.func.count()).select_from(tables.current)
        n_rows = int(conn.execute(count).scalar_one())
    return Reverted(current.version_id, target, restored_from, n_rows)


def _all(conn: sa.Connection, vt: VersionTables) -> list[RulebookVersion]:
    rows = conn.execute(sa.select(vt.versions).order_by(vt.versions.c.version_id)).mappings()
    return [RulebookVersion(**{**row, "is_current": bool(row["is_current"])}) for row in rows]


def _current(versions: Iterable[RulebookVersion]) -> RulebookVersion | None:
    return next((v for v in versions if v.is_current), None)
