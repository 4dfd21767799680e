"""``leadscore rules publish | revert | history``: the rulebook lifecycle in the sink.

Registered on the ``rules`` command group by :mod:`pipelines.cli_rules`. Versions live in
the sink's database beside the scores (:mod:`serving.sinks.versions`).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli_options import (
    DEFAULT_WORKDIR,
    AsOfOpt,
    BotsOpt,
    DataOpt,
    HorizonOpt,
    MappingOpt,
    ModelOpt,
    PrefixOpt,
    TrackingUriOpt,
    WorkdirOpt,
    YesOpt,
    table_prefix_or_default,
)
from pipelines.console import EXIT_DATA_ERROR, console, fail, user_errors

SinkOpt = Annotated[
    str, typer.Option(help="The sink's database URL (sqlite:///PATH.db or postgresql+...).")
]
ByOpt = Annotated[str | None, typer.Option(help="Who does it, recorded (default: login name).")]


def _who(by: str | None) -> str:
    return by or getpass.getuser()


def publish(
    rulebook: Annotated[Path, typer.Argument(help="Rulebook YAML to publish.")],
    data: DataOpt,
    sink: SinkOpt,
    model: ModelOpt = None,
    mapping: MappingOpt = None,
    as_of: AsOfOpt = None,
    horizon_days: HorizonOpt = None,
    workdir: WorkdirOpt = DEFAULT_WORKDIR,
    tracking_uri: TrackingUriOpt = None,
    table_prefix: PrefixOpt = None,
    yes: YesOpt = False,
    by: ByOpt = None,
    bots: BotsOpt = None,
) -> None:
    """Preview a rulebook's impact against the published version, then publish it.

    Prints, on the current data: leads changing stage (lead / MQL / SQL, both ways), MQL
    and SQL counts before and after, and the backtest (how many of the new MQL/SQL leads
    converted, on history). After confirmation (--yes for jobs) it records the version in
    the sink (text, checksum, who, when) and re-scores every lead with it and the --model
    scorer's model and blend, in one transaction. With nothing published yet, the preview
    compares with the scorer's own rulebook.
    """
    from features.ingest import InputError
    from features.ingest.load import ingest
    from models.store import default_tracking_uri
    from rules import RulebookError, rulebook_from_text
    from serving.batch import utc_as_of
    from serving.publish import publish_rulebook, require_database, rulebook_of
    from serving.rulebook_impact import impact_text, rulebook_impact
    from serving.run_config import default_scorer_uri
    from serving.scorer_model import load_scorer
    from serving.sinks.versions import checksum_of, current_version

    prefix = table_prefix_or_default(table_prefix)
    with user_errors(InputError, RulebookError, ValueError):
        require_database(sink)
        when = utc_as_of(as_of)
        text = rulebook.read_text(encoding="utf-8")
        parsed = rulebook_from_text(text, str(rulebook))  # parsed once: previewed and stored
        book = parsed.rulebook
        current = current_version(sink, prefix)
        if current is not None and current.checksum == checksum_of(text):
            fail(f"{rulebook} is already the published version {current.version_id}")
            raise typer.Exit(EXIT_DATA_ERROR)
        loaded = load_scorer(
            model or default_scorer_uri(), tracking_uri or default_tracking_uri(workdir)
        )
        # kept columns typed as the scorer's training typed them (read_settings)
        report = ingest(data, mapping, bots=bots, **loaded.scorer.read_settings())
        if current is None:
            published = loaded.scorer.rulebook_
            label = f"the scorer's rulebook {published.name} v{published.version} (none published)"
        else:
            published = rulebook_of(current)
            label = (
                f"published version {current.version_id} "
                f"({current.rulebook_name} v{current.rulebook_version})"
            )
        run = loaded.scorer.run_config_
        horizon: int | None
        if horizon_days is None and run is not None and run.horizon_days is None:
            horizon = None  # a flat export: no dated outcomes, so no backtest to replay
        else:
            try:
                horizon = horizon_days or loaded.scorer.horizon_days()
            except ValueError as exc:
                raise ValueError(
                    f"{exc}, or give the backtest's horizon: --horizon-days H"
                ) from exc
        impact = rulebook_impact(report.tables, published, book, when, horizon)
        console.print(impact_text(impact, label, str(rulebook)), highlight=False)
        if not yes and not typer.confirm("Publish and re-score every lead?", default=False):
            console.print("nothing published")
            raise typer.Exit(EXIT_DATA_ERROR)
        done = publish_rulebook(
            report.tables,
            loaded,
            parsed,
            sink,
            when,
            published_by=_who(by),
            validation=report,
            table_prefix=prefix,
        )
    console.print(
        f"[green]published[/green] version {done.version_id} ({book.name} v{book.version}, "
        f"scores carry rulebook_version {done.rulebook_version}): "
        # rows, as `score` says: every row changes its rulebook_version, whether or not a
        # score moved (the preview above counts the leads that change stage)
        f"{done.sink_result.n_current_updated:,} current rows changed",
        highlight=False,
    )


def revert(
    sink: SinkOpt,
    to: Annotated[
        int | None, typer.Option(help="The version to make current (default: the previous).")
    ] = None,
    table_prefix: PrefixOpt = None,
    yes: YesOpt = False,
    by: ByOpt = None,
) -> None:
    """Make the previous rulebook version current again and restore its scores exactly.

    The current-scores table becomes what it was when the reverted version was published
    (one transaction). Scores of nightly runs since then are replaced too: the next run
    re-scores.
    """
    from datetime import UTC, datetime

    from serving.publish import require_database
    from serving.sinks.versions import current_version, revert_version

    prefix = table_prefix_or_default(table_prefix)
    with user_errors(ValueError):
        require_database(sink)
        current = current_version(sink, prefix)
        if current is None:
            fail(f"no rulebook version is published in {sink}: nothing to revert")
            raise typer.Exit(EXIT_DATA_ERROR)
        target = f"version {to}" if to is not None else "the previous version"
        question = f"Revert from version {current.version_id} to {target}?"
        if not yes and not typer.confirm(question, default=False):
            console.print("nothing reverted")
            raise typer.Exit(EXIT_DATA_ERROR)
        done = revert_version(
            sink,
            prefix,
            to=to,
            reverted_by=_who(by),
            reverted_at=datetime.now(UTC).replace(microsecond=0),
        )
    console.print(
        f"[green]reverted[/green] version {done.from_version} -> version {done.to_version}: "
        f"{done.n_rows:,} current scores restored as they were before version "
        f"{done.restored_from} was published",
        highlight=False,
    )


def history(sink: SinkOpt, table_prefix: PrefixOpt = None) -> None:
    """List the published rulebook versions, oldest first; the current one is marked."""
    from rich.table import Table

    from features.reasons import time_text
    from serving.publish import require_database
    from serving.sinks.versions import list_versions

    with user_errors(ValueError):
        require_database(sink)
        versions = list_versions(sink, table_prefix_or_default(table_prefix))
    if not versions:
        console.print(f"no rulebook version is published in {sink}")
        return
    table = Table(title="rulebook versions")
    for col in ("version", "rulebook", "checksum", "published", "by", "after", "status"):
        table.add_column(col)
    for v in versions:
        status = "current" if v.is_current else ""
        if v.reverted_at is not None:
            status = f"reverted {time_text(v.reverted_at)} by {v.reverted_by}"
        table.add_row(
            str(v.version_id),
            f"{v.rulebook_name} v{v.rulebook_version}",
            v.checksum[:12],
            time_text(v.published_at),
            v.published_by,
            "-" if v.previous_version_id is None else str(v.previous_version_id),
            status,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``publish``, ``revert`` and ``history`` to the ``rules`` command group."""
    app.command("publish")(publish)
    app.command("revert")(revert)
    app.command("history")(history)
