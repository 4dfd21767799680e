"""What a validation, feature, training, scoring or comparison run is asked to do, in one
frozen object every entry point passes.

``leadscore train``, ``leadscore fit-table``, the demo, notebooks and the ``train-weekly``
deployment of ``prefect.yaml`` all build one :class:`TrainRequest` (the data, the working
directory, the settings files and objects, the overrides of the training config) and pass
it to :func:`pipelines.flows.train.train_flow`; ``leadscore score``, the demo and the
``score-nightly`` deployment build one :class:`ScoreRequest` for
:func:`pipelines.flows.score.score_flow`, ``leadscore compare``, the demo and the
``compare-weekly`` deployment one :class:`CompareRequest` for
:func:`pipelines.flows.compare.compare_flow`; ``leadscore validate`` and the
``validate-nightly`` deployment one :class:`ValidateRequest` for
:func:`pipelines.flows.ingest.validate_flow`, and ``features-nightly`` one
:class:`FeaturesRequest` for :func:`pipelines.flows.build_features.build_features_flow`.
All share what reads a CRM (:class:`CrmRequest`: every flow reads it through the same
validation and bot filter, so a feature table holds what training and scoring compute from
the same data); validation, features and training also how a new export's columns are
typed (:class:`ExportRequest`), scoring and comparing which scorer, as of when
(:class:`ScorerRequest`). Settings files are read
once, where the request is built, by one function for every command
(:func:`settings_groups`, through :meth:`TrainRequest.from_files` or
:func:`from_options`); a deployment gives the same fields as a mapping, which Prefect
validates into the model.

A time (``now``, ``as_of``) is given as ISO 8601 text and parsed once, by the request
(:data:`UtcTime`): the flows get a UTC timestamp. Its error names the field (``as_of``) for
a deployment and the command-line option (``--as-of``) for a request built from options
(:func:`from_options`).

The request is the *input* of the run configuration: the train flow resolves it, with what
the data allows (framing, horizon, slices), into :class:`serving.run_config.RunConfig`,
which is logged and stored with the scorer. No default lives here: a field left out keeps
its owner's (``models/config_default.yaml``, :class:`serving.blend.BlendConfig`,
:class:`serving.scorer_types.ScorerSettings`, ...).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from features.infer import InferSettings
from features.ingest.report import default_validation_dir
from features.parse import utc_time
from models.leakage import LeakageSettings
from pipelines.cli_options import DEFAULT_WORKDIR, Engine
from serving.blend import BlendConfig
from serving.report.settings import ReportSettings
from serving.run_config import settings_from_file
from serving.scorer_types import ScorerSettings
from serving.sinks.tables import DEFAULT_TABLE_PREFIX

__all__ = [
    "OVERRIDABLE",
    "SETTINGS_GROUPS",
    "CompareRequest",
    "CrmRequest",
    "ExportRequest",
    "FeaturesRequest",
    "ScoreRequest",
    "ScorerRequest",
    "TrainRequest",
    "UtcTime",
    "ValidateRequest",
    "from_options",
    "settings_groups",
]

FROM_OPTIONS = "from_options"
"""The validation context key :func:`from_options` sets: errors name command-line options."""

RequestT = TypeVar("RequestT", bound=BaseModel)


def _option(field: str) -> str:
    """The command-line option of a request field (``as_of`` -> ``--as-of``), as typer
    names the parameter the CLI passes it from."""
    return "--" + field.replace("_", "-")


def _utc_time(value: object, info: ValidationInfo) -> object:
    """A time given as ISO 8601 text (or a date) in UTC (:func:`features.parse.utc_time`);
    an error names the field, or its option when the request comes from options."""
    if value is None or not isinstance(value, str | dt.date):
        return value  # None, or a type the field refuses by itself
    name = info.field_name or "time"
    return utc_time(value, _option(name) if (info.context or {}).get(FROM_OPTIONS) else name)


UtcTime = Annotated[dt.datetime | None, BeforeValidator(_utc_time)]
"""A request's point in time: ``YYYY-MM-DD[THH:MM]`` text (UTC unless an offset is given),
parsed once into a UTC timestamp (a ``pandas.Timestamp``); None: the run's default."""


def from_options(
    cls: type[RequestT], files: dict[str, Path | None] | None = None, **options: Any
) -> RequestT:
    """A request built from command-line options: a time field's error names its option
    (:data:`UtcTime`: ``--as-of '05/09/2026' is not an ISO date ...``).

    Args:
        files: Settings group -> its YAML file, read by :func:`settings_groups` (as
            :meth:`CrmRequest.from_files` reads them).
        options: The request's fields.

    Raises:
        ValueError: A settings file is invalid (:func:`settings_groups`), or a value is
            invalid; the problems joined by ``; `` (a validator's own message as it is,
            any other prefixed with its field).
    """
    groups = settings_groups(files)
    try:
        return cls.model_validate({**options, **groups}, context={FROM_OPTIONS: True})
    except ValidationError as err:
        problems = [
            str(e["ctx"]["error"])
            if e["type"] == "value_error"
            else f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in err.errors()
        ]
        raise ValueError("; ".join(problems)) from None


