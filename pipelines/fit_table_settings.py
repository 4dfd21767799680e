"""Settings of ``leadscore fit-table``: one frozen, validated object (defaults need no file).

The LightGBM defaults here are for small tables (thousands of rows, tens of columns):
shallower trees, a lower learning rate and smoothed categorical splits. They were chosen by
5-fold cross-validation on the training part of X Education only (see the report of
issue 6); a YAML file can override any field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features.infer import InferSettings
from models.config import LightGBMParams, load_yaml_settings
from models.leakage import LeakageSettings

SMALL_TABLE_LIGHTGBM = LightGBMParams(
    learning_rate=0.02,
    num_leaves=15,
    min_child_samples=20,
    feature_fraction=0.7,
    bagging_fraction=0.8,
    bagging_freq=1,
    lambda_l2=5.0,
    n_estimators=3000,
    early_stopping_rounds=100,
    extra={"cat_smooth": 20, "cat_l2": 10, "min_data_per_group": 50, "max_cat_to_onehot": 8},
)


class FitTableSettings(BaseModel):
    """Everything ``fit-table`` needs besides the file and the command-line options.

    Attributes:
        valid_frac: Share of usable rows for early stopping and calibration (halves).
        test_frac: Share of usable rows for the untouched test slice.
        min_rows: Fewer usable rows than this: stop with an error.
        min_class_rows: Fewer rows of either class than this: stop with an error.
        lightgbm: LightGBM parameters.
        calibration: ``auto`` picks isotonic or Platt by held-out log loss.
        add_blank_count: Add a "blank fields" feature (count of blank used columns).
        n_reasons: Reasons per direction in scores.csv.
        time_min_share: Share of ``--time`` values that must be dates.
        capacity_k: Share of leads sales can work (precision/recall at k).
        infer: Type inference thresholds.
        leakage: Leakage guard thresholds.
        experiment_name: MLflow experiment (only with a tracking URI).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    valid_frac: float = Field(default=0.2, gt=0, lt=1)
    test_frac: float = Field(default=0.2, gt=0, lt=1)
    min_rows: int = Field(default=100, ge=10)
    min_class_rows: int = Field(default=10, ge=4)
    lightgbm: LightGBMParams = SMALL_TABLE_LIGHTGBM
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    add_blank_count: bool = False
    n_reasons: int = Field(default=3, ge=1, le=10)
    time_min_share: float = Field(default=0.9, gt=0.5, le=1.0)
    capacity_k: float = Field(default=0.1, gt=0, le=1)
    infer: InferSettings = Field(default_factory=InferSettings)
    leakage: LeakageSettings = Field(default_factory=LeakageSettings)
    experiment_name: str = Field(default="leadscore-fit-table", min_length=1)


def load_fit_table_settings(path: Path | None = None) -> FitTableSettings:
    """Settings from a YAML file (fields as in :class:`FitTableSettings`), or the defaults.

    Raises:
        ValueError: The file is not a YAML mapping or a field is invalid (names the field).
    """
    if path is None:
        return FitTableSettings()
    return load_yaml_settings(Path(path), FitTableSettings, "fit-table settings")
