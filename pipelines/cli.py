"""The ``leadscore`` command line: the front door to every flow.

Each command parses its options, calls one library function or flow, and prints a short
summary. Errors in the data exit with code 1 and a message saying what to do; usage
errors exit with code 2. ``validate``, ``train``, ``score`` and ``compare`` run their
flow's steps as plain functions, starting no Prefect server, unless asked (``--prefect``, or
``PREFECT_API_URL`` set: :func:`pipelines.flows.common.run_flow`); ``demo`` always runs
under Prefect.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.cli_options import (
    DEFAULT_WORKDIR,
    AsOfOpt,
    BotsOpt,
    ChecksOpt,
    ConfigOpt,
    ContactIdArg,
    DataOpt,
    EncodingOpt,
    Engine,
    HorizonOpt,
    InferOpt,
    KeepLeakyOpt,
    LeakageSettingsOpt,
    MappingOpt,
    ModelOpt,
    PrefixOpt,
    ReportSettingsOpt,
    ScorerSettingsOpt,
    SeedOpt,
    SepOpt,
    TrackingUriOpt,
    WorkdirOpt,
    settings_file,
    table_prefix_or_default,
)
from pipelines.console import EXIT_DATA_ERROR, console, fail, setup_logging, user_errors

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


PrefectOpt = Annotated[
    bool,
    typer.Option(
        "--prefect",
        help="Run as a Prefect flow run (tracked, retried; starts a temporary Prefect server "
        "unless PREFECT_API_URL is set, which also implies this).",
    ),
]

_STATE = {"verbose": False}  # --verbose of this run: tracebacks are shown only then


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    setup_logging(verbose)
    _STATE["verbose"] = verbose
    # Prefect's ephemeral API needs ~20 s to start here; its 20 s default times out on a
    # busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network here


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the CRM tables into.")],
    contacts: Annotated[
        int, typer.Option(min=100, max=5_000_000, help="Number of contacts.")
    ] = 10_000,
    seed: SeedOpt = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="File format.")] = (
        TableFormat.parquet
    ),
    end: Annotated[
        str | None,
        typer.Option(
            help="Last day of history, YYYY-MM-DD (default: "
            "features.synthetic.generate.DEFAULT_END)."
        ),
    ] = None,
    clean: Annotated[bool, typer.Option(help="Plant no dirty values.")] = False,
    bot_share: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=0.9,
            help="Bots' events (scanner clicks, proxy opens) as a share of e-mail opens and "
            "clicks (default: features.synthetic.generate.DEFAULT_BOT_SHARE); their ids go "
            "to OUT/_truth/bot_activities.csv.",
        ),
    ] = None,
) -> None:
    """Write a realistic synthetic CRM (contacts, accounts, activities, outcomes).

    The hidden truth (each contact's true conversion propensity) goes to OUT/_truth/,
    apart from the tables, so models can be checked against it.
    """
    from features.parse import utc_time
    from features.synthetic import DirtConfig, generate_crm, write_crm
    from features.synthetic.generate import DEFAULT_END

    end = end or DEFAULT_END
    with user_errors(ValueError):
        utc_time(end, "--end")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file: give a folder to write the CRM tables into")
        raise typer.Exit(EXIT_DATA_ERROR)
    other = "csv" if fmt is TableFormat.parquet else "parquet"
    stale = sorted(p.name for p in out.glob(f"*.{other}")) if out.is_dir() else []
    if stale:
        fail(
            f"--out {out} already holds {', '.join(stale)}: a folder with both formats cannot "
            f"be read (which file is the table?); remove them or choose another folder"
        )
        raise typer.Exit(EXIT_DATA_ERROR)
    given = {"seed": seed, "bot_share": bot_share}  # None: generate_crm's own default
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    dirt = DirtConfig.none() if clean else None
    crm = generate_crm(contacts, end=end, dirt=dirt, **options)
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
    data: DataOpt,
    mapping: MappingOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the quarantine + GX results (default: the source's folder of "
            "features.ingest.report.default_validation_dir under "
            "pipelines.cli_options.DEFAULT_WORKDIR)."
        ),
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="Treat timestamps after this as in the future.")
    ] = None,
    sep: SepOpt = None,
    encoding: EncodingOpt = None,
    write_accepted: Annotated[
        Path | None,
        typer.Option(
            help="Also write the accepted rows as canonical <table>.parquet files to this "
            "folder (e.g. the input of score --engine spark)."
        ),
    ] = None,
    bots: BotsOpt = None,
    infer: InferOpt = None,
    prefect: PrefectOpt = False,
) -> None:
    """Validate a CRM export with Great Expectations and quarantine the rows that fail.

    Prints accepted / quarantined counts per table; writes the quarantine files (each row
    with its reason), validation_summary.json and gx_results.json to OUT (default: the
    source's folder under the default workdir, never inside DATA). With --write-accepted,
    the accepted rows go to that folder as canonical Parquet tables. Activities the bot filter flags
    (--bots) are kept out of the accepted rows and written with their reason to
    OUT/bots.csv. Exits 1 when a table-level check fails.

    A kept text column of numbers becomes a number by the type inference settings of
    --infer (default: their defaults; not a scorer's: score, compare, explain and rules
    publish type kept columns with the settings stored in the scorer). Writing tables
    for score --engine spark with a scorer trained with --infer FILE: give the same file.
    """
    from features.ingest import InputError
    from pipelines.flow_requests import ValidateRequest, from_options
    from pipelines.flows.common import run_flow
    from pipelines.flows.ingest import validate_flow

    with user_errors(InputError, ValueError):
        request = from_options(  # checks --now before anything is read
            ValidateRequest,
            {"infer": infer},
            data=data,
            mapping=mapping,
            bots=bots,
            out=out,
            now=now,
            sep=sep,
            encoding=encoding,
            accepted=write_accepted,
        )
        result = run_flow(validate_flow, prefect, request=request)
    console.print(result["text"], highlight=False)
    console.print(f"[green]wrote[/green] {', '.join(result['paths'].values())}")


@app.command()
def train(
    data: DataOpt,
    workdir: WorkdirOpt = DEFAULT_WORKDIR,
    mapping: MappingOpt = None,
    config: ConfigOpt = None,
    spec: Annotated[
        Path | None, settings_file("Feature spec YAML (features/spec_default.yaml).")
    ] = None,
    rulebook: Annotated[
        Path | None,
        settings_file(
            "Manual rulebook the scorer applies beside the model (default: "
            "rules/rulebooks/default.yaml for canonical CRM tables; with --mapping, the empty "
            "rulebook: manual score 0)."
        ),
    ] = None,
    tracking_uri: TrackingUriOpt = None,
    framing: Annotated[
        str | None,
        typer.Option(
            help="auto | snapshots | first_touch | flat (default: the config's, auto: chosen "
            "from the data; see the training plan)."
        ),
    ] = None,
    horizon_days: HorizonOpt = None,
    train_snapshots: Annotated[
        int | None,
        typer.Option(
            min=1, help="Training snapshots before the valid and test ones (default: config's)."
        ),
    ] = None,
    every_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Days between snapshots (default: the horizon, at most "
            "features.training_set.MAX_EVERY_DAYS).",
        ),
    ] = None,
    valid_snapshots: Annotated[
        int | None, typer.Option(min=1, help="Validation snapshots (default: the config's).")
    ] = None,
    test_snapshots: Annotated[
        int | None, typer.Option(min=1, help="Test snapshots (default: the config's).")
    ] = None,
    delay_days: Annotated[
        int | None,
        typer.Option(min=1, help="first_touch: features at the creation day's midnight + D days."),
    ] = None,
    keep_leaky: KeepLeakyOpt = False,
    blend: Annotated[
        Path | None,
        settings_file(
            "Blend settings YAML: manual weight (pinned or bounds), tier capacity "
            "(default: the weight fitted on the validation slice, the tier shares of "
            "serving.blend.DEFAULT_CAPACITY_SHARE)."
        ),
    ] = None,
    bots: BotsOpt = None,
    infer: InferOpt = None,
    scorer_settings: ScorerSettingsOpt = None,
    report_settings: ReportSettingsOpt = None,
    leakage_settings: LeakageSettingsOpt = None,
    prefect: PrefectOpt = False,
) -> None:
    """Train, calibrate and evaluate the conversion model; register it in MLflow.

    Validates the data, builds point-in-time snapshots (or, for a flat export such as
    X Education, uses its columns with a stratified split), runs the leakage guard, trains
    LightGBM with early stopping, calibrates (isotonic or Platt), evaluates on the newest
    slice next to the manual rulebook, logs everything to MLflow and moves the `champion`
    alias only when the quality gates pass and the new model beats the current champion.
    """
    from features.ingest import InputError
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow
    from rules import RulebookError

    with user_errors(InputError, RulebookError, ValueError):
        request = TrainRequest.from_files(
            {
                "blend": blend,
                "infer": infer,
                "scorer": scorer_settings,
                "report": report_settings,
                "leakage": leakage_settings,
            },
            data=data,
            workdir=workdir,
            mapping=mapping,
            tracking_uri=tracking_uri,
            config=config,
            spec=spec,
            rulebook=rulebook,
            bots=bots,
            keep_leaky=keep_leaky,
            overrides={
                "framing": framing,
                "horizon_days": horizon_days,
                "train_snapshots": train_snapshots,
                "valid_snapshots": valid_snapshots,
                "test_snapshots": test_snapshots,
                "every_days": every_days,
                "first_touch_delay_days": delay_days,
            },
        )
        out = run_flow(train_flow, prefect, request=request, show_plan=True)
    _print_training(out)


def _print_training(out: dict[str, Any]) -> None:
    from rich.table import Table

    from features.bots import bot_share_text
    from models.metrics import HEADLINE
    from serving.scorer_training import base_rate_note

    metrics, blend = out["metrics"], out.get("blend_metrics") or {}
    table = Table(title=f"test slice ({out['kind']}, {out['rows']['test']:,} rows)")
    for col in ("metric", "model", "manual rules", "final score"):
        table.add_column(col, justify="right" if col != "metric" else "left")
    for name in HEADLINE:
        cells = (
            metrics.get(f"test_{name}"),
            metrics.get(f"manual_{name}"),
            blend.get(f"final_{name}"),
        )
        table.add_row(name, *("-" if v is None else f"{v:.4f}" for v in cells))
    console.print(table)
    if blend:
        shares = ", ".join(
            f"{k.removeprefix('tier_').removesuffix('_share')} {v:.1%}"
            for k, v in blend.items()
            if k.startswith("tier_") and k.endswith("_share")
        )
        console.print(
            f"final score: {blend['blend_manual_weight']:.0%} of the evidence from the rules "
            f"(fitted on the validation slice: {blend['blend_fitted_weight']:.0%}); "
            f"leads per tier on the test slice: {shares}"
        )
        rates = base_rate_note(blend)
        if rates:
            console.print(rates, highlight=False)
    if out.get("calibration_recency"):
        console.print(out["calibration_recency"], highlight=False)
    bots = bot_share_text(out.get("bots", {}))
    if bots:
        console.print(bots, highlight=False)
    if out["leakage_suspects"]:
        console.print(f"leakage guard excluded: {', '.join(out['leakage_suspects'])}")
    decision = out["decision"]
    console.print(
        f"registered {decision['model_name']} v{decision['version']} as "
        f"[bold]{decision['alias']}[/bold]: {decision['reason']}"
    )
    book = out["run_config"]["rulebook"]
    if book["empty"]:
        console.print(
            "rulebook: none fits this data, so the scorer uses the empty rulebook (manual "
            "score 0; the final score is the model's alone); pass --rulebook to add yours"
        )
    else:
        console.print(f"rulebook: {book['name']} {book['version']} ({book['source']})")
    console.print(f"scorer: {out['scorer_uri']}")
    console.print(f"MLflow: {out['tracking_uri']}  run {out['run_id']}")


@app.command()
def score(
    data: DataOpt,
    sink: Annotated[
        str,
        typer.Option(
            help="sqlite:///scores.db, postgresql+psycopg://..., a .parquet/.csv path, a "
            "folder, or hubspot:PATH.csv."
        ),
    ],
    model: ModelOpt = None,
    as_of: AsOfOpt = None,
    mapping: MappingOpt = None,
    workdir: WorkdirOpt = DEFAULT_WORKDIR,
    tracking_uri: TrackingUriOpt = None,
    table_prefix: PrefixOpt = None,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local (pandas) or spark (DATA: folder of canonical Parquet/CSV tables or "
            "table:DB.PREFIX; a folder sink becomes Parquet partitioned by as_of)."
        ),
    ] = Engine.local,
    spark_config: Annotated[
        Path | None, typer.Option(help="Spark settings YAML (master, memory, n_buckets, conf).")
    ] = None,
    bots: BotsOpt = None,
    prefect: PrefectOpt = False,
) -> None:
    """Nightly batch: score every eligible lead and write the scores back to the CRM.

    Builds features as of the date, applies the rulebook, the calibrated model and the
    blend, explains each score (top 3 model factors and rules), and writes one
    transaction: current scores (upsert), history (append), rejects with reasons. A
    re-run for the same date changes nothing. Prints counts per stage, the score
    distribution and the top movers since the last run.
    """
    from features.ingest import InputError
    from pipelines.flow_requests import ScoreRequest, from_options
    from pipelines.flows.common import run_flow
    from pipelines.flows.score import score_flow

    with user_errors(InputError, ValueError):
        request = from_options(  # checks --as-of before anything is read or loaded
            ScoreRequest,
            data=data,
            sink=sink,
            model_uri=model,
            as_of=as_of,
            mapping=mapping,
            tracking_uri=tracking_uri,
            workdir=workdir,
            engine=engine.value,
            spark_config=spark_config,
            bots=bots,
            table_prefix=table_prefix_or_default(table_prefix),
        )
        summary = run_flow(score_flow, prefect, request=request)
    console.print(summary["text"], highlight=False)


@app.command()
def explain(
    contact_id: ContactIdArg,
    data: DataOpt,
    model: ModelOpt = None,
    as_of: Annotated[
        str | None, typer.Option(help="Explain as of YYYY-MM-DD[THH:MM] UTC (default: today).")
    ] = None,
    mapping: MappingOpt = None,
    workdir: WorkdirOpt = DEFAULT_WORKDIR,
    tracking_uri: TrackingUriOpt = None,
    factors: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Model factors shown per direction (default: "
            "serving.lead_explanation.FACTORS_SHOWN).",
        ),
    ] = None,
) -> None:
    """Why does this lead have its score? Model factors (exact SHAP) and the rules that fired."""
    from features.ingest import InputError
    from features.parse import utc_time
    from models.store import existing_tracking_uri
    from serving.lead_explanation import FACTORS_SHOWN, explain_lead, scorer_to_explain
    from serving.run_config import default_scorer_uri

    with user_errors(InputError, ValueError, KeyError):
        uri = tracking_uri or existing_tracking_uri(workdir)
        if as_of is not None:
            utc_time(as_of, "--as-of")
        scorer = scorer_to_explain(model or default_scorer_uri(), uri)
        k = FACTORS_SHOWN if factors is None else factors
        text = explain_lead(data, scorer, contact_id, as_of, mapping, k)
    console.print(text, highlight=False)


@app.command()
def compare(
    data: Annotated[str, typer.Option(help="CRM folder, file or database URL (with outcomes).")],
    model: ModelOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="The HTML report to write (default: WORKDIR/report.html).")
    ] = None,
    workdir: WorkdirOpt = DEFAULT_WORKDIR,
    mapping: MappingOpt = None,
    tracking_uri: TrackingUriOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Start of the compared period (default: newest complete; none for a "
            "flat-export scorer)."
        ),
    ] = None,
    backtest: Annotated[
        list[Path] | None,
        typer.Option(help="Another rulebook to replay over the same period (repeatable)."),
    ] = None,
    bots: BotsOpt = None,
    prefect: PrefectOpt = False,
) -> None:
    """Predictive vs manual: one self-contained HTML report, also logged to MLflow.

    On the newest period whose outcomes are known (a flat-export scorer: the export's rows
    it was not trained on): ROC/PR, gains, calibration, score bands, sales capacity, the
    disagreement matrix, per-rule evidence, suggested points, backtests of other
    rulebooks, drift since training, and segments.
    """
    from features.ingest import InputError
    from pipelines.flow_requests import CompareRequest, from_options
    from pipelines.flows.common import run_flow
    from pipelines.flows.compare import compare_flow

    with user_errors(InputError, ValueError):
        request = from_options(  # checks --as-of before anything is read or loaded
            CompareRequest,
            data=data,
            model_uri=model,
            as_of=as_of,
            out=out,  # None: WORKDIR/report.html
            workdir=workdir,
            mapping=mapping,
            tracking_uri=tracking_uri,
            backtest=tuple(backtest or ()),
            bots=bots,
        )
        result = run_flow(compare_flow, prefect, request=request)
    console.print(f"[green]wrote[/green] {result['report']} (scored period: {result['period']})")
    console.print(f"MLflow run {result['run_id']}")


@app.command("fit-table")
def fit_table_command(
    path: Annotated[
        Path,
        typer.Argument(help="The export: CSV/TSV (optionally .gz), Parquet or Excel (.xlsx)."),
    ],
    target: Annotated[str, typer.Option(help="Column with the outcome (e.g. Converted).")],
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for mapping.yaml, metrics.json, scores.csv, rejected.csv, report.html."
        ),
    ],
    positive: Annotated[
        str | None,
        typer.Option(help="Target value that means converted (default: 1/true/yes/won)."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Column with the lead id (default: row number).")
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option("--time", help="Creation date column: split by time (oldest train)."),
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option(help="Column to leave out (repeat for several).")
    ] = None,
    sep: SepOpt = None,
    encoding: EncodingOpt = None,
    seed: SeedOpt = None,
    keep_leaky: KeepLeakyOpt = False,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Working dir of the embedded MLflow store (default: --out)."),
    ] = None,
    tracking_uri: TrackingUriOpt = None,
    config: ConfigOpt = None,
    infer: InferOpt = None,
    leakage_settings: LeakageSettingsOpt = None,
    checks: ChecksOpt = None,
) -> None:
    """Any flat lead export with an outcome column, one command, no config.

    Infers a column mapping (types, "Select"-style blanks, personal data and ids left out)
    and writes it to OUT/mapping.yaml, then runs what `leadscore train --mapping
    OUT/mapping.yaml --framing flat` runs (leakage guard, model, MLflow, registered
    scorer), scores every row with it and writes the comparison report on the test rows.
    """
    from features.ingest import InputError
    from pipelines.fit_table import FlatExport, fit_table
    from pipelines.flow_requests import TrainRequest
    from serving.run_config import FlatExportChecks, settings_from_file

    export = FlatExport(
        target=target,
        positive=positive,
        id_column=id_column,
        time_column=time_column,
        drop=tuple(drop or ()),
        sep=sep,
        encoding=encoding,
    )
    with user_errors(InputError, ValueError):
        request = TrainRequest.from_files(
            {"infer": infer, "leakage": leakage_settings},
            data=str(path),
            workdir=workdir or out,
            tracking_uri=tracking_uri,
            config=config,
            keep_leaky=keep_leaky,
            overrides={"seed": seed},
        )
        checks_read = settings_from_file(FlatExportChecks, checks)
        result = fit_table(request, export, out_dir=out, checks=checks_read)
    console.print(result.summary_text(), highlight=False)


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo writes everything.")
    ] = DEFAULT_WORKDIR,
    contacts: Annotated[
        int | None,
        typer.Option(min=1_000, help="Synthetic contacts (default: the demo flow's)."),
    ] = None,
    seed: SeedOpt = None,
) -> None:
    """Run the end-to-end demo on a synthetic CRM under Prefect.

    A second run reuses what is already in WORKDIR (the generated CRM is kept when its
    size and seed match).
    """
    from pipelines.flows.demo import demo_flow

    given = {"contacts": contacts, "seed": seed}  # the flow's own defaults for the rest
    summary = demo_flow(workdir=str(workdir), **{k: v for k, v in given.items() if v is not None})
    console.print(summary, highlight=False)


from pipelines.cli_rules import rules_app  # noqa: E402  (sub-command group)

app.add_typer(rules_app, name="rules")


def main(argv: list[str] | None = None) -> None:
    """The console entry point: ``app`` with one error wrapper around every command.

    A command's expected errors (bad input) are printed by the command itself. Anything
    else that leaves a command is classified by :func:`pipelines.errors.describe_error`:
    a permanent error (permission, full disk, missing table, corrupt pickle, ...) or a
    transient one still failing after the retries is one line on stderr and exit code 1;
    with ``--verbose``, or for an error it does not recognise (a bug), the traceback stays.
    """
    try:
        app(args=argv)
    except Exception as exc:
        from pipelines.errors import describe_error

        line = describe_error(exc)
        if line is None or _STATE["verbose"]:
            raise
        fail(line)
        raise SystemExit(EXIT_DATA_ERROR) from None