OVERRIDABLE: tuple[str, ...] = (
    "framing",
    "horizon_days",
    "train_snapshots",
    "valid_snapshots",
    "test_snapshots",
    "every_days",
    "first_touch_delay_days",
    "seed",
)
"""The :class:`models.config.TrainConfig` fields a request may override (CLI
``--framing``, ``--horizon-days``, ``--train-snapshots``, ``--valid-snapshots``,
``--test-snapshots``, ``--every-days``, ``--delay-days``; ``fit-table --seed``); their
types, bounds and defaults are the config's."""


class CrmRequest(BaseModel):
    """What every run that reads a CRM export is given.

    Attributes:
        data: Folder, file or database URL of the CRM export (``fit-table``: the flat
            export; ``score --engine spark``: canonical tables or ``table:DB.PREFIX``).
        workdir: Working directory; the embedded MLflow store lives in WORKDIR/mlruns.
        mapping: Column mapping (a YAML path or a shipped name) for non-canonical exports.
        tracking_uri: MLflow tracking URI (None: the training config's, else the embedded
            store in ``workdir``).
        bots: Bot filter settings YAML (None: ``features/bots/default.yaml``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: str
    workdir: Path = DEFAULT_WORKDIR
    mapping: str | None = None
    tracking_uri: str | None = None
    bots: Path | None = None

    @classmethod
    def from_files(cls, files: dict[str, Path | None] | None = None, **fields: Any) -> Self:
        """A request whose settings groups are read from their YAML files, once.

        Args:
            files: Settings group (a key of :data:`SETTINGS_GROUPS`) -> its YAML file;
                None or missing: the group's defaults.
            fields: The request's other fields.

        Raises:
            ValueError: A settings file is not valid YAML or sets an unknown or invalid
                field (the message names the file and the field), or a field is invalid.
        """
        return cls(**fields, **settings_groups(files))

    def validation_dir(self) -> Path:
        """``WORKDIR/validation/<source name>``
        (:func:`features.ingest.report.default_validation_dir`): where validation writes
        by default and scoring writes the bot filter's ``bots.csv``."""
        return default_validation_dir(self.data, self.workdir)


class ExportRequest(CrmRequest):
    """What every run that reads a new export and types its columns itself is given
    (validation, features, training).

    Attributes:
        infer: The thresholds kept text columns of numbers are typed with (``--infer``;
            default: :class:`features.infer.InferSettings`'s). ``score``, ``compare``,
            ``explain`` and ``rules publish`` use the scorer's stored settings instead:
            give a features or validation run (``--write-accepted`` tables for ``score
            --engine spark``) the file a scorer was trained with to get what its
            training saw.
    """

    infer: InferSettings = Field(default_factory=InferSettings)


class ValidateRequest(ExportRequest):
    """One validation run: how the export is read and where the outputs go.

    Attributes:
        out: Folder of the quarantine, ``bots.csv``, ``validation_summary.json`` and
            ``gx_results.json`` (None: :meth:`CrmRequest.validation_dir`).
        now: ``YYYY-MM-DD[THH:MM]`` UTC (:data:`UtcTime`): timestamps after it are in the
            future (None: the current time).
        sep: CSV delimiter (None: sniffed).
        encoding: Text encoding of CSV files (None:
            :data:`features.ingest.readers.DEFAULT_ENCODING`).
        accepted: Also write the accepted rows as canonical ``<table>.parquet`` files to
            this folder (e.g. the input of ``score --engine spark``).
    """

    out: Path | None = None
    now: UtcTime = None
    sep: str | None = None
    encoding: str | None = None
    accepted: Path | None = None

    def out_dir(self) -> Path:
        """Where the validation outputs are written."""
        return self.out or self.validation_dir()


class FeaturesRequest(ExportRequest):
    """One feature table: as of when, from which spec, written where.

    Attributes:
        out: Parquet file to write (one row per contact, ``contact_id`` first).
        as_of: ``YYYY-MM-DD[THH:MM]`` UTC cut-off (:data:`UtcTime`); only data before it
            is used (None: today 00:00 UTC, as the nightly scoring).
        spec: Feature spec YAML (None: ``features/spec_default.yaml`` plus the columns the
            mapping kept, as training resolves it).
    """

    out: Path
    as_of: UtcTime = None
    spec: Path | None = None


