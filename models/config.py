"""Training settings: one frozen, validated object loaded from YAML.

Every default lives in ``models/config_default.yaml`` and only there: each field below
reads its default from that file when an object is built without it (not at import
time), so ``TrainConfig()``, ``LightGBMParams(num_leaves=7)`` and a project's partial
YAML file all fill the gaps from the same place. Everything downstream (estimator,
evaluation, tracking, registry) reads this object only, so a run is fully described by it.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.safe_yaml import read_yaml, setting_problems
from features.training_set import TRAIN_SNAPSHOTS

SettingsT = TypeVar("SettingsT", bound=BaseModel)

DEFAULT_CONFIG_PATH = Path(__file__).with_name("config_default.yaml")
CHAMPION = "champion"
"""Registry alias of the model in use (here, not in :mod:`models.registry`, so readers of
the alias, ``leadscore explain`` among them, need not import MLflow)."""
CHALLENGER = "challenger"
"""Registry alias of a registered model that did not beat the champion."""


@functools.cache
def _packaged() -> dict[str, Any]:
    raw = read_yaml(DEFAULT_CONFIG_PATH)
    if not isinstance(raw, dict):
        raise ValueError(f"{DEFAULT_CONFIG_PATH}: expected a mapping of settings")
    return raw


def packaged_default(*path: str) -> Any:
    """The value at ``path`` in ``models/config_default.yaml`` (read once, copied out).

    Raises:
        ValueError: The packaged file has no such key (a field without its default).
    """
    node: Any = _packaged()
    for i, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            raise ValueError(
                f"{DEFAULT_CONFIG_PATH} has no {'.'.join(path[: i + 1])}: every training "
                "setting needs its default there"
            )
        node = node[key]
    return copy.deepcopy(node)


class UpgradableSettings(BaseModel):
    """Settings pickled inside a registered scorer (blend, scorer settings): a pickle written
    before a setting existed unpickles with that setting's default."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        values = state.get("__dict__", {})
        for name, info in type(self).model_fields.items():
            if name not in values and not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
        super().__setstate__(state)


def _default(*path: str, **constraints: Any) -> Any:
    """A pydantic field whose default is read from the packaged YAML when needed."""
    return Field(default_factory=functools.partial(packaged_default, *path), **constraints)


