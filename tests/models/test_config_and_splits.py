"""Training config loading and the train/valid/test splits."""

import numpy as np
import pandas as pd
import pydantic
import pytest

from models.config import TrainConfig, load_train_config
from models.splits import split_by_time, split_random_stratified


def test_default_config_loads_with_documented_defaults():
    config = load_train_config()
    assert config == TrainConfig()
    assert config.lightgbm.num_threads == 1
    assert config.calibration == "auto"
    assert config.search_budget_seconds is None
    with pytest.raises(pydantic.ValidationError):
        config.seed = 5  # frozen


def test_invalid_field_names_file_and_field(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("gates:\n  min_auc: 1.5\ncalibration: sigmoid\n")
    with pytest.raises(ValueError, match=r"train\.yaml") as err:
        load_train_config(path)
    assert "gates.min_auc" in str(err.value) and "calibration" in str(err.value)


def test_unknown_key_and_non_mapping_are_rejected(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("lightgbm:\n  num_leafs: 7\n")
    with pytest.raises(ValueError, match="lightgbm.num_leafs"):
        load_train_config(path)
    path.write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        load_train_config(path)


def test_capacity_k_is_refused_and_points_to_the_blends_tiers(tmp_path):
    # one definition of the leads sales can work: the blend's tiers, not a training setting
    path = tmp_path / "train.yaml"
    path.write_text("capacity_k: 0.1\n")
    with pytest.raises(ValueError, match=r"train\.yaml.*capacity_k.*sales_tiers"):
        load_train_config(path)
    assert "capacity_k" not in TrainConfig.model_fields


def test_split_by_time_keeps_newest_rows_for_test():
    times = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC"))
    shuffled = times.sample(frac=1, random_state=0).reset_index(drop=True)
    split = split_by_time(shuffled, valid_frac=0.2, test_frac=0.1)
    assert len(split.train) == 70 and len(split.valid) == 20 and len(split.test) == 10
    assert shuffled.iloc[split.train].max() < shuffled.iloc[split.valid].min()
    assert shuffled.iloc[split.valid].max() < shuffled.iloc[split.test].min()
    # day index 90 from 2024-01-01 (31 + 29 days to March 1, then 30 more) is March 31
    assert shuffled.iloc[split.test].min() == pd.Timestamp("2024-03-31", tz="UTC")


def test_split_by_time_puts_ties_in_the_newer_slice_and_rejects_missing():
    times = pd.Series([1, 1, 1, 2, 2, 3, 3, 3, 3, 3])
    split = split_by_time(times, valid_frac=0.3, test_frac=0.3)
    # cuts at the 4th and 7th smallest values (2 and 3): all 3s are test, all 2s valid
    assert sorted(split.test) == [5, 6, 7, 8, 9]
    assert sorted(split.valid) == [3, 4]
    with pytest.raises(ValueError, match="position 1"):
        split_by_time(pd.Series([1.0, None, 3.0]))


def test_split_random_stratified_is_disjoint_complete_and_balanced():
    y = np.array([1] * 20 + [0] * 80)
    split = split_random_stratified(y, valid_frac=0.25, test_frac=0.25, seed=1)
    all_rows = np.concatenate([split.train, split.valid, split.test])
    assert sorted(all_rows) == list(range(100))
    for part in (split.valid, split.test):
        assert len(part) == 25 and y[part].sum() == 5
    again = split_random_stratified(y, valid_frac=0.25, test_frac=0.25, seed=1)
    np.testing.assert_array_equal(split.test, again.test)
    with pytest.raises(ValueError, match="sum"):
        split_random_stratified(y, valid_frac=0.6, test_frac=0.5)
