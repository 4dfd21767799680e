"""Publish a rulebook version: re-score every lead with it and record it, in one transaction.

The scorer keeps its model, feature spec and blend; only the rulebook changes
(:meth:`serving.scorer.LeadScorer.with_rulebook`). The new scores, the version row and
the snapshot of the scores it replaces (:mod:`serving.sinks.versions`) are committed by
the sink's single run transaction, so a failure leaves the previous version and scores.
The re-scoring is the nightly batch itself (:func:`serving.batch.run_batch` with the
rulebook overridden), so a published version scores exactly as the next night will.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from features.crm import CrmTables
from rules import Rulebook, RulebookText, rulebook_from_text
from serving.batch import run_batch
from serving.scorer_model import LoadedScorer
from serving.sinks import DEFAULT_TABLE_PREFIX, SinkResult, parse_sink
from serving.sinks.dispatch import require_database
from serving.sinks.versions import RulebookVersion, checksum_of, current_version, record_publish

if TYPE_CHECKING:
    from features.ingest.validation import ValidationReport


@dataclass(frozen=True)
class Published:
    """What :func:`publish_rulebook` did.

    Attributes:
        version_id: The new version's id in the sink.
        rulebook_version: The rulebook version the scores carry (``<version>#<checksum>``).
        sink_result: What the sink wrote.
    """

    version_id: int
    rulebook_version: str
    sink_result: SinkResult


def rulebook_of(version: RulebookVersion) -> Rulebook:
    """The rulebook a stored version holds (its YAML text, loaded safely and validated)."""
    return rulebook_from_text(version.text, f"rulebook version {version.version_id}").rulebook


def with_published_rulebook(
    loaded: LoadedScorer, sink: str, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> tuple[LoadedScorer, str]:
    """The scorer with the sink's published rulebook, and the rulebook version to record.

    A database sink with a published version scores with that version (so the nightly
    run and the audit trail agree); otherwise the scorer keeps its own rulebook.

    Returns:
        ``(scorer, rulebook_version)``: the version is ``<version>#<checksum>`` for a
        published rulebook, the rulebook's own version otherwise.
    """
    own = str(loaded.scorer.rulebook_.version)
    if parse_sink(sink).kind != "database":
        return loaded, own
    current = current_version(sink, table_prefix)
    if current is None:
        return loaded, own
    book = rulebook_of(current)
    scorer = loaded.scorer.with_rulebook(book)
    return replace(loaded, scorer=scorer), scores_rulebook_version(book, current.text)


def scores_rulebook_version(rulebook: Rulebook, text: str) -> str:
    """The rulebook version the re-scored rows carry: its own version and checksum, so
    history rows of two texts with the same ``version`` field stay apart."""
    return f"{rulebook.version}#{checksum_of(text)[:8]}"


def publish_rulebook(
    tables: CrmTables,
    loaded: LoadedScorer,
    book: RulebookText,
    sink: str,
    as_of: pd.Timestamp,
    *,
    published_by: str,
    validation: ValidationReport | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
) -> Published:
    """Re-score every eligible lead with the rulebook ``book`` and record it as the
    current version.

    ``book`` pairs the text stored with the rulebook parsed from it
    (:func:`rules.rulebook_from_text`), so the scores written and the version a revert
    restores cannot differ, and the caller's parse (its preview, its warnings) is the one
    scored: nothing is parsed twice.

    Args:
        tables: Validated canonical tables (bots filtered).
        loaded: The registered scorer (model, spec, blend).
        book: The rulebook's YAML text, as stored, with its parse.
        sink: The sink's database URL.
        as_of: Scoring time (UTC).
        published_by: Who publishes.
        validation: The validation report ``tables`` come from: the contacts it
            quarantined are rejects, as in the nightly batch
            (:func:`serving.batch.run_batch`).

    Returns:
        The new version and what was written.

    Raises:
        ValueError: The sink is not a database, or the text is already the current version.
    """
    require_database(sink)
    text, rulebook = book.text, book.rulebook
    now = datetime.now(UTC).replace(microsecond=0)
    recorded: list[int] = []

    def record(conn: sa.Connection) -> None:
        recorded.append(
            record_publish(
                conn,
                table_prefix,
                rulebook_name=rulebook.name,
                rulebook_version=str(rulebook.version),
                text=text,
                published_by=published_by,
                published_at=now,
            )
        )

    version = scores_rulebook_version(rulebook, text)
    summary = run_batch(
        tables,
        loaded.scorer,
        as_of,
        sink,
        model_name=loaded.model_name,
        model_version=loaded.model_version,
        run_id=f"publish-{now:%Y%m%dT%H%M%SZ}-{checksum_of(text)[:8]}",
        table_prefix=table_prefix,
        validation=validation,
        rulebook=rulebook,
        rulebook_version=version,
        in_transaction=record,
    )
    return Published(recorded[0], version, summary.sink_result)
