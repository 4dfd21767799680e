"""benchmarks.time_folds: rolling folds inside the development rows, scored per candidate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from table_rows import canonical_frame

from benchmarks.time_folds import (
    Fold,
    baseline_scorer,
    development_rows,
    fold_aucs,
    model_scorer,
    paired_gain,
    rolling_folds,
)
from features.crm import CrmTables
from models.config import TrainConfig
from pipelines.training_data import Slices, flat_slices


def test_folds_end_with_consecutive_eval_chunks_each_after_its_stopping_chunk() -> None:
    # 20 rows, 2 folds: eval chunks of int(20 * .25) = 5 rows cover rows 10-19; each is
    # preceded by int(20 * .1) = 2 stopping rows; everything older trains
    first, second = rolling_folds(20, 2, stop_share=0.1, eval_share=0.25)
    assert first.train.tolist() == list(range(8))
    assert first.stop.tolist() == [8, 9]
    assert first.eval.tolist() == list(range(10, 15))
    assert second.train.tolist() == list(range(13))
    assert second.stop.tolist() == [13, 14]
    assert second.eval.tolist() == list(range(15, 20))


def test_folds_that_leave_no_training_rows_are_refused() -> None:
    # 5 chunks of 2 rows fill all 10 rows: nothing is left to stop early on or to train
    with pytest.raises(ValueError, match="10 rows cannot hold 5 folds.*use fewer folds"):
        rolling_folds(10, 5, stop_share=0.1, eval_share=0.2)


def _planted(n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    """origin decides the label; visits is noise."""
    rng = np.random.default_rng(0)
    origin = rng.choice(["ads", "seo", "mail"], n)
    y = (origin == "seo").astype(int)
    X = pd.DataFrame(
        {"origin": pd.Categorical(origin), "visits": rng.normal(size=n).astype("float64")}
    )
    return X, y


def test_fold_aucs_score_each_eval_chunk_with_what_the_candidate_learned_before_it() -> None:
    X, y = _planted()
    folds = rolling_folds(len(y), 3, stop_share=0.1, eval_share=0.1)
    assert fold_aucs(X, y, folds, baseline_scorer) == [1.0, 1.0, 1.0]
    # the training config's LightGBM (30 rounds at most: the planted split needs few)
    lightgbm = model_scorer(TrainConfig(), {"n_estimators": 30})
    assert fold_aucs(X, y, folds, lightgbm) == [1.0, 1.0, 1.0]

    def inverted(X_all: pd.DataFrame, y_all: np.ndarray, fold: Fold) -> np.ndarray:
        return -baseline_scorer(X_all, y_all, fold)

    assert fold_aucs(X, y, folds, inverted) == [0.0, 0.0, 0.0]


def test_the_gain_is_the_mean_paired_difference_with_its_standard_error() -> None:
    out = paired_gain([0.7, 0.8], [0.6, 0.6])
    # differences 0.1 and 0.2: mean 0.15, sample sd 0.1 / sqrt(2), se = sd / sqrt(2) = 0.05
    assert out == {"gain": pytest.approx(0.15), "gain_se": pytest.approx(0.05)}


def _flat_slices() -> Slices:
    day = pd.Timestamp("2020-01-01", tz="UTC")
    contacts = canonical_frame(
        "contacts",
        [{"contact_id": f"c{i}", "created_at": day, "visits": float(i % 7)} for i in range(200)],
    )
    outcomes = canonical_frame(
        "outcomes",
        [{"contact_id": f"c{i}", "converted_at": day, "outcome": "won"} for i in range(0, 200, 3)],
    )
    tables = CrmTables(
        contacts, canonical_frame("accounts", []), canonical_frame("activities", []), outcomes
    )
    return flat_slices(tables, rulebook=None)


def test_development_rows_are_train_then_valid_and_never_the_test_rows() -> None:
    flat = _flat_slices()
    with pytest.raises(ValueError, match="flat slices have no time order"):
        development_rows(flat)
    # the same slices given times in order, as a first_touch plan builds them
    days = pd.date_range("2020-01-01", periods=len(flat.train.y) + len(flat.valid.y), tz="UTC")
    train = replace(flat.train, snapshot=pd.Series(days[: len(flat.train.y)]))
    valid = replace(flat.valid, snapshot=pd.Series(days[len(flat.train.y) :]))
    timed = replace(flat, train=train, valid=valid, kind="first_touch")
    X, y = development_rows(timed)
    assert len(X) == len(y) == len(flat.train.y) + len(flat.valid.y)
    assert y.tolist() == flat.train.y.tolist() + flat.valid.y.tolist()
    out_of_order = replace(
        timed, valid=replace(valid, snapshot=pd.Series(days[:1].repeat(len(valid.y))))
    )
    with pytest.raises(ValueError, match="no time order"):
        development_rows(out_of_order)
