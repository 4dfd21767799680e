"""The ``leadscore`` command line: the front door to every flow.

Each command parses its options, calls one library function or flow, and prints a short
summary. Errors in the data exit with code 1 and a message saying what to do; usage
errors exit with code 2.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipelines.console import EXIT_DATA_ERROR, console, fail, setup_logging

app = typer.Typer(
    name="leadscore",
    help=(
        "Open lead scoring: a calibrated conversion model beside your point rules, "
        "blended, explained and written back to the CRM.\n\n"
        "Start with `leadscore demo`, or `leadscore generate` then `leadscore validate`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class TableFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    setup_logging(verbose)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the CRM tables into.")],
    contacts: Annotated[
        int, typer.Option(min=100, max=5_000_000, help="Number of contacts.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same CRM.")] = 0,
    fmt: Annotated[TableFormat, typer.Option("--format", help="File format.")] = (
        TableFormat.parquet
    ),
    end: Annotated[str, typer.Option(help="Last day of history (YYYY-MM-DD).")] = "2026-09-30",
    clean: Annotated[bool, typer.Option(help="Plant no dirty values.")] = False,
) -> None:
    """Write a realistic synthetic CRM (contacts, accounts, activities, outcomes).

    The hidden truth (each contact's true conversion propensity) goes to OUT/_truth/,
    apart from the tables, so models can be checked against it.
    """
    from features.synthetic import DirtConfig, generate_crm, write_crm

    dirt = DirtConfig.none() if clean else None
    crm = generate_crm(contacts, seed, end=end, dirt=dirt)
    paths = write_crm(crm, out, fmt=fmt.value)
    for name, path in paths.items():
        console.print(f"  {name:<12} {path}")
    base_rate = float(crm.truth["converted"].mean())
    console.print(
        f"[green]wrote[/green] {contacts:,} contacts, "
        f"{len(crm.tables.activities):,} activities, conversion rate {base_rate:.1%} -> {out}"
    )


@app.command()
def validate(
    data: Annotated[str, typer.Option(help="Folder, file or database URL to validate.")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="Column-mapping YAML (see features/ingest/mappings/)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write quarantine + GX results.")
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="Treat timestamps after this as in the future.")
    ] = None,
    sep: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8",
) -> None:
    """Validate a CRM export with Great Expectations and quarantine the rows that fail.

    Prints accepted / quarantined counts per table; writes the quarantine files (each row
    with its reason), validation_summary.json and gx_results.json to OUT (default:
    DATA/_validation for a folder). Exits 1 when a table-level check fails.
    """
    import pandas as pd

    from features.ingest import InputError
    from features.ingest.load import ingest

    try:
        report = ingest(
            data,
            mapping,
            now=pd.Timestamp(now, tz="UTC") if now else None,
            sep=sep,
            encoding=encoding,
        )
    except InputError as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_DATA_ERROR) from exc
    out_dir = out or _default_validation_dir(data)
    paths = report.write(out_dir)
    console.print(report.summary_text(), highlight=False)
    console.print(f"[green]wrote[/green] {', '.join(str(p) for p in paths.values())}")


def _default_validation_dir(data: str) -> Path:
    path = Path(data)
    if path.is_dir():
        return path / "_validation"
    if path.is_file():
        return path.parent / f"{path.stem}_validation"
    return Path("work") / "validation"


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes everything.")] = Path(
        "work"
    ),
    contacts: Annotated[int, typer.Option(min=1_000, help="Synthetic contacts.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Run the end-to-end demo on a synthetic CRM under Prefect.

    A second run reuses what is already in WORKDIR (the generated CRM is kept when its
    size and seed match).
    """
    from pipelines.flows.demo import demo_flow

    summary = demo_flow(workdir=str(workdir), contacts=contacts, seed=seed)
    console.print(summary, highlight=False)


def main() -> None:  # pragma: no cover - console entry point
    app()
