"""``leadscore rules ...``: check, score and explain with a YAML rulebook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.console import EXIT_DATA_ERROR, console, fail

if TYPE_CHECKING:
    import pandas as pd

    from rules import ScoreResult

rules_app = typer.Typer(
    help="The manual point model: check a rulebook, score leads, explain a lead's points.",
    no_args_is_help=True,
)

DataOpt = Annotated[str, typer.Option(help="CRM folder, file or database URL.")]
RulebookOpt = Annotated[
    Path, typer.Option(help="Rulebook YAML (e.g. rules/rulebooks/default.yaml).")
]
MappingOpt = Annotated[
    str | None,
    typer.Option(help="Column mapping: a YAML path or a shipped name (x_education, olist)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(help="Score as of YYYY-MM-DD[THH:MM] UTC (default: now)."),
]


@rules_app.command("check")
def check(rulebook: Annotated[Path, typer.Argument(help="Rulebook YAML to check.")]) -> None:
    """Validate a rulebook: every problem, with the rule and field it is in. Exit 1 if any."""
    from rules import check_rulebook

    problems = check_rulebook(rulebook)
    if problems:
        for problem in problems:
            fail(str(problem))
        fail(f"{rulebook}: {len(problems)} problem(s)")
        raise typer.Exit(EXIT_DATA_ERROR)
    console.print(f"[green]ok[/green] {rulebook}")


def _score(
    data: str, rulebook: Path, mapping: str | None, as_of: str | None
) -> tuple[ScoreResult, pd.DataFrame]:
    """The rulebook's scores of the contacts known at ``as_of``, and the others with why.

    A contact created at or after ``as_of`` did not exist yet, so it gets no points, as in
    ``leadscore score`` (:func:`serving.eligibility.known_contacts`).
    """
    from dataclasses import replace

    import pandas as pd

    from features.ingest import InputError
    from features.ingest.load import ingest
    from features.parse import utc_time
    from rules import RulebookError, load_rulebook, score_rulebook
    from serving.eligibility import known_contacts

    try:
        when = utc_time(as_of, "--as-of") if as_of else pd.Timestamp.now(tz="UTC")
        book = load_rulebook(rulebook)
        report = ingest(data, mapping)
        known, rejects = known_contacts(report.tables.contacts, when)
        return score_rulebook(replace(report.tables, contacts=known), book, when), rejects
    except (InputError, RulebookError, ValueError) as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_DATA_ERROR) from exc


def _left_out(rejects: pd.DataFrame) -> str:
    """``; N left out: reason (n), ...`` for contacts the run could not score."""
    if rejects.empty:
        return ""
    counts = rejects["reason"].value_counts()
    return f"; {len(rejects):,} left out: " + ", ".join(f"{r} ({n:,})" for r, n in counts.items())


@rules_app.command("score")
def score(
    data: DataOpt,
    rulebook: RulebookOpt,
    out: Annotated[Path, typer.Option(help="Output file (.csv or .parquet).")],
    mapping: MappingOpt = None,
    as_of: AsOfOpt = None,
    breakdown: Annotated[
        Path | None, typer.Option(help="Also write the per-rule breakdown here.")
    ] = None,
) -> None:
    """Score every contact with a rulebook and write one row per contact.

    Columns: contact_id, total, each scale, fit, engagement, grade, stage,
    excluded_reason, rulebook_version, as_of.
    """
    from pipelines.files import FRAME_SUFFIXES, write_frame

    for path, option in ((out, "--out"), (breakdown, "--breakdown")):
        if path is not None and path.suffix not in FRAME_SUFFIXES:
            fail(f"{option} {path}: use a .csv or .parquet file name")
            raise typer.Exit(EXIT_DATA_ERROR)
    result, rejects = _score(data, rulebook, mapping, as_of)
    write_frame(result.scores, out)
    if breakdown is not None:
        write_frame(result.breakdown, breakdown)
    stages = result.scores["stage"].value_counts().to_dict()
    console.print(
        f"[green]scored[/green] {len(result.scores):,} contacts with "
        f"{result.rulebook_name} v{result.rulebook_version} as of {result.as_of:%Y-%m-%d}: "
        + ", ".join(f"{k} {v:,}" for k, v in stages.items())
        + _left_out(rejects),
        highlight=False,
    )
    console.print(f"wrote {out}")


@rules_app.command("explain")
def explain(
    contact_id: Annotated[str, typer.Argument(help="The contact to explain.")],
    data: DataOpt,
    rulebook: RulebookOpt,
    mapping: MappingOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Why does this lead have its points? Every rule that fired, before and after decay/caps."""
    from rules import explain_contact

    result, rejects = _score(data, rulebook, mapping, as_of)
    left_out = rejects.loc[rejects["contact_id"] == contact_id, "reason"]
    if len(left_out):
        when = f"{result.as_of:%Y-%m-%d}"
        fail(f"contact {contact_id!r} is not scored as of {when}: {left_out.iloc[0]}")
        raise typer.Exit(EXIT_DATA_ERROR)
    try:
        console.print(explain_contact(result, contact_id), highlight=False)
    except KeyError as exc:
        fail(f"contact {contact_id!r} is not in {data}")
        raise typer.Exit(EXIT_DATA_ERROR) from exc
