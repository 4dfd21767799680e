"""Training settings: one frozen, validated object loaded from YAML.

The defaults live in ``models/config_default.yaml``; a project overrides them with its own
YAML file. Everything downstream (estimator, evaluation, tracking, registry) reads this
object only, so a run is fully described by it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.safe_yaml import read_yaml, setting_problems
from features.training_set import TRAIN_SNAPSHOTS

SettingsT = TypeVar("SettingsT", bound=BaseModel)

DEFAULT_CONFIG_PATH = Path(__file__).with_name("config_default.yaml")


class LightGBMParams(BaseModel):
    """LightGBM settings that are good without a hyperparameter search."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    learning_rate: float = Field(default=0.03, gt=0, le=1)
    num_leaves: int = Field(default=31, ge=2)
    min_child_samples: int = Field(default=50, ge=1)
    feature_fraction: float = Field(default=0.5, gt=0, le=1)
    bagging_fraction: float = Field(default=0.8, gt=0, le=1)
    bagging_freq: int = Field(default=1, ge=0)
    lambda_l2: float = Field(default=1.0, ge=0)
    n_estimators: int = Field(default=1000, ge=1)
    early_stopping_rounds: int = Field(default=50, ge=1)
    num_threads: int = Field(default=1, ge=1)
    class_weight: Literal["balanced"] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class QualityGates(BaseModel):
    """Thresholds a new model must pass on the test slice before it may become champion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_auc: float = Field(default=0.7, ge=0, le=1)
    max_ece: float = Field(default=0.05, ge=0, le=1)
    min_top_decile_lift: float | None = Field(default=None, ge=0)
    min_auc_over_manual: float | None = None


class TrainConfig(BaseModel):
    """Everything a training run needs besides the data.

    Attributes:
        model_name: Registered model name in the MLflow model registry.
        scorer_name: Registered name of the whole scorer (spec, rules, model, blend);
            None: ``<model_name>-scorer`` (read it through :attr:`registered_scorer_name`).
        experiment_name: MLflow experiment the runs are logged to.
        tracking_uri: MLflow tracking URI; None means the embedded SQLite store in the
            working directory (see :func:`models.tracking.default_tracking_uri`).
        framing: ``auto``, ``snapshots`` or ``first_touch`` (see :mod:`features.plan`).
        horizon_days: The label is "converts within this many days"; None: the training
            plan chooses it from the data.
        train_snapshots: Training snapshots before the validation and test snapshots.
        valid_snapshots: Validation snapshots (``snapshots`` framing).
        test_snapshots: Test snapshots (``snapshots`` framing).
        every_days: Days between snapshots; None: the horizon, at most
            :data:`~features.training_set.MAX_EVERY_DAYS`.
        first_touch_delay_days: ``first_touch``: features are read at midnight of the
            contact's creation day plus this many days.
        valid_share: ``first_touch``: share of rows (by time) for validation.
        test_share: ``first_touch``: share of rows (the latest) for the test.
        seed: Seed for LightGBM, calibration split and search.
        lightgbm: LightGBM parameters.
        calibration: ``auto`` picks isotonic or Platt by held-out log loss.
        gates: Promotion quality gates.
        capacity_k: Fraction of leads sales can work (precision/recall at top k).
        segments: Columns of the segment frame to report metrics per level for.
        search_budget_seconds: Time budget of the optional random search (None: off).
        search_max_trials: Upper bound on search trials (keeps runs reproducible).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_name: str = Field(default="leadscore-conversion", min_length=1)
    scorer_name: str | None = Field(default=None, min_length=1)
    experiment_name: str = Field(default="leadscore", min_length=1)
    tracking_uri: str | None = None
    framing: Literal["auto", "snapshots", "first_touch"] = "auto"
    horizon_days: int | None = Field(default=None, ge=1)
    train_snapshots: int = Field(default=TRAIN_SNAPSHOTS, ge=1)
    valid_snapshots: int = Field(default=1, ge=1)
    test_snapshots: int = Field(default=1, ge=1)
    every_days: int | None = Field(default=None, ge=1)
    first_touch_delay_days: int = Field(default=1, ge=1)
    valid_share: float = Field(default=0.2, gt=0, lt=0.5)
    test_share: float = Field(default=0.2, gt=0, lt=0.5)
    seed: int = 0
    lightgbm: LightGBMParams = Field(default_factory=LightGBMParams)
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    gates: QualityGates = Field(default_factory=QualityGates)
    capacity_k: float = Field(default=0.1, gt=0, le=1)
    segments: tuple[str, ...] = ("lead_source", "region", "company_size")
    search_budget_seconds: float | None = Field(default=None, gt=0)
    search_max_trials: int = Field(default=20, ge=1)

    @property
    def registered_scorer_name(self) -> str:
        """The scorer's registered name: ``scorer_name``, else :func:`scorer_name_for`."""
        return self.scorer_name or scorer_name_for(self.model_name)


def scorer_name_for(model_name: str) -> str:
    """The scorer's registered name when none is set: ``<model_name>-scorer``."""
    return f"{model_name}-scorer"


def load_yaml_settings(path: Path, model: type[SettingsT], what: str) -> SettingsT:
    """Read a YAML file of settings into the frozen pydantic ``model`` (validated once).

    Args:
        path: The YAML file (an empty file gives the defaults).
        model: The settings class.
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
    """Load and validate a training config from YAML.

    Args:
        path: YAML file; None loads the packaged defaults.

    Returns:
        The frozen config.

    Raises:
        ValueError: The file is not a YAML mapping or a field is invalid; the message names
            the file and the field.
    """
    return load_yaml_settings(
        DEFAULT_CONFIG_PATH if path is None else Path(path), TrainConfig, "training config"
    )
