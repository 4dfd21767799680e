"""``leadscore rules ...``: check, score and explain with a YAML rulebook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.console import EXIT_DATA_ERROR, console, fail

if TYPE_CHECKING:
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
AsOfOpt = Annotated[str | None, typer.Option(help="Score as of this date (default: now, UTC).")]


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


def _score(data: str, rulebook: Path, mapping: str | None, as_of: str | None) -> ScoreResult:
    import pandas as pd

    from features.ingest import InputError
    from features.ingest.load import ingest
    from rules import RulebookError, load_rulebook, score_rulebook

    try:
        book = load_rulebook(rulebook)
        report = ingest(data, mapping)
        when = pd.Timestamp(as_of, tz="UTC") if as_of else pd.Timestamp.now(tz="UTC")
        return score_rulebook(report.tables, book, when)
    except (InputError, RulebookError, ValueError) as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_DATA_ERROR) from exc


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
    from pipelines.files import write_frame

    result = _score(data, rulebook, mapping, as_of)
    write_frame(result.scores, out)
    if breakdown is not None:
        write_frame(result.breakdown, breakdown)
    stages = result.scores["stage"].value_counts().to_dict()
    console.print(
        f"[green]scored[/green] {len(result.scores):,} contacts with "
        f"{result.rulebook_name} v{result.rulebook_version} as of {result.as_of:%Y-%m-%d}: "
        + ", ".join(f"{k} {v:,}" for k, v in stages.items())
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

    result = _score(data, rulebook, mapping, as_of)
    try:
        console.print(explain_contact(result, contact_id), highlight=False)
    except KeyError as exc:
        fail(f"contact {contact_id!r} is not in {data}")
        raise typer.Exit(EXIT_DATA_ERROR) from exc
