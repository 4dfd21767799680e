"""One source of every training default (models/config_default.yaml) and the small-data rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.config import DEFAULT_CONFIG_PATH, LightGBMParams, TrainConfig, load_train_config
from models.estimator import ConversionModel

PACKAGED = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())


def test_every_default_is_the_packaged_files_value() -> None:
    config = TrainConfig()
    dumped = config.model_dump(mode="json")
    for key, value in PACKAGED.items():
        expected = list(value) if key == "segments" else value
        assert dumped[key] == expected, key
    # the estimator built without arguments trains with the same LightGBM settings
    settings = ConversionModel().settings()
    for key, value in PACKAGED["lightgbm"].items():
        if key not in ("extra", "class_weight"):
            assert settings[key] == value, key


def test_a_partial_file_fills_the_gaps_from_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lightgbm:\n  num_leaves: 15\ngates:\n  min_auc: 0.6\n")
    config = load_train_config(path)
    assert config.lightgbm.num_leaves == 15
    assert config.lightgbm.learning_rate == PACKAGED["lightgbm"]["learning_rate"]
    assert config.gates.max_ece == PACKAGED["gates"]["max_ece"]
    assert config.horizon_days == PACKAGED["horizon_days"]


def test_small_training_slices_get_the_small_data_values() -> None:
    small = PACKAGED["small_data"]
    below, above = small["rows_below"] - 1, small["rows_below"]
    config = TrainConfig()
    assert config.for_training_rows(above) == config  # enough rows: unchanged
    shrunk = config.for_training_rows(below).lightgbm
    assert shrunk.num_leaves == small["lightgbm"]["num_leaves"]
    assert shrunk.learning_rate == small["lightgbm"]["learning_rate"]
    assert shrunk.min_child_samples == PACKAGED["lightgbm"]["min_child_samples"]  # not listed
    # a value the project changed itself is kept; the others still follow the rule
    own = TrainConfig(lightgbm=LightGBMParams(num_leaves=15))
    kept = own.for_training_rows(below).lightgbm
    assert (kept.num_leaves, kept.learning_rate) == (15, small["lightgbm"]["learning_rate"])
    # applying it again changes nothing; switched off with rows_below null
    assert config.for_training_rows(below).for_training_rows(below) == config.for_training_rows(
        below
    )
    off = TrainConfig.model_validate({"small_data": {"rows_below": None}})
    assert off.for_training_rows(below) == off


def test_small_data_names_an_unknown_setting(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("small_data:\n  lightgbm:\n    num_leafs: 7\n")
    with pytest.raises(ValueError, match=r"small_data.*num_leafs"):
        load_train_config(path)
    path.write_text("small_data:\n  lightgbm:\n    num_leaves: 1\n")
    with pytest.raises(ValueError, match="num_leaves"):
        load_train_config(path)


def test_the_estimator_s_calibration_and_seed_are_the_packaged_ones() -> None:
    """calibration and seed are training config fields: the estimator leaves them at None
    and reads the packaged values when fitting, as it does the LightGBM settings."""
    assert ConversionModel().calibration is None and ConversionModel().seed is None
    settings = ConversionModel().settings()
    assert settings["calibration"] == PACKAGED["calibration"]
    assert settings["seed"] == PACKAGED["seed"]
    assert ConversionModel(seed=7, calibration="platt").settings()["seed"] == 7
