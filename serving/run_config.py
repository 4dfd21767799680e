"""The run configuration: everything a training run resolved, in one frozen object.

``leadscore train`` (and the train flow) resolve the settings once: the training config
with the command line's overrides, the framing, horizon and slice dates the data allows,
the feature spec after ``extends``, the rulebook and its version, the blend settings, the
type inference settings of a flat export, the tracking URI and the registered names. The
result is logged whole to the MLflow run (``run_config.json``, plus its headline values as
parameters) and stored inside the registered scorer, so ``score``, ``explain`` and
``compare`` read the horizon and the rest from the scorer instead of their own defaults.

Defaults live in one place each: training settings in ``models/config_default.yaml``
(horizon, snapshots, model and scorer names), blend settings in
:class:`serving.blend.BlendConfig`, scorer settings in
:class:`serving.scorer_types.ScorerSettings`, report settings in
:class:`serving.report.settings.ReportSettings`, type inference settings in
:class:`features.infer.InferSettings`, the feature spec in
``features/spec_default.yaml``, the rulebooks in ``rules/rulebooks/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.infer import InferSettings
from features.safe_yaml import setting_problems
from models.config import (
    CHAMPION,
    SettingsT,
    TrainConfig,
    load_train_config,
    load_yaml_settings,
)
from models.leakage import LeakageSettings
from rules import Rulebook
from serving.blend import BlendConfig
from serving.report.settings import ReportSettings
from serving.scorer_types import ScorerSettings

RULEBOOKS = Path(__file__).resolve().parents[1] / "rules" / "rulebooks"
DEFAULT_RULEBOOK = RULEBOOKS / "default.yaml"
"""The rulebook written for the canonical CRM (the synthetic one): train's default."""
EMPTY_RULEBOOK = RULEBOOKS / "empty.yaml"
"""No rules (manual score 0): used when no rulebook fits the data, so a scorer is always
registered."""

Framing = Literal["snapshots", "first_touch", "flat"]


class FlatExportChecks(BaseModel):
    """What ``leadscore fit-table`` requires of a flat export before it infers a mapping
    (everything else, the split shares, LightGBM, calibration, names, is the training
    config's).

    Attributes:
        min_rows: Fewer usable rows (readable outcome) than this: stop with an error.
        min_class_rows: Fewer rows of either outcome than this: stop with an error.
        time_min_share: Share of the ``--time`` column's values that must be dates.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_rows: int = Field(default=100, ge=10)
    min_class_rows: int = Field(default=10, ge=4)
    time_min_share: float = Field(default=0.9, gt=0.5, le=1.0)


class SliceSummary(BaseModel):
    """One slice (train, valid or test) of a run: its dates, rows and positives.

    Attributes:
        dates: ISO dates of the slice: its snapshot dates (``snapshots``), or the first and
            last creation date of its contacts (``first_touch``); empty for a flat export.
        rows: Rows in the slice.
        positives: Rows labelled 1.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dates: tuple[str, ...] = ()
    rows: int = Field(ge=0)
    positives: int = Field(ge=0)