class LightGBMParams(BaseModel):
    """LightGBM settings that are good without a hyperparameter search."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    learning_rate: float = _default("lightgbm", "learning_rate", gt=0, le=1)
    num_leaves: int = _default("lightgbm", "num_leaves", ge=2)
    min_child_samples: int = _default("lightgbm", "min_child_samples", ge=1)
    feature_fraction: float = _default("lightgbm", "feature_fraction", gt=0, le=1)
    bagging_fraction: float = _default("lightgbm", "bagging_fraction", gt=0, le=1)
    bagging_freq: int = _default("lightgbm", "bagging_freq", ge=0)
    lambda_l2: float = _default("lightgbm", "lambda_l2", ge=0)
    n_estimators: int = _default("lightgbm", "n_estimators", ge=1)
    early_stopping_rounds: int = _default("lightgbm", "early_stopping_rounds", ge=1)
    num_threads: int = _default("lightgbm", "num_threads", ge=1)
    class_weight: Literal["balanced"] | None = _default("lightgbm", "class_weight")
    refit_on_stopping_rows: bool = _default("lightgbm", "refit_on_stopping_rows")
    extra: dict[str, Any] = _default("lightgbm", "extra")


class SmallData(BaseModel):
    """LightGBM values for small training slices (thousands of rows, a few columns).

    Attributes:
        rows_below: Training slices with fewer rows than this use ``lightgbm``'s values
            (None: never).
        lightgbm: LightGBM fields and their small-data values; a field the config sets
            itself is never replaced (see :meth:`TrainConfig.for_training_rows`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    rows_below: int | None = _default("small_data", "rows_below", ge=1)
    lightgbm: dict[str, Any] = _default("small_data", "lightgbm")

    @model_validator(mode="after")
    def _known_fields(self) -> SmallData:
        unknown = sorted(set(self.lightgbm) - set(LightGBMParams.model_fields))
        if unknown:
            raise ValueError(
                f"small_data.lightgbm: unknown LightGBM setting(s) {unknown}; use fields of "
                f"lightgbm ({', '.join(LightGBMParams.model_fields)})"
            )
        LightGBMParams.model_validate(self.lightgbm)  # the values must be valid too
        return self


class QualityGates(BaseModel):
    """Thresholds a new model must pass on the test slice before it may become champion."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    min_auc: float = _default("gates", "min_auc", ge=0, le=1)
    max_ece: float = _default("gates", "max_ece", ge=0, le=1)
    min_top_decile_lift: float | None = _default("gates", "min_top_decile_lift", ge=0)
    min_auc_over_manual: float | None = _default("gates", "min_auc_over_manual")


class TrainConfig(BaseModel):
    """Everything a training run needs besides the data.

    Attributes:
        model_name: Registered model name in the MLflow model registry.
        scorer_name: Registered name of the whole scorer (spec, rules, model, blend);
            None: ``<model_name>-scorer`` (read it through :attr:`registered_scorer_name`).
        experiment_name: MLflow experiment the runs are logged to.
        tracking_uri: MLflow tracking URI; None means the embedded SQLite store in the
            working directory (see :func:`models.store.default_tracking_uri`).
        framing: ``auto``, ``snapshots`` or ``first_touch`` (see :mod:`features.plan`), or
            ``flat``: the contacts' own columns, one row per lead, whatever the data holds
            (``auto`` chooses it for data without activity history or creation dates).
        horizon_days: The label is "converts within this many days"; None: the training
            plan chooses it from the data.
        train_snapshots: Training snapshots before the validation and test snapshots.
        valid_snapshots: Validation snapshots (``snapshots`` framing).
        test_snapshots: Test snapshots (``snapshots`` framing).
        every_days: Days between snapshots; None: the horizon, at most
            :data:`~features.training_set.MAX_EVERY_DAYS`.
        first_touch_delay_days: ``first_touch``: features are read at midnight of the
            contact's creation day plus this many days.
        valid_share: ``first_touch`` and ``flat``: share of rows for validation (by time,
            or stratified at random for a flat export without creation dates).
        test_share: ``first_touch`` and ``flat``: share of rows (the latest) for the test.
        seed: Seed for LightGBM, calibration split and search.
        small_data: LightGBM values for training slices with few rows.
        calibration: ``auto`` picks isotonic or Platt by held-out log loss.
        calibration_recency: Recency weights of the calibration fits (the model's and the
            blend's): ``auto`` lets forward validation on the validation slice choose equal
            weights or a half-life (:func:`models.calibration.choose_recency`), ``none``
            keeps equal weights, a number is the half-life in days.
        gates: Promotion quality gates.
        segments: Columns of the segment frame to report metrics per level for.
        search_budget_seconds: Time budget of the optional random search (None: off).
        search_max_trials: Upper bound on search trials (keeps runs reproducible).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    model_name: str = _default("model_name", min_length=1)
    scorer_name: str | None = _default("scorer_name", min_length=1)
    experiment_name: str = _default("experiment_name", min_length=1)
    tracking_uri: str | None = _default("tracking_uri")
    framing: Literal["auto", "snapshots", "first_touch", "flat"] = _default("framing")
    horizon_days: int | None = _default("horizon_days", ge=1)
    # defined once for the features layer too (snapshot_schedule): features.training_set
    train_snapshots: int = Field(default=TRAIN_SNAPSHOTS, ge=1)
    valid_snapshots: int = _default("valid_snapshots", ge=1)
    test_snapshots: int = _default("test_snapshots", ge=1)
    every_days: int | None = _default("every_days", ge=1)
    first_touch_delay_days: int = _default("first_touch_delay_days", ge=1)
    valid_share: float = _default("valid_share", gt=0, lt=0.5)
    test_share: float = _default("test_share", gt=0, lt=0.5)
    seed: int = _default("seed")
    lightgbm: LightGBMParams = Field(default_factory=LightGBMParams)
    small_data: SmallData = Field(default_factory=SmallData)
    calibration: Literal["auto", "isotonic", "platt"] = _default("calibration")
    calibration_recency: Literal["auto", "none"] | Annotated[int, Field(ge=1)] = _default(
        "calibration_recency"
    )
    gates: QualityGates = Field(default_factory=QualityGates)
    segments: tuple[str, ...] = _default("segments")
    search_budget_seconds: float | None = _default("search_budget_seconds", gt=0)
    search_max_trials: int = _default("search_max_trials", ge=1)

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: object) -> object:
        if isinstance(data, dict) and "capacity_k" in data:
            raise ValueError(
                "capacity_k is no training setting any more: the leads sales can work are the "
                "blend's tiers (sales_tiers and capacity_share or capacity in the --blend "
                "file, serving/blend.py); remove capacity_k"
            )
        return data

    @property
    def registered_scorer_name(self) -> str:
        """The scorer's registered name: ``scorer_name``, else :func:`scorer_name_for`."""
        return self.scorer_name or scorer_name_for(self.model_name)

    def for_training_rows(self, rows: int) -> TrainConfig:
        """The config a training slice of ``rows`` rows trains with.

        Below ``small_data.rows_below`` rows, the ``small_data.lightgbm`` values replace
        the LightGBM fields that still hold their packaged default (a value changed in a
        project's YAML file or in code is kept), so small, narrow data gets shallower trees
        and a lower learning rate without a per-dataset switch.
        """
        small = self.small_data
        if small.rows_below is None or rows >= small.rows_below:
            return self
        update = {
            k: v
            for k, v in small.lightgbm.items()
            if getattr(self.lightgbm, k) == packaged_default("lightgbm", k)
        }
        if not update:
            return self
        return self.model_copy(update={"lightgbm": self.lightgbm.model_copy(update=update)})


def scorer_name_for(model_name: str) -> str:
    """The scorer's registered name when none is set: ``<model_name>-scorer``."""
    return f"{model_name}-scorer"


def load_yaml_settings(path: Path, model: type[SettingsT], what: str) -> SettingsT:
    """Read a YAML file of settings into the frozen pydantic ``model`` (validated once).

    Args:
        path: The YAML file (an empty file gives the defaults).
        what: What the file is, for messages (e.g. "training config").

    Raises:
        ValueError: Bad YAML, not a mapping, or invalid fields; the message names the file
            and every field with its problem.
    """
    try:
        raw = read_yaml(path)
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err}); fix the syntax") from err
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of settings at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(setting_problems(err))
        raise ValueError(f"{path}: invalid {what}: {problems}") from err


def load_train_config(path: Path | None = None) -> TrainConfig:
    """Load and validate a training config from YAML (``path`` None: the packaged defaults).

    Raises:
        ValueError: See :func:`load_yaml_settings`.
    """
    return load_yaml_settings(
        DEFAULT_CONFIG_PATH if path is None else Path(path), TrainConfig, "training config"
    )