class TrainRequest(ExportRequest):
    """One training run's data, settings and overrides, validated once at the entry point.

    Attributes:
        config: Training config YAML (None: ``models/config_default.yaml``).
        spec: Feature spec YAML (None: ``features/spec_default.yaml`` plus the columns the
            mapping kept).
        rulebook: Manual rulebook the scorer applies (None: the default rulebook for
            canonical CRM tables, a shipped mapping's own, else the empty one: manual
            score 0).
        keep_leaky: Keep columns the leakage guard flags (they stay reported).
        overrides: Training config fields set by the caller (names from
            :data:`OVERRIDABLE`; a None value keeps the config's). The values are
            validated with the config itself
            (:func:`serving.run_config.resolve_train_config`), so an invalid one is named
            with its field before any data is read.
        blend: Blend settings (with the empty rulebook the manual weight is pinned to 0).
        leakage: The leakage guard's thresholds.
        scorer: How the registered scorer finishes scores and whom it rejects.
        report: How ``compare`` computes the report of the scorer trained.
    """

    config: Path | None = None
    spec: Path | None = None
    rulebook: Path | None = None
    keep_leaky: bool = False
    overrides: dict[str, int | str] = Field(default_factory=dict)
    blend: BlendConfig = Field(default_factory=BlendConfig)
    leakage: LeakageSettings = Field(default_factory=LeakageSettings)
    scorer: ScorerSettings = Field(default_factory=ScorerSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("overrides", mode="before")
    @classmethod
    def _known_fields(cls, given: object) -> object:
        """Drop unset (None) overrides; refuse a name the training config has not."""
        if not isinstance(given, dict):
            return given
        unknown = sorted(set(given) - set(OVERRIDABLE))
        if unknown:
            raise ValueError(
                f"cannot override {', '.join(unknown)}: a request overrides only "
                f"{', '.join(OVERRIDABLE)}; set other training settings in the config file"
            )
        return {k: v for k, v in given.items() if v is not None}


class ScorerRequest(CrmRequest):
    """What every run that applies a registered scorer is given.

    Attributes:
        model_uri: The scorer (None: ``models:/<scorer_name>@champion`` of the packaged
            training config).
        as_of: ``YYYY-MM-DD[THH:MM]`` UTC (:data:`UtcTime`): the scoring time (score;
            None: today 00:00 UTC) or the start of the compared period (compare; None: the
            newest with complete outcomes).
    """

    model_uri: str | None = None
    as_of: UtcTime = None


class ScoreRequest(ScorerRequest):
    """One scoring run: into which sink, on which engine.

    Attributes:
        sink: ``sqlite:///scores.db``, ``postgresql+psycopg://...``, a ``.parquet`` or
            ``.csv`` path, a folder, or ``hubspot:PATH.csv``.
        table_prefix: Database table-name prefix.
        engine: ``local`` (pandas) or ``spark`` (``data``: canonical Parquet/CSV tables or
            ``table:DB.PREFIX``; a folder sink becomes Parquet partitioned by ``as_of``).
        spark_config: Spark settings YAML (:class:`serving.spark.SparkSettings`; None:
            ``local[*]``).
    """

    sink: str
    table_prefix: str = DEFAULT_TABLE_PREFIX
    engine: Engine = Engine.local
    spark_config: Path | None = None


class CompareRequest(ScorerRequest):
    """One comparison report: where it goes and which other rulebooks it replays.

    Attributes:
        out: The HTML report (None: WORKDIR/report.html); ``report.json`` goes beside it.
        backtest: Other rulebook files replayed over the same period.
    """

    out: Path | None = None
    backtest: tuple[Path, ...] = ()

    def report_path(self) -> Path:
        """Where the report is written."""
        return self.out or self.workdir / "report.html"


SETTINGS_GROUPS: dict[str, type[BaseModel]] = {
    "blend": BlendConfig,  # --blend
    "infer": InferSettings,  # --infer
    "leakage": LeakageSettings,  # --leakage-settings
    "scorer": ScorerSettings,  # --scorer-settings
    "report": ReportSettings,  # --report-settings
}
"""The request's settings groups that a YAML file of their own sets (the training config,
the feature spec and the rulebook are read by the flow: their paths are recorded)."""


def settings_groups(files: dict[str, Path | None] | None) -> dict[str, BaseModel]:
    """The settings groups read from their YAML files: the one way every command reads
    ``--infer``, ``--blend``, ``--leakage-settings``, ``--scorer-settings`` and
    ``--report-settings`` (:func:`serving.run_config.settings_from_file`).

    Args:
        files: Settings group (a key of :data:`SETTINGS_GROUPS`) -> its YAML file; None or
            missing: the group's defaults.

    Raises:
        ValueError: A file is not valid YAML or sets an unknown or invalid field (the
            message names the file and the field).
    """
    return {
        name: settings_from_file(SETTINGS_GROUPS[name], path)
        for name, path in (files or {}).items()
    }
