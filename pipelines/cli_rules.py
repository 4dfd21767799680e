"""``leadscore rules ...``: check, score and explain with a YAML rulebook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.cli_options import BotsOpt, ContactIdArg, DataOpt, MappingOpt
from pipelines.console import EXIT_DATA_ERROR, console, fail, user_errors

if TYPE_CHECKING:
    import pandas as pd

    from rules import ScoreResult

rules_app = typer.Typer(
    help="The manual point model: check a rulebook, score leads, explain a lead's points.",
    no_args_is_help=True,
)

RulebookOpt = Annotated[
    Path, typer.Option(help="Rulebook YAML (e.g. rules/rulebooks/default.yaml).")
]
AsOfNowOpt = Annotated[
    str | None,
    typer.Option(help="Score as of YYYY-MM-DD[THH:MM] UTC (default: now)."),
]
"""``--as-of`` of the rulebook alone: unset means now, not today at 00:00 UTC as for the
scorer (:data:`pipelines.cli_options.AsOfOpt`)."""


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


def _read_previous(path: Path) -> pd.DataFrame:
    """The prior run's scores (``rules score --out``): contact_id, stage, as_of.

    Raises:
        ValueError: The file is missing, of another type, or lacks one of those columns.
    """
    import pandas as pd

    from pipelines.files import FRAME_SUFFIXES  # what --out writes, so what is read back

    if not path.exists():
        raise ValueError(f"--previous {path}: no such file; pass the --out file of an earlier run")
    if path.suffix not in FRAME_SUFFIXES:
        kinds = " or ".join(FRAME_SUFFIXES)
        raise ValueError(f"--previous {path}: use the {kinds} file of an earlier run")
    frame = (
        pd.read_csv(path, dtype={"contact_id": "str", "stage": "str"})
        if path.suffix == ".csv"
        else pd.read_parquet(path)
    )
    missing = [c for c in ("contact_id", "stage", "as_of") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"--previous {path}: lacks column(s) {missing}; pass the --out file of an "
            "earlier 'leadscore rules score' run"
        )
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
    return frame.loc[:, ["contact_id", "stage", "as_of"]]


def _score(
    data: str,
    rulebook: Path,
    mapping: str | None,
    as_of: str | None,
    previous: Path | None = None,
    bots: Path | None = None,
) -> tuple[ScoreResult, pd.DataFrame]:
    """The rulebook's scores of the contacts known at ``as_of``, and the others with why.

    A contact created at or after ``as_of`` did not exist yet, so it gets no points, as in
    ``leadscore score`` (:func:`serving.eligibility.known_tables`). Activities the bot
    filter flags (``bots``: its settings YAML, None for the default) earn no points.
    """

    import pandas as pd

    from features.ingest import InputError
    from features.ingest.load import ingest
    from features.parse import utc_time
    from rules import RulebookError, load_rulebook, score_rulebook
    from serving.eligibility import known_tables

    with user_errors(InputError, RulebookError, ValueError):
        when = utc_time(as_of, "--as-of") if as_of else pd.Timestamp.now(tz="UTC")
        book = load_rulebook(rulebook)
        prior = _read_previous(previous) if previous is not None else None
        report = ingest(data, mapping, bots=bots)
        known, rejects = known_tables(report.tables, when)
        return score_rulebook(known, book, when, previous=prior), rejects


def stage_counts(scores: pd.DataFrame) -> str:
    """``: subscriber 3, lead 2, ...`` in funnel order, or nothing when the rulebook has no
    stages.

    The order is the one of :data:`rules.model.STAGE_ORDER`, whatever the counts; a stage
    no contact reached is left out.
    """
    from rules.model import STAGE_ORDER

    if scores["stage"].isna().all():
        return ""
    counts = scores["stage"].astype("string").value_counts()
    shown = [(s, int(counts[s])) for s in STAGE_ORDER if counts.get(s, 0)]
    return ": " + ", ".join(f"{stage} {n:,}" for stage, n in shown)


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
    as_of: AsOfNowOpt = None,
    breakdown: Annotated[
        Path | None, typer.Option(help="Also write the per-rule breakdown here.")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="The --out file of the previous run: with never_backwards, no stage drops "
            "on its own."
        ),
    ] = None,
    accounts_out: Annotated[
        Path | None,
        typer.Option(help="Also write the account scores (the rulebook's accounts: roll-up)."),
    ] = None,
    bots: BotsOpt = None,
) -> None:
    """Score every contact created before --as-of with a rulebook; one row per contact.

    Contacts created later are counted as left out. Columns: contact_id, total, each
    scale, fit, engagement, grade, stage, excluded_reason, rulebook_version, as_of. The
    summary counts the stages in funnel order when the rulebook has stages:.
    """
    from features.reasons import time_text
    from pipelines.files import FRAME_SUFFIXES, write_frame

    outputs = ((out, "--out"), (breakdown, "--breakdown"), (accounts_out, "--accounts-out"))
    for path, option in outputs:
        if path is not None and path.suffix not in FRAME_SUFFIXES:
            fail(f"{option} {path}: use a .csv or .parquet file name")
            raise typer.Exit(EXIT_DATA_ERROR)
    result, rejects = _score(data, rulebook, mapping, as_of, previous, bots)
    if accounts_out is not None and result.accounts is None:
        fail(
            f"--accounts-out: rulebook {result.rulebook_name} has no 'accounts:' roll-up "
            "(or the contacts have no account_id); add one (see rules/README.md)"
        )
        raise typer.Exit(EXIT_DATA_ERROR)
    write_frame(result.scores, out)
    if breakdown is not None:
        write_frame(result.breakdown, breakdown)
    if accounts_out is not None and result.accounts is not None:
        write_frame(result.accounts, accounts_out)
    console.print(
        f"[green]scored[/green] {len(result.scores):,} contacts with "
        f"{result.rulebook_name} v{result.rulebook_version} as of {time_text(result.as_of)}"
        + stage_counts(result.scores)
        + _left_out(rejects),
        highlight=False,
    )
    for column, count in result.unparsed.items():
        console.print(
            f"[yellow]note[/yellow] contacts column {column!r}: {count:,} value(s) did not "
            "parse as its extra_columns type and count as missing",
            highlight=False,
        )
    console.print(f"wrote {out}")
    if accounts_out is not None and result.accounts is not None:
        console.print(f"wrote {len(result.accounts):,} accounts to {accounts_out}")


@rules_app.command("explain")
def explain(
    contact_id: ContactIdArg,
    data: DataOpt,
    rulebook: RulebookOpt,
    mapping: MappingOpt = None,
    as_of: AsOfNowOpt = None,
    bots: BotsOpt = None,
) -> None:
    """Why does this lead have its points? Every rule that fired, before and after decay/caps."""
    from features.reasons import time_text
    from rules import explain_contact

    result, rejects = _score(data, rulebook, mapping, as_of, bots=bots)
    left_out = rejects.loc[rejects["contact_id"] == contact_id, "reason"]
    if len(left_out):
        when = time_text(result.as_of)
        fail(f"contact {contact_id!r} is not scored as of {when}: {left_out.iloc[0]}")
        raise typer.Exit(EXIT_DATA_ERROR)
    try:
        console.print(explain_contact(result, contact_id), highlight=False)
    except KeyError as exc:
        fail(f"contact {contact_id!r} is not in {data}")
        raise typer.Exit(EXIT_DATA_ERROR) from exc


from pipelines.cli_lifecycle import register  # noqa: E402  (publish, revert, history)

register(rules_app)