class RulebookRef(BaseModel):
    """Which rulebook a run used.

    Attributes:
        name: The rulebook's ``name``.
        version: The rulebook's ``version``.
        source: The file it came from.
        empty: True for the empty rulebook (manual score 0 for every lead).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    source: str
    empty: bool = False


class RunConfig(BaseModel):
    """What a training run actually ran with; stored in the scorer it registered.

    Attributes:
        framing: ``snapshots`` (rows per contact and snapshot date), ``first_touch`` (one
            row per contact at creation) or ``flat`` (a flat export's own columns).
        train: The resolved training config (command-line overrides applied): horizon,
            snapshots, LightGBM, gates, model and scorer names.
        slices: Train / valid / test: dates, rows and positives.
        feature_spec: The resolved feature spec (after ``extends``); None for a flat export.
        rulebook: The rulebook the scorer applies.
        blend: Blend settings.
        scorer: How the scorer finishes scores and whom it rejects; the scorer applies
            these (:class:`serving.scorer_types.ScorerSettings`).
        report: How ``compare`` computes the comparison report of this scorer
            (:class:`serving.report.settings.ReportSettings`).
        leakage: The leakage guard's thresholds
            (:class:`models.leakage.LeakageSettings`; ``--leakage-settings``).
        infer: How a flat export's column types were inferred
            (:class:`features.infer.InferSettings`; ``--infer`` of ``train`` and
            ``fit-table``); the scorer keeps the decisions, so scoring never infers again.
        tracking_uri: The MLflow store the run was logged to.
        active_share: Share of the training contacts with any activity (None: not
            measured, a flat export): a scorer trained without activity history may score
            data without it.

    A flat export's fingerprint of its training rows is not here: the scorer keeps it
    beside its run configuration (:class:`serving.training_ids.TrainingIds`), so
    ``run_config.json`` stays small.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    framing: Framing
    train: TrainConfig
    slices: dict[str, SliceSummary] = Field(default_factory=dict)
    feature_spec: dict[str, Any] | None = None
    rulebook: RulebookRef
    blend: BlendConfig = Field(default_factory=BlendConfig)
    scorer: ScorerSettings = Field(default_factory=ScorerSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    leakage: LeakageSettings = Field(default_factory=LeakageSettings)
    infer: InferSettings = Field(default_factory=InferSettings)
    tracking_uri: str
    active_share: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _stored_before(cls, data: object) -> object:
        """A run configuration stored before the leads sales can work moved to the blend
        (``train.capacity_k``) still loads: the blend's tiers define them now. One stored
        before the training ids' fingerprint moved beside it (``training_ids``) loads
        without it (the scorer reads it: :meth:`serving.scorer.LeadScorer.training_ids`)."""
        if not isinstance(data, dict):
            return data
        if "training_ids" in data:
            data = {k: v for k, v in data.items() if k != "training_ids"}
        train = data.get("train")
        if isinstance(train, dict) and "capacity_k" in train:
            return {**data, "train": {k: v for k, v in train.items() if k != "capacity_k"}}
        return data

    @model_validator(mode="after")
    def _check(self) -> RunConfig:
        if (self.framing == "flat") != (self.feature_spec is None):
            raise ValueError(
                "run config: a flat export has no feature spec, every other framing has one "
                f"(framing {self.framing!r}, feature_spec "
                f"{'missing' if self.feature_spec is None else 'given'})"
            )
        return self

    @property
    def horizon_days(self) -> int | None:
        """Label horizon H in days (None for a flat export: no point in time)."""
        return None if self.framing == "flat" else self.train.horizon_days

    @property
    def scorer_name(self) -> str:
        """The registered name of the scorer."""
        return self.train.registered_scorer_name

    def params(self) -> dict[str, str]:
        """The headline values, logged as MLflow parameters beside ``run_config.json``.

        (``horizon_days`` is logged with the training config, which holds it.)
        """
        out = {
            "framing": self.framing,
            "rulebook": f"{self.rulebook.name} {self.rulebook.version}",
            "rulebook_empty": str(self.rulebook.empty),
            "blend_manual_weight": (
                "fitted" if self.blend.manual_weight is None else str(self.blend.manual_weight)
            ),
            "scorer_name": self.scorer_name,
        }
        for part, summary in self.slices.items():
            out[f"{part}_rows"] = str(summary.rows)
            out[f"{part}_positives"] = str(summary.positives)
        return out


def rulebook_ref(rulebook: Rulebook, source: Path) -> RulebookRef:
    """The reference a run config keeps of ``rulebook``, loaded from ``source``."""
    resolved = Path(source).resolve()
    return RulebookRef(
        name=rulebook.name,
        version=str(rulebook.version),
        source=str(resolved),
        empty=resolved == EMPTY_RULEBOOK.resolve(),
    )


def resolve_train_config(
    config_path: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """The training config with the command line's overrides applied, validated once.

    Args:
        config_path: Training config YAML; None: ``models/config_default.yaml``.
        overrides: Field -> value; ``None`` values keep the config's value.

    Raises:
        ValueError: The file or an override is invalid; the message names the field.
    """
    config = load_train_config(config_path)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if not given:
        return config
    try:
        return TrainConfig.model_validate({**config.model_dump(), **given})
    except ValidationError as err:
        problems = "; ".join(setting_problems(err))
        raise ValueError(f"invalid training setting: {problems}") from err


SETTINGS_FILES: dict[type[BaseModel], str] = {
    InferSettings: "type inference settings",  # --infer
    ScorerSettings: "scorer settings",  # --scorer-settings
    ReportSettings: "report settings",  # --report-settings
    LeakageSettings: "leakage guard settings",  # --leakage-settings
    FlatExportChecks: "flat export checks",  # fit-table --checks
    BlendConfig: "blend config",  # --blend
}
"""The run configuration's groups a settings file of their own sets, with their name in
messages (the training config has its own: --config)."""


def settings_from_file(model: type[SettingsT], path: str | Path | None) -> SettingsT:
    """One settings group of the run configuration from its YAML file (None: the class's
    defaults, the one definition).

    Raises:
        ValueError: The file is not valid YAML or sets an unknown or invalid field; the
            message names the file and the field.
    """
    if path is None:
        return model()
    return load_yaml_settings(Path(path), model, SETTINGS_FILES[model])


def default_scorer_name(config_path: Path | None = None) -> str:
    """The scorer's registered name in the training config (default: the packaged one)."""
    return load_train_config(config_path).registered_scorer_name


def default_scorer_uri(config_path: Path | None = None) -> str:
    """``models:/<scorer name>@champion`` of the training config (default: the packaged one)."""
    return f"models:/{default_scorer_name(config_path)}@{CHAMPION}"


def choose_rulebook(rulebook: Path | None, mapping: str | None) -> Path:
    """The rulebook a training run uses.

    The one given; else the default rulebook for canonical CRM tables; else, for a
    shipped mapping with a rulebook of the same name (``--mapping x_education``), that
    rulebook; else (a mapped export the default rulebook was not written for) the empty
    rulebook.
    """
    if rulebook is not None:
        return Path(rulebook)
    if mapping is None:
        return DEFAULT_RULEBOOK
    shipped = RULEBOOKS / f"{mapping}.yaml"
    return shipped if Path(mapping).name == mapping and shipped.is_file() else EMPTY_RULEBOOK
