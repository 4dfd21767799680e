"""Command-line options several ``leadscore`` commands share, defined once.

Each alias carries its type and help text; a command sets only the default (``= None``,
``= DEFAULT_WORKDIR``), so ``--help`` says the same thing for an option everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_WORKDIR = Path("work")
"""``--workdir`` when none is given: the embedded MLflow store is ``work/mlruns``."""


class Engine(StrEnum):
    """Where ``score`` runs, the one list of engines: ``score --engine`` offers these and
    :class:`pipelines.flow_requests.ScoreRequest` accepts them."""

    local = "local"
    spark = "spark"


DataOpt = Annotated[str, typer.Option(help="CRM folder, file or database URL.")]
MappingOpt = Annotated[
    str | None,
    typer.Option(
        help="Column mapping: a YAML path, or the name of one shipped in "
        "features/ingest/mappings/ (e.g. x_education, maven)."
    ),
]
WorkdirOpt = Annotated[
    Path, typer.Option(help="Working dir; the embedded MLflow store is WORKDIR/mlruns.")
]
TrackingUriOpt = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI (default: the embedded SQLite store)."),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        help="Registered scorer URI (default: models:/<scorer_name>@champion of "
        "models/config_default.yaml)."
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option(help="Score as of YYYY-MM-DD[THH:MM] UTC (default: today).")
]
PrefixOpt = Annotated[
    str | None,
    typer.Option(help="Database table-name prefix (default: serving.sinks.DEFAULT_TABLE_PREFIX)."),
]
SepOpt = Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        help="Text encoding of CSV files, e.g. latin-1 (default: "
        "features.ingest.readers.DEFAULT_ENCODING)."
    ),
]
ContactIdArg = Annotated[str, typer.Argument(help="The lead's CRM id.")]
"""``CONTACT_ID`` of ``explain`` and ``rules explain``."""
SeedOpt = Annotated[
    int | None,
    typer.Option(
        help="Random seed: the same seed, the same result (default: generate: "
        "features.synthetic.generate_crm's; fit-table: the training config's; demo: "
        "pipelines.flows.demo.demo_flow's)."
    ),
]
"""``--seed`` of ``generate``, ``fit-table`` and ``demo`` (each default stays its owner's)."""
HorizonOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Label horizon: converts within H days (default: train: the longest that fits "
        "the data; rules publish: the scorer's own, stored in its run configuration).",
    ),
]
"""``--horizon-days`` of ``train`` (the label) and ``rules publish`` (the backtest)."""
YesOpt = Annotated[bool, typer.Option("--yes", help="Go ahead without asking (for jobs).")]
"""``--yes`` of ``rules publish`` and ``rules revert``."""
KeepLeakyOpt = Annotated[
    bool, typer.Option(help="Keep columns the leakage guard flags (still reported; not advised).")
]


def settings_file(help_text: str) -> Any:
    """A ``typer.Option`` naming an existing settings file (a folder is refused)."""
    return typer.Option(exists=True, dir_okay=False, help=help_text)


BotsOpt = Annotated[
    Path | None,
    settings_file(
        "Bot filter settings YAML: the changes to features/bots/default.yaml "
        "(enabled: false turns the filter off)."
    ),
]
"""``--bots``: the bot filter's settings file (default: the packaged settings)."""


def group_file(what: str, owner: str, example: str) -> Any:
    """The option type of a settings group's YAML file: its fields are ``owner``'s, and the
    help text gives ``example`` (a group without its file keeps the class's defaults)."""
    text = f"{what} settings YAML: fields of {owner}, e.g. {example} (default: its defaults)."
    return Annotated[Path | None, settings_file(text)]


InferOpt = group_file("Type inference", "features.infer.InferSettings", "max_category_levels: 50")
"""``--infer``: how a flat export's column types are inferred and kept columns typed
(``train`` and ``fit-table``, stored in the scorer; ``validate``)."""
ScorerSettingsOpt = group_file("Scorer", "serving.scorer_types.ScorerSettings", "top_k: 5")
"""``--scorer-settings``: how the registered scorer finishes scores and whom it rejects
(stored with it)."""
ReportSettingsOpt = group_file(
    "Report", "serving.report.settings.ReportSettings", "n_bootstrap: 500"
)
"""``--report-settings``: how ``compare`` computes the report of the scorer trained."""
LeakageSettingsOpt = group_file(
    "Leakage guard", "models.leakage.LeakageSettings", "auc_threshold: 0.95"
)
"""``--leakage-settings``: the thresholds of the leakage guard (``train``, ``fit-table``)."""
ChecksOpt = group_file("Flat export checks", "serving.run_config.FlatExportChecks", "min_rows: 500")
"""``--checks``: what ``fit-table`` requires of a flat export."""
ConfigOpt = Annotated[
    Path | None, settings_file("Training config YAML (models/config_default.yaml).")
]
"""``--config``: the training config file (default: the packaged one)."""


def table_prefix_or_default(prefix: str | None) -> str:
    """``--table-prefix`` as given, else the sinks' default (imported only when a command
    runs: the sinks load SQLAlchemy)."""
    if prefix is not None:
        return prefix
    from serving.sinks.tables import DEFAULT_TABLE_PREFIX

    return DEFAULT_TABLE_PREFIX
